import FoundationEssentials
import Glibc
import SouAnalysis

/// Builds an index in memory, then serializes it to the binary format.
///
/// Documents are analyzed and inverted as they are added (into compact per-term byte streams,
/// see ``ByteSlicePool``); their text is compressed in blocks of ~16 KiB when stored. The file
/// written is the same whatever the number of threads used (see ``IndexBuilder``).
public final class SegmentWriter {
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
    /// Measures the phases of a one-shot build (``IndexBuilder/buildIndex(paths:)``); an
    /// ``IndexWriter`` measures its buffer's phases itself.
    var timings: IndexBuildTimings? = nil {
        didSet { batchAnalyzer.timings = timings }
    }

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
    /// fields joined by "\n", title first); `title` is shown in results; `source` says which
    /// input file the document came from (0: none or unknown), read back with
    /// ``SegmentReader/documentSource(_:)``.
    public func addDocument(key: String, title: String = "", text: String, source: UInt32 = 0) throws {
        try addDocument(SourceDocument(key: key, title: title, text: text, source: source))
    }

    /// ``addDocument(key:title:text:source:)`` of a document as read (its text possibly still bytes).
    func addDocument(_ document: SourceDocument) throws {
        guard documentCount < Int(Int32.max) else { throw IndexError.io("too many documents for one index") }
        try Self.checkTextSize(document)
        pending.append(document)
        if pending.isFull { try flushPending() }
    }

    /// The most UTF-8 bytes one document's text may hold: 1023 MiB. Its stored text shares a
    /// block with the documents before it in its batch (less than
    /// ``FileLayout/storedBlockTarget`` of text), and a reader refuses a block over
    /// ``FileLayout/maxStoredBlockBytes`` (1 GiB) as damage; the analyzer's byte offsets and
    /// slots are 32-bit as well.
    public static let maxTextBytes = FileLayout.maxStoredBlockBytes - (1 << 20)

    /// Throws ``IndexError/capacity(_:)`` for a document whose text is over ``maxTextBytes``
    /// (which would be written, then refused by every reader, or trap beyond 2 GiB).
    static func checkTextSize(_ document: SourceDocument) throws {
        let n = document.body.count
        guard n <= maxTextBytes else {
            let key = document.key.count > 200 ? String(document.key.prefix(200)) + "…" : document.key
            throw IndexError.capacity("document \"\(key)\": its text is \(n) bytes, more than the \(maxTextBytes >> 20) MiB one document may hold")
        }
    }

    /// The ``IndexError/capacity(_:)`` for a document whose text the analyzer refused
    /// (``AnalyzerError/capacity(_:)``: slots past ``Analyzer/maxPosition``; a text under
    /// ``maxTextBytes`` takes at most about two slots a byte, so none should).
    static func capacityError(_ error: AnalyzerError, key: String) -> IndexError {
        let key = key.count > 200 ? String(key.prefix(200)) + "…" : key
        return IndexError.capacity("document \"\(key)\": \(error)")
    }

    /// Number of documents added so far.
    public var documentCount: Int { documents.count + pending.count }

    func flushPendingBatch() throws { try flushPending() }

    /// Inverts an analyzed batch (batches must come in document order) and records its documents.
    func invert(_ analyzed: AnalyzedBatch) throws {
        try IndexBuildTimings.measure(timings, .invert) { try invertBatch(analyzed) }
    }

    private func invertBatch(_ analyzed: AnalyzedBatch) throws {
        precondition(analyzed.batch.firstDocument == documents.count, "batches out of order")
        var analyzed = analyzed
        var start = 0
        for (k, end) in analyzed.tokenEnds.enumerated() {
            let document = analyzed.batch.firstDocument + k
            if let text = analyzed.streamed.removeValue(forKey: k) {
                let (slots, length) = try invertStreamed(document: document, key: analyzed.batch.keys[k], text: text)
                documents.slotCounts.append(Int32(clamping: slots))
                analyzed.lengths[k] = Int32(clamping: length)
            } else {
                let slots = try segment.invert(document: document, tokens: analyzed.tokens, range: start..<end, keys: analyzed.keys)
                documents.slotCounts.append(Int32(clamping: slots))
            }
            start = end
        }
        try documents.append(analyzed)
    }

    /// Tokens analyzed at a time in a long document.
    static let pieceTokens = 1 << 16
    /// This writer's piece size (``pieceTokens``; tests lower it).
    var pieceTokens = SegmentWriter.pieceTokens
    /// Documents longer than this are analyzed piece by piece (``BatchAnalyzer/streamedDocumentBytes``;
    /// tests lower it; a build on several threads uses the default).
    var streamedDocumentBytes: Int {
        get { batchAnalyzer.streamedDocumentBytes }
        set { batchAnalyzer.streamedDocumentBytes = newValue }
    }

    /// Buffer for the pieces of long documents (kept between documents).
    private var pieces = TokenBuffer()

    /// Analyzes and inverts a long document piece by piece (``Analyzer/analyze(utf8:into:firstPosition:pieceTokens:_:)``):
    /// memory holds one piece of tokens, not all of them. Returns its slot count and length.
    private func invertStreamed(document: Int, key: String, text: String) throws -> (slots: Int, length: Int) {
        var text = text
        segment.beginDocument(document)
        let summary: AnalysisSummary
        do {
            summary = try IndexBuildTimings.measure(timings, .analyze) {
                try text.withUTF8 { utf8 in
                    try analyzer.analyze(utf8: utf8, into: &pieces, pieceTokens: pieceTokens) { buffer, isLast in
                        try IndexBuildTimings.measure(timings, .invert) {
                            try segment.invertPiece(tokens: buffer, range: 0..<buffer.count, isLast: isLast)
                        }
                    }
                }
            }
        } catch let error as AnalyzerError {
            throw Self.capacityError(error, key: key)
        }
        pieces.removeAll()
        return (try segment.endDocument(), summary.tokenCount)
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
        let totals = try IndexBuildTimings.measure(timings, .serialize) {
            try IndexSerializer(configuration: configuration, storesText: storesText, jobs: serializationJobs, timings: timings)
                .serialize(segment: segment, documents: documents, into: sink)
        }
        timings?.countFlush()
        return (sink.bytes, totals)
    }

    /// Serializes the segment into memory and opens it with the same reader as a file's segments.
    public func makeIndex() throws -> SegmentReader {
        try SegmentReader(bytes: serialize().bytes)
    }
}
