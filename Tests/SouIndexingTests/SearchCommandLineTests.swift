import Foundation
import Testing
@testable import SouIndexing

/// `sou search [OPTIONS] QUERY [PATH...]` through the executable: the query is one argument,
/// the arguments after it are files and folders searched through a cached index, keys are paths,
/// `--batch` reads stdin and reports bad queries, `sou index` shows progress only on a terminal.
@Suite("The sou search command line: one query, paths to search, keys that are paths, batches", .serialized)
struct SearchCommandLineTests {
    /// A scratch folder with a small tree of documents, the executable and a private cache.
    struct Scratch {
        let sou: URL
        let folder: URL
        var cache: String { folder.appendingPathComponent("cache").path }

        init() throws {
            sou = try #require(souExecutable(), "the sou executable is not built next to the tests")
            folder = try temporaryFolder()
            for (name, text) in Self.documents { try put(name, text) }
        }

        /// The documents: which contain 集体协商, 工资 and 草案 is known from the text itself.
        static let documents: [(String, String)] = [
            ("docs/lo-zh-cn/01.txt", "职工代表参加集体协商会议，讨论工资。\n"),
            ("docs/lo-zh-cn/02.txt", "集体协商草案已经公布。\n"),
            ("docs/lo-zh-tw/01.txt", "集体协商 windows 版本\n"),
            ("docs/lo-zh-tw/02.txt", "工资 windows\n"),
            ("docs/notes.md", "# 笔记\n没有相关内容\n"),
            ("docs/lines.jsonl", "{\"id\":\"a\",\"body\":\"集体协商 工资 html\"}\n{\"id\":\"b\",\"body\":\"其他\"}\n"),
        ]

        func path(_ relative: String) -> String { folder.appendingPathComponent(relative).path }

        func put(_ relative: String, _ text: String, age: Double = 1000) throws {
            let p = path(relative)
            try write(text, to: p)
            try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-age)], ofItemAtPath: p)
        }

        /// Runs sou in the scratch folder with its own cache (never the user's).
        func run(_ arguments: [String], input: Data? = nil, environment: [String: String] = [:]) throws -> SouRun {
            var env = ["SOU_CACHE": cache]
            env.merge(environment) { $1 }
            return try runSouBounded(sou, arguments, in: folder, input: input, environment: env)
        }

        /// The documents (keys as `sou index docs` makes them) whose text contains every word
        /// and none of the excluded ones: the oracle, from the text, not from an index.
        func expected(all words: [String], none excluded: [String] = []) -> Set<String> {
            var keys = Set<String>()
            for (name, text) in Self.documents {
                let parts: [(String, String)]
                if name.hasSuffix(".jsonl") {
                    parts = text.split(separator: "\n").map { line in
                        let o = try! JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: String]
                        return (name + "#" + o["id"]!, o["body"]!)
                    }
                } else {
                    parts = [(name, text)]
                }
                for (key, body) in parts where words.allSatisfy({ body.contains($0) }) && !excluded.contains(where: { body.contains($0) }) {
                    keys.insert(key)
                }
            }
            return keys
        }

        func remove() { try? FileManager.default.removeItem(at: folder) }
    }

    static func lines(_ s: String) -> Set<String> { Set(s.split(separator: "\n").map(String.init)) }

    // MARK: - Shape

    @Test("the query is one argument and the arguments after it are paths: a second word that is no file is an error that says to quote the query")
    func queryThenPaths() throws {
        let s = try Scratch()
        defer { s.remove() }
        let quoted = try s.run(["search", "-l", "集体协商 工资", "docs"])
        #expect(quoted.status == 0, "\(quoted)")
        #expect(Self.lines(quoted.out) == s.expected(all: ["集体协商", "工资"]), "\(quoted)")

        let unquoted = try s.run(["search", "集体协商", "工资", "docs"])
        #expect(unquoted.status == 2, "\(unquoted)")
        #expect(unquoted.out.isEmpty, "\(unquoted)")
        #expect(unquoted.err.contains("工资: no such file or folder; to search for several words, quote them: sou search '集体协商 工资'"), "\(unquoted)")
        // a missing path that looks like a path gets no quoting advice
        let missing = try s.run(["search", "集体协商", "docs/nope"])
        #expect(missing.status == 2 && missing.err.contains("docs/nope: no such file or folder") && !missing.err.contains("quote"), "\(missing)")
    }

    @Test("an exclusion outside the quoted query is an unknown option: exit 2 with the quoted command, never the help with exit 0")
    func exclusionsOutsideTheQuery() throws {
        let s = try Scratch()
        defer { s.remove() }
        for (arguments, suggestion) in [
            (["ファイル", "-windows"], "sou search 'ファイル -windows'"),
            (["ファイル", "-calc"], "sou search 'ファイル -calc'"),
            (["ファイル", "-html", "-c"], "sou search 'ファイル -html'"),
            (["集体协商", "-草案", "docs"], "sou search '集体协商 -草案' docs"),
            (["集体协商", "-html", "docs", "-windows"], "sou search '集体协商 -html -windows' docs"),
            // words whose letters are options that take values (-t, -g, -m, -M, -i, -n, -e, -T)
            (["集体协商", "-tmp", "-windows", "docs"], "sou search '集体协商 -tmp -windows' docs"),
            (["集体协商", "-gimp", "docs"], "sou search '集体协商 -gimp' docs"),
            (["集体协商", "-MIT", "-edge"], "sou search '集体协商 -MIT -edge'"),
        ] {
            let r = try s.run(["search"] + arguments)
            #expect(r.status == 2, "\(arguments): \(r)")
            #expect(r.out.isEmpty && !r.err.contains("OVERVIEW"), "\(arguments) printed the help: \(r)")
            #expect(r.err.contains("unknown option"), "\(arguments): \(r)")
            #expect(r.err.contains(suggestion), "\(arguments): \(r)")
        }
        // the suggested command works
        let fixed = try s.run(["search", "-l", "集体协商 -草案", "docs"])
        #expect(fixed.status == 0 && Self.lines(fixed.out) == s.expected(all: ["集体协商"], none: ["草案"]), "\(fixed)")
        // bare sou is a usage error too (the help on stderr, exit 2)
        let bare = try s.run([])
        #expect(bare.status == 2 && bare.out.isEmpty && bare.err.contains("USAGE"), "\(bare)")
        // -h and --help still print the help
        let help = try s.run(["search", "-h"])
        #expect(help.status == 0 && help.out.contains("QUERY LANGUAGE"), "\(help)")
    }

    /// Before: each of these was "unknown option …; to exclude words, put them inside the quoted
    /// query: sou search '1 --max-count' 集体协商 docs" (a command that searches for the option's
    /// name), `-n 集体协商` was "The value '集体协商' is invalid for '-n <limit>'", and `-i docs`
    /// "docs is not a regular file".
    @Test("a ripgrep option sou names otherwise, or a misspelt option, is an unknown option that says what to use (never quoting advice); -n and -i taken as rg's are explained")
    func ripgrepOptionsAndMisspellings() throws {
        let s = try Scratch()
        defer { s.remove() }
        for (arguments, option, advice) in [
            (["--max-count", "1", "集体协商", "docs"], "--max-count", "-m/--max-lines N"),
            (["集体协商", "docs", "--ignore-case"], "--ignore-case", "always ignores case and width"),
            (["-S", "集体协商", "docs"], "-S", "always ignores case and width"),
            (["-w", "集体协商", "docs"], "-w", "Latin words match whole already"),
            (["-F", "集体协商", "docs"], "-F", "never a regular expression"),
            (["--line-number", "集体协商", "docs"], "--line-number", "always show their line numbers"),
            (["-v", "草案", "docs"], "-v", "sou search '集体协商 -草案' PATH"),
            (["集体协商", "docs", "-u"], "-u", "no .gitignore"),
            (["--limt", "3", "集体协商", "docs"], "--limt", "did you mean --limit?"),
            (["--limt=3", "集体协商", "docs"], "--limt", "did you mean --limit?"),
            (["集体协商", "docs", "--files-with-match"], "--files-with-match", "did you mean --files-with-matches?"),
            (["--colour", "never", "集体协商", "docs"], "--colour", "did you mean --color?"),
            (["--vim", "集体协商", "docs"], "--vim", "did you mean --vimgrep?"),
            (["--zzzzzz", "集体协商", "docs"], "--zzzzzz", "see sou search --help"),
            (["-z", "集体协商", "docs"], "-z", "see sou search --help"),
        ] {
            let r = try s.run(["search"] + arguments)
            #expect(r.status == 2 && r.out.isEmpty, "\(arguments): \(r)")
            #expect(r.err.contains("unknown option '\(option)'; ") && r.err.contains(advice), "\(arguments): \(r)")
            #expect(!r.err.contains("quoted query"), "\(arguments): \(r)")
        }
        // the advice is right: the suggested options are taken
        let fixed = try s.run(["search", "--limit", "3", "-m", "1", "--files-with-matches", "--color", "never", "集体协商", "docs"])
        #expect(fixed.status == 0 && Self.lines(fixed.out).count == 3, "\(fixed)")
        // an exclusion of a word is still one (quoting advice)
        let exclusion = try s.run(["search", "集体协商", "-windows", "docs"])
        #expect(exclusion.status == 2 && exclusion.err.contains("sou search '集体协商 -windows' docs"), "\(exclusion)")

        // rg's -n (line numbers) took the query as sou's number of hits
        for arguments in [["-n", "集体协商", "docs"], ["--limit=all", "集体协商", "docs"]] {
            let r = try s.run(["search"] + arguments)
            #expect(r.status == 2 && r.err.contains("of -n/--limit is not a number") && r.err.contains("line numbers"), "\(arguments): \(r)")
        }
        // a folder given with -i (rg's -i is ignore-case): the command that searches it
        let folder = try s.run(["search", "-i", "docs", "集体协商"])
        #expect(folder.status == 2 && folder.err.contains("docs is a folder, not an index file")
                && folder.err.contains("sou search '集体协商' docs"), "\(folder)")
    }

    @Test("the quoted command an exclusion error suggests keeps the other options and runs; a mistyped --option is named with the nearest one, not taken for an exclusion")
    func suggestedCommandsRun() throws {
        let s = try Scratch()
        defer { s.remove() }
        // the other options stay where they were: the suggestion is the command meant
        for (arguments, suggestion, runs) in [
            (["集体协商", "-html", "-c", "docs"], "sou search '集体协商 -html' -c docs", ["集体协商 -html", "-c", "docs"]),
            (["-l", "集体协商", "-草案", "docs"], "sou search -l '集体协商 -草案' docs", ["-l", "集体协商 -草案", "docs"]),
            (["-n", "1", "集体协商", "-windows", "docs", "--max-lines", "1"],
             "sou search -n 1 '集体协商 -windows' docs --max-lines 1", ["-n", "1", "集体协商 -windows", "docs", "--max-lines", "1"]),
        ] {
            let r = try s.run(["search"] + arguments)
            #expect(r.status == 2 && r.out.isEmpty, "\(arguments): \(r)")
            #expect(r.err.contains("put them inside the quoted query: \(suggestion)\n"), "\(arguments): \(r)")
            let fixed = try s.run(["search"] + runs)
            #expect(fixed.status == 0 && !fixed.out.isEmpty, "\(runs): \(fixed)")
        }
        // a long option that does not exist is a typo, never a word to exclude ('集体协商 --jsno'
        // is no query either): named, with the nearest option, also beside an exclusion
        for (arguments, named) in [
            (["集体协商", "--jsno", "docs"], "unknown option '--jsno'; did you mean --json?"),
            (["集体协商", "docs", "--colour", "never"], "unknown option '--colour'; did you mean --color?"),
            (["集体协商", "--bogus"], "unknown option '--bogus'; see sou search --help"),
            (["集体协商", "-windows", "--jsno"], "unknown option '--jsno'; did you mean --json?"),
        ] {
            let r = try s.run(["search"] + arguments)
            #expect(r.status == 2 && r.out.isEmpty && !r.err.contains("OVERVIEW"), "\(arguments): \(r)")
            #expect(r.err.contains(named), "\(arguments): \(r)")
            #expect(!r.err.contains("quoted query"), "\(arguments): \(r)")
        }
    }

    /// Before: `sou show KEY` of a key a folder search printed failed (exit 2, "no index: pass
    /// --index FILE or set SOU_INDEX"): the document was in the cache, under a name nobody knows.
    @Test("sou show KEY shows a document a folder search printed, read from its file (a path, or path#id of JSON Lines) as the index stores it; also when ./corpus.sou lacks the key")
    func showAfterFolderSearch() throws {
        let s = try Scratch()
        defer { s.remove() }
        let noIndex = ["SOU_INDEX": ""]
        let found = try s.run(["search", "-l", "集体协商", "docs"], environment: noIndex)
        let keys = Self.lines(found.out)
        #expect(found.status == 0 && keys == s.expected(all: ["集体协商"]) && keys.contains("docs/lines.jsonl#a"), "\(found)")
        // the oracle: what an index of the same files stores under each key
        #expect(try s.run(["index", "docs", "-o", "stored.sou", "--quiet"]).status == 0)
        for key in keys {
            let shown = try s.run(["show", key], environment: noIndex)
            let stored = try s.run(["show", "-i", "stored.sou", key])
            #expect(shown.status == 0 && stored.status == 0 && shown.out == stored.out && !shown.out.isEmpty, "\(key): \(shown) \(stored)")
        }
        let text = try #require(Scratch.documents.first { $0.0 == "docs/lo-zh-cn/01.txt" }?.1)
        #expect(try s.run(["show", "docs/lo-zh-cn/01.txt"], environment: noIndex).out == text)
        let numbered = try s.run(["show", "docs/lines.jsonl#a", "--lines", "2", "-N"], environment: noIndex)
        #expect(numbered.status == 0 && numbered.out == "2:集体协商 工资 html\n", "\(numbered)")
        // an id the file does not have: exit 1; a key that names no file: exit 2, saying so
        let unknownID = try s.run(["show", "docs/lines.jsonl#zz"], environment: noIndex)
        #expect(unknownID.status == 1 && unknownID.err.contains("no document has the key docs/lines.jsonl#zz"), "\(unknownID)")
        let noFile = try s.run(["show", "docs/none.txt"], environment: noIndex)
        #expect(noFile.status == 2 && noFile.err.contains("names no file"), "\(noFile)")
        // ./corpus.sou is used first; a key it does not have is read from its file
        #expect(try s.run(["index", "docs/lo-zh-tw", "-o", "corpus.sou", "--quiet"]).status == 0)
        let fromCorpus = try s.run(["show", "docs/lo-zh-tw/01.txt"], environment: noIndex)
        #expect(fromCorpus.status == 0 && fromCorpus.out == "集体协商 windows 版本\n", "\(fromCorpus)")
        let fromFile = try s.run(["show", "docs/lo-zh-cn/01.txt"], environment: noIndex)
        #expect(fromFile.status == 0 && fromFile.out == text, "\(fromFile)")
        // an index given with -i is the only place looked in
        let given = try s.run(["show", "-i", "corpus.sou", "docs/lo-zh-cn/01.txt"])
        #expect(given.status == 1, "\(given)")
    }

    /// Before: ArgumentParser's guess, any option within a large edit distance (`sou index
    /// --bogus`: "Did you mean '--jobs'?").
    @Test("a misspelt long option of any command names the nearest option, or sends to the command's help when none is near")
    func misspeltOptionsOfEveryCommand() throws {
        let s = try Scratch()
        defer { s.remove() }
        #expect(try s.run(["index", "docs", "-o", "d.sou", "--quiet"]).status == 0)
        for (arguments, message) in [
            (["index", "docs", "-o", "d.sou", "--jbos", "2"], "unknown option '--jbos'; did you mean --jobs?"),
            (["index", "docs", "-o", "d.sou", "--bogus"], "unknown option '--bogus'; see sou index --help for the options"),
            (["add", "-i", "d.sou", "--wiat", "docs"], "unknown option '--wiat'; did you mean --wait?"),
            (["stats", "--jsn", "d.sou"], "unknown option '--jsn'; did you mean --json?"),
            (["bench", "index", "--rnus", "2", "docs"], "unknown option '--rnus'; did you mean --runs?"),
            (["delete", "-i", "d.sou", "--keys-frm", "-"], "unknown option '--keys-frm'; did you mean --keys-from?"),
        ] {
            let r = try s.run(arguments)
            #expect(r.status == 2 && r.out.isEmpty, "\(arguments): \(r)")
            #expect(r.err.hasPrefix("sou: " + message + "\nUsage: sou "), "\(arguments): \(r)")
        }
    }

    @Test("a query that starts with '-' is given with -e or after --; a missing or empty query and --batch with a query are usage errors")
    func dashQueriesAndUsageErrors() throws {
        let s = try Scratch()
        defer { s.remove() }
        let want = s.expected(all: ["工资"], none: ["集体协商"])
        #expect(!want.isEmpty)
        let withE = try s.run(["search", "-l", "-e", "-集体协商 工资", "docs"])
        #expect(withE.status == 0 && Self.lines(withE.out) == want, "\(withE)")
        let afterDashes = try s.run(["search", "-l", "--", "-集体协商 工资", "docs"])
        #expect(afterDashes.status == 0 && Self.lines(afterDashes.out) == want, "\(afterDashes)")

        // without -e: the error says to use it, with the command that works (before, "missing
        // QUERY" alone, or the paths taken for words of the query: sou search 'docs -集体协商 工资')
        for (arguments, suggestion) in [
            (["-l", "-集体协商 工资", "docs"], "sou search -e '-集体协商 工资' docs"),
            (["-l", "-集体协商", "docs"], "sou search -e '-集体协商' docs"),
            (["-集体协商 工资"], "sou search -e '-集体协商 工资'"),
            (["-c", "-集体协商"], "sou search -e '-集体协商'"),
        ] {
            let r = try s.run(["search"] + arguments)
            #expect(r.status == 2 && r.out.isEmpty, "\(arguments): \(r)")
            #expect(r.err.contains("a query that starts with '-' goes after -e or --: \(suggestion)"), "\(arguments): \(r)")
        }

        // several -e: any of them (OR), as grep and rg (before: only the last one was searched)
        let either = try s.run(["search", "-l", "-e", "集体协商", "-e", "工资", "docs"])
        #expect(either.status == 0 && Self.lines(either.out) == s.expected(all: ["集体协商"]).union(s.expected(all: ["工资"])), "\(either)")
        let oneMissing = try s.run(["search", "-c", "-e", "集体协商", "-e", "无此词汇", "docs"])
        #expect(oneMissing.status == 0 && oneMissing.out != "0\n", "\(oneMissing)")

        let nothing = try s.run(["search", "--"])
        #expect(nothing.status == 2 && nothing.err.contains("missing QUERY"), "\(nothing)")
        let empty = try s.run(["search", " ", "docs"])
        #expect(empty.status == 2 && empty.err.contains("empty"), "\(empty)")
        try write("集体协商\n", to: s.path("q.txt"))
        let both = try s.run(["search", "--batch", "q.txt", "集体协商"])
        #expect(both.status == 2 && both.err.contains("集体协商: no such file or folder"), "\(both)")
        #expect(both.out.isEmpty, "\(both)")
        let indexAndPaths = try s.run(["search", "-i", "x.sou", "集体协商", "docs"])
        #expect(indexAndPaths.status == 2 && indexAndPaths.err.contains("either -i INDEX or PATHs"), "\(indexAndPaths)")
    }

    // MARK: - Keys

    @Test("keys are paths as given to sou index: unique across roots and openable from where it ran; JSON Lines keep path#id")
    func keysArePaths() throws {
        let s = try Scratch()
        defer { s.remove() }
        let built = try s.run(["index", "docs/lo-zh-tw", "docs/lo-zh-cn", "-o", "two.sou"])
        #expect(built.status == 0 && built.err.contains("indexed 4 documents"), "\(built)")
        let keys = try s.run(["search", "-i", "two.sou", "-l", "-n", "100", "集体协商"])
        #expect(Self.lines(keys.out) == ["docs/lo-zh-tw/01.txt", "docs/lo-zh-cn/01.txt", "docs/lo-zh-cn/02.txt"], "\(keys)")
        for key in Self.lines(keys.out) {
            #expect(FileManager.default.fileExists(atPath: s.path(key)), "\(key) does not open from where sou index ran")
        }
        let whole = try s.run(["index", "docs", "-o", "docs.sou"])
        #expect(whole.status == 0, "\(whole)")
        let all = try s.run(["search", "-i", "docs.sou", "-l", "-n", "100", "集体协商"])
        #expect(Self.lines(all.out) == s.expected(all: ["集体协商"]), "\(all)")
        #expect(all.out.contains("docs/lines.jsonl#a"), "\(all)")
    }

    // MARK: - Searching a folder directly

    @Test("searching a folder keeps its index in the cache, prints paths as given, and reads only what changed")
    func folderSearch() throws {
        let s = try Scratch()
        defer { s.remove() }
        let first = try s.run(["search", "-l", "-n", "100", "集体协商", "docs"])
        #expect(first.status == 0, "\(first)")
        #expect(Self.lines(first.out) == s.expected(all: ["集体协商"]), "\(first)")
        let cached = try FileManager.default.contentsOfDirectory(atPath: s.cache).filter { $0.hasSuffix(".sou") }
        #expect(cached.count == 1 && cached[0].hasPrefix("docs-"), "\(cached)")
        let cacheFile = s.cache + "/" + cached[0]
        #expect(try runSouBounded(s.sou, ["check", cacheFile]).status == 0)

        // the same folder spelled otherwise: the same cache file, the paths as given
        let spelled = try s.run(["search", "-l", "-n", "100", "集体协商", s.path("docs") + "/"])
        #expect(Self.lines(spelled.out) == Set(s.expected(all: ["集体协商"]).map { s.folder.path + "/" + $0 }), "\(spelled)")
        let inside = try runSouBounded(s.sou, ["search", "-l", "-n", "100", "工资", "."], in: s.folder.appendingPathComponent("docs"),
                                       environment: ["SOU_CACHE": s.cache])
        #expect(Self.lines(inside.out) == Set(s.expected(all: ["工资"]).map { "./" + $0.dropFirst("docs/".count) }), "\(inside)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: s.cache).filter { $0.hasSuffix(".sou") }.count == 1)

        // unchanged: the cache file is not written
        let before = try Data(contentsOf: URL(fileURLWithPath: cacheFile))
        let modified = try FileManager.default.attributesOfItem(atPath: cacheFile)[.modificationDate] as? Date
        #expect(try s.run(["search", "-c", "工资", "docs"]).out == "\(s.expected(all: ["工资"]).count)\n")
        #expect(try Data(contentsOf: URL(fileURLWithPath: cacheFile)) == before)
        #expect(try FileManager.default.attributesOfItem(atPath: cacheFile)[.modificationDate] as? Date == modified)

        // a changed, a new and a removed file: found, found, gone
        try s.put("docs/lo-zh-tw/02.txt", "工资 集体协商 changedword\n", age: 10)
        try s.put("docs/new.txt", "新的 集体协商 newword\n", age: 9)
        try FileManager.default.removeItem(atPath: s.path("docs/lo-zh-cn/02.txt"))
        let after = try s.run(["search", "-l", "-n", "100", "集体协商", "docs"])
        #expect(Self.lines(after.out) == ["docs/lo-zh-cn/01.txt", "docs/lo-zh-tw/01.txt", "docs/lo-zh-tw/02.txt", "docs/new.txt", "docs/lines.jsonl#a"], "\(after)")
        let stats = try runSouBounded(s.sou, ["stats", cacheFile, "--json"])
        let o = try #require(try JSONSerialization.jsonObject(with: Data(stats.out.utf8)) as? [String: Any])
        #expect((o["segments"] as? [Any])?.count == 2, "the update was not incremental: \(stats.out)")

        // an index file given as a PATH: use -i
        #expect(try s.run(["index", "docs", "-o", "docs.sou"]).status == 0)
        let asPath = try s.run(["search", "集体协商", "docs.sou"])
        #expect(asPath.status == 2 && asPath.err.contains("search it with -i docs.sou"), "\(asPath)")
    }

    @Test("a folder-search cache file of an older format version is rebuilt by the next search, which answers as usual")
    func olderCacheRebuilt() throws {
        let s = try Scratch()
        defer { s.remove() }
        #expect(try s.run(["search", "-l", "-n", "100", "集体协商", "docs"]).status == 0)
        let cached = try FileManager.default.contentsOfDirectory(atPath: s.cache).filter { $0.hasSuffix(".sou") }
        let cacheFile = s.cache + "/" + (try #require(cached.first))
        try makeOlderFormatVersion(cacheFile)
        #expect(throws: IndexError.self) { _ = try IndexReader(path: cacheFile) }
        let again = try s.run(["search", "-l", "-n", "100", "集体协商", "docs"])
        #expect(again.status == 0, "\(again)")
        #expect(Self.lines(again.out) == s.expected(all: ["集体协商"]), "\(again)")
        #expect(try IndexReader(path: cacheFile).formatVersion == Int(FileLayout.formatVersion))
        #expect(try runSouBounded(s.sou, ["check", cacheFile]).status == 0)
    }

    @Test("a file changed, added or removed just before a folder search is always in its answer (the search of the cached index that runs during the up-to-date check never prints)")
    func everyChangeSeen() throws {
        let s = try Scratch()
        defer { s.remove() }
        // the text of every file, the oracle's view of the folder
        var files = Dictionary(uniqueKeysWithValues: Scratch.documents.filter { !$0.0.hasSuffix(".jsonl") })
        try FileManager.default.removeItem(atPath: s.path("docs/lines.jsonl"))
        func expected(_ word: String) -> Set<String> { Set(files.filter { $0.value.contains(word) }.keys) }
        func check(_ word: String, _ round: Int) throws {
            let l = try s.run(["search", "-l", "-n", "100", word, "docs"])
            let want = expected(word)
            #expect(l.status == (want.isEmpty ? 1 : 0) && Self.lines(l.out) == want, "round \(round), \(word): \(l)")
            let c = try s.run(["search", "-c", word, "docs"])
            #expect(c.out == "\(want.count)\n", "round \(round), \(word): \(c)")
        }
        try check("集体协商", 0)
        for round in 1...12 {
            let word = "变化第\(round < 10 ? "0" : "")\(round)轮"
            switch round % 3 {
            case 0:
                // changed in place, the same size: only the modification time tells
                let name = "docs/lo-zh-tw/02.txt"
                let text = "工资 " + word + "\n"
                if round > 3 { #expect(text.utf8.count == files[name]!.utf8.count) }
                files[name] = text
                try s.put(name, text, age: Double(100 - round))
            case 1:
                let name = "docs/new-\(round).txt"
                files[name] = "新的 " + word + " 集体协商\n"
                try s.put(name, files[name]!, age: Double(100 - round))
            default:
                let name = "docs/new-\(round - 1).txt"
                files[name] = nil
                try FileManager.default.removeItem(atPath: s.path(name))
            }
            // the change, then the searches: each must see it
            try check(word, round)
            try check("变化第\(round - 1 < 10 ? "0" : "")\(round - 1)轮", round)
            try check("集体协商", round)
        }
    }

    @Test("a repeat folder search prints exactly what sou search -i of an up-to-date index of the folder prints, in every output mode")
    func repeatSearchOutputs() throws {
        let s = try Scratch()
        defer { s.remove() }
        // more than one output chunk (64 KiB) of lines for the plain and JSON output
        for i in 0..<40 {
            try s.put("docs/bulk/\(i).txt", (0..<60).map { "第\($0)行 集体协商 工资 \(i)\n" }.joined())
        }
        #expect(try s.run(["index", "docs", "-o", "docs.sou"]).status == 0)
        // the batch output's timings differ from run to run
        func withoutTimes(_ text: String) -> String {
            text.replacingOccurrences(of: #""(ms|seconds)":[0-9.]+"#, with: "T", options: .regularExpression)
        }
        let batch = Data("集体协商\n工资 -草案\n\"unclosed\n没有这个词\n".utf8)
        let modes: [[String]] = [
            [], ["--json"], ["-c"], ["-c", "--json"], ["-l"], ["-l", "--json"], ["--vimgrep"], ["-C", "1"], ["--json", "-B", "2"],
            ["--color", "always"], ["--color", "always", "--vimgrep"], ["--explain", "-n", "3"], ["-n", "200", "--max-lines", "2"],
            ["--offset", "5", "-n", "5"], ["--batch", "-"], ["--batch", "-", "-c"], ["--batch", "-", "-l"],
        ]
        let queries = ["集体协商", "工资 -草案", "没有这个词", "\"unclosed"]
        // the first search builds the cache; the later ones find it up to date
        #expect(try s.run(["search", "-c", "集体协商", "docs"]).status == 0)
        for mode in modes {
            for query in mode.first == "--batch" ? [""] : queries {
                let q = mode.first == "--batch" ? [] : ["-e", query]
                let input = mode.first == "--batch" ? batch : nil
                let folder = try s.run(["search"] + mode + q + ["docs"], input: input)
                let index = try s.run(["search", "-i", "docs.sou"] + mode + q, input: input)
                #expect(folder.status == index.status, "\(mode) \(query): \(folder)\n\(index)")
                #expect(withoutTimes(folder.out) == withoutTimes(index.out), "\(mode) \(query): \(folder)\n\(index)")
                #expect(folder.err == index.err, "\(mode) \(query): \(folder)\n\(index)")
            }
        }
        let big = try s.run(["search", "-n", "100", "集体协商", "docs"])
        #expect(big.out.utf8.count > 1 << 16, "the plain output is one chunk only: \(big.out.utf8.count) bytes")
    }

    /// Before: `sou search 集体协商 docs -g '*.txt'` was "unknown option '-g'" (exit 2): the
    /// filters ripgrep users reach for existed for `sou index` only.
    @Test("-t, -T, -g and --encoding narrow a folder search as they narrow sou index: the same hits and scores as -i of an index built with them, a cache of its own per set, errors before anything is read")
    func folderSearchFilters() throws {
        let s = try Scratch()
        defer { s.remove() }
        let all = s.expected(all: ["集体协商"])
        // each filter set, and the keys it leaves (decided here from the names, not by sou)
        let sets: [([String], (String) -> Bool)] = [
            (["-g", "*.txt"], { $0.hasSuffix(".txt") }),
            (["-T", "txt"], { !$0.hasSuffix(".txt") }),
            (["-t", "jsonl"], { $0.contains(".jsonl#") }),
            (["-g", "!lo-zh-tw/*"], { !$0.hasPrefix("docs/lo-zh-tw/") }),
            (["-t", "txt", "-g", "!02.txt"], { $0.hasSuffix(".txt") && !$0.hasSuffix("/02.txt") }),
            (["--glob", "lo-zh-cn/*", "--type-not", "md"], { $0.hasPrefix("docs/lo-zh-cn/") }),
        ]
        for (n, (filter, keeps)) in sets.enumerated() {
            let want = all.filter(keeps)
            let folder = try s.run(["search", "-l", "-n", "100", "集体协商", "docs"] + filter)
            #expect(folder.status == (want.isEmpty ? 1 : 0) && Self.lines(folder.out) == want, "\(filter): \(folder)")
            // hits and scores equal those of an index built with the same filters
            #expect(try s.run(["index", "docs", "-o", "f\(n).sou", "--quiet"] + filter).status == 0)
            let json = try s.run(["search", "--json", "-n", "100", "集体协商", "docs"] + filter)
            let index = try s.run(["search", "--json", "-n", "100", "集体协商", "-i", "f\(n).sou"])
            #expect(json.status == index.status && json.out == index.out && !json.out.isEmpty, "\(filter): \(json)\n\(index)")
        }
        // a cache file per set of options (and none was rewritten into another's answers)
        let cached = try FileManager.default.contentsOfDirectory(atPath: s.cache).filter { $0.hasSuffix(".sou") }
        #expect(cached.count == sets.count, "\(cached)")
        let unfiltered = try s.run(["search", "-l", "-n", "100", "集体协商", "docs"])
        #expect(Self.lines(unfiltered.out) == all, "\(unfiltered)")
        // a file named on the command line is searched whatever the filters (as sou index reads it)
        let named = try s.run(["search", "-l", "集体协商", "docs/lo-zh-cn/02.txt", "-t", "md"])
        #expect(named.status == 0 && named.out == "docs/lo-zh-cn/02.txt\n", "\(named)")

        // --type-list: every type with its globs, as rg --type-list; each one -t takes
        let list = try s.run(["search", "--type-list"])
        #expect(list.status == 0 && list.out.hasPrefix("txt: *.txt, *.text\nmd: *.md, *.markdown"), "\(list)")
        let names = list.out.split(separator: "\n").map { String($0.prefix { $0 != ":" }) }
        #expect(names.count == FileTypes.all.count && names.contains("jsonl") && names.contains("man"), "\(names)")
        for name in names {
            #expect(try s.run(["search", "-c", "集体协商", "docs", "-t", name, "--no-cache"]).status != 2, "\(name)")
        }

        // --encoding: four GBK characters are too short for detection; named, they are read
        try s.put("gbk/short.txt", "")
        try Data(BadInputMatrixTests.iconv("工资谈判\n", to: "GBK")).write(to: URL(fileURLWithPath: s.path("gbk/short.txt")))
        let forced = try s.run(["search", "-l", "工资谈判", "gbk", "--encoding", "GBK"])
        #expect(forced.status == 0 && forced.out == "gbk/short.txt\n", "\(forced)")

        // wrong values: exit 2 with the reason, nothing read or cached; with -i a usage error
        // that points to path: in the query
        let before = try FileManager.default.contentsOfDirectory(atPath: s.cache).sorted()
        for (arguments, message) in [(["-t", "nope"], "unknown file type \"nope\""), (["-T", "nope"], "unknown file type \"nope\""),
                                     (["-g", "[a"], "invalid --glob \"[a\""), (["-g", "!"], "empty --glob"),
                                     (["--encoding", "bogus"], "unknown encoding \"bogus\"")] {
            let r = try s.run(["search", "集体协商", "docs"] + arguments)
            #expect(r.status == 2 && r.out.isEmpty && r.err.contains(message), "\(arguments): \(r)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: s.cache).sorted() == before)
        #expect(try s.run(["index", "docs", "-o", "docs.sou", "--quiet"]).status == 0)
        for arguments in [["-g", "*.txt"], ["-t", "txt"], ["-T", "md"], ["--encoding", "GBK"]] {
            let r = try s.run(["search", "-i", "docs.sou", "集体协商"] + arguments)
            #expect(r.status == 2 && r.err.contains("applies to PATHs searched directly") && !r.err.contains("OVERVIEW"), "\(arguments): \(r)")
        }
        let hint = try s.run(["search", "-i", "docs.sou", "集体协商", "-g", "*.txt"])
        #expect(hint.err.contains("put path:GLOB in the query"), "\(hint)")
    }

    /// Before: `sou search 集体协商 docs docs/lo-zh-cn` (and `sou index` of the same paths) gave a
    /// "duplicate key … the last one read wins" warning for every file under docs/lo-zh-cn.
    @Test("a file reached through two of the paths given (a folder and one inside it) is read once, without warnings, by sou index and by a folder search")
    func nestedPathsReadOnce() throws {
        let s = try Scratch()
        defer { s.remove() }
        let want = s.expected(all: ["集体协商"])
        for paths in [["docs", "docs/lo-zh-cn"], ["docs/lo-zh-cn", "docs"], ["docs", "docs/lo-zh-cn/01.txt", "docs"]] {
            let search = try s.run(["search", "-l", "-n", "100", "集体协商"] + paths)
            #expect(search.status == 0 && Self.lines(search.out) == want && search.err.isEmpty, "\(paths): \(search)")
            let index = try s.run(["index"] + paths + ["-o", "nested.sou", "--rebuild"])
            #expect(index.status == 0 && !index.err.contains("duplicate"), "\(paths): \(index)")
            let listed = try s.run(["search", "-l", "-n", "100", "集体协商", "-i", "nested.sou"])
            #expect(Self.lines(listed.out) == want, "\(paths): \(listed)")
            let count = try s.run(["stats", "--json", "nested.sou"])
            let o = try #require(try JSONSerialization.jsonObject(with: Data(count.out.utf8)) as? [String: Any])
            #expect((o["documents"] as? Int) == Scratch.documents.count + 1, "\(paths): \(count.out)")   // (the JSON Lines file holds two)
        }
        // --verbose says so
        let verbose = try s.run(["index", "docs", "docs/lo-zh-cn", "-o", "v.sou", "--verbose"])
        #expect(verbose.err.contains("2 files reached through two of the paths given: read once"), "\(verbose)")
    }

    /// Before: "no index: pass --index FILE, set SOU_INDEX, or build one with …": the way to search
    /// the files at hand, naming them, went unsaid.
    @Test("sou search without PATH, index or corpus here says how to search this folder (the query quoted) and how to give an index; a missing -i file that looks like rg's -i says what -i is")
    func noIndexHereSaysHow() throws {
        let s = try Scratch()
        defer { s.remove() }
        let r = try s.run(["search", "集体协商 工资"], environment: ["SOU_INDEX": ""])
        #expect(r.status == 2 && r.out.isEmpty, "\(r)")
        #expect(r.err.contains("to search files and folders, name them (sou search '集体协商 工资' . searches this folder)"), "\(r)")
        #expect(r.err.contains("pass -i FILE (sou index PATH -o FILE builds one) or set SOU_INDEX"), "\(r)")
        // rg's -i (ignore case) typed out of habit: the query taken for an index file says so, and
        // how to search the folder the query was taken from
        let rg = try s.run(["search", "-i", "集体协商", "docs"])
        #expect(rg.status == 2 && rg.err.contains("集体协商: no such index file (-i names an index to search; matching is always case-insensitive, as with rg -i); to search docs for 集体协商: sou search '集体协商' 'docs'"), "\(rg)")
        let plain = try s.run(["search", "-i", "missing", "集体协商"])
        #expect(plain.status == 2 && plain.err.contains("missing: no such index file") && !plain.err.contains("sou search '"), "\(plain)")
        // the suggestion works
        let here = try s.run(["search", "-l", "-n", "100", "集体协商 工资", "."])
        #expect(here.status == 0 && Self.lines(here.out) == Set(s.expected(all: ["集体协商", "工资"]).map { "./" + $0 }), "\(here)")
    }

    /// Before: `sou search -q 集体协商 docs` was "unknown option '-q'" (exit 2).
    @Test("-q prints nothing and answers with the exit status: 0 matched, 1 nothing did, 2 an error, for an index and for folders; with an output option it is a usage error")
    func quietAnswersWithStatus() throws {
        let s = try Scratch()
        defer { s.remove() }
        #expect(try s.run(["index", "docs", "-o", "docs.sou", "--quiet"]).status == 0)
        for target in [["-i", "docs.sou"], ["docs"], ["docs", "--hidden"], ["docs", "-g", "*.txt"]] {
            for (query, status) in [("集体协商", 0), ("工资 -草案", 0), ("没有这个词", 1), ("集体协商 没有这个词", 1)] {
                let r = try s.run(["search", "-q", query] + target)
                #expect(r.status == Int32(status) && r.out.isEmpty && r.err.isEmpty, "\(query) \(target): \(r)")
                // the same status as the search that prints
                #expect(try s.run(["search", query] + target).status == r.status, "\(query) \(target)")
            }
            let bad = try s.run(["search", "--quiet", "\"unclosed"] + target)
            #expect(bad.status == 2 && bad.out.isEmpty && bad.err.contains("never closed"), "\(target): \(bad)")
        }
        let missing = try s.run(["search", "-q", "集体协商", "-i", "nope.sou"])
        #expect(missing.status == 2 && missing.out.isEmpty && missing.err.contains("nope.sou"), "\(missing)")
        for option in [["-c"], ["-l"], ["--json"], ["--vimgrep"], ["--explain"], ["-C", "1"], ["-A", "2"]] {
            let r = try s.run(["search", "-q", "集体协商", "-i", "docs.sou"] + option)
            #expect(r.status == 2 && r.err.contains("-q prints nothing") && !r.err.contains("OVERVIEW"), "\(option): \(r)")
        }
        let batch = try s.run(["search", "-q", "--batch", "-", "-i", "docs.sou"], input: Data("集体协商\n".utf8))
        #expect(batch.status == 2 && batch.err.contains("give no --batch"), "\(batch)")
    }

    @Test("stdin (-), a pipe (/dev/stdin, <(…)) and a FIFO are searched as PATHs, indexed in memory; a link loop is named as one")
    func streamsAsPaths() throws {
        let s = try Scratch()
        defer { s.remove() }
        // before: "-: no such file or folder; … quote them", "/dev/stdin: No such file or directory"
        for path in ["-", "/dev/stdin"] {
            let r = try s.run(["search", "-c", "集体协商", path], input: Data("工会的集体协商\n".utf8))
            #expect(r.status == 0 && r.out == "1\n", "\(path): \(r)")
            let none = try s.run(["search", "-c", "草案", path], input: Data("工会的集体协商\n".utf8))
            #expect(none.status == 1 && none.out == "0\n", "\(path): \(none)")
        }
        // with folders, stdin's JSON Lines keyed by their ids; nothing is cached for a stream
        let mixed = try s.run(["search", "-l", "-n", "100", "集体协商", "-", "docs"], input: Data("{\"id\":\"s1\",\"body\":\"集体协商\"}\n".utf8))
        #expect(mixed.status == 0 && Self.lines(mixed.out) == s.expected(all: ["集体协商"]).union(["s1"]), "\(mixed)")
        let cached = (try? FileManager.default.contentsOfDirectory(atPath: s.cache)) ?? []
        #expect(cached.filter { $0.hasSuffix(".sou") }.isEmpty, "a stream is not cached: \(cached)")
        let fifo = s.path("pipe")
        #expect(mkfifo(fifo, 0o600) == 0)
        let writer = try Process.run(URL(fileURLWithPath: "/bin/sh"), arguments: ["-c", "printf '集体协商' > \"$0\"", fifo])
        let fromFIFO = try s.run(["search", "-c", "集体协商", "pipe"])
        writer.waitUntilExit()
        #expect(fromFIFO.status == 0 && fromFIFO.out == "1\n", "\(fromFIFO)")
        #expect(symlink("loop-b", s.path("loop-a")) == 0 && symlink("loop-a", s.path("loop-b")) == 0)
        let loop = try s.run(["search", "集体协商", "loop-a"])
        #expect(loop.status == 2 && loop.err.contains("loop-a: a symbolic link loop") && !loop.err.contains("quote"), "\(loop)")
    }

    @Test("--no-cache writes nothing; a cache that cannot be written is a warning and the search still answers")
    func noCacheAndUnwritableCache() throws {
        let s = try Scratch()
        defer { s.remove() }
        let want = s.expected(all: ["集体协商"])
        let noCache = try s.run(["search", "-l", "-n", "100", "--no-cache", "集体协商", "docs"])
        #expect(noCache.status == 0 && Self.lines(noCache.out) == want, "\(noCache)")
        #expect(!FileManager.default.fileExists(atPath: s.cache))
        try write("a file where the cache folder should be", to: s.path("blocked"))
        let blocked = try s.run(["search", "-l", "-n", "100", "集体协商", "docs"], environment: ["SOU_CACHE": s.path("blocked/sou")])
        #expect(blocked.status == 0 && Self.lines(blocked.out) == want, "\(blocked)")
        #expect(blocked.err.contains("warning: cannot use the cache folder") && blocked.err.contains("not a folder"), "\(blocked)")
        // the path at fault is named: a parent of the cache folder that is a file
        let below = try s.run(["search", "-l", "-n", "100", "集体协商", "docs"], environment: ["SOU_CACHE": s.path("blocked/sou/deeper")])
        #expect(below.status == 0 && Self.lines(below.out) == want, "\(below)")
        #expect(below.err.contains("(\(s.path("blocked")) is not a folder)"), "\(below)")
        // analyzer options given with -i are an error (the index has its own)
        let mixed = try s.run(["search", "-i", "x.sou", "--fold-variants", "集体协商"])
        #expect(mixed.status == 2, "\(mixed)")
    }

    /// Before: exit 1 ("nothing matched") with a warning at the first search and not a word
    /// from the second on (the cached index was up to date: its walk's warnings were dropped).
    @Test("a folder search that meets something it cannot read (a dangling link) warns at every search, cached or not, naming it by the path given, and exits 2 when nothing matched (0 when something did), in every output mode and --batch")
    func unreadableInFolder() throws {
        let s = try Scratch()
        defer { s.remove() }
        try FileManager.default.createDirectory(atPath: s.path("broken"), withIntermediateDirectories: true)
        #expect(symlink("nowhere.txt", s.path("broken/gone.txt")) == 0)
        // (named as given: the cache indexes the canonical path, which the warning does not show)
        let warning = "warning: skipping broken/gone.txt: a symbolic link to nothing"
        let failure = "sou: nothing matched, and 1 file or folder could not be read (see the warnings above)"
        for run in 1...2 {
            for mode in [[], ["-c"], ["-l"], ["--json"], ["--no-cache"]] {
                let r = try s.run(["search"] + mode + ["集体协商", "broken"])
                #expect(r.status == 2, "search \(run) \(mode): \(r)")
                #expect(r.err.contains(warning) && r.err.contains(failure), "search \(run) \(mode): \(r)")
                #expect(!r.err.contains("no text files to search"), "search \(run) \(mode): \(r)")
            }
        }
        // something that matches beside it: exit 0, the warning still given; no match: exit 2
        try s.put("broken/ok.txt", "集体协商\n")
        for run in 1...2 {
            let found = try s.run(["search", "-l", "集体协商", "broken"])
            #expect(found.status == 0 && found.out == "broken/ok.txt\n", "search \(run): \(found)")
            #expect(found.err.contains(warning) && !found.err.contains(failure), "search \(run): \(found)")
            let missed = try s.run(["search", "-l", "没有的词", "broken"])
            #expect(missed.status == 2 && missed.out.isEmpty, "search \(run): \(missed)")
            #expect(missed.err.contains(warning) && missed.err.contains(failure), "search \(run): \(missed)")
        }
        let batchMissed = try s.run(["search", "--batch", "-", "broken"], input: Data("没有的词\n".utf8))
        #expect(batchMissed.status == 2 && batchMissed.err.contains(failure), "\(batchMissed)")
        let batchFound = try s.run(["search", "--batch", "-", "broken"], input: Data("没有的词\n集体协商\n".utf8))
        #expect(batchFound.status == 0 && batchFound.err.contains(warning), "\(batchFound)")
        // a folder without anything unreadable still exits 1 on no match
        let clean = try s.run(["search", "-l", "没有的词", "docs"])
        #expect(clean.status == 1 && clean.err.isEmpty, "\(clean)")
    }

    /// As user nobody (run by root, with setpriv): root opens every file. Before: the first
    /// search warned and exited 1, later ones said nothing (the file was recorded in the cached
    /// index as read, with its size and time), and the file stayed out of every search and
    /// `sou index` run after it became readable (chmod changes neither size nor time).
    @Test("a file that cannot be opened (mode 000) is reported by every folder search and sou index run (exit 2 when nothing else matched), adds no commit to the index, and is read once it can be",
          .enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")))
    func unopenableFileInFolder() throws {
        let s = try Scratch()
        defer { s.remove() }
        // nobody must reach the executable, the files and the cache
        let sou = s.path("sou")
        try FileManager.default.copyItem(atPath: s.sou.path, toPath: sou)
        #expect(chmod(s.folder.path, 0o777) == 0)
        try s.put("locked/a.txt", "集体协商\n")
        try s.put("mixed/a.txt", "集体协商\n")
        try s.put("mixed/b.txt", "工资\n")
        for f in ["locked/a.txt", "mixed/a.txt"] { #expect(chmod(s.path(f), 0) == 0) }
        let index = s.path("mixed.sou")
        func asNobody(_ arguments: [String]) throws -> BoundedRun {
            try runBounded(URL(fileURLWithPath: "/usr/bin/setpriv"),
                           ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/env", "SOU_CACHE=\(s.cache)", sou] + arguments)
        }
        let cached = { try FileManager.default.contentsOfDirectory(atPath: s.cache).filter { $0.hasPrefix("locked-") && $0.hasSuffix(".sou") } }
        var before: Data? = nil
        for run in 1...3 {
            let r = try asNobody(["search", "集体协商", s.path("locked")])
            #expect(r.exited(2), "search \(run): status \(r.status): \(r.err)")
            #expect(r.err.contains("locked/a.txt: Permission denied"), "search \(run): \(r.err)")
            #expect(r.err.contains("nothing matched, and 1 file or folder could not be read"), "search \(run): \(r.err)")
            // the searches after the first find nothing to commit: the cache file stays as it was
            let file = try #require(try cached().first.map { s.path("cache/" + $0) })
            let now = FileManager.default.contents(atPath: file)
            if run > 1 { #expect(now == before, "search \(run) wrote to the cache") }
            before = now
        }
        for run in 1...2 {
            let r = try asNobody(["index", s.path("mixed"), "-o", index])
            #expect(r.exited(0), "index \(run): status \(r.status): \(r.err)")
            #expect(r.err.contains("mixed/a.txt: Permission denied") && r.err.contains("skipped 1 unreadable"), "index \(run): \(r.err)")
        }
        let unchanged = FileManager.default.contents(atPath: index)
        #expect(try asNobody(["index", s.path("mixed"), "-o", index, "--quiet"]).exited(0))
        #expect(FileManager.default.contents(atPath: index) == unchanged, "a run that met the same unreadable file committed")
        // readable again (same size and time): read by the next search and the next update
        for f in ["locked/a.txt", "mixed/a.txt"] { #expect(chmod(s.path(f), 0o644) == 0) }
        let found = try asNobody(["search", "-c", "集体协商", s.path("locked")])
        #expect(found.exited(0) && found.out == "1\n" && found.err.isEmpty, "status \(found.status): \(found.out) \(found.err)")
        let updated = try asNobody(["index", s.path("mixed"), "-o", index])
        #expect(updated.exited(0) && updated.err.contains("added 1"), "\(updated.err)")
        #expect(try asNobody(["search", "-i", index, "-c", "集体协商"]).out == "1\n")
    }

    @Test("two searches of a new folder at once: both answer, the index is built once and checks")
    func concurrentSearches() throws {
        let s = try Scratch()
        defer { s.remove() }
        // enough text that the first build takes a while
        for i in 0..<60 {
            try s.put("docs/bulk/\(i).txt", String(repeating: "工会职工代表大会第\(i)次会议 集体协商 ", count: 300))
        }
        let env = ["SOU_CACHE": s.cache]
        let a = try startSou(s.sou, ["search", "-c", "集体协商", "docs"], in: s.folder, environment: env)
        let b = try startSou(s.sou, ["search", "-c", "集体协商", "docs"], in: s.folder, environment: env)
        let ra = try a.finish(timeout: 120), rb = try b.finish(timeout: 120)
        let want = "\(s.expected(all: ["集体协商"]).count + 60)\n"
        #expect(ra.status == 0 && ra.out == want, "\(ra)")
        #expect(rb.status == 0 && rb.out == want, "\(rb)")
        let files = try FileManager.default.contentsOfDirectory(atPath: s.cache)
        #expect(files.filter { $0.hasSuffix(".sou") }.count == 1, "\(files)")
        #expect(!files.contains { $0.contains(".tmp-") }, "\(files)")
        let cacheFile = s.cache + "/" + files.first { $0.hasSuffix(".sou") }!
        let stats = try runSouBounded(s.sou, ["stats", cacheFile, "--json"])
        let o = try #require(try JSONSerialization.jsonObject(with: Data(stats.out.utf8)) as? [String: Any])
        #expect(o["generation"] as? Int == 1, "the index was written more than once: \(stats.out)")
        #expect(try runSouBounded(s.sou, ["check", cacheFile]).status == 0)
    }

    // MARK: - Batches

    @Test("--batch reads stdin (- and /dev/stdin), one query per line (CRLF, TSV), honours -c and -l, and exits 2 when a query failed")
    func batches() throws {
        let s = try Scratch()
        defer { s.remove() }
        #expect(try s.run(["index", "docs", "-o", "docs.sou"]).status == 0)
        let queries = "集体协商\r\n工资\r\n集体协商 -草案\r\n"
        func parse(_ out: String) throws -> [[String: Any]] {
            try out.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        }
        let wantTotals = [s.expected(all: ["集体协商"]).count, s.expected(all: ["工资"]).count, s.expected(all: ["集体协商"], none: ["草案"]).count]
        for file in ["-", "/dev/stdin"] {
            let r = try s.run(["search", "-i", "docs.sou", "--batch", file], input: Data(queries.utf8))
            #expect(r.status == 0, "\(file): \(r)")
            let lines = try parse(r.out)
            #expect(lines.count == 4, "\(file): \(r)")
            #expect(lines.prefix(3).map { $0["query"] as? String } == ["集体协商", "工资", "集体协商 -草案"], "\(file): \(r)")
            #expect(lines.prefix(3).map { $0["total"] as? Int } == wantTotals, "\(file): \(r)")
        }
        // a TSV: the first column of every line, its query<TAB>… header skipped
        try write("query\tkind\n集体协商\tphrase\n工资\tphrase\n", to: s.path("q.tsv"))
        let tsv = try parse(try s.run(["search", "-i", "docs.sou", "--batch", "q.tsv"]).out)
        #expect(tsv.count == 3 && tsv.map { $0["query"] as? String }.prefix(2) == ["集体协商", "工资"], "\(tsv)")
        // -c: totals only; -l: keys
        try write(queries, to: s.path("q.txt"))
        let counts = try parse(try s.run(["search", "-i", "docs.sou", "--batch", "q.txt", "-c"]).out)
        #expect(counts.prefix(3).allSatisfy { $0["hits"] == nil && $0["total"] != nil }, "\(counts)")
        let keys = try parse(try s.run(["search", "-i", "docs.sou", "--batch", "q.txt", "-l", "-n", "100"]).out)
        #expect(Set(keys[0]["keys"] as? [String] ?? []) == s.expected(all: ["集体协商"]), "\(keys)")
        // a bad query: its error line, the others answered, exit 2
        try write("集体协商\n\"unclosed\n工资\n", to: s.path("bad.txt"))
        let bad = try s.run(["search", "-i", "docs.sou", "--batch", "bad.txt"])
        #expect(bad.status == 2, "\(bad)")
        let badLines = try parse(bad.out)
        #expect(badLines.count == 4 && badLines[1]["error"] is String && badLines[2]["total"] as? Int == wantTotals[1], "\(bad)")
        #expect(bad.err.contains("1 of 3 queries failed"), "\(bad)")
        // a batch over a folder searched directly
        let overFolder = try parse(try s.run(["search", "--batch", "q.txt", "-l", "-n", "100", "docs"]).out)
        #expect(Set(overFolder[0]["keys"] as? [String] ?? []) == s.expected(all: ["集体协商"]), "\(overFolder)")
    }

    @Test("--batch seconds is the sum of the queries' ms (answering them), not the time writing their lines into a pipe read late")
    func batchSecondsLeaveOutWriting() throws {
        let s = try Scratch()
        defer { s.remove() }
        #expect(try s.run(["index", "docs", "-o", "docs.sou"]).status == 0)
        // ~300 KB of lines, more than a pipe holds: sou waits for the reader, who starts after 0.5 s
        try write(String(repeating: "集体协商\n", count: 1000), to: s.path("q.txt"))
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", "\"$0\" search -i docs.sou --batch q.txt | (sleep 0.5; cat)", s.sou.path]
        shell.currentDirectoryURL = s.folder
        shell.environment = ["SOU_CACHE": s.cache, "PATH": "/usr/bin:/bin"]
        let out = Pipe()
        shell.standardOutput = out
        try shell.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        shell.waitUntilExit()
        #expect(shell.terminationStatus == 0)
        let lines = try String(decoding: data, as: UTF8.self).split(separator: "\n")
            .map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        try #require(lines.count == 1001)
        let sum = lines.dropLast().reduce(0.0) { $0 + ($1["ms"] as? Double ?? .nan) } / 1000
        let seconds = try #require(lines.last?["seconds"] as? Double)
        // each ms is rounded to 3 decimals: the sum is within 1000 × 0.0005 ms of the exact one
        #expect(abs(seconds - sum) < 0.05, "seconds \(seconds), sum of ms \(sum)")
    }

    @Test("--batch lines: keys and queries with quotes, backslashes and tabs escaped, each hit as the JSON search prints it, and ms with three decimals")
    func batchLineText() throws {
        let s = try Scratch()
        defer { s.remove() }
        try s.put("esc/a\"quote.txt", "集体协商 一")
        try s.put("esc/b\\back.txt", "集体协商 二 集体协商")
        try s.put("esc/plain.txt", "集体协商 三")
        #expect(try s.run(["index", "esc", "-o", "esc.sou"]).status == 0)
        try write("集体协商\n\"集体\"\n协商\t工资\n", to: s.path("q.txt"))
        let r = try s.run(["search", "-i", "esc.sou", "--batch", "q.txt"])
        #expect(r.status == 0, "\(r)")
        let lines = r.out.split(separator: "\n").map(String.init)
        #expect(lines.count == 4, "\(r)")
        for line in lines.dropLast() {
            #expect(line.range(of: #","ms":[0-9]+\.[0-9]{3}\}$"#, options: .regularExpression) != nil, "\(line)")
        }
        let parsed = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(parsed.prefix(3).map { $0["query"] as? String } == ["集体协商", "\"集体\"", "协商"])
        // the hits of the first query: as `sou search --json` prints them (keys and scores)
        let single = try s.run(["search", "-i", "esc.sou", "--json", "-e", "集体协商"])
        let want = try single.out.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
            .compactMap { h -> String? in (h["key"] as? String).map { "\($0) \(h["score"] ?? "")" } }
        let got = (parsed[0]["hits"] as? [[String: Any]] ?? []).map { "\($0["key"] as? String ?? "") \($0["score"] ?? "")" }
        #expect(Set(got) == Set(want) && got.count == 3, "\(got) vs \(want)")
        #expect(Set((parsed[0]["hits"] as? [[String: Any]] ?? []).compactMap { $0["key"] as? String })
                == ["esc/a\"quote.txt", "esc/b\\back.txt", "esc/plain.txt"])
    }

    @Test("--batch lines are, byte for byte, the query, the total and each hit's key and score (Swift's shortest spelling) that sou search --json gives for that query")
    func batchLineBytes() throws {
        let s = try Scratch()
        defer { s.remove() }
        // 13 documents (a two-digit total) with different scores
        for i in 1...13 {
            try s.put("d/\(i).txt", String(repeating: "集体协商 ", count: i % 5 + 1) + String(repeating: "工资。", count: i))
        }
        #expect(try s.run(["index", "d", "-o", "d.sou"]).status == 0)
        let queries = ["集体协商", "工资", "集体 -工资", "协商 OR 工资", "没有"]
        try write(queries.joined(separator: "\n") + "\n", to: s.path("q.txt"))
        let r = try s.run(["search", "-i", "d.sou", "--batch", "q.txt", "-n", "12"])
        let lines = r.out.split(separator: "\n").map(String.init)
        #expect(lines.count == queries.count + 1, "\(r)")
        for (q, line) in zip(queries, lines) {
            let single = try s.run(["search", "-i", "d.sou", "--json", "-n", "12", "-e", q])
            // each hit's key and score as the --json line spells them (Foundation's JSON parser
            // does not give back the shortest round-trip Double, so the text is compared)
            let hits = try single.out.split(separator: "\n").map { line -> (key: String, score: String, total: String) in
                let text = String(line)
                func member(_ pattern: String) throws -> String {
                    let r = try #require(text.range(of: pattern, options: .regularExpression), "\(text)")
                    return String(text[r]).split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: CharacterSet(charactersIn: "\","))
                }
                return (try member(#""key":"[^"]*""#), try member(#""score":[^,}]*"#), try member(#""total":[0-9]+"#))
            }
            let total = hits.first?.total ?? "0"
            var want = "{\"query\":\"\(q)\",\"total\":\(total),\"hits\":["
            want += hits.map { "{\"key\":\"\($0.key)\",\"score\":\($0.score)}" }.joined(separator: ",")
            for h in hits { #expect(Double(h.score).map { "\($0)" } == h.score, "\(h.score) is Swift's shortest spelling") }
            want += "],\"ms\":"
            #expect(line.hasPrefix(want), "\(line) vs \(want)")
            #expect(line.dropFirst(want.count).range(of: #"^[0-9]+\.[0-9]{3}\}$"#, options: .regularExpression) != nil, "\(line)")
        }
        #expect(lines.contains { $0.contains("\"total\":13,") })
    }

    @Test("--batch with an empty input, a folder or a missing file says what is wrong (no false permission message)")
    func batchErrors() throws {
        let s = try Scratch()
        defer { s.remove() }
        #expect(try s.run(["index", "docs", "-o", "docs.sou"]).status == 0)
        let empty = try s.run(["search", "-i", "docs.sou", "--batch", "/dev/null"])
        #expect(empty.status == 2 && empty.err.contains("/dev/null: no queries") && !empty.err.contains("permission"), "\(empty)")
        let folder = try s.run(["search", "-i", "docs.sou", "--batch", "docs"])
        #expect(folder.status == 2 && folder.err.contains("docs is a folder") && !folder.err.contains("NSCocoaErrorDomain"), "\(folder)")
        let missing = try s.run(["search", "-i", "docs.sou", "--batch", "nope.txt"])
        #expect(missing.status == 2 && missing.err.contains("cannot read nope.txt: No such file or directory"), "\(missing)")
    }

    // MARK: - Progress

    @Test("sou index shows a progress bar (percentage, MB/s, ETA) on a terminal and nothing when stderr is not one")
    func progressOnlyOnATerminal() throws {
        let s = try Scratch()
        defer { s.remove() }
        // 3 MB in files of 100 kB: progress is reported every MiB
        for i in 0..<30 {
            try s.put("big/\(i).txt", String(repeating: "工会职工代表大会集体协商工资", count: 2_400))
        }
        let plain = try s.run(["index", "big", "-o", "big.sou"])
        #expect(plain.status == 0, "\(plain)")
        #expect(!plain.err.contains("\r") && !plain.err.contains("\u{1B}") && !plain.err.contains("%"), "progress without a terminal: \(plain)")
        // on a pseudo-terminal (script(1) gives the command one)
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { return }
        let command = "\(s.sou.path) index big -o tty.sou --jobs 1"
        let tty = try runProgram("/usr/bin/script", ["-qfec", command, "/dev/null"], in: s.folder)
        #expect(tty.status == 0, "\(tty)")
        #expect(tty.out.contains("indexing ") && tty.out.contains("% [") && tty.out.contains("MB/s") && tty.out.contains("ETA"), "\(tty)")
        #expect(tty.out.contains("indexed 30 documents"), "\(tty)")
    }
}

/// Runs a program to completion; status, stdout, stderr.
func runProgram(_ path: String, _ arguments: [String], in folder: URL) throws -> SouRun {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = arguments
    p.currentDirectoryURL = folder
    var environment = ProcessInfo.processInfo.environment
    environment["TERM"] = "xterm"
    p.environment = environment
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return SouRun(status: p.terminationStatus, out: String(decoding: o, as: UTF8.self), err: String(decoding: e, as: UTF8.self))
}
