/// The deleted documents of one segment: a bitmap over its local document ids (bit d of byte
/// d / 8, least significant bit first, as stored in the file). Immutable once published in a
/// commit; writers copy it on change.
public struct DeletionSet: Sendable, Hashable {
    /// One bit per document of the segment.
    public let documentCount: Int
    private(set) var words: [UInt64]
    /// Number of bits set.
    public private(set) var count: Int

    /// No document deleted.
    public init(documentCount: Int) {
        self.documentCount = documentCount
        words = []
        count = 0
    }

    /// True when no document is deleted.
    public var isEmpty: Bool { count == 0 }

    /// Whether local document `d` is deleted.
    @inline(__always)
    public func contains(_ d: Int) -> Bool {
        let w = d >> 6
        return w < words.count && words[w] & (1 << UInt64(d & 63)) != 0
    }

    /// Marks `d` deleted; returns false when it already was.
    @discardableResult
    public mutating func insert(_ d: Int) -> Bool {
        precondition(d >= 0 && d < documentCount, "document \(d) outside the segment")
        let w = d >> 6
        if words.count <= w { words.append(contentsOf: repeatElement(0, count: (documentCount + 63) / 64 - words.count)) }
        let bit = UInt64(1) << UInt64(d & 63)
        if words[w] & bit != 0 { return false }
        words[w] |= bit
        count += 1
        return true
    }

    /// The local ids of the deleted documents, increasing.
    public var members: [Int] {
        var out: [Int] = []
        out.reserveCapacity(count)
        for (i, w) in words.enumerated() where w != 0 {
            var v = w
            while v != 0 {
                out.append(i << 6 | v.trailingZeroBitCount)
                v &= v - 1
            }
        }
        return out
    }

    /// The stored form: ceil(documentCount / 8) bytes.
    var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: (documentCount + 7) / 8)
        for (i, w) in words.enumerated() {
            for k in 0..<8 where i * 8 + k < out.count { out[i * 8 + k] = UInt8(truncatingIfNeeded: w >> UInt64(8 * k)) }
        }
        return out
    }

    /// Reads a stored bitmap; throws when its length, padding bits or count disagree with the
    /// commit record.
    init(stored p: UnsafeRawBufferPointer, documentCount: Int, expectedCount: Int, context: String) throws {
        guard p.count == (documentCount + 7) / 8 else {
            throw IndexError.corrupt("\(context): deletion bitmap of \(p.count) bytes for \(documentCount) documents")
        }
        self.documentCount = documentCount
        var words = [UInt64](repeating: 0, count: (documentCount + 63) / 64)
        var n = 0
        for i in 0..<p.count {
            let byte = p[i]
            if byte == 0 { continue }
            words[i >> 3] |= UInt64(byte) << UInt64(8 * (i & 7))
            n += byte.nonzeroBitCount
        }
        if documentCount % 8 != 0, let last = p.last, last >> UInt8(documentCount % 8) != 0 {
            throw IndexError.corrupt("\(context): deletion bitmap marks documents past the segment's end")
        }
        guard n == expectedCount else {
            throw IndexError.corrupt("\(context): deletion bitmap holds \(n) documents, the commit says \(expectedCount)")
        }
        self.words = n == 0 ? [] : words
        count = n
    }
}
