import FoundationEssentials
import Glibc

/// A stored-text block inflated, with where each of its documents' text lies.
struct InflatedBlock: Sendable {
    let firstDocument: Int
    let raw: [UInt8]
    /// The byte range in `raw` of the text of document `firstDocument + k`.
    let texts: [Range<Int>]

    /// Walks the block's length-prefixed texts once; throws when they overrun the block.
    init(_ block: (firstDocument: Int, documentCount: Int, raw: [UInt8])) throws {
        firstDocument = block.firstDocument
        raw = block.raw
        var texts: [Range<Int>] = []
        texts.reserveCapacity(block.documentCount)
        try block.raw.withUnsafeBytes { raw in
            var r = ByteReader(IndexBytes(base: raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, count: raw.count),
                               range: 0..<raw.count, context: "stored-text block")
            for _ in 0..<block.documentCount {
                let length = try r.varint(max: r.remaining)
                texts.append(try r.bytes(length))
            }
        }
        self.texts = texts
    }

    /// The text of document `id`, or nil when the block does not hold it.
    func text(_ id: Int) -> String? {
        let k = id - firstDocument
        guard k >= 0, k < texts.count else { return nil }
        return String(decoding: raw[texts[k]], as: UTF8.self)
    }
}

/// The few stored-text blocks of a segment inflated last, most recent first. Hits are many small
/// documents of the same block: without it, each hit inflated its whole block (~64 KiB) again
/// (2 M hits printed with their snippets: 97 s). Holds at most ``capacity`` blocks of at most
/// ``maxBlockBytes`` each; a larger block (one huge document) is not kept. Thread-safe.
final class StoredBlockCache: @unchecked Sendable {
    static let capacity = 8
    static let maxBlockBytes = 1 << 20
    private let lock = Lock()
    private var entries: [(index: Int, block: InflatedBlock)] = []
    private var inflated = 0

    /// Block `index`, from the cache or made by `inflate` (outside the lock).
    func block(_ index: Int, _ inflate: () throws -> InflatedBlock) throws -> InflatedBlock {
        lock.lock()
        if let i = entries.firstIndex(where: { $0.index == index }) {
            let entry = entries.remove(at: i)
            entries.insert(entry, at: 0)
            lock.unlock()
            return entry.block
        }
        lock.unlock()
        let block = try inflate()
        lock.lock()
        inflated += 1
        if block.raw.count <= Self.maxBlockBytes, !entries.contains(where: { $0.index == index }) {
            entries.insert((index, block), at: 0)
            if entries.count > Self.capacity { entries.removeLast() }
        }
        lock.unlock()
        return block
    }

    /// Blocks inflated so far (each miss counts one).
    var inflatedCount: Int {
        lock.lock(); defer { lock.unlock() }
        return inflated
    }
}
