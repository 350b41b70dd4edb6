import Sou

/// The commonest `sou search`, `sou index`, `sou add` and `sou delete` command lines, read without
/// ArgumentParser.
///
/// ArgumentParser finds a command's options by reflection: it builds the command's argument set
/// from a `Mirror` of its property wrappers and decodes the values through `Decodable`, and each
/// generic type it meets costs a Swift protocol-conformance look-up, a scan of the binary's ~3,900
/// conformance records. For `sou search QUERY -i INDEX` that is ~9 M instructions, about a third
/// of the whole process and more than the search itself (callgrind, `sou search 文件系统 -i
/// dev-all.sou`: 31.4 M in all); for `sou index` of an unchanged folder, ~8 M of ~14 M.
///
/// This reads the forms people and scripts type most — for `sou search` a query and paths,
/// `-i/--index FILE`, `-c/--count`, `-l/--files`, `-q/--quiet`, `--json`, `--explain`, `-n/--limit N`,
/// `--batch FILE`; for `sou index` paths, `-o/--output FILE`, `--quiet`, `--json`, `--rebuild`,
/// `--no-store`, `--jsonl`, `--jobs N`, `--memory N` — and sets every option of the command (the others to their
/// defaults, which the command declares once). Anything else returns nil and ArgumentParser parses
/// the command line as before: another option, an option given twice, a value that starts with
/// `-`, a number that is not plain digits, `--`, `help`, or a command line `validate()` rejects
/// (so every message, help text and exit status still comes from ArgumentParser).
/// `QuickParseTests` compares the command this builds, every property, with ArgumentParser's for
/// the same command lines (`SOU_PARSE_DUMP`); `SubcommandParseTests` the answers of both paths.
enum QuickParse {
    /// `sou search`'s arguments (after `search`) as what the command runs (made without a
    /// `SearchCommand`: ``SearchRun``), or nil for ArgumentParser.
    static func search(_ arguments: ArraySlice<String>) -> SearchRun? {
        guard let line = read(arguments, flags: [("-c", "count"), ("--count", "count"), ("-l", "files"), ("--files", "files"), ("--files-with-matches", "files"),
                                                 ("-q", "quiet"), ("--quiet", "quiet"),
                                                 ("--json", "json"), ("--explain", "explain")],
                              options: [("-i", "index"), ("--index", "index"), ("-n", "limit"), ("--limit", "limit"),
                                        ("--batch", "batch")]) else { return nil }
        var limit = SearchCommand.defaultLimit
        if let value = line.value("limit") {
            guard let n = plainNumber(value) else { return nil }
            limit = n
        }
        let run = SearchRun(arguments: line.positional, queryOptions: [], index: line.value("index"), noCache: false, hidden: false,
                            types: [], excludedTypes: [], globs: [], typeList: false, encoding: nil, noJoinLines: false,
                            foldVariants: false, limit: limit, offset: 0, count: line.flags.contains("count"),
                            files: line.flags.contains("files"), quiet: line.flags.contains("quiet"), json: line.flags.contains("json"),
                            vimgrep: false, afterContext: nil, beforeContext: nil, context: nil, explain: line.flags.contains("explain"),
                            k1: SearchCommand.defaultK1, b: SearchCommand.defaultB, color: .auto, maxLines: nil, maxColumns: nil,
                            batch: line.value("batch"))
        do { try run.validate() } catch { return nil }
        return run
    }

    /// `sou index`'s arguments (after `index`) as what the command runs (made without an
    /// `IndexCommand`: ``IndexRun``), or nil for ArgumentParser.
    static func index(_ arguments: ArraySlice<String>) -> IndexRun? {
        guard let line = read(arguments, flags: [("--quiet", "quiet"), ("--json", "json"), ("--rebuild", "rebuild"), ("--no-store", "no-store"),
                                                 ("--jsonl", "jsonl")],
                              options: [("-o", "output"), ("--output", "output"), ("--jobs", "jobs"), ("--memory", "memory")]),
              let output = line.value("output") else { return nil }
        guard let numbers = numbers(line, "jobs", "memory") else { return nil }
        let (jobs, memory) = (numbers[0], numbers[1])
        let run = IndexRun(paths: line.positional, output: output, jsonl: line.flags.contains("jsonl"), idField: nil, textFields: [],
                           titleField: IndexCommand.defaultTitleField, jobs: jobs, rebuild: line.flags.contains("rebuild"),
                           memory: memory, wait: false, mergeFactor: nil, noStore: line.flags.contains("no-store"), force: false,
                           quiet: line.flags.contains("quiet"), json: line.flags.contains("json"), hidden: false, encoding: nil,
                           types: [], excludedTypes: [], globs: [], verbose: false, noJoinLines: false, foldVariants: false)
        do {
            try MemoryBudgetOption.check(memory)
            try run.validate()
        } catch { return nil }
        return run
    }

    /// `sou add`'s arguments (after `add`) as what the command runs (made without an
    /// `AddCommand`: ``AddRun``), or nil for ArgumentParser: sources (not `-`), `-i/--index FILE`,
    /// `--quiet`, `--jsonl`, `--wait`, `--jobs N`, `--memory N`.
    static func add(_ arguments: ArraySlice<String>) -> AddRun? {
        guard let line = read(arguments, flags: [("--quiet", "quiet"), ("--jsonl", "jsonl"), ("--wait", "wait")],
                              options: [("-i", "index"), ("--index", "index"), ("--jobs", "jobs"), ("--memory", "memory")]),
              let index = line.value("index") else { return nil }
        guard let numbers = numbers(line, "jobs", "memory") else { return nil }
        let (jobs, memory) = (numbers[0], numbers[1])
        let target = WriterTarget(index: index, wait: line.flags.contains("wait"), mergeFactor: IndexWriterOptions().mergeFactor)
        let run = AddRun(target: target, sources: line.positional, idField: AddCommand.defaultIDField, textFields: [],
                         titleField: IndexCommand.defaultTitleField, jsonl: line.flags.contains("jsonl"), jobs: jobs,
                         memory: memory, quiet: line.flags.contains("quiet"))
        do {
            try target.validate()
            try MemoryBudgetOption.check(memory)
            try run.validate()
        } catch { return nil }
        return run
    }

    /// `sou delete`'s arguments (after `delete`) as what the command runs (``DeleteRun``), or nil
    /// for ArgumentParser: keys (none starting with `-`), `-i/--index FILE`, `--keys-from FILE`
    /// (not `-`), `--quiet`, `--wait`.
    static func delete(_ arguments: ArraySlice<String>) -> DeleteRun? {
        guard let line = read(arguments, flags: [("--quiet", "quiet"), ("--wait", "wait")],
                              options: [("-i", "index"), ("--index", "index"), ("--keys-from", "keys-from")]),
              let index = line.value("index") else { return nil }
        let target = WriterTarget(index: index, wait: line.flags.contains("wait"), mergeFactor: IndexWriterOptions().mergeFactor)
        let run = DeleteRun(target: target, keys: line.positional, keysFrom: line.value("keys-from"), quiet: line.flags.contains("quiet"))
        do {
            try target.validate()
            try run.validate()
        } catch { return nil }
        return run
    }

    /// A command line of positional arguments, flags and options with a value: the flags and
    /// options given (by name) with their values. Arrays of pairs, not sets and dictionaries:
    /// the first use of `Dictionary<String, String>` in a process costs a scan of every
    /// protocol-conformance record (~240,000 instructions), and a line holds a handful of names.
    private struct Line {
        var positional: [String] = []
        var flags: [String] = []
        var values: [(name: String, value: String)] = []

        func value(_ name: String) -> String? { values.first { $0.name == name }?.value }
    }

    /// `arguments` read with `flags` and `options` (each spelling → its name), or nil when the
    /// line has anything else: another argument starting with `-` (`--`, `-` alone, `-n3`,
    /// `--limit=3`, `-cl`), a name given twice, an option without a value or with one that
    /// starts with `-` (ArgumentParser reads that as another option, or as a value; either way
    /// it decides), or `help` (a help request to ArgumentParser).
    private static func read(_ arguments: ArraySlice<String>, flags: [(spelling: String, name: String)],
                             options: [(spelling: String, name: String)]) -> Line? {
        var line = Line()
        var i = arguments.startIndex
        while i < arguments.endIndex {
            let argument = arguments[i]
            i += 1
            guard argument.utf8.first == UInt8(ascii: "-") else {
                if argument == "help" { return nil }
                line.positional.append(argument)
                continue
            }
            if let name = flags.first(where: { $0.spelling == argument })?.name {
                guard !line.flags.contains(name) else { return nil }
                line.flags.append(name)
            } else if let name = options.first(where: { $0.spelling == argument })?.name {
                guard i < arguments.endIndex, arguments[i].utf8.first != UInt8(ascii: "-"), line.value(name) == nil else { return nil }
                line.values.append((name, arguments[i]))
                i += 1
            } else {
                return nil
            }
        }
        return line
    }

    /// The values of options `names` of `line` as plain numbers (``plainNumber(_:)``), nil for
    /// one not given; nil when one given is not a plain number.
    private static func numbers(_ line: Line, _ names: String...) -> [Int?]? {
        var result: [Int?] = []
        for name in names {
            guard let value = line.value(name) else { result.append(nil); continue }
            guard let n = plainNumber(value) else { return nil }
            result.append(n)
        }
        return result
    }

    /// 1 to 18 ASCII digits as an Int (what `Int(_:)`, ArgumentParser's conversion, gives them);
    /// nil for anything else (a sign, spaces, more digits: ArgumentParser's own reading decides).
    private static func plainNumber(_ text: String) -> Int? {
        let digits = text.utf8
        guard (1...18).contains(digits.count), digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return Int(text)
    }
}
