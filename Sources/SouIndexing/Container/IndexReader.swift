import FoundationEssentials
import Glibc
import SouAnalysis

/// One segment of an opened commit: its reader, its deletions and where its documents start in
/// the commit's document numbering.
public struct SegmentView: Sendable {
    /// The segment's reader (bytes shared with the file's mapping).
    public let reader: SegmentReader
    /// Its deleted documents (local ids).
    public let deletions: DeletionSet
    /// The global number of its first document: global = base + local.
    public let base: Int
    /// The commit entry: id, place in the file, counts.
    let entry: CommitRecord.Segment

    /// The segment's id, unique within the file's history.
    public var id: UInt64 { entry.id }
    /// Documents in the segment, deleted ones included.
    public var documentCount: Int { entry.documentCount }
    /// Live documents.
    public var liveDocumentCount: Int { entry.documentCount - entry.deletedCount }
    /// Bytes of the segment in the file, and where they start.
    public var byteCount: Int { entry.length }
    public var offset: Int { entry.offset }
}

/// An index opened at one commit: a consistent, immutable snapshot of its segments and deleted
/// documents that many threads may search at once. Later commits by a writer are not seen until
/// ``reopen()``; a merge that replaces the file does not disturb it (the old file stays mapped).
///
/// Documents are numbered globally in segment order (segment i's local document d is
/// `segments[i].base + d`); deleted documents keep their numbers and are never returned. The
/// statistics (``documentCount``, ``totalDocumentLength``, and the document frequencies the
/// searcher computes) count live documents only, so scores equal those of a fresh build of the
/// same live documents.
public final class IndexReader: Sendable {
    /// The file, when opened from one.
    public let path: String?
    let storage: IndexStorage
    /// The commit record this snapshot is.
    let commit: CommitRecord
    /// Offset of the commit record in the file (for `sou check`'s chain walk).
    let commitOffset: Int
    /// The segments, in commit order.
    public let segments: [SegmentView]
    /// Segment starts (global numbers), for binary search.
    private let bases: [Int]
    /// The segments' document lengths read in place, for the per-document look-ups of ranking
    /// (``documentLength(_:)``: no reader call, no reference counting): `segments` keeps every
    /// reader alive as long as this snapshot, so a column cannot outlive its reader.
    private let lengthColumns: [DocumentColumn]
    /// The analyzer configuration every segment was built with.
    public let configuration: AnalyzerConfiguration
    /// True when document text is stored (for snippets).
    public let storesText: Bool
    /// Live documents.
    public let documentCount: Int
    /// Sum of the live documents' lengths in tokens.
    public let totalDocumentLength: Int
    /// Documents including deleted ones: global numbers are below this.
    public let maxDocument: Int
    /// Deleted documents still present in segments.
    public var deletedCount: Int { maxDocument - documentCount }
    /// The commit generation (increases with every commit).
    public var generation: UInt64 { commit.generation }
    /// The file's format version.
    public var formatVersion: Int { Int(FileLayout.formatVersion) }
    /// Identity of the file (device, inode, size) when opened, for ``reopen()``.
    let fileIdentity: (device: UInt64, inode: UInt64)?

    /// Mean live document length in tokens (0 for an empty index).
    public var averageDocumentLength: Double {
        documentCount == 0 ? 0 : Double(totalDocumentLength) / Double(documentCount)
    }

    /// Opens the latest complete commit of the index file at `url` (memory-mapped; open time does
    /// not grow with the index size). A torn or garbage tail after the last commit is ignored, and
    /// so is a commit whose record the end of the file cuts off (the previous one is opened); a
    /// damaged record of the latest commit inside the file is refused
    /// (``IndexError/corruptCommit(generation:offset:what:)``), never replaced by an older commit.
    ///
    /// Throws ``IndexError/notAnIndex(_:)``, ``IndexError/unsupportedVersion(found:supported:)``,
    /// ``IndexError/incompatibleAnalyzer(_:)``, ``IndexError/corrupt(_:)``,
    /// ``IndexError/corruptCommit(generation:offset:what:)`` or ``IndexError/io(_:)``.
    public convenience init(contentsOf url: URL) throws {
        try self.init(path: url.path)
    }

    /// Opens the latest complete commit of the index file at `path`.
    public convenience init(path: String) throws {
        let file = try IndexFile.openForReading(path)
        defer { close(file.fd) }
        let storage = try IndexStorage(mapping: file.fd, range: 0..<file.size, path: path)
        let latest = try file.header.withUnsafeBytes {
            try IndexFile.latestCommit(in: storage.bytes, slots: $0, path: path)
        }
        try self.init(storage: storage, commit: latest.commit, commitOffset: latest.offset, path: path,
                      identity: (file.device, file.inode))
    }

    /// Opens an index file held in memory (what a writer without a file produces).
    public convenience init(bytes: [UInt8]) throws {
        let storage = IndexStorage(copying: bytes)
        try IndexFile.checkHeader(storage.bytes, path: "index bytes")
        let header = UnsafeRawBufferPointer(start: storage.base, count: min(storage.count, ContainerLayout.headerSize))
        let latest = try IndexFile.latestCommit(in: storage.bytes, slots: header, path: "index bytes")
        try self.init(storage: storage, commit: latest.commit, commitOffset: latest.offset, path: nil, identity: nil)
    }

    /// A snapshot of one segment alone (no deletions): a segment written in memory.
    public convenience init(segment: SegmentReader) throws {
        let entry = CommitRecord.Segment(id: 0, offset: 0, length: segment.bytes.count, documentCount: segment.documentCount,
                                         deletedCount: 0, liveLength: segment.totalDocumentLength,
                                         deletionsOffset: 0, deletionsLength: 0, deletionsCRC: 0)
        let commit = CommitRecord(generation: 1, previousOffset: 0, configuration: segment.configuration,
                                  storesText: segment.storesText, nextSegmentID: 1, segments: [entry])
        try self.init(storage: segment.storage, commit: commit, commitOffset: 0, path: nil, identity: nil,
                      readers: [segment])
    }

    init(storage: IndexStorage, commit: CommitRecord, commitOffset: Int, path: String?,
         identity: (device: UInt64, inode: UInt64)?, readers: [SegmentReader]? = nil) throws {
        self.storage = storage
        self.commit = commit
        self.commitOffset = commitOffset
        self.path = path
        self.fileIdentity = identity
        guard let configuration = AnalyzerConfiguration(flags: commit.analyzerFlags) else {
            throw IndexError.incompatibleAnalyzer("unknown analyzer flags 0x" + String(commit.analyzerFlags, radix: 16))
        }
        guard commit.rulesVersion == AnalyzerConfiguration.rulesVersion else {
            throw IndexError.incompatibleAnalyzer("built with analysis rules version \(commit.rulesVersion), this sou applies version \(AnalyzerConfiguration.rulesVersion)")
        }
        self.configuration = configuration
        self.storesText = commit.storesText
        var views: [SegmentView] = []
        var base = 0, live = 0, length = 0
        let b = storage.bytes
        for (i, entry) in commit.segments.enumerated() {
            let reader: SegmentReader
            if let readers {
                reader = readers[i]
            } else {
                do {
                    reader = try SegmentReader(storage: IndexStorage(view: storage, range: entry.offset..<(entry.offset + entry.length)))
                } catch let e as IndexError {
                    throw e.inSegment(entry.id, at: entry.offset)
                }
            }
            guard reader.documentCount == entry.documentCount, reader.configuration == configuration,
                  reader.storesText == commit.storesText else {
                throw IndexError.corrupt("segment \(entry.id) at byte \(entry.offset): disagrees with its commit entry")
            }
            let deletions: DeletionSet
            if entry.deletedCount == 0 && entry.deletionsLength == 0 {
                deletions = DeletionSet(documentCount: entry.documentCount)
                guard entry.liveLength == reader.totalDocumentLength else {
                    throw IndexError.corrupt("segment \(entry.id): live length disagrees with the segment")
                }
            } else {
                let r = entry.deletionsOffset..<(entry.deletionsOffset + entry.deletionsLength)
                guard CRC32C.checksum(b.slice(r)) == entry.deletionsCRC else {
                    throw IndexError.corrupt("segment \(entry.id): deletion bitmap at byte \(entry.deletionsOffset): checksum mismatch")
                }
                deletions = try DeletionSet(stored: b.slice(r), documentCount: entry.documentCount,
                                            expectedCount: entry.deletedCount, context: "segment \(entry.id)")
                guard entry.liveLength <= reader.totalDocumentLength else {
                    throw IndexError.corrupt("segment \(entry.id): live length exceeds the segment's total")
                }
            }
            views.append(SegmentView(reader: reader, deletions: deletions, base: base, entry: entry))
            base += entry.documentCount
            live += entry.documentCount - entry.deletedCount
            length += entry.liveLength
        }
        guard base < Int(Int32.max) else { throw IndexError.corrupt("commit: too many documents") }
        segments = views
        bases = views.map(\.base)
        lengthColumns = views.map { .lengths(of: $0.reader) }
        maxDocument = base
        documentCount = live
        totalDocumentLength = length
    }

    /// The latest commit of the same file: `self` when nothing newer was committed, else a new
    /// snapshot (also after a merge replaced the file). Readers built from bytes return `self`.
    public func reopen() throws -> IndexReader {
        guard let path else { return self }
        var st = stat()
        if stat(path, &st) == 0, let id = fileIdentity, UInt64(st.st_dev) == id.device, UInt64(st.st_ino) == id.inode {
            // same file: is there a newer commit?
            let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
            if fd >= 0 {
                defer { close(fd) }
                var header = [UInt8](repeating: 0, count: ContainerLayout.headerSize)
                if pread(fd, &header, header.count, 0) == header.count {
                    let newest = header.withUnsafeBytes { h in
                        ContainerLayout.slotOffsets.compactMap { CommitSlot.decode(h, at: $0) }.map(\.generation).max() ?? 0
                    }
                    if newest <= commit.generation { return self }
                }
            }
        }
        return try IndexReader(path: path)
    }

    /// The source table `sou index` recorded (nil: the index was not built by `sou index`).
    public func sources() throws -> SourceTable? {
        try storedSources()?.decoded()
    }

    /// How many files the index mirrors (`sou index` of files and folders; 0 for an index of
    /// none), from its source table's header alone: a size to plan by, such as whether checking
    /// that the index is up to date is worth a thread. The table itself is checked where it is
    /// read (``IndexBuilder/isUpToDate(_:paths:walkingHere:)``); damaged bytes here throw.
    public func sourceFileCount() throws -> Int {
        guard commit.sourcesLength > 0 else { return 0 }
        return try SourceTable.fileCount(bytes: storage.bytes, range: commit.sourcesOffset..<(commit.sourcesOffset + commit.sourcesLength))
    }

    /// The source table checked but not decoded (nil: none).
    func storedSources() throws -> StoredSourceTable? {
        guard commit.sourcesLength > 0 else { return nil }
        let r = commit.sourcesOffset..<(commit.sourcesOffset + commit.sourcesLength)
        guard CRC32C.checksum(storage.bytes.slice(r)) == commit.sourcesCRC else {
            throw IndexError.corrupt("source table at byte \(commit.sourcesOffset): checksum mismatch")
        }
        return try StoredSourceTable(storage: storage, range: r)
    }

    // MARK: documents

    /// The segment holding global document `d` and its local number (for `d` in
    /// `0..<maxDocument`; another `d` gives a local number out of its segment's range, and
    /// segment 0 for an index of no segment).
    @inline(__always)
    public func locate(_ d: Int) -> (segment: Int, local: Int) {
        if bases.count <= 1 { return (0, d) }
        var lo = 0, hi = bases.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if bases[mid] <= d { lo = mid } else { hi = mid - 1 }
        }
        return (lo, d - bases[lo])
    }

    /// Whether global document `d` is deleted (or out of range).
    public func isDeleted(_ d: Int) -> Bool {
        guard d >= 0, d < maxDocument else { return true }
        let (s, l) = locate(d)
        return segments[s].deletions.contains(l)
    }

    /// ``locate(_:)`` of a number that must name a document (deleted or not): out of
    /// `0..<maxDocument` it throws as the segments' checked reads do, instead of reading a
    /// segment that is not there (an index of no segment has none).
    /// (Inlined: ranking reads a length per document it scores; the error is made out of line.)
    @inline(__always)
    private func checkedLocate(_ d: Int) throws -> (segment: Int, local: Int) {
        guard UInt(bitPattern: d) < UInt(bitPattern: maxDocument) else { throw outOfRange(d) }
        return locate(d)
    }

    @inline(never)
    private func outOfRange(_ d: Int) -> IndexError {
        .corrupt("documents: document \(d) out of range (\(maxDocument) documents)")
    }

    /// The key of global document `d` (a damaged record, or `d` out of range, throws).
    public func documentKey(_ d: Int) throws -> String {
        let (s, l) = try checkedLocate(d)
        return try segments[s].reader.checkedDocumentKey(l)
    }

    /// The title of global document `d` (a damaged record, or `d` out of range, throws).
    public func documentTitle(_ d: Int) throws -> String {
        let (s, l) = try checkedLocate(d)
        return try segments[s].reader.checkedDocumentTitle(l)
    }

    /// Segment `s`'s document lengths, read in place: for the ranking's per-document look-ups,
    /// which read them without a call into this module per document (what
    /// ``documentLength(_:)`` costs a caller in another). Local document numbers.
    package func lengthColumn(segment s: Int) -> DocumentColumn { lengthColumns[s] }

    /// The length in tokens of global document `d` (a damaged record, or `d` out of range, throws).
    public func documentLength(_ d: Int) throws -> Int {
        let (s, l) = try checkedLocate(d)
        let lengths = lengthColumns[s]
        guard l >= 0, l < lengths.count else {
            throw IndexError.corrupt("documents: document \(l) out of range (\(lengths.count) documents)")
        }
        return lengths.value(l)
    }

    /// The stored text of global document `d` (nil without stored text, or for `d` out of
    /// range, as ``SegmentReader/storedText(_:)``).
    public func storedText(_ d: Int) throws -> String? {
        guard d >= 0, d < maxDocument else { return nil }
        let (s, l) = locate(d)
        return try segments[s].reader.storedText(l)
    }

    /// ``storedText(_:)`` as its UTF-8 bytes (no String made on the way).
    public func storedTextBytes(_ d: Int) throws -> [UInt8]? {
        guard d >= 0, d < maxDocument else { return nil }
        let (s, l) = locate(d)
        return try segments[s].reader.storedTextBytes(l)
    }

    /// The live documents whose key is exactly `key` (global numbers, increasing; at most one
    /// for an index kept by ``SegmentWriter``).
    public func documents(withKey key: String) throws -> [Int] {
        var out: [Int] = []
        for s in segments {
            for l in try s.reader.documents(withKey: key) where !s.deletions.contains(l) { out.append(s.base + l) }
        }
        return out
    }

    /// The global document order used to break score ties: by key (bytewise), then by number.
    /// It does not depend on how documents are spread over segments, so a fresh build of the
    /// same documents ranks ties the same way.
    /// Damaged document records, and numbers out of range, throw.
    public func precedes(_ a: Int, _ b: Int) throws -> Bool {
        let (sa, la) = try checkedLocate(a), (sb, lb) = try checkedLocate(b)
        let c = try segments[sa].reader.withKeyBytes(la) { ka in
            try segments[sb].reader.withKeyBytes(lb) { kb in
                let n = min(ka.count, kb.count)
                let m = n == 0 ? 0 : memcmp(ka.baseAddress!, kb.baseAddress!, n)
                return m != 0 ? Int(m) : ka.count - kb.count
            }
        }
        return c != 0 ? c < 0 : a < b
    }
}

extension IndexError {
    /// The same error, naming the segment it was found in.
    func inSegment(_ id: UInt64, at offset: Int) -> IndexError {
        switch self {
        case .corrupt(let s): .corrupt("segment \(id) at byte \(offset): \(s)")
        default: self
        }
    }
}
