/// What kind of text a token stands for.
public enum TokenKind: UInt8, Sendable, CaseIterable, Codable {
    /// Two adjacent characters of a CJK run (集体协商 → 集体, 体协, 协商).
    case bigram = 0
    /// A CJK run of exactly one character.
    case unigram = 1
    /// A word of a non-CJK script (ICU word-break rules), casefolded.
    case word = 2
    /// A number ("2460", "6.84").
    case number = 3
}

extension TokenKind: CustomStringConvertible {
    /// "bigram", "unigram", "word" or "number".
    public var description: String {
        switch self {
        case .bigram: "bigram"
        case .unigram: "unigram"
        case .word: "word"
        case .number: "number"
        }
    }
}

/// One token of analyzed text.
///
/// Positions count *slots*: a word or number takes one slot; a CJK run of `n` characters takes
/// `n` slots (one per character), its bigram `i` standing at the run's first slot + `i`. The slot
/// of a run's last character carries no token from the analyzer (the index writer puts a run-end
/// unigram there, so that single-character queries are exact). Anything but plain whitespace
/// between two tokens (punctuation, symbols, a field change) leaves one empty slot, so that a
/// phrase can never match across it.
public struct Token: Sendable, Hashable {
    /// The normalized text (NFKC_Casefold).
    public var term: String
    /// The slot of the token's first character (see the type's documentation).
    public var position: Int
    /// Byte range of the token in the original (un-normalized) UTF-8 input.
    public var byteRange: Range<Int>
    /// What kind of text the token stands for.
    public var kind: TokenKind

    /// Creates a token.
    public init(term: String, position: Int, byteRange: Range<Int>, kind: TokenKind) {
        self.term = term
        self.position = position
        self.byteRange = byteRange
        self.kind = kind
    }
}
