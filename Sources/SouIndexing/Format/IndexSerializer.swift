import Foundation
import SouAnalysis

/// Everything the serializer needs about the documents, in document order. Compressed stored
/// text goes to a ``SpillBuffer`` as batches complete, so it does not stay in memory.
final class DocumentTable {
    var keys: [String] = []
    var titles: [String] = []
    var lengths: [Int32] = []
    /// Per document: last occupied slot + 1 (bounds its positions).
    var slotCounts: [Int32] = []
    /// Per stored block: first document, document count, compressed length, raw length.
    var storedBlocks: [(firstDocument: Int, documentCount: Int, compressedLength: Int, rawLength: Int)] = []
    let storedData = SpillBuffer()
    var totalLength = 0

    var count: Int { keys.count }

    func append(_ result: AnalyzedBatch) throws {
        keys.append(contentsOf: result.batch.keys)
        titles.append(contentsOf: result.batch.titles)
        lengths.append(contentsOf: result.lengths)
        for l in result.lengths { totalLength += Int(l) }
        if let s = result.stored {
            try storedData.append(s.compressed)
            storedBlocks.append((s.firstDocument, s.documentCount, s.compressed.count, s.rawLength))
        }
    }
}

/// Writes the in-memory segment and the document table as one index file (see FORMAT.md).
///
/// The output depends only on the documents and the configuration: a build inverts every
/// document into one segment, in document order, whatever the number of analyzing threads.
struct IndexSerializer {
    let configuration: AnalyzerConfiguration
    let storesText: Bool
    /// Threads encoding postings (the bytes are the same for any value).
    var jobs = 1

    /// Counts gathered while writing (for the build summary).
    struct Totals {
        var terms = 0
        var postings = 0
        var positions = 0
    }

    /// Writes the whole file into `sink`.
    func serialize(segment: InvertedSegment, documents: DocumentTable, into sink: OutputSink) throws -> Totals {
        try sink.write([UInt8](repeating: 0, count: FileLayout.headerSize))
        var totals = Totals()
        var sections: [(SectionKind, Range<Int>, UInt32)] = []

        // Positions stream into the sink; postings wait in a spill buffer, the dictionary in memory.
        sink.beginSection()
        let postings = SpillBuffer()
        var dictionary = DictionaryWriter(documentCount: documents.count)
        try writeTerms(segment: segment, slotCounts: documents.slotCounts, positions: sink, postings: postings,
                       dictionary: &dictionary, totals: &totals)
        let p = sink.endSection()
        sections.append((.positions, p.range, p.crc))

        sink.beginSection()
        try postings.drain(into: sink)
        let q = sink.endSection()
        sections.append((.postings, q.range, q.crc))

        sink.beginSection()
        try dictionary.finish(into: sink)
        let t = sink.endSection()
        sections.append((.terms, t.range, t.crc))

        sink.beginSection()
        try writeDocuments(documents, into: sink)
        let d = sink.endSection()
        sections.append((.documents, d.range, d.crc))

        if storesText {
            sink.beginSection()
            try writeStored(documents, into: sink)
            let s = sink.endSection()
            sections.append((.storedText, s.range, s.crc))
        }

        // Header.
        var header = ByteWriter()
        header.append(contentsOf: FileLayout.headerMagic)
        header.u32(FileLayout.formatVersion)
        header.u32(configuration.flags)
        header.u16(AnalyzerConfiguration.rulesVersion)
        header.u16(storesText ? FileLayout.flagStoresText : 0)
        header.u32(0)
        header.u64(UInt64(documents.count))
        header.u64(UInt64(documents.totalLength))
        header.u64(UInt64(totals.terms))
        header.u64(UInt64(totals.postings))
        header.u64(UInt64(totals.positions))
        precondition(header.count == FileLayout.headerSize)
        try sink.overwrite(at: 0, with: header.bytes)

        // Footer: section table, then the trailer.
        var table = ByteWriter()
        for (kind, range, crc) in sections {
            table.u32(kind.rawValue)
            table.u32(crc)
            table.u64(UInt64(range.lowerBound))
            table.u64(UInt64(range.count))
        }
        let metaCRC = table.bytes.withUnsafeBytes { CRC32C.update(CRC32C.checksum(header.bytes), $0) }
        table.u32(UInt32(sections.count))
        table.u32(metaCRC)
        table.u64(UInt64(sink.offset + table.count + 16))
        table.append(contentsOf: FileLayout.trailerMagic)
        try sink.write(table)
        try sink.flush()
        return totals
    }

    // MARK: terms, postings, positions

    /// One term's place in an ``EncodedChunk``.
    struct EncodedTerm {
        var id: Int32
        var documentFrequency: Int
        var totalFrequency: Int
        /// Where the term's bytes start in the chunk's postings and positions.
        var postingsStart: Int
        var positionsStart: Int
        var singleton: (document: Int, position: Int)?
    }

    /// The postings and positions of consecutive terms (in dictionary order), encoded together.
    struct EncodedChunk {
        var postings = ByteWriter()
        var positions = ByteWriter()
        var terms: [EncodedTerm] = []
    }

    /// Terms per chunk, the unit of parallel encoding.
    static let chunkTerms = 4096

    private func writeTerms(segment: InvertedSegment, slotCounts: [Int32], positions sink: OutputSink, postings spill: SpillBuffer,
                            dictionary: inout DictionaryWriter, totals: inout Totals) throws {
        // Terms are encoded in chunks, several at a time on `jobs` threads, and written in
        // order: the bytes do not depend on the number of threads.
        let order = segment.sortedTermIDs()
        let chunkCount = (order.count + Self.chunkTerms - 1) / Self.chunkTerms
        let wave = jobs > 1 ? 2 * jobs : 1
        var positionsFlushed = 0, postingsFlushed = 0
        var key: [UInt8] = []
        var c = 0
        while c < chunkCount {
            let n = min(wave, chunkCount - c)
            let job = ChunkJob(serializer: self, segment: segment, slotCounts: slotCounts, order: order, firstChunk: c, count: n)
            if n == 1 {
                job.run(0)
            } else {
                DispatchQueue.concurrentPerform(iterations: n) { i in job.run(i) }
            }
            let results = job.take()
            for r in results {
                for t in r.terms {
                    key.removeAll(keepingCapacity: true)
                    segment.withKey(Int(t.id)) { key.append(contentsOf: $0) }
                    dictionary.add(term: key, kind: segment.kind(Int(t.id)), documentFrequency: t.documentFrequency,
                                   totalFrequency: t.totalFrequency, postingsOffset: postingsFlushed + t.postingsStart,
                                   positionsOffset: positionsFlushed + t.positionsStart, singleton: t.singleton)
                    totals.terms += 1
                    totals.postings += t.documentFrequency
                    totals.positions += t.totalFrequency
                }
                try sink.write(r.positions)
                positionsFlushed += r.positions.count
                try spill.append(r.postings.bytes)
                postingsFlushed += r.postings.count
            }
            c += n
        }
    }

    /// Encodes the postings and positions of the terms `ids` (consecutive in dictionary order).
    func encode(_ ids: ArraySlice<Int32>, segment: InvertedSegment, slotCounts: [Int32]) -> EncodedChunk {
        var chunk = EncodedChunk()
        chunk.terms.reserveCapacity(ids.count)
        var docs: [Int32] = [], freqs: [Int32] = [], values: [UInt32] = []
        var firsts: [UInt32] = []
        var blockBuffer = ByteWriter()
        var scratch = PostingsScratch()
        for id32 in ids {
            let id = Int(id32)
            docs.removeAll(keepingCapacity: true)
            freqs.removeAll(keepingCapacity: true)
            firsts.removeAll(keepingCapacity: true)
            values.removeAll(keepingCapacity: true)
            // the term's postings in document order: document deltas and frequencies, and per
            // document its first position then position deltas (each ≥ 1, stored minus 1)
            var ds = segment.documentStream(id)
            var ps = segment.positionStream(id)
            var doc: Int32 = -1
            while !ds.isAtEnd {
                let code = ds.varint()
                doc += Int32(bitPattern: code >> 1)
                let f = code & 1 == 1 ? 1 : Int(ds.varint())
                docs.append(doc)
                freqs.append(Int32(f))
                firsts.append(ps.varint())
                for _ in 1..<max(f, 1) { values.append(ps.varint() &- 1) }
            }
            let totalFrequency = docs.count + values.count
            var term = EncodedTerm(id: id32, documentFrequency: docs.count, totalFrequency: totalFrequency,
                                   postingsStart: chunk.postings.count, positionsStart: chunk.positions.count,
                                   singleton: nil)
            if docs.count == 1, totalFrequency == 1 {
                // a singleton lives in the dictionary entry alone
                term.singleton = (Int(docs[0]), Int(firsts[0]))
            } else {
                let inline = FileLayout.gapsAreInline(documentFrequency: docs.count, totalFrequency: totalFrequency)
                encodePostings(docs: docs, freqs: freqs, firsts: firsts, slotCounts: slotCounts,
                               documentCount: slotCounts.count, inlineGaps: inline ? values : nil,
                               into: &chunk.postings, blocks: &blockBuffer, scratch: &scratch)
                if !inline { encodePositions(values, into: &chunk.positions, bits: &scratch.bits) }
            }
            chunk.terms.append(term)
        }
        return chunk
    }

    /// Postings of one term (FORMAT.md "Postings"): blocks of 128 documents, each a Rice-coded
    /// bit stream of document gaps, frequencies and first positions; skip entries first when
    /// there are several blocks.
    private func encodePostings(docs: [Int32], freqs: [Int32], firsts: [UInt32], slotCounts: [Int32],
                                documentCount: Int, inlineGaps: [UInt32]?,
                                into out: inout ByteWriter, blocks scratch: inout ByteWriter,
                                scratch buffers: inout PostingsScratch) {
        let n = docs.count
        let perBlock = FileLayout.docsPerBlock
        scratch.bytes.removeAll(keepingCapacity: true)
        buffers.skips.bytes.removeAll(keepingCapacity: true)
        var previous: Int32 = -1
        var i = 0
        while i < n {
            let end = min(i + perBlock, n)
            let blockPrevious = previous
            buffers.gaps.removeAll(keepingCapacity: true)
            var positionCount = 0
            for j in i..<end {
                buffers.gaps.append(UInt32(docs[j] - previous - 1))
                previous = docs[j]
                positionCount += Int(freqs[j])
            }
            // one block: the gap parameter is derived from the document frequency; several: stored
            let single = n <= perBlock
            let k = single ? RiceCoding.derivedGapParameter(documentFrequency: n, documentCount: documentCount)
                           : RiceCoding.bestParameter(buffers.gaps)
            // first positions: Rice-coded, or in binary with as many bits as the document's slot
            // count needs, whichever is smaller for this block (flag 1 = binary)
            let kFirst = RiceCoding.bestParameter(firsts[i..<end])
            var riceBits = 0, binaryBits = 0
            for j in i..<end {
                riceBits += RiceCoding.cost(firsts[j], kFirst)
                binaryBits += RiceCoding.truncatedCost(firsts[j], below: Int(slotCounts[Int(docs[j])]))
            }
            let binary = binaryBits < riceBits
            if !single { buffers.bits.write(UInt64(k), bits: 5) }
            buffers.bits.write(binary ? 1 : 0, bits: 1)
            if !binary { buffers.bits.write(UInt64(kFirst), bits: 5) }
            for (g, j) in zip(buffers.gaps, i..<end) {
                buffers.bits.rice(g, k)
                if freqs[j] == 1 {
                    buffers.bits.write(1, bits: 1)
                } else {
                    buffers.bits.write(0, bits: 1)
                    buffers.bits.gamma(UInt32(freqs[j] - 1))
                }
                if binary {
                    buffers.bits.truncated(firsts[j], below: Int(slotCounts[Int(docs[j])]))
                } else {
                    buffers.bits.rice(firsts[j], kFirst)
                }
            }
            if let gaps = inlineGaps, !gaps.isEmpty {
                let k = RiceCoding.bestParameter(gaps)
                buffers.bits.write(UInt64(k), bits: 5)
                for g in gaps { buffers.bits.rice(g, k) }
            }
            let blockLength = buffers.bits.finish(appendingTo: &scratch.bytes)
            buffers.skips.varint(Int(docs[end - 1] - blockPrevious))
            buffers.skips.varint(blockLength)
            buffers.skips.varint(positionCount)
            i = end
        }
        if n > perBlock {
            out.varint(buffers.skips.count)
            out.append(contentsOf: buffers.skips.bytes)
        }
        out.append(contentsOf: scratch.bytes)
    }

    /// Position gaps of one term (each document's positions after its first): blocks of 128
    /// Rice-coded values with their byte length, then the rest Rice-coded.
    private func encodePositions(_ values: [UInt32], into out: inout ByteWriter, bits: inout BitWriter) {
        let size = FileLayout.positionsPerBlock
        var start = 0
        while start < values.count {
            let end = min(start + size, values.count)
            let slice = values[start..<end]
            let k = RiceCoding.bestParameter(slice)
            bits.write(UInt64(k), bits: 5)
            for x in slice { bits.rice(x, k) }
            if end - start == size {
                // a full block carries its byte length first
                var block: [UInt8] = []
                bits.finish(appendingTo: &block)
                out.varint(block.count)
                out.append(contentsOf: block)
            } else {
                bits.finish(appendingTo: &out.bytes)
            }
            start = end
        }
    }

    // MARK: documents and stored text

    /// The Documents section (FORMAT.md "Documents"): a fixed-width bit-packed record per
    /// document (length, slot count, key and title lengths, strings offset), then the strings.
    /// Keys that are the documents' own numbers ("0", "1", …: JSON Lines ids that are line
    /// numbers) are not stored at all.
    private func writeDocuments(_ d: DocumentTable, into sink: OutputSink) throws {
        var keysAreNumbers = true
        for i in 0..<d.count where !Self.isDecimal(d.keys[i], i) { keysAreNumbers = false; break }
        var maxLength: UInt64 = 0, maxSlots: UInt64 = 0, maxKey: UInt64 = 0, maxTitle: UInt64 = 0
        var stringsLength: UInt64 = 0
        for i in 0..<d.count {
            let k = keysAreNumbers ? 0 : UInt64(d.keys[i].utf8.count), t = UInt64(d.titles[i].utf8.count)
            maxLength = max(maxLength, UInt64(UInt32(bitPattern: d.lengths[i])))
            maxSlots = max(maxSlots, UInt64(UInt32(bitPattern: d.slotCounts[i])))
            maxKey = max(maxKey, k)
            maxTitle = max(maxTitle, t)
            if i + 1 < d.count { stringsLength += k + t }   // the largest offset is the last one
        }
        func width(_ v: UInt64) -> Int { 64 - v.leadingZeroBitCount }
        let widths = [width(maxLength), width(maxSlots), width(maxKey), width(maxTitle), width(stringsLength)]
        var out = ByteWriter()
        out.u64(UInt64(d.count))
        out.u64(UInt64(d.totalLength))
        out.u8(keysAreNumbers ? 1 : 0)
        for w in widths { out.u8(UInt8(w)) }
        out.u8(0); out.u8(0)
        try sink.write(out)
        out.bytes.removeAll(keepingCapacity: true)
        var bits = BitWriter()
        var offset: UInt64 = 0
        for i in 0..<d.count {
            let k = keysAreNumbers ? 0 : UInt64(d.keys[i].utf8.count), t = UInt64(d.titles[i].utf8.count)
            bits.write(UInt64(UInt32(bitPattern: d.lengths[i])), bits: widths[0])
            bits.write(UInt64(UInt32(bitPattern: d.slotCounts[i])), bits: widths[1])
            bits.write(k, bits: widths[2])
            bits.write(t, bits: widths[3])
            bits.write(offset, bits: widths[4])
            offset += k + t
        }
        try sink.write(bits.finish())
        for i in 0..<d.count {
            if !keysAreNumbers { out.append(contentsOf: d.keys[i].utf8) }
            out.append(contentsOf: d.titles[i].utf8)
            if out.count >= 1 << 20 { try sink.write(out); out.bytes.removeAll(keepingCapacity: true) }
        }
        try sink.write(out)
    }

    /// Whether `key` is the decimal spelling of `n` (no sign, no leading zero).
    static func isDecimal(_ key: String, _ n: Int) -> Bool {
        key.utf8.count <= 10 && key == String(n)
    }

    private func writeStored(_ d: DocumentTable, into sink: OutputSink) throws {
        var out = ByteWriter()
        out.u32(UInt32(d.storedBlocks.count))
        out.u32(0)
        var offset = 0
        for b in d.storedBlocks {
            out.u32(UInt32(b.firstDocument))
            out.u32(UInt32(b.documentCount))
            out.u64(UInt64(offset))
            out.u32(UInt32(b.compressedLength))
            out.u32(UInt32(b.rawLength))
            offset += b.compressedLength
        }
        try sink.write(out)
        try d.storedData.drain(into: sink)
    }
}

/// One wave of chunks encoded by concurrent workers. The segment is only read; each worker
/// initializes only its own result slot (raw memory, so no Swift array is mutated from several
/// threads).
final class ChunkJob: @unchecked Sendable {
    private let serializer: IndexSerializer
    private let segment: InvertedSegment
    private let slotCounts: [Int32]
    private let order: [Int32]
    private let firstChunk: Int
    private let slots: UnsafeMutablePointer<IndexSerializer.EncodedChunk>
    let count: Int

    init(serializer: IndexSerializer, segment: InvertedSegment, slotCounts: [Int32], order: [Int32], firstChunk: Int, count: Int) {
        self.serializer = serializer
        self.segment = segment
        self.slotCounts = slotCounts
        self.order = order
        self.firstChunk = firstChunk
        self.count = count
        slots = .allocate(capacity: count)
    }

    /// Encodes chunk `i` of the wave into its slot.
    func run(_ i: Int) {
        let start = (firstChunk + i) * IndexSerializer.chunkTerms
        let ids = order[start..<min(start + IndexSerializer.chunkTerms, order.count)]
        (slots + i).initialize(to: serializer.encode(ids, segment: segment, slotCounts: slotCounts))
    }

    /// The chunks, once every slot is set (moves them out).
    func take() -> [IndexSerializer.EncodedChunk] {
        (0..<count).map { (slots + $0).move() }
    }

    deinit { slots.deallocate() }
}

/// Buffers reused from term to term while encoding postings (no allocation per term).
struct PostingsScratch {
    var bits = BitWriter()
    var gaps: [UInt32] = []
    var skips = ByteWriter()
}

/// Builds the term dictionary section: front-coded blocks of ``FileLayout/termsPerBlock`` terms
/// and a fixed-width block index (8 key-prefix bytes + block offset) for binary search.
struct DictionaryWriter {
    /// The index's document count (the radix of singleton entries).
    let documentCount: Int
    init(documentCount: Int) { self.documentCount = documentCount }
    private var index = ByteWriter()
    private var blocks = ByteWriter()
    private var termCount = 0
    private var blockCount = 0
    private var previous: [UInt8] = []
    private var previousPostings = 0
    private var previousPositions = 0
    /// Whether the block's previous non-singleton term has position gaps (nil: none yet).
    private var previousHadGaps: Bool? = nil

    mutating func add(term: [UInt8], kind: TokenKind, documentFrequency: Int, totalFrequency: Int,
                      postingsOffset: Int, positionsOffset: Int, singleton: (document: Int, position: Int)?) {
        if termCount % FileLayout.termsPerBlock == 0 {
            var prefix = [UInt8](repeating: 0, count: 8)
            for (i, b) in term.prefix(8).enumerated() { prefix[i] = b }
            index.append(contentsOf: prefix)
            index.u32(UInt32(blocks.count))
            blocks.varint(postingsOffset)
            blocks.varint(positionsOffset)
            previous = []
            previousPostings = postingsOffset
            previousPositions = positionsOffset
            previousHadGaps = nil
            blockCount += 1
        }
        if let p = TermCoding.twoScalars(previous), let t = TermCoding.twoScalars(term),
           p.firstLength == t.firstLength, previous.prefix(p.firstLength).elementsEqual(term.prefix(t.firstLength)),
           t.second > p.second {
            // two-character term after one with the same first character: header with both
            // lengths 0, then the distance between the second characters' code points − 1
            blocks.u8(UInt8(kind.rawValue))
            blocks.varint(Int(t.second - p.second - 1))
        } else {
            var shared = 0
            while shared < previous.count, shared < term.count, previous[shared] == term[shared] { shared += 1 }
            let suffix = term.count - shared
            // entry header: kind (bits 0-1), shared length (bits 2-4), suffix length (bits 5-7);
            // 7 in a length field means "a varint follows"
            blocks.u8(UInt8(kind.rawValue) | UInt8(min(shared, 7)) << 2 | UInt8(min(suffix, 7)) << 5)
            if shared >= 7 { blocks.varint(shared) }
            if suffix >= 7 { blocks.varint(suffix) }
            blocks.append(contentsOf: term[shared...])
        }
        if let singleton {
            // one varint, low bit 1: (position × DocumentCount + document) << 1 | 1
            blocks.varint((UInt64(singleton.position) * UInt64(documentCount) + UInt64(singleton.document)) << 1 | 1)
        } else {
            // low bit 0: (DocumentFrequency << 1 | ttf == df) << 1
            let sameFrequency = totalFrequency == documentFrequency
            blocks.varint((documentFrequency << 1 | (sameFrequency ? 1 : 0)) << 1)
            if !sameFrequency { blocks.varint(totalFrequency - documentFrequency - 1) }
            // the first non-singleton of a block starts at the block's bases; a term after one
            // without position gaps starts where that one started in the positions section
            if let hadGaps = previousHadGaps {
                blocks.varint(postingsOffset - previousPostings)
                if hadGaps { blocks.varint(positionsOffset - previousPositions) }
            }
            previousPostings = postingsOffset
            previousPositions = positionsOffset
            previousHadGaps = totalFrequency > documentFrequency
                && !FileLayout.gapsAreInline(documentFrequency: documentFrequency, totalFrequency: totalFrequency)
        }
        previous = term
        termCount += 1
    }

    func finish(into sink: OutputSink) throws {
        var out = ByteWriter()
        out.u64(UInt64(termCount))
        out.u32(UInt32(blockCount))
        out.u32(UInt32(FileLayout.termsPerBlock))
        try sink.write(out)
        try sink.write(index)
        try sink.write(blocks)
    }
}
