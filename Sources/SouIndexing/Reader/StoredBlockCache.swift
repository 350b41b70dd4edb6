import CZlib
import FoundationEssentials
import Glibc

/// A stored-text block, inflated only as far as its documents have been asked for: a search
/// prints a few documents of a block (~16 KiB), and inflating to the end of the one wanted
/// costs about half of inflating the whole block on average. Thread-safe (one lock per block).
///
/// How far, and with which zlib stream:
/// - The block's last document: the rest of the block, in one zlib call that ends the stream
///   (Z_FINISH) straight into the block's buffer. Read first, zlib then allocates no 32 KiB
///   window and copies no output into one: it needs one only for a stream it may resume.
/// - A first read of another document: inflated in steps as far as its end; then the stream is
///   ended (zlib frees its state and window, which the next block's stream reuses) unless the
///   block is larger than ``resumedAbove`` (its last document is large). A search prints one
///   document of most blocks it reads: keeping every stream (with its state and window) cost
///   ~50 more page faults for a search printing 10 hits (FORMAT.md, StoredText).
/// - A later read past where an ended stream stopped: the block is inflated again from its
///   start, and this stream is kept and resumed where it stops, as is the stream of a block
///   larger than ``resumedAbove``. A block is inflated at most twice in all, however its
///   documents are asked for.
///
/// Damage is found as the block is read: a text overrunning the block, a stream that ends
/// before or runs past RawLength, or deflate data zlib rejects throw ``IndexError/corrupt(_:)``.
/// The Adler-32 of the block is checked when the block is inflated to its end (`sou check`
/// inflates every block whole); a prefix of a block with damaged bytes that deflate still
/// decodes is not caught before then, as for the other sections, whose CRC-32C only `sou check`
/// verifies.
final class InflatedBlock: @unchecked Sendable {
    let firstDocument: Int
    let documentCount: Int
    let rawLength: Int
    private let lock = Lock()
    /// `rawLength` bytes, of which `produced` are inflated.
    private let raw: UnsafeMutableBufferPointer<UInt8>
    private var produced = 0
    /// The byte ranges in `raw` of the texts of documents `firstDocument ..< firstDocument +
    /// texts.count` (parsed so far); `parsed`: where the next one's length starts.
    private var texts: [Range<Int>] = []
    private var parsed = 0
    /// The bytes zlib has written in all (``inflationWork``).
    private var work = 0
    /// Whether the stream is kept between reads (see the type's comment).
    private var resumes: Bool
    /// The zlib stream inflating into `raw` from byte 0 to `produced` (allocated once, never
    /// moved: zlib keeps its address); nil before the first read, once the block is inflated to
    /// its end, and when a partial read ended it.
    private var stream: UnsafeMutablePointer<z_stream>?
    /// Why the block cannot be read, once found (thrown again at every later read).
    private var damage: (any Error)?
    /// Bytes inflated per step at least (a step stops at the end of the text wanted).
    static let step = 4096
    /// A block larger than this keeps its stream between reads and resumes it (see the type's
    /// comment); a block at most this large ends it after a partial read.
    static let resumedAbove = 4 * FileLayout.storedBlockTarget

    init(firstDocument: Int, documentCount: Int, rawLength: Int) {
        self.firstDocument = firstDocument
        self.documentCount = documentCount
        self.rawLength = rawLength
        resumes = rawLength > Self.resumedAbove
        raw = .allocate(capacity: max(rawLength, 1))
    }

    /// A new zlib inflate stream.
    private static func newStream() throws -> UnsafeMutablePointer<z_stream> {
        let s = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        s.initialize(to: z_stream())
        let status = inflateInit_(s, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            s.deallocate()
            throw IndexError.io("zlib inflateInit failed (\(status))")
        }
        return s
    }

    /// Ends the stream (zlib frees its state and window).
    private func endStream() {
        if let stream {
            inflateEnd(stream)
            stream.deallocate()
            self.stream = nil
        }
    }

    deinit {
        if let stream {
            inflateEnd(stream)
            stream.deallocate()
        }
        raw.deallocate()
    }

    /// The bytes inflated so far.
    var inflatedBytes: Int {
        lock.lock(); defer { lock.unlock() }
        return produced
    }

    /// The bytes zlib has written in all (a block inflated again from its start counts twice).
    var inflationWork: Int {
        lock.lock(); defer { lock.unlock() }
        return work
    }

    /// Whether a zlib stream is kept to be resumed.
    var keepsStream: Bool {
        lock.lock(); defer { lock.unlock() }
        return stream != nil
    }

    /// The text of document `id`, inflating the block as far as its end; nil when the block
    /// does not hold it. `compressed`: the block's deflate stream (the same bytes at every call).
    func text(_ id: Int, compressed: UnsafeRawBufferPointer) throws -> String? {
        try withText(id, compressed: compressed) { String(decoding: $0, as: UTF8.self) }
    }

    /// ``text(_:compressed:)`` as its UTF-8 bytes (copied once from the inflated block).
    func bytes(_ id: Int, compressed: UnsafeRawBufferPointer) throws -> [UInt8]? {
        try withText(id, compressed: compressed) { Array($0) }
    }

    /// Calls `body` with the UTF-8 bytes of document `id`'s text, inflating the block as far as
    /// its end; nil when the block does not hold it. The bytes lie in the block's buffer: `body`
    /// runs under the block's lock and must not keep the pointer.
    private func withText<R>(_ id: Int, compressed: UnsafeRawBufferPointer, _ body: (UnsafeBufferPointer<UInt8>) -> R) throws -> R? {
        let k = id - firstDocument
        guard k >= 0, k < documentCount else { return nil }
        lock.lock(); defer { lock.unlock() }
        if let damage { throw damage }
        do {
            try inflate(through: k, compressed)
        } catch {
            damage = error
            texts = []
            throw error
        }
        // texts[k] lies in 0..<produced ≤ rawLength (checked as it was parsed)
        return body(UnsafeBufferPointer(rebasing: raw[texts[k]]))
    }

    /// Inflates and parses the texts through the `k`th. Caller holds the lock.
    private func inflate(through k: Int, _ compressed: UnsafeRawBufferPointer) throws {
        guard texts.count <= k else { return }
        if produced < rawLength, produced > 0, stream == nil {
            // read past where an ended stream stopped: start again from byte 0 (rewriting the
            // same bytes: `texts` and `parsed` stay right), and keep this stream
            produced = 0
            resumes = true
        }
        if produced < rawLength, k == documentCount - 1 {
            // the rest of the block in one call that ends the stream
            try inflate(to: rawLength, compressed)
        }
        defer { if !resumes { endStream() } }
        while texts.count <= k {
            // a length varint is at most 10 bytes: have them inflated before reading it
            if produced < min(rawLength, parsed + 10) { try inflate(to: parsed + 10, compressed); continue }
            var r = ByteReader(IndexBytes(base: UnsafeRawPointer(raw.baseAddress!), count: produced),
                               range: parsed..<produced, context: "stored-text block")
            let length = try r.varint(max: rawLength - parsed)
            let start = r.offset
            guard length <= rawLength - start else {
                throw IndexError.corrupt("stored-text block: a text of \(length) bytes at byte \(start) overruns the block (\(rawLength) bytes)")
            }
            if start + length > produced { try inflate(to: start + length, compressed); continue }
            texts.append(start..<(start + length))
            parsed = start + length
        }
    }

    /// Inflates at least up to byte `target` (or ``step`` bytes more, or to the end); to the end,
    /// the stream must end there (Adler-32 checked by zlib). Caller holds the lock.
    private func inflate(to target: Int, _ compressed: UnsafeRawBufferPointer) throws {
        guard produced < rawLength else {
            throw IndexError.corrupt("stored-text block: the texts run past its \(rawLength) bytes")
        }
        if self.stream == nil { self.stream = try Self.newStream() }
        let stream = self.stream!
        let goal = min(rawLength, max(target, produced + Self.step))
        let consumed = Int(stream.pointee.total_in)
        guard consumed <= compressed.count else { throw IndexError.corrupt("stored-text block: zlib read past the block") }
        // zlib reads next_in and never writes it (the mutable pointer is its C signature's)
        stream.pointee.next_in = UnsafeMutablePointer(mutating: compressed.baseAddress?.assumingMemoryBound(to: UInt8.self))
            .map { $0 + consumed }
        stream.pointee.avail_in = uInt(compressed.count - consumed)
        stream.pointee.next_out = raw.baseAddress! + produced
        stream.pointee.avail_out = uInt(goal - produced)
        let finishing = goal == rawLength
        let status = CZlib.inflate(stream, finishing ? Z_FINISH : Z_NO_FLUSH)
        work += goal - Int(stream.pointee.avail_out) - produced
        produced = goal - Int(stream.pointee.avail_out)
        stream.pointee.next_in = nil
        if status == Z_STREAM_END || finishing {
            // the whole block: the stream ends exactly at RawLength
            endStream()
            guard status == Z_STREAM_END, produced == rawLength else {
                throw IndexError.corrupt("stored-text: a compressed block does not inflate to its \(rawLength) bytes (zlib status \(status))")
            }
            return
        }
        // not finishing: zlib fills the output unless the data is damaged or cut short
        guard status == Z_OK, produced == goal else {
            throw IndexError.corrupt("stored-text: a compressed block does not inflate (zlib status \(status), \(produced) of \(rawLength) bytes)")
        }
    }
}

/// The few stored-text blocks of a segment inflated last, most recent first. Hits are many small
/// documents of the same block: without it, each hit inflated its whole block (then ~64 KiB) again
/// (2 M hits printed with their snippets: 97 s). Holds at most ``capacity`` blocks of at most
/// ``maxBlockBytes`` each; a larger block (one huge document) is not kept. Thread-safe.
final class StoredBlockCache: @unchecked Sendable {
    static let capacity = 8
    static let maxBlockBytes = 1 << 20
    private let lock = Lock()
    private var entries: [(index: Int, block: InflatedBlock)] = []
    private var inflated = 0

    /// Block `index`, from the cache or made by `make` (outside the lock; it inflates nothing
    /// yet: ``InflatedBlock`` inflates as its texts are read).
    func block(_ index: Int, _ make: () throws -> InflatedBlock) throws -> InflatedBlock {
        lock.lock()
        if let i = entries.firstIndex(where: { $0.index == index }) {
            let entry = entries.remove(at: i)
            entries.insert(entry, at: 0)
            lock.unlock()
            return entry.block
        }
        lock.unlock()
        let block = try make()
        lock.lock()
        inflated += 1
        if block.rawLength <= Self.maxBlockBytes, !entries.contains(where: { $0.index == index }) {
            entries.insert((index, block), at: 0)
            if entries.count > Self.capacity { entries.removeLast() }
        }
        lock.unlock()
        return block
    }

    /// Block `index` when it is cached.
    func cached(_ index: Int) -> InflatedBlock? {
        lock.lock(); defer { lock.unlock() }
        return entries.first { $0.index == index }?.block
    }

    /// Blocks started inflating so far (each miss counts one).
    var inflatedCount: Int {
        lock.lock(); defer { lock.unlock() }
        return inflated
    }
}
