import Foundation
import SouAnalysis

/// The in-memory inverted index of some documents: a term table (hash map over term bytes) and,
/// per term, two byte streams in a ``ByteSlicePool``: documents (delta, frequency) and positions
/// (per document: first slot, then deltas), all as varints.
///
/// One segment is filled by one thread; a parallel build has one segment per worker, each holding
/// global document ids in increasing order, and the serializer merges them.
final class InvertedSegment {
    let pool = ByteSlicePool()

    // Term table: term id → bytes in `keyBytes`.
    private(set) var keyBytes: [UInt8] = []
    private(set) var keyStart: [UInt32] = []
    private(set) var keyLength: [UInt32] = []
    private(set) var kinds: [TokenKind] = []
    private var hashes: [UInt32] = []
    private var slots: [Int32]          // open addressing, -1 = empty
    private var mask: Int

    // Per-term postings state.
    private(set) var docStreamStart: [UInt32] = []
    private(set) var docCursor: [ByteSlicePool.Cursor] = []
    private(set) var posStreamStart: [UInt32] = []
    private(set) var posCursor: [ByteSlicePool.Cursor] = []
    private var currentDoc: [Int32] = []   // last document that touched the term
    private var previousDoc: [Int32] = []  // last document written to the doc stream
    private var frequency: [Int32] = []    // occurrences in currentDoc
    private var lastPosition: [Int32] = []
    private(set) var documentFrequency: [Int32] = []
    private(set) var totalFrequency: [Int64] = []

    private var touched: [Int32] = []

    var termCount: Int { keyStart.count }

    init() {
        slots = [Int32](repeating: -1, count: 1 << 12)
        mask = (1 << 12) - 1
    }

    /// Approximate bytes held (for progress and memory accounting).
    var memoryBytes: Int {
        pool.allocatedBytes + keyBytes.capacity + slots.capacity * 4 + termCount * 72
    }

    @inline(__always)
    private static func hash(_ p: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in p { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        h ^= h >> 29
        h = h &* 0xbf58_476d_1ce4_e5b9
        h ^= h >> 32
        return UInt32(truncatingIfNeeded: h)
    }

    /// The id of the term with bytes `p`, added when new.
    private func termID(_ p: UnsafeBufferPointer<UInt8>, kind: TokenKind) throws -> Int {
        let h = Self.hash(p)
        var s = Int(h) & mask
        while true {
            let id = Int(slots[s])
            if id < 0 { break }
            if hashes[id] == h, Int(keyLength[id]) == p.count {
                let start = Int(keyStart[id])
                let equal = keyBytes.withUnsafeBufferPointer { k in
                    p.count == 0 || memcmp(k.baseAddress! + start, p.baseAddress!, p.count) == 0
                }
                if equal { return id }
            }
            s = (s + 1) & mask
        }
        let id = keyStart.count
        slots[s] = Int32(id)
        hashes.append(h)
        keyStart.append(UInt32(keyBytes.count))
        keyLength.append(UInt32(p.count))
        keyBytes.append(contentsOf: p)
        kinds.append(kind)
        let d = try pool.newStream()
        docStreamStart.append(d.write)
        docCursor.append(d)
        let q = try pool.newStream()
        posStreamStart.append(q.write)
        posCursor.append(q)
        currentDoc.append(-1)
        previousDoc.append(-1)
        frequency.append(0)
        lastPosition.append(0)
        documentFrequency.append(0)
        totalFrequency.append(0)
        if keyStart.count * 2 > slots.count { grow() }
        return id
    }

    private func grow() {
        let capacity = slots.count * 2
        slots = [Int32](repeating: -1, count: capacity)
        mask = capacity - 1
        for id in 0..<keyStart.count {
            var s = Int(hashes[id]) & mask
            while slots[s] >= 0 { s = (s + 1) & mask }
            slots[s] = Int32(id)
        }
    }

    @inline(__always)
    private func add(_ p: UnsafeBufferPointer<UInt8>, kind: TokenKind, position: Int, document: Int32) throws {
        let t = try termID(p, kind: kind)
        if currentDoc[t] != document {
            currentDoc[t] = document
            frequency[t] = 0
            lastPosition[t] = 0
            touched.append(Int32(t))
        }
        let delta = Int32(position) - lastPosition[t]
        lastPosition[t] = Int32(position)
        frequency[t] += 1
        try pool.appendVarint(UInt32(truncatingIfNeeded: delta), to: &posCursor[t])
    }

    /// Inverts the tokens of document `document` (ids increase from call to call), adding a
    /// run-end unigram after each bigram that ends a CJK run (see ``runEndSuffix(_:)``).
    func invert(document: Int, tokens: TokenBuffer) throws {
        try invert(document: document, tokens: tokens, range: 0..<tokens.count)
    }

    /// Inverts the tokens `range` of `tokens` as document `document`.
    func invert(document: Int, tokens: TokenBuffer, range: Range<Int>) throws {
        let doc = Int32(document)
        let n = range.upperBound
        try tokens.termBytes.withUnsafeBufferPointer { bytes in
            for i in range {
                let r = tokens.termRange(i)
                let term = UnsafeBufferPointer(rebasing: bytes[r])
                let kind = tokens.kind(i)
                let position = tokens.position(i)
                try add(term, kind: kind, position: position, document: doc)
                if kind == .bigram {
                    let continues = i + 1 < n && tokens.kind(i + 1) == .bigram && tokens.position(i + 1) == position + 1
                    if !continues {
                        let suffix = Self.runEndSuffix(term)
                        if suffix.count > 0 {
                            try add(suffix, kind: .unigram, position: position + 1, document: doc)
                        }
                    }
                }
            }
        }
        for t32 in touched {
            let t = Int(t32)
            // (delta << 1 | 1) when the frequency is 1, else (delta << 1) then the frequency
            let delta = UInt32(doc - previousDoc[t])
            if frequency[t] == 1 {
                try pool.appendVarint(delta << 1 | 1, to: &docCursor[t])
            } else {
                try pool.appendVarint(delta << 1, to: &docCursor[t])
                try pool.appendVarint(UInt32(frequency[t]), to: &docCursor[t])
            }
            previousDoc[t] = doc
            documentFrequency[t] += 1
            totalFrequency[t] += Int64(frequency[t])
        }
        touched.removeAll(keepingCapacity: true)
    }

    /// The run-end character of a bigram term: its bytes after the first Unicode scalar.
    static func runEndSuffix(_ term: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        guard let lead = term.first else { return term }
        let width = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
        guard width < term.count else { return UnsafeBufferPointer(rebasing: term[term.count...]) }
        return UnsafeBufferPointer(rebasing: term[width...])
    }

    /// The bytes of term `id`.
    func withKey<R>(_ id: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try keyBytes.withUnsafeBufferPointer { k in
            try body(UnsafeBufferPointer(rebasing: k[Int(keyStart[id])..<Int(keyStart[id] + keyLength[id])]))
        }
    }

    /// Term ids sorted by their bytes.
    func sortedTermIDs() -> [Int32] {
        var ids = (0..<Int32(termCount)).map { $0 }
        keyBytes.withUnsafeBufferPointer { k in
            let base = k.baseAddress
            ids.sort { a, b in
                let la = Int(keyLength[Int(a)]), lb = Int(keyLength[Int(b)])
                let c = la == 0 || lb == 0 ? 0 : memcmp(base! + Int(keyStart[Int(a)]), base! + Int(keyStart[Int(b)]), min(la, lb))
                return c != 0 ? c < 0 : la < lb
            }
        }
        return ids
    }

    /// A reader of term `id`'s document stream: varint (delta << 1 | frequency == 1), then the
    /// frequency when it is not 1.
    func documentStream(_ id: Int) -> ByteSlicePool.Reader {
        ByteSlicePool.Reader(pool: pool, start: docStreamStart[id], end: docCursor[id].write)
    }

    /// A reader of term `id`'s position stream.
    func positionStream(_ id: Int) -> ByteSlicePool.Reader {
        ByteSlicePool.Reader(pool: pool, start: posStreamStart[id], end: posCursor[id].write)
    }
}
