/// Everything the serializer needs about the documents, in document order. Compressed stored
/// text goes to a ``SpillBuffer`` as batches complete, so it does not stay in memory.
///
/// Filled by a build (``append(_:)``, one analyzed batch at a time) or by a merge of segments.
final class DocumentTable {
    var keys: [String] = []
    var titles: [String] = []
    var lengths: [Int32] = []
    /// Per document: last occupied slot + 1 (bounds its positions).
    var slotCounts: [Int32] = []
    /// Per document: which input file it came from (0 = none or unknown).
    var sources: [UInt32] = []
    /// Per stored block: first document, document count, compressed length, raw length.
    var storedBlocks: [(firstDocument: Int, documentCount: Int, compressedLength: Int, rawLength: Int)] = []
    var storedData = SpillBuffer()
    var totalLength = 0
    /// Set while the stored text is being compressed on another thread (a merge): waits for it
    /// and installs it into the table. The serializer calls it before the StoredText section.
    var pendingStoredText: ((DocumentTable) throws -> Void)? = nil

    var count: Int { keys.count }

    func append(_ result: AnalyzedBatch) throws {
        keys.append(contentsOf: result.batch.keys)
        titles.append(contentsOf: result.batch.titles)
        lengths.append(contentsOf: result.lengths)
        sources.append(contentsOf: result.batch.sources)
        for l in result.lengths { totalLength += Int(l) }
        if let s = result.stored { try appendStoredBlock(s) }
    }

    /// Appends a compressed stored-text block (blocks come in document order).
    func appendStoredBlock(_ s: StoredBlock) throws {
        try storedData.append(s.compressed)
        storedBlocks.append((s.firstDocument, s.documentCount, s.compressed.count, s.rawLength))
    }
}
