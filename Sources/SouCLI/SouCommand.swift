import ArgumentParser
import FoundationEssentials
import Glibc
import Sou

/// `sou`: the command-line front of the Sou library.
@main
struct SouCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sou",
        abstract: "Sou (搜): full-text search for Chinese, Japanese and Korean text.",
        version: "0.1.0",
        subcommands: [
            SearchCommand.self, ShowCommand.self, IndexCommand.self, AddCommand.self, DeleteCommand.self, MergeCommand.self, TokenizeCommand.self,
            StatsCommand.self, CheckCommand.self, BenchCommand.self, WatchCommand.self,
        ]
    )

    /// `sou` without a subcommand: the help on stderr and exit 2 (a usage error; `sou --help`
    /// prints it on stdout and exits 0).
    func run() throws {
        writeStderr(Self.helpMessage() + "\n")
        throw ExitStatus(code: 2)
    }

    /// Runs the command line; every error exits 2 with a message on stderr (grep's convention:
    /// 0 = matched / success, 1 = nothing matched, 2 = error).
    static func main() {
        // bare `sou` is a usage error (as bare `rg`): the usage on stderr, exit 2
        if CommandLine.arguments.count == 1 {
            writeStderr(helpMessage() + "\n")
            Glibc.exit(2)
        }
        // `sou index`: the folders are walked while the command line is parsed
        IndexCommand.startEarlyListing(CommandLine.arguments)
        do {
            // the commonest command lines of `sou search`, `index`, `add` and `delete` run
            // without their command types (``SearchRun``, ``IndexRun``, ``AddRun``, ``DeleteRun``)
            if let run = quickRun(CommandLine.arguments) {
                CharacterDataFile.use(folder: FolderSearch.cacheFolder(), writing: true)
                if let dump = getenv("SOU_PARSE_DUMP") {
                    print(run.dump)
                    // (`SOU_PARSE_DUMP=path`: also which parse made it, for the tests)
                    if String(cString: dump) == "path" { writeStderr("parsed by QuickParse\n") }
                    Glibc.exit(0)
                }
                try run.run()
                exitAfterOutput(0)
            }
            var command = try parseSubcommandAlone(CommandLine.arguments) ?? parseAsRoot()
            // characters read from the data derived from ICU in the cache folder (written by the
            // first command that analyzes text; only read by a search told to write nothing)
            let writesNothing = (command as? SearchCommand)?.noCache ?? false
            CharacterDataFile.use(folder: FolderSearch.cacheFolder(), writing: !writesNothing)
            // the tests compare the commands the parse paths build (QuickParseTests)
            if let dump = getenv("SOU_PARSE_DUMP") {
                if String(cString: dump) == "path" { writeStderr("parsed by ArgumentParser\n") }
                // (a search, index, add or delete command as what it runs, as the quick path prints it)
                print((command as? IndexCommand).map { String(reflecting: $0.settings) }
                      ?? (command as? SearchCommand).map { String(reflecting: $0.settings) }
                      ?? (command as? AddCommand).map { String(reflecting: $0.settings) }
                      ?? (command as? DeleteCommand).map { String(reflecting: $0.settings) } ?? String(reflecting: command))
                Glibc.exit(0)
            }
            try command.run()
            exitAfterOutput(0)
        } catch let exit as ExitStatus {
            exitAfterOutput(exit.code)
        } catch let error as CLIError {
            printError(error.message)
            exitAfterOutput(error.code)
        } catch {
            // `sou search ファイル -windows`: an exclusion outside the quoted query
            if let usage = SearchCommand.misreadOption(error, arguments: Array(CommandLine.arguments.dropFirst())) {
                printError(usage)
                Glibc.exit(2)
            }
            // `sou delete -i idx -dash`: a key that starts with '-', taken for options
            if let usage = DeleteCommand.misreadKey(arguments: Array(CommandLine.arguments.dropFirst())) {
                printError(usage)
                Glibc.exit(2)
            }
            // `sou serach 集体协商`, `sou 集体协商`: no such command; the one meant, or search
            if let usage = unknownCommand(Array(CommandLine.arguments.dropFirst())) {
                printError(usage)
                Glibc.exit(2)
            }
            // `sou index docs`: the index file to write is missing
            if let usage = missingIndexOutput(Array(CommandLine.arguments.dropFirst())) {
                printError(usage)
                Glibc.exit(2)
            }
            // `sou index --jbos 2`: the option meant, not ArgumentParser's guess
            if let usage = UnknownOption.message(for: error, arguments: Array(CommandLine.arguments.dropFirst())) {
                printError(usage)
                Glibc.exit(2)
            }
            let code = exitCode(for: error)
            if code == .success {
                self.exit(withError: error)   // --help, --version
            }
            let message = fullMessage(for: error)
            printError(message.isEmpty ? "\(error)" : message)
            Glibc.exit(2)
        }
    }

    /// The message for a command line whose first word is no command (nil when it is one, an
    /// option, or `help`): the command it misspells (at most two letters off), else the search
    /// for it, as `sou search` would run it.
    static func unknownCommand(_ arguments: [String]) -> String? {
        guard let word = arguments.first, word != "help" else { return nil }
        let names = configuration.subcommands.map { $0.configuration.commandName ?? "" }
        guard !names.contains(word) else { return nil }
        let list = "(commands: " + names.joined(separator: ", ") + "; sou --help says more)"
        if word.hasPrefix("-") {
            // `sou -i notes.sou 集体协商`: a search without its command word, when it parses as one
            let rootOptions = ["-h", "--help", "--version", "--generate-completion-script", "--experimental-dump-help"]
            guard !rootOptions.contains(where: { word == $0 || word.hasPrefix($0 + "=") }),
                  (try? SearchCommand.parse(arguments)) != nil else { return nil }
            return "no command given: \(word) is an option of sou search; did you mean: sou search "
                + arguments.map(SearchCommand.shellWord).joined(separator: " ") + "? \(list)"
        }
        let nearest = names.map { (name: $0, distance: UnknownOption.editDistance(Array(word.lowercased().utf8), Array($0.utf8))) }
            .min { $0.distance < $1.distance }
        if let nearest, nearest.distance <= 2, nearest.distance < nearest.name.count {
            let rest = arguments.dropFirst().map(SearchCommand.shellWord).joined(separator: " ")
            return "unknown command '\(word)'; did you mean: sou \(nearest.name)\(rest.isEmpty ? "" : " " + rest)? \(list)"
        }
        return "'\(word)' is not a command; to search for it: sou search \(SearchCommand.shellQuoted(word)) \(list)"
    }

    /// The message for `sou index PATH...` without `-o` (nil for any other command line, or one
    /// asking for help): the command with an output named after the first path.
    static func missingIndexOutput(_ arguments: [String]) -> String? {
        guard arguments.first == "index" else { return nil }
        let rest = arguments.dropFirst()
        guard !rest.contains(where: { $0 == "-o" || $0 == "--output" || $0.hasPrefix("--output=") || ($0.hasPrefix("-o") && !$0.hasPrefix("--")) || $0 == "--" }),
              // the line parses once an output is added (so -o is all it lacks): its first path
              let command = try? IndexCommand.parse(Array(rest) + ["-o", "index.sou"]), let path = command.paths.first else { return nil }
        var name = PathText.lastComponent(path)
        if name == "." || name == "/" || name == "-" || name.isEmpty { name = "index" }
        for suffix in [".jsonl.gz", ".jsonl", ".ndjson", ".gz"] where name.hasSuffix(suffix) && name.count > suffix.count {
            name = String(name.dropLast(suffix.count))
            break
        }
        let line = (["sou", "index"] + rest.map(SearchCommand.shellWord) + ["-o", SearchCommand.shellWord(name + ".sou")]).joined(separator: " ")
        return "sou index writes an index file: name it with -o FILE (\(line))"
    }

    /// `sou search`, `index`, `add`, `delete` and `merge` parsed by their own command type, not from the
    /// root: ArgumentParser's parse from the root also builds the argument sets of the root and
    /// of the two parsers that look for `--generate-completion-script`, Swift protocol-
    /// conformance look-ups that cost ~1 ms. The subcommand's own parse is the same
    /// ArgumentParser parse of the same options, `validate()` included, and is used only when
    /// it succeeds. Their configurations name `sou` as their "super-command"
    /// (`_superCommandName`, which matters only to a command parsed as the root: ArgumentParser
    /// then looks for no completion-script request, which is an unknown option here). On any
    /// error, or a help, version or completion request, this returns nil and the root parses
    /// the command line again, so that every message, exit status and completion is what the
    /// root gives. The commonest command lines of both are read by ``QuickParse`` first,
    /// without ArgumentParser (before this, by ``quickRun(_:)``). `SOU_FULL_PARSE` set (to anything) skips both (the tests compare
    /// the paths).
    static func parseSubcommandAlone(_ arguments: [String]) -> ParsableCommand? {
        guard arguments.count > 2, getenv("SOU_FULL_PARSE") == nil else { return nil }
        let rest = Array(arguments.dropFirst(2))
        switch arguments[1] {
        // parseAsRoot gives ArgumentParser's help command for a help request: not these types
        case "search": return (try? SearchCommand.parseAsRoot(rest)) as? SearchCommand   // (after ``quickRun(_:)``)
        case "index": return (try? IndexCommand.parseAsRoot(rest)) as? IndexCommand
        case "add": return (try? AddCommand.parseAsRoot(rest)) as? AddCommand
        case "delete": return (try? DeleteCommand.parseAsRoot(rest)) as? DeleteCommand
        case "merge": return (try? MergeCommand.parseAsRoot(rest)) as? MergeCommand
        default: return nil
        }
    }

    /// A `sou search`, `index`, `add` or `delete` command line that ``QuickParse`` reads, as what it runs
    /// (nil: any other command line, or `SOU_FULL_PARSE` set).
    static func quickRun(_ arguments: [String]) -> QuickRun? {
        guard arguments.count > 2, getenv("SOU_FULL_PARSE") == nil else { return nil }
        switch arguments[1] {
        case "search": return QuickParse.search(arguments.dropFirst(2)).map(QuickRun.search)
        case "index": return QuickParse.index(arguments.dropFirst(2)).map(QuickRun.index)
        case "add": return QuickParse.add(arguments.dropFirst(2)).map(QuickRun.add)
        case "delete": return QuickParse.delete(arguments.dropFirst(2)).map(QuickRun.delete)
        default: return nil
        }
    }

    /// What a command line read by ``QuickParse`` runs.
    enum QuickRun {
        case search(SearchRun)
        case index(IndexRun)
        case add(AddRun)
        case delete(DeleteRun)

        func run() throws {
            switch self {
            case .search(let run): try run.run()
            case .index(let run): try run.run()
            case .add(let run): try run.run()
            case .delete(let run): try run.run()
            }
        }

        /// What `SOU_PARSE_DUMP` prints (the ArgumentParser path prints the same of its command).
        var dump: String {
            switch self {
            case .search(let run): String(reflecting: run)
            case .index(let run): String(reflecting: run)
            case .add(let run): String(reflecting: run)
            case .delete(let run): String(reflecting: run)
            }
        }
    }
}
