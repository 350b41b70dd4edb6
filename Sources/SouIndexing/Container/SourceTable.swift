import FoundationEssentials
import Glibc

/// What `sou index` remembers about the files it read (FORMAT.md "Source table"), so that a
/// second run reads only what changed: per file its size and modification time, and the number
/// written into the Source field of each document that came from it.
public struct SourceTable: Sendable, Hashable {
    /// One input file as it was when last read.
    public struct File: Sendable, Hashable {
        /// The number in the Source field of the file's documents (≥ 1).
        public var id: UInt32
        /// Size in bytes and modification time in nanoseconds since 1970.
        public var size: Int
        public var modificationTime: Int64
        /// True for JSON Lines (many documents keyed `id`), false for a plain text file.
        public var isJSONLines: Bool
        /// The file's live documents when it was last recorded (fewer than it holds when another
        /// file read later had the same key). A different live count on the next run means its
        /// documents were replaced or deleted by other means (`sou add`, `sou delete`): read again.
        public var documents: Int

        /// A file entry.
        public init(id: UInt32, size: Int, modificationTime: Int64, isJSONLines: Bool, documents: Int) {
            self.id = id
            self.size = size
            self.modificationTime = modificationTime
            self.isJSONLines = isJSONLines
            self.documents = documents
        }
    }

    /// The input options the files were read with (field names, filters): when they change,
    /// every file counts as changed.
    public var options: String
    /// One file of the table: its path (as walked) and what was recorded.
    public struct Entry: Sendable, Hashable {
        public var path: String
        public var file: File
    }

    /// The files in increasing byte order of their paths, each path once: the stored order, in
    /// which ``match(_:)`` pairs them with the files of a walk without hashing a path.
    public private(set) var entries: [Entry]

    /// Files by path, as walked. (Two paths whose bytes differ but which are canonically
    /// equivalent Strings, "é.txt" spelt composed and decomposed, are one key of a Swift
    /// dictionary: the first in byte order is kept; ``entries`` has both.)
    public var files: [String: File] {
        get { Dictionary(entries.map { ($0.path, $0.file) }, uniquingKeysWith: { first, _ in first }) }
        set { entries = Self.sorted(newValue.map { Entry(path: $0.key, file: $0.value) }) }
    }
    /// The next unused source id.
    public var nextID: UInt32

    /// An empty table.
    public init(options: String = "") {
        self.options = options
        entries = []
        nextID = 1
    }

    /// `entries` in increasing byte order of their paths (a path given twice keeps its last entry).
    static func sorted(_ entries: [Entry]) -> [Entry] {
        var paths = entries.map(\.path)
        let order = paths.bytewiseOrder()
        // equal paths are adjacent: the last one given wins
        return BytewiseSort.keepingLastOfEqual(order) { paths[$0].bytewiseCompare(paths[$1]) == 0 }.map { entries[$0] }
    }

    /// For each of `paths`, the index in ``entries`` of the entry with that path (nil: none), by a
    /// merge of the two sorted lists (`paths` sorted first unless it already is: a walk of one
    /// folder lists its files in this order). A path given twice matches the same entry.
    public func match(_ paths: [String]) -> [Int?] {
        let entries = self.entries
        return Self.match(paths, count: entries.count) { path, e in path.bytewiseCompare(entries[e].path) }
    }

    /// ``match(_:)`` against `count` entries in strictly increasing byte order, `compare(path, e)`
    /// giving the order of `path` against entry e (negative: `path` sorts first): for the decoded
    /// table and for the stored one alike.
    static func match(_ walked: [String], count: Int, compare: (String, Int) -> Int) -> [Int?] {
        var result = [Int?](repeating: nil, count: walked.count)
        guard !walked.isEmpty, count > 0 else { return result }
        // the usual case (nothing added or removed since the last run): the walk lists exactly
        // the table's paths in the table's order; one comparison per path says so
        if walked.count == count, walked.indices.allSatisfy({ compare(walked[$0], $0) == 0 }) {
            for i in result.indices { result[i] = i }
            return result
        }
        var sortedAlready = true
        for i in walked.indices.dropFirst() where walked[i - 1].bytewiseCompare(walked[i]) > 0 {
            sortedAlready = false
            break
        }
        let order: [Int]
        if sortedAlready {
            order = Array(walked.indices)
        } else {
            var copy = walked
            order = copy.bytewiseOrder()
        }
        var e = 0
        for i in order {
            var c = 1
            while e < count {
                c = compare(walked[i], e)
                if c <= 0 { break }
                e += 1
            }
            if e == count { break }
            if c == 0 { result[i] = e }
        }
        return result
    }

    /// Sets the entries of `updates` (index into ``entries``, or nil for a path not in the table:
    /// added), removes the entries at `removed`; keeps the order.
    mutating func apply(updates: [(entry: Int?, path: String, file: File)], removed: [Int]) {
        var added: [Entry] = []
        for u in updates {
            if let i = u.entry { entries[i].file = u.file } else { added.append(Entry(path: u.path, file: u.file)) }
        }
        let gone = Set(removed)
        guard !added.isEmpty || !gone.isEmpty else { return }
        let kept = gone.isEmpty ? entries : entries.indices.filter { !gone.contains($0) }.map { entries[$0] }
        let new = Self.sorted(added)
        // merge two sorted lists (no path is in both: added paths had no entry)
        var out: [Entry] = []
        out.reserveCapacity(kept.count + new.count)
        var a = 0, b = 0
        while a < kept.count || b < new.count {
            if b == new.count || (a < kept.count && kept[a].path.bytewiseCompare(new[b].path) < 0) {
                out.append(kept[a]); a += 1
            } else {
                out.append(new[b]); b += 1
            }
        }
        entries = out
    }

    /// Sets the entries (already in strictly increasing byte order of their paths).
    mutating func setEntries(_ e: [Entry]) { entries = e }

    /// Stored form (a full table): Kind u8 0, Options (vint length + bytes), NextID vint, Count
    /// vint, then per file in path order: PathLength vint, Path, ID vint, Size vint,
    /// ModificationTime zigzag vint, Kind u8, Documents vint.
    func encoded() -> [UInt8] {
        var out = ByteWriter()
        out.bytes.reserveCapacity(32 * entries.count + 64)
        out.u8(StoredKind.full.rawValue)
        Self.putHeader(options: options, nextID: nextID, count: entries.count, into: &out)
        for entry in entries {
            var path = entry.path
            path.withUTF8 { Self.putBytes($0, into: &out) }
            Self.putFile(entry.file, into: &out)
        }
        return out.bytes
    }

    /// A table's Options (length and bytes), NextSourceID and number of files or changes: what
    /// follows its kind (and a table of changes' base).
    static func putHeader(options: String, nextID: UInt32, count: Int, into out: inout ByteWriter) {
        var o = options
        o.withUTF8 { putBytes($0, into: &out) }
        out.varint(UInt64(nextID))
        out.varint(count)
    }

    /// A length (varint) and the bytes: a path, the options.
    static func putBytes(_ b: UnsafeBufferPointer<UInt8>, into out: inout ByteWriter) {
        out.varint(b.count)
        out.append(contentsOf: b)
    }

    /// A file's SourceID, Size, ModificationTime (zigzag), Kind and Documents.
    static func putFile(_ f: File, into out: inout ByteWriter) {
        out.varint(UInt64(f.id))
        out.varint(f.size)
        out.varint(UInt64(bitPattern: (f.modificationTime << 1) ^ (f.modificationTime >> 63)))
        out.u8(f.isJSONLines ? 1 : 0)
        out.varint(f.documents)
    }

    /// Decodes a stored table; damaged bytes throw ``IndexError/corrupt(_:)``.
    init(bytes: IndexBytes, range: Range<Int>) throws {
        let (header, stored) = try Self.parse(bytes: bytes, range: range)
        options = header.options
        nextID = header.nextID
        // (validated UTF-8: the decoding is the stored bytes)
        entries = zip(stored.paths, stored.files).map { p, file in
            Entry(path: String(decoding: bytes.slice(p.range).assumingMemoryBound(to: UInt8.self), as: UTF8.self), file: file)
        }
    }

    /// How a stored table starts: its first byte.
    enum StoredKind: UInt8 {
        /// Every file (``encoded()``).
        case full = 0
        /// Changes to a full table stored before it in the file (``SourceTableEdit``).
        case delta = 1
    }

    /// What a stored table says besides its files: the options, the next id and, for a table
    /// stored as changes to a full one, where each file came from.
    struct StoredHeader {
        var options: String
        var nextID: UInt32
        var delta: DeltaOrigin?
    }

    /// A table stored as changes (`StoredKind.delta`): the full table it changes (its blob in the
    /// same bytes, checked) and, for each file of the result, its index in that table (−1: added
    /// by the changes) and whether the changes set it; the paths (byte ranges) of the base's files
    /// the changes removed.
    struct DeltaOrigin {
        let base: Range<Int>
        let baseCRC: UInt32
        let baseCount: Int
        let baseIndex: [Int32]
        let fromDelta: [Bool]
        let removedFromBase: [PathSpan]
    }

    /// A path's bytes in the stored table. (Arrays of these, not of `Range<Int>`: the first
    /// array of `Range<Int>` in a process makes the Swift runtime check `Int: Comparable` by a
    /// scan of the binary's ~3,900 protocol conformance records, ~170,000 instructions, a
    /// sixteenth of an up-to-date `sou index` of gimp-ko's 685 files; a struct's metadata is
    /// static.)
    struct PathSpan: Sendable {
        let range: Range<Int>
    }

    /// One change of a stored table of changes: where its entry starts, its path's bytes, and
    /// its file (nil: removed). (A struct, not a tuple: see ``PathSpan``.)
    private struct StoredChange {
        let start: Int
        let path: Range<Int>
        let file: File?
    }

    /// A stored table's files, read and checked: for each, where its entry starts in the bytes
    /// (its PathLength), its path's byte range and its file, in path order.
    struct StoredFiles {
        var starts: [Int] = []
        var paths: [PathSpan] = []
        var files: [File] = []

        init(capacity: Int) {
            starts.reserveCapacity(capacity); paths.reserveCapacity(capacity); files.reserveCapacity(capacity)
        }

        mutating func append(start: Int, path: Range<Int>, file: File) {
            starts.append(start); paths.append(PathSpan(range: path)); files.append(file)
        }

        /// Appends `other`'s files `run`.
        mutating func append(_ other: StoredFiles, _ run: Range<Int>) {
            starts.append(contentsOf: other.starts[run]); paths.append(contentsOf: other.paths[run]); files.append(contentsOf: other.files[run])
        }
    }

    /// Reads and checks a stored table (every check of damage: paths in strictly increasing byte
    /// order and UTF-8, ids in range and never shared, known kinds, no trailing bytes; for a
    /// table of changes, its base: a full table before it in `bytes` with a matching checksum,
    /// and changes that remove only files the base lists), returning its header and its files
    /// (``StoredFiles``): no String is made for an ASCII path.
    static func parse(bytes: IndexBytes, range: Range<Int>) throws -> (StoredHeader, StoredFiles) {
        var r = ByteReader(bytes, range: range, context: "source table")
        let kind = try r.u8()
        guard let stored = StoredKind(rawValue: kind) else { throw r.fail("unknown table kind \(kind)") }
        if stored == .full {
            let (options, next, files) = try parseFull(bytes, &r)
            return (StoredHeader(options: options, nextID: next, delta: nil), files)
        }
        // the base: a full table that ends before this one, as it was written
        let baseOffset = try r.u64(), baseLength = try r.u64(), baseCRC = try r.u32()
        guard baseLength >= 1, baseOffset <= UInt64(range.lowerBound), baseLength <= UInt64(range.lowerBound) - baseOffset else {
            throw r.fail("base table (\(baseLength) bytes at \(baseOffset)) not before the table")
        }
        let base = Int(baseOffset)..<Int(baseOffset + baseLength)
        guard CRC32C.checksum(bytes.slice(base)) == baseCRC else { throw r.fail("base table at byte \(baseOffset): checksum mismatch") }
        var b = ByteReader(bytes, range: base, context: "source table (base)")
        guard try b.u8() == StoredKind.full.rawValue else { throw b.fail("the base of a table of changes is not a full table") }
        let (_, _, baseFiles) = try parseFull(bytes, &b)
        let baseCount = baseFiles.files.count
        // the changes: paths in strictly increasing byte order, each set (an id ≥ 1 and the
        // file) or removed (id 0)
        let (o, next, count) = try header(&r)
        let options = String(decoding: bytes.slice(o), as: UTF8.self)
        var changes: [StoredChange] = []
        changes.reserveCapacity(count)
        for _ in 0..<count {
            let start = r.offset
            let p = try path(bytes, &r, after: changes.last?.path)
            let id = try r.varint(max: Int(UInt32.max))
            guard id < next else { throw r.fail("source id \(id) out of range") }
            changes.append(StoredChange(start: start, path: p, file: id == 0 ? nil : try file(&r, id: UInt32(id))))
        }
        guard r.isAtEnd else { throw r.fail("trailing bytes") }
        // the merge of the base and the changes: the base's files between two changes are kept
        // as a run (found by a binary search of the base's increasing paths)
        func pathBytes(_ p: Range<Int>) -> UnsafeBufferPointer<UInt8> { bytes.slice(p).assumingMemoryBound(to: UInt8.self) }
        var files = StoredFiles(capacity: baseCount + changes.count)
        var baseIndex: [Int32] = [], fromDelta: [Bool] = [], removed: [PathSpan] = []
        baseIndex.reserveCapacity(baseCount + changes.count); fromDelta.reserveCapacity(baseCount + changes.count)
        func keep(_ run: Range<Int>) throws {
            // (a base file kept: its id below the base's next id, and below this one's)
            for f in baseFiles.files[run] where Int(f.id) >= next { throw r.fail("source id \(f.id) out of range") }
            files.append(baseFiles, run)
            baseIndex.append(contentsOf: run.lazy.map { Int32($0) })
            fromDelta.append(contentsOf: repeatElement(false, count: run.count))
        }
        var i = 0
        for change in changes {
            // the first base file from i whose path is not below the change's
            var low = i, high = baseCount
            let target = pathBytes(change.path)
            while low < high {
                let mid = (low + high) / 2
                if String.compare(pathBytes(baseFiles.paths[mid].range), target) < 0 { low = mid + 1 } else { high = mid }
            }
            try keep(i..<low)
            i = low
            let same = i < baseCount && String.compare(pathBytes(baseFiles.paths[i].range), target) == 0
            if let f = change.file {
                files.append(start: change.start, path: change.path, file: f)
                baseIndex.append(same ? Int32(i) : -1); fromDelta.append(true)
            } else if same {
                removed.append(baseFiles.paths[i])
            } else {
                throw r.fail("a change removes a file the base does not list")
            }
            if same { i += 1 }
        }
        try keep(i..<baseCount)
        try checkIDs(files.files, next: next, &r)
        return (StoredHeader(options: options, nextID: UInt32(next),
                             delta: DeltaOrigin(base: base, baseCRC: baseCRC, baseCount: baseCount, baseIndex: baseIndex,
                                                fromDelta: fromDelta, removedFromBase: removed)),
                files)
    }

    /// A full table's body (after its kind byte) with every check; returns its options, next id
    /// and files.
    private static func parseFull(_ bytes: IndexBytes, _ r: inout ByteReader) throws -> (String, UInt32, StoredFiles) {
        let (o, next, count) = try header(&r)
        let options = String(decoding: bytes.slice(o), as: UTF8.self)
        // (each entry takes at least 6 bytes: no more than the bytes left can be reserved for)
        var files = StoredFiles(capacity: min(count, r.remaining / 6))
        var previous: Range<Int>? = nil
        for _ in 0..<count {
            let start = r.offset
            let p = try path(bytes, &r, after: previous)
            previous = p
            let id = try r.varint(max: Int(UInt32.max))
            guard id >= 1, id < next else { throw r.fail("source id \(id) out of range") }
            files.append(start: start, path: p, file: try file(&r, id: UInt32(id)))
        }
        guard r.isAtEnd else { throw r.fail("trailing bytes") }
        // ids are never shared: a file's documents are found (and deleted) by its id
        try checkIDs(files.files, next: next, &r)
        return (options, UInt32(next), files)
    }

    /// A stored path (length and bytes), checked: after `previous` in byte order, and UTF-8.
    private static func path(_ bytes: IndexBytes, _ r: inout ByteReader, after previous: Range<Int>?) throws -> Range<Int> {
        let p = try r.bytes(try r.varint(max: r.remaining))
        let stored = bytes.slice(p).assumingMemoryBound(to: UInt8.self)
        // paths are stored in strictly increasing byte order: no path is listed twice (the
        // stored bytes compared, before a String is made of them)
        if let previous, String.compare(bytes.slice(previous).assumingMemoryBound(to: UInt8.self), stored) >= 0 {
            throw r.fail("file listed twice or out of order")
        }
        // Sou writes paths from Strings: bytes that are not UTF-8 are damage (a repaired
        // decoding could make two different stored paths equal). ASCII is UTF-8; other paths
        // are decoded by the fast repairing decoder and compared with the stored bytes
        // (String(validating:) over raw bytes took twice the time of the whole decoding)
        if !Self.isASCII(stored), !Self.has(String(decoding: stored, as: UTF8.self), bytes: stored) {
            throw r.fail("path is not UTF-8")
        }
        return p
    }

    /// A stored file's fields after its id: size, modification time, kind, documents.
    private static func file(_ r: inout ByteReader, id: UInt32) throws -> File {
        let size = try r.varint(max: Int.max)
        let z = try r.varint()
        let mtime = Int64(bitPattern: (z >> 1) ^ (0 &- (z & 1)))
        let kind = try r.u8()
        guard kind <= 1 else { throw r.fail("unknown file kind \(kind)") }
        let documents = try r.varint(max: Int(Int32.max))
        return File(id: id, size: size, modificationTime: mtime, isJSONLines: kind == 1, documents: documents)
    }

    /// Throws when an id (each below `next`, checked where it was read) is listed twice.
    private static func checkIDs(_ files: [File], next: Int, _ r: inout ByteReader) throws {
        if next <= max(1 << 16, 8 * files.count) {
            // (ids are below `next`: a bit per id, not a sort, when that is small)
            var seen = [UInt64](repeating: 0, count: next / 64 + 1)
            try seen.withUnsafeMutableBufferPointer { seen in
                // in bounds: id < next, so id >> 6 ≤ next / 64
                for f in files {
                    let bit: UInt64 = 1 << UInt64(f.id & 63)
                    if seen[Int(f.id >> 6)] & bit != 0 { throw r.fail("source id \(f.id) listed twice") }
                    seen[Int(f.id >> 6)] |= bit
                }
            }
        } else {
            var sorted = files.map(\.id)
            sorted.sort()
            for i in sorted.indices.dropFirst() where sorted[i] == sorted[i - 1] { throw r.fail("source id \(sorted[i]) listed twice") }
        }
    }

    /// A stored table's header: the options' bytes, the next id and the number of files (or of
    /// changes).
    private static func header(_ r: inout ByteReader) throws -> (options: Range<Int>, nextID: Int, count: Int) {
        let o = try r.bytes(try r.varint(max: r.remaining))
        let next = try r.varint(max: Int(UInt32.max))
        return (o, next, try r.varint(max: r.remaining))
    }

    /// The number of files a stored table lists: a full table's from its header alone (the
    /// entries are not checked here: ``parse(bytes:range:)`` checks them); a
    /// table of changes is read whole.
    static func fileCount(bytes: IndexBytes, range: Range<Int>) throws -> Int {
        var r = ByteReader(bytes, range: range, context: "source table")
        if try r.u8() == StoredKind.full.rawValue { return try header(&r).count }
        return try parse(bytes: bytes, range: range).1.files.count
    }

    /// The bytes of the full table a stored table of changes is based on (0 for a full table):
    /// read from its header alone, for the live bytes of a file.
    static func baseLength(bytes: IndexBytes, range: Range<Int>) -> Int {
        guard range.count >= 17, bytes.slice(range.lowerBound..<(range.lowerBound + 1)).first == StoredKind.delta.rawValue else { return 0 }
        return Int(clamping: UInt64(littleEndian: bytes.base.loadUnaligned(fromByteOffset: range.lowerBound + 9, as: UInt64.self)))
    }

    /// Whether `path`'s UTF-8 is exactly `bytes`.
    static func has(_ path: String, bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        path.utf8.count == bytes.count
            && (path.utf8.withContiguousStorageIfAvailable { String.compare($0, bytes) == 0 } ?? path.utf8.elementsEqual(bytes))
    }

    /// Whether every byte is below 0x80 (eight at a time).
    static func isASCII(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = b.baseAddress else { return true }
        var i = 0
        // bounds: each load reads bytes i ..< i + 8 with i + 8 <= count, then single bytes
        while i + 8 <= b.count {
            if UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
            i += 8
        }
        while i < b.count {
            if b[i] >= 0x80 { return false }
            i += 1
        }
        return true
    }
}

/// A stored source table checked (as ``SourceTable/init(bytes:range:)`` checks it) but not
/// decoded: each file's path stays bytes of the index file, so that an up-to-date `sou index`
/// compares the walk's paths with them without making (and freeing) a String per file, and an
/// update writes the next table from these bytes and its changes (``SourceTableEdit``). The
/// file's mapping is kept alive by `storage`.
struct StoredSourceTable {
    let storage: IndexStorage
    let range: Range<Int>
    let options: String
    let nextID: UInt32
    /// Each file's path (a byte range of `storage`) and entry, in the stored (path) order.
    let paths: [SourceTable.PathSpan]
    let files: [SourceTable.File]
    /// Where each file's entry starts in `storage` (its PathLength); in a full table the last
    /// one ends at the table's end (no trailing bytes).
    let entryStarts: [Int]
    /// For a table stored as changes: its base and where each file came from (nil: a full table).
    let delta: SourceTable.DeltaOrigin?
    /// True when `storage` is the index file's bytes (offsets are the file's): only such a
    /// table can be the base of a table of changes written after it.
    let isInFile: Bool

    /// Checks the table at `range` of `storage` (the index file's bytes: a table of changes
    /// reads its base there); damaged bytes throw ``IndexError/corrupt(_:)``.
    init(storage: IndexStorage, range: Range<Int>, isInFile: Bool = true) throws {
        let (header, stored) = try SourceTable.parse(bytes: storage.bytes, range: range)
        self.storage = storage
        self.range = range
        options = header.options
        nextID = header.nextID
        paths = stored.paths
        files = stored.files
        entryStarts = stored.starts
        delta = header.delta
        self.isInFile = isInFile
    }

    /// `table` encoded (as a full table) and checked: the base an update edits when the table it
    /// has is not the stored one (it was set or edited since the last commit).
    init(encoding table: SourceTable) throws {
        let bytes = table.encoded()
        try self.init(storage: IndexStorage(copying: bytes), range: 0..<bytes.count, isInFile: false)
    }

    /// The stored bytes of entries `entries` (consecutive, in stored order) of a full table.
    func entryBytes(_ entries: Range<Int>) -> Range<Int> {
        precondition(delta == nil, "entry bytes of a full table")
        let start = entries.lowerBound < entryStarts.count ? entryStarts[entries.lowerBound] : range.upperBound
        let end = entries.upperBound < entryStarts.count ? entryStarts[entries.upperBound] : range.upperBound
        return start..<end
    }

    /// The table decoded (it was checked: this cannot fail).
    func decoded() -> SourceTable {
        var table = SourceTable(options: options)
        table.nextID = nextID
        let b = storage.bytes
        table.setEntries(zip(paths, files).map { p, f in
            SourceTable.Entry(path: String(decoding: b.slice(p.range).assumingMemoryBound(to: UInt8.self), as: UTF8.self), file: f)
        })
        return table
    }

    /// The path of file `i`, as stored (the walk's path).
    func path(_ i: Int) -> String {
        String(decoding: storage.bytes.slice(paths[i].range).assumingMemoryBound(to: UInt8.self), as: UTF8.self)
    }

    /// Whether file `i` is stored with the bytes of `path`.
    func path(_ i: Int, equals path: String) -> Bool {
        SourceTable.has(path, bytes: storage.bytes.slice(paths[i].range).assumingMemoryBound(to: UInt8.self))
    }

    /// The stored order of `path` against file `i`'s path (negative: `path` sorts first).
    func compare(_ path: String, with i: Int) -> Int {
        let stored = storage.bytes.slice(paths[i].range).assumingMemoryBound(to: UInt8.self)
        if let c = path.utf8.withContiguousStorageIfAvailable({ String.compare($0, stored) }) { return c }
        var copy = path
        return copy.withUTF8 { String.compare($0, stored) }
    }

    /// For each of `paths`, the index of the stored file with that path (nil: none), as
    /// ``SourceTable/match(_:)`` pairs them, comparing with the stored bytes.
    func match(_ walked: [String]) -> [Int?] {
        SourceTable.match(walked, count: files.count) { compare($0, with: $1) }
    }
}

/// The next source table, as a stored table (the base; none for a new index) and its changes:
/// files set (changed or added) and removed. ``encoded()`` writes, when the changes since the
/// last full table are few, only those changes (a table of changes, FORMAT.md "Source table"),
/// so that an update of a few files in a folder of many writes a few entries, not the whole
/// table again; otherwise a full table, by copying the stored bytes of every entry that did not
/// change, in runs, and encoding only the changed and added ones (the bytes of ``decoded()``'s
/// ``SourceTable/encoded()``).
struct SourceTableEdit {
    /// The stored table edited (nil: an empty one).
    let base: StoredSourceTable?
    var options: String
    var nextID: UInt32
    /// New files for base entries, by entry.
    private(set) var changed: [Int: SourceTable.File] = [:]
    /// Base entries removed (a removal wins over a change of the same entry).
    private(set) var removed: Set<Int> = []
    /// Files not in the base, in the order given (a path given twice keeps its last file).
    private(set) var added: [SourceTable.Entry] = []

    init(base: StoredSourceTable?, options: String) {
        self.base = base
        self.options = options
        nextID = base?.nextID ?? 1
    }

    /// The number of files in the base.
    var baseCount: Int { base?.files.count ?? 0 }

    /// Sets the file of base entry `entry`, or adds `path` (nil: not in the base).
    mutating func set(entry: Int?, path: String, file: SourceTable.File) {
        if let entry { changed[entry] = file } else { added.append(SourceTable.Entry(path: path, file: file)) }
    }

    /// Removes base entry `entry`.
    mutating func remove(entry: Int) { removed.insert(entry) }

    /// The edited table, decoded.
    func decoded() -> SourceTable {
        var table = base?.decoded() ?? SourceTable(options: options)
        table.options = options
        table.nextID = nextID
        table.apply(updates: changed.map { (entry: Optional($0.key), path: "", file: $0.value) }
                        + added.map { (entry: nil, path: $0.path, file: $0.file) },
                    removed: Array(removed))
        return table
    }

    /// The most changes a table of changes holds, for a full table of `count` files: beyond it a
    /// full table is written (and becomes the next base), so that a table of changes stays a
    /// small part of the table and reading one costs about what reading its base does.
    static func deltaLimit(baseCount: Int) -> Int { max(16, baseCount / 8) }

    /// The edited table's stored form, and the length of the full table it is based on (0: it
    /// is a full table).
    func encoded() -> (bytes: [UInt8], baseLength: Int) {
        if let base, base.isInFile, let changes = deltaChanges(base),
           changes.count <= Self.deltaLimit(baseCount: base.delta?.baseCount ?? base.files.count) {
            return (deltaEncoded(base, changes), (base.delta?.base ?? base.range).count)
        }
        if base?.delta != nil { return (decoded().encoded(), 0) }
        return (fullEncoded(), 0)
    }

    /// The changes of the edited table against the full table the base is or is based on, in
    /// strictly increasing byte order of their paths: (path bytes, file; nil: removed).
    private func deltaChanges(_ base: StoredSourceTable) -> [(path: [UInt8], file: SourceTable.File?)]? {
        // (a key per change: later ones replace earlier ones with the same path)
        var changes: [(path: [UInt8], file: SourceTable.File?)] = []
        let b = base.storage.bytes
        func pathBytes(_ r: Range<Int>) -> [UInt8] { [UInt8](b.slice(r)) }
        let limit = Self.deltaLimit(baseCount: base.delta?.baseCount ?? base.files.count)
        if let delta = base.delta {
            // the base's files its changes removed stay removed (unless set again below)
            for p in delta.removedFromBase { changes.append((pathBytes(p.range), nil)) }
        }
        // the files of the base that differ from the full table: those the edit changes or
        // removes, and those the base's own changes set (not a look-up per file of the base)
        var differing = Set(changed.keys).union(removed)
        if let delta = base.delta {
            for i in delta.fromDelta.indices where delta.fromDelta[i] { differing.insert(i) }
        }
        guard differing.count <= limit + removed.count else { return nil }
        for i in differing {
            let inFull = base.delta.map { $0.baseIndex[i] >= 0 } ?? true
            if removed.contains(i) {
                if inFull { changes.append((pathBytes(base.paths[i].range), nil)) }
            } else if let f = changed[i] {
                changes.append((pathBytes(base.paths[i].range), f))
            } else if base.delta?.fromDelta[i] == true {
                changes.append((pathBytes(base.paths[i].range), base.files[i]))
            }
            if changes.count > limit { return nil }
        }
        for entry in added { changes.append((Array(entry.path.utf8), entry.file)) }
        // byte order; of equal paths the last given wins (an added file over the removal of its
        // path from the base, which a walk sees as a new file)
        let order = changes.withUnsafeBufferPointer { c in
            BytewiseSort.order(count: c.count) { i, body in c[i].path.withUnsafeBufferPointer { body($0) } }
        }
        return BytewiseSort.keepingLastOfEqual(order) { changes[$0].path == changes[$1].path }.map { changes[$0] }
    }

    /// A table of changes: Kind 1, the base's offset, length and CRC-32C, Options, NextID, the
    /// number of changes, then per change PathLength, Path, ID (0: removed) and, when set, the
    /// file's Size, ModificationTime, Kind and Documents.
    private func deltaEncoded(_ base: StoredSourceTable, _ changes: [(path: [UInt8], file: SourceTable.File?)]) -> [UInt8] {
        let full = base.delta?.base ?? base.range
        var out = ByteWriter()
        out.u8(SourceTable.StoredKind.delta.rawValue)
        out.u64(UInt64(full.lowerBound))
        out.u64(UInt64(full.count))
        out.u32(base.delta?.baseCRC ?? CRC32C.checksum(base.storage.bytes.slice(full)))
        SourceTable.putHeader(options: options, nextID: nextID, count: changes.count, into: &out)
        for c in changes {
            c.path.withUnsafeBufferPointer { SourceTable.putBytes($0, into: &out) }
            if let f = c.file { SourceTable.putFile(f, into: &out) } else { out.varint(0) }
        }
        return out.bytes
    }

    /// The edited table as a full table (``SourceTable/encoded()``'s bytes for ``decoded()``),
    /// from a full base (or none).
    private func fullEncoded() -> [UInt8] {
        let new = SourceTable.sorted(added)
        // where each added file goes: before the first base entry whose path sorts after it
        // (no added path is a base path: those are changes)
        var insertAt: [Int] = []
        insertAt.reserveCapacity(new.count)
        var lo = 0
        for entry in new {
            var hi = baseCount
            while lo < hi {
                let mid = (lo + hi) / 2
                if base!.compare(entry.path, with: mid) > 0 { lo = mid + 1 } else { hi = mid }
            }
            insertAt.append(lo)
        }
        let marks = Set(changed.keys).union(removed).sorted()
        var out = ByteWriter()
        out.bytes.reserveCapacity((base.map { $0.range.count } ?? 16) + new.count * 64 + 64)
        out.u8(SourceTable.StoredKind.full.rawValue)
        SourceTable.putHeader(options: options, nextID: nextID, count: baseCount - removed.count + new.count, into: &out)
        func put(_ f: SourceTable.File) { SourceTable.putFile(f, into: &out) }
        func copy(_ r: Range<Int>) {
            guard !r.isEmpty, let b = base?.storage.bytes else { return }
            out.append(contentsOf: UnsafeRawBufferPointer(b.slice(r)))
        }
        var pos = 0, a = 0, m = 0
        while true {
            let nextInsert = a < new.count ? insertAt[a] : baseCount
            let nextMark = m < marks.count ? marks[m] : baseCount
            let stop = min(nextInsert, nextMark)
            // unchanged entries: their stored bytes, in one copy
            if stop > pos, let base { copy(base.entryBytes(pos..<stop)) }
            pos = stop
            if a < new.count, nextInsert == stop {
                var path = new[a].path
                path.withUTF8 { SourceTable.putBytes($0, into: &out) }
                put(new[a].file)
                a += 1
                continue
            }
            guard pos < baseCount, let base else { break }
            if !removed.contains(pos) {
                // the stored PathLength and Path, then the new file
                copy(base.entryStarts[pos]..<base.paths[pos].range.upperBound)
                put(changed[pos]!)
            }
            pos += 1
            m += 1
        }
        return out.bytes
    }
}
