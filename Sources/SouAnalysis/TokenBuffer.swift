/// A reusable, allocation-light buffer of tokens: the analyzer's output on the hot path.
///
/// The terms' UTF-8 bytes are packed one after another in ``termBytes``; each token records
/// where its term lies there. Reuse one buffer per thread and call ``removeAll()`` between
/// documents: after warm-up nothing is allocated per token.
public struct TokenBuffer: Sendable {
    @usableFromInline
    struct Entry: Sendable, BitwiseCopyable {
        @usableFromInline var termStart: Int32
        @usableFromInline var termLength: Int32
        @usableFromInline var position: Int32
        @usableFromInline var start: Int32
        @usableFromInline var end: Int32
        @usableFromInline var kind: TokenKind
    }

    @usableFromInline var entries: [Entry] = []
    /// The analyzer's scratch memory, reused from call to call.
    var scratch: AnalysisScratch?
    /// The UTF-8 bytes of all terms, back to back.
    public private(set) var termBytes: [UInt8] = []

    /// Creates an empty buffer.
    public init() {}

    /// The number of tokens in the buffer.
    @inlinable public var count: Int { entries.count }
    /// True when the buffer holds no token.
    @inlinable public var isEmpty: Bool { entries.isEmpty }

    /// Reserves room for `tokens` tokens whose terms take `termBytes` bytes in all (a buffer
    /// filled batch by batch then grows without copying itself again and again).
    public mutating func reserveCapacity(tokens: Int, termBytes byteCount: Int) {
        entries.reserveCapacity(tokens)
        termBytes.reserveCapacity(byteCount)
    }

    /// Empties the buffer, keeping its storage for reuse.
    public mutating func removeAll() {
        entries.removeAll(keepingCapacity: true)
        termBytes.removeAll(keepingCapacity: true)
    }

    /// Appends a token whose term is `term` (UTF-8 bytes). Throws ``AnalyzerError/capacity(_:)``,
    /// appending nothing, for a position outside `0...`````Analyzer/maxPosition``, a byte range
    /// outside `0...Int32.max`, or term bytes past `Int32.max` in the buffer (the buffer's numbers
    /// are 32-bit).
    public mutating func append<C: Collection>(term: C, position: Int, byteRange: Range<Int>, kind: TokenKind)
    throws(AnalyzerError) where C.Element == UInt8 {
        guard position >= 0, position <= Analyzer.maxPosition else {
            throw .capacity("position \(position) is outside 0...\(Analyzer.maxPosition) (Analyzer.maxPosition)")
        }
        guard byteRange.lowerBound >= 0, byteRange.upperBound <= Int(Int32.max) else {
            throw .capacity("byte range \(byteRange) is outside 0...\(Int32.max)")
        }
        guard term.count <= Int(Int32.max) - termBytes.count else {
            throw .capacity("the buffer's terms would take \(termBytes.count + term.count) bytes, more than \(Int32.max)")
        }
        let start = termBytes.count
        termBytes.append(contentsOf: term)
        entries.append(Entry(termStart: Int32(start), termLength: Int32(termBytes.count - start),
                             position: Int32(position), start: Int32(byteRange.lowerBound),
                             end: Int32(byteRange.upperBound), kind: kind))
    }

    /// The slot of token `i`.
    @inlinable public func position(_ i: Int) -> Int { Int(entries[i].position) }
    /// The byte range of token `i` in the original input.
    @inlinable public func byteRange(_ i: Int) -> Range<Int> { Int(entries[i].start)..<Int(entries[i].end) }
    /// The kind of token `i`.
    @inlinable public func kind(_ i: Int) -> TokenKind { entries[i].kind }
    /// Where the term of token `i` lies in ``termBytes``.
    @inlinable public func termRange(_ i: Int) -> Range<Int> {
        Int(entries[i].termStart)..<Int(entries[i].termStart + entries[i].termLength)
    }
    /// The term of token `i` as a String (allocates only for terms longer than 15 bytes).
    public func term(_ i: Int) -> String { String(decoding: termBytes[termRange(i)], as: UTF8.self) }
    /// Token `i` as a ``Token`` value.
    public func token(_ i: Int) -> Token {
        Token(term: term(i), position: position(i), byteRange: byteRange(i), kind: kind(i))
    }
    /// All tokens as ``Token`` values.
    public var tokens: [Token] { (0..<count).map(token) }
}

extension TokenBuffer {
    /// The scratch memory of this buffer, or a new one when there is none or it is shared with
    /// a copy of this buffer.
    mutating func takeScratch() -> AnalysisScratch {
        if !isKnownUniquelyReferenced(&scratch) { scratch = AnalysisScratch() }
        return scratch ?? AnalysisScratch()
    }

    /// Appends a call's tokens at once: `entries` with term offsets relative to `termBytes`.
    mutating func append(entries newEntries: UnsafeBufferPointer<Entry>, termBytes newTermBytes: UnsafeBufferPointer<UInt8>) {
        let base = Int32(truncatingIfNeeded: termBytes.count)
        termBytes.append(contentsOf: newTermBytes)
        let first = entries.count
        entries.append(contentsOf: newEntries)
        if base != 0 {
            entries.withUnsafeMutableBufferPointer { all in
                for k in first..<all.count { all[k].termStart &+= base }
            }
        }
    }
}
