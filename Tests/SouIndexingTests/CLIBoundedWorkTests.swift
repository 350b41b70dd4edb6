import Foundation
import SouTestSupport
import Testing
@testable import SouIndexing

/// `sou` never hangs and never grows without bound: refused threads, FIFOs where an index is
/// expected, lines without end, quadratic normalization. Each run is bounded by a time limit far
/// above the expected time (the failure before was a hang or minutes of work).
@Suite("The sou executable: hangs and runaway resources", .serialized)
struct CLIBoundedWorkTests: ExecutableFolder {
    let sou: URL
    let folder: URL

    init() throws {
        sou = try #require(souExecutable(), "the sou executable is not built next to the tests")
        folder = try temporaryFolder()
    }

    func cleanUp() { try? FileManager.default.removeItem(at: folder) }

    /// Before: with thread creation failing (`ulimit -u`), Foundation's Thread never ran its
    /// closure and the build waited for it forever.
    @Test("a build whose threads the system refuses (ulimit -u) exits 2 naming the cause, and writes nothing",
          .enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")
                   && FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit"),
                   "needs root, setpriv and prlimit to run sou as an unprivileged user under a process limit"))
    func refusedThreads() throws {
        defer { cleanUp() }
        // the unprivileged user must reach the executable, read the input and write the output
        #expect(chmod(folder.path, 0o777) == 0)
        let input = path("in.jsonl")
        try write((0..<400).map { "{\"id\":\"\($0)\",\"body\":\"集体协商第\($0)次会议\"}\n" }.joined(), to: input)
        #expect(chmod(input, 0o644) == 0)
        let output = path("x.sou")
        // nobody has no other process: 6 allows the process and a few threads, not 40
        let r = try runBounded(URL(fileURLWithPath: "/usr/bin/prlimit"),
                               ["--nproc=6", "--", "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                sou.path, "index", "--jsonl", input, "-o", output, "--jobs", "40"], timeout: 60)
        #expect(!r.timedOut, "sou hung")
        #expect(r.exited(2), "status \(r.status), signaled \(r.signaled): \(r.err)")
        #expect(r.err.contains("cannot start a thread: Resource temporarily unavailable"), "\(r.err)")
        #expect(!FileManager.default.fileExists(atPath: output))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty, "\(leftovers)")
        // with threads to spare, the same build succeeds
        let ok = try runBounded(URL(fileURLWithPath: "/usr/bin/prlimit"),
                                ["--nproc=200", "--", "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                 sou.path, "index", "--jsonl", input, "-o", output, "--jobs", "4", "--quiet"], timeout: 120)
        #expect(ok.exited(0), "\(ok.err)")
    }

    /// Before: `sou check FIFO` (and the library's `SegmentReader(contentsOf:)`) blocked in open()
    /// forever, waiting for a writer.
    @Test("every command given a FIFO as its index says it is not a regular file (exit 2), without blocking")
    func fifoAsIndex() throws {
        defer { cleanUp() }
        let fifo = path("fifo.sou")
        #expect(mkfifo(fifo, 0o644) == 0)
        let input = path("a.txt")
        try write("集体协商", to: input)
        for arguments in [["check", fifo], ["stats", fifo], ["search", "-i", fifo, "集体"], ["add", "-i", fifo, input],
                          ["delete", "-i", fifo, "a"], ["merge", fifo]] {
            let r = try runBounded(sou, arguments, timeout: 30)
            #expect(!r.timedOut, "\(arguments) hung")
            #expect(r.exited(2), "\(arguments): status \(r.status): \(r.err)")
            #expect(r.err.contains("not a regular file"), "\(arguments): \(r.err)")
        }
        // the library's one-segment reader, on a thread of its own so that a hang fails the test
        let done = DispatchSemaphore(value: 0)
        let outcome = Outcome()
        onOwnThread {
            do { _ = try SegmentReader(contentsOf: URL(fileURLWithPath: fifo)); outcome.set("opened") } catch { outcome.set("\(error)") }
            done.signal()
        }
        if done.wait(timeout: .now() + 30) == .timedOut {
            Issue.record("SegmentReader(contentsOf:) blocked on a FIFO")
            // release it: a writer lets open() return
            let fd = open(fifo, O_WRONLY | O_NONBLOCK)
            if fd >= 0 { close(fd) }
            _ = done.wait(timeout: .now() + 30)
        }
        #expect(outcome.get().contains("not a regular file"), "\(outcome.get())")
    }

    final class Outcome: @unchecked Sendable {
        private let lock = NSLock()
        private var value = ""
        func set(_ v: String) { lock.lock(); value = v; lock.unlock() }
        func get() -> String { lock.lock(); defer { lock.unlock() }; return value }
    }

    /// Before: no line-length limit; 8.5 GB after 10 s.
    @Test("a JSON Lines input without line ends (/dev/zero on stdin) stops at the documented limit: exit 2, line named, no output; the device named as input is skipped")
    func endlessLine() throws {
        defer { cleanUp() }
        let output = path("x.sou")
        // stdin read from /dev/zero: a stream, so the line limit is what stops it
        let endless = try runBounded(URL(fileURLWithPath: "/bin/sh"),
                                     ["-c", "exec \"$0\" index --jsonl - -o \"$1\" < /dev/zero", sou.path, output], timeout: 120)
        #expect(!endless.timedOut, "sou read /dev/zero without end")
        #expect(endless.exited(2), "status \(endless.status): \(endless.err)")
        #expect(endless.err.contains(":1: line longer than 256 MiB"), "\(endless.err)")
        #expect(!FileManager.default.fileExists(atPath: output))
        #expect(DocumentSource.maxLineBytes == 256 << 20, "README documents 256 MiB")
        // named as an input, the device is skipped with its reason (never read without end)
        let device = try runBounded(sou, ["index", "--jsonl", "/dev/zero", "-o", output], timeout: 120)
        #expect(!device.timedOut)
        #expect(device.exited(1), "status \(device.status): \(device.err)")
        #expect(device.err.contains("skipping /dev/zero: a device"), "\(device.err)")
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    /// Before: ICU reordered a whole run of marks at once, quadratically: 10k / 40k / 160k
    /// alternating pairs took 0.2 / 2.8 / 39 s (here 160k pairs would take minutes).
    @Test("tokenizing 160,000 alternating combining marks takes linear time and keeps every mark")
    func longRunOfCombiningMarks() throws {
        defer { cleanUp() }
        let input = path("marks.txt")
        try write("a" + String(repeating: "\u{0301}\u{0316}", count: 160_000), to: input)
        let r = try runBounded(sou, ["tokenize", "--file", input], timeout: 60)
        #expect(!r.timedOut, "quadratic normalization")
        #expect(r.exited(0), "\(r.err)")
        // one word: the letter and all its marks (reordered segment by segment), nothing lost
        let scalars = r.out.unicodeScalars
        #expect(scalars.filter { $0 == "\u{0316}" }.count == 160_000)
        // NFKC composes a + U+0301 into á once
        #expect(scalars.filter { $0 == "\u{0301}" }.count == 159_999)
        #expect(scalars.filter { $0 == "\u{00E1}" }.count == 1)
    }
}

// MARK: - Adversarial pass: stdin read as one text

extension CLIBoundedWorkTests {
    /// `sou` reading on stdin what the shell script `script` writes (two processes joined by a
    /// pipe: the time limit kills `sou` itself, and the writer ends with the pipe).
    func piped(_ script: String, _ arguments: [String], timeout: Double = 120) throws -> BoundedRun {
        // the writer's commands end on a write error (SIGPIPE may be ignored: SouProcess does)
        // once sou stops reading
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/bin/sh")
        writer.arguments = ["-c", script]
        let pipe = Pipe()
        writer.standardOutput = pipe
        writer.standardError = FileHandle.nullDevice
        try writer.run()
        // only the writer holds the write end: sou sees the end of its input
        try? pipe.fileHandleForWriting.close()
        defer {
            if writer.isRunning { kill(writer.processIdentifier, SIGKILL) }
            writer.waitUntilExit()
        }
        let run = try runBounded(sou, arguments, timeout: timeout, standardInput: pipe)
        try? pipe.fileHandleForReading.close()
        return run
    }

    /// Before: `sou index - < /dev/zero` never ended and its memory grew (100 MB of NUL bytes
    /// took 9.9 s, 200 MB 32.7 s: the first line was searched for from the start at every chunk).
    @Test("NUL bytes on stdin read as one text are an error at once (exit 2, the offset named); UTF-16 text on stdin is still read")
    func binaryStdin() throws {
        defer { cleanUp() }
        let output = path("x.sou")
        let zero = try runBounded(URL(fileURLWithPath: "/bin/sh"),
                                  ["-c", "exec \"$0\" index - -o \"$1\" < /dev/zero", sou.path, output], timeout: 60)
        #expect(!zero.timedOut, "sou read /dev/zero without end")
        #expect(zero.exited(2), "status \(zero.status): \(zero.err)")
        #expect(zero.err.contains("sou: stdin: binary data (a NUL byte at byte 0, and not UTF-16/32 text)"), "\(zero.err)")
        #expect(!FileManager.default.fileExists(atPath: output))
        // text first: the NUL byte is found where it is, whatever follows
        let late = try piped("{ printf '集体协商\\n'; head -c 100000000 /dev/zero; }", ["index", "-", "-o", output], timeout: 60)
        #expect(late.exited(2), "status \(late.status): \(late.err)")
        #expect(late.err.contains("stdin: binary data (a NUL byte at byte 13,"), "\(late.err)")
        #expect(!FileManager.default.fileExists(atPath: output))
        // UTF-16 text (its NUL bytes are text) is read and converted
        let wide = try piped("printf 'Collective bargaining sets the wage standard.\\n' | iconv -t UTF-16LE", ["index", "-", "-o", output, "--verbose"])
        #expect(wide.exited(0), "status \(wide.status): \(wide.err)")
        #expect(wide.err.contains("stdin: read as UTF-16LE (detected)"), "\(wide.err)")
    }

    /// Before: stdin that was not JSON Lines was gathered without bound (and a stream without a
    /// line break searched for its first line's end quadratically).
    @Test("stdin read as one text, and a FIFO named as an input, stop at 256 MiB with an error (exit 2), in linear time")
    func boundedStdin() throws {
        defer { cleanUp() }
        let output = path("x.sou")
        #expect(StreamedText.maxBytes == 256 << 20, "README and sou index --help say 256 MiB")
        let long = try piped("head -c 300000000 /dev/zero | tr '\\000' a", ["index", "-", "-o", output])
        #expect(!long.timedOut, "quadratic or unbounded")
        #expect(long.exited(2), "status \(long.status): \(long.err)")
        #expect(long.err.contains("sou: stdin: more than 256 MiB, the most a stream read as one text may hold (a file has no such bound)"), "\(long.err)")
        #expect(!FileManager.default.fileExists(atPath: output))
        let fifo = try piped("yes 集体协商 | head -c 300000000", ["index", "/dev/stdin", "-o", output])
        #expect(!fifo.timedOut, "unbounded")
        #expect(fifo.exited(2), "status \(fifo.status): \(fifo.err)")
        #expect(fifo.err.contains("sou: /dev/stdin: more than 256 MiB"), "\(fifo.err)")
        #expect(!FileManager.default.fileExists(atPath: output))
    }
}

// MARK: - Adversarial pass: query and key files

extension CLIBoundedWorkTests {
    /// An index of two documents for the commands that read queries or keys.
    func smallIndex() throws -> String {
        let index = path("x.sou")
        try writeIndexFile([("a", "", "集体协商"), ("b", "", "工会")], to: URL(fileURLWithPath: index))
        return index
    }

    /// Before: each of these read its whole input first, without bound: `--batch /dev/zero`,
    /// `--batch - < /dev/zero`, `--queries /dev/zero` and `--keys-from - < /dev/zero` ran for
    /// more than 30 s (a 20 MB NUL file given to --batch took 58 s and 497 MB).
    @Test("a query or key file with NUL bytes is an error naming the file (or stdin) and line, at once (exit 2)")
    func binaryQueryAndKeyFiles() throws {
        defer { cleanUp() }
        let index = try smallIndex()
        let before = try Data(contentsOf: URL(fileURLWithPath: index))
        let devices: [([String], String)] = [
            (["search", "-i", index, "--batch", "/dev/zero"], "/dev/zero line 1: a NUL byte: binary data, or text in UTF-16 (queries are read as UTF-8 text, one per line)"),
            (["bench", "search", index, "--queries", "/dev/zero"], "/dev/zero line 1: a NUL byte: binary data, or text in UTF-16 (queries are read as UTF-8 text, one per line)"),
        ]
        for (arguments, message) in devices {
            let r = try runBounded(sou, arguments, timeout: 30)
            #expect(!r.timedOut, "\(arguments) read without end")
            #expect(r.exited(2), "\(arguments): status \(r.status): \(r.err)")
            #expect(r.err.contains("sou: " + message), "\(arguments): \(r.err)")
        }
        for (arguments, message) in [(["search", "-i", index, "--batch", "-"], "stdin line 1: a NUL byte: binary data, or text in UTF-16 (queries are read as UTF-8 text, one per line)"),
                                     (["delete", "-i", index, "--keys-from", "-"], "stdin line 1: a NUL byte: binary data, or text in UTF-16 (keys are read as UTF-8 text, one per line)")] {
            let r = try runBounded(URL(fileURLWithPath: "/bin/sh"), ["-c", "exec \"$0\" \"$@\" < /dev/zero", sou.path] + arguments, timeout: 30)
            #expect(!r.timedOut, "\(arguments) read without end")
            #expect(r.exited(2), "\(arguments): status \(r.status): \(r.err)")
            #expect(r.err.contains("sou: " + message), "\(arguments): \(r.err)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: index)) == before, "nothing deleted")
        // the line with the first NUL byte is named, in a file of 20 MB
        let file = path("q.txt")
        try Data(Array("集体\n工会\n".utf8) + [UInt8](repeating: 0, count: 20_000_000)).write(to: URL(fileURLWithPath: file))
        for arguments in [["search", "-i", index, "--batch", file], ["bench", "search", index, "--queries", file],
                          ["delete", "-i", index, "--keys-from", file]] {
            let r = try runBounded(sou, arguments, timeout: 30)
            #expect(r.exited(2), "\(arguments): status \(r.status): \(r.err)")
            #expect(r.err.contains("sou: \(file) line 3: a NUL byte: binary data"), "\(arguments): \(r.err)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: index)) == before, "nothing deleted")
    }

    /// Before: a line without end (or a stream of lines without end) was gathered whole.
    @Test("a query or key line longer than 1 MiB, or more than 256 MiB of them, is an error naming the line (exit 2)")
    func boundedQueryAndKeyFiles() throws {
        defer { cleanUp() }
        let index = try smallIndex()
        let long = path("long.txt")
        try Data(Array("集体\n".utf8) + [UInt8](repeating: 0x61, count: 3_000_000)).write(to: URL(fileURLWithPath: long))
        for (arguments, what) in [(["search", "-i", index, "--batch", long], "query"), (["bench", "search", index, "--queries", long], "query"),
                                  (["delete", "-i", index, "--keys-from", long], "key")] {
            let r = try runBounded(sou, arguments, timeout: 30)
            #expect(r.exited(2), "\(arguments): status \(r.status): \(r.err)")
            #expect(r.err.contains("sou: \(long) line 2: longer than 1 MiB, the most one \(what) may hold"), "\(arguments): \(r.err)")
        }
        // 300 MB of lines (a tab, then 1,000 digits: no query in the first column)
        let endless = try piped("yes \"$(printf '\\t%01000d' 0)\" | head -c 300000000", ["search", "-i", index, "--batch", "-"])
        #expect(!endless.timedOut)
        #expect(endless.exited(2), "status \(endless.status): \(endless.err)")
        #expect(endless.err.contains("sou: stdin: more than 256 MiB, the most --batch reads"), "\(endless.err)")
    }
}

extension CLIBoundedWorkTests {
    /// Before: `--baseline /dev/zero` read forever (the whole file was gathered before it was
    /// parsed), and `sou bench index /dev/zero` never started a build: the inputs were read to
    /// their end once to warm the page cache, and /dev/zero has none.
    @Test("bench index reads --baseline up to 4 MiB (more, or /dev/zero, is an error naming the file and the bound: exit 2) and never reads a device input to warm it")
    func boundedBaseline() throws {
        defer { cleanUp() }
        let input = path("in.txt")
        try write("集体协商会议上，该公司职工方代表", to: input)
        let big = path("big.json")
        // whitespace is valid JSON around a value: only the bound refuses it
        try Data([UInt8](repeating: 0x20, count: 5 << 20) + Array("{}".utf8)).write(to: URL(fileURLWithPath: big))
        for baseline in ["/dev/zero", big] {
            let r = try runBounded(sou, ["bench", "index", input, "--runs", "1", "--jobs", "1", "--baseline", baseline], timeout: 30)
            #expect(!r.timedOut, "--baseline \(baseline) read without end")
            #expect(r.exited(2), "\(baseline): status \(r.status): \(r.err)")
            #expect(r.err.contains("sou: \(baseline): more than 4 MiB, the most --baseline reads"), "\(baseline): \(r.err)")
        }
        // a device given as the input: the build itself says it is binary
        let zero = try runBounded(sou, ["bench", "index", "/dev/zero", "--runs", "1", "--jobs", "1"], timeout: 60)
        #expect(!zero.timedOut, "bench index /dev/zero read without end")
        #expect(zero.exited(2), "status \(zero.status): \(zero.err)")
        #expect(zero.err.contains("skipping /dev/zero: binary file"), "\(zero.err)")
    }
}
