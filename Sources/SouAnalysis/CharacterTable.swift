import CICUShim

/// What the analyzer makes of one character (the low four bits of a ``CharacterTable`` byte).
///
/// Derived from ICU's character properties (Script, Script_Extensions, General_Category,
/// White_Space, Word_Break) by the C shim; applied to NFKC_Casefold-normalized text.
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
    /// Flag: the byte has been derived (``CharacterTable`` bytes are 0 until then).
    static let derived: UInt8 = UInt8(SOU_FLAG_DERIVED)
}

/// Per-code-point facts read from ICU: class and normalization flags of every code point, and
/// the NFKC_Casefold mapping of every character that normalization changes.
///
/// Derived lazily (`SouCharTable` in the C shim): the class of a code point the first time it is
/// looked up, the normalization flags and mappings of its page of 256 code points with it (a
/// cheap inert test each). A process pays only for the characters its text holds instead of
/// ~700 million instructions of ICU look-ups for all 0x110000 code points at every start; the
/// ten hits a search prints touched ~75 pages but only ~2,000 distinct characters (page at a
/// time, the classes cost 4.5 M instructions, a tenth of the search). Every entry equals what
/// `sou_char_classes` (the per-code-point reference, kept for the tests) computes.
///
/// Shared by all analyzers (``shared``), safe to use from any thread: a derived entry never
/// changes, entries are derived under a lock and read with atomic loads.
final class CharacterTable: @unchecked Sendable {
    /// The code point the UTF-8 decoder returns for an invalid sequence; its class is `other`.
    static let invalid: UInt32 = 0x110000

    /// The C table: owned, closed by `deinit`.
    let handle: OpaquePointer
    /// Its class bytes, `SOU_CHAR_TABLE_SIZE` of them (0x10FFFF code points and ``invalid``);
    /// read with `sou_char_table_load` only.
    private let bytes: UnsafePointer<UInt8>
    /// Its mapping chunks, one per page (read with `sou_char_table_mapping` only).
    private let chunks: UnsafePointer<UnsafeMutablePointer<UInt32>?>

    /// The table of the process, created on first use: read from the character data file when
    /// one is configured (``CharacterDataFile``; written first when it is missing or does not
    /// check, and the folder takes it), otherwise derived from ICU as text needs it.
    static let shared = Result { () throws(AnalyzerError) -> CharacterTable in
        if let (path, writable) = CharacterDataFile.configured,
           let table = CharacterTable(file: path) ?? (writable && sou_char_cache_write(path) == 0 ? CharacterTable(file: path) : nil) {
            // the shared table lives as long as the process: its file can answer widths too
            sou_display_width_use(table.handle)
            return table
        }
        return try CharacterTable()
    }

    /// A new, empty table (tests use their own; the analyzer uses ``shared``).
    init() throws(AnalyzerError) {
        var error: Int32 = 0
        guard let handle = sou_char_table_open(&error) else {
            throw AnalyzerError.icu("cannot read ICU character properties (error \(error))")
        }
        self.handle = handle
        self.bytes = sou_char_table_classes(handle)
        self.chunks = sou_char_table_chunks(handle)
    }

    /// A table read from the character data file at `path` (no ICU call unless a page of the
    /// file fails its check); nil when the file is missing or does not check.
    init?(file path: String) {
        guard let handle = sou_char_table_open_file(path) else { return nil }
        self.handle = handle
        self.bytes = sou_char_table_classes(handle)
        self.chunks = sou_char_table_chunks(handle)
    }

    /// The display width of `c` from this table's character data file (nil for a table derived
    /// from ICU, or an entry that does not check).
    func fileWidth(_ c: UInt32) -> Int? {
        let w = sou_char_table_width(handle, c)
        return w >= 0 ? Int(w) : nil
    }

    deinit { sou_char_table_close(handle) }

    /// The class byte of `c` (class in the low four bits, then the `mapped`,
    /// `noBoundaryBefore` and derived flags), deriving it on first use.
    ///
    /// `c` must be at most ``invalid``: the UTF-8 decoder yields nothing larger, nor does ICU.
    @inline(__always)
    func flags(_ c: UInt32) -> UInt8 {
        assert(c <= Self.invalid)
        let value = sou_char_table_load(bytes, c)
        return value != 0 ? value : derive(c)
    }

    @inline(never)
    private func derive(_ c: UInt32) -> UInt8 {
        let value = sou_char_table_derive(handle, c)
        // U+0000...U+00FF were derived when the table was opened, so ICU answers; failing later means
        // ICU could not allocate memory, where Swift itself traps too.
        guard value != 0 else { fatalError("ICU failed to derive the character data of U+\(String(c, radix: 16, uppercase: true))") }
        return value
    }

    /// The class of code point `c` (``invalid`` included).
    func characterClass(_ c: UInt32) -> UInt8 { flags(c) & CharacterClass.mask }

    /// The NFKC_Casefold mapping of `c`, a character whose ``flags(_:)`` have `mapped` (empty
    /// for others). Valid as long as the table lives.
    @inline(__always)
    func mapping(_ c: UInt32) -> UnsafeBufferPointer<UInt32> {
        var count: Int32 = 0
        let start = sou_char_table_mapping(chunks, c, &count)
        return UnsafeBufferPointer(start: start, count: Int(count))
    }
}

/// Why an analyzer could not be created.
public enum AnalyzerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// ICU failed to provide data the analyzer needs (character properties, normalization,
    /// the `Traditional-Simplified` transliterator).
    case icu(String)
    /// A text that does not fit the 32-bit slots, byte offsets and term offsets of a
    /// ``TokenBuffer``: a `firstPosition` outside 0...``Analyzer/maxPosition``, slots beyond it,
    /// an input longer than ``Analyzer/maxInputBytes``, or term bytes beyond 2 GiB in one buffer.
    /// What does not fit, and by how much.
    case capacity(String)

    /// A one-line message.
    public var description: String {
        switch self {
        case .icu(let message): return "ICU: \(message)"
        case .capacity(let message): return message
        }
    }
}

/// The character data file: every entry of the character table (classes, normalization flags and
/// mappings) and the display widths, derived from ICU once and saved, so that a process reads
/// what it needs from the file instead of asking ICU for each character (and a search of
/// CJK text does not load ICU at all). The file is keyed by the ICU version Sou was compiled
/// against and by the derivation rules (`characters-icu72.1-1.bin`); another version's file is
/// not read. Damaged or foreign files are ignored (and rewritten); nothing is ever answered from
/// a file that does not check. The CLI keeps it in its cache folder; library callers may set it
/// with ``use(folder:)`` before their first analysis.
public enum CharacterDataFile {
    /// The file's name, for this build's ICU version and derivation rules.
    public static var fileName: String { "characters-icu\(icuVersion)-\(SOU_CHAR_DERIVATION).bin" }

    /// Reads the character data file in `folder`, and when `writing`, writes it first when it
    /// is missing or does not check (creating the folder): takes effect for the process's
    /// character table if it is not created yet.
    public static func use(folder: String, writing: Bool = true) {
        sou_char_data_file_set(folder.hasSuffix("/") ? folder + fileName : folder + "/" + fileName, writing ? 1 : 0)
    }

    /// The configured file's path, if any.
    public static var path: String? { configured?.path }

    /// The configured file's path and whether it may be written.
    static var configured: (path: String, writable: Bool)? {
        var buffer = [CChar](repeating: 0, count: 4096)
        var writable: Int32 = 0
        let length = sou_char_data_file(&buffer, buffer.count, &writable)
        guard length > 0 else { return nil }
        return (String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self), writable != 0)
    }

    /// The ICU version of the headers Sou was compiled against ("72.1").
    static var icuVersion: String { String(cString: sou_icu_header_version()) }
}
