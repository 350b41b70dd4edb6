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
    /// Files by path, as walked.
    public var files: [String: File]
    /// The next unused source id.
    public var nextID: UInt32

    /// An empty table.
    public init(options: String = "") {
        self.options = options
        files = [:]
        nextID = 1
    }

    /// Stored form: Options (vint length + bytes), NextID vint, Count vint, then per file in path
    /// order: PathLength vint, Path, ID vint, Size vint, ModificationTime zigzag vint, Kind u8,
    /// Documents vint.
    func encoded() -> [UInt8] {
        var w = ByteWriter()
        let o = Array(options.utf8)
        w.varint(o.count)
        w.append(contentsOf: o)
        w.varint(UInt64(nextID))
        w.varint(files.count)
        var paths = Array(files.keys)
        paths.sortBytewise()
        for path in paths {
            let f = files[path]!
            let p = Array(path.utf8)
            w.varint(p.count)
            w.append(contentsOf: p)
            w.varint(UInt64(f.id))
            w.varint(f.size)
            w.varint(UInt64(bitPattern: (f.modificationTime << 1) ^ (f.modificationTime >> 63)))
            w.u8(f.isJSONLines ? 1 : 0)
            w.varint(f.documents)
        }
        return w.bytes
    }

    /// Decodes a stored table; damaged bytes throw ``IndexError/corrupt(_:)``.
    init(bytes: IndexBytes, range: Range<Int>) throws {
        var r = ByteReader(bytes, range: range, context: "source table")
        let o = try r.bytes(try r.varint(max: r.remaining))
        options = String(decoding: bytes.slice(o), as: UTF8.self)
        let next = try r.varint(max: Int(UInt32.max))
        nextID = UInt32(next)
        let count = try r.varint(max: r.remaining)
        var files: [String: File] = [:]
        files.reserveCapacity(count)
        var ids: [UInt32] = []
        ids.reserveCapacity(count)
        var previous: String? = nil
        for _ in 0..<count {
            let p = try r.bytes(try r.varint(max: r.remaining))
            let path = String(decoding: bytes.slice(p), as: UTF8.self)
            // paths are stored in strictly increasing byte order: no path is listed twice
            if let previous, !previous.bytewisePrecedes(path) { throw r.fail("file listed twice or out of order") }
            previous = path
            let id = try r.varint(max: Int(UInt32.max))
            guard id >= 1, id < next else { throw r.fail("source id \(id) out of range") }
            // ids are never shared: a file's documents are found (and deleted) by its id
            ids.append(UInt32(id))
            let size = try r.varint(max: Int.max)
            let z = try r.varint()
            let mtime = Int64(bitPattern: (z >> 1) ^ (0 &- (z & 1)))
            let kind = try r.u8()
            guard kind <= 1 else { throw r.fail("unknown file kind \(kind)") }
            let documents = try r.varint(max: Int(Int32.max))
            files[path] = File(id: UInt32(id), size: size, modificationTime: mtime, isJSONLines: kind == 1, documents: documents)
        }
        guard r.isAtEnd else { throw r.fail("trailing bytes") }
        ids.sort()
        for i in ids.indices.dropFirst() where ids[i] == ids[i - 1] { throw r.fail("source id \(ids[i]) listed twice") }
        self.files = files
    }
}
