import Dispatch
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

        func section(_ kind: SectionKind, _ write: () throws -> Void) rethrows {
            sink.beginSection()
            try write()
            let s = sink.endSection()
            sections.append(SectionEntry(kind: kind, range: s.range, crc: s.crc))
        }
        // The BigramEnds, TermFilter, Documents and KeyOrder sections do not depend on the sink:
        // with several jobs, another thread makes their bytes while this one copies the postings
        // and the dictionary into the sink (the serial end of a parallel build: on dev-all, the
        // 2.5 ms they took after those overlap the 2 ms of copying); with one, they are written
        // as they are made, after those.
        let dictionary = output.dictionary
        nonisolated(unsafe) var tail: Result<TailSections, any Error>? = nil
        let tailDone = DispatchGroup()
        defer { tailDone.wait() }
        if jobs > 1 {
            nonisolated(unsafe) let documents = documents
            DispatchQueue.global().async(group: tailDone) { tail = Result { try TailSections(dictionary: dictionary, documents: documents) } }
        }

        try section(.postings) { try output.postings.drain(into: sink) }
        try section(.terms) { try dictionary.finish(into: sink) }

        if jobs > 1 {
            tailDone.wait()
            let made = try tail!.get()
            try section(.bigramEnds) { try sink.write(made.bigramEnds) }
            if let filter = made.termFilter { try section(.termFilter) { try sink.write(filter) } }
            try section(.documents) { try sink.write(made.documents) }
            try section(.keyOrder) { try sink.write(made.keyOrder) }
        } else {
            try section(.bigramEnds) { try sink.write(dictionary.bigramEnds.finish()) }
            if let filter = dictionary.filter { try section(.termFilter) { try sink.write(filter.finish()) } }
            try section(.documents) { try DocumentsWriter.writeDocuments(documents, into: sink) }
            try section(.keyOrder) { try DocumentsWriter.writeKeyOrder(documents, into: sink) }
        }

        if storesText { try section(.storedText) { try DocumentsWriter.writeStoredText(documents, into: sink) } }

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

/// The sections after the dictionary that a serializer can make apart from the sink, in memory:
/// the BigramEnds section, the TermFilter section (nil when the layout has none), the Documents
/// and the KeyOrder sections (their order in the file).
struct TailSections {
    var bigramEnds: [UInt8]
    var termFilter: [UInt8]?
    var documents: [UInt8]
    var keyOrder: [UInt8]

    init(dictionary: DictionaryWriter, documents table: DocumentTable) throws {
        bigramEnds = dictionary.bigramEnds.finish()
        termFilter = dictionary.filter?.finish().bytes
        let d = OutputSink()
        try DocumentsWriter.writeDocuments(table, into: d)
        documents = d.bytes
        let k = OutputSink()
        try DocumentsWriter.writeKeyOrder(table, into: k)
        keyOrder = k.bytes
    }
}
