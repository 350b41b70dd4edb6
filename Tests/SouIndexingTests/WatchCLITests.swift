import Foundation
import Testing
@testable import SouIndexing

/// `sou watch PATH...` through the executable: searches of the watched paths are answered from
/// the cache it vouches for (no walk of the folders) and still see every change at once.
@Suite("sou watch: searches of a watched folder skip the walk and still see every change", .serialized)
struct WatchCLITests {
    typealias Scratch = SearchCommandLineTests.Scratch

    /// A `sou watch` running in the scratch folder, its stderr in a file.
    final class Watcher {
        let process = Process()
        let log: String

        init(_ s: Scratch, _ arguments: [String]) throws {
            log = s.path("watch-\(UUID().uuidString).log")
            FileManager.default.createFile(atPath: log, contents: nil)
            process.executableURL = s.sou
            process.arguments = ["watch", "-v"] + arguments
            process.currentDirectoryURL = s.folder
            var environment = ProcessInfo.processInfo.environment
            environment["SOU_CACHE"] = s.cache
            process.environment = environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }

        var text: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

        /// Waits (at most a minute: a debug build on a loaded machine) until the log says `marker`.
        func waitFor(_ marker: String) -> Bool {
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                if text.contains(marker) { return true }
                if !process.isRunning { return text.contains(marker) }
                Thread.sleep(forTimeInterval: 0.02)
            }
            return false
        }

        /// How many searches it answered as clean.
        var answered: Int { text.components(separatedBy: "search answered: clean").count - 1 }

        func stop() {
            // (SIGKILL: a test runner may ignore SIGTERM, and its children inherit that)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
    }

    /// The keys (as `sou search -l … docs` prints them) of the files under docs that contain
    /// `word`: the oracle, from the files themselves.
    static func containing(_ word: String, in s: Scratch) throws -> Set<String> {
        var keys = Set<String>()
        let root = URL(fileURLWithPath: s.path("docs"))
        let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)!
        for case let url as URL in walker where !url.hasDirectoryPath {
            let relative = "docs" + url.path.dropFirst(root.path.count)
            let text = try String(contentsOf: url, encoding: .utf8)
            if relative.hasSuffix(".jsonl") {
                for line in text.split(separator: "\n") {
                    let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: String]
                    if o["body"]!.contains(word) { keys.insert(relative + "#" + o["id"]!) }
                }
            } else if text.contains(word) {
                keys.insert(relative)
            }
        }
        return keys
    }

    @Test("with sou watch running, searches of its paths are answered from the cache it vouches for and see an append, a new file in a new folder, a deletion, a rename and a change through a hard link at once")
    func searchesSeeEveryChange() throws {
        let s = try Scratch()
        defer { s.remove() }
        // a file of docs that is also linked from outside: changed there, not through docs
        try FileManager.default.createDirectory(atPath: s.path("outside"), withIntermediateDirectories: true)
        try s.put("docs/linked.txt", "没有\n")
        try FileManager.default.linkItem(atPath: s.path("docs/linked.txt"), toPath: s.path("outside/linked.txt"))
        let w = try Watcher(s, ["docs"])
        defer { w.stop() }
        #expect(w.waitFor("sou watch: watching"), "\(w.text)")
        #expect(w.text.contains("watching 3 folders and 7 files of docs"), "\(w.text)")

        func check(_ step: String, answeredBefore: Int) throws {
            let r = try s.run(["search", "-l", "-n", "100", "集体协商", "docs"])
            let expected = try Self.containing("集体协商", in: s)
            #expect(r.status == 0 && SearchCommandLineTests.lines(r.out) == expected, "\(step): \(r)\nexpected \(expected.sorted())")
            // answered by the watcher, not by a walk of the folders
            #expect(w.answered == answeredBefore + 1, "\(step): \(w.text)")
            // the same as an index built in memory for this search alone
            let fresh = try s.run(["search", "-l", "-n", "100", "--no-cache", "集体协商", "docs"])
            #expect(fresh.out == r.out, "\(step): \(fresh)")
        }
        try check("unchanged", answeredBefore: 0)
        // each change is searched at once (no pause: the watcher reads the queued events first)
        let notes = try FileHandle(forWritingTo: URL(fileURLWithPath: s.path("docs/notes.md")))
        try notes.seekToEnd()
        try notes.write(contentsOf: Data("追加：集体协商\n".utf8))
        try notes.close()
        try check("appended to", answeredBefore: 1)
        try FileManager.default.createDirectory(atPath: s.path("docs/new/deeper"), withIntermediateDirectories: true)
        try write("新文件里的集体协商\n", to: s.path("docs/new/deeper/x.txt"))
        try check("new file in a new folder", answeredBefore: 2)
        try FileManager.default.removeItem(atPath: s.path("docs/lo-zh-cn/02.txt"))
        try check("deleted", answeredBefore: 3)
        try FileManager.default.moveItem(atPath: s.path("docs/lo-zh-tw/01.txt"), toPath: s.path("docs/lo-zh-tw/03.txt"))
        try check("renamed", answeredBefore: 4)
        try Data("通过硬链接写入的集体协商\n".utf8).write(to: URL(fileURLWithPath: s.path("outside/linked.txt")))
        try check("changed through a hard link outside", answeredBefore: 5)
        // a file written in the new folder after it was watched
        try write("再一个集体协商\n", to: s.path("docs/new/deeper/y.txt"))
        try check("new file in the watched new folder", answeredBefore: 6)
    }

    @Test("a second sou watch of the same paths and options is refused; once the watcher is gone, searches check the folders themselves")
    func oneWatcherAndFallback() throws {
        let s = try Scratch()
        defer { s.remove() }
        let w = try Watcher(s, ["docs"])
        defer { w.stop() }
        #expect(w.waitFor("sou watch: watching"), "\(w.text)")
        let second = try s.run(["watch", "docs"], environment: [:])
        #expect(second.status != 0 && second.err.contains("watched already"), "\(second)")
        // other options name another cached index: a watcher of its own
        let other = try Watcher(s, ["docs", "-t", "txt"])
        defer { other.stop() }
        #expect(other.waitFor("sou watch: watching"), "\(other.text)")
        #expect(other.text.contains("and 4 files of docs"), "\(other.text)")
        let txt = try s.run(["search", "-l", "-t", "txt", "集体协商", "docs"])
        #expect(txt.status == 0 && other.answered == 1 && w.answered == 0, "\(txt)\n\(other.text)")
        w.stop()
        other.stop()
        try write("停止后的集体协商\n", to: s.path("docs/after.txt"))
        let r = try s.run(["search", "-l", "-n", "100", "集体协商", "docs"])
        let expected = try Self.containing("集体协商", in: s)
        #expect(r.status == 0 && SearchCommandLineTests.lines(r.out) == expected, "\(r)")
    }

    @Test("sou watch without a path, with -, a missing path, an index file or a bad option is an error before anything is watched")
    func badArguments() throws {
        let s = try Scratch()
        defer { s.remove() }
        _ = try s.run(["index", "docs", "-o", "docs.sou", "--quiet"])
        for (arguments, message) in [(["watch"], "Missing expected argument"), (["watch", "-"], "cannot be watched"),
                                     (["watch", "nope"], "nope: No such file or directory"),
                                     (["watch", "docs.sou"], "is a Sou index"), (["watch", "-t", "nosuchtype", "docs"], "nosuchtype"),
                                     (["watch", "-g", "[", "docs"], "["), (["watch", "--encoding", "NOPE-1", "docs"], "NOPE-1")] {
            let r = try s.run(arguments)
            #expect(r.status != 0 && r.err.contains(message) && !r.err.contains("watching"), "\(arguments): \(r)")
        }
    }
}
