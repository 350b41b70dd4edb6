import Foundation
import SouTestSupport
import Testing
@testable import SouIndexing

/// What a finished `sou` run gave.
struct SouRun: CustomStringConvertible {
    var status: Int32
    var out: String
    var err: String
    var description: String { "exit \(status)\nstdout: \(out)\nstderr: \(err)" }
}

/// Runs `sou` to completion (killed after `timeout` seconds: a hung run fails instead of hanging
/// the suite), in `folder` when given, with `input` on stdin, without SOU_INDEX in its
/// environment (plus `environment`).
func runSouBounded(_ sou: URL, _ arguments: [String], in folder: URL? = nil, input: Data? = nil, timeout: Double = 120,
                   environment: [String: String] = [:]) throws -> SouRun {
    let p = try startSou(sou, arguments, in: folder, input: input, environment: environment)
    return try p.finish(timeout: timeout)
}

/// A `sou` process started in the background; ``finish(timeout:)`` waits for it (or kills it).
final class SouProcess: @unchecked Sendable {
    let process = Process()
    private let out = Pipe(), err = Pipe()
    private var outData = Data(), errData = Data()
    private let readers = DispatchGroup()

    init(_ sou: URL, _ arguments: [String], in folder: URL?, input: Data?, environment extra: [String: String] = [:]) throws {
        // a child that exits before reading its stdin must not kill the test runner with SIGPIPE
        signal(SIGPIPE, SIG_IGN)
        process.executableURL = sou
        process.arguments = arguments
        if let folder { process.currentDirectoryURL = folder }
        var environment = ProcessInfo.processInfo.environment
        environment["SOU_INDEX"] = nil
        environment.merge(extra) { $1 }
        process.environment = environment
        process.standardOutput = out
        process.standardError = err
        let stdin = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        try process.run()
        // read both pipes concurrently: a child that fills one while we block on the other would hang
        for (pipe, isOut) in [(out, true), (err, false)] {
            readers.enter()
            onOwnThread {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                if isOut { self.outData = data } else { self.errData = data }
                self.readers.leave()
            }
        }
        if let input {
            // its own thread (see onOwnThread); a child killed before reading it all makes the
            // write fail, which `write(contentsOf:)` reports instead of trapping
            onOwnThread {
                try? stdin.fileHandleForWriting.write(contentsOf: input)
                try? stdin.fileHandleForWriting.close()
            }
        }
    }

    var isRunning: Bool { process.isRunning }

    /// Waits for the process; kills it (and records an issue) when it outlives `timeout` seconds.
    func finish(timeout: Double) throws -> SouRun {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            Issue.record("sou \(process.arguments ?? []) still running after \(timeout) s: killed")
        }
        process.waitUntilExit()
        _ = readers.wait(timeout: .now() + 10)
        return SouRun(status: process.terminationStatus, out: String(decoding: outData, as: UTF8.self),
                      err: String(decoding: errData, as: UTF8.self))
    }

    /// Ends the process if it still runs (for cleanup after a failed expectation).
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

func startSou(_ sou: URL, _ arguments: [String], in folder: URL? = nil, input: Data? = nil,
              environment: [String: String] = [:]) throws -> SouProcess {
    try SouProcess(sou, arguments, in: folder, input: input, environment: environment)
}

/// `sou index`, `add`, `delete`, `merge`, `stats`, `check` and the bundled corpus refresh, through
/// the executable: a living index brought up to date run after run.
@Suite("The sou executable keeps an index up to date", .serialized)
struct UpdateCLITests {
    /// A scratch folder with the `sou` executable at hand.
    struct Scratch {
        let sou: URL
        let folder: URL
        var index: String { folder.appendingPathComponent("x.sou").path }

        init() throws {
            sou = try #require(souExecutable(), "the sou executable is not built next to the tests")
            folder = try temporaryFolder()
        }

        func path(_ relative: String) -> String { folder.appendingPathComponent(relative).path }

        /// Writes `text` at `relative` with a modification time `age` seconds in the past (every
        /// file gets a distinct, settled time: a change is never hidden by a coarse clock).
        func put(_ relative: String, _ text: String, age: Double = 1000) throws {
            let p = path(relative)
            try write(text, to: p)
            try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-age)], ofItemAtPath: p)
        }

        func run(_ arguments: [String], input: Data? = nil, timeout: Double = 120) throws -> SouRun {
            try runSouBounded(sou, arguments, in: folder, input: input, timeout: timeout)
        }

        /// Keys are the paths given to `sou index` (absolute here): `relative(key)` is the part
        /// after this scratch folder, e.g. `docs/b1.txt`.
        func relative(_ key: some StringProtocol) -> String {
            let prefix = folder.path + "/"
            return key.hasPrefix(prefix) ? String(key.dropFirst(prefix.count)) : String(key)
        }

        /// The keys `sou search -l` lists for `query` (all of them), relative to the scratch folder.
        func keys(_ query: String) throws -> Set<String> {
            let r = try run(["search", "-i", index, "-l", "-n", "100000", query])
            #expect(r.status == 0 || r.status == 1, "search \(query): \(r)")
            return Set(r.out.split(separator: "\n").map { relative($0) })
        }

        /// `sou search --json` hits: (key, score) in rank order.
        func hits(_ query: String) throws -> [(key: String, score: Double)] {
            let r = try run(["search", "-i", index, "--json", "-n", "100000", query])
            #expect(r.status == 0 || r.status == 1, "search \(query): \(r)")
            return try r.out.split(separator: "\n").map { line in
                let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                return (relative(try #require(o["key"] as? String)), try #require(o["score"] as? Double))
            }
        }

        /// `sou stats --json`.
        func stats() throws -> [String: Any] {
            let r = try run(["stats", index, "--json"])
            #expect(r.status == 0, "stats: \(r)")
            return try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        }

        /// `sou check` passes.
        func expectCheck(_ context: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let r = try run(["check", index])
            #expect(r.status == 0 && r.out.hasPrefix("ok"), "check after \(context): \(r)", sourceLocation: sourceLocation)
        }

        func bytes() throws -> Data { try Data(contentsOf: URL(fileURLWithPath: index)) }

        func remove() { try? FileManager.default.removeItem(at: folder) }
    }

    /// Six text files in `docs/`, each with one word of its own and the shared word "common".
    static let words = ["alphaword", "bravoword", "charlieword", "deltaword", "echoword", "foxtrotword"]

    static func makeDocs(_ s: Scratch) throws {
        for (i, w) in words.enumerated() {
            try s.put("docs/\(Character(UnicodeScalar(UInt8(97 + i))))\(i).txt", "文档\(i) \(w) common 集体协商\n", age: 2000 - Double(i))
        }
    }

    @Test("searches in other processes while a writer commits and merges answer from a complete commit, never fail")
    func readerProcessesDuringWrites() throws {
        let s = try Scratch()
        defer { try? FileManager.default.removeItem(at: s.folder) }
        var options = IndexWriterOptions()
        options.memoryBudget = 32 << 10
        options.mergeFactor = 3
        let writer = try IndexWriter(path: s.index, options: options)
        // every commit holds documents 0..<n, each containing the marker once: a search's count
        // must be the n of some commit
        try writer.add(key: "0", text: "集体协商 第0号")
        try writer.commit()
        var committed: Set<Int> = [1]
        let done = ManagedFlag()
        let lock = NSLock()
        final class Results: @unchecked Sendable {   // guarded by `lock`
            var counts: [Int] = []
            var failures: [String] = []
        }
        let results = Results()
        let searcher = Thread {
            while !done.isSet {
                guard let r = try? runSouBounded(s.sou, ["search", "-i", s.index, "-c", "集体协商"], timeout: 60) else { continue }
                lock.lock()
                if r.status == 0, let n = Int(r.out.trimmingCharacters(in: .whitespacesAndNewlines)) {
                    results.counts.append(n)
                } else {
                    results.failures.append(r.description)
                }
                lock.unlock()
            }
        }
        searcher.start()
        // keep committing (and now and then merging) until the searcher has run a dozen times
        let start = Date()
        var n = 1
        func searches() -> Int { lock.lock(); defer { lock.unlock() }; return results.counts.count + results.failures.count }
        while n < 120 || (searches() < 12 && Date().timeIntervalSince(start) < 60) {
            try writer.add(key: "\(n)", text: "集体协商 第\(n)号 " + String(repeating: "工会职工代表大会 ", count: n % 7))
            n += 1
            if n % 4 == 0 {
                try writer.commit()
                lock.lock(); committed.insert(n); lock.unlock()
                Thread.sleep(forTimeInterval: 0.02)
            }
            if n % 40 == 0 { try writer.merge(maxSegments: 1); lock.lock(); committed.insert(n); lock.unlock() }
        }
        try writer.commit()
        lock.lock(); committed.insert(n); lock.unlock()
        Thread.sleep(forTimeInterval: 0.5)
        done.set()
        while searcher.isExecuting { Thread.sleep(forTimeInterval: 0.05) }
        lock.lock(); defer { lock.unlock() }
        #expect(results.failures.isEmpty, "\(results.failures.prefix(3))")
        #expect(results.counts.count >= 12)
        for n in results.counts { #expect(committed.contains(n), "a search counted \(n): not the size of any commit") }
    }

    @Test("sou index walks the folders while it parses its command line: used when the parsed paths and options list the same files, whatever their order; forms it does not read walk after parsing; the files indexed are those the options select either way")
    func earlyWalk() throws {
        let s = try Scratch()
        defer { try? FileManager.default.removeItem(at: s.folder) }
        try s.put("docs/a.md", "集体协商 一")
        try s.put("docs/b.txt", "集体协商 二")
        try s.put("docs/.hidden/c.txt", "集体协商 三")
        try s.put("docs/sub/d.md", "集体协商 四")
        #expect(symlink(s.path("nowhere"), s.path("docs/gone.txt")) == 0)
        // (arguments, walked before parsing, the files indexed)
        let cases: [([String], Bool, Set<String>)] = [
            (["index", "docs", "-o", s.index], true, ["docs/a.md", "docs/b.txt", "docs/sub/d.md"]),
            (["index", "-o", s.index, "--hidden", "docs"], true, ["docs/a.md", "docs/b.txt", "docs/.hidden/c.txt", "docs/sub/d.md"]),
            (["index", "docs", "-g", "*.md", "-o", s.index, "--rebuild"], true, ["docs/a.md", "docs/sub/d.md"]),
            (["index", "-T", "md", "docs", "--jobs", "1", "-o", s.index], true, ["docs/b.txt"]),
            (["index", "docs", "--glob=*.txt", "-o", s.index], false, ["docs/b.txt"]),
            (["index", "docs", "--output=" + s.index, "--type", "md"], false, ["docs/a.md", "docs/sub/d.md"]),
        ]
        for (arguments, early, want) in cases {
            let r = try runSouBounded(s.sou, arguments, in: s.folder, environment: ["SOU_INDEX_TRACE": "1"])
            #expect(r.status == 0, "\(arguments): \(r)")
            #expect(r.err.contains("list (walk started before)") == early, "\(arguments): \(r.err)")
            // the walk's warning, once
            #expect(r.err.components(separatedBy: "gone.txt: a symbolic link to nothing").count == 2, "\(arguments): \(r.err)")
            #expect(try s.keys("集体协商") == want, "\(arguments)")
        }
        // a refused output or a usage error: an error at once, the walk not waited for or used
        for arguments in [["index", "docs", "-o", s.path("docs")], ["index", "docs", "-o", s.index, "--jobs", "0"]] {
            let r = try s.run(arguments)
            #expect(r.status == 2 && !r.err.contains("gone.txt"), "\(arguments): \(r)")
        }
    }

    @Test("a build that fills its memory buffer more than once writes a segment each time and its summary says how many; a build that fits writes one")
    func summaryCountsSegments() throws {
        let s = try Scratch()
        defer { s.remove() }
        try s.put("docs.jsonl", Self.bufferFillingLines())
        let small = try s.run(["index", s.path("docs.jsonl"), "-o", s.index, "--memory", "1"])
        #expect(small.status == 0, "\(small)")
        let segments = try #require((try s.stats()["segments"] as? [Any])?.count)
        #expect(segments >= 2, "a 1 MB buffer held ~2.4 MB of text in one segment")
        #expect(small.err.contains(" terms in \(segments) segments, "), "\(small)")
        try s.expectCheck("the build in segments")
        let whole = try s.run(["index", "--rebuild", s.path("docs.jsonl"), "-o", s.index])
        #expect(whole.status == 0, "\(whole)")
        #expect((try s.stats()["segments"] as? [Any])?.count == 1, "the default buffer holds 2.4 MB of text")
        #expect(!whole.err.contains(" segments, ") && whole.err.contains(" terms, "), "\(whole)")
    }

    /// ~2.4 MB of JSON Lines: 1,200 documents (keys `d0`…) of 650 Han characters each, drawn
    /// from 43 (a small vocabulary, as real text has: the buffer grows with the text, not with new
    /// terms). More than a 1 MB buffer holds, less than the default one.
    static func bufferFillingLines() -> String {
        let characters = Array("集体协商工资职工代表会议企业劳动合同保险社会福利住房公积金休假加班培训安全生产管理制度")
        var state: UInt32 = 12345
        var lines = ""
        for i in 0..<1200 {
            var body = ""
            for _ in 0..<650 {
                state = state &* 1_103_515_245 &+ 12345
                body.append(characters[Int(state >> 16) % characters.count])
            }
            lines += "{\"id\":\"d\(i)\",\"body\":\"\(body)\"}\n"
        }
        return lines
    }

    /// Before: `sou add` had no --memory ("Unknown option '--memory'"), so an add buffered all
    /// its documents in memory (80 MB) whatever their size.
    @Test("sou add --memory MB bounds its buffer as sou index does: an add that fills it more than once writes a segment each time; one that fits writes one")
    func addMemoryBudget() throws {
        let s = try Scratch()
        defer { s.remove() }
        try s.put("docs.jsonl", Self.bufferFillingLines())
        try s.put("first.txt", "工会 集体协商\n")
        let first = try s.run(["index", s.path("first.txt"), "-o", s.index, "--quiet"])
        #expect(first.status == 0, "\(first)")
        #expect((try s.stats()["segments"] as? [Any])?.count == 1)
        let small = try s.run(["add", "-i", s.index, s.path("docs.jsonl"), "--memory", "1"])
        #expect(small.status == 0, "\(small)")
        #expect(small.err.contains(": added 1200, replaced 0 "), "\(small)")
        let segments = try #require((try s.stats()["segments"] as? [Any])?.count)
        #expect(segments >= 3, "a 1 MB buffer held ~2.4 MB of text in one new segment")
        try s.expectCheck("an add in segments")
        #expect(try s.stats()["documents"] as? Int == 1201)
        // the default buffer holds it all: one new segment
        try FileManager.default.removeItem(atPath: s.index)
        #expect(try s.run(["index", s.path("first.txt"), "-o", s.index, "--quiet"]).status == 0)
        let whole = try s.run(["add", "-i", s.index, s.path("docs.jsonl")])
        #expect(whole.status == 0, "\(whole)")
        #expect((try s.stats()["segments"] as? [Any])?.count == 2, "the default buffer holds 2.4 MB of text")
        // as sou index's, a budget out of range is an error
        let zero = try s.run(["add", "-i", s.index, s.path("first.txt"), "--memory", "0"])
        #expect(zero.status == 2 && zero.err.contains("--memory must be between 1 and 1048576 MB (got 0)"), "\(zero)")
    }

    @Test("a second sou index run adds, replaces and deletes exactly what changed; a third run with nothing changed writes nothing")
    func folderUpdate() throws {
        let s = try Scratch()
        defer { s.remove() }
        try Self.makeDocs(s)
        let first = try s.run(["index", s.path("docs"), "-o", s.index])
        #expect(first.status == 0, "\(first)")
        #expect(first.err.contains("indexed 6 documents"), "\(first)")
        #expect(try s.keys("common").count == 6)
        try s.expectCheck("the first build")

        // b1.txt changes (bravoword → changedword), g6.txt is new, c2.txt is gone
        try s.put("docs/b1.txt", "文档1 changedword common 工资\n", age: 10)
        try s.put("docs/g6.txt", "文档6 newfileword common\n", age: 9)
        try FileManager.default.removeItem(atPath: s.path("docs/c2.txt"))
        let second = try s.run(["index", s.path("docs"), "-o", s.index])
        #expect(second.status == 0, "\(second)")
        #expect(second.err.contains("updated \(s.index): added 1, replaced 1, deleted 1, unchanged 4 "), "\(second)")
        #expect(second.err.contains("read 2 files"), "\(second)")
        #expect(second.err.contains("; 6 documents"), "\(second)")
        #expect(try s.keys("changedword") == ["docs/b1.txt"])
        #expect(try s.keys("bravoword").isEmpty, "the old text of the changed file is still found")
        #expect(try s.keys("newfileword") == ["docs/g6.txt"])
        #expect(try s.keys("charlieword").isEmpty, "the deleted file is still found")
        #expect(try s.keys("common") == ["docs/a0.txt", "docs/b1.txt", "docs/d3.txt", "docs/e4.txt", "docs/f5.txt", "docs/g6.txt"])
        #expect(try s.keys("集体协商") == ["docs/a0.txt", "docs/d3.txt", "docs/e4.txt", "docs/f5.txt"])
        let stats = try s.stats()
        #expect(stats["documents"] as? Int == 6)
        #expect(stats["deletedDocuments"] as? Int == 2, "b1's old version and c2 are deleted in their segment")
        #expect((stats["segments"] as? [Any])?.count == 2)
        #expect(stats["generation"] as? Int == 2)
        try s.expectCheck("the update")

        // nothing changed: nothing written, counts all zero
        let before = try s.bytes()
        let third = try s.run(["index", s.path("docs"), "-o", s.index, "--json"])
        #expect(third.status == 0, "\(third)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(third.out.utf8)) as? [String: Any])
        #expect(summary["added"] as? Int == 0)
        #expect(summary["replaced"] as? Int == 0)
        #expect(summary["deleted"] as? Int == 0)
        #expect(summary["unchanged"] as? Int == 6)
        #expect(summary["unchangedFiles"] as? Int == 6)
        #expect(summary["files"] as? Int == 0, "unchanged files were read again")
        #expect(summary["rebuilt"] as? Bool == false)
        #expect(try s.bytes() == before, "a run with nothing to do changed the file")
        let quiet = try s.run(["index", s.path("docs"), "-o", s.index])
        #expect(quiet.err.contains("added 0, replaced 0, deleted 0, unchanged 6"), "\(quiet)")
        #expect(try s.bytes() == before)
        try s.expectCheck("a run with nothing to do")
    }

    @Test("a changed JSON Lines file: edited lines replace their documents, removed keys are deleted, new keys are added")
    func jsonLinesUpdate() throws {
        let s = try Scratch()
        defer { s.remove() }
        try Self.makeDocs(s)
        func line(_ id: Int, _ body: String) -> String { "{\"id\":\"\(id)\",\"title\":\"t\(id)\",\"body\":\"\(body)\"}\n" }
        try s.put("docs/data.jsonl", (1...6).map { line($0, "line\($0)word 协商\($0)") }.joined(), age: 500)
        let first = try s.run(["index", s.path("docs"), "-o", s.index])
        #expect(first.status == 0, "\(first)")
        #expect(try s.keys("协商").count == 6 + 6)
        // lines 1 and 2 edited, 3 and 4 removed, 5 and 6 kept, 7 and 8 added
        try s.put("docs/data.jsonl", line(1, "editedonelineword") + line(2, "editedtwolineword 协商")
                  + line(5, "line5word 协商5") + line(6, "line6word 协商6") + line(7, "line7word") + line(8, "line8word 协商"), age: 5)
        let second = try s.run(["index", s.path("docs"), "-o", s.index, "--json"])
        #expect(second.status == 0, "\(second)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(second.out.utf8)) as? [String: Any])
        // every line of a changed file is read again: 1, 2, 5, 6 replace their documents
        #expect(summary["replaced"] as? Int == 4, "\(second)")
        #expect(summary["added"] as? Int == 2, "\(second)")
        #expect(summary["deleted"] as? Int == 2, "\(second)")
        #expect(summary["unchanged"] as? Int == 6, "\(second)")
        #expect(summary["unchangedFiles"] as? Int == 6, "\(second)")
        #expect(summary["documents"] as? Int == 12, "\(second)")
        #expect(try s.keys("line1word").isEmpty)
        #expect(try s.keys("editedonelineword") == ["docs/data.jsonl#1"])
        #expect(try s.keys("line3word").isEmpty, "a removed key is still found")
        #expect(try s.keys("line4word").isEmpty, "a removed key is still found")
        #expect(try s.keys("line7word") == ["docs/data.jsonl#7"])
        #expect(try s.keys("line5word") == ["docs/data.jsonl#5"])
        #expect(try s.keys("协商").subtracting(Self.words.indices.map { "docs/\(Character(UnicodeScalar(UInt8(97 + $0))))\($0).txt" })
                == ["docs/data.jsonl#2", "docs/data.jsonl#5", "docs/data.jsonl#6", "docs/data.jsonl#8"])
        let stats = try s.stats()
        #expect(stats["documents"] as? Int == 12)
        try s.expectCheck("the JSON Lines update")
        // the removed keys are gone for good: deleting them finds nothing
        let gone = try s.run(["delete", "-i", s.index, s.path("docs/data.jsonl#3"), s.path("docs/data.jsonl#4")])
        #expect(gone.status == 1, "\(gone)")
    }

    @Test("a moved folder's documents take their new paths as keys (none lost, none left under the old ones); a JSON line moved to another file keeps its key: keys read again are replaced, not deleted")
    func movedKeysAreKept() throws {
        let s = try Scratch()
        defer { s.remove() }
        try Self.makeDocs(s)
        #expect(try s.run(["index", s.path("docs"), "-o", s.index]).status == 0)
        try FileManager.default.moveItem(atPath: s.path("docs"), toPath: s.path("moved"))
        let moved = try s.run(["index", s.path("moved"), "-o", s.index])
        #expect(moved.status == 0, "\(moved)")
        #expect(moved.err.contains("added 6, replaced 0, deleted 6, unchanged 0"), "\(moved)")
        #expect(moved.err.contains("; 6 documents"), "\(moved)")
        #expect(try s.keys("common") == Set(["a0", "b1", "c2", "d3", "e4", "f5"].map { "moved/\($0).txt" }), "moving the folder lost documents")
        try s.expectCheck("a moved folder")

        // two JSON Lines files named on the command line: keys are the bare ids
        func line(_ id: String, _ body: String) -> String { "{\"id\":\"\(id)\",\"body\":\"\(body)\"}\n" }
        try s.put("one.jsonl", line("k1", "firstkeyword") + line("k2", "secondkeyword"), age: 100)
        try s.put("two.jsonl", line("k3", "thirdkeyword"), age: 100)
        let lines = s.path("lines.sou")
        #expect(try s.run(["index", s.path("one.jsonl"), s.path("two.jsonl"), "-o", lines]).status == 0)
        // k2 moves from one.jsonl to two.jsonl
        try s.put("one.jsonl", line("k1", "firstkeyword"), age: 10)
        try s.put("two.jsonl", line("k3", "thirdkeyword") + line("k2", "movedkeyword"), age: 10)
        let update = try s.run(["index", s.path("one.jsonl"), s.path("two.jsonl"), "-o", lines, "--json"])
        #expect(update.status == 0, "\(update)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(update.out.utf8)) as? [String: Any])
        #expect(summary["documents"] as? Int == 3, "\(update)")
        #expect(summary["deleted"] as? Int == 0, "\(update)")
        #expect(summary["replaced"] as? Int == 3, "\(update)")
        let found = try runSouBounded(s.sou, ["search", "-i", lines, "-l", "movedkeyword"])
        #expect(found.out == "k2\n", "\(found)")
        let old = try runSouBounded(s.sou, ["search", "-i", lines, "-l", "secondkeyword"])
        #expect(old.status == 1, "\(old)")
    }

    @Test("--rebuild builds anew; other analyzer or storage options without --rebuild exit 2 naming --rebuild and leave the file alone")
    func rebuildAndOptionMismatch() throws {
        let s = try Scratch()
        defer { s.remove() }
        try Self.makeDocs(s)
        #expect(try s.run(["index", s.path("docs"), "-o", s.index]).status == 0)
        try s.put("docs/b1.txt", "文档1 changedword\n", age: 10)
        #expect(try s.run(["index", s.path("docs"), "-o", s.index]).status == 0)
        #expect(try s.stats()["generation"] as? Int == 2)

        let rebuilt = try s.run(["index", s.path("docs"), "-o", s.index, "--rebuild"])
        #expect(rebuilt.status == 0, "\(rebuilt)")
        #expect(rebuilt.err.contains("indexed 6 documents"), "\(rebuilt)")
        let stats = try s.stats()
        #expect((stats["segments"] as? [Any])?.count == 1)
        #expect(stats["deletedDocuments"] as? Int == 0)
        #expect(stats["generation"] as? Int == 1, "a rebuild starts a new history")
        #expect(try s.keys("changedword") == ["docs/b1.txt"])
        try s.expectCheck("--rebuild")

        let before = try s.bytes()
        for option in ["--fold-variants", "--no-store", "--no-join-lines"] {
            let r = try s.run(["index", s.path("docs"), "-o", s.index, option])
            #expect(r.status == 2, "\(option): \(r)")
            #expect(r.err.contains("--rebuild"), "\(option): \(r)")
            #expect(try s.bytes() == before, "\(option) changed the file")
        }
        // with --rebuild the new options take effect
        let changed = try s.run(["index", s.path("docs"), "-o", s.index, "--no-store", "--rebuild"])
        #expect(changed.status == 0, "\(changed)")
        #expect(try s.stats()["storesText"] as? Bool == false)
        try s.expectCheck("--no-store --rebuild")
        // and the stored options are what a plain update must now match
        let plain = try s.run(["index", s.path("docs"), "-o", s.index])
        #expect(plain.status == 2 && plain.err.contains("--rebuild"), "\(plain)")
    }

    @Test("sou add upserts from files and from JSON Lines on stdin: existing keys replaced, new keys added, nothing deleted")
    func addUpserts() throws {
        let s = try Scratch()
        defer { s.remove() }
        try Self.makeDocs(s)
        #expect(try s.run(["index", s.path("docs"), "-o", s.index]).status == 0)
        // docs/a0.txt changed (named on its own, its key is the same path), and a folder with a new file
        try s.put("docs/a0.txt", "替换 replacedalphaword\n")
        try s.put("more/h7.txt", "新的 hotelword common\n")
        let added = try s.run(["add", "-i", s.index, s.path("docs/a0.txt"), s.path("more")])
        #expect(added.status == 0, "\(added)")
        #expect(added.err.contains("added 1, replaced 1"), "\(added)")
        #expect(added.err.contains("; 7 documents"), "\(added)")
        #expect(try s.keys("alphaword").isEmpty, "the replaced document's old text is still found")
        #expect(try s.keys("replacedalphaword") == ["docs/a0.txt"])
        #expect(try s.keys("hotelword") == ["more/h7.txt"])
        #expect(try s.keys("common").count == 6, "a0 lost common, h7 brought it")
        try s.expectCheck("sou add of a folder")

        let jsonl = "{\"id\":\"\(s.path("docs/b1.txt"))\",\"body\":\"stdinbravoword\"}\n{\"id\":\"s1\",\"title\":\"new\",\"body\":\"stdinnewword common\"}\n"
        let fromStdin = try s.run(["add", "-i", s.index, "-"], input: Data(jsonl.utf8))
        #expect(fromStdin.status == 0, "\(fromStdin)")
        #expect(fromStdin.err.contains("added 1, replaced 1"), "\(fromStdin)")
        #expect(try s.keys("bravoword").isEmpty)
        #expect(try s.keys("stdinbravoword") == ["docs/b1.txt"])
        #expect(try s.keys("stdinnewword") == ["s1"])
        let stats = try s.stats()
        #expect(stats["documents"] as? Int == 8, "nothing may be deleted by add")
        #expect(stats["deletedDocuments"] as? Int == 2)
        #expect(try s.keys("common") == ["docs/c2.txt", "docs/d3.txt", "docs/e4.txt", "docs/f5.txt", "more/h7.txt", "s1"])
        try s.expectCheck("sou add from stdin")

        // a new index is created by add
        let fresh = s.path("new.sou")
        let created = try s.run(["add", "-i", fresh, "-"], input: Data(jsonl.utf8))
        #expect(created.status == 0, "\(created)")
        #expect(try IndexReader(path: fresh).documentCount == 2)
        // no documents read: exit 2
        let empty = try s.run(["add", "-i", s.index, "-"], input: Data())
        #expect(empty.status == 2, "\(empty)")
        #expect(try s.stats()["documents"] as? Int == 8)
    }

    @Test("sou index mirrors its paths after sou add and sou delete: added strays are deleted, files whose documents were replaced or deleted are read again")
    func indexAfterAddAndDelete() throws {
        let s = try Scratch()
        defer { s.remove() }
        try Self.makeDocs(s)
        #expect(try s.run(["index", s.path("docs"), "-o", s.index]).status == 0)
        // b1.txt's document replaced and a stray s1 added through stdin; c2.txt's deleted
        let jsonl = "{\"id\":\"\(s.path("docs/b1.txt"))\",\"body\":\"strayreplacementword\"}\n{\"id\":\"s1\",\"body\":\"strayword common\"}\n"
        #expect(try s.run(["add", "-i", s.index, "-"], input: Data(jsonl.utf8)).status == 0)
        #expect(try s.run(["delete", "-i", s.index, s.path("docs/c2.txt")]).status == 0)
        #expect(try s.keys("strayword") == ["s1"])
        #expect(try s.keys("charlieword").isEmpty)

        // nothing changed on disk, yet the index no longer mirrors docs/: b1 and c2 read again, s1 deleted
        let update = try s.run(["index", s.path("docs"), "-o", s.index, "--json"])
        #expect(update.status == 0, "\(update)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(update.out.utf8)) as? [String: Any])
        #expect(summary["files"] as? Int == 2, "\(update)")
        #expect(summary["replaced"] as? Int == 1, "\(update)")
        #expect(summary["added"] as? Int == 1, "\(update)")
        #expect(summary["deleted"] as? Int == 1, "\(update)")
        #expect(summary["unchanged"] as? Int == 4, "\(update)")
        #expect(summary["documents"] as? Int == 6, "\(update)")
        #expect(try s.keys("strayword").isEmpty, "a document added by sou add survives sou index")
        #expect(try s.keys("strayreplacementword").isEmpty)
        #expect(try s.keys("bravoword") == ["docs/b1.txt"])
        #expect(try s.keys("charlieword") == ["docs/c2.txt"])
        #expect(try s.keys("common").count == 6)
        try s.expectCheck("sou index after add and delete")

        // and then it is stable: nothing read, nothing written
        let before = try s.bytes()
        let again = try s.run(["index", s.path("docs"), "-o", s.index])
        #expect(again.err.contains("added 0, replaced 0, deleted 0, unchanged 6"), "\(again)")
        #expect(try s.bytes() == before)
    }

    @Test("sou delete takes keys as arguments, from a file and from stdin; reports unknown keys; exits 1 only when none was found")
    func deleteKeys() throws {
        let s = try Scratch()
        defer { s.remove() }
        try Self.makeDocs(s)
        #expect(try s.run(["index", s.path("docs"), "-o", s.index]).status == 0)

        let byArgument = try s.run(["delete", "-i", s.index, s.path("docs/a0.txt"), "nosuchkey"])
        #expect(byArgument.status == 0, "\(byArgument)")
        #expect(byArgument.err.contains("not in the index: nosuchkey"), "\(byArgument)")
        #expect(byArgument.err.contains("deleted 1, not found 1"), "\(byArgument)")
        #expect(try s.keys("alphaword").isEmpty)
        #expect(try s.stats()["deletedDocuments"] as? Int == 1)
        try s.expectCheck("delete by argument")

        try write("\(s.path("docs/b1.txt"))\r\n\(s.path("docs/c2.txt"))\n\nmissing-one\n", to: s.path("keys.txt"))
        let fromFile = try s.run(["delete", "-i", s.index, "--keys-from", s.path("keys.txt")])
        #expect(fromFile.status == 0, "\(fromFile)")
        #expect(fromFile.err.contains("not in the index: missing-one"), "\(fromFile)")
        #expect(fromFile.err.contains("deleted 2, not found 1"), "\(fromFile)")
        #expect(try s.keys("bravoword").isEmpty && s.keys("charlieword").isEmpty)
        #expect(try s.stats()["deletedDocuments"] as? Int == 3)
        #expect(try s.stats()["documents"] as? Int == 3)
        try s.expectCheck("delete --keys-from FILE")

        let fromStdin = try s.run(["delete", "-i", s.index, "--keys-from", "-", s.path("docs/e4.txt")], input: Data("\(s.path("docs/d3.txt"))\n".utf8))
        #expect(fromStdin.status == 0, "\(fromStdin)")
        #expect(fromStdin.err.contains("deleted 2, not found 0"), "\(fromStdin)")
        #expect(try s.keys("common") == ["docs/f5.txt"])
        var stats = try s.stats()
        #expect(stats["documents"] as? Int == 1)
        // five of the segment's six documents deleted: the commit purged them from it
        #expect(stats["deletedDocuments"] as? Int == 0)
        #expect((stats["segments"] as? [[String: Any]])?.map { $0["documents"] as? Int } == [1])
        try s.expectCheck("delete --keys-from -")

        // nothing found: exit 1, every key reported, the file untouched
        let before = try s.bytes()
        let none = try s.run(["delete", "-i", s.index, s.path("docs/a0.txt"), "zzz"])
        #expect(none.status == 1, "\(none)")
        #expect(none.err.contains("not in the index: \(s.path("docs/a0.txt"))") && none.err.contains("not in the index: zzz"), "\(none)")
        #expect(try s.bytes() == before, "a delete that found nothing wrote to the file")
        stats = try s.stats()
        #expect(stats["documents"] as? Int == 1)
        // an index that does not exist is an error, not created
        let missing = try s.run(["delete", "-i", s.path("absent.sou"), "a"])
        #expect(missing.status == 2, "\(missing)")
        #expect(!FileManager.default.fileExists(atPath: s.path("absent.sou")))
    }

    @Test("sou delete: a key given twice is deleted once and not reported missing; a byte order mark before --keys-from's first key is dropped")
    func deleteRepeatedKeysAndBOM() throws {
        let s = try Scratch()
        defer { s.remove() }
        try Self.makeDocs(s)
        #expect(try s.run(["index", s.path("docs"), "-o", s.index]).status == 0)
        // the same key as an argument and in the file (a list of keys joined from two places)
        try write("\u{FEFF}\(s.path("docs/b1.txt"))\r\n\(s.path("docs/a0.txt"))\r\n", to: s.path("keys.txt"))
        let twice = try s.run(["delete", "-i", s.index, s.path("docs/a0.txt"), s.path("docs/a0.txt"), "--keys-from", s.path("keys.txt")])
        #expect(twice.status == 0, "\(twice)")
        #expect(!twice.err.contains("not in the index"), "\(twice)")
        #expect(twice.err.contains("deleted 2, not found 0"), "\(twice)")
        #expect(try s.keys("alphaword").isEmpty && s.keys("bravoword").isEmpty)
        try s.expectCheck("delete of a repeated key")
    }

    /// Before: `sou delete -i F -dash` printed the help and exited 0 (-d -a -s -h), deleting
    /// nothing, and `-xyz` was dropped ("give at least one key").
    @Test("sou delete: a key that starts with '-' before -- is a usage error that shows the command with it after --, which deletes it")
    func deleteKeysThatStartWithADash() throws {
        let s = try Scratch()
        defer { s.remove() }
        let lines = "{\"id\":\"-dash\",\"body\":\"dash common\"}\n{\"id\":\"-xyz\",\"body\":\"xyz common\"}\n{\"id\":\"plain\",\"body\":\"plain common\"}\n"
        #expect(try s.run(["add", "-i", s.index, "-"], input: Data(lines.utf8)).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: s.index))
        for (arguments, shown) in [
            (["-dash"], "sou delete -i \(s.index) -- -dash"),
            (["-xyz", "plain"], "sou delete -i \(s.index) plain -- -xyz"),
            (["-x"], "sou delete -i \(s.index) -- -x"),
        ] {
            let r = try s.run(["delete", "-i", s.index] + arguments)
            #expect(r.status == 2 && r.out.isEmpty && !r.out.contains("OVERVIEW") && !r.err.contains("OVERVIEW"), "\(arguments): \(r)")
            #expect(r.err.contains("a key that starts with '-' goes after --: \(shown)"), "\(arguments): \(r)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: s.index)) == before, "\(arguments) changed the index")
        }
        let fixed = try s.run(["delete", "-i", s.index, "--", "-dash", "-xyz"])
        #expect(fixed.status == 0 && fixed.err.contains("deleted 2, not found 0"), "\(fixed)")
        #expect(try s.keys("common") == ["plain"])
        // -h and --help still print the help
        #expect(try s.run(["delete", "-h"]).status == 0)
    }

    /// Before: each run read the index as one of the folder's files (it had changed: the last run
    /// wrote it), skipped it as binary and committed that, so the file grew by ~400 bytes at every
    /// run with nothing changed.
    @Test("an index written inside the folder it mirrors (sou index . -o notes.sou) is not one of its inputs: later runs with nothing changed read no file and leave it byte for byte; --verbose says why it is not read")
    func indexInsideItsOwnFolder() throws {
        let s = try Scratch()
        defer { s.remove() }
        try Self.makeDocs(s)
        let inside = s.path("docs/notes.sou")
        let first = try runSouBounded(s.sou, ["index", ".", "-o", "notes.sou"], in: URL(fileURLWithPath: s.path("docs")))
        #expect(first.status == 0 && first.err.contains("indexed 6 documents"), "\(first)")
        let built = try Data(contentsOf: URL(fileURLWithPath: inside))
        for run in 0..<3 {
            let again = try runSouBounded(s.sou, ["index", ".", "-o", "notes.sou", "--verbose"], in: URL(fileURLWithPath: s.path("docs")))
            #expect(again.status == 0 && again.err.contains("added 0, replaced 0, deleted 0, unchanged 6") && again.err.contains("(read 0 files,"),
                    "run \(run): \(again)")
            #expect(again.err.contains("./notes.sou: the index being written, not read"), "run \(run): \(again)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: inside)) == built, "run \(run) changed the index")
        }
        // a new file is still found, and the index still is not
        try s.put("docs/g6.txt", "golfword common")
        let changed = try runSouBounded(s.sou, ["index", ".", "-o", "notes.sou"], in: URL(fileURLWithPath: s.path("docs")))
        #expect(changed.status == 0 && changed.err.contains("added 1, replaced 0, deleted 0, unchanged 6") && changed.err.contains("(read 1 file,"),
                "\(changed)")
        let check = try s.run(["check", inside])
        #expect(check.status == 0 && check.out.hasPrefix("ok: 7 live documents"), "\(check)")
    }

    /// Before: "added 6, replaced 0, deleted 6" and nothing to say why every file was read again.
    @Test("sou index of the folder the last run indexed, spelled otherwise (./docs, its absolute path): a note says the files were keyed anew under the new spelling, with an example; a real change of files gets no such note")
    func respelledFolderNote() throws {
        let s = try Scratch()
        defer { s.remove() }
        try Self.makeDocs(s)
        #expect(try s.run(["index", "docs", "-o", "x.sou"]).status == 0)
        let dotted = try s.run(["index", "./docs", "-o", "x.sou"])
        #expect(dotted.status == 0 && dotted.err.contains("added 6, replaced 0, deleted 6"), "\(dotted)")
        #expect(dotted.err.contains("note: 6 files were read again under another spelling of their paths (./docs/a0.txt, which the last run named docs/a0.txt): keys are paths as given"), "\(dotted)")
        let absolute = try s.run(["index", s.path("docs"), "-o", "x.sou"])
        #expect(absolute.status == 0 && absolute.err.contains("note: 6 files were read again") && absolute.err.contains("(\(s.path("docs/a0.txt")), which the last run named ./docs/a0.txt)"), "\(absolute)")
        #expect(try s.keys("common").count == 6)
        // a file gone and another new: no note
        try FileManager.default.removeItem(atPath: s.path("docs/b1.txt"))
        try s.put("docs/z9.txt", "zuluword common")
        let changed = try s.run(["index", s.path("docs"), "-o", "x.sou"])
        #expect(changed.status == 0 && changed.err.contains("added 1, replaced 0, deleted 1") && !changed.err.contains("note:"), "\(changed)")
        // --quiet: nothing
        #expect(try s.run(["index", "docs", "-o", "x.sou", "--quiet"]).err.isEmpty)
    }

    /// Before: `sou add -i F ./docs/a0.txt` after `sou index docs -o F` added a second document
    /// for the file without a word (search then listed it twice), and `sou delete -i F
    /// ./docs/a0.txt` said only "not in the index".
    @Test("a file named by another spelling of its indexed path (./docs/a, docs//a, the absolute path): sou add warns that it is now there twice and names the indexed key, once per JSON Lines file found in a folder (PATH#ID keys), not for deleted documents; sou delete says which key the index has; JSON ids and new files are not warned of")
    func pathSpellingsOfIndexedFiles() throws {
        let s = try Scratch()
        defer { s.remove() }
        try Self.makeDocs(s)
        // keys relative to the scratch folder, where every command runs
        #expect(try s.run(["index", "docs", "-o", "x.sou"]).status == 0)
        let dotted = try s.run(["add", "-i", "x.sou", "./docs/a0.txt"])
        #expect(dotted.status == 0 && dotted.err.contains("added 1, replaced 0"), "\(dotted)")
        #expect(dotted.err.contains("warning: ./docs/a0.txt: x.sou also has docs/a0.txt, the same path from this directory"), "\(dotted)")
        #expect(try s.keys("alphaword") == ["./docs/a0.txt", "docs/a0.txt"])
        // the indexed spelling replaces, and is not warned of; nor is a new file, nor a JSON id
        try s.put("docs/new.txt", "newword common")
        let same = try s.run(["add", "-i", "x.sou", "docs/b1.txt", "docs/new.txt"])
        #expect(same.status == 0 && same.err.contains("added 1, replaced 1") && !same.err.contains("warning"), "\(same)")
        let json = try s.run(["add", "-i", "x.sou", "-"], input: Data("{\"id\":\"./docs/c2.txt\",\"body\":\"jsonword\"}\n".utf8))
        #expect(json.status == 0 && !json.err.contains("warning"), "\(json)")
        // the absolute path of a folder: one warning per file, three by name, then how many more
        let absolute = try s.run(["add", "-i", "x.sou", s.path("docs")])
        #expect(absolute.status == 0 && absolute.err.contains("added 7, replaced 0"), "\(absolute)")
        #expect(absolute.err.components(separatedBy: "the same path from this directory").count == 4, "\(absolute)")
        #expect(absolute.err.contains("warning: \(s.path("docs/a0.txt")): x.sou also has docs/a0.txt"), "\(absolute)")
        #expect(absolute.err.contains("warning: 4 more added files are in x.sou under another spelling of their paths too"), "\(absolute)")
        // a JSON Lines file found in a folder: its documents are keyed PATH#ID, checked once per file
        try s.put("lines/l.jsonl", "{\"id\":\"1\",\"body\":\"lineword common\"}\n{\"id\":\"2\",\"body\":\"lineword two\"}\n")
        #expect(try s.run(["add", "-i", "x.sou", "lines"]).status == 0)
        let lines = try s.run(["add", "-i", "x.sou", "./lines"])
        #expect(lines.status == 0 && lines.err.contains("added 2, replaced 0"), "\(lines)")
        #expect(lines.err.contains("warning: ./lines/l.jsonl#…: x.sou also has lines/l.jsonl#…, the same path from this directory")
                && lines.err.contains("so its documents may be in it twice now"), "\(lines)")
        #expect(lines.err.components(separatedBy: "warning:").count == 2, "one warning for the file: \(lines)")
        // once those are deleted, the other spelling is no longer warned of
        #expect(try s.run(["delete", "-i", "x.sou", "lines/l.jsonl#1", "lines/l.jsonl#2"]).status == 0)
        let again = try s.run(["add", "-i", "x.sou", "./lines"])
        #expect(again.status == 0 && again.err.contains("added 0, replaced 2") && !again.err.contains("warning"), "\(again)")
        // sou delete: the spelling the index has; an unknown key is only "not in the index"
        let delete = try s.run(["delete", "-i", "x.sou", "docs//d3.txt", "nosuchkey"])
        #expect(delete.status == 1, "\(delete)")
        #expect(delete.err.contains("not in the index: docs//d3.txt (the index has this path as docs/d3.txt: keys are paths as they were indexed)"), "\(delete)")
        #expect(delete.err.contains("not in the index: nosuchkey\n"), "\(delete)")
        // sou show too
        let show = try s.run(["show", "-i", "x.sou", "./docs/e4.txt"])
        #expect(show.status == 1 && show.out.isEmpty
                && show.err == "sou: no document has the key ./docs/e4.txt in x.sou; it has this path as docs/e4.txt (keys are paths as they were indexed)\n", "\(show)")
        try s.expectCheck("adds under other spellings")
    }

    /// Before: "added 1, replaced 2 … 1 documents" on a new index, and no warning.
    @Test("sou add: a key read twice in one run is a duplicate (warned, counted, the last one wins), not a replacement; counts in the singular where one")
    func addDuplicateKeysInOneRun() throws {
        let s = try Scratch()
        defer { s.remove() }
        let three = "{\"id\":\"a\",\"body\":\"一 common\"}\n{\"id\":\"a\",\"body\":\"二 common\"}\n{\"id\":\"a\",\"body\":\"三 common\"}\n"
        let first = try s.run(["add", "-i", s.index, "-"], input: Data(three.utf8))
        #expect(first.status == 0, "\(first)")
        #expect(first.err.contains("stdin:2: duplicate key \"a\"") && first.err.contains("stdin:3: duplicate key \"a\""), "\(first)")
        #expect(first.err.contains("added 1, replaced 0 (2 duplicate keys in the input: the last one read wins) in ")
                && first.err.hasSuffix("; 1 document\n"), "\(first)")
        #expect(try s.run(["show", "-i", s.index, "a"]).out == "\n三 common\n")   // (no title: an empty first line)
        let second = try s.run(["add", "-i", s.index, "-"], input: Data("{\"id\":\"a\",\"body\":\"四 common\"}\n{\"id\":\"b\",\"body\":\"五 common\"}\n".utf8))
        #expect(second.status == 0 && second.err.contains("added 1, replaced 1 in ") && second.err.hasSuffix("; 2 documents\n")
                && !second.err.contains("duplicate"), "\(second)")
    }

    /// Before: `sou check` said only "ok" for a copy whose newest commit a truncation cut off
    /// (the index silently one commit back), and for a torn commit slot or a torn tail.
    @Test("sou check notes what the file holds besides the commit it opens at: a newer commit cut off, a torn slot, bytes after the commit (still ok, exit 0); sou stats counts the last in its garbage and says so")
    func checkNotesLostCommitsAndTails() throws {
        let s = try Scratch()
        defer { s.remove() }
        #expect(try s.run(["add", "-i", s.index, "-"], input: Data("{\"id\":\"a\",\"body\":\"一二三 common\"}\n".utf8)).status == 0)
        #expect(try s.run(["add", "-i", s.index, "-"], input: Data("{\"id\":\"b\",\"body\":\"四五六 common\"}\n".utf8)).status == 0)
        let clean = try s.run(["check", s.index])
        #expect(clean.status == 0 && clean.out.hasPrefix("ok: 2 live documents, 0 deleted") && clean.err.isEmpty, "\(clean)")
        let whole = try s.bytes()
        // the newest commit cut off (a truncated copy): opens at commit 1, one document
        try whole.dropLast(10).write(to: URL(fileURLWithPath: s.index))
        let cut = try s.run(["check", s.index])
        #expect(cut.status == 0 && cut.out.hasPrefix("ok: 1 live document, 0 deleted"), "\(cut)")
        #expect(cut.err.contains("commit 2 (the slot at header byte") && cut.err.contains("it is lost, and the index opens at commit 1")
                && cut.err.contains("what is left of the lost one"), "\(cut)")
        #expect(try s.keys("common") == ["a"])
        // bytes of an interrupted write after the commit
        try (whole + Data("garbage!".utf8)).write(to: URL(fileURLWithPath: s.index))
        let tail = try s.run(["check", s.index])
        #expect(tail.status == 0 && tail.err.contains("8 bytes after commit 2 belong to no complete commit (an interrupted write)"), "\(tail)")
        // a file cut before any complete commit: an error that names the file once, for every command
        try whole.prefix(200).write(to: URL(fileURLWithPath: s.index))
        for arguments in [["add", "-i", s.index, "-"], ["delete", "-i", s.index, "a"], ["merge", s.index]] {
            let r = try s.run(arguments, input: Data("{\"id\":\"c\",\"body\":\"x\"}\n".utf8))
            #expect(r.status == 2 && r.err.contains("lies past the end of the file") && r.err.components(separatedBy: s.index).count == 2, "\(arguments): \(r)")
        }
        try (whole + Data("garbage!".utf8)).write(to: URL(fileURLWithPath: s.index))
        // and sou stats says what of its garbage they are
        let stats = try s.run(["stats", s.index])
        #expect(stats.status == 0 && stats.out.contains("; 8 bytes after the last commit, of an interrupted write, which the next writer removes)"), "\(stats)")
        // a torn slot (the older commit's: the index still opens at commit 2)
        var torn = whole
        let older = torn[torn.startIndex + 16] == 2 ? 40 : 16   // the slot of generation 1
        torn[torn.startIndex + older + 4] ^= 0xFF
        try torn.write(to: URL(fileURLWithPath: s.index))
        let slot = try s.run(["check", s.index])
        #expect(slot.status == 0 && slot.out.hasPrefix("ok: 2 live documents, 0 deleted") && slot.err.contains("the commit slot at header byte \(older) does not hold"), "\(slot)")
    }

    /// Before: with a key in a.jsonl and b.jsonl (b, read later, wins), removing b.jsonl left no
    /// document with the key (a.jsonl counted as unchanged), and editing a.jsonl made its
    /// version win for good; a fresh build has a.jsonl's, and b.jsonl's.
    @Test("one key in two input files: after the later file goes, comes back, or the earlier one changes, an update equals a fresh build (the file read last keeps the key)")
    func keyInTwoFilesFollowsAFreshBuild() throws {
        let s = try Scratch()
        defer { s.remove() }
        let a = s.path("a.jsonl"), b = s.path("b.jsonl")
        func put(_ path: String, _ lines: [(String, String)]) throws {
            try write(lines.map { "{\"id\":\"\($0.0)\",\"body\":\"\($0.1)\"}\n" }.joined(), to: path)
            // (a new modification time: past the file system's granularity)
            try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(Double.random(in: -9000 ... -10))], ofItemAtPath: path)
        }
        func expectFresh(_ context: String, _ sources: [String]) throws {
            let fresh = s.path("fresh.sou")
            #expect(try s.run(["index"] + sources + ["-o", fresh, "--rebuild", "--quiet"]).status == 0)
            for query in ["一号", "文件", "二号"] {
                let updated = try s.run(["search", "-i", s.index, "--json", "-n", "100", query])
                let built = try s.run(["search", "-i", fresh, "--json", "-n", "100", query])
                #expect(updated.out == built.out && updated.status == built.status, "\(context), \(query): \(updated.out) against \(built.out)")
            }
            try s.expectCheck(context)
        }
        try put(a, [("1", "甲文件 一号"), ("2", "甲文件 二号")])
        try put(b, [("1", "乙文件 一号")])
        #expect(try s.run(["index", a, b, "-o", s.index]).status == 0)
        try expectFresh("the first build", [a, b])
        try FileManager.default.removeItem(atPath: b)
        #expect(try s.run(["index", a, "-o", s.index]).status == 0)
        try expectFresh("the later file removed", [a])
        try put(b, [("1", "乙文件 一号")])
        #expect(try s.run(["index", a, b, "-o", s.index]).status == 0)
        try expectFresh("the later file back", [a, b])
        try put(a, [("1", "甲文件 一号 改"), ("2", "甲文件 二号")])
        let edited = try s.run(["index", a, b, "-o", s.index])
        #expect(edited.status == 0 && edited.err.contains("duplicate key \"1\": \(b), read after it, has it too and keeps it"), "\(edited)")
        try expectFresh("the earlier file edited", [a, b])
        #expect(try s.run(["index", a, b, "-o", s.index]).status == 0)
        try expectFresh("a run with nothing changed", [a, b])
        try put(b, [("3", "乙文件 三号")])
        #expect(try s.run(["index", a, b, "-o", s.index]).status == 0)
        try expectFresh("the later file without the key", [a, b])
    }

    @Test("random edits of a folder (text and JSON Lines files added, changed, touched, removed; keys shared between files; sou add and sou delete between runs): after every sou index (most of them writing a table of changes) the index answers as a fresh build of the folder, passes sou check, and a second run changes nothing")
    func randomFolderEditsFollowAFreshBuild() throws {
        let s = try Scratch()
        defer { s.remove() }
        var rng = SplitMix64(seed: 2026_12_04)
        let words = ["集体", "协商", "文件", "设定", "検索", "한국", "alpha", "beta"]
        func text() -> String { (0..<(1 + Int(rng.next() % 6))).map { _ in words[Int(rng.next() % UInt64(words.count))] }.joined(separator: " ") + "\n" }
        var age = 100_000.0
        // every write gets a distinct, settled modification time (older than now, never reused)
        func put(_ relative: String, _ content: String) throws {
            age -= 1
            try s.put(relative, content, age: age)
        }
        func jsonl() -> String {
            // ids from a small pool: the same key in two files, or twice in one
            (0..<(1 + Int(rng.next() % 4))).map { _ in "{\"id\":\"k\(rng.next() % 12)\",\"body\":\"\(text().dropLast())\"}\n" }.joined()
        }
        var files: [String] = []
        func pick() -> String? { files.isEmpty ? nil : files[Int(rng.next() % UInt64(files.count))] }
        for n in 0..<12 { let f = "docs/\(n % 3 == 0 ? "sub/" : "")t\(n).txt"; try put(f, text()); files.append(f) }
        try put("docs/a.jsonl", jsonl()); files.append("docs/a.jsonl")
        let folder = s.path("docs"), fresh = s.path("fresh.sou")
        var tablesOfChanges = 0
        for step in 0..<36 {
            let op = step == 0 ? 99 : rng.next() % 9
            var what = "first build"
            switch op {
            case 0, 1:
                let f = "docs/\(rng.next() % 2 == 0 ? "sub/" : "")\(rng.next() % 3 == 0 ? "n\(step).jsonl" : "n\(step).txt")"
                try put(f, f.hasSuffix(".jsonl") ? jsonl() : text()); files.append(f); what = "added \(f)"
            case 2, 3:
                if let f = pick() { try put(f, f.hasSuffix(".jsonl") ? jsonl() : text()); what = "rewrote \(f)" }
            case 4:
                if let f = pick() {
                    // the same bytes, a new modification time: read again, the same documents
                    let content = try String(contentsOfFile: s.path(f), encoding: .utf8)
                    try put(f, content); what = "touched \(f)"
                }
            case 5, 6:
                if let f = pick(), files.count > 2 { try FileManager.default.removeItem(atPath: s.path(f)); files.removeAll { $0 == f }; what = "removed \(f)" }
            case 7:
                let r = try s.run(["add", "-i", s.index, "-"], input: Data("{\"id\":\"stray\(step)\",\"body\":\"集体协商 stray\"}\n".utf8))
                #expect(r.status == 0, "add: \(r)"); what = "sou add of a stray"
            case 8:
                let r = try s.run(["delete", "-i", s.index, "k\(rng.next() % 12)"])
                #expect(r.status == 0 || r.status == 1, "delete: \(r)"); what = "sou delete"
            default: break
            }
            let updated = try s.run(["index", folder, "-o", s.index, "--quiet"])
            #expect(updated.status == 0, "step \(step) (\(what)): \(updated)")
            #expect(try s.run(["index", folder, "-o", fresh, "--rebuild", "--quiet"]).status == 0)
            for query in ["集体协商", "文件", "検索", "alpha", "한국", "设"] {
                let a = try s.run(["search", "-i", s.index, "--json", "-n", "1000", query])
                let b = try s.run(["search", "-i", fresh, "--json", "-n", "1000", query])
                #expect(a.out == b.out && a.status == b.status, "step \(step) (\(what)), \(query): \(a.out) against a fresh build's \(b.out)")
            }
            try s.expectCheck("step \(step) (\(what))")
            // the source table the update committed: a table of changes, or a full table
            if try IndexReader(path: s.index).storedSources()?.delta != nil { tablesOfChanges += 1 }
            let before = try s.bytes()
            let again = try s.run(["index", folder, "-o", s.index])
            #expect(again.status == 0 && again.err.contains("added 0, replaced 0, deleted 0"), "step \(step) (\(what)), a second run: \(again)")
            #expect(try s.bytes() == before, "step \(step) (\(what)): a second run with nothing changed wrote to the index")
        }
        // (the first build writes a full table; most updates change a few files of about 15)
        #expect(tablesOfChanges >= 10 && tablesOfChanges < 36, "\(tablesOfChanges) of 36 commits wrote a table of changes")
    }

    /// Before: every merge wrote a new file and a commit ("1 segments → 1"), also with nothing
    /// to merge.
    @Test("sou merge with nothing to merge (few enough segments, nothing deleted, no unused byte) leaves the file byte for byte and says so")
    func mergeWithNothingToDo() throws {
        let s = try Scratch()
        defer { s.remove() }
        let lines = "{\"id\":\"a\",\"body\":\"first common\"}\n{\"id\":\"b\",\"body\":\"second common\"}\n"
        #expect(try s.run(["add", "-i", s.index, "-"], input: Data(lines.utf8)).status == 0)
        #expect(try s.run(["add", "-i", s.index, "-"], input: Data("{\"id\":\"c\",\"body\":\"third common\"}\n".utf8)).status == 0)
        let merged = try s.run(["merge", s.index])
        #expect(merged.status == 0 && merged.err.contains("2 segments → 1, 0 deleted documents dropped"), "\(merged)")
        let before = try Data(contentsOf: URL(fileURLWithPath: s.index))
        for arguments in [["merge", s.index], ["merge", s.index, "--max-segments", "3"]] {
            let again = try s.run(arguments)
            #expect(again.status == 0 && again.err.contains("nothing to merge (1 segment, no deleted document, no unused byte): unchanged"), "\(again)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: s.index)) == before)
        }
        // a deletion is something to merge
        #expect(try s.run(["delete", "-i", s.index, "a"]).status == 0)
        let sizeBefore = try Data(contentsOf: URL(fileURLWithPath: s.index)).count
        let purged = try s.run(["merge", s.index])
        let sizeAfter = try Data(contentsOf: URL(fileURLWithPath: s.index)).count
        // the file's size before and after: what a merge reclaimed
        #expect(sizeAfter < sizeBefore)
        #expect(purged.status == 0 && purged.err.contains("1 segment → 1, 1 deleted document dropped, \(sizeBefore) → \(sizeAfter) bytes, "), "\(purged)")
        #expect(try s.keys("common") == ["b", "c"])
        try s.expectCheck("merges with and without anything to do")
    }

    /// Before: "sou: x.sou: corrupt index: terms section checksum mismatch (stored …, computed …)",
    /// which did not say which of the segments was damaged.
    @Test("sou merge of an index with a damaged segment fails naming the file, the segment and its byte offset, as sou check does; the file is left as it was")
    func mergeNamesDamagedSegment() throws {
        let s = try Scratch()
        defer { s.remove() }
        // three segments, one per add
        for i in 0..<3 {
            try s.put("d\(i).txt", "文档\(i) 集体协商 工资 职工代表大会 common\(i)\n")
            let r = try s.run(["add", "-i", s.index, s.path("d\(i).txt"), "--quiet"])
            #expect(r.status == 0, "\(r)")
        }
        // a byte in the middle of segment 1's terms section
        let (offset, at): (Int, Int) = try {
            let reader = try IndexReader(path: s.index)
            #expect(reader.segments.map(\.id) == [0, 1, 2])
            let segment = try #require(reader.segments.first { $0.id == 1 })
            let terms = try #require(segment.reader.sections.first { $0.kind == .terms })
            return (segment.offset, segment.offset + (terms.range.lowerBound + terms.range.upperBound) / 2)
        }()
        var bytes = try #require(FileManager.default.contents(atPath: s.index))
        bytes[at] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: s.index))
        let merge = try s.run(["merge", s.index])
        #expect(merge.status == 2, "\(merge)")
        let expected = "sou: \(s.index): corrupt index: segment 1 at byte \(offset): terms section checksum mismatch (stored "
        #expect(merge.err.hasPrefix(expected), "\(merge)")
        // the same words as sou check's
        let check = try s.run(["check", s.index])
        #expect(check.status == 2 && check.err == merge.err, "check: \(check)\nmerge: \(merge)")
        #expect(FileManager.default.contents(atPath: s.index) == bytes, "the merge changed the file")
        #expect(try FileManager.default.contentsOfDirectory(atPath: s.folder.path).filter { $0.contains(".tmp-") }.isEmpty)
    }

    @Test("a segment whose documents are all deleted goes away instead of staying as an empty segment")
    func emptySegmentsGo() throws {
        let s = try Scratch()
        defer { s.remove() }
        let two = "{\"id\":\"a\",\"body\":\"first common\"}\n{\"id\":\"b\",\"body\":\"second common\"}\n"
        #expect(try s.run(["add", "-i", s.index, "-"], input: Data(two.utf8)).status == 0)
        #expect(try s.run(["add", "-i", s.index, "-"], input: Data("{\"id\":\"c\",\"body\":\"third common\"}\n".utf8)).status == 0)
        #expect(((try s.stats())["segments"] as? [Any])?.count == 2)
        #expect(try s.run(["delete", "-i", s.index, "a", "b"]).status == 0)
        var stats = try s.stats()
        #expect((stats["segments"] as? [[String: Any]])?.map { $0["documents"] as? Int } == [1], "\(stats)")
        #expect(stats["documents"] as? Int == 1)
        #expect(try s.keys("common") == ["c"])
        try s.expectCheck("deleting a whole segment")
        // and the last one: an empty index of no segments, which merge, check and search accept
        #expect(try s.run(["delete", "-i", s.index, "c"]).status == 0)
        stats = try s.stats()
        #expect((stats["segments"] as? [Any])?.count == 0, "\(stats)")
        #expect(stats["documents"] as? Int == 0)
        try s.expectCheck("deleting every document")
        #expect(try s.run(["merge", s.index]).status == 0)
        try s.expectCheck("merging an empty index")
        #expect(try s.run(["search", "-i", s.index, "common"]).status == 1)
        #expect(try s.run(["add", "-i", s.index, "-"], input: Data(two.utf8)).status == 0)
        #expect(try s.keys("common") == ["a", "b"])
    }

    @Test("sou merge reduces the segments (to one, or --max-segments), drops deleted documents and keeps every result and score")
    func mergeKeepsResults() throws {
        let s = try Scratch()
        defer { s.remove() }
        try Self.makeDocs(s)
        #expect(try s.run(["index", s.path("docs"), "-o", s.index]).status == 0)
        // more segments: each add is a commit with a segment of its own; deletions in between
        for round in 0..<4 {
            var lines = ""
            for i in 0..<5 { lines += "{\"id\":\"r\(round)-\(i)\",\"body\":\"common 集体协商 round\(round)word \(String(repeating: "工资", count: i + 1))\"}\n" }
            #expect(try s.run(["add", "-i", s.index, "-"], input: Data(lines.utf8)).status == 0)
            #expect(try s.run(["delete", "-i", s.index, "r\(round)-0"]).status == 0)
        }
        #expect(try s.run(["delete", "-i", s.index, s.path("docs/a0.txt"), "r3-4"]).status == 0)
        var stats = try s.stats()
        let segmentsBefore = (stats["segments"] as? [Any])?.count ?? 0
        #expect(segmentsBefore == 5)
        #expect(stats["deletedDocuments"] as? Int == 6)
        #expect(stats["documents"] as? Int == 20)
        try s.expectCheck("the adds and deletes")
        let queries = ["common", "集体协商", "工资", "round2word", "common 工资", "协商 OR round1word", "common -集体协商"]
        let before = try queries.map { try s.hits($0) }

        let limited = try s.run(["merge", s.index, "--max-segments", "3"])
        #expect(limited.status == 0, "\(limited)")
        stats = try s.stats()
        #expect(((stats["segments"] as? [Any])?.count ?? 99) <= 3, "\(stats)")
        #expect(stats["documents"] as? Int == 20)
        try s.expectCheck("merge --max-segments 3")
        for (q, want) in zip(queries, before) {
            let got = try s.hits(q)
            #expect(got.map(\.key) == want.map(\.key), "\(q) after merge --max-segments 3")
            #expect(zip(got, want).allSatisfy { abs($0.score - $1.score) <= 1e-9 * max(1, abs($1.score)) }, "\(q): scores")
        }

        let merged = try s.run(["merge", s.index])
        #expect(merged.status == 0, "\(merged)")
        #expect(merged.err.contains("→ 1"), "\(merged)")
        stats = try s.stats()
        #expect((stats["segments"] as? [Any])?.count == 1)
        #expect(stats["deletedDocuments"] as? Int == 0)
        #expect(stats["documents"] as? Int == 20)
        #expect((stats["garbageRatio"] as? Double ?? 1) < 0.05, "\(stats)")
        try s.expectCheck("merge")
        for (q, want) in zip(queries, before) {
            let got = try s.hits(q)
            #expect(got.map(\.key) == want.map(\.key), "\(q) after merge")
            #expect(zip(got, want).allSatisfy { abs($0.score - $1.score) <= 1e-9 * max(1, abs($1.score)) }, "\(q): scores")
        }
        // a later sou index still knows its files (the source table survived the merge): it reads
        // only a0.txt, whose document sou delete removed, and deletes the documents sou add added
        let update = try s.run(["index", s.path("docs"), "-o", s.index, "--json"])
        #expect(update.status == 0, "\(update)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(update.out.utf8)) as? [String: Any])
        #expect(summary["unchangedFiles"] as? Int == 5, "\(update)")
        #expect(summary["files"] as? Int == 1, "\(update)")
        #expect(summary["deleted"] as? Int == 15, "\(update)")
        #expect(summary["documents"] as? Int == 6, "\(update)")
        #expect(summary["rebuilt"] as? Bool == false)
    }

    /// A folder of about 3 MB of JSON Lines (two of the bundled corpus's files), slow enough to
    /// index (seconds in a debug build) that a second command lands while the first runs.
    static func bigInput(_ s: Scratch) throws -> String {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let big = s.path("big")
        try FileManager.default.createDirectory(atPath: big, withIntermediateDirectories: true)
        #if DEBUG
        let names = ["fortunes-zh.jsonl.gz", "debref-zh-cn.jsonl.gz"]
        #else
        let names = ["fortunes-zh.jsonl.gz", "debref-zh-cn.jsonl.gz", "manpages-zh.jsonl.gz"]
        #endif
        for name in names {
            try FileManager.default.copyItem(atPath: repository.appendingPathComponent("corpus/\(name)").path, toPath: big + "/" + name)
        }
        return big
    }

    @Test("a second writer fails with \"being written by\" while sou index runs, and succeeds with --wait once it is done")
    func twoWriters() throws {
        let s = try Scratch()
        defer { s.remove() }
        try Self.makeDocs(s)
        let big = try Self.bigInput(s)
        #expect(try s.run(["index", s.path("docs"), "-o", s.index]).status == 0)
        try s.put("extra.txt", "额外 extraword\n")
        // a long run that holds the index's write lock (--rebuild locks the existing file at once)
        let long = try startSou(s.sou, ["index", big, "-o", s.index, "--rebuild", "--jobs", "1", "--quiet"], in: s.folder)
        defer { long.stop() }
        // the lock is taken before the temporary file appears
        let deadline = Date().addingTimeInterval(30)
        func temporaryExists() -> Bool {
            ((try? FileManager.default.contentsOfDirectory(atPath: s.folder.path)) ?? []).contains { $0.hasPrefix(".x.sou.tmp-") }
        }
        while !temporaryExists(), long.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        try #require(long.isRunning, "the long index run ended before the test could race it")
        let refused = try s.run(["add", "-i", s.index, s.path("extra.txt")], timeout: 30)
        try #require(long.isRunning, "the long index run ended during the second writer: inconclusive")
        #expect(refused.status == 2, "\(refused)")
        #expect(refused.err.contains("being written by"), "\(refused)")
        #expect(refused.err.contains("sou index") || refused.err.contains("process"), "\(refused)")
        // the message names the file once ("sou: FILE is being written by …", not "FILE: FILE is …")
        #expect(refused.err.hasPrefix("sou: \(s.index) is being written by"), "\(refused)")
        let refusedDelete = try s.run(["delete", "-i", s.index, s.path("docs/a0.txt")], timeout: 30)
        #expect(refusedDelete.status == 2 && refusedDelete.err.contains("being written by"), "\(refusedDelete)")
        let refusedMerge = try s.run(["merge", s.index], timeout: 30)
        #expect(refusedMerge.status == 2 && refusedMerge.err.contains("being written by"), "\(refusedMerge)")

        // --wait: blocks until the rebuild renamed its file into place, then adds to the new file
        let waiting = try startSou(s.sou, ["add", "-i", s.index, s.path("extra.txt"), "--wait"], in: s.folder)
        defer { waiting.stop() }
        Thread.sleep(forTimeInterval: 0.3)
        #expect(waiting.isRunning && long.isRunning, "the waiting add did not wait for the running index")
        let indexed = try long.finish(timeout: 300)
        #expect(indexed.status == 0, "\(indexed)")
        let waited = try waiting.finish(timeout: 60)
        #expect(waited.status == 0, "\(waited)")
        #expect(try s.keys("extraword").contains("extra.txt"), "the waiting add was lost")
        #expect(try s.keys("alphaword").isEmpty, "the rebuild from big/ still has docs/'s documents")
        let reader = try IndexReader(path: s.index)
        #expect(reader.documentCount > 5000)
        try s.expectCheck("two writers")
    }

    @Test("sou index over an index of an older format version rebuilds it from the paths, says so, and leaves a file of this version; sou add on one says to rebuild")
    func olderIndexRebuiltByIndex() throws {
        let s = try Scratch()
        defer { s.remove() }
        try s.put("docs/one.txt", "第一 集体协商 firstword\n")
        try s.put("docs/two.txt", "第二 工资 secondword\n")
        let out = s.path("docs.sou")
        #expect(try s.run(["index", "docs", "-o", out]).status == 0)
        try makeOlderFormatVersion(out)
        let add = try s.run(["add", "-i", out, "docs/one.txt"])
        #expect(add.status == 2 && add.err.contains("older") && add.err.contains("rebuild"), "\(add)")
        let again = try s.run(["index", "docs", "-o", out])
        #expect(again.status == 0, "\(again)")
        #expect(again.err.contains("older index format (version \(FileLayout.formatVersion - 1)): rebuilding it"), "\(again)")
        #expect(again.err.contains("indexed 2 documents"), "\(again)")
        #expect(try IndexReader(path: out).formatVersion == Int(FileLayout.formatVersion))
        #expect(try s.run(["search", "-i", out, "-l", "secondword"]).out == "docs/two.txt\n")
        #expect(try runSouBounded(s.sou, ["check", out]).status == 0)
    }

    @Test("a bundled corpus.sou of an older format version is rebuilt from corpus/ by the next search, which answers as usual")
    func olderBundledCorpusRebuilt() throws {
        let s = try Scratch()
        defer { s.remove() }
        try s.put("corpus/one.txt", "第一 集体协商 firstword\n")
        try s.put("corpus/two.txt", "第二 工资 secondword\n")
        #expect(try s.run(["search", "-l", "集体协商"]).status == 0)
        let corpusIndex = s.path("corpus.sou")
        try makeOlderFormatVersion(corpusIndex)
        let again = try s.run(["search", "-l", "secondword"])
        #expect(again.status == 0 && again.out == "corpus/two.txt\n", "\(again)")
        #expect(again.err.contains("older index format"), "\(again)")
        #expect(try IndexReader(path: corpusIndex).formatVersion == Int(FileLayout.formatVersion))
        #expect(try runSouBounded(s.sou, ["check", corpusIndex]).status == 0)
    }

    @Test("sou search builds the bundled corpus.sou once, refreshes it when corpus/ changes, and leaves a corpus.sou from another folder alone")
    func bundledCorpusRefresh() throws {
        let s = try Scratch()
        defer { s.remove() }
        try s.put("corpus/one.txt", "第一 集体协商 firstword\n")
        try s.put("corpus/two.txt", "第二 工资 secondword\n")
        let built = try s.run(["search", "-l", "集体协商"])
        #expect(built.status == 0, "\(built)")
        #expect(built.out == "corpus/one.txt\n", "\(built)")
        #expect(built.err.contains("indexing the bundled corpus/"), "\(built)")
        let corpusIndex = s.path("corpus.sou")
        #expect(FileManager.default.fileExists(atPath: corpusIndex))

        // nothing changed: no message, no write
        let before = try Data(contentsOf: URL(fileURLWithPath: corpusIndex))
        let again = try s.run(["search", "-l", "secondword"])
        #expect(again.status == 0 && again.out == "corpus/two.txt\n", "\(again)")
        #expect(again.err.isEmpty, "\(again)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: corpusIndex)) == before)

        // a new file with a word of its own: found by the next search, which says it updated
        try s.put("corpus/three.txt", "第三 uniquethirdword\n", age: 5)
        let refreshed = try s.run(["search", "-l", "uniquethirdword"])
        #expect(refreshed.status == 0, "\(refreshed)")
        #expect(refreshed.out == "corpus/three.txt\n", "\(refreshed)")
        #expect(refreshed.err.contains("corpus/ changed") && refreshed.err.contains("added 1"), "\(refreshed)")
        // a file removed from corpus/: its documents go too
        try FileManager.default.removeItem(atPath: s.path("corpus/one.txt"))
        let removed = try s.run(["search", "-l", "firstword"])
        #expect(removed.status == 1, "\(removed)")
        #expect(removed.err.contains("deleted 1"), "\(removed)")
        #expect(try runSouBounded(s.sou, ["check", corpusIndex]).status == 0)

        // a corpus.sou the user built from another folder is used as it is
        let t = try Scratch()
        defer { t.remove() }
        try t.put("corpus/one.txt", "第一 集体协商 firstword\n")
        try t.put("other/mine.txt", "我的 集体协商 otherword\n")
        let own = try t.run(["index", t.path("other"), "-o", t.path("corpus.sou")])
        #expect(own.status == 0, "\(own)")
        let ownBytes = try Data(contentsOf: URL(fileURLWithPath: t.path("corpus.sou")))
        let searched = try t.run(["search", "-l", "集体协商"])
        #expect(searched.status == 0, "\(searched)")
        #expect(searched.out == t.path("other/mine.txt") + "\n", "\(searched)")
        #expect(!searched.err.contains("changed") && !searched.err.contains("indexing"), "\(searched)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: t.path("corpus.sou"))) == ownBytes, "the user's corpus.sou was replaced")
        // also one built by sou add (no source table)
        try FileManager.default.removeItem(atPath: t.path("corpus.sou"))
        #expect(try t.run(["add", "-i", t.path("corpus.sou"), t.path("other")]).status == 0)
        let addBytes = try Data(contentsOf: URL(fileURLWithPath: t.path("corpus.sou")))
        let searchedAdd = try t.run(["search", "-l", "otherword"])
        #expect(searchedAdd.status == 0 && searchedAdd.out == t.path("other/mine.txt") + "\n", "\(searchedAdd)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: t.path("corpus.sou"))) == addBytes)
    }
}

/// A flag shared between test threads.
final class ManagedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return flag }
    func set() { lock.lock(); flag = true; lock.unlock() }
}
