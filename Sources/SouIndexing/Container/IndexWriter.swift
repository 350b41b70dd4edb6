import FoundationEssentials
import Glibc
import SouAnalysis

/// Options of an ``IndexWriter``.
public struct IndexWriterOptions: Sendable {
    /// The analyzer configuration (of a new file; an existing file must have the same).
    public var configuration = AnalyzerConfiguration()
    /// Store document text (of a new file; an existing file must agree).
    public var storesText = true
    /// In-memory buffer budget in bytes: when the buffered documents' inverted postings, keys and
    /// titles reach it, they are written as a segment and the memory is released. 80 MiB by
    /// default (Lucene's default buffer is 16 MB, tantivy's examples use 50 MB): it fills at about
    /// 70 MB of JSON Lines, so a corpus up to that size stays one segment, and a larger one builds
    /// in about 110-140 MB of memory, about as fast as in one buffer, in segments that the merge
    /// policy keeps logarithmic in number. Each segment repeats the terms it shares with the
    /// others, so fewer segments make a smaller file (and faster queries): against 64 MiB, dev-x10
    /// (127 MB, one job) builds in 2 segments instead of 3, 1.9% smaller, in 108 MB of peak RSS
    /// instead of 95 (0.85 times its input; 96 MiB took 131 MB, more than the input), and
    /// dev-x30 (381 MB) in 5 instead of 7, 1.4% smaller, in 133-137 MB instead of 114-122, as
    /// fast (medians of 3 alternating runs: 11.21 s against 11.39 s; one 2 GiB buffer 12.13 s
    /// in 333 MB).
    public var memoryBudget = 80 << 20
    /// Threads analyzing documents in ``IndexWriter/addDocuments(_:)`` and encoding segments.
    public var jobs = 1
    /// Wait for another writer to finish instead of failing with ``IndexError/locked(_:)``.
    public var waitsForLock = false
    /// The merge policy: segments of about the same size (within a factor of `mergeFactor`)
    /// are merged once `mergeFactor` of them exist, which keeps the number of segments
    /// logarithmic in the number of flushes.
    public var mergeFactor = 8
    /// Hears of every temporary file (a rebuild, a compacting merge) before it is created and
    /// after it is gone: `sou` removes them on SIGINT, SIGTERM and SIGHUP.
    public var temporaryFile: TemporaryFileHook? = nil
    /// In `.rebuild` mode, replace an existing file that is not a Sou index (never a symbolic
    /// link, device or folder); otherwise such a file is refused.
    public var replacesNonIndexFile = false
    /// Collects the time of each phase (analysis, inversion, serialization, merges, writes);
    /// nil (the default): nothing is measured.
    public var timings: IndexBuildTimings? = nil

    /// Default options.
    public init() {}
}

/// How ``IndexWriter`` opens its file.
public enum IndexWriterMode: Sendable {
    /// Open the index at the path, or create an empty one there.
    case openOrCreate
    /// Open the index at the path; when there is none, create it at the first
    /// ``IndexWriter/commit()`` (built in a temporary file next to it, published only if the path
    /// is still free: a file another writer created there meanwhile makes that commit fail with
    /// ``IndexError/locked(_:)``, writing nothing). A writer that fails or is dropped before it
    /// commits leaves no file behind (what `sou add` does: a failed add creates nothing).
    case openOrCreateOnCommit
    /// Build a new index that replaces the file at the path at the first ``IndexWriter/commit()``
    /// (until then the old file stays as it is; an existing file that is not a Sou index is
    /// refused).
    case rebuild
}

/// The one writer of an index file: adds, replaces and deletes documents by key, and commits.
///
///     let writer = try IndexWriter(path: "notes.sou")
///     try writer.add(key: "a.txt", text: "集体协商")       // replaces a document with that key
///     try writer.delete(key: "old.txt")
///     try writer.commit()                                  // durable when it returns
///
/// Every document has a unique key: adding a key that exists replaces its document. Added
/// documents are analyzed and inverted into an in-memory buffer; when the buffer reaches
/// ``IndexWriterOptions/memoryBudget`` it is written to the end of the file as a new immutable
/// segment. ``commit()`` writes the rest, the deletion bitmaps that changed and a commit record,
/// fsyncs, and then points the file header at the new commit: a reader opening the file sees
/// the previous commit or this one, never a mix, and a crash at any moment loses only what was
/// not committed. Merges (by the merge policy, or ``merge(maxSegments:)``) combine segments
/// without re-analyzing text; when dead bytes (replaced segments, old bitmaps and commits) make up
/// too much of the file, a commit rewrites it compactly into a new file renamed over the old one.
///
/// One writer per file at a time, across processes and threads (an advisory lock: see
/// ``IndexError/locked(_:)``); any number of ``IndexReader``s at any time.
public final class IndexWriter {
    /// The index file.
    public let path: String
    /// The writer's options.
    public let options: IndexWriterOptions
    /// The analyzer configuration of the index.
    public var configuration: AnalyzerConfiguration { options.configuration }

    /// The open file (locked).
    private(set) var fd: Int32
    /// Rebuild mode: the temporary file that replaces ``path`` at the first commit, and the
    /// descriptor of the old file whose lock keeps other writers out until then.
    private var replacement: (tempPath: String, oldFD: Int32?)?
    private var generation: UInt64
    /// Offset of the latest commit record in this file (0: none).
    private var committedOffset: Int
    /// End of the committed bytes: a crash leaves at most garbage after it.
    private var committedEnd: Int
    /// Where the next blob is appended.
    private var end: Int
    private var nextSegmentID: UInt64
    private var segments: [WriterSegment] = []
    /// The committed source table and whether it changed since.
    private var committedSources: SourceTable?
    /// The committed source table as stored (checked when the file was opened), until
    /// ``sources`` decodes it into `committedSources` or an update edits it.
    private(set) var storedSources: StoredSourceTable?
    /// The table as an edit of the stored one (``editSources(_:)``), until ``sources`` decodes it.
    private var sourcesEdit: SourceTableEdit?
    private var sourcesEntry: (offset: Int, length: Int, crc: UInt32) = (0, 0, 0)
    /// The length of the full table the committed one is based on (0: it is a full table).
    private var sourcesBaseLength = 0
    private var sourcesChanged = false
    /// The whole-file mapping the committed segments' readers share.
    private var fileStorage: IndexStorage?
    /// Syncs the file's data while segments are written to it, so that the commit's sync has
    /// little left (made with the first segment sink; ended by every sync of the file).
    private var backgroundSync: BackgroundSync?
    /// True once something changed since the last commit.
    private var dirty = false
    private var failure: String?

    // the in-memory buffer
    private var buffer: SegmentWriter?
    private var batchAnalyzer: BatchAnalyzer?
    private var pending = DocumentBatch(firstDocument: 0)
    /// Keys of the buffered documents → their number in the buffer (by bytes, as the segments
    /// find keys: ``ByteKey``).
    private var bufferKeys: [ByteKey: Int] = [:]
    private var bufferDeleted: [Int] = []
    private var bufferStringBytes = 0
    /// Tokens left out for being longer than ``SegmentWriter/maxTermBytes`` (and the longest), over
    /// all the segments this writer built.
    public private(set) var skippedTokens = 0
    public private(set) var longestSkippedToken = 0
    /// Hashes of the keys in segments written by this writer (a key not in here and not in a
    /// segment that was committed before this writer opened the file is new: no lookup needed).
    private var writtenKeyHashes = Set<Int>()
    /// The first segments (by index) were committed before this writer opened the file.
    private var priorSegmentCount = 0
    /// Whether this writer builds a new index (``IndexWriterMode/rebuild``): its segments are the
    /// index's base (see ``dictionaryLayout(joining:from:)``).
    private let builds: Bool

    /// Opens (or creates, or prepares to replace) the index at `path`, taking its write lock.
    ///
    /// A symbolic link at `path` is refused, before anything is written, with
    /// ``OutputRefusal`` (``OutputRefusal/Kind/symbolicLink``): give the target's path. Other
    /// failures throw ``IndexError``.
    public init(path: String, mode: IndexWriterMode = .openOrCreate, options: IndexWriterOptions = IndexWriterOptions()) throws {
        self.path = path
        self.options = options
        fd = -1
        generation = 0
        committedOffset = 0
        committedEnd = ContainerLayout.headerSize
        end = ContainerLayout.headerSize
        nextSegmentID = 0
        builds = mode == .rebuild
        switch mode {
        case .openOrCreate:
            // (bounded: each turn means another process created or removed the file between an
            // open and a link; a link at the path is refused by openExisting, not retried)
            for attempt in 0... {
                if let opened = try Self.openExisting(path, wait: options.waitsForLock) {
                    fd = opened
                    break
                }
                // absent: create an empty index, unless another writer created one meanwhile
                if let created = try Self.createEmpty(path, options: options) {
                    fd = created
                    break
                }
                if attempt == 100 {
                    throw IndexError.io("cannot create \(path): something keeps creating and removing a file there")
                }
            }
            try load()
        case .openOrCreateOnCommit:
            if let opened = try Self.openExisting(path, wait: options.waitsForLock) {
                fd = opened
                try load()
            } else {
                let (tempFD, tempPath) = try Self.createTemporary(near: path, replacing: nil, hook: options.temporaryFile)
                fd = tempFD
                replacement = (tempPath, nil)
                try writeFully(Self.emptyHeader(), at: 0)
                dirty = true
            }
        case .rebuild:
            var oldFD: Int32? = nil
            var replaced: stat? = nil
            if let existing = try Self.openExisting(path, wait: options.waitsForLock, foreignIsError: !options.replacesNonIndexFile) {
                oldFD = existing
                var st = stat()
                if fstat(existing, &st) == 0 { replaced = st }
            }
            do {
                let (tempFD, tempPath) = try Self.createTemporary(near: path, replacing: replaced, hook: options.temporaryFile)
                fd = tempFD
                replacement = (tempPath, oldFD)
                try writeFully(Self.emptyHeader(), at: 0)
                generation = 0
                dirty = true
            } catch {
                if let r = replacement {
                    // (removed here, so that deinit does not close oldFD a second time)
                    unlink(r.tempPath)
                    options.temporaryFile?(r.tempPath, false)
                    replacement = nil
                }
                if let oldFD { WriterLock.releaseAndClose(oldFD) }
                throw error
            }
        }
        removeStaleTemporaryFiles()
    }

    /// Removes the temporary files of this index that dead writers left
    /// (``AtomicFile/removeStaleTemporaryFiles(of:index:keeping:)``: those no live writer holds
    /// the lock of), when this writer holds the index's lock: the file it opened, or the one it
    /// just created. Costs one listing of the index's folder.
    private func removeStaleTemporaryFiles() {
        guard let locked = replacement.map({ $0.oldFD }) ?? fd else { return }
        var st = stat()
        guard locked >= 0, fstat(locked, &st) == 0 else { return }
        AtomicFile.removeStaleTemporaryFiles(of: path, index: (UInt64(st.st_dev), UInt64(st.st_ino)), keeping: replacement?.tempPath)
    }

    deinit {
        _ = endBackgroundSync()
        if let replacement {
            unlink(replacement.tempPath)
            options.temporaryFile?(replacement.tempPath, false)
            if let old = replacement.oldFD { WriterLock.releaseAndClose(old) }
        } else if failure == nil, fd >= 0, committedEnd < end {
            // uncommitted segments: leave the file as it was committed
            _ = ftruncate(fd, off_t(committedEnd))
        }
        if fd >= 0 { WriterLock.releaseAndClose(fd) }
    }

    // MARK: opening

    /// Opens and locks an existing file; nil when there is none. Retries when a merge replaced
    /// the file while this writer waited for the lock. A symbolic link at `path` (dangling or
    /// not) is refused with ``OutputRefusal/Kind/symbolicLink``: a writer replaces the file by a
    /// rename (a merge, a compacting commit, a rebuild), which would put a file where the link
    /// was and leave its target behind, so no writer opens one (`O_NOFOLLOW`).
    private static func openExisting(_ path: String, wait: Bool, foreignIsError: Bool = false) throws -> Int32? {
        while true {
            let fd = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW)
            if fd < 0 {
                let e = errno
                if e == ENOENT { return nil }
                var st = stat()
                if e == ELOOP, lstat(path, &st) == 0, st.st_mode & S_IFMT == S_IFLNK {
                    throw OutputRefusal(.symbolicLink, path: path)
                }
                throw IndexError.io("cannot open \(path) for writing: \(String(cString: strerror(e)))")
            }
            var st = stat()
            guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
                close(fd)
                throw IndexError.io("\(path) is not a regular file")
            }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
            if foreignIsError, st.st_size > 0 {
                var magic = [UInt8](repeating: 0, count: 8)
                if pread(fd, &magic, 8, 0) != 8 || magic != FileLayout.headerMagic {
                    close(fd)
                    throw IndexError.notAnIndex("\(path) exists and is not a Sou index: refusing to replace it")
                }
            }
            do {
                try WriterLock.acquire(fd, path: path, wait: wait)
            } catch {
                close(fd)
                throw error
            }
            var now = stat()
            if lstat(path, &now) == 0, now.st_dev == st.st_dev, now.st_ino == st.st_ino { return fd }
            WriterLock.releaseAndClose(fd)   // replaced while we waited: lock the new file
        }
    }

    /// Creates an empty index (one empty commit) at `path`; nil when a file appeared there first.
    private static func createEmpty(_ path: String, options: IndexWriterOptions) throws -> Int32? {
        let (fd, temp) = try createTemporary(near: path, replacing: nil, hook: options.temporaryFile)
        do {
            var header = emptyHeader()
            let commit = CommitRecord(generation: 1, previousOffset: 0, configuration: options.configuration,
                                      storesText: options.storesText, nextSegmentID: 0, segments: [])
            let record = commit.encoded()
            let slot = CommitSlot(generation: 1, offset: ContainerLayout.headerSize, length: record.count).encoded()
            header.replaceSubrange(ContainerLayout.slotOffsets[1]..<(ContainerLayout.slotOffsets[1] + slot.count), with: slot)
            // (errors name the index: the temporary file is its first state, and is removed)
            try pwriteAll(fd, header + record, at: 0, path: path)
            guard fsync(fd) == 0 else { throw Self.syncFailed(path, errno) }
            if link(temp, path) != 0 {
                let e = errno
                unlink(temp)
                options.temporaryFile?(temp, false)
                WriterLock.releaseAndClose(fd)
                if e == EEXIST { return nil }
                throw IndexError.io("cannot create \(path): \(String(cString: strerror(e)))")
            }
            unlink(temp)
            options.temporaryFile?(temp, false)
            syncFolder(of: path)
            return fd
        } catch {
            unlink(temp)
            options.temporaryFile?(temp, false)
            WriterLock.releaseAndClose(fd)
            throw error
        }
    }

    /// A new locked temporary file next to `path`, with the permission bits (and owner, when
    /// allowed) of the file it will replace, else 0666 less the umask.
    private static func createTemporary(near path: String, replacing existing: stat?, hook: TemporaryFileHook?) throws -> (Int32, String) {
        // a folder that is missing, or not one, or not writable is named as such ("nofolder: no
        // such folder"), not as a temporary file that could not be made
        try OutputTarget.checkFolder(of: path)
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let (fd, temp) = try AtomicFile.createTemporaryFile(folder: folder.isEmpty ? "." : folder, name: url.lastPathComponent,
                                                            target: path, hook: hook)
        // locked before anything else: a file of this name that is unlocked and not empty has
        // no live writer (see AtomicFile.removeStaleTemporaryFiles)
        do {
            try WriterLock.acquire(fd, path: temp, wait: false)
        } catch {
            close(fd)
            unlink(temp)
            hook?(temp, false)
            throw error
        }
        AtomicFile.takeOwnership(fd, replacing: existing)
        return (fd, temp)
    }

    static func emptyHeader() -> [UInt8] {
        var w = ByteWriter()
        w.append(contentsOf: FileLayout.headerMagic)
        w.u32(FileLayout.formatVersion)
        w.u32(0)
        w.append(contentsOf: [UInt8](repeating: 0, count: ContainerLayout.headerSize - 16))
        return w.bytes
    }

    /// Reads the latest commit of the open file, drops a torn tail after it, maps the segments.
    private func load() throws {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw IndexError.io("cannot stat \(path): \(String(cString: strerror(errno)))") }
        let size = Int(st.st_size)
        var header = [UInt8](repeating: 0, count: ContainerLayout.headerSize)
        let n = pread(fd, &header, header.count, 0)
        try header.withUnsafeBytes { try IndexFile.checkHeader(IndexBytes(base: $0.baseAddress!, count: max(0, n)), path: path) }
        let storage = try IndexStorage(mapping: fd, range: 0..<size, path: path)
        let latest = try header.withUnsafeBytes { try IndexFile.latestCommit(in: storage.bytes, slots: $0, path: path) }
        let commit = latest.commit, offset = latest.offset
        // the snapshot a reader would see: validates every segment and bitmap
        let snapshot = try IndexReader(storage: storage, commit: commit, commitOffset: offset, path: path, identity: nil)
        guard snapshot.configuration == options.configuration else {
            throw IndexError.configurationMismatch("\(path) was built with other analyzer options (\(snapshot.configuration)); rebuild it to change them")
        }
        guard snapshot.storesText == options.storesText else {
            throw IndexError.configurationMismatch("\(path) \(snapshot.storesText ? "stores" : "does not store") document text; rebuild it to change that")
        }
        fileStorage = storage
        generation = commit.generation
        committedOffset = offset
        committedEnd = offset + commit.byteCount
        end = committedEnd
        nextSegmentID = commit.nextSegmentID
        segments = snapshot.segments.map { WriterSegment(entry: $0.entry, reader: $0.reader, deletions: $0.deletions) }
        priorSegmentCount = segments.count
        if commit.sourcesLength > 0 {
            let r = commit.sourcesOffset..<(commit.sourcesOffset + commit.sourcesLength)
            guard CRC32C.checksum(storage.bytes.slice(r)) == commit.sourcesCRC else {
                throw IndexError.corrupt("source table at byte \(commit.sourcesOffset): checksum mismatch")
            }
            storedSources = try StoredSourceTable(storage: storage, range: r)
            sourcesEntry = (commit.sourcesOffset, commit.sourcesLength, commit.sourcesCRC)
            sourcesBaseLength = storedSources?.delta?.base.count ?? 0
        }
        if !latest.abandonedSlots.isEmpty {
            // a newer commit's slot whose record the file's end cut off (a power loss after the
            // slot write, a truncated copy): cleared (and synced) before anything is appended, or
            // the bytes appended under its old offset would turn it into a slot that names a
            // record inside the file that does not decode, which readers refuse as damage
            for at in latest.abandonedSlots {
                try writeFully([UInt8](repeating: 0, count: ContainerLayout.slotSize), at: at)
            }
            try syncFile()
        }
        if size > committedEnd {
            // a torn or abandoned tail (a writer died before its commit): clean it
            guard ftruncate(fd, off_t(committedEnd)) == 0 else {
                throw IndexError.io("cannot truncate the unfinished tail of \(path): \(String(cString: strerror(errno)))")
            }
        }
    }

    // MARK: documents

    /// Live documents of the last commit plus the changes since (an upper bound while documents
    /// wait in the buffer: a buffered replacement counts once per version until it is inverted).
    public var documentCount: Int {
        segments.reduce(0) { $0 + $1.entry.documentCount - $1.deletions.count }
            + (buffer?.documents.count ?? 0) - bufferDeleted.count + pending.count
    }

    /// Segments of the last commit (or of the index as opened).
    var segmentCount: Int { segments.count }

    /// Terms (a term in two segments counts twice), (term, document) pairs and positions summed
    /// over the segments, as a reader of the last commit counts them (`sou index`'s summary; call
    /// after ``commit()``).
    var segmentTotals: (terms: Int, postings: Int, positions: Int) {
        segments.reduce(into: (0, 0, 0)) {
            $0.0 += $1.reader.termCount
            $0.1 += $1.reader.postingCount
            $0.2 += $1.reader.positionCount
        }
    }

    /// Adds a document; a document with the same key is replaced (upsert). `text` is what is
    /// analyzed and stored; `title` is shown in results; `source` is the number of the input file
    /// it came from in the ``sources`` table (0: none). A text over
    /// ``SegmentWriter/maxTextBytes`` (1023 MiB of UTF-8) is refused with
    /// ``IndexError/capacity(_:)``, and the writer stays usable.
    public func add(key: String, title: String = "", text: String, source: UInt32 = 0) throws {
        try add(SourceDocument(key: key, title: title, text: text, source: source))
    }

    /// ``add(key:title:text:source:)`` of a document as read (its text possibly still bytes).
    func add(_ document: SourceDocument) throws {
        try checkUsable()
        // (refused before it is buffered: the writer stays usable)
        try SegmentWriter.checkTextSize(document)
        pending.append(document)
        dirty = true
        if pending.isFull { try flushPending() }
    }

    /// Replaces the document with key `key` (or adds it): the same as ``add(key:title:text:)``.
    public func replace(key: String, title: String = "", text: String) throws {
        try add(key: key, title: title, text: text)
    }

    /// Deletes the document with key `key`; returns false when there is none.
    @discardableResult
    public func delete(key: String) throws -> Bool {
        try checkUsable()
        try flushPending()
        let found = try supersede(key)
        if found { dirty = true }
        return found
    }

    /// Whether a live document has key `key`: in the segments committed before this writer, those
    /// it has written since, or its buffer.
    public func containsKey(_ key: String) throws -> Bool {
        try checkUsable()
        try flushPending()
        if bufferKeys[ByteKey(key)] != nil { return true }
        for i in segments.indices {
            for local in try segments[i].reader.documents(withKey: key) where !segments[i].deletions.contains(local) { return true }
        }
        return false
    }

    /// Whether a live document's key starts with `prefix`: in the segments committed before this
    /// writer, those it has written since, or its buffer.
    public func containsKey(withPrefix prefix: String) throws -> Bool {
        try checkUsable()
        try flushPending()
        for segment in segments {
            // (a run of the key order, deleted documents skipped: a look-up and as many reads as
            // documents deleted there)
            if try segment.reader.firstDocument(withKeyPrefix: prefix, where: { !segment.deletions.contains($0) }) != nil { return true }
        }
        return bufferHasKey(withPrefix: prefix)
    }

    /// Whether some document's key starts with `prefix` (`outside`: does not start with it), in the
    /// segments or the buffer; deleted documents may count (an answer for skipping work: true
    /// says only that such a key may be live).
    public func mayContainKey(withPrefix prefix: String, outside: Bool = false) throws -> Bool {
        try checkUsable()
        try flushPending()
        for i in segments.indices {
            if outside ? try segments[i].reader.hasKey(notWithPrefix: prefix) : try segments[i].reader.hasKey(withPrefix: prefix) {
                return true
            }
        }
        return bufferHasKey(withPrefix: prefix, outside: outside)
    }

    /// Whether a key of the buffer starts with `prefix` (`outside`: one does not).
    private func bufferHasKey(withPrefix prefix: String, outside: Bool = false) -> Bool {
        var p = prefix
        return p.withUTF8 { p in
            bufferKeys.keys.contains { key in
                var k = key.string
                let starts = k.withUTF8 { k in k.count >= p.count && (p.isEmpty || memcmp(k.baseAddress!, p.baseAddress!, p.count) == 0) }
                return starts != outside
            }
        }
    }

    /// Adds many documents, analyzing them on ``IndexWriterOptions/jobs`` threads: `produce`
    /// calls `add` for each (on this thread). The same as calling ``add(key:title:text:)`` for
    /// each, in order: when `produce` throws an error of its own, the documents it added before
    /// are added, the writer stays usable, and the error is rethrown (an error of `add` itself
    /// fails the writer, as ``add(key:title:text:source:)``'s do).
    public func addDocuments(_ produce: (_ add: (SourceDocument) throws -> Void) throws -> Void) throws {
        try checkUsable()
        let jobs = min(max(1, options.jobs), IndexBuildOptions.maxJobs)
        guard jobs > 1 else {
            // the analyzer is made before the first document, as for several jobs (so that its
            // start-up is not timed as reading)
            _ = try bufferWriter()
            try produce { try add($0) }
            return
        }
        try flushPending()
        let analyzer = try bufferWriter().analyzer
        // An error `produce` throws itself ends the documents there, as with one job: the
        // pipeline is closed normally (the documents added before it are inverted) and the error
        // rethrown after. Failing the pipeline instead would drop them, and fail the writer with
        // everything it had not committed, for an error that is not the writer's. An error that
        // comes out of `add` (a failed inversion or write) is the writer's.
        // dirty only when a document came: a call that added none (an update whose only file to
        // read could not be read) leaves nothing to commit, as the one-job path does
        var produced = false
        var producerError: Error? = nil
        var addFailed = false
        do {
            try InversionPipeline.run(jobs: jobs, analyzer: analyzer, storesText: options.storesText, firstDocument: 0,
                                      timings: options.timings, invert: { [unowned self] in try self.invertBatch($0) }) { add in
                do {
                    try withoutActuallyEscaping(add) { add in
                        try produce { document in
                            // a text too long is refused as with one job (an error of the
                            // producer's document, not of the writer)
                            try SegmentWriter.checkTextSize(document)
                            do {
                                produced = true
                                try add(document)
                            } catch {
                                addFailed = true
                                throw error
                            }
                        }
                    }
                } catch {
                    if addFailed { throw error }
                    producerError = error
                }
            }
        } catch {
            dirty = true
            fail(error)
            throw error
        }
        if produced { dirty = true }
        if let producerError { throw producerError }
    }

    /// Marks the live document with `key` deleted, wherever it is; false when there is none.
    private func supersede(_ key: String) throws -> Bool {
        if let local = bufferKeys.removeValue(forKey: ByteKey(key)) {
            bufferDeleted.append(local)
            return true
        }
        guard segments.count > 0 else { return false }
        var found = false
        let mightBeRecent = writtenKeyHashes.contains(key.hashValue)
        for i in segments.indices.reversed() where i < priorSegmentCount || mightBeRecent {
            for local in try segments[i].reader.documents(withKey: key) where !segments[i].deletions.contains(local) {
                segments[i].deletions.insert(local)
                segments[i].deletionsChanged = true
                found = true
            }
        }
        return found
    }

    private func bufferWriter() throws -> SegmentWriter {
        if let buffer { return buffer }
        let b = try SegmentWriter(configuration: options.configuration, storesText: options.storesText)
        b.serializationJobs = min(max(1, options.jobs), IndexBuildOptions.maxJobs)
        buffer = b
        return b
    }

    /// Analyzes and inverts the pending batch.
    private func flushPending() throws {
        guard pending.count > 0 else { return }
        let writer = try bufferWriter()
        if batchAnalyzer == nil {
            batchAnalyzer = BatchAnalyzer(analyzer: writer.analyzer, storesText: options.storesText, timings: options.timings)
        }
        let batch = pending
        pending = DocumentBatch(firstDocument: 0)
        do {
            try invertBatch(try batchAnalyzer!.analyze(batch))
        } catch {
            fail(error)
            throw error
        }
    }

    /// Inverts an analyzed batch into the buffer (replacing documents with the same keys), then
    /// writes the buffer as a segment when it has reached the memory budget.
    private func invertBatch(_ analyzed: AnalyzedBatch) throws {
        try IndexBuildTimings.measure(options.timings, .invert) { try invertAndFlush(analyzed) }
    }

    private func invertAndFlush(_ analyzed: AnalyzedBatch) throws {
        let writer = try bufferWriter()
        var a = analyzed
        let first = writer.documents.count
        a.batch.firstDocument = first
        if var s = a.stored {
            s.firstDocument = first
            a.stored = s
        }
        for (i, key) in a.batch.keys.enumerated() {
            _ = try supersede(key)
            bufferKeys[ByteKey(key)] = first + i
            bufferStringBytes += key.utf8.count + a.batch.titles[i].utf8.count + 48
        }
        try writer.invert(a)
        if writer.segment.memoryBytes + bufferStringBytes + bufferKeys.count * 64 >= options.memoryBudget {
            try flushBuffer()
        }
    }

    /// Writes the buffer at the end of the file as a new segment (not yet committed). Buffered
    /// documents replaced or deleted before this (a key added twice) were never committed: the
    /// segment is written without them, so that a build leaves no deleted document behind.
    private func flushBuffer() throws {
        guard let writer = buffer, writer.documents.count > 0 else { return }
        skippedTokens += writer.segment.skippedTokens
        longestSkippedToken = max(longestSkippedToken, writer.segment.longestSkippedToken)
        if bufferDeleted.count < writer.documents.count {
            let start = end
            let sink = segmentSink(at: start)
            var serializer = IndexSerializer(configuration: options.configuration, storesText: options.storesText,
                                             jobs: min(max(1, options.jobs), IndexBuildOptions.maxJobs), timings: options.timings)
            serializer.dictionaryLayout = dictionaryLayout(joining: segments.count)
            _ = try IndexBuildTimings.measure(options.timings, .serialize) {
                try serializer.serialize(segment: writer.segment, documents: writer.documents, into: sink)
            }
            options.timings?.countFlush()
            try sink.flush()
            end = start + sink.offset
            var reader = try SegmentReader(storage: IndexStorage(mapping: fd, range: start..<end, path: path))
            if !bufferDeleted.isEmpty {
                var dropped = DeletionSet(documentCount: reader.documentCount)
                for d in bufferDeleted { dropped.insert(d) }
                reader = try rewriteLastSegment(reader, at: start, without: dropped)
            }
            let entry = CommitRecord.Segment(id: nextSegmentID, offset: start, length: end - start, documentCount: reader.documentCount,
                                             deletedCount: 0, liveLength: reader.totalDocumentLength,
                                             deletionsOffset: 0, deletionsLength: 0, deletionsCRC: 0)
            nextSegmentID += 1
            segments.append(WriterSegment(entry: entry, reader: reader, deletions: DeletionSet(documentCount: reader.documentCount)))
            for key in bufferKeys.keys { writtenKeyHashes.insert(key.string.hashValue) }
        }
        // (every buffered document deleted: no segment)
        buffer = nil
        batchAnalyzer = nil
        bufferKeys = [:]
        bufferDeleted = []
        bufferStringBytes = 0
        try applyMergePolicy()
    }

    /// Replaces the segment `reader` just written at `start` (the last bytes of the file, not yet
    /// committed) by its merge without the documents `dropped`: the merge is written after it,
    /// moved down to `start`, and the file cut after it. The merged bytes are those of a segment
    /// built from the other documents alone, with the same dictionary block size.
    private func rewriteLastSegment(_ reader: SegmentReader, at start: Int, without dropped: DeletionSet) throws -> SegmentReader {
        let mergedStart = end
        let sink = segmentSink(at: mergedStart)
        var merger = SegmentMerger(configuration: options.configuration, storesText: options.storesText)
        merger.dictionaryLayout = reader.dictionaryLayout
        try IndexBuildTimings.measure(options.timings, .merge) {
            _ = try merger.merge([(reader, { dropped.contains($0) })], into: sink)
        }
        options.timings?.countMerge()
        try sink.flush()
        let length = sink.offset
        do {
            // a forward copy in chunks, each taken out of the (shared) mapping before it is
            // written: a write ends below the next chunk's bytes (start < mergedStart)
            let merged = try IndexStorage(mapping: fd, range: mergedStart..<(mergedStart + length), path: path)
            var done = 0
            while done < length {
                let n = min(1 << 20, length - done)
                try writeFully([UInt8](UnsafeRawBufferPointer(start: merged.base + done, count: n)), at: start + done)
                done += n
            }
        }   // (the mapping goes before the file is cut)
        end = start + length
        guard ftruncate(fd, off_t(end)) == 0 else { throw IndexError.io("cannot truncate \(path): \(String(cString: strerror(errno)))") }
        return try SegmentReader(storage: IndexStorage(mapping: fd, range: start..<end, path: path))
    }

    /// The keys of the live committed documents that came from the input files `ids` (the Source
    /// field of their document records), by file.
    public func keys(fromSources ids: Set<UInt32>) throws -> [UInt32: [String]] {
        var out: [UInt32: [String]] = [:]
        guard let top = ids.max() else { return out }
        // the ids asked for as a bitmap when they are small (the dense numbers `sou index` gives
        // its files): every live document's Source is tested, and hashing each cost more than
        // the rest of the scan
        let wanted: [Bool]? = top < 1 << 24 ? ids.reduce(into: [Bool](repeating: false, count: Int(top) + 1)) { $0[Int($1)] = true } : nil
        for s in segments {
            // (the Source field read as a column, as ``liveDocumentCounts()`` reads it)
            let sources = DocumentColumn(s.reader, .source), deletions = s.deletions
            for d in 0..<s.entry.documentCount where !deletions.contains(d) {
                let source = sources.value(d)
                let asked = wanted.map { source < $0.count && $0[Int(source)] } ?? ids.contains(UInt32(truncatingIfNeeded: source))
                if asked { out[UInt32(truncatingIfNeeded: source), default: []].append(try s.reader.checkedDocumentKey(d)) }
            }
        }
        return out
    }

    /// The number of live documents per Source value (documents added since the last commit
    /// included: the buffer is written as a segment first, as the next commit would).
    public func liveDocumentCountsBySource() throws -> [UInt32: Int] {
        let counts = try liveDocumentCounts()
        return Dictionary(uniqueKeysWithValues: counts.sources.map { ($0, counts[$0]) })
    }

    /// ``liveDocumentCountsBySource()`` counted in an array indexed by the small, dense numbers
    /// `sou index` gives its files (no hashing per document).
    func liveDocumentCounts() throws -> SourceCounts {
        try checkUsable()
        try flushPending()
        do {
            try flushBuffer()
        } catch {
            fail(error)
            throw error
        }
        var out = SourceCounts()
        for s in segments {
            // (the Source field read as a column: no range check and throw per document, whose
            // ids are the segment's own)
            let sources = DocumentColumn(s.reader, .source), deletions = s.deletions
            for d in 0..<s.entry.documentCount where !deletions.contains(d) {
                out.add(UInt32(truncatingIfNeeded: sources.value(d)))
            }
        }
        return out
    }

    // MARK: commit

    /// Whether the index has a source table (without decoding it).
    var hasSources: Bool { committedSources != nil || storedSources != nil || sourcesEdit != nil }

    /// The source table `sou index` keeps (nil: none yet). Setting it marks it for the next commit.
    public var sources: SourceTable? {
        get {
            if let edit = sourcesEdit {
                committedSources = edit.decoded()
                sourcesEdit = nil
            } else if committedSources == nil, let stored = storedSources {
                committedSources = stored.decoded()
            }
            return committedSources
        }
        set {
            storedSources = nil
            sourcesEdit = nil
            committedSources = newValue
            sourcesChanged = true
            dirty = true
        }
    }

    /// The source table as stored, to be edited by ``editSources(_:)`` (nil: none yet). When the
    /// table was set or edited since the last commit, its encoding, checked.
    func sourcesToEdit() throws -> StoredSourceTable? {
        if let edit = sourcesEdit { return try StoredSourceTable(encoding: edit.decoded()) }
        if let table = committedSources { return try StoredSourceTable(encoding: table) }
        return storedSources
    }

    /// Makes `edit` (of ``sourcesToEdit()``) the source table, for the next commit: written from
    /// the stored bytes of the files it did not change.
    func editSources(_ edit: SourceTableEdit) {
        storedSources = nil
        committedSources = nil
        sourcesEdit = edit
        sourcesChanged = true
        dirty = true
    }

    /// Makes every change since the last commit durable and visible to readers that open (or
    /// reopen) the file: writes the buffer as a segment, the changed deletion bitmaps, the source
    /// table and a commit record, fsyncs, then switches the header's commit slot. Returns false
    /// (and writes nothing) when nothing changed.
    @discardableResult
    public func commit() throws -> Bool {
        try checkUsable()
        try flushPending()
        guard dirty else { return false }
        do {
            try flushBuffer()
            try purgeHeavilyDeletedSegments()
            try writeCommit()
            dirty = false
            if replacement == nil, garbageIsExcessive() { try rewrite(maxSegments: nil) }
        } catch {
            fail(error)
            throw error
        }
        return true
    }

    /// Appends the changed bitmaps, the source table and the commit record; fsyncs; switches the slot.
    private func writeCommit() throws {
        if replacement == nil { try checkStillAtPath() }
        for i in segments.indices where segments[i].deletionsChanged {
            let s = segments[i]
            var entry = s.entry
            entry.deletedCount = s.deletions.count
            entry.liveLength = s.reader.totalDocumentLength
            for d in s.deletions.members { entry.liveLength -= try s.reader.checkedDocumentLength(d) }
            if s.deletions.isEmpty {
                entry.deletionsOffset = 0; entry.deletionsLength = 0; entry.deletionsCRC = 0
            } else {
                let bytes = s.deletions.bytes
                entry.deletionsOffset = end
                entry.deletionsLength = bytes.count
                entry.deletionsCRC = CRC32C.checksum(bytes)
                try append(bytes)
            }
            segments[i].entry = entry
            segments[i].deletionsChanged = false
        }
        if sourcesChanged, let (bytes, baseLength) = sourcesEdit?.encoded() ?? committedSources.map({ ($0.encoded(), 0) }) {
            sourcesBaseLength = baseLength
            sourcesEntry = (end, bytes.count, CRC32C.checksum(bytes))
            try append(bytes)
            sourcesChanged = false
        }
        var record = CommitRecord(generation: generation + 1, previousOffset: committedOffset,
                                  configuration: options.configuration, storesText: options.storesText,
                                  nextSegmentID: nextSegmentID, segments: segments.map(\.entry))
        record.sourcesOffset = sourcesEntry.offset
        record.sourcesLength = sourcesEntry.length
        record.sourcesCRC = sourcesEntry.crc
        let bytes = record.encoded()
        let offset = end
        try append(bytes)
        try syncFile()
        let slot = CommitSlot(generation: record.generation, offset: offset, length: bytes.count).encoded()
        try writeFully(slot, at: ContainerLayout.slotOffsets[Int(record.generation % 2)])
        try syncFile()
        if let replacement {
            if let oldFD = replacement.oldFD {
                // the path must still name the file this writer locked (never a link or another
                // file put there meanwhile: a rename would replace it)
                var now = stat(), locked = stat()
                guard lstat(path, &now) == 0, fstat(oldFD, &locked) == 0,
                      now.st_dev == locked.st_dev, now.st_ino == locked.st_ino else {
                    if lstat(path, &now) == 0, now.st_mode & S_IFMT == S_IFLNK { throw OutputRefusal(.symbolicLink, path: path) }
                    throw IndexError.io("\(path) was replaced by another file while it was being written; nothing was written: run again")
                }
                guard rename(replacement.tempPath, path) == 0 else {
                    throw IndexError.io("cannot rename \(replacement.tempPath) to \(path): \(String(cString: strerror(errno)))")
                }
            } else {
                // there was no file to lock when this build began: publish only if there still
                // is none (another writer may have created one meanwhile; never replace its commits)
                guard link(replacement.tempPath, path) == 0 else {
                    let e = errno
                    if e == EEXIST {
                        throw IndexError.locked("\(path) was created by another writer while this one was building it; nothing was written: run again to update it")
                    }
                    throw IndexError.io("cannot create \(path): \(String(cString: strerror(e)))")
                }
                unlink(replacement.tempPath)
            }
            options.temporaryFile?(replacement.tempPath, false)
            IndexBuildTimings.measure(options.timings, .write) { Self.syncFolder(of: path) }
            if let old = replacement.oldFD { WriterLock.releaseAndClose(old) }
            self.replacement = nil
            // a new file: this writer holds its lock only now
            if replacement.oldFD == nil { removeStaleTemporaryFiles() }
        }
        generation = record.generation
        committedOffset = offset
        committedEnd = end
        priorSegmentCount = segments.count
        writtenKeyHashes = []
    }

    /// Throws unless ``path`` still names the file this writer holds (and locks). A file removed
    /// or renamed away under the writer would take its commits where no reader of `path` looks,
    /// silently, while a second writer may have created a new file there (the lock is the old
    /// file's): nothing is committed then. (A commit that replaces the file checks the same
    /// before its rename.)
    private func checkStillAtPath() throws {
        var now = stat(), held = stat()
        guard fstat(fd, &held) == 0 else { throw IndexError.io("cannot stat \(path): \(String(cString: strerror(errno)))") }
        if lstat(path, &now) != 0 {
            let e = errno
            if e == ENOENT {
                throw IndexError.io("\(path) was removed since this writer opened it; nothing was committed (open a new writer)")
            }
            throw IndexError.io("cannot stat \(path): \(String(cString: strerror(e)))")
        }
        guard now.st_dev == held.st_dev, now.st_ino == held.st_ino else {
            throw IndexError.io("\(path) was replaced by another file since this writer opened it; nothing was committed (open a new writer)")
        }
    }

    // MARK: merging

    /// Merges segments so that at most `maxSegments` remain (1: everything in one segment),
    /// dropping deleted documents, and commits. Postings are merged from the segments directly,
    /// without re-analyzing text. The file is rewritten into a new file that replaces it; with
    /// nothing to do (at most `maxSegments` segments, no deleted document, no unused byte) it is
    /// left as it is, without a commit.
    public func merge(maxSegments: Int = 1) throws {
        try checkUsable()
        guard maxSegments >= 1 else { throw IndexError.capacity("maxSegments must be at least 1 (got \(maxSegments))") }
        try flushPending()
        do {
            try flushBuffer()
            if dirty || replacement != nil { try writeCommit(); dirty = false }
            // nothing to do (few enough segments, no deleted document, no dead byte): no new
            // file and no commit, so that the file and its generation stay as they are
            if segments.count <= maxSegments, segments.allSatisfy({ $0.deletions.isEmpty }), deadBytes == 0 { return }
            try rewrite(maxSegments: maxSegments)
        } catch {
            fail(error)
            throw error
        }
    }

    /// The merge policy (log-structured, as Lucene's LogMergePolicy and tantivy's): a segment's
    /// level is ⌊log_F(bytes / 1 MiB)⌋ for the merge factor F; whenever F segments share a level
    /// they are merged into one, which lands a level higher. The number of segments stays below
    /// F per level, logarithmic in the data written.
    private func applyMergePolicy() throws {
        let f = max(2, options.mergeFactor)
        while true {
            var byLevel: [Int: [Int]] = [:]
            for (i, s) in segments.enumerated() {
                var level = 0
                var size = max(s.entry.length, 1 << 20) >> 20
                while size >= f { size /= f; level += 1 }
                byLevel[level, default: []].append(i)
            }
            guard let (_, group) = byLevel.sorted(by: { $0.key < $1.key }).first(where: { $0.value.count >= f }) else { return }
            try mergeAppending(Array(group.prefix(f)))
        }
    }

    /// Segments where more than a fifth of the documents are deleted (more than half for a
    /// segment under 64 KiB, which the merge policy soon merges anyway) are rewritten without
    /// them, so that deleted documents never make up much of the file.
    private func purgeHeavilyDeletedSegments() throws {
        for i in segments.indices.reversed() {
            let s = segments[i]
            let deleted = s.deletions.count, count = s.entry.documentCount
            if deleted > 0, deleted * 5 > count, s.entry.length >= 1 << 16 || deleted * 2 > count { try mergeAppending([i]) }
        }
    }

    /// The dictionary layout of a new segment that joins `others` segments, made of the
    /// segments `sources` (a merge) or of new documents (none). The index's base keeps the
    /// compact ``FileLayout/DictionaryLayout/base``: a build's segments, a segment alone in its
    /// index, and a merge that takes in a base segment. A segment an update adds beside others,
    /// and a merge of such segments only, takes ``FileLayout/DictionaryLayout/update``: every
    /// query term is looked up in every segment, and these scan a quarter as far per look-up and
    /// answer most look-ups of absent terms from their filter (for more bytes in those
    /// segments, which merges fold into the base in time).
    private func dictionaryLayout(joining others: Int, from sources: [SegmentReader] = []) -> FileLayout.DictionaryLayout {
        if builds || others <= 0 || sources.contains(where: { $0.dictionaryLayout != .update }) {
            return .base
        }
        return .update
    }

    /// A sink writing this file from byte `base` on (errors name the index), timed as the
    /// writer's options say.
    private func segmentSink(at base: Int) -> OutputSink {
        let sink = OutputSink(fileDescriptor: fd, base: base, path: path)
        sink.timings = options.timings
        if backgroundSync == nil { backgroundSync = BackgroundSync(fd: fd, timings: options.timings) }
        sink.backgroundSync = backgroundSync
        return sink
    }

    /// Ends the background sync of the file (before it is synced, closed or replaced): the errno
    /// of the first of its syncs that failed, or 0.
    private func endBackgroundSync() -> Int32 {
        guard let sync = backgroundSync else { return 0 }
        backgroundSync = nil
        return sync.finish()
    }

    /// Merges `sources` (segments of this file; their deleted documents dropped) into one new
    /// segment of dictionary layout `layout`, appended at the end of the file: a new id and no
    /// deletions. Damage found in a source names its segment, as `sou check` does.
    private func appendMerged(_ sources: [WriterSegment], layout: FileLayout.DictionaryLayout) throws -> WriterSegment {
        let start = end
        let sink = segmentSink(at: start)
        var merger = SegmentMerger(configuration: options.configuration, storesText: options.storesText)
        merger.dictionaryLayout = layout
        merger.sourceLocations = sources.map { ($0.entry.id, $0.entry.offset) }
        try IndexBuildTimings.measure(options.timings, .merge) {
            _ = try merger.merge(sources.map { s in (s.reader, { s.deletions.contains($0) }) }, into: sink)
        }
        options.timings?.countMerge()
        try sink.flush()
        end = start + sink.offset
        let reader = try SegmentReader(storage: IndexStorage(mapping: fd, range: start..<end, path: path))
        let entry = CommitRecord.Segment(id: nextSegmentID, offset: start, length: end - start, documentCount: reader.documentCount,
                                         deletedCount: 0, liveLength: reader.totalDocumentLength,
                                         deletionsOffset: 0, deletionsLength: 0, deletionsCRC: 0)
        nextSegmentID += 1
        return WriterSegment(entry: entry, reader: reader, deletions: DeletionSet(documentCount: reader.documentCount))
    }

    /// Merges the segments at `indices` into one new segment appended to the file, which takes
    /// the place of the first of them.
    private func mergeAppending(_ indices: [Int]) throws {
        let sources = indices.map { segments[$0] }
        if sources.allSatisfy({ $0.deletions.count == $0.entry.documentCount }) {
            // nothing live: the segments go, no empty segment takes their place
            let drop = Set(indices)
            segments = segments.indices.filter { !drop.contains($0) }.map { segments[$0] }
            priorSegmentCount = segments.count
            dirty = true
            return
        }
        let merged = try appendMerged(sources, layout: dictionaryLayout(joining: segments.count - indices.count, from: sources.map(\.reader)))
        let first = indices.min()!
        let drop = Set(indices)
        var next: [WriterSegment] = []
        for (i, s) in segments.enumerated() {
            if i == first { next.append(merged) }
            if !drop.contains(i) { next.append(s) }
        }
        // segments committed before this writer opened the file that were merged are gone
        priorSegmentCount = next.count
        segments = next
        for d in 0..<merged.reader.documentCount { writtenKeyHashes.insert(try merged.reader.checkedDocumentKey(d).hashValue) }
        dirty = true
    }

    /// Bytes of the file that no commit needs any more, against the live ones: more than two
    /// fifths of them, and more than 64 KiB (a small file is not rewritten for every few commit
    /// records; a file of any size stays within its live bytes + max(2/5 of them, 64 KiB)).
    private func garbageIsExcessive() -> Bool {
        deadBytes > max(liveBytes * 2 / 5, Self.garbageAllowance)
    }

    /// Bytes of the file the latest commit needs: the header, the segments and their deletions,
    /// the source table and the commit record.
    private var liveBytes: Int {
        segments.reduce(ContainerLayout.headerSize) { $0 + $1.entry.length + $1.entry.deletionsLength }
            + sourcesEntry.length + sourcesBaseLength + (committedEnd - committedOffset)
    }

    /// Bytes of the file no commit needs any more (replaced segments and deletions, old commits).
    private var deadBytes: Int { end - liveBytes }

    /// Dead bytes a file of any size may hold before a commit rewrites it.
    static let garbageAllowance = 64 << 10

    /// Writes the live segments into a new file (merging down to `maxSegments` when given) with
    /// one commit, and renames it over the index. Readers that have the old file open keep it.
    private func rewrite(maxSegments: Int?) throws {
        var st = stat()
        let (newFD, temp) = try Self.createTemporary(near: path, replacing: fstat(fd, &st) == 0 ? st : nil,
                                                     hook: options.temporaryFile)
        let oldFD = fd, oldEnd = end, oldSegments = segments, oldSources = sourcesEntry, oldBaseLength = sourcesBaseLength
        var ok = false
        defer {
            if !ok {
                _ = endBackgroundSync()
                unlink(temp)
                options.temporaryFile?(temp, false)
                WriterLock.releaseAndClose(newFD)
                fd = oldFD; end = oldEnd; segments = oldSegments; sourcesEntry = oldSources; sourcesBaseLength = oldBaseLength
                // (the old file is this writer's again: ``fail(_:)`` must not close it twice)
                replacement = nil
            }
        }
        // the old file's early syncs end here: one that failed fails this commit (its own sync
        // would not see the error again)
        let early = endBackgroundSync()
        guard early == 0 else { throw Self.syncFailed(path, early) }
        fd = newFD
        try writeFully(Self.emptyHeader(), at: 0)
        end = ContainerLayout.headerSize
        // which segments to merge: the smallest ones, so that maxSegments remain
        var groups: [[Int]] = oldSegments.indices.map { [$0] }
        if let maxSegments, oldSegments.count > maxSegments || oldSegments.contains(where: { !$0.deletions.isEmpty }) {
            let bySize = oldSegments.indices.sorted { oldSegments[$0].entry.length < oldSegments[$1].entry.length }
            let mergeCount = max(0, oldSegments.count - maxSegments + 1)
            let merged = mergeCount >= 2 ? Array(bySize.prefix(mergeCount)).sorted() : []
            groups = oldSegments.indices.filter { !merged.contains($0) }.map { [$0] }
            if !merged.isEmpty { groups.insert(merged, at: 0) }
            // a lone segment with deletions is merged alone (purged)
            groups = groups.map { $0 }
        }
        var next: [WriterSegment] = []
        let oldBytes = fileStorage
        for group in groups.sorted(by: { $0[0] < $1[0] }) {
            // segments without a live document are left behind
            if group.allSatisfy({ oldSegments[$0].deletions.count == oldSegments[$0].entry.documentCount }) { continue }
            let start = end
            if group.count == 1, oldSegments[group[0]].deletions.isEmpty || maxSegments == nil {
                // copy the segment as it is (and its deletions)
                var s = oldSegments[group[0]]
                let bytes = s.reader.bytes
                try writeFully(UnsafeRawBufferPointer(start: bytes.base, count: bytes.count), at: start)
                end = start + bytes.count
                let reader = try SegmentReader(storage: IndexStorage(mapping: fd, range: start..<end, path: path))
                s = WriterSegment(entry: s.entry, reader: reader, deletions: s.deletions)
                s.entry.offset = start
                s.deletionsChanged = !s.deletions.isEmpty
                next.append(s)
            } else {
                let sources = group.map { oldSegments[$0] }
                next.append(try appendMerged(sources, layout: dictionaryLayout(joining: groups.count - 1, from: sources.map(\.reader))))
            }
        }
        _ = oldBytes
        segments = next
        sourcesChanged = sources != nil   // (decoded from the old file's bytes before they go)
        sourcesEntry = (0, 0, 0)
        sourcesBaseLength = 0
        committedOffset = 0
        replacement = (temp, oldFD)
        try writeCommit()          // renames the new file over the old one and closes the old descriptor
        ok = true
        fileStorage = nil
        priorSegmentCount = segments.count
    }

    // MARK: file writes

    private func append(_ bytes: [UInt8]) throws {
        try writeFully(bytes, at: end)
        end += bytes.count
    }

    private func writeFully(_ bytes: [UInt8], at offset: Int) throws {
        try IndexBuildTimings.measure(options.timings, .write) { try Self.pwriteAll(fd, bytes, at: offset, path: path) }
    }

    private func writeFully(_ p: UnsafeRawBufferPointer, at offset: Int) throws {
        try IndexBuildTimings.measure(options.timings, .write) { try Self.pwriteAll(fd, p, at: offset, path: path) }
    }

    /// fsync of the open file (measured as a write).
    private func syncFile() throws {
        let early = endBackgroundSync()
        let synced = IndexBuildTimings.measure(options.timings, .write) { fdatasync(fd) == 0 ? 0 : errno }
        // (a failed writeback is reported to one sync of the file only: the early one's counts)
        let error = synced != 0 ? synced : early
        guard error == 0 else { throw Self.syncFailed(path, error) }
    }

    /// "cannot sync FILE: REASON", for a sync of `path` that failed with `code` (an errno).
    private static func syncFailed(_ path: String, _ code: Int32) -> IndexError {
        IndexError.io("cannot sync \(path): \(String(cString: strerror(code)))")
    }

    static func pwriteAll(_ fd: Int32, _ bytes: [UInt8], at offset: Int, path: String) throws {
        try bytes.withUnsafeBytes { try pwriteAll(fd, $0, at: offset, path: path) }
    }

    static func pwriteAll(_ fd: Int32, _ p: UnsafeRawBufferPointer, at offset: Int, path: String) throws {
        var done = 0
        while done < p.count {
            let n = pwrite(fd, p.baseAddress! + done, p.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw IndexError.io("cannot write \(path): \(String(cString: strerror(errno)))")
            }
            done += n
        }
    }

    static func syncFolder(of path: String) {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let dfd = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { _ = fsync(dfd); close(dfd) }
    }

    // MARK: failure

    private func checkUsable() throws {
        if let failure { throw IndexError.io("the writer of \(path) failed earlier (\(failure)); open a new one") }
    }

    /// After an error: forget everything uncommitted and drop what was appended after the last
    /// commit (the file keeps its last commit; a rebuild's temporary file is removed).
    private func fail(_ error: Error) {
        failure = "\(error)"
        _ = endBackgroundSync()
        if let replacement {
            unlink(replacement.tempPath)
            options.temporaryFile?(replacement.tempPath, false)
            if let old = replacement.oldFD { WriterLock.releaseAndClose(old) }
            self.replacement = nil
            WriterLock.releaseAndClose(fd)
            fd = -1
        } else if fd >= 0 {
            _ = ftruncate(fd, off_t(committedEnd))
        }
    }
}

/// A segment as the writer tracks it: its commit entry, reader and (possibly changed) deletions.
struct WriterSegment {
    var entry: CommitRecord.Segment
    let reader: SegmentReader
    var deletions: DeletionSet
    var deletionsChanged = false
}

/// Counts per Source value: in an array for the numbers below 2^20 (those `sou index` gives,
/// from 1 up), in a dictionary above.
struct SourceCounts {
    private var dense: [Int] = []
    private var sparse: [UInt32: Int] = [:]
    /// Everything counted.
    private(set) var total = 0

    subscript(_ source: UInt32) -> Int {
        Int(source) < dense.count ? dense[Int(source)] : sparse[source] ?? 0
    }

    mutating func add(_ source: UInt32) {
        total += 1
        let i = Int(source)
        guard i < 1 << 20 else {
            sparse[source, default: 0] += 1
            return
        }
        if i >= dense.count { dense.append(contentsOf: repeatElement(0, count: Swift.max(i + 1, dense.count * 2) - dense.count)) }
        dense[i] += 1
    }

    /// The Source values counted at least once, in increasing order.
    var sources: [UInt32] {
        dense.indices.filter { dense[$0] > 0 }.map { UInt32($0) } + sparse.keys.sorted()
    }
}
