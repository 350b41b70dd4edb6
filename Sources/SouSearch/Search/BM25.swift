import FoundationEssentials
import Glibc

/// Okapi BM25 ranking with Lucene's (≥ 8) formulation, the way `BM25Similarity` states it:
///
///     idf(n)   = ln(1 + (N − n + 0.5) / (n + 0.5))
///     score    = idf · f / (f + k1 · (1 − b + b · dl / avgdl))
///
/// where `N` is the number of documents, `n` the number containing the term, `f` the term's
/// occurrences in the document, `dl` the document's length in tokens (exact, where Lucene keeps a
/// one-byte approximation) and `avgdl` the mean length. A phrase clause scores as one unit, as
/// Lucene's `PhraseQuery` does: its idf is the sum of its terms' idf and `f` counts the phrase's
/// occurrences. See S. Robertson and H. Zaragoza, "The Probabilistic Relevance Framework: BM25
/// and Beyond" (2009).
public struct BM25: Sendable, Hashable {
    /// Term-frequency saturation (default 1.2). Non-negative and finite.
    public let k1: Double
    /// Length normalization (default 0.75). Between 0 and 1.
    public let b: Double

    /// Errors for parameters out of range, with Lucene's messages.
    public struct ParameterError: Error, Sendable, Hashable, CustomStringConvertible {
        /// "illegal k1 value: -1.0, must be a non-negative finite value".
        public let description: String
    }

    /// Creates the ranking function; throws for `k1` negative or not finite, or `b` outside 0...1.
    public init(k1: Double = 1.2, b: Double = 0.75) throws(ParameterError) {
        guard k1.isFinite, k1 >= 0 else {
            throw ParameterError(description: "illegal k1 value: \(k1), must be a non-negative finite value")
        }
        guard !b.isNaN, b >= 0, b <= 1 else {
            throw ParameterError(description: "illegal b value: \(b), must be between 0 and 1")
        }
        self.k1 = k1
        self.b = b
    }

    /// Lucene's defaults: k1 = 1.2, b = 0.75.
    public static let standard = BM25(validK1: 1.2, b: 0.75)

    private init(validK1 k1: Double, b: Double) {
        self.k1 = k1
        self.b = b
    }

    /// `ln(1 + (N − n + 0.5) / (n + 0.5))` for `n` of `N` documents.
    public func idf(documentFrequency n: Int, documentCount N: Int) -> Double {
        log(1 + (Double(N) - Double(n) + 0.5) / (Double(n) + 0.5))
    }

    /// `idf · f / (f + k1 · (1 − b + b · dl / avgdl))`; 0 when `f` is 0.
    public func score(idf: Double, frequency f: Int, documentLength dl: Int, averageDocumentLength avgdl: Double) -> Double {
        guard f > 0 else { return 0 }
        let ff = Double(f)
        let norm = avgdl > 0 ? Double(dl) / avgdl : 1
        return idf * ff / (ff + k1 * (1 - b + b * norm))
    }
}
