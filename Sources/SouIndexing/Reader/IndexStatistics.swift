import SouAnalysis

/// Figures about an index: what `sou stats` prints.
public struct IndexStatistics: Sendable, Codable, Hashable {
    /// The format version of the file.
    public var formatVersion: Int
    /// The analyzer configuration as flags and its description.
    public var analyzerFlags: UInt32
    /// The analyzer rules version the index was built with.
    public var analyzerRulesVersion: Int
    /// "join-lines=on, fold-variants=off".
    public var analyzer: String
    /// Documents.
    public var documents: Int
    /// Sum of document lengths (tokens).
    public var totalDocumentLength: Int
    /// Mean document length (tokens).
    public var averageDocumentLength: Double
    /// Distinct terms.
    public var terms: Int
    /// Distinct terms by kind: "bigram", "unigram", "word", "number".
    public var termsByKind: [String: Int]
    /// (term, document) pairs.
    public var postings: Int
    /// Positions (term occurrences).
    public var positions: Int
    /// Positions of unigram terms (lone characters: one-character runs).
    public var unigramPositions: Int
    /// Postings of unigram terms.
    public var unigramPostings: Int
    /// Whether text is stored.
    public var storesText: Bool
    /// Bytes per section, by name.
    public var sectionBytes: [String: Int]
    /// Size of the whole file.
    public var fileBytes: Int
}

extension SegmentReader {
    /// Computes the statistics (scans the term dictionary, not the postings).
    public func statistics() throws -> IndexStatistics {
        var byKind: [String: Int] = [:]
        for k in TokenKind.allCases { byKind["\(k)"] = 0 }
        var unigramPositions = 0, unigramPostings = 0
        try TermDictionaryReader(index: self).forEach(from: []) { _, info in
            let i = info()
            byKind["\(i.kind)", default: 0] += 1
            if i.kind == .unigram {
                unigramPositions += i.totalTermFrequency
                unigramPostings += i.documentFrequency
            }
            return true
        }
        var sectionBytes: [String: Int] = [:]
        for s in sections { sectionBytes[s.kind.description] = s.range.count }
        sectionBytes["header+footer"] = bytes.count - sections.reduce(0) { $0 + $1.range.count }
        return IndexStatistics(
            formatVersion: formatVersion, analyzerFlags: configuration.flags,
            analyzerRulesVersion: Int(AnalyzerConfiguration.rulesVersion), analyzer: configuration.description,
            documents: documentCount, totalDocumentLength: totalDocumentLength,
            averageDocumentLength: averageDocumentLength, terms: termCount, termsByKind: byKind,
            postings: postingCount, positions: positionCount, unigramPositions: unigramPositions,
            unigramPostings: unigramPostings, storesText: storesText, sectionBytes: sectionBytes,
            fileBytes: bytes.count)
    }

    /// The bytes of each section, in file order.
    public var sectionSizes: [(section: SectionKind, bytes: Int)] {
        sections.sorted { $0.range.lowerBound < $1.range.lowerBound }.map { ($0.kind, $0.range.count) }
    }
}
