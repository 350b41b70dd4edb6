import CICUShim

/// What the analyzer makes of one character (the low four bits of a ``CharacterTable`` byte).
///
/// Derived once from ICU's character properties (Script, Script_Extensions, General_Category,
/// White_Space, Word_Break) by `sou_char_classes`; applied to NFKC_Casefold-normalized text.
enum CharacterClass {
    /// Punctuation, symbols (emoji included), controls, unassigned: emits nothing, leaves a gap.
    static let other: UInt8 = UInt8(SOU_CLASS_OTHER)
    /// White space other than line breaks: separates, no gap.
    static let space: UInt8 = UInt8(SOU_CLASS_SPACE)
    /// `\n` or `\r`: separates, no gap; a soft line break between Han/Kana.
    static let newline: UInt8 = UInt8(SOU_CLASS_NEWLINE)
    /// Han (incl. 々 and supplementary-plane ideographs), Hiragana, Katakana (incl. ー).
    static let hanKana: UInt8 = UInt8(SOU_CLASS_HANKANA)
    /// Hangul syllables and jamo.
    static let hangul: UInt8 = UInt8(SOU_CLASS_HANGUL)
    /// Letters of other scripts (Word_Break ALetter / Hebrew_Letter, any other letter).
    static let letter: UInt8 = UInt8(SOU_CLASS_LETTER)
    /// Digits (Word_Break Numeric).
    static let digit: UInt8 = UInt8(SOU_CLASS_DIGIT)
    /// Combining marks (Word_Break Extend, Mn/Mc): part of the word they follow.
    static let mark: UInt8 = UInt8(SOU_CLASS_MARK)
    /// Other Extend / Format / ZWJ characters: transparent.
    static let ignorable: UInt8 = UInt8(SOU_CLASS_IGNORABLE)
    /// Word_Break MidLetter (`·`; not `:`, as in ICU's root rules): joins letters.
    static let midLetter: UInt8 = UInt8(SOU_CLASS_MIDLETTER)
    /// Word_Break MidNum (`,` `;`): joins digits.
    static let midNum: UInt8 = UInt8(SOU_CLASS_MIDNUM)
    /// Word_Break MidNumLet and Single_Quote (`.` `'` `’`): joins letters or digits.
    static let midNumLet: UInt8 = UInt8(SOU_CLASS_MIDNUMLET)
    /// Word_Break ExtendNumLet (`_`): joins anything word-like.
    static let extendNumLet: UInt8 = UInt8(SOU_CLASS_EXTENDNUMLET)

    /// Mask of the class bits in a table byte.
    static let mask: UInt8 = 0x0F
    /// Flag: NFKC_Casefold changes the character (taken alone).
    static let mapped: UInt8 = UInt8(SOU_FLAG_MAPPED)
    /// Flag: the character may combine with the one before it under NFKC_Casefold.
    static let noBoundaryBefore: UInt8 = UInt8(SOU_FLAG_NO_BOUNDARY_BEFORE)
}

/// Per-code-point facts read once from ICU: class and normalization flags of every code point,
/// and the NFKC_Casefold mapping of every character that normalization changes.
///
/// Immutable after construction, shared by all analyzers (``shared``), safe to read from any
/// thread.
final class CharacterTable: Sendable {
    /// The code point the UTF-8 decoder returns for an invalid sequence; its class is `other`.
    static let invalid: UInt32 = 0x110000

    /// Class byte of each code point `0...0x10FFFF`, plus one for ``invalid``.
    let classes: [UInt8]
    /// NFKC_Casefold mapping of BMP characters flagged `mapped`: `(poolOffset + 1) << 5 | count`.
    let bmpMappings: [UInt32]
    /// The same for supplementary-plane characters.
    let supplementaryMappings: [UInt32: UInt32]
    /// The code points of all mappings, back to back.
    let mappingPool: [UInt32]

    /// The table, built on first use (about 50 ms of ICU property look-ups).
    static let shared = Result { () throws(AnalyzerError) -> CharacterTable in try CharacterTable() }

    private init() throws(AnalyzerError) {
        var classes = [UInt8](repeating: CharacterClass.other, count: 0x110001)
        let status = classes.withUnsafeMutableBufferPointer { sou_char_classes($0.baseAddress, 0x110000) }
        guard status == 0 else { throw AnalyzerError.icu("cannot read ICU character properties (error \(status))") }
        var bmp = [UInt32](repeating: 0, count: 0x10000)
        var supplementary: [UInt32: UInt32] = [:]
        var pool: [UInt32] = []
        var output = [UInt32](repeating: 0, count: 32)
        for c in 0..<UInt32(0x110000) where classes[Int(c)] & CharacterClass.mapped != 0 {
            var input = c
            let count = output.withUnsafeMutableBufferPointer { sou_nfkc_casefold(&input, 1, $0.baseAddress, 32) }
            guard count >= 0, count < 32 else {
                throw AnalyzerError.icu("cannot normalize U+\(String(c, radix: 16, uppercase: true))")
            }
            let entry = UInt32(pool.count + 1) << 5 | UInt32(count)
            pool.append(contentsOf: output[0..<Int(count)])
            if c < 0x10000 { bmp[Int(c)] = entry } else { supplementary[c] = entry }
        }
        self.classes = classes
        self.bmpMappings = bmp
        self.supplementaryMappings = supplementary
        self.mappingPool = pool
    }

    /// The class of code point `c` (``invalid`` included).
    func characterClass(_ c: UInt32) -> UInt8 { classes[Int(c)] & CharacterClass.mask }

    /// Where the NFKC_Casefold mapping of `c` lies in ``mappingPool`` (only for `mapped` characters).
    @inline(__always)
    func mapping(_ c: UInt32) -> Range<Int> {
        let entry = c < 0x10000 ? bmpMappings[Int(c)] : (supplementaryMappings[c] ?? 0)
        guard entry != 0 else { return 0..<0 }
        let start = Int(entry >> 5) - 1
        return start..<(start + Int(entry & 31))
    }
}

/// Why an analyzer could not be created.
public enum AnalyzerError: Error, Sendable, CustomStringConvertible {
    /// ICU failed to provide data the analyzer needs (character properties, normalization,
    /// the `Traditional-Simplified` transliterator).
    case icu(String)

    /// A one-line message.
    public var description: String {
        switch self {
        case .icu(let message): return "ICU: \(message)"
        }
    }
}
