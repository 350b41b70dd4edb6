import Foundation
import SouTestSupport
import Testing
@testable import SouIndexing

/// How a bounded run of a program ended.
struct BoundedRun {
    /// The exit status, or the number of the signal that ended the process.
    var status: Int32
    /// True when a signal ended the process (`status` is then the signal).
    var signaled: Bool
    /// True when the run outlived its time limit and was killed.
    var timedOut: Bool
    var out: String
    var err: String
    /// Exited normally with `code`.
    func exited(_ code: Int32) -> Bool { !signaled && !timedOut && status == code }
}

/// Collects a pipe's bytes on another thread.
private final class PipeReader: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ pipe: Pipe) {
        let handle = pipe.fileHandleForReading
        onOwnThread {
            self.data = handle.readDataToEndOfFile()
            self.done.signal()
        }
    }

    func text() -> String {
        done.wait()
        return String(decoding: data, as: UTF8.self)
    }
}

/// Runs `executable` with `arguments` (stdin empty, or `standardInput`: a Pipe or FileHandle),
/// killing it with SIGKILL once `timeout` seconds have passed, so that a test never hangs on a
/// blocked or looping child.
func runBounded(_ executable: URL, _ arguments: [String], timeout: Double = 120, standardInput: Any? = nil) throws -> BoundedRun {
    let p = Process()
    p.executableURL = executable
    p.arguments = arguments
    p.standardInput = standardInput ?? FileHandle.nullDevice
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let outReader = PipeReader(out), errReader = PipeReader(err)
    let deadline = Date().addingTimeInterval(timeout)
    var timedOut = false
    while p.isRunning {
        if Date() > deadline {
            kill(p.processIdentifier, SIGKILL)
            timedOut = true
            break
        }
        usleep(5_000)
    }
    p.waitUntilExit()
    return BoundedRun(status: p.terminationStatus, signaled: p.terminationReason == .uncaughtSignal,
                      timedOut: timedOut, out: outReader.text(), err: errReader.text())
}

/// `sou` with `arguments` under `/bin/sh` after `umask mask`.
func runSou(_ sou: URL, umask mask: String, _ arguments: [String]) throws -> BoundedRun {
    try runBounded(URL(fileURLWithPath: "/bin/sh"), ["-c", "umask \(mask) && exec \"$0\" \"$@\"", sou.path] + arguments)
}

/// The file's type and permission bits, owner and group (lstat: a link is not followed).
func fileStatus(_ path: String) -> (type: mode_t, mode: mode_t, uid: uid_t, gid: gid_t)? {
    var st = stat()
    guard lstat(path, &st) == 0 else { return nil }
    return (st.st_mode & S_IFMT, st.st_mode & 0o7777, st.st_uid, st.st_gid)
}

/// Robustness of `sou` against hostile queries, inputs and output paths: no crash, no trap, no
/// data lost. Each test states the behaviour; the comments say what happened before.
@Suite("The sou executable: hostile queries, inputs and output paths", .serialized)
struct CLIRobustnessTests: ExecutableFolder {
    let sou: URL
    let folder: URL

    init() throws {
        sou = try #require(souExecutable(), "the sou executable is not built next to the tests")
        folder = try temporaryFolder()
    }

    /// A small index file built by the library (one document), as the "previous" index.
    func previousIndex(_ name: String) throws -> (path: String, bytes: Data) {
        let url = folder.appendingPathComponent(name)
        try writeIndexFile([("previous", "", "以前的索引")], to: url)
        return (url.path, try Data(contentsOf: url))
    }

    func contents(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    func cleanUp() { try? FileManager.default.removeItem(at: folder) }
}

// MARK: - Crashes

extension CLIRobustnessTests {
    /// Before: SIGILL (an arithmetic overflow trap) for -A/-C near Int.max.
    @Test("-A, -B and -C take any count up to the largest integer: the whole document, no trap")
    func hugeContextCounts() throws {
        defer { cleanUp() }
        let input = try file("in/a.txt", "第一行\n集体协商\n第三行")
        let index = path("x.sou")
        #expect(try runBounded(sou, ["index", input, "-o", index, "--quiet"]).exited(0))
        for option in ["-A", "-B", "-C"] {
            for extra in [[], ["--json"]] {
                let r = try runBounded(sou, ["search", "-i", index, option, String(Int.max), "-n", "1"] + extra + ["集体协商"])
                #expect(r.exited(0), "\(option) \(extra): status \(r.status), signaled \(r.signaled)")
                #expect(r.out.contains(option == "-A" ? "第三行" : "第一行") && r.out.contains("集体协商"), "\(option) \(extra): \(r.out)")
            }
        }
    }

    /// Before: Swift repaired the bytes into U+FFFD and the search ran without them ('\xff\xfe工会' searched 工会).
    @Test("a query whose bytes are not UTF-8 is an error naming the first bad byte, as an argument and after -e")
    func queryNotUTF8() throws {
        defer { cleanUp() }
        let input = try file("in/a.txt", "集体协商")
        let index = path("x.sou")
        #expect(try runBounded(sou, ["index", input, "-o", index, "--quiet"]).exited(0))
        for (shell, message) in [("\"$0\" search -i \"$1\" -c \"$(printf '\\377\\376集体')\"", "byte 0 is 0xFF"),
                                 ("\"$0\" search -i \"$1\" -c -e \"$(printf '集体\\351')\"", "byte 6 is 0xE9")] {
            let r = try runBounded(URL(fileURLWithPath: "/bin/sh"), ["-c", shell, sou.path, index])
            #expect(r.exited(2) && r.out.isEmpty, "\(shell): \(r)")
            #expect(r.err.contains("the query is not valid UTF-8 (\(message))"), "\(shell): \(r.err)")
        }
    }

    /// Before: exit 0 (or 1) with the output lost: a full disk, /dev/full, was never reported.
    @Test("output that cannot be written is an error: exit 2 and the reason, for every command that prints")
    func unwritableOutput() throws {
        defer { cleanUp() }
        let input = try file("in/a.txt", "集体协商")
        let index = path("x.sou")
        #expect(try runBounded(sou, ["index", input, "-o", index, "--quiet"]).exited(0))
        try write("集体协商\n工资\n", to: path("q.txt"))
        for arguments in [["search", "-i", index, "集体协商"], ["search", "-i", index, "--json", "集体协商"],
                          ["search", "-i", index, "-c", "无此词"], ["search", "-i", index, "--batch", path("q.txt")],
                          ["show", "-i", index, input], ["stats", index], ["check", index], ["tokenize", "集体协商"]] {
            let r = try runBounded(URL(fileURLWithPath: "/bin/sh"), ["-c", "exec \"$0\" \"$@\" > /dev/full", sou.path] + arguments)
            #expect(r.exited(2), "\(arguments): status \(r.status)")
            #expect(r.err.contains("cannot write the output: No space left on device"), "\(arguments): \(r.err)")
        }
        // a reader that goes away early (| head) is not an error to report
        let piped = try runBounded(URL(fileURLWithPath: "/bin/sh"), ["-c", "\"$0\" \"$@\" | head -c 1 > /dev/null", sou.path,
                                                                     "search", "-i", index, "集体协商"])
        #expect(piped.exited(0) && piped.err.isEmpty, "\(piped)")
    }

    /// Before: SIGSEGV (stack overflow in the recursive query parser), in both modes.
    @Test("a 40,000-deep query is a nesting error (exit 2), not a crash; --batch reports it per query")
    func deepQuery() throws {
        defer { cleanUp() }
        let input = try file("in/a.txt", "集体协商")
        let index = path("x.sou")
        #expect(try runBounded(sou, ["index", input, "-o", index, "--quiet"]).exited(0))
        func nested(_ depth: Int) -> String {
            String(repeating: "(", count: depth) + "集体" + String(repeating: ")", count: depth)
        }
        let deep = try runBounded(sou, ["search", "-i", index, "-c", nested(40_000)])
        #expect(deep.exited(2), "status \(deep.status), signaled \(deep.signaled)")
        #expect(deep.err.contains("query error at position 100: nesting too deep"))
        #expect(deep.err.count < 1_000, "the error echoes a window of the query, not all of it")
        let atLimit = try runBounded(sou, ["search", "-i", index, "-c", nested(100)])
        #expect(atLimit.exited(0) && atLimit.out == "1\n")

        let queries = try file("q.txt", nested(40_000) + "\n集体\n")
        let batch = try runBounded(sou, ["search", "-i", index, "--batch", queries])
        // a batch with a failed query exits 2 after answering the others
        #expect(batch.exited(2), "status \(batch.status), signaled \(batch.signaled)")
        let lines = batch.out.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines.first?.contains("\"error\":\"nesting too deep") == true)
        #expect(lines.dropFirst().first?.contains("\"total\":1") == true)
    }
}

extension CLIRobustnessTests {
    /// Before: SIGSEGV in the recursive JSON parser; the whole build aborted.
    @Test("a JSON line nested 90,000 deep is skipped with a warning (file:line); the other lines are indexed")
    func deepJSONLine() throws {
        defer { cleanUp() }
        let deep = String(repeating: "[", count: 90_000) + String(repeating: "]", count: 90_000)
        let input = try file("deep.jsonl", """
        {"id":"x","body":"集体协商"}
        {"id":"y","body":\(deep)}
        {"id":"z","body":"工资"}

        """)
        let built = try runBounded(sou, ["index", input, "-o", path("x.sou"), "--json"])
        #expect(built.exited(0), "status \(built.status), signaled \(built.signaled)")
        #expect(built.err.contains("\(input):2: skipping bad line: nesting too deep"))
        let summary = try JSONSerialization.jsonObject(with: Data(built.out.utf8)) as? [String: Any]
        #expect(summary?["documents"] as? Int == 2)
        #expect(summary?["skipped"] as? Int == 1)
    }
}

extension CLIRobustnessTests {
    /// Before: `--jobs 4611686018427387904` trapped ("arithmetic overflow", SIGILL).
    @Test("--jobs outside 1...256 is a usage error (exit 2), not an overflow trap")
    func jobsRange() throws {
        defer { cleanUp() }
        let input = try file("a.txt", "集体协商")
        for jobs in ["4611686018427387904", "9223372036854775807", "257", "0"] {
            let r = try runBounded(sou, ["index", input, "-o", path("x.sou"), "--jobs", jobs])
            #expect(r.exited(2), "--jobs \(jobs): status \(r.status), signaled \(r.signaled)")
            #expect(r.err.contains("--jobs must be between 1 and 256"), "--jobs \(jobs): \(r.err)")
        }
        #expect(!FileManager.default.fileExists(atPath: path("x.sou")))
        #expect(try runBounded(sou, ["index", input, "-o", path("x.sou"), "--jobs", "256", "--quiet"]).exited(0))
    }
}

// MARK: - Data loss

extension CLIRobustnessTests {
    /// A gzip file of `lines` JSON Lines documents; returns its path.
    func gzippedJSONLines(_ name: String, lines: Int) throws -> String {
        var rng = SplitMix64(seed: 9)
        var text = ""
        for i in 0..<lines {
            text += "{\"id\":\"d\(i)\",\"body\":\"\(randomText(&rng, length: 200).replacingOccurrences(of: "\n", with: "\\n"))\"}\n"
        }
        let plain = try file(name, text)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-f", plain]
        try gzip.run()
        gzip.waitUntilExit()
        return plain + ".gz"
    }

    /// Before: a truncated .jsonl.gz indexed the documents before the cut, exit 0, nothing said;
    /// random bytes named .jsonl.gz were read as (bad) plain lines.
    @Test("a truncated .jsonl.gz, or a .gz that is not gzip, is an error naming the file (exit 2)")
    func damagedGzip() throws {
        defer { cleanUp() }
        let whole = try gzippedJSONLines("docs.jsonl", lines: 2_000)
        let bytes = try #require(contents(whole))
        let truncated = path("cut.jsonl.gz")
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))
        let (old, oldBytes) = try previousIndex("x.sou")
        let r = try runBounded(sou, ["index", truncated, "-o", old])
        #expect(r.exited(2), "status \(r.status)")
        #expect(r.err.contains("\(truncated): unexpected end of compressed data"), "\(r.err)")
        #expect(contents(old) == oldBytes)

        var rng = SplitMix64(seed: 3)
        let fake = path("fake.jsonl.gz")
        try Data((0..<3000).map { _ in UInt8(truncatingIfNeeded: rng.next()) | 0x80 }).write(to: URL(fileURLWithPath: fake))
        let f = try runBounded(sou, ["index", fake, "-o", old])
        #expect(f.exited(2), "status \(f.status)")
        #expect(f.err.contains("\(fake): not gzip data"), "\(f.err)")
        let garbage = path("garbage.jsonl.gz")
        try Data([0x1F, 0x8B, 0x08, 0x00] + [UInt8](repeating: 0xEE, count: 400)).write(to: URL(fileURLWithPath: garbage))
        let g = try runBounded(sou, ["index", garbage, "-o", old])
        #expect(g.exited(2), "status \(g.status)")
        #expect(g.err.contains(garbage), "\(g.err)")
        #expect(contents(old) == oldBytes)

        let fine = try runBounded(sou, ["index", whole, "-o", old, "--json"])
        #expect(fine.exited(0))
        #expect(fine.out.contains("\"documents\":2000"))
    }
}

extension CLIRobustnessTests {
    /// Before: the index held the 2,000,000-byte term, `check` failed ("value 2000000 out of range
    /// (max 1048576)") and every term of its dictionary block read as absent: 0 hits, exit 1.
    @Test("a word longer than 32,766 bytes is left out and counted; the index checks and its neighbours are found")
    func overlongWord() throws {
        defer { cleanUp() }
        let long = String(repeating: "a", count: 2_000_000)
        try file("in/a.txt", "集体协商 \(long) 工资")
        // neighbours of the long term in the sorted dictionary
        try file("in/b.txt", (0..<300).map { "a\($0)" }.joined(separator: " "))
        let index = path("x.sou")
        let built = try runBounded(sou, ["index", path("in"), "-o", index, "--json"])
        #expect(built.exited(0))
        #expect(built.err.contains("1 token longer than 32766 bytes"), "\(built.err)")
        let summary = try JSONSerialization.jsonObject(with: Data(built.out.utf8)) as? [String: Any]
        #expect(summary?["skippedTokens"] as? Int == 1)
        let checked = try runBounded(sou, ["check", index])
        #expect(checked.exited(0), "\(checked.err)")
        for (query, hits) in [("a0", "b.txt"), ("a150", "b.txt"), ("a299", "b.txt"), ("工资", "a.txt")] {
            let r = try runBounded(sou, ["search", "-i", index, "-l", query])
            #expect(r.exited(0) && r.out == path("in/" + hits) + "\n", "\(query): status \(r.status) \(r.out) \(r.err)")
        }
        // the long word is not a term: searching for it finds nothing (and is no error)
        #expect(try runBounded(sou, ["search", "-i", index, "-c", String(long.prefix(40_000))]).exited(1))
        // the slot it took still separates its neighbours
        #expect(try runBounded(sou, ["search", "-i", index, "-c", "\"集体协商 工资\""]).exited(1))
    }

    /// Before: damaged term dictionary bytes read as "no such term": 0 hits, exit 1, no error.
    @Test("a search through a damaged term dictionary is an error (exit 2), not 0 hits")
    func damagedDictionary() throws {
        defer { cleanUp() }
        let url = folder.appendingPathComponent("x.sou")
        let segment = try smallIndexBytes()
        try Data(containerBytes(segment: segment)).write(to: url)
        var bytes = try [UInt8](Data(contentsOf: url))
        let index = try SegmentReader(bytes: segment)
        // every block's offset (u32 at +8 of its block index entry) now points past the section
        for block in 0..<index.blockCount {
            let entry = segmentOffsetInFile + index.blockIndexStart + block * FileLayout.blockIndexEntrySize + 8
            for k in 0..<4 { bytes[entry + k] = 0xFF }
        }
        try Data(bytes).write(to: url)
        let r = try runBounded(sou, ["search", "-i", url.path, "集体协商"])
        #expect(r.exited(2), "status \(r.status): \(r.out)")
        #expect(r.err.contains("corrupt index: terms"), "\(r.err)")
    }
}

extension CLIRobustnessTests {
    /// Before: the FIFO, the device node and the symbolic link were replaced by a regular file
    /// (as root, `-o /dev/null` replaced /dev/null), after the whole input had been read.
    @Test("an output that is a FIFO, a device node or a symbolic link is refused before any input is read")
    func outputNotRegularFile() throws {
        defer { cleanUp() }
        let input = try file("a.txt", "集体协商")
        // an input nobody writes to: reading it would block, so a refusal must come first
        let blockingInput = path("never-written")
        #expect(mkfifo(blockingInput, 0o644) == 0)

        let fifo = path("fifo.sou")
        #expect(mkfifo(fifo, 0o644) == 0)
        let r = try runBounded(sou, ["index", blockingInput, "-o", fifo], timeout: 20)
        #expect(r.exited(2), "status \(r.status), timed out \(r.timedOut)")
        #expect(r.err.contains("\(fifo): not a regular file (a FIFO)"), "\(r.err)")
        #expect(fileStatus(fifo)?.type == S_IFIFO)

        let (target, targetBytes) = try previousIndex("target.sou")
        let link = path("link.sou")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let l = try runBounded(sou, ["index", blockingInput, "-o", link], timeout: 20)
        #expect(l.exited(2), "status \(l.status), timed out \(l.timedOut)")
        #expect(l.err.contains("\(link): a symbolic link"), "\(l.err)")
        #expect(fileStatus(link)?.type == S_IFLNK)
        #expect(contents(target) == targetBytes)

        // a device node like /dev/null (creating one needs root and a permissive container)
        let device = path("null")
        if mknod(device, S_IFCHR | 0o666, dev_t(1 << 8 | 3)) == 0 {   // makedev(1, 3), as /dev/null
            let d = try runBounded(sou, ["index", input, "-o", device], timeout: 20)
            #expect(d.exited(2), "status \(d.status)")
            #expect(d.err.contains("\(device): not a regular file (a character device)"), "\(d.err)")
            #expect(fileStatus(device)?.type == S_IFCHR)
        }
    }
}

extension CLIRobustnessTests {
    /// Before: `sou index in.txt -o in.txt` replaced the input by its index, and any existing
    /// file was overwritten; a missing folder was reported only after the input was read.
    @Test("the output may not be an input, nor an existing non-index file unless --force; its folder is checked first")
    func outputChecks() throws {
        defer { cleanUp() }
        let input = try file("in.txt", "集体协商")
        let original = contents(input)
        let same = try runBounded(sou, ["index", input, "-o", input])
        #expect(same.exited(2))
        #expect(same.err.contains("\(input): the output is also an input"), "\(same.err)")
        #expect(contents(input) == original)
        // also when the input is named another way (a hard link) and with --force
        #expect(link(input, path("hard.txt")) == 0)
        let hard = try runBounded(sou, ["index", input, "-o", path("hard.txt"), "--force"])
        #expect(hard.exited(2))
        #expect(contents(input) == original)

        let notes = try file("notes.txt", "my notes, not an index")
        let refused = try runBounded(sou, ["index", input, "-o", notes])
        #expect(refused.exited(2))
        #expect(refused.err.contains("\(notes): exists and is not a Sou index (--force replaces it)"), "\(refused.err)")
        #expect(contents(notes) == Data("my notes, not an index".utf8))
        let forced = try runBounded(sou, ["index", input, "-o", notes, "--force", "--quiet"])
        #expect(forced.exited(0))
        #expect(try IndexReader(contentsOf: URL(fileURLWithPath: notes)).documentCount == 1)
        // an existing index, or an empty file, is replaced without --force
        #expect(try runBounded(sou, ["index", input, "-o", notes, "--quiet"]).exited(0))
        let empty = try file("empty.sou", "")
        #expect(try runBounded(sou, ["index", input, "-o", empty, "--quiet"]).exited(0))

        // checked before reading: the input would block
        let blockingInput = path("never-written")
        #expect(mkfifo(blockingInput, 0o644) == 0)
        let missing = try runBounded(sou, ["index", blockingInput, "-o", path("no/such/folder/x.sou")], timeout: 20)
        #expect(missing.exited(2), "timed out \(missing.timedOut)")
        #expect(missing.err.contains("\(path("no/such/folder")): no such folder"), "\(missing.err)")
        let directory = try runBounded(sou, ["index", blockingInput, "-o", folder.path], timeout: 20)
        #expect(directory.exited(2), "timed out \(directory.timedOut)")
        #expect(directory.err.contains("is a folder"), "\(directory.err)")
    }
}

extension CLIRobustnessTests {
    /// Before: `sou index notes -o notes/a.md --force` indexed a.md and then replaced it by the
    /// index (only an output named on the command line as an input was refused).
    @Test("a non-index output inside a folder being indexed is an input: refused with --force too, also when reached through a link")
    func outputInsideInputFolder() throws {
        defer { cleanUp() }
        try FileManager.default.createDirectory(atPath: path("notes"), withIntermediateDirectories: true)
        let note = try file("notes/a.md", "集体协商 my note")
        _ = try file("notes/b.md", "工资")
        let original = contents(note)
        for extra in [[], ["--force"]] {
            let r = try runBounded(sou, ["index", path("notes"), "-o", note] + extra)
            #expect(r.exited(2), "\(extra): status \(r.status)")
            #expect(r.err.contains("is inside \(path("notes")), which is being indexed (it is an input)"), "\(r.err)")
            #expect(contents(note) == original)
        }
        // a folder that reaches the note through a link: found by the walk, refused before reading
        try FileManager.default.createDirectory(atPath: path("other"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: path("other/link"), withDestinationPath: path("notes"))
        let linked = try runBounded(sou, ["index", path("other"), "-o", note, "--force"])
        #expect(linked.exited(2), "status \(linked.status)")
        #expect(linked.err.contains("the output is also an input"), "\(linked.err)")
        #expect(contents(note) == original)
        // an index inside the folder it indexes is still built and brought up to date (it is
        // skipped as binary), and a non-index file outside the inputs is replaced with --force
        let inside = path("notes/notes.sou")
        #expect(try runBounded(sou, ["index", path("notes"), "-o", inside, "--quiet"]).exited(0))
        #expect(try runBounded(sou, ["index", path("notes"), "-o", inside, "--quiet"]).exited(0))
        #expect(try IndexReader(contentsOf: URL(fileURLWithPath: inside)).documentCount == 2)
        let outside = try file("junk.txt", "not an index")
        #expect(try runBounded(sou, ["index", path("notes"), "-o", outside, "--force", "--quiet"]).exited(0))
        #expect(try IndexReader(contentsOf: URL(fileURLWithPath: outside)).documentCount == 2)
    }
}

extension CLIRobustnessTests {
    /// Before: exit 0 and the previous index replaced by an empty one.
    @Test("a build that indexes 0 documents keeps the previous index and says why: exit 2 when every line was bad, 1 for an empty folder")
    func nothingIndexed() throws {
        defer { cleanUp() }
        let (index, before) = try previousIndex("x.sou")
        let lines = try file("f.jsonl", "{\"id\":\"1\",\"body\":\"集体\"}\n{\"id\":\"2\",\"body\":\"协商\"}\n")
        let skipped = try runBounded(sou, ["index", lines, "--text-field", "content", "-o", index])
        #expect(skipped.exited(2))
        #expect(skipped.err.contains("indexed 0 documents: nothing to write (skipped: 2 bad JSON lines"), "\(skipped.err)")
        #expect(contents(index) == before)

        try FileManager.default.createDirectory(atPath: path("empty"), withIntermediateDirectories: true)
        let empty = try runBounded(sou, ["index", path("empty"), "-o", index])
        #expect(empty.exited(1))
        #expect(empty.err.contains("nothing to index (no file to index"), "\(empty.err)")
        #expect(contents(index) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["empty", "f.jsonl", "x.sou"])
    }
}

extension CLIRobustnessTests {
    /// Before: the new file was always 0644 (stored text world-readable again) and owned by
    /// whoever rebuilt it; a file the user may not write was replaced all the same.
    @Test("replacing an index keeps its mode (and owner, as root); a new one follows the umask; an unwritable one is refused")
    func modeAndOwner() throws {
        defer { cleanUp() }
        let input = try file("a.txt", "集体协商")
        let (index, _) = try previousIndex("x.sou")
        #expect(chmod(index, 0o600) == 0)
        #expect(try runSou(sou, umask: "077", ["index", input, "-o", index, "--quiet"]).exited(0))
        #expect(fileStatus(index)?.mode == 0o600)
        #expect(chmod(index, 0o640) == 0)
        #expect(try runSou(sou, umask: "022", ["index", input, "-o", index, "--quiet"]).exited(0))
        #expect(fileStatus(index)?.mode == 0o640)
        #expect(try runSou(sou, umask: "077", ["index", input, "-o", path("new.sou"), "--quiet"]).exited(0))
        #expect(fileStatus(path("new.sou"))?.mode == 0o600)
        #expect(try IndexReader(contentsOf: URL(fileURLWithPath: index)).documentCount == 1)

        if geteuid() == 0 {
            // root keeps the owner, and may not write a file as a user who could not
            #expect(chown(index, 65534, 65534) == 0)
            #expect(try runBounded(sou, ["index", input, "-o", index, "--quiet"]).exited(0))
            #expect(fileStatus(index)?.uid == 65534 && fileStatus(index)?.gid == 65534)
            #expect(fileStatus(index)?.mode == 0o640)

            let shared = path("shared")
            try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
            #expect(chmod(folder.path, 0o755) == 0 && chmod(shared, 0o777) == 0 && chmod(input, 0o644) == 0)
            let (rootOwned, before) = try previousIndex("shared/root.sou")
            #expect(chmod(rootOwned, 0o644) == 0)
            let r = try runBounded(URL(fileURLWithPath: "/usr/bin/setpriv"),
                                   ["--reuid=65534", "--regid=65534", "--clear-groups", sou.path, "index", input, "-o", rootOwned])
            #expect(r.exited(2), "status \(r.status): \(r.err)")
            #expect(r.err.contains("\(rootOwned): not writable"), "\(r.err)")
            #expect(contents(rootOwned) == before)
            #expect(fileStatus(rootOwned)?.uid == 0)
        } else {
            let (readOnly, before) = try previousIndex("ro.sou")
            #expect(chmod(readOnly, 0o444) == 0)
            let r = try runBounded(sou, ["index", input, "-o", readOnly])
            #expect(r.exited(2))
            #expect(r.err.contains("\(readOnly): not writable"), "\(r.err)")
            #expect(contents(readOnly) == before)
        }
    }
}

/// Starts `p` from a thread that does not block SIGINT, SIGTERM and SIGHUP. A child inherits the
/// signal mask of the thread that spawns it, and the test's threads (Dispatch workers) block
/// them: a `sou` started from here would hold them pending and never see them.
func runWithTerminationSignalsUnblocked(_ p: Process) throws {
    final class Launch: @unchecked Sendable {
        let process: Process
        var failure: Error?
        let done = DispatchSemaphore(value: 0)
        init(_ process: Process) { self.process = process }
    }
    let launch = Launch(p)
    Thread {
        var signals = sigset_t()
        sigemptyset(&signals)
        for s in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&signals, s) }
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
        do { try launch.process.run() } catch { launch.failure = error }
        launch.done.signal()
    }.start()
    launch.done.wait()
    if let failure = launch.failure { throw failure }
}

extension CLIRobustnessTests {
    /// Before: the process died with the default action and left `.x.sou.tmp-XXXXXX` behind.
    @Test("SIGTERM, SIGINT or SIGHUP while the index is written removes the temporary file; the old index stays")
    func signalDuringWrite() throws {
        defer { cleanUp() }
        var rng = SplitMix64(seed: 21)
        var lines = ""
        for i in 0..<2_000 {
            lines += "{\"id\":\"\(i)\",\"body\":\"\(randomText(&rng, length: 300).replacingOccurrences(of: "\n", with: "\\n"))\"}\n"
        }
        let input = try file("big.jsonl", lines)
        let (index, before) = try previousIndex("x.sou")
        func temporaryFiles() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasPrefix(".x.sou.tmp-") }
        }
        for signal in [SIGTERM, SIGINT, SIGHUP] {
            var interrupted = false
            // A run that ends before its temporary file is seen, or whose rename beats the signal,
            // proves nothing: try again (the write phase lasts long enough that this is rare).
            for _ in 0..<5 where !interrupted {
                let p = Process()
                p.executableURL = sou
                p.arguments = ["index", input, "-o", index, "--quiet", "--jobs", "2"]
                p.standardInput = FileHandle.nullDevice
                p.standardOutput = FileHandle.nullDevice
                p.standardError = FileHandle.nullDevice
                try runWithTerminationSignalsUnblocked(p)
                let deadline = Date().addingTimeInterval(120)
                var seen = false
                while p.isRunning, Date() < deadline {
                    if !temporaryFiles().isEmpty { seen = true; break }
                    usleep(1_000)
                }
                if seen { kill(p.processIdentifier, signal) }
                let stop = Date().addingTimeInterval(30)
                while p.isRunning, Date() < stop { usleep(5_000) }
                if p.isRunning { kill(p.processIdentifier, SIGKILL); Issue.record("signal \(signal) did not end sou") }
                p.waitUntilExit()
                #expect(temporaryFiles().isEmpty, "signal \(signal) left \(temporaryFiles())")
                if seen, p.terminationReason == .uncaughtSignal, p.terminationStatus == signal, contents(index) == before {
                    interrupted = true
                }
                try before.write(to: URL(fileURLWithPath: index))
                for name in temporaryFiles() { try? FileManager.default.removeItem(atPath: path(name)) }
            }
            #expect(interrupted, "no run was interrupted by signal \(signal) while writing")
        }
    }
}

// MARK: - Adversarial pass: sou tokenize reads as sou index does

extension CLIRobustnessTests {
    /// `sou` with the file at `input` as its stdin.
    func run(_ arguments: [String], stdin input: String) throws -> BoundedRun {
        let handle = try #require(FileHandle(forReadingAtPath: input))
        defer { try? handle.close() }
        return try runBounded(sou, arguments, timeout: 60, standardInput: handle)
    }

    /// Before: `--file` gave the bytes to the analyzer as they were: GBK and UTF-16 files were
    /// tokenized as garbage (with an "invalid UTF-8" warning); `-` was taken as the text (no
    /// token, exit 0).
    @Test("sou tokenize --file and - decode GBK and UTF-16 as sou index does (a note says which), and - reads stdin")
    func tokenizeDecodes() throws {
        defer { cleanUp() }
        let gbk = path("gbk.txt")
        try Data(try BadInputMatrixTests.iconv(BadInputMatrixTests.chinese, to: "GBK")).write(to: URL(fileURLWithPath: gbk))
        let wide = path("utf16.txt")
        try Data(try BadInputMatrixTests.iconv("Collective bargaining: 集体协商\n", to: "UTF-16LE")).write(to: URL(fileURLWithPath: wide))
        for (arguments, note) in [(["tokenize", "--file", gbk], "note: \(gbk): read as GB18030 (detected, confidence"),
                                  (["tokenize", "--file", wide], "note: \(wide): read as UTF-16LE (detected)")] {
            let r = try runBounded(sou, arguments, timeout: 60)
            #expect(r.exited(0), "\(arguments): \(r.err)")
            #expect(r.err.contains(note), "\(arguments): \(r.err)")
            #expect(!r.err.contains("invalid"), "\(arguments): \(r.err)")
            #expect(r.out.contains("集体") && r.out.contains("协商"), "\(arguments): \(r.out)")
        }
        for arguments in [["tokenize", "-"], ["tokenize", "--file", "-"], ["tokenize"]] {
            let r = try run(arguments, stdin: gbk)
            #expect(r.exited(0), "\(arguments): \(r.err)")
            #expect(r.err.contains("note: stdin: read as GB18030"), "\(arguments): \(r.err)")
            #expect(r.out.contains("集体") && r.out.contains("协商"), "\(arguments): \(r.out)")
        }
        // a short GBK text the detector cannot decide: the error says to use --encoding, which reads it
        let short = path("short.txt")
        try Data(try BadInputMatrixTests.iconv("工资谈判\n", to: "GBK")).write(to: URL(fileURLWithPath: short))
        let refused = try runBounded(sou, ["tokenize", "--file", short])
        #expect(refused.exited(2), "\(refused.err)")
        #expect(refused.err.contains("sou: \(short): not UTF-8") && refused.err.contains("--encoding NAME reads it"), "\(refused.err)")
        let forced = try runBounded(sou, ["tokenize", "--file", short, "--encoding", "GBK"])
        #expect(forced.exited(0) && forced.out.contains("工资"), "\(forced)")
        // damaged UTF-8 on stdin: replaced, with the warning sou index gives
        let damaged = try file("damaged.txt", "")
        try Data(Array("集体协商".utf8) + [0xFF] + Array("工资".utf8)).write(to: URL(fileURLWithPath: damaged))
        let r = try run(["tokenize", "-"], stdin: damaged)
        #expect(r.exited(0), "\(r.err)")
        #expect(r.err.contains("warning: stdin: mostly UTF-8, 1 invalid sequence replaced by U+FFFD"), "\(r.err)")
        #expect(r.out.contains("协商") && r.out.contains("工资"), "\(r.out)")
    }

    @Test("UTF-16 JSON Lines on stdin are recognized as JSON Lines (a first line longer than a read chunk included) and indexed")
    func wideJSONLinesOnStdin() throws {
        defer { cleanUp() }
        // a first line of 300,000 UTF-16 bytes: stdin's JSON Lines check sees it over several chunks
        let long = String(repeating: "工资", count: 75_000)
        let text = "{\"id\":\"a\",\"body\":\"\(long)\"}\n{\"id\":\"b\",\"body\":\"集体协商\"}\n"
        for (name, mark) in [("bom", true), ("plain", false)] {
            let input = path("\(name).jsonl")
            try Data(InputTests.encoded(text, .utf16LittleEndian, mark: mark)).write(to: URL(fileURLWithPath: input))
            let index = path("\(name).sou")
            let built = try run(["index", "-", "-o", index], stdin: input)
            #expect(built.exited(0), "\(name): \(built.err)")
            #expect(built.err.contains("note: stdin: JSON Lines in UTF-16LE, converted to UTF-8 as read"), "\(built.err)")
            #expect(built.err.contains("note: stdin: read as JSON Lines"), "\(built.err)")
            let found = try runBounded(sou, ["search", "集体协商", "-i", index, "-l"])
            #expect(found.exited(0) && found.out == "b\n", "\(name): \(found)")
        }
    }

    /// Before: `sou tokenize < /dev/zero` read without end; `--file /dev/zero` gathered it whole.
    @Test("sou tokenize of binary data (a file, a device, stdin) is an error at once (exit 2)")
    func tokenizeBinary() throws {
        defer { cleanUp() }
        let nul = path("nul.txt")
        try Data(Array("集体协商\n".utf8) + [0] + Array("工资\n".utf8)).write(to: URL(fileURLWithPath: nul))
        for (arguments, message) in [(["tokenize", "--file", "/dev/zero"], "sou: /dev/zero: binary file (NUL bytes)"),
                                     (["tokenize", "--file", nul], "sou: \(nul): binary file (NUL bytes)")] {
            let r = try runBounded(sou, arguments, timeout: 30)
            #expect(!r.timedOut, "\(arguments)")
            #expect(r.exited(2), "\(arguments): \(r.err)")
            #expect(r.err.contains(message), "\(arguments): \(r.err)")
        }
        let zero = try run(["tokenize"], stdin: "/dev/zero")
        #expect(!zero.timedOut)
        #expect(zero.exited(2), "\(zero.err)")
        #expect(zero.err.contains("sou: stdin: binary data (a NUL byte at byte 0, and not UTF-16/32 text)"), "\(zero.err)")
    }

    /// Before: "cannot read X" and nothing more.
    @Test("sou tokenize --file and sou delete --keys-from say why they cannot read a folder, a missing or an unreadable file")
    func unreadableReasons() throws {
        defer { cleanUp() }
        let index = path("x.sou")
        try writeIndexFile([("a", "", "集体协商")], to: URL(fileURLWithPath: index))
        let missing = path("nope.txt")
        let locked = try file("locked.txt", "a\n")
        chmod(locked, 0)
        defer { chmod(locked, 0o644) }
        var cases: [([String], String)] = [
            (["tokenize", "--file", folder.path], "sou: cannot read \(folder.path): a folder"),
            (["tokenize", "--file", missing], "sou: cannot open \(missing): No such file or directory"),
            (["delete", "-i", index, "--keys-from", folder.path], "sou: \(folder.path) is a folder: --keys-from needs a file of keys, one per line"),
            (["delete", "-i", index, "--keys-from", missing], "sou: cannot read \(missing): No such file or directory"),
        ]
        cases += [(["tokenize", "--file", locked], "sou: cannot open \(locked): Permission denied"),
                  (["delete", "-i", index, "--keys-from", locked], "sou: cannot read \(locked): Permission denied")]
        // root reads the locked file all the same: run as nobody when root (setpriv), else skip those
        let setpriv = "/usr/bin/setpriv"
        let asNobody = getuid() == 0 && FileManager.default.isExecutableFile(atPath: setpriv)
        for (arguments, message) in cases {
            if getuid() == 0, !asNobody, arguments.contains(locked) { continue }
            let r = asNobody
                ? try runBounded(URL(fileURLWithPath: setpriv), ["--reuid=65534", "--regid=65534", "--clear-groups", sou.path] + arguments, timeout: 30)
                : try runBounded(sou, arguments, timeout: 30)
            #expect(r.exited(2), "\(arguments): \(r.err)")
            #expect(r.err.contains(message), "\(arguments): \(r.err)")
        }
    }
}
