import FoundationEssentials
import Glibc
import SouAnalysis

/// Where a serializer gets its terms: every term with its postings, in dictionary order (terms
/// sorted by bytes), encoded by a ``PostingsEncoder`` into ``EncodedChunk``s. The in-memory
/// segment of a build (``SegmentTerms``) and a merge of segments (``MergedTerms``) are the two
/// sources; the bytes written depend only on the terms and postings they yield.
protocol TermSource {
    /// Encodes every term with at least one posting, in dictionary order, and hands the chunks to
    /// `output` in order. `slotCounts` holds every document's slot count (its count is the
    /// document count).
    func writeTerms(slotCounts: [Int32], into output: inout TermOutput) throws
}

/// Receives encoded chunks in dictionary order: positions stream into the sink (the first
/// section of the file), postings wait in a spill buffer, the dictionary grows in memory.
struct TermOutput {
    let positions: OutputSink
    let postings: SpillBuffer
    var dictionary: DictionaryWriter
    var totals = IndexSerializer.Totals()
    private var positionsFlushed = 0, postingsFlushed = 0

    init(positions: OutputSink, postings: SpillBuffer, documentCount: Int, layout: FileLayout.DictionaryLayout) {
        self.positions = positions
        self.postings = postings
        dictionary = DictionaryWriter(documentCount: documentCount, layout: layout)
    }

    /// Appends the chunk's terms (which follow every term appended before).
    mutating func append(_ chunk: EncodedChunk) throws {
        chunk.keys.withUnsafeBufferPointer { keys in
            for t in chunk.terms {
                dictionary.add(term: UnsafeBufferPointer(rebasing: keys[t.key]), kind: t.kind, documentFrequency: t.documentFrequency,
                               totalFrequency: t.totalFrequency, postingsOffset: postingsFlushed + t.postingsStart,
                               positionsOffset: positionsFlushed + t.positionsStart, singleton: t.singleton, endsRun: t.endsRun)
                totals.terms += 1
                totals.postings += t.documentFrequency
                totals.positions += t.totalFrequency
            }
        }
        try positions.write(chunk.positions)
        positionsFlushed += chunk.positions.count
        try postings.append(chunk.postings.bytes)
        postingsFlushed += chunk.postings.count
    }
}

/// Writes one index file (FORMAT.md): terms from a ``TermSource``, documents from a
/// ``DocumentTable``; then the header, the section table and the trailer.
///
/// The output depends only on the documents, the terms and their postings, and the configuration:
/// not on the number of threads, nor on whether the terms come from a build or a merge.
struct IndexSerializer {
    let configuration: AnalyzerConfiguration
    let storesText: Bool
    /// Threads encoding postings (the bytes are the same for any value).
    var jobs = 1
    /// The dictionary's block size and filter: ``FileLayout/DictionaryLayout/base`` for an
    /// index's base segment, ``FileLayout/DictionaryLayout/update`` for one an update adds beside
    /// others.
    var dictionaryLayout = FileLayout.DictionaryLayout.base
    /// Measures the encoding threads' time as ``IndexBuildTimings/Phase/serialize`` (the caller
    /// measures its own thread).
    var timings: IndexBuildTimings? = nil

    /// Counts gathered while writing (for the build summary).
    struct Totals {
        var documents = 0
        var terms = 0
        var postings = 0
        var positions = 0
    }

    /// Terms per chunk, the unit of parallel encoding.
    static let chunkTerms = 4096

    /// Terms per chunk of a segment of `terms` terms encoded on `jobs` threads: ``chunkTerms``,
    /// or fewer for a small segment (an update's), so that its terms make about 8 chunks a
    /// thread, but not under 256: the consumer waits only for the first chunk before it appends
    /// (with 4,096-term chunks, the 11,261 terms of a 71-document update were 3 chunks, and the
    /// consumer waited for a third of the encoding). The bytes do not depend on it.
    static func chunkTerms(forTerms terms: Int, jobs: Int) -> Int {
        guard jobs > 1 else { return chunkTerms }
        return min(chunkTerms, max(256, terms / (8 * jobs)))
    }

    /// Writes the whole file for a build's in-memory segment into `sink`.
    func serialize(segment: InvertedSegment, documents: DocumentTable, into sink: OutputSink) throws -> Totals {
        try serialize(terms: SegmentTerms(segment: segment, jobs: jobs, timings: timings), documents: documents, into: sink)
    }

    /// Writes the whole file into `sink`.
    func serialize(terms: some TermSource, documents: DocumentTable, into sink: OutputSink) throws -> Totals {
        try sink.write([UInt8](repeating: 0, count: FileLayout.headerSize))
        var sections: [SectionEntry] = []

        // Positions stream into the sink; postings wait in a spill buffer, the dictionary in memory.
        sink.beginSection()
        var output = TermOutput(positions: sink, postings: SpillBuffer(), documentCount: documents.count, layout: dictionaryLayout)
        try terms.writeTerms(slotCounts: documents.slotCounts, into: &output)
        var totals = output.totals
        totals.documents = documents.count
        let p = sink.endSection()
        sections.append(SectionEntry(kind: .positions, range: p.range, crc: p.crc))

        sink.beginSection()
        try output.postings.drain(into: sink)
        let q = sink.endSection()
        sections.append(SectionEntry(kind: .postings, range: q.range, crc: q.crc))

        sink.beginSection()
        try output.dictionary.finish(into: sink)
        let t = sink.endSection()
        sections.append(SectionEntry(kind: .terms, range: t.range, crc: t.crc))

        sink.beginSection()
        try sink.write(output.dictionary.bigramEnds.finish())
        let e = sink.endSection()
        sections.append(SectionEntry(kind: .bigramEnds, range: e.range, crc: e.crc))

        if let filter = output.dictionary.filter {
            sink.beginSection()
            try sink.write(filter.finish())
            let f = sink.endSection()
            sections.append(SectionEntry(kind: .termFilter, range: f.range, crc: f.crc))
        }

        sink.beginSection()
        try DocumentsWriter.writeDocuments(documents, into: sink)
        let d = sink.endSection()
        sections.append(SectionEntry(kind: .documents, range: d.range, crc: d.crc))

        sink.beginSection()
        try DocumentsWriter.writeKeyOrder(documents, into: sink)
        let k = sink.endSection()
        sections.append(SectionEntry(kind: .keyOrder, range: k.range, crc: k.crc))

        if storesText {
            sink.beginSection()
            try DocumentsWriter.writeStoredText(documents, into: sink)
            let s = sink.endSection()
            sections.append(SectionEntry(kind: .storedText, range: s.range, crc: s.crc))
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
        for s in sections {
            table.u32(s.kind.rawValue)
            table.u32(s.crc)
            table.u64(UInt64(s.range.lowerBound))
            table.u64(UInt64(s.range.count))
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
}
