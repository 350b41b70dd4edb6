/// What kind of text a token stands for.
public enum TokenKind: UInt8, Sendable, CaseIterable, Codable, BitwiseCopyable {
    /// Two adjacent characters of a CJK run (集体协商 → 集体, 体协, 协商). A run is a maximal
    /// sequence of Han, Hiragana, Katakana and Hangul characters, continued across soft line
    /// breaks between Han/Kana characters.
    case bigram = 0
    /// A CJK run of exactly one character (the index writer also adds one at each longer run's end).
    case unigram = 1
    /// A word of a non-CJK script (UAX #29 / ICU word-break rules) with at least one letter,
    /// casefolded: "iphone", "don't", "foo_bar", "com2023".
    case word = 2
    /// A word without letters: "2460", "6.84", "2,460", "1.2.3".
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
/// of a run's last character carries no token from the analyzer (the index lists the bigrams
/// that end runs by their second character, so that single-character queries are exact: FORMAT.md
/// "BigramEnds"). Anything but plain whitespace
/// between two tokens (punctuation, symbols, emoji, invalid UTF-8, a field change) leaves one
/// empty slot, so that a phrase can never match across it; several such characters in a row
/// still leave one. Characters NFKC_Casefold removes (soft hyphen, zero-width space, variation
/// selectors) are not separators at all.
///
/// "集体协商 abc。x" → 集体@0 体协@1 协商@2 (slot 3: run end 商), abc@4, (slot 5: 。) x@6.
public struct Token: Sendable, Hashable {
    /// The normalized text (NFKC_Casefold).
    public var term: String
    /// The slot of the token's first character (see the type's documentation).
    public var position: Int
    /// Byte range of the token in the original (un-normalized) UTF-8 input: from its first
    /// character's first byte to its last character's last byte, line breaks inside a joined
    /// bigram included. A character that NFKC_Casefold composed from several (e + U+0301 → é,
    /// ｶ + ﾞ → ガ) covers the bytes of all of them.
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
