/// Constants of the index file layout (FORMAT.md is the specification; keep them in step).
enum FileLayout {
    /// "SOUINDEX": the first 8 bytes of every index file.
    static let headerMagic: [UInt8] = Array("SOUINDEX".utf8)
    /// "XEDNIUOS": the last 8 bytes of every index file.
    static let trailerMagic: [UInt8] = Array("XEDNIUOS".utf8)
    /// The format version this code writes and reads (1: varint postings and position tails,
    /// never released; 2: Rice-coded postings blocks and position tails; 3: bit-packed document
    /// records, numbered keys left out; 4: one file of segments and commit records, each segment
    /// laid out as a version-3 file was plus a Source field in document records and the KeyOrder
    /// section; 5: first positions and inline position gaps coded with parameters derived per
    /// document, character-delta dictionary entries in one byte for small distances; 6: the
    /// TermFilter section of the segments updates add; 7: no run-end unigrams, the BigramEnds
    /// section instead; 8: a source table starts with its kind, and may be a table of changes to
    /// an earlier full one).
    static let formatVersion: UInt32 = 8
    static let headerSize = 64
    static let sectionEntrySize = 24
    static let trailerSize = 24
    static let maxSections = 32

    /// Header field offsets.
    enum Header {
        static let version = 8, analyzerFlags = 12, rulesVersion = 16, indexFlags = 18
        static let documentCount = 24, totalDocumentLength = 32, termCount = 40
        static let postingCount = 48, positionCount = 56
    }

    /// Bit 0 of the header's index flags: the stored-text section is present.
    static let flagStoresText: UInt16 = 1

    /// The longest term written, in UTF-8 bytes (Lucene's limit). A longer token (a "word" of
    /// thousands of letters without a break) is not indexed: the writer counts it and leaves its
    /// slot empty. Readers accept terms up to 1 MiB.
    static let maxTermBytes = 32_766

    /// How a segment's dictionary is laid out, by the segment's role (FORMAT.md "Terms" and
    /// "TermFilter"). Readers take any block size from 1 to 4,096 and a filter or none.
    struct DictionaryLayout: Equatable, Sendable {
        /// Terms per dictionary block.
        var termsPerBlock: Int
        /// Whether the segment has a TermFilter section.
        var hasTermFilter: Bool

        /// An index's base: a build's segments and a merge that takes in a base segment or
        /// leaves one segment. A look-up scans one block entry by entry, once per segment of an
        /// index: 32 keeps a search over many segments cheap for 1–4% more dictionary bytes
        /// than 128.
        static let base = DictionaryLayout(termsPerBlock: 32, hasTermFilter: false)
        /// A segment an update adds beside others (and a merge of some of them only): every
        /// query term is looked up in every segment, so these small, many and short-lived
        /// segments scan a quarter as far per look-up (9–17% more dictionary bytes) and answer
        /// most look-ups of terms they lack from their term filter (~1.25 bytes a term).
        static let update = DictionaryLayout(termsPerBlock: 8, hasTermFilter: true)
    }
    /// Dictionary block index entry: 8 key-prefix bytes + u32 block offset.
    static let blockIndexEntrySize = 12
    /// Position gaps per positions block.
    static let positionsPerBlock = 128

    /// A term's position gaps are stored inline, at the end of its only postings block, when it
    /// is in at most 128 documents and has fewer than 128 gaps.
    @inline(__always)
    static func gapsAreInline(documentFrequency df: Int, totalFrequency ttf: Int) -> Bool {
        df <= docsPerBlock && ttf - df < positionsPerBlock
    }
    /// Documents per postings block (one skip entry each).
    static let docsPerBlock = 128
    /// Documents section header: u64 document count, u64 total length, u8 key mode, six u8
    /// field widths, u8 reserved; bit-packed records follow.
    static let documentsHeaderSize = 24
    /// Fields of a document record, in record order (FORMAT.md "Documents").
    enum DocumentField: Int, CaseIterable {
        case length = 0, slotCount, keyLength, titleLength, stringsOffset, source
    }
    /// Bits of a document id in the KeyOrder section: the bit length of documentCount − 1.
    static func keyOrderWidth(documentCount n: Int) -> Int {
        n <= 1 ? 0 : 64 - UInt64(n - 1).leadingZeroBitCount
    }
    /// Stored-text block table entry: u32 first doc, u32 doc count, u64 offset, u32 compressed, u32 raw.
    static let storedBlockEntrySize = 24
    /// A stored-text block is closed once its raw text reaches this many bytes (part of the
    /// format: it decides the bytes written; FORMAT.md, StoredText, gives the figures for 64, 32,
    /// 16 and 8 KiB).
    static let storedBlockTarget = 16 * 1024
    /// The most raw bytes of one stored-text block a reader takes (a larger RawLength is refused
    /// as damage before anything is allocated for it).
    static let maxStoredBlockBytes = 1 << 30
    /// Deflate level of stored-text blocks, libdeflate's (zlib's for a block over 1 MiB: see
    /// ``Deflate``); it decides the bytes written, which any inflater reads.
    static let storedCompressionLevel: Int32 = 4
}

/// One entry of a segment's section table: the section's kind, its bytes in the file and their
/// CRC-32C. (A struct, not a tuple: the first array of a tuple holding a `Range<Int>` makes the
/// runtime build the tuple's metadata from its mangled name, which checks `Int: Comparable` by a
/// scan of the binary's ~3,900 protocol conformance records, ~190,000 instructions at every
/// open or write of an index; a struct's metadata is static.)
struct SectionEntry: Sendable {
    var kind: SectionKind
    var range: Range<Int>
    var crc: UInt32
}

/// The sections of an index file, by their id in the section table.
public enum SectionKind: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    /// Sorted term dictionary with its block index.
    case terms = 1
    /// Per-term document ids and frequencies (with skip entries).
    case postings = 2
    /// Per-term positions (patched frame-of-reference blocks).
    case positions = 3
    /// Document table: keys, titles, lengths.
    case documents = 4
    /// Compressed stored text (absent with `--no-store`).
    case storedText = 5
    /// Document ids sorted by key (bytewise), for key lookups.
    case keyOrder = 6
    /// A Bloom filter of the terms (only in segments updates add, ``FileLayout/DictionaryLayout``).
    case termFilter = 7
    /// The bigrams that end a CJK run, by their second character.
    case bigramEnds = 8

    /// The section's name as printed by `sou stats` and in error messages.
    public var description: String {
        switch self {
        case .terms: "terms"
        case .postings: "postings"
        case .positions: "positions"
        case .documents: "documents"
        case .storedText: "stored-text"
        case .keyOrder: "key-order"
        case .termFilter: "term-filter"
        case .bigramEnds: "bigram-ends"
        }
    }
}
