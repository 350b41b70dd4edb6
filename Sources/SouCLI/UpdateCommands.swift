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

    func validate() throws {
        if mergeFactor < 2 || mergeFactor > 1000 { throw ValidationError("--merge-factor must be between 2 and 1000 (got \(mergeFactor))") }
    }

    /// The writer of the index (`mode`: `sou add` creates a new index only when it commits).
    /// `memory`: the buffer budget in bytes (nil: the default).
    func writer(jobs: Int = 1, memory: Int? = nil, mode: IndexWriterMode = .openOrCreate,
                creating options: (inout IndexWriterOptions) -> Void = { _ in }) throws -> IndexWriter {
        var o = IndexWriterOptions()
        o.waitsForLock = wait
        o.mergeFactor = mergeFactor
        // a temporary file (a new index, a compacting rewrite) is removed on SIGINT, SIGTERM, SIGHUP
        o.temporaryFile = TemporaryFileCleanup.hook()
        o.jobs = jobs
        if let memory { o.memoryBudget = memory }
        if FileManager.default.fileExists(atPath: index) {
            // an existing index decides the analyzer and storage options
            let reader = try IndexReader(path: index)
            o.configuration = reader.configuration
            o.storesText = reader.storesText
        } else {
            options(&o)
        }
        return try IndexWriter(path: index, mode: mode, options: o)
    }
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
    var idField = "id"

    @Option(name: .customLong("text-field"), help: "JSON member(s) joined into the text, each on its own lines with a gap no phrase spans (repeatable; default: title, body).")
    var textFields: [String] = []

    @Option(name: .customLong("title-field"), help: "JSON member holding the title.")
    var titleField = "title"

    @Flag(help: "Read the given files as JSON Lines whatever their names.")
    var jsonl = false

    @Option(parsing: .unconditional, help: "Threads analyzing documents (default: all cores).")
    var jobs: Int?

    @OptionGroup var buffer: MemoryBudgetOption

    @Flag(help: "No summary.")
    var quiet = false

    func validate() throws {
        if sources.isEmpty { throw ValidationError("give at least one folder, file, or -") }
        if let jobs, jobs < 1 || jobs > 256 { throw ValidationError("--jobs must be between 1 and 256 (got \(jobs))") }
    }

    func run() throws {
        let start = Date()
        var input = InputOptions()
        input.forcesJSONLines = jsonl || sources == ["-"]
        input.idField = idField
        if !textFields.isEmpty { input.textFields = textFields }
        input.titleField = titleField
        let source = DocumentSource(options: input, warn: { printError("warning: " + $0) })
        // a source that cannot be read is an error about it (not about the index), before anything
        for p in sources where p != "-" {
            var st = stat()
            if stat(p, &st) != 0 { throw CLIError("cannot read \(p): \(String(cString: strerror(errno)))") }
        }
        do {
            // a new index is created by the commit, so that an add that fails creates nothing
            var existed = stat()
            let exists = lstat(target.index, &existed) == 0
            let writer = try target.writer(jobs: jobs ?? activeProcessorCount, memory: buffer.bytes, mode: .openOrCreateOnCommit)
            let before = writer.documentCount
            var count = 0
            // keys read in this run (by their bytes, as the index holds keys): a key read again
            // replaces the document read before, as in `sou index`, which says so
            var keysRead = Set<ByteKey>()
            var duplicates = 0
            try writer.addDocuments { add in
                try source.read(paths: sources) { doc in
                    try add(doc)
                    count += 1
                    if !keysRead.insert(ByteKey(doc.key)).inserted {
                        duplicates += 1
                        printError("warning: " + IndexBuilder.duplicateKeyWarning(doc))
                    }
                }
            }
            guard count > 0 else {
                // nothing to commit: the file stays byte for byte (the writer drops what it
                // prepared when it goes)
                throw CLIError("no documents read from \(sources.joined(separator: " ")): nothing added; "
                               + (exists ? "\(target.index) is unchanged" : "\(target.index) was not created"))
            }
            try writer.commit()
            let after = try IndexReader(path: target.index).documentCount
            if !quiet {
                // replaced: keys that were in the index (a key read twice is one document)
                let added = after - before
                let note = duplicates == 0 ? "" : " (\(duplicates) duplicate key\(duplicates == 1 ? "" : "s") in the input: the last one read wins)"
                writeStderr("\(target.index): added \(added), replaced \(keysRead.count - added)\(note) in "
                            + cFormat("%.2f s", Date().timeIntervalSince(start)) + "; \(after) document\(after == 1 ? "" : "s")\n")
            }
        } catch let error as IndexError {
            throw CLIError(file: target.index, error)
        } catch let error as OutputRefusal {
            throw CLIError(error.description)
        }
    }
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
        if keys.isEmpty && keysFrom == nil { throw ValidationError("give at least one key, or --keys-from FILE") }
    }

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

    func run() throws {
        var all = keys
        if let keysFrom { all += try LineFile.keys(keysFrom, option: "--keys-from") }
        guard FileManager.default.fileExists(atPath: target.index) else {
            throw CLIError("\(target.index): no such index")
        }
        var missing: [String] = []
        var deleted = 0
        do {
            let writer = try target.writer()
            // a key given twice (as an argument and in --keys-from's file) is deleted once: the
            // second time it is no longer in the index, which is not "not in the index"
            var seen = Set<ByteKey>()
            for key in all where seen.insert(ByteKey(key)).inserted {
                if try writer.delete(key: key) { deleted += 1 } else { missing.append(key) }
            }
            try writer.commit()
        } catch let error as IndexError {
            throw CLIError(file: target.index, error)
        } catch let error as OutputRefusal {
            throw CLIError(error.description)
        }
        for key in missing { printError("not in the index: \(key)") }
        if !quiet { writeStderr("\(target.index): deleted \(deleted), not found \(missing.count)\n") }
        if deleted == 0 { throw ExitStatus(code: 1) }
    }
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
