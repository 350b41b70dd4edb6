import ArgumentParser
import FoundationEssentials
import Glibc
import Sou

/// Options every command that writes an existing index shares.
struct WriterOptions: ParsableArguments {
    @Option(name: [.customShort("i"), .customLong("index")], help: "The index file (`sou add` creates it when it does not exist; `sou delete` needs it).")
    var index: String

    @Flag(help: "Wait for another writer of the index to finish instead of failing.")
    var wait = false

    @Option(name: .customLong("merge-factor"), parsing: .unconditional, help: "Segments of similar size are merged this many at a time.")
    var mergeFactor = IndexWriterOptions().mergeFactor

    /// The options as plain values (what ``AddRun`` and ``DeleteRun`` hold).
    var settings: WriterTarget { WriterTarget(index: index, wait: wait, mergeFactor: mergeFactor) }

    func validate() throws { try settings.validate() }
}

/// `sou add -i FILE SOURCES...`: adds or replaces documents.
struct AddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        _superCommandName: "sou",   // parsed alone: SouCommand.parseSubcommandAlone
        abstract: "Add documents to an index, replacing those with the same keys (upsert); nothing is deleted.",
        discussion: """
        SOURCES are read as by `sou index` (folders, files, JSON Lines; `-` reads JSON Lines from \
        stdin). A document whose key is already in the index replaces it. The change is one \
        atomic commit. A new index is created when FILE does not exist. An add that reads no \
        document, or fails, exits 2 and leaves FILE as it was (a new one is not created).
        """
    )

    @OptionGroup var target: WriterOptions

    @Argument(help: "Folders, files, or - for JSON Lines on stdin.")
    var sources: [String]

    @Option(name: .customLong("id-field"), help: "JSON member holding the document key.")
    var idField = Self.defaultIDField

    @Option(name: .customLong("text-field"), help: "JSON member(s) joined into the text, each on its own lines with a gap no phrase spans (repeatable; default: title, body).")
    var textFields: [String] = []

    @Option(name: .customLong("title-field"), help: "JSON member holding the title.")
    var titleField = IndexCommand.defaultTitleField

    @Flag(help: "Read the given files as JSON Lines whatever their names.")
    var jsonl = false

    @Option(parsing: .unconditional, help: "Threads analyzing documents (default: all cores).")
    var jobs: Int?

    @OptionGroup var buffer: MemoryBudgetOption

    @Flag(help: "No summary.")
    var quiet = false

    /// `--id-field`'s default (also that of ``QuickParse``).
    static let defaultIDField = "id"

    /// The command as what it runs.
    var settings: AddRun {
        AddRun(target: target.settings, sources: sources, idField: idField, textFields: textFields, titleField: titleField,
               jsonl: jsonl, jobs: jobs, memory: buffer.memory, quiet: quiet)
    }

    func validate() throws { try settings.validate() }

    func run() throws { try settings.run() }
}

/// `sou delete -i FILE KEY...`: deletes documents by key.
struct DeleteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        _superCommandName: "sou",   // parsed alone: SouCommand.parseSubcommandAlone
        abstract: "Delete documents from an index by key.",
        discussion: """
        Keys are given as arguments and/or one per line with --keys-from FILE (- for stdin). Keys \
        that are not in the index are reported; the exit status is 1 when none was found. The \
        deletions are one atomic commit.
        """
    )

    @OptionGroup var target: WriterOptions

    @Argument(help: "Keys of the documents to delete.")
    var keys: [String] = []

    @Option(name: .customLong("keys-from"), help: "Read keys, one per line, from FILE (- for stdin; UTF-8, at most 1 MiB a line and 256 MiB in all; a NUL byte is an error).")
    var keysFrom: String?

    @Flag(help: "No summary.")
    var quiet = false

    func validate() throws {
        // (also when the parser dropped such a word and parsed the rest)
        if let usage = Self.misreadKey(arguments: Array(CommandLine.arguments.dropFirst())) { throw CLIError(usage) }
        try settings.validate()
    }

    /// The command as what it runs.
    var settings: DeleteRun { DeleteRun(target: target.settings, keys: keys, keysFrom: keysFrom, quiet: quiet) }

    /// A usage error for a `sou delete` command line with a key that starts with "-" before
    /// `--`: the argument parser took it for options (`-dash` as -d -a -s -h printed the help
    /// and exited 0, deleting nothing; `-xyz` was dropped), so the message names it and shows
    /// the command with the key after `--`. nil when every such word is an option of the command
    /// or a value of one. `arguments` are the process arguments after the program name.
    static func misreadKey(arguments: [String]) -> String? {
        guard arguments.first == "delete" else { return nil }
        let words = Array(arguments.dropFirst())
        let options = words.prefix { $0 != "--" }
        let longNames = Set(UnknownOption.longNames(of: DeleteCommand.self).map { "--" + $0 })
        let takingValues: Set<String> = ["-i", "--index", "--merge-factor", "--keys-from"]
        var misread: [String] = []
        var i = options.startIndex
        while i < options.endIndex {
            let word = options[i]
            if takingValues.contains(word) { i += 2; continue }
            if word.hasPrefix("-"), word != "-", !(word == "-h" || word == "-i"),
               !longNames.contains(String(word.prefix { $0 != "=" })) {
                misread.append(word)
            }
            i += 1
        }
        guard !misread.isEmpty else { return nil }
        // (a long one is a mistyped option: UnknownOption names it)
        if misread.contains(where: { $0.hasPrefix("--") }) { return nil }
        let kept = options.filter { !misread.contains($0) }
        let after = words.firstIndex(of: "--").map { Array(words[($0 + 1)...]) } ?? []
        let command = (["sou", "delete"] + kept + ["--"] + misread + after).map { SearchCommand.shellWord($0) }.joined(separator: " ")
        return "unknown option\(misread.count == 1 ? "" : "s") \(misread.map { "'\($0)'" }.joined(separator: ", ")); "
            + "a key that starts with '-' goes after --: \(command)"
            + "\nUsage: sou delete --index <index> [<keys> ...] [--keys-from <keys-from>]  (see sou delete --help)"
    }

    func run() throws { try settings.run() }
}

/// `sou merge FILE`: merges segments and drops deleted documents.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        _superCommandName: "sou",   // parsed alone: SouCommand.parseSubcommandAlone
        abstract: "Merge an index's segments (into one by default) and drop deleted documents.",
        discussion: """
        Postings are merged from the segments without re-analyzing text. The merged index is \
        written to a new file that replaces FILE atomically; readers that have FILE open keep \
        their snapshot.
        """
    )

    @Argument(help: "The index file.")
    var file: String

    @Option(name: .customLong("max-segments"), parsing: .unconditional, help: "Merge until at most N segments remain (default 1).")
    var maxSegments = 1

    @Flag(help: "Wait for another writer of the index to finish instead of failing.")
    var wait = false

    @Option(name: .shortAndLong, parsing: .unconditional, help: "Threads merging postings and re-cutting stored text (1…256; default: all cores). The result does not depend on it.")
    var jobs: Int?

    @Flag(help: "No summary.")
    var quiet = false

    func validate() throws {
        if maxSegments < 1 { throw ValidationError("--max-segments must be at least 1 (got \(maxSegments))") }
        if let jobs, !(1...IndexBuildOptions.maxJobs).contains(jobs) {
            throw ValidationError("--jobs must be between 1 and \(IndexBuildOptions.maxJobs) (got \(jobs))")
        }
    }

    func run() throws {
        let start = Date()
        do {
            let before = try IndexReader(path: file)
            var st = stat()
            let bytesBefore = stat(file, &st) == 0 ? Int(st.st_size) : 0
            var o = IndexWriterOptions()
            o.configuration = before.configuration
            o.storesText = before.storesText
            o.waitsForLock = wait
            o.jobs = jobs ?? min(activeProcessorCount, IndexBuildOptions.maxJobs)
            o.temporaryFile = TemporaryFileCleanup.hook()
            let writer = try IndexWriter(path: file, options: o)
            try writer.merge(maxSegments: maxSegments)
            let after = try IndexReader(path: file)
            let bytes = stat(file, &st) == 0 ? Int(st.st_size) : 0
            if !quiet, after.generation == before.generation {
                let n = before.segments.count
                writeStderr("\(file): nothing to merge (\(n) segment\(n == 1 ? "" : "s"), no deleted document, no unused byte): unchanged\n")
            } else if !quiet {
                let n = before.segments.count, d = before.deletedCount
                writeStderr("\(file): \(n) segment\(n == 1 ? "" : "s") → \(after.segments.count), \(d) deleted document\(d == 1 ? "" : "s") dropped, "
                            + "\(bytesBefore) → \(bytes) bytes, " + cFormat("%.2f s", Date().timeIntervalSince(start)) + "\n")
            }
        } catch let error as IndexError {
            throw CLIError(file: file, error)
        } catch let error as OutputRefusal {
            throw CLIError(error.description)
        }
    }
}
