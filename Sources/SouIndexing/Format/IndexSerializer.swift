import Foundation
import SouAnalysis

/// Everything the serializer needs about the documents, in document order.
struct DocumentTable: Sendable {
    var keys: [String] = []
    var titles: [String] = []
    var lengths: [Int32] = []
    var storedBlocks: [StoredBlock] = []
    var totalLength = 0

    var count: Int { keys.count }

    mutating func append(_ result: BatchResult) {
        keys.append(contentsOf: result.batch.keys)
        titles.append(contentsOf: result.batch.titles)
        lengths.append(contentsOf: result.lengths)
        for l in result.lengths { totalLength += Int(l) }
        if let s = result.stored { storedBlocks.append(s) }
    }
}

/// Writes in-memory segments and the document table as one index file (see FORMAT.md).
///
/// The output depends only on the documents and the configuration, never on how documents were
/// spread over segments: terms are merged in byte order and each term's postings are re-encoded
/// in document order.
struct IndexSerializer {
    let configuration: AnalyzerConfiguration
    let storesText: Bool

    /// Counts gathered while writing (for the build summary).
    struct Totals {
        var terms = 0
        var postings = 0
        var positions = 0
    }

    func serialize(segments: [InvertedSegment], documents: DocumentTable) throws -> (bytes: [UInt8], totals: Totals) {
        var out = ByteWriter()
        out.bytes.reserveCapacity(1 << 16)
        out.append(contentsOf: [UInt8](repeating: 0, count: FileLayout.headerSize))
        var totals = Totals()
        var sections: [(SectionKind, Range<Int>)] = []

        // Positions go straight into the file buffer; postings and the dictionary are appended after.
        let positionsStart = out.count
        var postings = ByteWriter()
        var dictionary = DictionaryWriter()
        try writeTerms(segments: segments, positions: &out, positionsStart: positionsStart,
                       postings: &postings, dictionary: &dictionary, totals: &totals)
        sections.append((.positions, positionsStart..<out.count))
        let postingsStart = out.count
        out.append(contentsOf: postings.bytes)
        postings = ByteWriter()
        sections.append((.postings, postingsStart..<out.count))
        let termsStart = out.count
        dictionary.finish(into: &out)
        sections.append((.terms, termsStart..<out.count))
        let documentsStart = out.count
        writeDocuments(documents, into: &out)
        sections.append((.documents, documentsStart..<out.count))
        if storesText {
            let storedStart = out.count
            writeStored(documents.storedBlocks, into: &out)
            sections.append((.storedText, storedStart..<out.count))
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
        out.bytes.replaceSubrange(0..<FileLayout.headerSize, with: header.bytes)

        // Footer: section table, then the trailer.
        let tableStart = out.count
        for (kind, range) in sections {
            let crc = out.bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[range])) }
            out.u32(kind.rawValue)
            out.u32(crc)
            out.u64(UInt64(range.lowerBound))
            out.u64(UInt64(range.count))
        }
        let metaCRC = out.bytes.withUnsafeBytes { b in
            CRC32C.update(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[0..<FileLayout.headerSize])),
                          UnsafeRawBufferPointer(rebasing: b[tableStart..<out.count]))
        }
        out.u32(UInt32(sections.count))
        out.u32(metaCRC)
        out.u64(UInt64(out.count + 16))
        out.append(contentsOf: FileLayout.trailerMagic)
        return (out.bytes, totals)
    }

    // MARK: terms, postings, positions

    private func writeTerms(segments: [InvertedSegment], positions: inout ByteWriter, positionsStart: Int,
                            postings: inout ByteWriter, dictionary: inout DictionaryWriter,
                            totals: inout Totals) throws {
        let sorted = segments.map { $0.sortedTermIDs() }
        var heads = [Int](repeating: 0, count: segments.count)
        var docs: [Int32] = [], freqs: [Int32] = [], values: [UInt32] = []
        var runs: [(doc: Int32, start: Int, count: Int)] = []
        var segValues: [UInt32] = []
        var blockBuffer = ByteWriter()
        var key: [UInt8] = []
        while true {
            // the smallest head term over all segments
            var minSeg = -1
            for s in 0..<segments.count where heads[s] < sorted[s].count {
                if minSeg < 0 { minSeg = s; continue }
                let a = Int(sorted[s][heads[s]]), b = Int(sorted[minSeg][heads[minSeg]])
                let less = segments[s].withKey(a) { ka in segments[minSeg].withKey(b) { kb in ka.lexicographicallyPrecedes(kb) } }
                if less { minSeg = s }
            }
            if minSeg < 0 { break }
            let minID = Int(sorted[minSeg][heads[minSeg]])
            key = segments[minSeg].withKey(minID) { Array($0) }
            let kind = segments[minSeg].kinds[minID]
            values.removeAll(keepingCapacity: true)
            runs.removeAll(keepingCapacity: true)
            var contributing = 0
            for s in 0..<segments.count where heads[s] < sorted[s].count {
                let id = Int(sorted[s][heads[s]])
                let same = segments[s].withKey(id) { $0.elementsEqual(key) }
                guard same else { continue }
                heads[s] += 1
                contributing += 1
                // decode this segment's postings; positions into segValues
                var ds = segments[s].documentStream(id)
                var ps = segments[s].positionStream(id)
                var doc: Int32 = -1
                while !ds.isAtEnd {
                    doc += Int32(bitPattern: ds.varint())
                    let f = Int(ds.varint())
                    let start = segValues.count
                    for _ in 0..<f { segValues.append(ps.varint()) }
                    runs.append((doc, start, f))
                }
            }
            // order by document (segments hold disjoint, individually increasing document sets)
            if contributing > 1 {
                runs.sort { $0.doc < $1.doc }
            }
            docs.removeAll(keepingCapacity: true)
            freqs.removeAll(keepingCapacity: true)
            for r in runs {
                docs.append(r.doc)
                freqs.append(Int32(r.count))
                values.append(contentsOf: segValues[r.start..<(r.start + r.count)])
            }
            segValues.removeAll(keepingCapacity: true)

            let postingsOffset = postings.count
            let positionsOffset = positions.count - positionsStart
            if docs.count == 1, values.count == 1 {
                // a singleton lives in the dictionary entry alone
                dictionary.add(term: key, kind: kind, documentFrequency: 1, totalFrequency: 1,
                               postingsOffset: postingsOffset, positionsOffset: positionsOffset,
                               singleton: (Int(docs[0]), Int(values[0])))
            } else {
                encodePostings(docs: docs, freqs: freqs, into: &postings, scratch: &blockBuffer)
                encodePositions(values, into: &positions)
                dictionary.add(term: key, kind: kind, documentFrequency: docs.count, totalFrequency: values.count,
                               postingsOffset: postingsOffset, positionsOffset: positionsOffset, singleton: nil)
            }
            totals.terms += 1
            totals.postings += docs.count
            totals.positions += values.count
        }
    }

    /// Postings of one term (FORMAT.md "Postings").
    private func encodePostings(docs: [Int32], freqs: [Int32], into out: inout ByteWriter, scratch: inout ByteWriter) {
        let n = docs.count
        let perBlock = FileLayout.docsPerBlock
        if n <= perBlock {
            var previous: Int32 = -1
            for i in 0..<n {
                Self.writeDoc(docs[i] - previous, freqs[i], into: &out)
                previous = docs[i]
            }
            return
        }
        scratch.bytes.removeAll(keepingCapacity: true)
        var skips = ByteWriter()
        var previous: Int32 = -1
        var i = 0
        while i < n {
            let end = min(i + perBlock, n)
            let blockStart = scratch.count
            var positionCount = 0
            let blockPrevious = previous
            for j in i..<end {
                Self.writeDoc(docs[j] - previous, freqs[j], into: &scratch)
                previous = docs[j]
                positionCount += Int(freqs[j])
            }
            skips.varint(Int(docs[end - 1] - blockPrevious))
            skips.varint(scratch.count - blockStart)
            skips.varint(positionCount)
            i = end
        }
        out.varint(skips.count)
        out.append(contentsOf: skips.bytes)
        out.append(contentsOf: scratch.bytes)
    }

    @inline(__always)
    private static func writeDoc(_ delta: Int32, _ freq: Int32, into out: inout ByteWriter) {
        if freq == 1 {
            out.varint(UInt64(delta) << 1 | 1)
        } else {
            out.varint(UInt64(delta) << 1)
            out.varint(Int(freq))
        }
    }

    /// Positions of one term: full blocks of 128 packed, the rest as varints.
    private func encodePositions(_ values: [UInt32], into out: inout ByteWriter) {
        let full = values.count / PackedBlock.size
        values.withUnsafeBufferPointer { v in
            for b in 0..<full {
                PackedBlock.encode(UnsafeBufferPointer(rebasing: v[(b * PackedBlock.size)..<((b + 1) * PackedBlock.size)]), into: &out)
            }
            for i in (full * PackedBlock.size)..<values.count { out.varint(UInt64(v[i])) }
        }
    }

    // MARK: documents and stored text

    private func writeDocuments(_ d: DocumentTable, into out: inout ByteWriter) {
        out.u64(UInt64(d.count))
        out.u64(UInt64(d.totalLength))
        var stringsOffset = 0
        for i in 0..<d.count {
            let k = d.keys[i].utf8.count, t = d.titles[i].utf8.count
            out.u64(UInt64(stringsOffset))
            out.u32(UInt32(k))
            out.u32(UInt32(t))
            out.u32(UInt32(bitPattern: d.lengths[i]))
            stringsOffset += k + t
        }
        for i in 0..<d.count {
            out.append(contentsOf: d.keys[i].utf8)
            out.append(contentsOf: d.titles[i].utf8)
        }
    }

    private func writeStored(_ blocks: [StoredBlock], into out: inout ByteWriter) {
        out.u32(UInt32(blocks.count))
        out.u32(0)
        var offset = 0
        for b in blocks {
            out.u32(UInt32(b.firstDocument))
            out.u32(UInt32(b.documentCount))
            out.u64(UInt64(offset))
            out.u32(UInt32(b.compressed.count))
            out.u32(UInt32(b.rawLength))
            offset += b.compressed.count
        }
        for b in blocks { out.append(contentsOf: b.compressed) }
    }
}

/// Builds the term dictionary section: front-coded blocks of ``FileLayout/termsPerBlock`` terms
/// and a fixed-width block index (8 key-prefix bytes + block offset) for binary search.
struct DictionaryWriter {
    private var index = ByteWriter()
    private var blocks = ByteWriter()
    private var termCount = 0
    private var blockCount = 0
    private var previous: [UInt8] = []
    private var previousPostings = 0
    private var previousPositions = 0

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
            blockCount += 1
        }
        var shared = 0
        while shared < previous.count, shared < term.count, previous[shared] == term[shared] { shared += 1 }
        let suffix = term.count - shared
        // entry header: kind (bits 0-1), shared length (bits 2-4), suffix length (bits 5-7);
        // 7 in a length field means "a varint follows"
        blocks.u8(UInt8(kind.rawValue) | UInt8(min(shared, 7)) << 2 | UInt8(min(suffix, 7)) << 5)
        if shared >= 7 { blocks.varint(shared) }
        if suffix >= 7 { blocks.varint(suffix) }
        blocks.append(contentsOf: term[shared...])
        let sameFrequency = totalFrequency == documentFrequency
        blocks.varint(documentFrequency << 1 | (sameFrequency ? 1 : 0))
        if !sameFrequency { blocks.varint(totalFrequency - documentFrequency - 1) }
        if let singleton {
            blocks.varint(singleton.document)
            blocks.varint(singleton.position)
        } else {
            blocks.varint(postingsOffset - previousPostings)
            blocks.varint(positionsOffset - previousPositions)
            previousPostings = postingsOffset
            previousPositions = positionsOffset
        }
        previous = term
        termCount += 1
    }

    func finish(into out: inout ByteWriter) {
        out.u64(UInt64(termCount))
        out.u32(UInt32(blockCount))
        out.u32(UInt32(FileLayout.termsPerBlock))
        out.append(contentsOf: index.bytes)
        out.append(contentsOf: blocks.bytes)
    }
}
