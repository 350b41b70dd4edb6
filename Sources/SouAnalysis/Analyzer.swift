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

    /// The largest slot a text may take (a token's, or a CJK run's last character's): slots are
    /// 32-bit in a ``TokenBuffer`` and in an index, and so is a text's slot count, one more than
    /// its last slot. A call whose `firstPosition` is outside `0...maxPosition`, or whose text
    /// would take a slot beyond it, throws ``AnalyzerError/capacity(_:)``.
    public static let maxPosition = Int(Int32.max) - 1
    /// The most bytes one call analyzes (byte offsets are 32-bit); a longer input throws
    /// ``AnalyzerError/capacity(_:)``. (An index takes texts of at most 1023 MiB.)
    public static let maxInputBytes = Int(Int32.max)

    /// Analyzes `text` into an array of tokens (convenient; allocates per token). Throws
    /// ``AnalyzerError/capacity(_:)`` as ``analyze(utf8:into:firstPosition:)``.
    public func analyze(_ text: String, firstPosition: Int = 0) throws(AnalyzerError) -> [Token] {
        var buffer = TokenBuffer()
        let utf8 = Array(text.utf8)
        // (a closure that throws no error: one typed `throws(AnalyzerError)` made
        // withUnsafeBufferPointer look its generic metadata up at every call, ~470,000
        // instructions over a 200-query batch)
        var failure: AnalyzerError? = nil
        utf8.withUnsafeBufferPointer { input in
            do throws(AnalyzerError) { _ = try analyze(utf8: input, into: &buffer, firstPosition: firstPosition) } catch { failure = error }
        }
        if let failure { throw failure }
        return buffer.tokens
    }

    /// Analyzes UTF-8 bytes, appending tokens to `buffer`. Positions start at `firstPosition`.
    ///
    /// Byte ranges are offsets into `input`. Nothing is allocated per token once `buffer` has
    /// grown (reuse it across calls with ``TokenBuffer/removeAll()``).
    ///
    /// Throws ``AnalyzerError/capacity(_:)``, appending nothing, when the tokens would not fit
    /// `buffer`'s 32-bit numbers: `firstPosition` outside `0...`````maxPosition``, a text taking
    /// slots beyond ``maxPosition`` (about 2^31 characters or words from `firstPosition`), an
    /// input longer than ``maxInputBytes``, or term bytes past 2 GiB in `buffer`. (Checked once
    /// per call: slots only grow, so the last one tells.)
    /// - Complexity: O(n) in the length of `input`.
    public func analyze(utf8 input: UnsafeBufferPointer<UInt8>, into buffer: inout TokenBuffer,
                        firstPosition: Int = 0) throws(AnalyzerError) -> AnalysisSummary {
        try Self.checkCall(inputBytes: input.count, firstPosition: firstPosition)
        var failure: AnalyzerError? = nil
        let summary = scan(utf8: input, into: &buffer, firstPosition: firstPosition, inPieces: false, pieceTokens: 0,
                           failure: &failure) { _ in }
        if let failure { throw failure }
        return summary
    }

    /// Analyzes UTF-8 bytes in pieces, so that memory stays bounded whatever the length of
    /// `input`: `body` is called each time about `pieceTokens` tokens have been emitted, and once
    /// at the end, with `buffer` holding the tokens since the previous call (the buffer is
    /// emptied before each piece; its scratch memory is reused). The tokens, taken piece after
    /// piece, are exactly those ``analyze(utf8:into:firstPosition:)`` emits: the same terms,
    /// positions, byte ranges and kinds. `isLast` is true for the last call, which may hold no token.
    ///
    /// Memory: one piece of tokens, plus the word being built (a word is not cut).
    ///
    /// Throws what `body` throws, and ``AnalyzerError/capacity(_:)`` as
    /// ``analyze(utf8:into:firstPosition:)`` does: before any piece when `firstPosition` or the
    /// input's length is out of range; for slots beyond ``maxPosition``, at the first piece that
    /// would hold one (that piece and those after it are not handed over; the error names the byte
    /// up to which tokens were).
    /// - Complexity: O(n) in the length of `input`.
    public func analyze(utf8 input: UnsafeBufferPointer<UInt8>, into buffer: inout TokenBuffer, firstPosition: Int = 0,
                        pieceTokens: Int,
                        _ body: (_ buffer: inout TokenBuffer, _ isLast: Bool) throws -> Void) throws -> AnalysisSummary {
        buffer.removeAll()
        try Self.checkCall(inputBytes: input.count, firstPosition: firstPosition)
        var failure: AnalyzerError? = nil
        let summary = try scan(utf8: input, into: &buffer, firstPosition: firstPosition, inPieces: true,
                               pieceTokens: max(1, pieceTokens), failure: &failure) {
            try body(&$0, false)
            $0.removeAll()
        }
        if let failure { throw failure }
        try body(&buffer, true)
        return summary
    }

    /// Throws ``AnalyzerError/capacity(_:)`` for a call whose numbers cannot fit: `firstPosition`
    /// outside `0...maxPosition`, an input longer than ``maxInputBytes``. (With both in range,
    /// no arithmetic of the scan can overflow an `Int`.)
    private static func checkCall(inputBytes: Int, firstPosition: Int) throws(AnalyzerError) {
        guard firstPosition >= 0, firstPosition <= maxPosition else {
            throw .capacity("firstPosition \(firstPosition) is outside 0...\(maxPosition) (Analyzer.maxPosition): slots are 32-bit")
        }
        guard inputBytes <= maxInputBytes else {
            throw .capacity("an input of \(inputBytes) bytes is longer than the \(maxInputBytes) (Analyzer.maxInputBytes) one call takes: byte offsets are 32-bit")
        }
    }

    /// The error for tokens that do not fit a buffer whose term bytes already hold `termBase`:
    /// slots up to `slotsEnd - 1` from `firstPosition`, `termBytes` more term bytes. `delivered`:
    /// the byte up to which tokens were handed over (analysis in pieces).
    private static func capacityError(firstPosition: Int, slotsEnd: Int, termBase: Int, termBytes: Int,
                                      delivered: Int?) -> AnalyzerError {
        var message = slotsEnd > maxPosition + 1
            ? "the text takes slots \(firstPosition)...\(slotsEnd - 1), beyond \(maxPosition) (Analyzer.maxPosition): slots are 32-bit"
            : "the tokens' terms would take \(termBase + termBytes) bytes in the buffer, more than \(Int32.max): term offsets are 32-bit"
        if let delivered { message += "; the tokens up to byte \(delivered) were handed over" }
        return .capacity(message)
    }

    /// The analyzer's loop: tokens go to `buffer`; `inPieces`: whenever `pieceTokens` tokens are
    /// waiting, they are moved into `buffer` and `piece` is called. (Inlined into both callers, so
    /// that with `inPieces` false the check is compiled out of the per-character loop.) Tokens
    /// that do not fit `buffer` set `failure` instead, once per call or per piece (the checks
    /// ``checkCall(inputBytes:firstPosition:)`` made bound everything else): the slots taken only
    /// grow, so the last one tells.
    @inline(__always)
    private func scan(utf8 input: UnsafeBufferPointer<UInt8>, into buffer: inout TokenBuffer, firstPosition: Int,
                      inPieces: Bool, pieceTokens: Int, failure: inout AnalyzerError?,
                      _ piece: (inout TokenBuffer) throws -> Void) rethrows -> AnalysisSummary {
        let scratch = buffer.takeScratch()
        var delivered = 0       // the end of the last token handed over (in pieces)
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
                // the base's bytes are the character itself (verbatim) unless characters it
                // absorbs follow (a normalization segment)
                var verbatim = true
                var normalizedByICU = false
                if nextFlags & CharacterClass.noBoundaryBefore != 0 {
                    // A base followed by characters that may combine with it: hand the whole
                    // segment to ICU; its output keeps the segment's byte range.
                    segment.removeAll(keepingCapacity: true)
                    segment.append(c)
                    var onlyRemoved = true   // every character after the base is one NFKC_Casefold removes
                    repeat {
                        segment.append(next)
                        if onlyRemoved, !Self.isRemoved(next, flags: nextFlags, table) { onlyRemoved = false }
                        j += nextLength
                        nextFlags = 0
                        if j < n {
                            (next, nextLength) = UTF8Scanning.decode(input, at: j)
                            nextFlags = table.flags(next)
                        }
                    } while nextFlags & CharacterClass.noBoundaryBefore != 0 && segment.count < Self.maxSegmentLength
                    verbatim = false
                    if !onlyRemoved {
                        normalizedByICU = true
                        for normalized in Self.normalize(segment) {
                            scanner.feed(normalized, table.characterClass(normalized), i, j, verbatim: false)
                        }
                    }
                    // else: a base followed only by characters that NFKC_Casefold maps to nothing
                    // (soft hyphens, zero-width spaces and joiners, variation selectors): the
                    // segment's normalization is the base's alone, below. NFKC_Casefold maps each
                    // character, then composes (NFC), and a removed character adds nothing to
                    // compose with, so ICU would return the table's mapping of the base. No call
                    // of ICU (loading it costs ~1 ms, and groff's man pages hold soft hyphens).
                }
                if normalizedByICU {
                    // (fed above)
                } else if flags & CharacterClass.mapped == 0 {
                    scanner.feed(c, flags & CharacterClass.mask, i, j, verbatim: verbatim)
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
                    guard scanner.fits(termBase: 0) else {
                        failure = Self.capacityError(firstPosition: firstPosition, slotsEnd: scanner.takenSlotsEnd,
                                                     termBase: 0, termBytes: scanner.termBytes, delivered: delivered)
                        scanner.discard(returningScratchTo: scratch)
                        return AnalysisSummary(tokenCount: 0, invalidSequences: 0, nextPosition: firstPosition)
                    }
                    scanner.moveWaitingTokens(into: &buffer)
                    delivered = buffer.byteRange(buffer.count - 1).upperBound
                    try piece(&buffer)
                }
            }
        }
        scanner.endInput()
        let termBase = buffer.termBytes.count
        guard scanner.fits(termBase: termBase) else {
            failure = Self.capacityError(firstPosition: firstPosition, slotsEnd: scanner.takenSlotsEnd, termBase: termBase,
                                         termBytes: scanner.termBytes, delivered: inPieces ? delivered : nil)
            scanner.discard(returningScratchTo: scratch)
            return AnalysisSummary(tokenCount: 0, invalidSequences: 0, nextPosition: firstPosition)
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

    /// Whether NFKC_Casefold maps `c` (with table flags `flags`) to nothing: a mapped character
    /// whose mapping is empty (Default_Ignorable characters such as U+00AD, U+200B, U+FE0F).
    @inline(__always)
    private static func isRemoved(_ c: UInt32, flags: UInt8, _ table: CharacterTable) -> Bool {
        flags & CharacterClass.mapped != 0 && c >= 0x80 && table.mapping(c).isEmpty
    }

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
