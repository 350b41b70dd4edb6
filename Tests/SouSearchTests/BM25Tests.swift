import Foundation
import Testing
@testable import SouSearch

@Suite("BM25")
struct BM25Tests {
    @Test("rejects bad parameters with Lucene's messages", arguments: [
        (-1.0, 0.75, "illegal k1 value: -1.0, must be a non-negative finite value"),
        (Double.infinity, 0.75, "illegal k1 value: inf, must be a non-negative finite value"),
        (Double.nan, 0.75, "illegal k1 value: nan, must be a non-negative finite value"),
        (1.2, 1.5, "illegal b value: 1.5, must be between 0 and 1"),
        (1.2, -0.1, "illegal b value: -0.1, must be between 0 and 1"),
        (1.2, Double.nan, "illegal b value: nan, must be between 0 and 1"),
    ])
    func rejects(_ k1: Double, _ b: Double, _ message: String) {
        #expect(throws: BM25.ParameterError(description: message)) { try BM25(k1: k1, b: b) }
    }

    @Test("accepts the edges of the ranges", arguments: [(0.0, 0.0), (0.0, 1.0), (1000.0, 0.5)])
    func accepts(_ k1: Double, _ b: Double) throws {
        let bm25 = try BM25(k1: k1, b: b)
        #expect(bm25.k1 == k1 && bm25.b == b)
    }

    @Test("idf is Lucene's ln(1 + (N - n + 0.5) / (n + 0.5))")
    func idf() {
        let bm25 = BM25.standard
        #expect(bm25.idf(documentFrequency: 1, documentCount: 10) == log(1 + 9.5 / 1.5))
        #expect(bm25.idf(documentFrequency: 10, documentCount: 10) == log(1 + 0.5 / 10.5))
        #expect(bm25.idf(documentFrequency: 10, documentCount: 10) > 0)
    }

    @Test("score saturates in f and normalizes by length")
    func score() throws {
        let bm25 = BM25.standard
        let s = bm25.score(idf: 2, frequency: 3, documentLength: 50, averageDocumentLength: 100)
        let norm: Double = 1 - 0.75 + 0.75 * 0.5
        let expected: Double = 6 / (3 + 1.2 * norm)
        #expect(s == expected)
        #expect(bm25.score(idf: 2, frequency: 0, documentLength: 50, averageDocumentLength: 100) == 0)
        let noLength = try BM25(k1: 1.2, b: 0)
        #expect(noLength.score(idf: 1, frequency: 1, documentLength: 5, averageDocumentLength: 100)
                == noLength.score(idf: 1, frequency: 1, documentLength: 500, averageDocumentLength: 100))
        #expect(bm25.score(idf: 1, frequency: 2, documentLength: 10, averageDocumentLength: 10)
                > bm25.score(idf: 1, frequency: 1, documentLength: 10, averageDocumentLength: 10))
    }
}

@Suite("Top hits")
struct TopHitsTests {
    @Test("keeps the best k, ties by lower document", arguments: [0, 1, 3, 10, 100])
    func keepsBest(_ k: Int) throws {
        var generator = SystemRandomNumberGenerator()
        var all: [(Double, Int)] = []
        var top = TopHits(capacity: k)
        for d in 0..<60 {
            let score = Double(Int.random(in: 0..<8, using: &generator))   // many ties
            all.append((score, d))
            try top.insert(score: score, document: d)
        }
        let expected = all.sorted { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }.prefix(k).map(\.1)
        #expect(try top.sorted().map(\.document) == Array(expected))
    }
}
