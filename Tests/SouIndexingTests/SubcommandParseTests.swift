import Foundation
import Testing
@testable import SouIndexing

/// `sou search`, `index`, `add`, `delete` and `merge` are parsed by their own command type, without the root's command
/// tree (`SouCommand.parseSubcommandAlone`), and fall back to the root's parse on any error or
/// help request. The root's parse (forced with `SOU_FULL_PARSE`) is the oracle: every command
/// line gives the same status, output and messages on both paths.
@Suite("sou search, index, add, delete and merge parsed alone: the same answers, errors, help and exit codes as the root's parse", .serialized)
struct SubcommandParseTests {
    /// Runs `arguments` on both paths in `folder`; returns the two runs (status, out, err).
    func bothPaths(_ sou: URL, _ arguments: [String], in folder: URL) throws -> (alone: SouRun, root: SouRun) {
        let cache = folder.appendingPathComponent("cache").path
        let alone = try runSouBounded(sou, arguments, in: folder, environment: ["SOU_CACHE": cache])
        let root = try runSouBounded(sou, arguments, in: folder, environment: ["SOU_CACHE": cache, "SOU_FULL_PARSE": "1"])
        return (alone, root)
    }

    @Test("search: answers, output modes, validation errors, unknown options, help and completion requests are those of the root's parse")
    func searchCommandLines() throws {
        let sou = try #require(souExecutable(), "the sou executable is not built next to the tests")
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try write("职工代表参加集体协商会议，讨论工资。\n第二行 集体协商\n", to: folder.appendingPathComponent("in/a.txt").path)
        try write("集体协商草案已经公布。\n", to: folder.appendingPathComponent("in/b.txt").path)
        try write("工资 windows\n", to: folder.appendingPathComponent("in/c.txt").path)
        let index = folder.appendingPathComponent("x.sou").path
        let built = try runSouBounded(sou, ["index", folder.appendingPathComponent("in").path, "-o", index])
        #expect(built.status == 0, "\(built)")
        let lines: [[String]] = [
            ["search", "集体协商", "-i", index],
            ["search", "集体协商", "-i", index, "-c"],
            ["search", "集体协商", "-i", index, "-l", "-n", "1"],
            ["search", "集体协商", "-i", index, "--json", "-C", "1"],
            ["search", "集体协商", "-i", index, "--vimgrep"],
            ["search", "-e", "集体协商", "-i", index, "--offset", "1", "-n1", "--max-columns", "8"],
            ["search", "-i", index, "--", "-工资"],
            ["search", "不存在", "-i", index],
            ["search", "工资", "in"],                                    // PATHs: the cached folder index
            // validation (validate() runs on both paths) and parse errors
            ["search", "集体协商", "-i", index, "-n", "-1"],
            ["search", "集体协商", "-i", index, "--vimgrep", "--json"],
            ["search", "-i", index],
            ["search", " ", "-i", index],
            ["search", "集体协商", "-i", index, "in"],
            ["search", "集体协商", "-i", index, "--no-cache"],
            ["search", "集体协商", "-i", index, "-c", "-A", "1"],
            ["search", "集体协商", "-i", index, "--k1", "x"],
            ["search", "集体协商", "-i", index, "--color", "sometimes"],
            ["search", "集体协商", "-i", index, "--no-such-option"],
            ["search", "集体协商", "-windows", "-i", index],
            ["search", "集体协商", "-i"],
            ["search", "集体协商", "-i", folder.appendingPathComponent("missing.sou").path],
            // help, version and completion requests go to the root
            ["search", "--help"], ["search", "-h"], ["search", "help"], ["search", "--version"],
            ["search", "--generate-completion-script", "bash"],
            ["search", "---completion", "--", "search", "-i", ""],
        ]
        for arguments in lines {
            let (alone, root) = try bothPaths(sou, arguments, in: folder)
            #expect(alone.status == root.status && alone.out == root.out && alone.err == root.err,
                    "\(arguments): parsed alone \(alone), by the root \(root)")
        }
        // the oracle is not vacuous: answers, errors and help all occurred
        let answered = try bothPaths(sou, lines[0], in: folder).alone
        #expect(answered.status == 0 && answered.out.contains("集体协商"), "\(answered)")
        let invalid = try bothPaths(sou, lines[9], in: folder).alone
        #expect(invalid.status == 2 && invalid.err.contains("-n/--limit must be 0 or more"), "\(invalid)")
        let help = try bothPaths(sou, ["search", "--help"], in: folder).alone
        #expect(help.status == 0 && help.out.contains("USAGE: sou search"), "\(help)")
    }

    @Test("index: a build, an up-to-date re-run, its validation errors and help are those of the root's parse")
    func indexCommandLines() throws {
        let sou = try #require(souExecutable(), "the sou executable is not built next to the tests")
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try write("集体协商 工资\n", to: folder.appendingPathComponent("in/a.txt").path)
        let input = folder.appendingPathComponent("in").path
        // timings differ from run to run: compare with every number masked whole (a rate
        // rounds to 0 in one run and 0.01 in another)
        func masked(_ run: SouRun) -> String { run.err.replacing(/[0-9]+(\.[0-9]+)?/, with: "N") + "|" + run.out.replacing(/[0-9]+(\.[0-9]+)?/, with: "N") }
        for (k, arguments) in [["index", input, "-o", "a.sou", "--json"],
                               ["index", input, "-o", "b.sou"],
                               ["index", input, "-o", "b.sou"],                 // nothing changed
                               ["index", input, "-o", "b.sou", "--jobs", "0"],
                               ["index", input],
                               ["index", input, "-o", "c.sou", "--memory", "lots"],
                               ["index", "--help"],
                               ["index", input, "-o", "d.sou", "--bogus"]].enumerated() {
            let cache = folder.appendingPathComponent("cache").path
            // both paths write the same files: each runs in its own copy of the folder's outputs
            let alone = try runSouBounded(sou, arguments, in: folder, environment: ["SOU_CACHE": cache])
            if k == 0 || k == 1 { try? FileManager.default.removeItem(atPath: folder.appendingPathComponent(k == 0 ? "a.sou" : "b.sou").path) }
            let root = try runSouBounded(sou, arguments, in: folder, environment: ["SOU_CACHE": cache, "SOU_FULL_PARSE": "1"])
            #expect(alone.status == root.status && masked(alone) == masked(root), "\(arguments): parsed alone \(alone), by the root \(root)")
        }
    }

    @Test("add, delete and merge: updates, their summaries, validation errors, unknown options and help are those of the root's parse")
    func updateCommandLines() throws {
        let sou = try #require(souExecutable(), "the sou executable is not built next to the tests")
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try write("集体协商 工资\n", to: folder.appendingPathComponent("in/a.txt").path)
        try write("{\"id\":\"k1\",\"body\":\"集体协商\"}\n{\"id\":\"k2\",\"body\":\"工资\"}\n", to: folder.appendingPathComponent("docs.jsonl").path)
        let base = folder.appendingPathComponent("base.sou").path, index = folder.appendingPathComponent("x.sou").path
        let built = try runSouBounded(sou, ["index", "in", "-o", "base.sou", "--quiet"], in: folder)
        #expect(built.status == 0, "\(built)")
        func masked(_ run: SouRun) -> String { run.err.replacing(/[0-9]+(\.[0-9]+)?/, with: "N") + "|" + run.out.replacing(/[0-9]+(\.[0-9]+)?/, with: "N") }
        var statuses: [Int32] = []
        for arguments in [["add", "-i", "x.sou", "docs.jsonl"],
                          ["add", "-i", "x.sou", "docs.jsonl", "--jobs", "1", "--quiet"],
                          ["add", "-i", "x.sou", "--jsonl", "docs.jsonl", "--id-field", "body"],
                          ["add", "-i", "x.sou"],
                          ["add", "-i", "x.sou", "docs.jsonl", "--jobs", "0"],
                          ["add", "-i", "x.sou", "docs.jsonl", "--bogus"],
                          ["add", "--help"],
                          ["delete", "-i", "x.sou", "in/a.txt"],
                          ["delete", "-i", "x.sou", "no-such-key"],
                          ["delete", "-i", "x.sou", "-dash"],
                          ["delete", "-i", "x.sou", "in/a.txt", "--merge-factor", "1"],
                          ["delete", "--help"],
                          ["merge", "x.sou"],
                          ["merge", "x.sou", "--max-segments", "0"],
                          ["merge", "x.sou", "--jobs", "2", "--quiet"],
                          ["merge", "--help"]] {
            // each path updates its own copy of the same index
            try? FileManager.default.removeItem(atPath: index)
            try FileManager.default.copyItem(atPath: base, toPath: index)
            let cache = folder.appendingPathComponent("cache").path
            let alone = try runSouBounded(sou, arguments, in: folder, environment: ["SOU_CACHE": cache])
            let aloneFile = try Data(contentsOf: URL(fileURLWithPath: index))
            try FileManager.default.removeItem(atPath: index)
            try FileManager.default.copyItem(atPath: base, toPath: index)
            let root = try runSouBounded(sou, arguments, in: folder, environment: ["SOU_CACHE": cache, "SOU_FULL_PARSE": "1"])
            let rootFile = try Data(contentsOf: URL(fileURLWithPath: index))
            #expect(alone.status == root.status && masked(alone) == masked(root), "\(arguments): parsed alone \(alone), by the root \(root)")
            #expect(aloneFile.count == rootFile.count, "\(arguments): the index is \(aloneFile.count) bytes parsed alone, \(rootFile.count) by the root")
            statuses.append(alone.status)
        }
        // the updates ran, and the bad command lines failed, on both paths
        #expect(statuses == [0, 0, 0, 2, 2, 2, 0, 0, 1, 2, 2, 0, 0, 2, 0, 0], "\(statuses)")
    }
}
