import CICUShim

/// What one call of the analyzer saw besides its tokens.
public struct AnalysisSummary: Sendable, Hashable {
    /// Tokens emitted.
    public var tokenCount: Int
    /// Invalid UTF-8 sequences replaced by U+FFFD (each maximal invalid subpart counts once).
    public var invalidSequences: Int
    /// The slot at which a following field should start (includes a field-change gap when
    /// anything was emitted; `firstPosition` otherwise).
    public var nextPosition: Int
}

/// Turns UTF-8 text into tokens: CJK runs into overlapping bigrams, other scripts into words.
///
/// The chain, in order:
/// 1. UTF-8 decoding; each invalid sequence becomes U+FFFD (a symbol: emits nothing, leaves a gap).
/// 2. NFKC_Casefold (ICU): characters normalization leaves alone — most CJK text — are not
///    touched; a character that changes alone is looked up in a table read from ICU (a page of
///    code points at a time, when the text first touches it); only
///    sequences that compose (a base and its combining marks) are handed to ICU
///    (`unorm2_normalize`), one normalization segment at a time, at most
///    ``maxSegmentLength`` characters (a longer run of marks is cut, as in the Stream-Safe Text
///    Format, so that time stays linear). Every normalized character keeps the byte range of the
///    original character (or segment) it came from.
/// 3. Classification by ICU character properties (``CharacterTable``).
/// 4. ``TokenScanner``: CJK runs → bigrams (a one-character run → a unigram), joined across soft
///    line breaks between Han/Kana; other letters and digits → words and numbers by the UAX #29
///    word rules ICU applies (ICU's rule-based iterator, without the `@` tailoring of ICU 72);
///    optional Traditional → Simplified folding of run characters.
///
/// Thread safety: an `Analyzer` holds only shared tables whose entries never change once derived
/// (pages are derived under a lock on first use); one value can be used from any number of
/// threads at once, each with its own ``TokenBuffer``.
public struct Analyzer: Sendable {
    /// The rules this analyzer applies.
    public let configuration: AnalyzerConfiguration
    private let table: CharacterTable
    private let folding: VariantFolding?

    /// Creates an analyzer; throws ``AnalyzerError`` when ICU cannot provide what the
    /// configuration needs (character data, the `Traditional-Simplified` transliterator).
    public init(configuration: AnalyzerConfiguration = AnalyzerConfiguration()) throws {
        self.configuration = configuration
        self.table = try CharacterTable.shared.get()
        self.folding = configuration.foldsTraditionalToSimplified
            ? try VariantFolding.traditionalToSimplified.get() : nil
    }

    /// Analyzes `text` into an array of tokens (convenient; allocates per token).
    public func analyze(_ text: String, firstPosition: Int = 0) -> [Token] {
        var buffer = TokenBuffer()
        let utf8 = Array(text.utf8)
        _ = utf8.withUnsafeBufferPointer { analyze(utf8: $0, into: &buffer, firstPosition: firstPosition) }
        return buffer.tokens
    }

    /// Analyzes UTF-8 bytes, appending tokens to `buffer`. Positions start at `firstPosition`.
    ///
    /// Byte ranges are offsets into `input`. Nothing is allocated per token once `buffer` has
    /// grown (reuse it across calls with ``TokenBuffer/removeAll()``).
    /// - Complexity: O(n) in the length of `input`.
    public func analyze(utf8 input: UnsafeBufferPointer<UInt8>, into buffer: inout TokenBuffer,
                        firstPosition: Int = 0) -> AnalysisSummary {
        scan(utf8: input, into: &buffer, firstPosition: firstPosition, inPieces: false, pieceTokens: 0) { _ in }
    }

    /// Analyzes UTF-8 bytes in pieces, so that memory stays bounded whatever the length of
    /// `input`: `body` is called each time about `pieceTokens` tokens have been emitted, and once
    /// at the end, with `buffer` holding the tokens since the previous call (the buffer is
    /// emptied before each piece; its scratch memory is reused). The tokens, taken piece after
    /// piece, are exactly those ``analyze(utf8:into:firstPosition:)`` emits: the same terms,
    /// positions, byte ranges and kinds. `isLast` is true for the last call, which may hold no token.
    ///
    /// Memory: one piece of tokens, plus the word being built (a word is not cut).
    /// - Complexity: O(n) in the length of `input`.
    public func analyze(utf8 input: UnsafeBufferPointer<UInt8>, into buffer: inout TokenBuffer, firstPosition: Int = 0,
                        pieceTokens: Int,
                        _ body: (_ buffer: inout TokenBuffer, _ isLast: Bool) throws -> Void) rethrows -> AnalysisSummary {
        buffer.removeAll()
        let summary = try scan(utf8: input, into: &buffer, firstPosition: firstPosition, inPieces: true,
                               pieceTokens: max(1, pieceTokens)) {
            try body(&$0, false)
            $0.removeAll()
        }
        try body(&buffer, true)
        return summary
    }

    /// The analyzer's loop: tokens go to `buffer`; `inPieces`: whenever `pieceTokens` tokens are
    /// waiting, they are moved into `buffer` and `piece` is called. (Inlined into both callers, so
    /// that with `inPieces` false the check is compiled out of the per-character loop.)
    @inline(__always)
    private func scan(utf8 input: UnsafeBufferPointer<UInt8>, into buffer: inout TokenBuffer, firstPosition: Int,
                      inPieces: Bool, pieceTokens: Int,
                      _ piece: (inout TokenBuffer) throws -> Void) rethrows -> AnalysisSummary {
        let scratch = buffer.takeScratch()
        var scanner = TokenScanner(input: input, firstPosition: firstPosition,
                                   joinsSoftLineBreaks: configuration.joinsSoftLineBreaks, folding: folding,
                                   scratch: scratch)
        var invalid = 0
        let table = self.table
        let n = input.count
        if n > 0 {
            var segment: [UInt32] = []     // a normalization segment, rarely used
            var i = 0
            var (c, length) = UTF8Scanning.decode(input, at: 0)
            var flags = table.flags(c)     // one look-up per character: carried over as `nextFlags`
            while i < n {
                var j = i + length
                var next: UInt32 = 0
                var nextLength = 0
                var nextFlags: UInt8 = 0
                if j < n {
                    (next, nextLength) = UTF8Scanning.decode(input, at: j)
                    nextFlags = table.flags(next)
                }
                if c == CharacterTable.invalid {
                    invalid += 1
                    c = 0xFFFD
                    flags = table.flags(c)
                }
                if nextFlags & CharacterClass.noBoundaryBefore != 0 {
                    // A base followed by characters that may combine with it: hand the whole
                    // segment to ICU; its output keeps the segment's byte range.
                    segment.removeAll(keepingCapacity: true)
                    segment.append(c)
                    repeat {
                        segment.append(next)
                        j += nextLength
                        nextFlags = 0
                        if j < n {
                            (next, nextLength) = UTF8Scanning.decode(input, at: j)
                            nextFlags = table.flags(next)
                        }
                    } while nextFlags & CharacterClass.noBoundaryBefore != 0 && segment.count < Self.maxSegmentLength
                    for normalized in Self.normalize(segment) {
                        scanner.feed(normalized, table.characterClass(normalized), i, j, verbatim: false)
                    }
                } else if flags & CharacterClass.mapped == 0 {
                    scanner.feed(c, flags & CharacterClass.mask, i, j, verbatim: true)
                } else if c < 0x80 {
                    scanner.feed(c | 0x20, CharacterClass.letter, i, j, verbatim: false)   // A-Z
                } else {
                    for normalized in table.mapping(c) {
                        scanner.feed(normalized, table.characterClass(normalized), i, j, verbatim: false)
                    }
                }
                i = j
                c = next
                flags = nextFlags
                length = nextLength
                if inPieces && scanner.waitingTokenCount >= pieceTokens {
                    scanner.moveWaitingTokens(into: &buffer)
                    try piece(&buffer)
                }
            }
        }
        scanner.finish(&buffer, returningScratchTo: scratch)
        return AnalysisSummary(tokenCount: scanner.tokenCount, invalidSequences: invalid,
                               nextPosition: scanner.nextFieldPosition)
    }

    /// The most characters handed to ICU as one normalization segment. A longer run of combining
    /// marks is cut into segments of this length, as the Stream-Safe Text Format (UAX #15) cuts
    /// after 30 non-starters: ICU reorders a segment's marks by insertion, quadratic in its length
    /// (160,000 alternating marks took 39 s), so each cut segment costs at most a constant.
    static let maxSegmentLength = 32

    /// NFKC_Casefold of a normalization segment through ICU.
    private static func normalize(_ segment: [UInt32]) -> [UInt32] {
        var capacity = segment.count * 3 + 8
        while true {
            var output = [UInt32](repeating: 0, count: capacity)
            let count = segment.withUnsafeBufferPointer { source in
                output.withUnsafeMutableBufferPointer { target in
                    sou_nfkc_casefold(source.baseAddress, Int32(source.count), target.baseAddress, Int32(target.count))
                }
            }
            if count < 0 { return segment }     // ICU failed: keep the text as it is
            if Int(count) <= capacity {
                output.removeLast(capacity - Int(count))
                return output
            }
            capacity = Int(count)
        }
    }
}
