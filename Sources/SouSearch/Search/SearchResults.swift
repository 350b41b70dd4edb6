/// The outcome of a search: the exact number of matching documents and the best hits.
public struct SearchResults: Sendable {
    /// The query that ran.
    public var query: Query
    /// Number of documents matching the query (exact, not limited).
    public var total: Int
    /// The best hits, best first (score descending, then document order), at most the limit.
    public var hits: [SearchHit]
}

/// One matching document.
public struct SearchHit: Sendable {
    /// 1-based rank in the results.
    public var rank: Int
    /// The document's number in the index.
    public var document: Int
    /// The document's external key (the file's path as given to the indexer, or the JSON id).
    public var key: String
    /// The document's title ("" when it has none).
    public var title: String
    /// The BM25 score (sum over the matching clauses).
    public var score: Double
    /// Occurrences of the matching clauses in the document (sum of their phrase frequencies).
    public var matches: Int
    /// The matching lines of the stored text, with the matches highlighted (empty when the
    /// index stores no text or snippets are disabled).
    public var snippets: [Snippet]
    /// The score's breakdown, when ``SearchOptions/explains`` was set.
    public var explanation: Explanation?
}

/// One line of a document's stored text with the matches on it.
public struct Snippet: Sendable, Hashable {
    /// 1-based line number in the stored text.
    public var line: Int
    /// The line (cut around the match with "…" when long; no line terminator).
    public var text: String
    /// Matched text as UTF-8 byte ranges into ``text``, increasing and not overlapping
    /// (overlapping or touching matches are merged: 集体协商 is one highlight, not three bigrams).
    public var highlights: [Range<Int>]
}

/// Why a hit scored what it did: one entry per matching clause, summed.
public struct Explanation: Sendable, Hashable {
    /// One matching clause's contribution.
    public struct Clause: Sendable, Hashable {
        /// The clause text (as written in the query).
        public var text: String
        /// The terms of the phrase with their document frequency and idf. A lone CJK character
        /// shows as "c*" (the character alone or starting a bigram).
        public var terms: [(term: String, documentFrequency: Int, idf: Double)]
        /// Sum of the terms' idf.
        public var idf: Double
        /// Occurrences of the whole phrase in the document.
        public var frequency: Int
        /// The document's length in tokens.
        public var documentLength: Int
        /// The mean document length of the index.
        public var averageDocumentLength: Double
        /// `idf · f / (f + k1 · (1 − b + b · dl / avgdl))`.
        public var score: Double

        /// Equality of every field.
        public static func == (l: Clause, r: Clause) -> Bool {
            l.text == r.text && l.idf == r.idf && l.frequency == r.frequency && l.documentLength == r.documentLength
                && l.averageDocumentLength == r.averageDocumentLength && l.score == r.score
                && l.terms.map(\.term) == r.terms.map(\.term) && l.terms.map(\.idf) == r.terms.map(\.idf)
                && l.terms.map(\.documentFrequency) == r.terms.map(\.documentFrequency)
        }
        /// Hashes the clause.
        public func hash(into h: inout Hasher) {
            h.combine(text); h.combine(idf); h.combine(frequency); h.combine(score)
        }
    }
    /// The ranking parameters used.
    public var bm25: BM25
    /// Number of documents in the index (N).
    public var documentCount: Int
    /// The matching clauses' contributions, in query order.
    public var clauses: [Clause]
    /// The total: the sum of the clauses' scores.
    public var score: Double
}
