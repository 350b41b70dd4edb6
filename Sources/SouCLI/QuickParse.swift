/// The commonest `sou search` and `sou index` command lines, read without ArgumentParser.
///
/// ArgumentParser finds a command's options by reflection: it builds the command's argument set
/// from a `Mirror` of its property wrappers and decodes the values through `Decodable`, and each
/// generic type it meets costs a Swift protocol-conformance look-up, a scan of the binary's ~3,900
/// conformance records. For `sou search QUERY -i INDEX` that is ~9 M instructions, about a third
/// of the whole process and more than the search itself (callgrind, `sou search 文件系统 -i
/// dev-all.sou`: 31.4 M in all); for `sou index` of an unchanged folder, ~8 M of ~14 M.
///
/// This reads the forms people and scripts type most — for `sou search` a query and paths,
/// `-i/--index FILE`, `-c/--count`, `-l/--files`, `--json`, `--explain`, `-n/--limit N`; for
/// `sou index` paths, `-o/--output FILE`, `--quiet`, `--json`, `--rebuild`, `--no-store`,
/// `--jobs N`, `--memory N` — and sets every option of the command (the others to their
/// defaults, which the command declares once). Anything else returns nil and ArgumentParser parses
/// the command line as before: another option, an option given twice, a value that starts with
/// `-`, a number that is not plain digits, `--`, `help`, or a command line `validate()` rejects
/// (so every message, help text and exit status still comes from ArgumentParser).
/// `QuickParseTests` compares the command this builds, every property, with ArgumentParser's for
/// the same command lines (`SOU_PARSE_DUMP`); `SubcommandParseTests` the answers of both paths.
enum QuickParse {
    /// `sou search`'s arguments (after `search`) as a command, or nil for ArgumentParser.
    static func search(_ arguments: ArraySlice<String>) -> SearchCommand? {
        var positional: [String] = []
        var index: String? = nil
        var limit = SearchCommand.defaultLimit
        var count = false, files = false, json = false, explain = false
        var given: Set<String> = []
        var i = arguments.startIndex
        while i < arguments.endIndex {
            let argument = arguments[i]
            i += 1
            guard argument.utf8.first == UInt8(ascii: "-") else {
                // ArgumentParser reads a bare `help` as a help request
                if argument == "help" { return nil }
                positional.append(argument)
                continue
            }
            let name: String
            switch argument {
            case "-c", "--count": name = "count"; count = true
            case "-l", "--files": name = "files"; files = true
            case "--json": name = "json"; json = true
            case "--explain": name = "explain"; explain = true
            case "-i", "--index":
                // ArgumentParser takes the next argument as the value unless it starts with `-`
                guard i < arguments.endIndex, arguments[i].utf8.first != UInt8(ascii: "-") else { return nil }
                name = "index"; index = arguments[i]
                i += 1
            case "-n", "--limit":
                guard i < arguments.endIndex, let value = plainNumber(arguments[i]) else { return nil }
                name = "limit"; limit = value
                i += 1
            default:
                return nil
            }
            guard given.insert(name).inserted else { return nil }
        }
        var command = SearchCommand()
        command.arguments = positional
        command.queryOption = nil
        command.index = index
        command.noCache = false
        command.hidden = false
        command.noJoinLines = false
        command.foldVariants = false
        command.limit = limit
        command.offset = 0
        command.count = count
        command.files = files
        command.json = json
        command.vimgrep = false
        command.afterContext = nil
        command.beforeContext = nil
        command.context = nil
        command.explain = explain
        command.k1 = SearchCommand.defaultK1
        command.b = SearchCommand.defaultB
        command.color = .auto
        command.maxLines = nil
        command.maxColumns = nil
        command.batch = nil
        do { try command.validate() } catch { return nil }
        return command
    }

    /// `sou index`'s arguments (after `index`) as a command, or nil for ArgumentParser.
    static func index(_ arguments: ArraySlice<String>) -> IndexCommand? {
        var paths: [String] = []
        var output: String? = nil
        var quiet = false, json = false, rebuild = false, noStore = false
        var jobs: Int? = nil, memory: Int? = nil
        var given: Set<String> = []
        var i = arguments.startIndex
        while i < arguments.endIndex {
            let argument = arguments[i]
            i += 1
            guard argument.utf8.first == UInt8(ascii: "-") else {
                if argument == "help" { return nil }
                paths.append(argument)
                continue
            }
            let name: String
            switch argument {
            case "--quiet": name = "quiet"; quiet = true
            case "--json": name = "json"; json = true
            case "--rebuild": name = "rebuild"; rebuild = true
            case "--no-store": name = "no-store"; noStore = true
            case "-o", "--output":
                guard i < arguments.endIndex, arguments[i].utf8.first != UInt8(ascii: "-") else { return nil }
                name = "output"; output = arguments[i]
                i += 1
            case "--jobs", "--memory":
                guard i < arguments.endIndex, let value = plainNumber(arguments[i]) else { return nil }
                name = argument
                if argument == "--jobs" { jobs = value } else { memory = value }
                i += 1
            default:
                return nil
            }
            guard given.insert(name).inserted else { return nil }
        }
        guard let output else { return nil }
        var command = IndexCommand()
        command.paths = paths
        command.output = output
        command.jsonl = false
        command.idField = nil
        command.textFields = []
        command.titleField = IndexCommand.defaultTitleField
        command.jobs = jobs
        command.rebuild = rebuild
        command.memory = memory
        command.wait = false
        command.mergeFactor = nil
        command.noStore = noStore
        command.force = false
        command.quiet = quiet
        command.json = json
        command.hidden = false
        command.encoding = nil
        command.types = []
        command.excludedTypes = []
        command.globs = []
        command.verbose = false
        command.noJoinLines = false
        command.foldVariants = false
        do { try command.validate() } catch { return nil }
        return command
    }

    /// 1 to 18 ASCII digits as an Int (what `Int(_:)`, ArgumentParser's conversion, gives them);
    /// nil for anything else (a sign, spaces, more digits: ArgumentParser's own reading decides).
    private static func plainNumber(_ text: String) -> Int? {
        let digits = text.utf8
        guard (1...18).contains(digits.count), digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return Int(text)
    }
}
