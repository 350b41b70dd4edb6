import ArgumentParser
import FoundationEssentials
import Glibc
import Sou

/// The index a writing command updates, and how: ``WriterOptions`` as plain values.
struct WriterTarget {
    var index: String
    var wait: Bool
    var mergeFactor: Int

    /// `WriterOptions`' check of its options.
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

/// What `sou add` runs, its options as plain values: ``AddCommand`` (ArgumentParser's parse) and
/// ``QuickParse`` (the commonest command lines) both make one. A one-document `sou add` spent
/// 9.8 M of its 12.4 M instructions in ArgumentParser's parse (callgrind); the quick path makes
/// no `AddCommand`.
struct AddRun {
    var target: WriterTarget
    var sources: [String]
    var idField: String
    var textFields: [String]
    var titleField: String
    var jsonl: Bool
    var jobs: Int?
    /// `--memory`, in MB (nil: the default).
    var memory: Int?
    var quiet: Bool

    /// `AddCommand`'s own checks (``WriterTarget`` and `--memory` check theirs).
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
            let writer = try target.writer(jobs: jobs ?? activeProcessorCount, memory: memory.map { $0 << 20 },
                                           mode: .openOrCreateOnCommit)
            let before = writer.documentCount
            var count = 0
            // keys read in this run (by their bytes, as the index holds keys): a key read again
            // replaces the document read before, as in `sou index`, which says so
            var keysRead = Set<ByteKey>()
            var duplicates = 0
            // the paths of the files read, as keys give them: a text file's key is its path as
            // given, the documents of a JSON Lines file found in a folder are keyed PATH#ID
            var filePaths: [PathSpellings.KeyedPath] = []
            var lastJSONLines: [UInt8] = []
            try writer.addDocuments { add in
                try source.read(paths: sources) { doc in
                    try add(doc)
                    count += 1
                    if !keysRead.insert(ByteKey(doc.key)).inserted {
                        duplicates += 1
                        printError("warning: " + IndexBuilder.duplicateKeyWarning(doc))
                    } else if doc.origin == doc.key {
                        filePaths.append(.init(path: doc.key, jsonLines: false))
                    } else if let path = PathSpellings.newJSONLinesFile(origin: doc.origin, key: doc.key, last: &lastJSONLines) {
                        filePaths.append(.init(path: path, jsonLines: true))
                    }
                }
            }
            guard count > 0 else {
                // nothing to commit: the file stays byte for byte (the writer drops what it
                // prepared when it goes)
                throw CLIError("no documents read from \(sources.joined(separator: " ")): nothing added; "
                               + (exists ? "\(target.index) is unchanged" : "\(target.index) was not created"))
            }
            // files the index also holds under another spelling of their paths
            let respelled = try Self.respelledFiles(filePaths, in: writer)
            try writer.commit()
            let after = try IndexReader(path: target.index).documentCount
            PathSpellings.warnRespelled(respelled, index: target.index)
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

    /// The files of `files` of which `writer` also holds another spelling of the path (a text
    /// file's key, a JSON Lines file's key prefix PATH#), with that spelling.
    /// First which forms of keys the index holds at all (a look-up each: most indexes hold one),
    /// so that a path whose other spellings are all of forms it does not hold is looked up no
    /// further (a re-add of a folder as it was indexed: no look-up per file).
    static func respelledFiles(_ files: [PathSpellings.KeyedPath], in writer: IndexWriter) throws -> [(file: PathSpellings.KeyedPath, indexed: String)] {
        guard !files.isEmpty, let cwd = PathText.currentDirectory() else { return [] }
        let base = cwd.utf8.last == UInt8(ascii: "/") ? cwd : cwd + "/"
        let dotted = try writer.mayContainKey(withPrefix: "./")
        let underCwd = try writer.mayContainKey(withPrefix: base)
        let relative = try writer.mayContainKey(withPrefix: "/", outside: true)
        var found: [(file: PathSpellings.KeyedPath, indexed: String)] = []
        for file in files {
            let path = file.path
            // a plain relative path's other spellings are ./path and cwd/path, an absolute path's
            // relative ones (and both have their clean form, when they are not clean)
            if PathSpellings.isClean(path), path.utf8.first == UInt8(ascii: "/") ? !relative && !dotted : !dotted && !underCwd { continue }
            for other in PathSpellings.alternatives(of: path, cwd: cwd) {
                // (the spelling's form is one the index holds; an absolute one outside the current
                // folder is the clean form of an absolute path: looked up)
                let possible = other.hasPrefix("./") ? dotted : other.hasPrefix("/") ? underCwd || !other.hasPrefix(base) : relative
                guard possible else { continue }
                if file.jsonLines ? try writer.containsKey(withPrefix: other + "#") : try writer.containsKey(other) {
                    found.append((file, other))
                    break
                }
            }
        }
        return found
    }
}

/// What `sou delete` runs, its options as plain values: ``DeleteCommand`` (ArgumentParser's
/// parse) and ``QuickParse`` both make one (a `sou delete` of one key: 11.8 M instructions, 9.8 M
/// of them ArgumentParser's parse, callgrind).
struct DeleteRun {
    var target: WriterTarget
    var keys: [String]
    var keysFrom: String?
    var quiet: Bool

    /// `DeleteCommand`'s check of its keys (its check of keys taken for options reads the
    /// process's arguments: the quick path takes no argument that starts with '-' as a key).
    func validate() throws {
        if keys.isEmpty && keysFrom == nil { throw ValidationError("give at least one key, or --keys-from FILE") }
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
        // a path the index holds under another spelling says which (a file's key is its path as
        // it was indexed)
        do {
            let reader = missing.isEmpty ? nil : try IndexReader(path: target.index)
            let cwd = PathText.currentDirectory()
            for key in missing {
                if let reader, let cwd, let other = try PathSpellings.indexedSpelling(of: key, in: reader, cwd: cwd) {
                    printError("not in the index: \(key) (the index has this path as \(other): keys are paths as they were indexed)")
                } else {
                    printError("not in the index: \(key)")
                }
            }
        } catch let error as IndexError {
            throw CLIError(file: target.index, error)
        }
        if !quiet { writeStderr("\(target.index): deleted \(deleted), not found \(missing.count)\n") }
        if deleted == 0 { throw ExitStatus(code: 1) }
    }
}
