import CSystemShim
import FoundationEssentials
import Glibc
import SouAnalysis

/// Errors from opening, checking or writing an index.
public enum IndexError: Error, Sendable, CustomStringConvertible {
    /// The file is damaged: `what` names the section and the problem.
    case corrupt(String)
    /// The commit record a valid header slot names is damaged: the record of commit
    /// `generation`, at byte `offset`, lies wholly inside the file (it was not cut off) yet does
    /// not decode (`what`: a checksum mismatch, bad magic, a field out of range, or not the
    /// generation and length its slot says). A record is synced before its slot is written, so
    /// this is damage, never a torn write: readers refuse the file rather than fall back to an
    /// older commit (which would silently undo the newer one), and writers refuse to build on it.
    case corruptCommit(generation: UInt64, offset: Int, what: String)
    /// The file was written by another format version (newer, or an older one this version no
    /// longer reads).
    case unsupportedVersion(found: Int, supported: Int)
    /// Not a Sou index at all (bad magic).
    case notAnIndex(String)
    /// Reading or writing the file failed.
    case io(String)
    /// The index was built by analysis rules this build of Sou does not apply (another
    /// ``AnalyzerConfiguration/rulesVersion`` or unknown configuration flags): its terms cannot be
    /// matched by this analyzer's queries, so it must be rebuilt.
    case incompatibleAnalyzer(String)
    /// Another writer holds the file's write lock (the message names it when it can).
    case locked(String)
    /// A ``TermInfo`` was used with a segment other than the one whose dictionary gave it.
    case foreignTerm(String)
    /// The file was built with other options than the ones asked for (analyzer flags, stored
    /// text): rebuild it to change them.
    case configurationMismatch(String)
    /// A limit of the format or of this build was reached (too many documents, a value too large).
    case capacity(String)
    /// A readable description.
    public var description: String {
        switch self {
        case .corrupt(let s): "corrupt index: \(s)"
        case .corruptCommit(let g, let offset, let what):
            "corrupt index: commit record of generation \(g) at byte \(offset) (named by the file header) is damaged: \(what)"
        case .unsupportedVersion(let f, let s) where f < s: "index format version \(f) is older than this sou reads (\(s)); rebuild the index"
        case .unsupportedVersion(let f, let s): "index format version \(f) is newer than this sou supports (\(s)); rebuild the index or upgrade sou"
        case .notAnIndex(let s): "not a Sou index: \(s)"
        case .io(let s): s
        case .incompatibleAnalyzer(let s): "incompatible index: \(s); rebuild the index"
        case .locked(let s): s
        case .foreignTerm(let s): s
        case .configurationMismatch(let s): s
        case .capacity(let s): s
        }
    }
}

/// A term to look up, prepared once for every segment of an index it is looked up in
/// (``SegmentReader/termInfo(_:)-(TermKey)``): its UTF-8 bytes, and the hash its term filters
/// are probed with.
public struct TermKey: Sendable {
    /// The term as a String (nil when made from bytes that are not UTF-8).
    public let term: String?
    /// Its UTF-8 bytes, as the dictionary compares them.
    public let bytes: [UInt8]
    /// ``TermFilter/hash(_:prefixKey:)`` of the bytes.
    let filterHash: UInt64
    /// ``TermDictionaryReader/prefix(of:)`` of the bytes (what the block index is searched by).
    let blockPrefix: UInt64

    public init(_ term: String) {
        self.init(bytes: Array(term.utf8), term: term)
    }

    public init(utf8 bytes: [UInt8]) {
        self.init(bytes: bytes, term: nil)
    }

    private init(bytes: [UInt8], term: String?) {
        self.term = term
        self.bytes = bytes
        filterHash = bytes.withUnsafeBytes { TermFilter.hash($0) }
        blockPrefix = TermDictionaryReader.prefix(of: bytes)
    }
}

/// A term of the dictionary with its statistics.
public struct TermInfo: Sendable, Hashable {
    /// The term (normalized text).
    public let term: String
    /// Number of documents containing the term.
    public let documentFrequency: Int
    /// Number of occurrences over all documents.
    public let totalTermFrequency: Int
    /// What kind of token the term is.
    public let kind: TokenKind
    /// Where the term's postings are, in the segment it came from.
    let location: Location
    /// The term's rank in its segment's dictionary (0 for the first term): what the BigramEnds
    /// section lists (``SegmentReader/endsRun(_:)``).
    let ordinal: Int
    /// The segment (``SegmentReader``) whose dictionary gave this entry: its location means nothing
    /// in any other, and ``SegmentReader/postings(_:)`` refuses it there.
    let segment: ObjectIdentifier
    /// Where a query's character stands relative to the term's positions: 1 for an entry of
    /// ``SegmentReader/bigramsEnding(with:)`` (the character is the bigram's second), else 0.
    public internal(set) var characterShift = 0

    /// Where a term's postings are in its segment.
    enum Location: Sendable, Hashable {
        /// A term in one document at one position: its posting lives in its dictionary entry.
        case singleton(document: Int, position: Int)
        /// Offsets of its postings and position gaps in the Postings and Positions sections.
        case postings(offset: Int, positionsOffset: Int)
    }
}

/// An opened index file: memory-mapped, validated (header, section table, footer), ready.
/// Immutable and safe to search from many threads at once.
///
/// Opening reads a constant number of bytes (header, section table, trailer and the small fixed
/// headers of the sections), and the term filter of a segment an update added (~1.25 bytes a
/// term, checksummed at open); nothing is loaded into arrays. Every later read is bounds-checked.
public final class SegmentReader: Sendable {
    let storage: IndexStorage
    var bytes: IndexBytes { storage.bytes }

    /// The analyzer configuration the index was built with (queries must use it).
    public let configuration: AnalyzerConfiguration
    /// The format version of the file.
    public let formatVersion: Int
    /// Number of documents.
    public let documentCount: Int
    /// Sum of all documents' lengths in tokens.
    public let totalDocumentLength: Int
    /// Number of distinct terms.
    public let termCount: Int
    /// Number of (term, document) pairs.
    public let postingCount: Int
    /// Number of term occurrences stored with their positions.
    public let positionCount: Int
    /// True when the text of the documents is stored (not built with `--no-store`).
    public let storesText: Bool

    /// The sections: kind, byte range in the file, CRC-32C from the section table.
    let sections: [SectionEntry]
    let termsRange: Range<Int>, postingsRange: Range<Int>, positionsRange: Range<Int>
    let documentsRange: Range<Int>, storedRange: Range<Int>?, keyOrderRange: Range<Int>
    // term dictionary
    let blockCount: Int, termsPerBlock: Int, blockIndexStart: Int, blocksStart: Int
    /// The term filter's blocks (where they start, how many; 0 without a TermFilter section).
    let filterStart: Int, filterBlockCount: Int
    /// The run-ending bigrams by their second character (section BigramEnds).
    let bigramEnds: BigramEnds.Reader
    /// The dictionary's block size and whether it has a term filter (the segment's role).
    var dictionaryLayout: FileLayout.DictionaryLayout {
        FileLayout.DictionaryLayout(termsPerBlock: termsPerBlock, hasTermFilter: filterBlockCount > 0)
    }
    // documents
    /// Keys are the documents' numbers (not stored); the bit widths of the record fields
    /// (``FileLayout/DocumentField``: length, slot count, key length, title length, strings
    /// offset, source) and where they start in a record; where records and strings start.
    /// The bit width of a document id in the KeyOrder section.
    let keysAreNumbers: Bool
    let fieldWidths: [Int], fieldStarts: [Int], recordWidth: Int
    let recordsStart: Int, stringsStart: Int
    let keyOrderWidth: Int
    // stored text
    let storedBlockCount: Int, storedTableStart: Int, storedDataStart: Int
    /// The stored-text blocks inflated last (a block holds many small documents: their hits
    /// inflate it once, not once each).
    let storedBlockCache = StoredBlockCache()

    /// Mean document length in tokens (0 for an empty index).
    public var averageDocumentLength: Double {
        documentCount == 0 ? 0 : Double(totalDocumentLength) / Double(documentCount)
    }

    /// Opens and memory-maps an index file. Open time does not grow with the index size (but for
    /// the checksum of a term filter, which only the small segments updates add have).
    ///
    /// Throws ``IndexError/notAnIndex(_:)`` for a file that is not an index,
    /// ``IndexError/unsupportedVersion(found:supported:)`` for a newer format,
    /// ``IndexError/incompatibleAnalyzer(_:)`` for other analysis rules, and
    /// ``IndexError/corrupt(_:)`` when the header, section table or trailer is damaged
    /// (`sou check` verifies everything else).
    public convenience init(contentsOf url: URL) throws {
        try self.init(storage: IndexStorage(mapping: url.path))
    }

    /// Opens index bytes held in memory (what ``SegmentWriter/makeIndex()`` returns), with the same
    /// validation as a file.
    public convenience init(bytes: [UInt8]) throws {
        try self.init(storage: IndexStorage(copying: bytes))
    }

    init(storage: IndexStorage) throws {
        self.storage = storage
        let b = storage.bytes
        let n = b.count
        guard n >= 8, FileLayout.headerMagic.withUnsafeBytes({ memcmp(b.base, $0.baseAddress!, 8) == 0 }) else {
            throw IndexError.notAnIndex("bad magic number (expected \"SOUINDEX\")")
        }
        guard n >= FileLayout.headerSize + FileLayout.trailerSize else {
            throw IndexError.corrupt("file is truncated (\(n) bytes)")
        }
        let version = b.u32(at: FileLayout.Header.version)
        if version > FileLayout.formatVersion {
            throw IndexError.unsupportedVersion(found: Int(version), supported: Int(FileLayout.formatVersion))
        }
        guard version >= 1 else { throw IndexError.corrupt("header: format version 0") }
        guard version == FileLayout.formatVersion else {
            throw IndexError.unsupportedVersion(found: Int(version), supported: Int(FileLayout.formatVersion))
        }
        // trailer
        let t = n - FileLayout.trailerSize
        guard FileLayout.trailerMagic.withUnsafeBytes({ memcmp(b.base + n - 8, $0.baseAddress!, 8) == 0 }) else {
            throw IndexError.corrupt("trailer magic missing: the file is truncated or its end is damaged")
        }
        let fileLength = b.u64(at: t + 8)
        guard fileLength == UInt64(n) else {
            throw IndexError.corrupt("trailer records a file length of \(fileLength) bytes but the file has \(n): truncated or damaged")
        }
        let sectionCount = Int(b.u32(at: t))
        guard sectionCount >= 1, sectionCount <= FileLayout.maxSections else {
            throw IndexError.corrupt("trailer: section count \(sectionCount) out of range")
        }
        let tableStart = t - sectionCount * FileLayout.sectionEntrySize
        guard tableStart >= FileLayout.headerSize else { throw IndexError.corrupt("section table overlaps the header") }
        let metaCRC = CRC32C.update(CRC32C.checksum(b.slice(0..<FileLayout.headerSize)), b.slice(tableStart..<t))
        guard metaCRC == b.u32(at: t + 4) else {
            throw IndexError.corrupt("header or section table checksum mismatch")
        }
        // header fields (now known to be intact)
        let flags = b.u32(at: FileLayout.Header.analyzerFlags)
        guard let configuration = AnalyzerConfiguration(flags: flags) else {
            throw IndexError.incompatibleAnalyzer("unknown analyzer flags 0x" + String(flags, radix: 16))
        }
        let rules = UInt16(truncatingIfNeeded: b.u32(at: FileLayout.Header.rulesVersion) & 0xFFFF)
        guard rules == AnalyzerConfiguration.rulesVersion else {
            throw IndexError.incompatibleAnalyzer("built with analysis rules version \(rules), this sou applies version \(AnalyzerConfiguration.rulesVersion)")
        }
        let indexFlags = UInt16(truncatingIfNeeded: b.u32(at: FileLayout.Header.rulesVersion) >> 16)
        guard indexFlags & ~FileLayout.flagStoresText == 0 else {
            throw IndexError.corrupt("header: unknown index flags 0x" + String(indexFlags, radix: 16))
        }
        func count(_ offset: Int, _ name: String) throws -> Int {
            let v = b.u64(at: offset)
            guard v < UInt64(1) << 48 else { throw IndexError.corrupt("header: \(name) \(v) out of range") }
            return Int(v)
        }
        self.configuration = configuration
        self.formatVersion = Int(version)
        self.storesText = indexFlags & FileLayout.flagStoresText != 0
        self.documentCount = try count(FileLayout.Header.documentCount, "document count")
        self.totalDocumentLength = try count(FileLayout.Header.totalDocumentLength, "total length")
        self.termCount = try count(FileLayout.Header.termCount, "term count")
        self.postingCount = try count(FileLayout.Header.postingCount, "posting count")
        self.positionCount = try count(FileLayout.Header.positionCount, "position count")
        guard documentCount <= Int(UInt32.max) else { throw IndexError.corrupt("header: too many documents") }

        // section table
        var found: [SectionEntry] = []
        for i in 0..<sectionCount {
            let e = tableStart + i * FileLayout.sectionEntrySize
            let id = b.u32(at: e)
            guard let kind = SectionKind(rawValue: id) else { throw IndexError.corrupt("section table: unknown section id \(id)") }
            guard !found.contains(where: { $0.kind == kind }) else { throw IndexError.corrupt("section table: \(kind) twice") }
            let offset = b.u64(at: e + 8), length = b.u64(at: e + 16)
            guard offset >= UInt64(FileLayout.headerSize), offset <= UInt64(tableStart),
                  length <= UInt64(tableStart) - offset else {
                throw IndexError.corrupt("section table: \(kind) section lies outside the file body")
            }
            let range = Int(offset)..<Int(offset + length)
            for other in found where other.range.overlaps(range) {
                throw IndexError.corrupt("section table: \(kind) overlaps \(other.kind)")
            }
            found.append(SectionEntry(kind: kind, range: range, crc: b.u32(at: e + 4)))
        }
        self.sections = found
        func section(_ k: SectionKind) throws -> Range<Int> {
            guard let s = found.first(where: { $0.kind == k }) else { throw IndexError.corrupt("missing \(k) section") }
            return s.range
        }
        termsRange = try section(.terms)
        postingsRange = try section(.postings)
        positionsRange = try section(.positions)
        documentsRange = try section(.documents)
        keyOrderRange = try section(.keyOrder)
        bigramEnds = try BigramEnds.Reader(b, range: try section(.bigramEnds), termCount: termCount)
        if storesText {
            storedRange = try section(.storedText)
        } else {
            guard !found.contains(where: { $0.kind == .storedText }) else {
                throw IndexError.corrupt("stored-text section present but the header says text is not stored")
            }
            storedRange = nil
        }

        // terms section header
        guard termsRange.count >= 16 else { throw IndexError.corrupt("terms: section too short") }
        let dictTerms = b.u64(at: termsRange.lowerBound)
        guard dictTerms == UInt64(termCount) else {
            throw IndexError.corrupt("terms: \(dictTerms) terms but the header says \(termCount)")
        }
        blockCount = Int(b.u32(at: termsRange.lowerBound + 8))
        termsPerBlock = Int(b.u32(at: termsRange.lowerBound + 12))
        guard termsPerBlock >= 1, termsPerBlock <= 4096,
              blockCount == (termCount + termsPerBlock - 1) / termsPerBlock,
              blockCount * FileLayout.blockIndexEntrySize <= termsRange.count - 16 else {
            throw IndexError.corrupt("terms: block count \(blockCount) does not fit")
        }
        blockIndexStart = termsRange.lowerBound + 16
        blocksStart = blockIndexStart + blockCount * FileLayout.blockIndexEntrySize

        // term filter: its checksum is verified here (a few KB in the small segments that have
        // one), since a damaged bit would answer "absent" for a term the segment has
        if let f = found.first(where: { $0.kind == .termFilter }) {
            let r = f.range
            guard r.count >= TermFilter.headerSize else { throw IndexError.corrupt("term-filter: section too short") }
            let count = Int(b.u32(at: r.lowerBound))
            guard count >= 1, r.count == TermFilter.headerSize + count * TermFilter.blockSize, b.u32(at: r.lowerBound + 4) == 0 else {
                throw IndexError.corrupt("term-filter: \(count) blocks do not fill the section's \(r.count) bytes")
            }
            let crc = CRC32C.checksum(b.slice(r))
            guard crc == f.crc else {
                throw IndexError.corrupt("term-filter section checksum mismatch " + cFormat("(stored %08x, computed %08x)", f.crc, crc))
            }
            filterStart = r.lowerBound + TermFilter.headerSize
            filterBlockCount = count
        } else {
            filterStart = 0
            filterBlockCount = 0
        }

        // documents section header
        guard documentsRange.count >= 16 else { throw IndexError.corrupt("documents: section too short") }
        guard b.u64(at: documentsRange.lowerBound) == UInt64(documentCount),
              b.u64(at: documentsRange.lowerBound + 8) == UInt64(totalDocumentLength) else {
            throw IndexError.corrupt("documents: counts disagree with the header")
        }
        let d = documentsRange.lowerBound
        guard documentsRange.count >= FileLayout.documentsHeaderSize else {
            throw IndexError.corrupt("documents: section too short")
        }
        let keyMode = b.base.load(fromByteOffset: d + 16, as: UInt8.self)
        guard keyMode <= 1 else { throw IndexError.corrupt("documents: unknown key mode \(keyMode)") }
        keysAreNumbers = keyMode == 1
        var widths: [Int] = [], starts: [Int] = [], w = 0
        for f in 0..<FileLayout.DocumentField.allCases.count {
            let width = Int(b.base.load(fromByteOffset: d + 17 + f, as: UInt8.self))
            guard width <= 56 else { throw IndexError.corrupt("documents: field width \(width) too large") }
            widths.append(width); starts.append(w); w += width
        }
        guard !keysAreNumbers || widths[2] == 0 else { throw IndexError.corrupt("documents: numbered keys with key lengths") }
        fieldWidths = widths
        fieldStarts = starts
        recordWidth = w
        recordsStart = d + FileLayout.documentsHeaderSize
        guard documentCount <= (documentsRange.count - FileLayout.documentsHeaderSize) * 8 / max(w, 1) else {
            throw IndexError.corrupt("documents: table does not fit in its section")
        }
        stringsStart = recordsStart + (documentCount * w + 7) / 8
        guard stringsStart <= documentsRange.upperBound else {
            throw IndexError.corrupt("documents: table does not fit in its section")
        }

        // key order: one id per document, bit-packed
        keyOrderWidth = FileLayout.keyOrderWidth(documentCount: documentCount)
        guard keyOrderRange.count == (documentCount * keyOrderWidth + 7) / 8 else {
            throw IndexError.corrupt("key-order: \(keyOrderRange.count) bytes for \(documentCount) documents")
        }

        // stored text header
        if let r = storedRange {
            guard r.count >= 8 else { throw IndexError.corrupt("stored-text: section too short") }
            let blocks = Int(b.u32(at: r.lowerBound))
            guard blocks <= (r.count - 8) / FileLayout.storedBlockEntrySize else {
                throw IndexError.corrupt("stored-text: block table does not fit")
            }
            storedBlockCount = blocks
            storedTableStart = r.lowerBound + 8
            storedDataStart = storedTableStart + blocks * FileLayout.storedBlockEntrySize
        } else {
            storedBlockCount = 0; storedTableStart = 0; storedDataStart = 0
        }
    }

    // MARK: documents

    /// Field `field` of document `id`'s record (0 length, 1 slot count, 2 key length,
    /// 3 title length, 4 strings offset, 5 source: ``FileLayout/DocumentField``); `id` must be
    /// in range.
    @inline(__always)
    func documentField(_ id: Int, _ field: Int) -> Int {
        let width = fieldWidths[field]
        guard width > 0 else { return 0 }
        let bit = id * recordWidth + fieldStarts[field]
        let byte = recordsStart + bit >> 3
        let word: UInt64
        if byte + 8 <= documentsRange.upperBound {
            word = UInt64(littleEndian: bytes.base.loadUnaligned(fromByteOffset: byte, as: UInt64.self))
        } else {
            // near the end of the section: byte by byte (the record itself is inside it)
            var v: UInt64 = 0
            for k in 0..<(documentsRange.upperBound - byte) {
                v |= UInt64(bytes.base.load(fromByteOffset: byte + k, as: UInt8.self)) << UInt64(8 * k)
            }
            word = v
        }
        return Int((word >> UInt64(bit & 7)) & ((1 << UInt64(width)) - 1))
    }

    /// The slot count of document `id` (last occupied slot + 1; 0 when out of range).
    @inline(__always)
    func slotCount(_ id: Int) -> Int {
        guard id >= 0, id < documentCount else { return 0 }
        return documentField(id, 1)
    }

    /// The entry of document `id`: key range (empty when keys are document numbers), title
    /// range, token count; nil when out of range or damaged.
    func documentEntry(_ id: Int) -> (key: Range<Int>, title: Range<Int>, length: Int)? {
        guard id >= 0, id < documentCount else { return nil }
        let offset = documentField(id, 4)
        let keyLength = documentField(id, 2), titleLength = documentField(id, 3)
        let length = documentField(id, 0)
        let available = documentsRange.upperBound - stringsStart
        guard offset <= available, keyLength + titleLength <= available - offset else { return nil }
        let k = stringsStart + offset
        return (k..<(k + keyLength), (k + keyLength)..<(k + keyLength + titleLength), length)
    }

    func string(_ r: Range<Int>) -> String {
        String(decoding: bytes.slice(r), as: UTF8.self)
    }

    /// The external key of document `id` (path relative to the indexed root, or JSON id);
    /// "" when `id` is out of range or the entry is damaged.
    public func documentKey(_ id: Int) -> String {
        guard let e = documentEntry(id) else { return "" }
        if keysAreNumbers { return String(id) }
        return string(e.key)
    }

    /// The title of document `id` ("" when it has none).
    public func documentTitle(_ id: Int) -> String {
        guard let e = documentEntry(id) else { return "" }
        return string(e.title)
    }

    /// Length of document `id` in tokens (exact: the analyzer's token count); 0 when out of range.
    public func documentLength(_ id: Int) -> Int {
        documentEntry(id)?.length ?? 0
    }

    /// The stored text of document `id` (title and text fields joined by "\n", exactly as
    /// analyzed), or `nil` when text is not stored. Inflates the document's block (~16 KiB) as
    /// far as the document's end, or takes it from the few read last (``StoredBlockCache``),
    /// inflating them further when the document lies further (``InflatedBlock``).
    public func storedText(_ id: Int) throws -> String? {
        try storedTextBlock(id) { block, compressed in try block.text(id, compressed: compressed) }
    }

    /// ``storedText(_:)`` as its UTF-8 bytes, for a caller that works on bytes: no String is
    /// made (nor its UTF-8 checked) on the way.
    public func storedTextBytes(_ id: Int) throws -> [UInt8]? {
        try storedTextBlock(id) { block, compressed in try block.bytes(id, compressed: compressed) }
    }

    /// Finds the stored-text block of document `id` and hands it with its compressed bytes to
    /// `read`, which returns the text (nil: the block does not hold it, which is damage). Nil
    /// without stored text or for an `id` out of range.
    private func storedTextBlock<T>(_ id: Int, _ read: (InflatedBlock, UnsafeRawBufferPointer) throws -> T?) throws -> T? {
        guard storesText else { return nil }
        guard id >= 0, id < documentCount else { return nil }
        // binary search: the last block whose first document is ≤ id
        var lo = 0, hi = storedBlockCount - 1, found = -1
        while lo <= hi {
            let mid = (lo + hi) / 2
            if Int(bytes.u32(at: storedTableStart + mid * FileLayout.storedBlockEntrySize)) <= id {
                found = mid; lo = mid + 1
            } else { hi = mid - 1 }
        }
        guard found >= 0 else { throw IndexError.corrupt("stored-text: no block holds document \(id)") }
        let block = try storedBlockCache.block(found) { try self.inflatedStoredBlock(found) }
        guard let text = try read(block, compressedStoredBlock(found)) else {
            throw IndexError.corrupt("stored-text: no block holds document \(id)")
        }
        return text
    }

    /// The documents stored-text block `i` says it holds (from its table entry; `i` in range).
    func storedBlockDocuments(_ i: Int) -> Range<Int> {
        let e = storedTableStart + i * FileLayout.storedBlockEntrySize
        let first = Int(bytes.u32(at: e))
        return first..<(first + Int(bytes.u32(at: e + 4)))
    }

    /// The compressed bytes of stored-text block `i`, in place (valid while the index lives).
    func compressedStoredBlock(_ i: Int) throws -> UnsafeRawBufferPointer {
        guard let r = storedRange, i >= 0, i < storedBlockCount else { throw IndexError.corrupt("stored-text: no block \(i)") }
        let e = storedTableStart + i * FileLayout.storedBlockEntrySize
        let offset = bytes.u64(at: e + 8), compressed = UInt64(bytes.u32(at: e + 16))
        let available = UInt64(r.upperBound - storedDataStart)
        guard offset <= available, compressed <= available - offset else {
            throw IndexError.corrupt("stored-text: block \(i) lies outside its section")
        }
        let start = storedDataStart + Int(offset)
        return bytes.slice(start..<(start + Int(compressed)))
    }

    /// Stored-text block `i`, to be inflated as its texts are read (``InflatedBlock``); its sizes
    /// checked as ``storedBlock(_:)`` checks them.
    func inflatedStoredBlock(_ i: Int) throws -> InflatedBlock {
        let compressed = try compressedStoredBlock(i)
        let (first, count, rawLength) = try storedBlockSizes(i, compressedCount: compressed.count)
        return InflatedBlock(firstDocument: first, documentCount: count, rawLength: rawLength)
    }

    /// The first document, document count and raw length of stored-text block `i` (in range),
    /// refused when implausible.
    private func storedBlockSizes(_ i: Int, compressedCount: Int) throws -> (first: Int, count: Int, rawLength: Int) {
        let e = storedTableStart + i * FileLayout.storedBlockEntrySize
        let first = Int(bytes.u32(at: e)), count = Int(bytes.u32(at: e + 4))
        let rawLength = Int(bytes.u32(at: e + 20))
        guard rawLength <= FileLayout.maxStoredBlockBytes, count <= rawLength, first <= documentCount else {
            throw IndexError.corrupt("stored-text: block \(i) has implausible sizes")
        }
        // Deflate expands at most 1032:1 (a 258-byte match in under 2 bits), so a larger raw
        // length is damage: refuse it before allocating and zeroing up to 1 GiB for it
        guard rawLength <= compressedCount * Deflate.maxExpansion else {
            throw IndexError.corrupt("stored-text: block \(i) claims \(rawLength) bytes inflated from \(compressedCount) compressed, more than deflate can give")
        }
        return (first, count, rawLength)
    }

    /// Stored-text block `i`, inflated.
    func storedBlock(_ i: Int) throws -> (firstDocument: Int, documentCount: Int, raw: [UInt8]) {
        let compressed = try compressedStoredBlock(i)
        let (first, count, rawLength) = try storedBlockSizes(i, compressedCount: compressed.count)
        return (first, count, try Deflate.decompress(compressed, rawLength: rawLength))
    }

    // MARK: terms and postings

    /// Looks a term up in the dictionary (in a segment with a term filter, first in the filter;
    /// then a binary search over the block index and a scan of one block of at most
    /// `TermsPerBlock` terms). `nil` when absent; throws ``IndexError/corrupt(_:)`` when the
    /// dictionary bytes on the way are damaged (never "absent" for unreadable bytes).
    public func termInfo(_ term: String) throws -> TermInfo? {
        try termInfo(TermKey(term))
    }

    /// ``termInfo(_:)`` for a term given as its UTF-8 bytes.
    public func termInfo(utf8 key: [UInt8]) throws -> TermInfo? {
        try termInfo(TermKey(utf8: key))
    }

    /// ``termInfo(_:)`` for a term prepared once for all the segments it is looked up in: its
    /// bytes and filter hash are computed once, and an entry found carries the key's String
    /// (equal to the entry's term, byte for byte) instead of one decoded per segment.
    ///
    /// The entry's postings are fetched into the cache ahead of their first read (a query looks
    /// all its terms up in every segment before it reads any postings: their cache misses then
    /// overlap the look-ups instead of following them one by one).
    public func termInfo(_ key: TermKey) throws -> TermInfo? {
        if filterBlockCount > 0, !mayHaveTerm(key.filterHash) { return nil }
        let info = try TermDictionaryReader(index: self).find(key.bytes, term: key.term, keyPrefix: key.blockPrefix)
        if let info, case .postings(let offset, _) = info.location, offset < postingsRange.count {
            // (a hint: no fault, no effect on what is read)
            sou_prefetch_read(bytes.base + postingsRange.lowerBound + offset)
        }
        return info
    }

    /// Whether the term filter may hold the key of `hash` (true without a filter).
    @inline(__always)
    func mayHaveTerm(_ hash: UInt64) -> Bool {
        // in bounds: filterBlockCount blocks start at filterStart (checked when opened)
        filterBlockCount == 0 || TermFilter.mayContain(hash, blocks: bytes.base + filterStart, blockCount: filterBlockCount)
    }

    /// For a prefix of exactly one Unicode scalar: whether the segment may have a term that
    /// starts with it (the scalar as a term, or its prefix key: FORMAT.md "TermFilter"). True
    /// without a filter and for other prefixes.
    private func mayHaveTerms(withPrefix key: [UInt8]) -> Bool {
        guard filterBlockCount > 0 else { return true }
        return key.withUnsafeBytes { k in
            guard TermCoding.scalar(k, at: 0)?.length == k.count else { return true }
            return mayHaveTerm(TermFilter.hash(k)) || mayHaveTerm(TermFilter.hash(k, prefixKey: true))
        }
    }

    /// All terms that start with `prefix`, in dictionary order (a contiguous range). Throws
    /// ``IndexError/corrupt(_:)`` when the dictionary bytes on the way are damaged.
    public func terms(withPrefix prefix: String) throws -> [TermInfo] {
        let key = Array(prefix.utf8)
        var result: [TermInfo] = []
        guard mayHaveTerms(withPrefix: key) else { return result }
        try TermDictionaryReader(index: self).forEach(from: key) { bytes, info in
            guard bytes.starts(with: key) else { return false }
            result.append(info())
            return true
        }
        return result
    }

    /// The bigrams ending with `character` that end a CJK run in some document of the segment
    /// (FORMAT.md "BigramEnds"), in dictionary order: with the terms starting with it, where a
    /// single-character query finds the character (one slot after these bigrams' positions).
    public func bigramsEnding(with character: Unicode.Scalar) throws -> [TermInfo] {
        let ordinals = try bigramEnds.ordinals(endingWith: character.value)
        var result: [TermInfo] = []
        result.reserveCapacity(ordinals.count)
        var terms: TermDictionaryReader.Terms? = nil
        for o in ordinals {
            // the open iterator serves when it stands in o's block, not past o
            let first = o / termsPerBlock * termsPerBlock
            if terms.map({ $0.ordinal < first || $0.ordinal > o }) ?? true {
                terms = try TermDictionaryReader.Terms(index: self, block: o / termsPerBlock)
            }
            while terms!.ordinal < o {
                guard try terms!.next() else { throw IndexError.corrupt("bigram-ends: ordinal \(o) past the dictionary") }
            }
            guard terms!.kind == .bigram, TermCoding.twoScalars(terms!.term)?.second == character.value else {
                throw IndexError.corrupt("bigram-ends: term \(o) is not a bigram ending with U+\(String(character.value, radix: 16, uppercase: true))")
            }
            var info = terms!.info
            info.characterShift = 1
            result.append(info)
        }
        return result
    }

    /// Whether `bigram`, a bigram of this segment's dictionary, ends a CJK run in some document
    /// of the segment (the BigramEnds section lists it). When it does not, every slot it stands
    /// at is followed, one slot on, by a bigram of the same run: its second character is never
    /// a run's last. The section may list a bigram that ends no run (a merge keeps the entries
    /// of deleted documents): a true answer is only a "maybe".
    package func endsRun(_ bigram: TermInfo) throws -> Bool {
        try checkOwns(bigram)
        guard bigram.kind == .bigram, let second = bigram.term.unicodeScalars.last else { return false }
        return try bigramEnds.lists(bigram.ordinal, endingWith: second.value)
    }

    /// A cursor over the postings of `term`, a ``TermInfo`` from this segment's dictionary; one
    /// from another segment throws ``IndexError/foreignTerm(_:)``.
    public func postings(_ term: TermInfo) throws -> PostingsCursor {
        try checkOwns(term)
        return try PostingsCursor(index: self, term: term)
    }

    /// Throws ``IndexError/foreignTerm(_:)`` unless `term` comes from this segment's dictionary.
    func checkOwns(_ term: TermInfo) throws {
        guard term.segment == ObjectIdentifier(self) else {
            throw IndexError.foreignTerm("the entry of \"\(term.term)\" comes from another segment's dictionary")
        }
    }
}
