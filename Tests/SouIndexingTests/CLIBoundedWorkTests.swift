import Foundation
import SouTestSupport
import Testing
@testable import SouIndexing

/// `sou` never hangs and never grows without bound: refused threads, FIFOs where an index is
/// expected, lines without end, quadratic normalization. Each run is bounded by a time limit far
/// above the expected time (the failure before was a hang or minutes of work).
@Suite("The sou executable: hangs and runaway resources", .serialized)
struct CLIBoundedWorkTests {
    let sou: URL
    let folder: URL

    init() throws {
        sou = try #require(souExecutable(), "the sou executable is not built next to the tests")
        folder = try temporaryFolder()
    }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

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
