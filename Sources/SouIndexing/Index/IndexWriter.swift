import Foundation
import SouAnalysis

/// Builds an index in memory, then serializes it to the binary format.
///
/// Documents are analyzed and inverted as they are added (into compact per-term byte streams,
/// see ``ByteSlicePool``); their text is compressed in blocks of ~64 KiB when stored. The file
/// written is the same whatever the number of threads used (see ``IndexBuilder``).
public final class IndexWriter {
    /// The analyzer configuration (written into the index; queries use it).
    public let configuration: AnalyzerConfiguration
    /// Whether document text is stored in the index.
    public let storesText: Bool

    let analyzer: Analyzer
    let segment = InvertedSegment()
    let batchAnalyzer: BatchAnalyzer
    let documents = DocumentTable()
    var pending: DocumentBatch
    /// Threads encoding postings when the index is serialized (set by a parallel build).
    var serializationJobs = 1

    /// The longest term indexed, in UTF-8 bytes (Lucene's limit): a longer token is left out
    /// and its slot stays empty (``IndexBuildSummary/skippedTokens`` counts them), so that every
    /// file written stays readable.
    public static let maxTermBytes = FileLayout.maxTermBytes

    /// Creates an empty writer. `storesText: false` leaves document text out of the file.
    public init(configuration: AnalyzerConfiguration = AnalyzerConfiguration(), storesText: Bool = true) throws {
        self.configuration = configuration
        self.storesText = storesText
        analyzer = try Analyzer(configuration: configuration)
        batchAnalyzer = BatchAnalyzer(analyzer: analyzer, storesText: storesText)
        pending = DocumentBatch(firstDocument: 0)
    }

    /// Adds a document. `text` is what is analyzed and stored (for JSON Lines: the text
    /// fields joined by "\n", title first); `title` is shown in results.
    public func addDocument(key: String, title: String = "", text: String) throws {
        guard documentCount < Int(Int32.max) else { throw IndexError.io("too many documents for one index") }
        pending.append(key: key, title: title, text: text)
        if pending.isFull { try flushPending() }
    }

    /// Number of documents added so far.
    public var documentCount: Int { documents.count + pending.count }

    func flushPendingBatch() throws { try flushPending() }

    /// Inverts an analyzed batch (batches must come in document order) and records its documents.
    func invert(_ analyzed: AnalyzedBatch) throws {
        precondition(analyzed.batch.firstDocument == documents.count, "batches out of order")
        var start = 0
        for (k, end) in analyzed.tokenEnds.enumerated() {
            let slots = try segment.invert(document: analyzed.batch.firstDocument + k, tokens: analyzed.tokens, range: start..<end)
            documents.slotCounts.append(Int32(clamping: slots))
            start = end
        }
        try documents.append(analyzed)
    }

    private func flushPending() throws {
        guard pending.count > 0 else { return }
        try invert(try batchAnalyzer.analyze(pending))
        pending = DocumentBatch(firstDocument: documents.count)
    }

    /// The next batch's first document id (batches are cut by ``DocumentBatch/isFull``).
    var nextDocumentID: Int { documents.count + pending.count }

    /// Serializes the index into bytes (the whole file).
    func serialize() throws -> (bytes: [UInt8], totals: IndexSerializer.Totals) {
        try flushPending()
        let sink = OutputSink()
        let totals = try IndexSerializer(configuration: configuration, storesText: storesText, jobs: serializationJobs)
            .serialize(segment: segment, documents: documents, into: sink)
        return (sink.bytes, totals)
    }

    /// Serializes the index into memory and opens it with the same reader as a file.
    public func makeIndex() throws -> SouIndex {
        try SouIndex(bytes: serialize().bytes)
    }

    /// Serializes the index to `url` atomically (temporary file in the same folder, fsync,
    /// rename): a reader of `url` sees the previous file or the new one, never a partial one.
    /// The file is written as it is serialized (not assembled in memory first). An existing
    /// `url` must be a regular file this user may write (``OutputRefusal`` otherwise: a symbolic
    /// link, device or FIFO is never replaced); the new file keeps its permission bits.
    public func write(to url: URL) throws {
        _ = try writeReturningSummary(to: url)
    }

    /// Writes the index and returns counts for a build summary.
    func writeReturningSummary(to url: URL, temporaryFile: TemporaryFileHook? = nil) throws -> (totals: IndexSerializer.Totals, fileBytes: Int) {
        try flushPending()
        var totals = IndexSerializer.Totals()
        var size = 0
        try AtomicFile.write(to: url, temporaryFile: temporaryFile) { fd in
            let sink = OutputSink(fileDescriptor: fd)
            totals = try IndexSerializer(configuration: configuration, storesText: storesText, jobs: serializationJobs)
                .serialize(segment: segment, documents: documents, into: sink)
            size = sink.offset
        }
        return (totals, size)
    }
}
