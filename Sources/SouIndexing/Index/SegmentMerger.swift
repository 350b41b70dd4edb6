import Foundation
import SouAnalysis

/// Writes one new segment holding the live documents of several segments, without analyzing any
/// text again: the bytes are those of a fresh build of the live documents in the same order.
///
/// - Documents: the live documents of source 0 in order, then those of source 1, and so on; a
///   document's new id is the number of live documents before it. Keys, titles, lengths, slot
///   counts and sources are copied.
/// - Postings: a k-way merge of the sources' sorted dictionaries; each term's postings are
///   decoded with ``PostingsCursor`` (documents, frequencies, positions), deleted documents
///   dropped, ids renumbered, and encoded again by the ``PostingsEncoder`` a build uses. A term
///   left without a live posting is dropped.
/// - Stored text: inflated and cut into blocks by the rule of a fresh build (a block closes once
///   its text reaches ``FileLayout/storedBlockTarget``), then compressed; a source block that
///   becomes an output block unchanged keeps its compressed bytes.
///
/// Memory holds the dictionary being written and a few numbers per document; positions stream
/// into the sink and postings through a ``SpillBuffer``, as in a build.
public struct SegmentMerger {
    /// The analyzer configuration of the segments (every source must have it).
    public let configuration: AnalyzerConfiguration
    /// Whether the new segment stores text (every source must then store it).
    public let storesText: Bool

    /// One segment to merge and which of its documents are deleted (local ids).
    public typealias Source = (segment: SouIndex, isDeleted: (Int) -> Bool)

    /// What a merge wrote.
    public struct Summary: Sendable, Hashable {
        /// Live documents written.
        public var documents: Int
        /// Distinct terms written.
        public var terms: Int
        /// (term, document) pairs.
        public var postings: Int
        /// Positions.
        public var positions: Int
        /// Bytes of the new segment.
        public var bytes: Int
    }

    /// A merger writing segments of `configuration`, with stored text or not.
    public init(configuration: AnalyzerConfiguration = AnalyzerConfiguration(), storesText: Bool = true) {
        self.configuration = configuration
        self.storesText = storesText
    }

    /// Merges `sources` in memory and opens the result (the same reader as a file).
    public func mergedIndex(_ sources: [Source]) throws -> SouIndex {
        try SouIndex(bytes: mergedBytes(sources))
    }

    /// Merges `sources` into bytes held in memory.
    func mergedBytes(_ sources: [Source]) throws -> [UInt8] {
        let sink = OutputSink()
        _ = try merge(sources, into: sink)
        return sink.bytes
    }

    private func liveCount(_ s: Source) -> Int {
        (0..<s.segment.documentCount).reduce(0) { $0 + (s.isDeleted($1) ? 0 : 1) }
    }

    /// Writes the new segment into `sink` (from its offset 0 on); returns what the serializer
    /// counted.
    @discardableResult
    func merge(_ sources: [Source], into sink: OutputSink) throws -> IndexSerializer.Totals {
        for (i, s) in sources.enumerated() {
            guard s.segment.configuration == configuration else {
                throw IndexError.incompatibleAnalyzer("segment \(i) was built with \(s.segment.configuration), the merge writes \(configuration)")
            }
            guard !storesText || s.segment.storesText else {
                throw IndexError.io("segment \(i) has no stored text: cannot merge it into a segment that stores text")
            }
        }
        // new ids: −1 for a deleted document
        var newIDs: [[Int32]] = []
        var live = 0
        for s in sources {
            var ids = [Int32](repeating: -1, count: s.segment.documentCount)
            for d in 0..<s.segment.documentCount where !s.isDeleted(d) {
                guard live < Int(Int32.max) else { throw IndexError.io("too many documents for one index") }
                ids[d] = Int32(live)
                live += 1
            }
            newIDs.append(ids)
        }
        let documents = try mergeDocuments(sources, newIDs)
        let terms = MergedTerms(segments: sources.map(\.segment), newIDs: newIDs)
        return try IndexSerializer(configuration: configuration, storesText: storesText)
            .serialize(terms: terms, documents: documents, into: sink)
    }

    // MARK: documents

    /// The document table of the live documents, stored text re-cut and compressed.
    private func mergeDocuments(_ sources: [Source], _ newIDs: [[Int32]]) throws -> DocumentTable {
        let table = DocumentTable()
        for (s, ids) in zip(sources, newIDs) {
            let segment = s.segment
            for d in 0..<segment.documentCount where ids[d] >= 0 {
                let e = try segment.checkedDocumentEntry(d)
                table.keys.append(segment.keysAreNumbers ? String(d) : segment.string(e.key))
                table.titles.append(segment.string(e.title))
                table.lengths.append(Int32(e.length))
                table.slotCounts.append(Int32(segment.slotCount(d)))
                table.sources.append(UInt32(try segment.documentSource(d)))
                table.totalLength += e.length
            }
        }
        if storesText {
            var blocks = StoredTextRegrouper(table: table)
            for (s, ids) in zip(sources, newIDs) { try blocks.add(s.segment, newIDs: ids) }
            try blocks.finish()
        }
        return table
    }
}

/// Cuts the live documents' stored text into blocks exactly as a build does (``DocumentBatch``:
/// consecutive documents until their text reaches ``FileLayout/storedBlockTarget``; the last
/// block takes the rest) and compresses them into the table.
private struct StoredTextRegrouper {
    let table: DocumentTable
    /// The open block: raw bytes (varint length + text per document), its first document, its
    /// document count and text bytes.
    private var raw = ByteWriter()
    private var first = 0
    private var count = 0
    private var textBytes = 0

    init(table: DocumentTable) { self.table = table }

    mutating func add(_ segment: SouIndex, newIDs: [Int32]) throws {
        for b in 0..<segment.storedBlockCount {
            let block = try segment.storedBlock(b)
            let end = block.firstDocument + block.documentCount
            guard end <= newIDs.count else { throw IndexError.corrupt("stored-text: block \(b) holds documents beyond the segment") }
            guard newIDs[block.firstDocument..<end].contains(where: { $0 >= 0 }) else { continue }
            // Whether the open block holds exactly this source block's documents so far: then,
            // when the rule closes it at the source block's last document, the raw bytes are the
            // source block's and its compressed bytes are kept instead of compressing again.
            var sameBlock = count == 0
            try block.raw.withUnsafeBytes { buffer in
                var r = ByteReader(IndexBytes(base: buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, count: buffer.count),
                                   range: 0..<buffer.count, context: "stored-text block")
                for d in block.firstDocument..<end {
                    let length = try r.varint(max: r.remaining)
                    let text = try r.bytes(length)
                    let id = newIDs[d]
                    guard id >= 0 else { sameBlock = false; continue }
                    if count == 0 { first = Int(id) }
                    raw.varint(length)
                    raw.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[text]))
                    count += 1
                    textBytes += length
                    if textBytes >= FileLayout.storedBlockTarget {
                        if sameBlock, d == end - 1, raw.count == block.raw.count {
                            try close(compressed: Array(try segment.compressedStoredBlock(b)))
                        } else {
                            try close(compressed: nil)
                        }
                        sameBlock = false
                    }
                }
                guard r.isAtEnd else { throw IndexError.corrupt("stored-text: block \(b) has trailing bytes") }
            }
        }
    }

    /// Closes the open block into the table: `compressed`, or the raw bytes compressed now.
    private mutating func close(compressed: [UInt8]?) throws {
        try table.appendStoredBlock(StoredBlock(firstDocument: first, documentCount: count, rawLength: raw.count,
                                                compressed: try compressed ?? Deflate.compress(raw.bytes)))
        raw.bytes.removeAll(keepingCapacity: true)
        count = 0
        textBytes = 0
    }

    /// Closes the last block.
    mutating func finish() throws {
        if count > 0 { try close(compressed: nil) }
    }
}

/// The terms of several segments merged as a ``TermSource``: the dictionaries walked in step
/// (a k-way merge by term bytes), each term's live postings gathered from the sources in order
/// with their ids renumbered, encoded in chunks.
struct MergedTerms: TermSource {
    let segments: [SouIndex]
    /// Per source: each local document's new id, −1 when deleted.
    let newIDs: [[Int32]]

    func writeTerms(slotCounts: [Int32], into output: inout TermOutput) throws {
        // sources with a live document, each with its dictionary iterator on its current term
        var heads: [(source: Int, terms: TermDictionaryReader.Terms)] = []
        for (i, segment) in segments.enumerated() where newIDs[i].contains(where: { $0 >= 0 }) {
            var t = try TermDictionaryReader.Terms(index: segment)
            if try t.next() { heads.append((i, t)) }
        }
        var chunk = EncodedChunk()
        var encoder = PostingsEncoder()
        var postings = TermPostings()
        var matching: [Int] = []   // positions in `heads` of the sources holding the smallest term
        while !heads.isEmpty {
            // the smallest current term, and every head on it (in source order)
            matching.removeAll(keepingCapacity: true)
            matching.append(0)
            for h in 1..<heads.count {
                let c = Self.compare(heads[h].terms.term, heads[matching[0]].terms.term)
                if c < 0 {
                    matching.removeAll(keepingCapacity: true)
                    matching.append(h)
                } else if c == 0 {
                    matching.append(h)
                }
            }
            postings.removeAll()
            var kind: TokenKind? = nil
            for h in matching {
                let (source, terms) = heads[h]
                let ids = newIDs[source]
                var cursor = try PostingsCursor(index: segments[source], entry: terms)
                let before = postings.documents.count
                while let d = try cursor.next() {
                    let id = ids[d]
                    guard id >= 0 else { continue }
                    postings.documents.append(id)
                    postings.frequencies.append(Int32(cursor.termFrequency))
                    postings.firstPositions.append(try cursor.appendPositionGaps(to: &postings.positionGaps))
                }
                if kind == nil, postings.documents.count > before { kind = terms.kind }
            }
            if let kind {
                heads[matching[0]].terms.term.withUnsafeBufferPointer { key in
                    encoder.encode(postings, key: key, kind: kind, slotCounts: slotCounts, into: &chunk)
                }
                if chunk.terms.count >= IndexSerializer.chunkTerms || chunk.postings.count + chunk.positions.count >= 1 << 22 {
                    try output.append(chunk)
                    chunk = EncodedChunk()
                }
            }
            // advance the heads on the term; drop the exhausted ones
            for h in matching.reversed() {
                if try !heads[h].terms.next() { heads.remove(at: h) }
            }
        }
        if !chunk.terms.isEmpty { try output.append(chunk) }
    }

    /// Bytewise comparison: negative, 0 or positive.
    @inline(__always)
    static func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
        a.withUnsafeBytes { x in b.withUnsafeBytes { y in SouIndex.compareBytes(x, y) } }
    }
}
