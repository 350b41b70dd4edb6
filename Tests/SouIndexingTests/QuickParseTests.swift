import Foundation
import Testing
@testable import SouIndexing

/// `sou search`'s and `sou index`'s commonest command lines are read without ArgumentParser
/// (`QuickParse`), every other one by ArgumentParser. ArgumentParser's parse from the root (`SOU_FULL_PARSE`) is the
/// oracle: `SOU_PARSE_DUMP` prints the command a parse built, every option with its value (an
/// option the quick path left unset prints as ArgumentParser's "*definition*" placeholder, and a
/// run would stop on it), and both paths must print the same for every command line.
@Suite("The quick parse of sou search and sou index: every option of the command as ArgumentParser sets it", .serialized)
struct QuickParseTests {
    func dumps(_ sou: URL, _ arguments: [String], in folder: URL) throws -> (quick: SouRun, root: SouRun) {
        let quick = try runSouBounded(sou, arguments, in: folder, environment: ["SOU_PARSE_DUMP": "1"])
        let root = try runSouBounded(sou, arguments, in: folder, environment: ["SOU_PARSE_DUMP": "1", "SOU_FULL_PARSE": "1"])
        return (quick, root)
    }

    @Test("search: the quick forms, their combinations and the lines left to ArgumentParser build the same command on both paths")
    func sameSearchCommandBothPaths() throws {
        let sou = try #require(souExecutable(), "the sou executable is not built next to the tests")
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let lines: [[String]] = [
            // read by the quick parse
            ["search", "集体协商", "-i", "x.sou"],
            ["search", "-i", "x.sou", "集体协商"],
            ["search", "集体协商", "--index", "x.sou", "-c"],
            ["search", "集体协商", "-i", "x.sou", "--count"],
            ["search", "集体协商", "-i", "x.sou", "-l", "-n", "3"],
            ["search", "集体协商", "-i", "x.sou", "--files", "--limit", "007"],
            ["search", "集体协商", "-i", "x.sou", "--json", "--explain", "-n", "0"],
            ["search", "集体协商 工资 -草案", "docs", "notes/a.txt"],
            ["search", "集体协商"],
            ["search", "help me", "-i", "x.sou"],
            ["search", "-i", "x.sou", "--batch", "queries.txt", "--limit", "10"],
            ["search", "--batch", "queries.txt", "-i", "x.sou", "-c"],
            ["search", "--batch", "queries.txt", "-i", "x.sou", "-l", "--json"],
            ["search", "-q", "集体协商", "-i", "x.sou"],
            ["search", "集体协商", "docs", "--quiet", "-n", "5"],
            ["search", "集体协商", "--files-with-matches", "-i", "x.sou"],
            // left to ArgumentParser: other options, repeats, odd values, help, what validate() rejects
            ["search", "", "docs"],
            ["search", "集体协商", "-i", "x.sou", "-i", "y.sou"],
            ["search", "集体协商", "-c", "--count", "-i", "x.sou"],
            ["search", "集体协商", "-i", "x.sou", "-n", "-1"],
            ["search", "集体协商", "-i", "x.sou", "-n", "+3"],
            ["search", "集体协商", "-i", "x.sou", "-n3"],
            ["search", "集体协商", "-i", "x.sou", "-n", "99999999999999999999"],
            ["search", "集体协商", "-i", "x.sou", "--limit=3"],
            ["search", "集体协商", "-i", "-c"],
            ["search", "集体协商", "-i"],
            ["search", "集体协商", "-i", "x.sou", "-cl"],
            ["search", "集体协商", "-i", "x.sou", "-l", "--files-with-matches"],
            ["search", "集体协商", "-i", "x.sou", "-q", "-c"],
            ["search", "集体协商", "-i", "x.sou", "-q", "--hidden"],
            ["search", "集体协商", "docs", "-q", "-g", "*.txt", "-t", "md", "-T", "txt", "--encoding", "GBK"],
            ["search", "集体协商", "-i", "x.sou", "--offset", "2", "--max-lines", "1", "--k1", "2", "--b", "0.5", "--color", "never"],
            ["search", "-e", "-工资", "docs"],
            ["search", "-i", "x.sou", "--", "-工资"],
            ["search", "集体协商", "-i", "x.sou", "docs"],
            ["search", "集体协商", "--vimgrep", "--json"],
            ["search", "集体协商", "-windows"],
            ["search", "--batch", "queries.txt", "docs"],
            ["search", "集体协商", "--batch", "queries.txt", "-i", "x.sou"],
            ["search", "--batch", "-", "-i", "x.sou"],
            ["search", "--batch", "a.txt", "--batch", "b.txt", "-i", "x.sou"],
            ["search", "help"],
            ["search", "--help"],
        ]
        var quickForms = 0
        for (k, arguments) in lines.enumerated() {
            let (quick, root) = try dumps(sou, arguments, in: folder)
            #expect(quick.status == root.status && quick.out == root.out && quick.err == root.err,
                    "\(arguments): quick path \(quick), ArgumentParser \(root)")
            if k < 16 {
                // the quick forms are commands (not errors), with every option set
                #expect(quick.status == 0 && quick.out.hasPrefix("SouCLI.SearchRun(") && !quick.out.contains("definition"), "\(arguments): \(quick)")
                quickForms += 1
            }
        }
        #expect(quickForms == 16)
        // the oracle tells values apart
        let three = try dumps(sou, ["search", "集体协商", "-i", "x.sou", "-n", "3"], in: folder).quick.out
        let four = try dumps(sou, ["search", "集体协商", "-i", "x.sou", "-n", "4"], in: folder).quick.out
        #expect(three != four && three.contains("limit: 3,"), "\(three)")
    }

    @Test("index: the quick forms, their combinations and the lines left to ArgumentParser build the same command on both paths")
    func sameIndexCommandBothPaths() throws {
        let sou = try #require(souExecutable(), "the sou executable is not built next to the tests")
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let lines: [[String]] = [
            // read by the quick parse
            ["index", "docs", "-o", "docs.sou"],
            ["index", "-o", "docs.sou", "docs", "notes/a.txt", "x.jsonl"],
            ["index", "docs", "--output", "docs.sou", "--quiet", "--rebuild"],
            ["index", "docs", "-o", "docs.sou", "--json", "--no-store", "--jobs", "2", "--memory", "64"],
            ["index", "--jsonl", "x.jsonl", "-o", "x.sou", "--jobs", "1", "--no-store", "--quiet"],
            ["index", "help me", "-o", "docs.sou"],
            // left to ArgumentParser
            ["index", "docs"],
            ["index", "-o", "docs.sou"],
            ["index", "docs", "-o", "a.sou", "-o", "b.sou"],
            ["index", "docs", "-o", "docs.sou", "--jobs", "0"],
            ["index", "docs", "-o", "docs.sou", "--jobs", "-1"],
            ["index", "docs", "-o", "docs.sou", "--memory", "lots"],
            ["index", "docs", "-o", "docs.sou", "--memory", "0"],
            ["index", "-", "-o", "docs.sou"],
            ["index", "docs", "-o", "-"],
            ["index", "docs", "-o", "docs.sou", "--hidden", "-t", "md", "--encoding", "GBK", "--title-field", "name"],
            ["index", "docs", "-o", "docs.sou", "--quiet", "--quiet"],
            ["index", "x.jsonl", "-o", "x.sou", "--jsonl", "--jsonl"],
            ["index", "docs", "-o", "docs.sou", "-v"],
            ["index", "help"],
            ["index", "--help"],
        ]
        for (k, arguments) in lines.enumerated() {
            let (quick, root) = try dumps(sou, arguments, in: folder)
            #expect(quick.status == root.status && quick.out == root.out && quick.err == root.err,
                    "\(arguments): quick path \(quick), ArgumentParser \(root)")
            if k < 6 {
                // (what both paths print for an index command: the IndexRun it runs, which the
                // quick path makes without an IndexCommand)
                #expect(quick.status == 0 && quick.out.hasPrefix("SouCLI.IndexRun(") && !quick.out.contains("definition"), "\(arguments): \(quick)")
            }
            if k == 3 {
                #expect(quick.out.contains("jobs: Optional(2)") && quick.out.contains("memory: Optional(64)") && quick.out.contains("noStore: true"),
                        "\(quick.out)")
            }
        }
        // nothing was written: a dump only parses
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("docs.sou").path))
    }

    @Test("add and delete: the quick forms and the lines left to ArgumentParser build the same command on both paths")
    func sameUpdateCommandBothPaths() throws {
        let sou = try #require(souExecutable(), "the sou executable is not built next to the tests")
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let quickAdds: [[String]] = [
            ["add", "-i", "x.sou", "docs"],
            ["add", "--index", "x.sou", "a.jsonl", "b.jsonl", "--quiet"],
            ["add", "-i", "x.sou", "--jsonl", "x.txt", "--jobs", "2", "--memory", "64", "--wait"],
        ]
        let quickDeletes: [[String]] = [
            ["delete", "-i", "x.sou", "k1"],
            ["delete", "--index", "x.sou", "k1", "k2", "--quiet", "--wait"],
            ["delete", "-i", "x.sou", "--keys-from", "keys.txt"],
        ]
        let left: [[String]] = [
            ["add", "-i", "x.sou"],
            ["add", "-i", "x.sou", "-"],
            ["add", "-i", "x.sou", "docs", "--jobs", "0"],
            ["add", "-i", "x.sou", "docs", "--jobs", "+2"],
            ["add", "-i", "x.sou", "docs", "--memory", "0"],
            ["add", "-i", "x.sou", "docs", "--merge-factor", "4"],
            ["add", "-i", "x.sou", "docs", "--id-field", "key", "--text-field", "body"],
            ["add", "docs"],
            ["add", "-i", "a.sou", "-i", "b.sou", "docs"],
            ["add", "-i", "x.sou", "docs", "--quiet", "--quiet"],
            ["add", "help"],
            ["add", "--help"],
            ["delete", "-i", "x.sou"],
            ["delete", "-i", "x.sou", "-dash"],
            ["delete", "-i", "x.sou", "--", "-dash"],
            ["delete", "-i", "x.sou", "--keys-from", "-"],
            ["delete", "-i", "x.sou", "k", "--merge-factor", "1"],
            ["delete", "k"],
            ["delete", "--help"],
        ]
        for (k, arguments) in (quickAdds + quickDeletes + left).enumerated() {
            let (quick, root) = try dumps(sou, arguments, in: folder)
            #expect(quick.status == root.status && quick.out == root.out && quick.err == root.err,
                    "\(arguments): quick path \(quick), ArgumentParser \(root)")
            if k < quickAdds.count {
                #expect(quick.status == 0 && quick.out.hasPrefix("SouCLI.AddRun("), "\(arguments): \(quick)")
            } else if k < quickAdds.count + quickDeletes.count {
                #expect(quick.status == 0 && quick.out.hasPrefix("SouCLI.DeleteRun("), "\(arguments): \(quick)")
            }
            if k == 2 {
                #expect(quick.out.contains("jobs: Optional(2)") && quick.out.contains("memory: Optional(64)") && quick.out.contains("wait: true")
                        && quick.out.contains("jsonl: true"), "\(quick.out)")
            }
        }
        // nothing was written: a dump only parses
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("x.sou").path))
    }

    @Test("the commonest command lines of search, index, add and delete are read by the quick parse, the others by ArgumentParser")
    func quickParseTakesTheCommonestLines() throws {
        let sou = try #require(souExecutable(), "the sou executable is not built next to the tests")
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let quick: [[String]] = [
            ["search", "集体协商", "-i", "x.sou"], ["search", "工资", "docs", "-c"],
            ["index", "docs", "-o", "x.sou"], ["index", "--jsonl", "x.jsonl", "-o", "x.sou", "--jobs", "1"],
            ["add", "-i", "x.sou", "docs"], ["add", "-i", "x.sou", "x.jsonl", "--quiet", "--memory", "64"],
            ["delete", "-i", "x.sou", "k1", "k2"], ["delete", "-i", "x.sou", "--keys-from", "keys.txt", "--quiet"],
        ]
        let parsed: [[String]] = [
            ["search", "集体协商", "-i", "x.sou", "--color", "never"], ["index", "docs", "-o", "x.sou", "--hidden"],
            ["add", "-i", "x.sou", "-"], ["add", "-i", "x.sou", "docs", "--id-field", "key"],
            ["delete", "-i", "x.sou", "--keys-from", "-"], ["delete", "-i", "x.sou", "k", "--merge-factor", "4"],
        ]
        for (arguments, path) in quick.map({ ($0, "QuickParse") }) + parsed.map({ ($0, "ArgumentParser") }) {
            let run = try runSouBounded(sou, arguments, in: folder, environment: ["SOU_PARSE_DUMP": "path"])
            #expect(run.status == 0 && run.err == "parsed by \(path)\n", "\(arguments): \(run)")
        }
    }
}
