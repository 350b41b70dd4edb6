import FoundationEssentials
import Glibc
import SouAnalysis

/// Options of a whole build: input reading, analysis, storage, threads.
public struct IndexBuildOptions: Sendable {
    /// How files and JSON Lines are read.
    public var input = InputOptions()
    /// The analyzer configuration recorded in the index.
    public var configuration = AnalyzerConfiguration()
    /// Store document text (for snippets); `false` is `--no-store`.
    public var storesText = true
    /// Threads analyzing and inverting (the file is the same for any value); a build uses
    /// 1...``maxJobs`` of them whatever this says.
    public var jobs = min(activeProcessorCount, IndexBuildOptions.maxJobs)

    /// The most threads a build uses (`sou index --jobs` refuses more).
    public static let maxJobs = 256
    /// Replace an existing output file that is not a Sou index (`sou index --force`). Never a
    /// symbolic link, device, FIFO, folder, or one of the inputs.
    public var replacesNonIndexFile = false
    /// Write an index of 0 documents. Off by default: a build that indexed nothing (every line
    /// skipped, an empty folder) throws ``OutputRefusal/Kind/nothingIndexed(reason:)`` (when input
    /// was skipped for errors: bad lines, unreadable files) or ``OutputRefusal/Kind/nothingToIndex(reason:)`` and
    /// leaves the output as it was.
    public var allowsEmptyIndex = false
    /// The in-memory buffer budget in bytes (see ``IndexWriterOptions/memoryBudget``).
    public var memoryBudget = IndexWriterOptions().memoryBudget
    /// Wait for another writer of the index to finish instead of failing.
    public var waitsForLock = false
    /// The merge policy's factor (see ``IndexWriterOptions/mergeFactor``).
    public var mergeFactor = IndexWriterOptions().mergeFactor
    /// Collects the time of each phase of the build (nil: nothing is measured).
    public var timings: IndexBuildTimings? = nil
    /// The load time of one file (seconds) after which the next files are read ahead
    /// (``ReadAhead``; 0: from the first file).
    package var readAheadThreshold = ReadAhead.slowLoad

    /// Default options: default input fields and analyzer, text stored, all cores.
    public init() {}
}

/// Where a build is (reported on the reading thread).
public struct IndexBuildProgress: Sendable {
    /// Files opened so far.
    public var files: Int
    /// Documents read so far.
    public var documents: Int
    /// Input bytes read so far (uncompressed).
    public var inputBytes: Int
    /// Seconds since the build started.
    public var seconds: Double
    /// The input bytes this run will read (uncompressed), counted before reading: the sizes of
    /// the new and changed files, a gzip file's from its trailer; nil when unknown (stdin).
    public var totalBytes: Int? = nil

    /// A progress report.
    public init(files: Int, documents: Int, inputBytes: Int, seconds: Double, totalBytes: Int? = nil) {
        self.files = files
        self.documents = documents
        self.inputBytes = inputBytes
        self.seconds = seconds
        self.totalBytes = totalBytes
    }
}

/// What a build did: the figures `sou index` prints.
public struct IndexBuildSummary: Sendable, Codable, Hashable {
    /// Documents indexed.
    public var documents: Int
    /// Files read.
    public var files: Int
    /// Files, folders or lines skipped (every reason; see ``skippedByReason``).
    public var skipped: Int
    /// Tokens not indexed for being longer than ``IndexWriter/maxTermBytes`` (with a warning).
    public var skippedTokens: Int
    /// Input bytes (uncompressed).
    public var inputBytes: Int
    /// Terms, summed over the index's segments: the distinct terms when it has one segment; a
    /// term in two segments counts twice (see ``segments``).
    public var terms: Int
    /// (term, document) pairs.
    public var postings: Int
    /// Stored positions.
    public var positions: Int
    /// Size of the index file.
    public var indexBytes: Int
    /// Segments of the index after the build (a build writes one per filled memory buffer).
    public var segments = 1
    /// Wall-clock seconds (reading, inverting, writing).
    public var seconds: Double
    /// Documents added (new keys), replaced (keys that were in the index), deleted (their file
    /// is gone, or their key is no longer in a changed JSON Lines file), and left as they were
    /// because their file had not changed.
    public var added = 0
    public var replaced = 0
    public var deleted = 0
    public var unchanged = 0
    /// Files not read again because their size and modification time had not changed.
    public var unchangedFiles = 0
    /// True when the index was built from scratch (no index, or `--rebuild`).
    public var rebuilt = true
    /// Skips by reason (``SkipReason`` raw values): binary, empty, excluded, …
    public var skippedByReason: [String: Int] = [:]
    /// Documents whose key had already been read in this run (the later one replaced it).
    public var duplicateKeys = 0
    /// Files read in each charset other than UTF-8 (converted to UTF-8).
    public var charsets: [String: Int] = [:]
    /// Input megabytes (10^6 bytes) per second.
    public var megabytesPerSecond: Double { seconds > 0 ? Double(inputBytes) / 1e6 / seconds : 0 }
}

/// Builds an index from paths (folders, files, JSON Lines, `-`): what `sou index` runs, and
/// what `sou search` calls to build the bundled corpus.
///
///     var builder = IndexBuilder(options: IndexBuildOptions())
///     builder.warn = { print("warning:", $0) }
///     let summary = try builder.build(paths: ["corpus"], to: URL(fileURLWithPath: "corpus.sou"))
public struct IndexBuilder {
    /// Build options.
    public var options: IndexBuildOptions
    /// One-line warnings (unreadable files, bad JSON lines, duplicate keys).
    public var warn: (String) -> Void = { _ in }
    /// What `--verbose` adds: each file skipped and why, each file's charset when not UTF-8.
    public var detail: (String) -> Void = { _ in }
    /// Whether ``detail`` is shown (`--verbose`): then a message does not suggest it.
    public var showsDetails = false
    /// Notes on how input was understood (stdin read as JSON Lines, keys by line number).
    public var note: (String) -> Void = { _ in }
    /// Progress, called now and then on the reading thread.
    public var progress: ((IndexBuildProgress) -> Void)? = nil
    /// Hears of the temporary file the build writes before it is renamed over the output (for
    /// removal in a signal handler).
    public var temporaryFile: TemporaryFileHook? = nil
    /// A listing of the paths started before ``update(paths:at:rebuild:)`` (by `sou index` before it
    /// parses its command line): used by the update when it lists the same paths with input
    /// options that list the same files, else left alone (its owner ends it).
    public var listing: FileListing? = nil
    /// Hears of the listing ``update(paths:at:rebuild:)`` starts (tests: it has ended when the
    /// update returns or throws).
    var listingStarted: ((FileListing) -> Void)? = nil

    /// Creates a builder.
    public init(options: IndexBuildOptions = IndexBuildOptions()) {
        self.options = options
    }

    /// Reads `paths` and writes a new index to `url` (replacing it atomically at the end: the
    /// previous file stays intact until the new one is committed).
    ///
    /// Before reading anything, the output is checked (``OutputRefusal``): an existing `url`
    /// must be a regular file this user may write, not one of `paths`, and a Sou index or empty
    /// (unless ``IndexBuildOptions/replacesNonIndexFile``); its folder must exist and be
    /// writable. A build that indexed no document writes nothing (unless
    /// ``IndexBuildOptions/allowsEmptyIndex``).
    public func build(paths: [String], to url: URL) throws -> IndexBuildSummary {
        try update(paths: paths, at: url, rebuild: true)
    }

    /// Brings the index at `url` up to date with `paths`: the index then
    /// holds exactly the documents of `paths`. Files whose size and modification time are those
    /// recorded in the index's source table are not read again; changed files are read and their
    /// documents replace the old ones (a changed JSON Lines file's keys that are gone are
    /// deleted); documents of files that are gone are deleted. Without an index at `url`, or
    /// with `rebuild`, a new index is built and replaces the file at the end.
    ///
    /// Throws ``IndexError/configurationMismatch(_:)`` when the index was built with other
    /// analyzer or storage options (rebuild to change them).
    public func update(paths: [String], at url: URL, rebuild: Bool = false) throws -> IndexBuildSummary {
        try update(paths: paths, atPath: url.path, rebuild: rebuild)
    }

    /// ``update(paths:at:rebuild:)`` of the index file at `indexPath`. (What `sou index` calls:
    /// making a `URL` of a path costs a scan of the binary's protocol conformance records in
    /// Foundation, ~240,000 instructions, and each `url.path` ~16,000.)
    public func update(paths: [String], atPath indexPath: String, rebuild: Bool = false) throws -> IndexBuildSummary {
        let start = Date()
        let input = try DocumentSource.validated(options.input)
        try OutputTarget.checkBeforeBuild(indexPath, inputs: paths, replacesNonIndexFile: options.replacesNonIndexFile)
        var phases: [TracedPhase] = [TracedPhase(name: "start", end: start)]
        let tracing = getenv("SOU_INDEX_TRACE") != nil   // (ProcessInfo's environment copies all of it)
        func phase(_ name: String) { if tracing { phases.append(TracedPhase(name: name)) } }
        let timings = options.timings ?? (tracing ? IndexBuildTimings() : nil)
        var writerOptions = IndexWriterOptions()
        writerOptions.timings = timings
        writerOptions.configuration = options.configuration
        writerOptions.storesText = options.storesText
        writerOptions.jobs = min(max(1, options.jobs), IndexBuildOptions.maxJobs)
        writerOptions.memoryBudget = options.memoryBudget
        writerOptions.waitsForLock = options.waitsForLock
        writerOptions.mergeFactor = options.mergeFactor
        writerOptions.temporaryFile = temporaryFile
        // the walk (a stat per file: most of an up-to-date run) starts now, on threads of its
        // own (or started before: `listing`), while this one opens and checks the index and
        // decodes its source table; any error of the index is thrown before the walk's own (as
        // when the walk came second)
        let listing: FileListing
        if let given = self.listing, !given.hasEnded, given.paths == paths, given.source.options.listsTheSameFiles(as: input) {
            listing = given   // (ended by its owner when this throws before using it)
        } else {
            let started = FileListing(source: DocumentSource(options: input), paths: paths)
            listingStarted?(started)
            listing = started
        }
        defer { if listing !== self.listing { listing.end() } }
        listing.warn = warn
        listing.detail = detail
        var fresh = rebuild || !FileManager.default.fileExists(atPath: indexPath)
        if !fresh {
            var st = stat()
            if stat(indexPath, &st) == 0, st.st_size == 0 || !OutputTarget.startsWithIndexMagic(indexPath) {
                fresh = true   // an empty file, or (with --force, checked above) a file that is not an index
            }
        }
        writerOptions.replacesNonIndexFile = options.replacesNonIndexFile
        var opened: IndexWriter? = nil
        if !fresh {
            do {
                opened = try IndexWriter(path: indexPath, mode: .openOrCreate, options: writerOptions)
            } catch IndexError.configurationMismatch(let what) {
                throw IndexError.configurationMismatch(what.replacingScalars("rebuild it to change", with: "use --rebuild to change"))
            } catch IndexError.unsupportedVersion(let found, let supported) where found < supported {
                // an index of an older format cannot be updated, only rebuilt from the paths it
                // mirrors: which is what this run is asked to make of it
                note("\(indexPath) is of an older index format (version \(found)): rebuilding it")
                fresh = true
            }
            if opened?.hasSources == false {
                // an index without a source table (written by `sou add` or the library) cannot be
                // compared file by file: it is rebuilt, which is what mirroring the paths means
                fresh = true
                opened = nil   // releases the lock for the rebuild below
            }
        }
        let writer = try opened ?? IndexWriter(path: indexPath, mode: .rebuild, options: writerOptions)
        let fingerprint = Self.fingerprint(input)
        var summary = IndexBuildSummary(documents: 0, files: 0, skipped: 0, skippedTokens: 0, inputBytes: 0, terms: 0,
                                        postings: 0, positions: 0, indexBytes: 0, seconds: 0)
        summary.rebuilt = fresh
        // live documents per Source value: a file whose count is not the one recorded had
        // documents replaced or deleted by someone else (`sou add`, `sou delete`, the library)
        // and is read again; documents of no recorded file (Source 0 or unknown) are strays.
        // (Counted while the walk runs: a column of every segment, about 1 ms for 21,000 files)
        let live = fresh ? SourceCounts() : try writer.liveDocumentCounts()
        phase("open")
        var files = try listing.files()
        if fresh { try OutputTarget.checkNotListed(indexPath, listed: files.map(\.path)) }
        // the index itself, when it lies in a folder it mirrors, is not one of its inputs
        if case (let rest, let excluded?) = OutputTarget.excludingIndex(indexPath, from: files, sources: paths) {
            files = rest
            detail("\(PathBytes.displayed(excluded)): the index being written, not read")
        }
        let source = listing.source
        source.options = input
        source.note = note
        // (the trace says whether the walk began before the update: `sou index` starts it early)
        phase(listing === self.listing ? "list (walk started before)" : "list")

        // the usual re-run, nothing changed: every listed file is the stored entry at its place
        // (same path bytes, size, time, kind and live documents) and no other document lives;
        // decided on the stored table's bytes, without decoding it. Anything else: the merge below
        if !fresh, let stored = writer.storedSources, stored.options == fingerprint, Self.nothingChanged(files, stored, live) {
            summary.unchangedFiles = files.count
            summary.unchanged = live.total
            phase("compare (nothing changed)")
            return try finish(writer: writer, source: source, files: files, paths: paths, indexPath: indexPath, start: start,
                              timings: timings, summary: summary, phases: phases, tracing: tracing)
        }
        // the next table: the stored one (none for a fresh build) and what changes in it,
        // written from the stored bytes of the files that did not change (``SourceTableEdit``)
        let base = fresh ? nil : try writer.sourcesToEdit()
        var table = SourceTableEdit(base: base, options: fingerprint)
        let baseFiles = base?.files ?? []
        let optionsChanged = (base?.options ?? fingerprint) != fingerprint
        var strays = Set<UInt32>()
        // (the table's ids are distinct: when its files' live documents are all the live ones,
        // there is no stray, and no set of ids is needed to say so)
        if baseFiles.reduce(0, { $0 + live[$1.id] }) != live.total {
            let known = Set(baseFiles.map(\.id))
            strays = Set(live.sources.filter { !known.contains($0) })
        }

        // what to read: new and changed files (all of them when the input options changed); each
        // listed file is paired with its entry in the table by a merge of the two path orders
        let entryOf = base?.match(files.map(\.path)) ?? [Int?](repeating: nil, count: files.count)
        var listed = [Bool](repeating: false, count: baseFiles.count)
        var toRead: [(file: InputFile, id: UInt32, old: SourceTable.File?, entry: Int?)] = []
        // each listed file's id, by its place in the walk (the order a fresh build reads them in)
        var idInWalk = [UInt32](repeating: 0, count: files.count)
        for i in files.indices {
            // (by index: a file is copied only when it is to be read)
            let entry = entryOf[i]
            if let entry { listed[entry] = true }
            let old = entry.map { baseFiles[$0] }
            // (Documents is what the file gave when it was read: a file with a key that a later
            // file also has gives more than it has live, and is read again, see below)
            if let old, !optionsChanged, files[i].isRegularFile, old.size == files[i].size,
               old.modificationTime == files[i].modificationTime, old.isJSONLines == files[i].isJSONLines,
               live[old.id] == old.documents {
                summary.unchanged += live[old.id]
                summary.unchangedFiles += 1
                idInWalk[i] = old.id
                continue
            }
            var id = old?.id ?? 0
            if id == 0 {
                id = table.nextID
                table.nextID += 1
            }
            idInWalk[i] = id
            toRead.append((files[i], id, old, entry))
        }
        let gone = baseFiles.indices.filter { !listed[$0] }
        if let base, !gone.isEmpty { noteRespelled(gone: gone.map { base.path($0) }, new: toRead.lazy.filter { $0.old == nil }.map(\.file.path)) }
        // the keys the changed and vanished files had
        // the index mirrors `paths`: strays go too, unless a file read now has their key
        let previousKeys = try writer.keys(fromSources: Set(toRead.compactMap { $0.old?.id } + gone.map { baseFiles[$0].id })
                                                         .union(strays))
        let old = previousKeys.values.reduce(into: Set<ByteKey>()) { $0.formUnion($1.lazy.map(ByteKey.init)) }
        // A key that two files give lives in the one a fresh build reads last (the later in the
        // walk). A document read now whose key is new to the files read (not one they, the gone
        // ones or strays had live) may be live in a file that is not read again: when that file
        // comes later in the walk, it keeps the key and the document read now is left out (its
        // file then gives more documents than it has live, and is read again by every run, so
        // that it gets the key back when the later file loses it). Looked up in the commit this
        // update started from (a snapshot: the writer's own segments change as it adds).
        let rereadIDs = Set(toRead.map(\.id))
        var snapshot: IndexReader? = nil
        // each listed file's place in the walk, by id (made when first asked: only documents with
        // keys new to the files read ask)
        var walkOrder: [UInt32: Int]? = nil
        func laterHolder(of key: String, readFrom id: UInt32) throws -> String? {
            if fresh { return nil }
            if snapshot == nil { snapshot = try IndexReader(path: indexPath) }
            guard let index = snapshot, let d = try index.documents(withKey: key).first else { return nil }
            let (s, local) = index.locate(d)
            let holder = UInt32(truncatingIfNeeded: try index.segments[s].reader.documentSource(local))
            if walkOrder == nil {
                walkOrder = Dictionary(idInWalk.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { _, last in last })
            }
            guard holder != 0, !rereadIDs.contains(holder), let theirs = walkOrder![holder], let ours = walkOrder![id], theirs > ours else { return nil }
            return files[theirs].path
        }
        phase("compare")

        var documents = 0
        var lastReport = 0
        // the total to read, for a progress bar: counted only when someone listens
        let totalBytes: Int? = progress == nil ? nil : Self.expectedBytes(toRead.map(\.file))
        // per file read: the distinct keys it gave (a JSON Lines file that repeats an id gives
        // one document for it, which is live unless a later file has the key)
        var counts: [UInt32: Int] = [:]
        // keys read now and the file each was read from last (keys by their bytes, as the
        // index holds them: ``ByteKey``)
        var keysRead: [ByteKey: UInt32] = [:]
        var readAheadFiles = 0
        if !toRead.isEmpty {
            // files that come from the disk are asked for ahead of this thread (``ReadAhead``);
            // from the page cache, nothing changes
            let readAhead = toRead.count >= ReadAhead.minimumFiles
                ? ReadAhead(paths: toRead.map { $0.file.isRegularFile ? $0.file.path : "" }, sizes: toRead.map(\.file.size),
                            threshold: options.readAheadThreshold)
                : nil
            defer {
                readAhead?.stop()
                readAheadFiles = readAhead?.advised ?? 0
            }
            try writer.addDocuments { add in
                // reading is what this thread does less the phases measured inside `add`
                try IndexBuildTimings.measure(timings, .read) {
                    for (k, (file, id, _, _)) in toRead.enumerated() {
                        readAhead?.willRead(k)
                        source.lastLoadSeconds = 0
                        defer { readAhead?.noteLoad(seconds: source.lastLoadSeconds) }
                        try source.read(file, source: id) { doc in
                            documents += 1
                            let key = ByteKey(doc.key)
                            if keysRead[key] == nil, !old.contains(key), let later = try laterHolder(of: doc.key, readFrom: id) {
                                counts[id, default: 0] += 1
                                summary.duplicateKeys += 1
                                warn("\(doc.origin.isEmpty ? "" : doc.origin + ": ")duplicate key \"\(doc.key)\": \(later), read after it, has it too and keeps it (the last one read wins)")
                                return
                            }
                            try add(doc)
                            let previous = keysRead.updateValue(id, forKey: key)
                            if previous != id { counts[id, default: 0] += 1 }
                            if previous != nil {
                                summary.duplicateKeys += 1
                                warn(Self.duplicateKeyWarning(doc))
                            }
                            if let progress, source.bytesRead - lastReport >= 1 << 20 {
                                lastReport = source.bytesRead
                                progress(IndexBuildProgress(files: source.filesRead, documents: documents, inputBytes: source.bytesRead,
                                                            seconds: Date().timeIntervalSince(start), totalBytes: totalBytes))
                            }
                        }
                    }
                }
            }
        }
        phase(readAheadFiles > 0 ? "read+invert (\(readAheadFiles) files read ahead)" : "read+invert")
        // count, delete the keys the changed and vanished files had that no file read now has (a
        // key read again, from its file or another one — a moved folder, a line moved to another
        // JSON Lines file — was replaced by the add: deleting it would delete the new document),
        // record the files
        let now = Set(keysRead.keys)
        summary.replaced = now.intersection(old).count
        summary.added = now.count - summary.replaced
        for key in old.subtracting(now) where try writer.delete(key: key.string) { summary.deleted += 1 }
        // A file that could not be read is not recorded (an entry it had goes, as its documents
        // went above): recorded with its size and time, it would count as read and unchanged, and
        // neither the next run nor the up-to-date check of a cached folder search would try it
        // again or say that it is unreadable. Unrecorded, every run tries it (and warns) again.
        let unreadable = source.unreadablePaths.isEmpty ? [] : Set(source.unreadablePaths.map(ByteKey.init))
        let recorded = unreadable.isEmpty ? toRead : toRead.filter { !unreadable.contains(ByteKey($0.file.path)) }
        let dropped = unreadable.isEmpty ? [] : toRead.compactMap { unreadable.contains(ByteKey($0.file.path)) ? $0.entry : nil }
        // (Documents of a file read now: the distinct keys it gave. A key read from two files lives
        // in the later one: the earlier then has fewer live documents than it gave, and is read
        // again by the next run, so that it gets the key back when the later file loses it; a
        // file not read keeps its number, and one that lost a key to a file read now has fewer
        // live documents than its number: read again too)
        for r in recorded {
            table.set(entry: r.entry, path: r.file.path,
                      file: SourceTable.File(id: r.id, size: r.file.size, modificationTime: r.file.modificationTime,
                                             isJSONLines: r.file.isJSONLines, documents: counts[r.id] ?? 0))
        }
        for e in gone + dropped { table.remove(entry: e) }
        // (a run that only met the same unreadable files again changes nothing: no commit)
        if fresh || !recorded.isEmpty || !dropped.isEmpty || !gone.isEmpty || optionsChanged || !strays.isEmpty {
            writer.editSources(table)
        }
        phase("deletes")
        return try finish(writer: writer, source: source, files: files, paths: paths, indexPath: indexPath, start: start,
                          timings: timings, summary: summary, phases: phases, tracing: tracing)
    }

    /// Says so when files read as new are files of the last run under another spelling of their
    /// paths (`sou index ./docs` after `sou index docs`: keys are paths as given, so every
    /// document is keyed anew and every file read again), with an example. `gone`: the paths the
    /// last run listed and this one did not; `new`: the paths read with no entry of their own.
    private func noteRespelled<S: Sequence>(gone: [String], new: S) where S.Element == String {
        guard let cwd = PathText.currentDirectory() else { return }
        var was: [[UInt8]: String] = [:]
        for path in gone { if let form = PathText.lexicallyAbsolute(path, cwd: cwd) { was[form] = path } }
        var count = 0
        var example: (now: String, before: String)? = nil
        for path in new {
            guard let form = PathText.lexicallyAbsolute(path, cwd: cwd), let before = was[form] else { continue }
            count += 1
            if example == nil { example = (path, before) }
        }
        guard let example else { return }
        note("\(count) \(count == 1 ? "file was" : "files were") read again under another spelling of \(count == 1 ? "its path" : "their paths") "
             + "(\(PathBytes.displayed(example.now)), which the last run named \(PathBytes.displayed(example.before))): keys are paths "
             + "as given, so \(count == 1 ? "its documents were" : "their documents were") keyed anew; give the paths as before to keep their keys")
    }

    /// The warning for a document whose key was read before in the same run (`sou index`,
    /// `sou add`): where it was read, and that it replaces the one read before.
    package static func duplicateKeyWarning(_ doc: SourceDocument) -> String {
        "\(doc.origin.isEmpty ? "" : doc.origin + ": ")duplicate key \"\(doc.key)\": it replaces the document read before with this key (the last one read wins)"
    }

    /// The end of an update: refuses to leave no document, commits, fills in the summary.
    private func finish(writer: IndexWriter, source: DocumentSource, files: [InputFile], paths: [String], indexPath: String, start: Date,
                        timings: IndexBuildTimings?, summary: IndexBuildSummary, phases: [TracedPhase], tracing: Bool) throws -> IndexBuildSummary {
        var summary = summary, phases = phases
        func phase(_ name: String) { if tracing { phases.append(TracedPhase(name: name)) } }
        // a build (or an update) that would leave no document writes nothing
        if writer.documentCount == 0, !options.allowsEmptyIndex {
            let reason = Self.whyNothing(source, paths: paths, listed: files.count, detailsShown: showsDetails)
            let errors = source.skippedByReason.contains { $0.key.isError && $0.value > 0 }
            throw OutputRefusal(errors ? .nothingIndexed(reason: reason) : .nothingToIndex(reason: reason), path: indexPath)
        }
        try writer.commit()
        phase("commit")
        if writer.skippedTokens > 0 {
            let n = writer.skippedTokens
            warn("\(n) \(n == 1 ? "token" : "tokens") longer than \(SegmentWriter.maxTermBytes) bytes "
                 + "\(n == 1 ? "was" : "were") not indexed (the longest: \(writer.longestSkippedToken) bytes)")
        }
        summary.skippedTokens = writer.skippedTokens

        // the figures of the commit just made, from the writer's segments (which a reader of the
        // file would open; the writer's lock keeps any other commit out until it is released)
        (summary.terms, summary.postings, summary.positions) = writer.segmentTotals
        summary.segments = writer.segmentCount
        var st = stat()
        summary.indexBytes = stat(indexPath, &st) == 0 ? Int(st.st_size) : 0
        summary.documents = writer.documentCount
        summary.files = source.filesRead
        summary.skipped = source.skipped
        summary.skippedByReason = Dictionary(uniqueKeysWithValues: source.skippedByReason.map { ($0.key.rawValue, $0.value) })
        summary.charsets = source.charsets
        summary.inputBytes = source.bytesRead
        summary.seconds = Date().timeIntervalSince(start)
        phase("summary")
        if tracing {
            // each phase's wall time, and the CPU time of all threads of the process in it
            let text = zip(phases.dropFirst(), phases).map { p, before in
                p.name + cFormat(" %.1f ms", p.end.timeIntervalSince(before.end) * 1000) + cFormat(" (CPU %.1f)", (p.cpu - before.cpu) * 1000)
            }
            writeAll("sou index: " + text.joined(separator: ", ") + "\n", to: STDERR_FILENO)
            if let timings {
                writeAll("sou index: phases (CPU and wall seconds summed over threads): " + timings.report() + "\n", to: STDERR_FILENO)
            }
        }
        return summary
    }

    /// A phase of an update traced by `SOU_INDEX_TRACE`: when it ended, and the CPU time of the
    /// process (all its threads, user and system) by then.
    struct TracedPhase {
        var name: String
        var end = Date()
        var cpu = IndexBuildTimings.processCPUSeconds()
    }

    /// Whether the walk's `files` are exactly the stored table's, each unchanged: same path bytes
    /// in the same order, a regular file of the recorded size, time and kind, with the recorded
    /// number of live documents, and no live document outside them.
    static func nothingChanged(_ files: [InputFile], _ stored: StoredSourceTable, _ live: SourceCounts) -> Bool {
        guard files.count == stored.files.count else { return false }
        var total = 0
        for (i, f) in files.enumerated() {
            let old = stored.files[i]
            guard f.isRegularFile, old.size == f.size, old.modificationTime == f.modificationTime,
                  old.isJSONLines == f.isJSONLines, live[old.id] == old.documents, stored.path(i, equals: f.path) else { return false }
            total += old.documents
        }
        // (ids are distinct, checked when the table was read: these counts are of distinct files)
        return total == live.total
    }

    /// The bytes reading `files` will yield: their sizes, for gzip data (by its magic bytes) the
    /// uncompressed size its trailer records (ISIZE, the size modulo 2^32 of the last member: exact
    /// for the usual single-member file under 4 GiB); nil when one of them is stdin.
    static func expectedBytes(_ files: [InputFile]) -> Int? {
        var total = 0
        for f in files {
            if f.path == "-" { return nil }
            total += f.size
            guard f.size >= 18 else { continue }
            let fd = open(f.path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            var magic = [UInt8](repeating: 0, count: 2)
            var trailer = [UInt8](repeating: 0, count: 4)
            guard pread(fd, &magic, 2, 0) == 2, magic == [0x1f, 0x8b],
                  pread(fd, &trailer, 4, off_t(f.size - 4)) == 4 else { continue }
            let isize = Int(trailer[0]) | Int(trailer[1]) << 8 | Int(trailer[2]) << 16 | Int(trailer[3]) << 24
            total += isize - f.size
        }
        return total
    }

    /// The source table's record of how files were read: the input options and the key scheme
    /// (a table of another scheme, e.g. keys relative to the folder before keys became paths,
    /// counts as changed options, so every file is read again and gets its current key).
    static func fingerprint(_ input: InputOptions) -> String {
        "keys: paths; " + input.fieldsDescription
    }

    /// Why a build found no document.
    static func whyNothing(_ source: DocumentSource, paths: [String], listed: Int, detailsShown: Bool = false) -> String {
        if source.skipped > 0 {
            return "skipped: " + skipBreakdown(source.skippedByReason) + (detailsShown ? "" : "; --verbose lists the files")
        }
        if listed == 0 {
            return "no file to index in \(paths.joined(separator: ", "))"
        }
        return "the input holds no document"
    }

    /// "3 binary, 1 empty, 2 bad JSON lines": counts by reason, in ``SkipReason`` order.
    public static func skipBreakdown(_ counts: [SkipReason: Int]) -> String {
        counts.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { $0.key.counted($0.value) }.joined(separator: ", ")
    }

    /// Whether `reader`'s index mirrors `paths` as they are now: built by `sou index` from the same
    /// files with the same sizes and modification times, and the same input options (no file is
    /// read; only listed and stat'ed). False too when the walk met something it could not read
    /// (a folder it may not list, a dangling link), or a file the last update could not read is
    /// still there (it was not recorded): an update tries them again and reports them.
    /// `walkingHere`: the folders are walked on the calling thread (no thread of their own: for a
    /// caller on a thread of its own, with nothing to do meanwhile).
    public func isUpToDate(_ reader: IndexReader, paths: [String], walkingHere: Bool = false) throws -> Bool {
        try isUpToDate(reader, listing: startListing(paths: paths, walkingHere: walkingHere))
    }

    /// Starts listing `paths` with this builder's input options on a thread of its own, for
    /// ``isUpToDate(_:listing:)``: the caller opens the index meanwhile (`walkingHere`: the walk
    /// runs when the files are asked for, on the asking thread). The walk's messages (unreadable
    /// files) are dropped.
    public func startListing(paths: [String], walkingHere: Bool = false) throws -> FileListing {
        try FileListing(paths: paths, options: options.input, walkingHere: walkingHere)
    }

    /// ``isUpToDate(_:paths:)`` with the files of a listing started before (ended here, whatever
    /// the answer).
    public func isUpToDate(_ reader: IndexReader, listing: FileListing) throws -> Bool {
        defer { listing.end() }
        let input = try DocumentSource.validated(options.input)
        guard let stored = try reader.storedSources(), stored.options == Self.fingerprint(input) else { return false }
        let files = try listing.files()
        // a file or folder the walk could not read (a folder it may not list, a dangling link)
        // is reported by an update's walk: a caller that takes this index as it is would not
        // say that part of the paths could not be searched
        guard listing.source.unreadablePaths.isEmpty, files.count == stored.files.count else { return false }
        // the usual case: the walk lists the stored paths in the stored order (compared as bytes)
        if files.indices.allSatisfy({ stored.path($0, equals: files[$0].path) }) {
            return zip(files, stored.files).allSatisfy { f, old in
                f.isRegularFile && old.size == f.size && old.modificationTime == f.modificationTime
            }
        }
        var listed = [Bool](repeating: false, count: stored.files.count)
        for (f, entry) in zip(files, stored.match(files.map(\.path))) {
            guard let entry, f.isRegularFile else { return false }
            let old = stored.files[entry]
            guard old.size == f.size, old.modificationTime == f.modificationTime else { return false }
            listed[entry] = true
        }
        // every recorded file listed (a path listed twice leaves another one out)
        return !listed.contains(false)
    }

    /// Reads `paths` into one segment in memory (same format, same reader as a file).
    public func buildIndex(paths: [String]) throws -> IndexReader {
        var skipped: [SkipReason: Int] = [:]
        return try buildIndex(paths: paths, skipped: &skipped)
    }

    /// ``buildIndex(paths:)``, and what was skipped, by reason (files that could not be read
    /// under ``SkipReason/unreadable``: `sou search` of PATHs exits 2 on them when nothing matched).
    public func buildIndex(paths: [String], skipped: inout [SkipReason: Int]) throws -> IndexReader {
        let writer = try SegmentWriter(configuration: options.configuration, storesText: options.storesText)
        writer.timings = options.timings
        let source = DocumentSource(options: try DocumentSource.validated(options.input), warn: warn)
        source.detail = detail
        source.note = note
        try writer.addDocuments(jobs: min(max(1, options.jobs), IndexBuildOptions.maxJobs)) { add in
            try IndexBuildTimings.measure(options.timings, .read) { try source.read(paths: paths) { try add($0) } }
        }
        skipped = source.skippedByReason
        return try IndexReader(segment: writer.makeIndex())
    }
}
