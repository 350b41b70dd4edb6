import Foundation
import Sou
import SouTestSupport
import Testing

/// Scores against the independent brute-force scorer (recounting raw analyzer output).
@Suite("Scoring")
struct ScoringTests {
    static let queries = [
        "集体协商", "集体", "会", "会议", "工具", "東京", "서울", "hello", "6.84", "哈哈",
        "集体 协商", "集体协商 -会议", "会 OR 工具", "(会 OR 工具) -栏目", "集体 OR 集体协商", "iphone手机",
        "\"iPhone 手机\"", "好 天天向上", "(集体 会议) OR 工具", "hello 世界",
    ]

    @Test("scores equal the brute-force scorer to 1e-9", arguments: [(1.2, 0.75), (2.0, 0.0), (0.5, 1.0)])
    func handMade(_ k1: Double, _ b: Double) throws {
        let bm25 = try BM25(k1: k1, b: b)
        let index = try TestCorpus.makeIndex(TestCorpus.documents)
        let reference = try BruteForceScorer(texts: TestCorpus.documents, analyzer: Analyzer(), bm25: bm25)
        for q in Self.queries { try compare(q, index, reference, bm25) }
    }

    @Test("scores on a shared-corpus slice equal the brute-force scorer")
    func sharedSlice() throws {
        let fixture = try TestCorpus.fixture("fortunes-zh")
        let index = try TestCorpus.makeIndex(fixture.documents)
        let reference = try BruteForceScorer(texts: fixture.documents, analyzer: Analyzer())
        for (q, _) in fixture.queries.prefix(40) { try compare(q, index, reference, .standard) }
        for q in ["人", "之", "天 OR 地", "不 -人", "春风 花"] { try compare(q, index, reference, .standard) }
        // lone characters next to each other in a phrase: the second is found as the end of a
        // bigram (one slot after it) where it ends a run, and as the start of one inside a run
        for q in ["\"人 民\"", "\"天 下\"", "\"不 是\"", "\"之 人\"", "\"的 人\"", "\"人 生 之\""] { try compare(q, index, reference, .standard) }
    }

    func compare(_ q: String, _ index: SegmentReader, _ reference: BruteForceScorer, _ bm25: BM25) throws {
        let results = try index.search(q, options: SearchOptions(limit: Int.max, bm25: bm25, snippets: SnippetOptions(isEnabled: false)))
        let expected = reference.search(try Query(parsing: q))
        #expect(results.total == expected.count, "\(q)")
        #expect(Set(results.hits.map(\.key)) == Set(expected.keys), "\(q)")
        for hit in results.hits {
            let e = expected[hit.key] ?? .nan
            #expect(abs(hit.score - e) <= 1e-9 * abs(e), "\(q) \(hit.key): \(hit.score) vs \(e)")
        }
        // Best first, ties by key (bytewise: the document order that does not depend on segments).
        for (a, b) in zip(results.hits, results.hits.dropFirst()) {
            #expect(a.score > b.score || (a.score == b.score && Array(a.key.utf8).lexicographicallyPrecedes(Array(b.key.utf8))), "\(q)")
        }
    }

    @Test("the limit keeps the best hits and the total stays exact", arguments: [0, 1, 2, 5])
    func limit(_ limit: Int) throws {
        let index = try TestCorpus.makeIndex(TestCorpus.documents)
        let all = try index.search("会", options: SearchOptions(limit: Int.max))
        let top = try index.search("会", options: SearchOptions(limit: limit))
        #expect(top.total == all.total)
        #expect(top.hits.map(\.key) == Array(all.hits.prefix(limit).map(\.key)))
        #expect(top.hits.map(\.rank) == Array(1...max(1, top.hits.count)).prefix(top.hits.count).map { $0 })
    }

    /// A phrase query with a limit checks the documents that cannot enter the best hits for one
    /// occurrence only: the hits must still be the whole ranking's first ones, with the same
    /// scores and occurrence counts, and the total exact.
    @Test("a phrase's best hits under a limit (and an offset) are the first of its whole ranking, with their scores and occurrences",
          arguments: ["fortunes-zh", "manpages-zh"])
    func phraseLimits(_ name: String) throws {
        let fixture = try TestCorpus.fixture(name)
        let index = try TestCorpus.makeIndex(fixture.documents)
        let off = SnippetOptions(isEnabled: false)
        var compared = 0
        // other BM25 parameters too (b = 0: no length normalization; b = 1: all of it), on part
        // of the queries: a document is skipped unscored when even its length-0 score is too low
        let others = [try BM25(k1: 2.0, b: 0), try BM25(k1: 0.5, b: 1), try BM25(k1: 0, b: 0.75)]
        let runs = fixture.queries.map { ($0.0, BM25.standard) }
            + others.flatMap { bm25 in fixture.queries.prefix(40).map { ($0.0, bm25) } }
        for (q, bm25) in runs {
            let all = try index.search(q, options: SearchOptions(limit: Int.max, bm25: bm25, snippets: off))
            for (limit, offset) in [(0, 0), (1, 0), (3, 0), (10, 0), (3, 2)] {
                var options = SearchOptions(limit: limit, bm25: bm25, snippets: off)
                options.offset = offset
                let some = try index.search(q, options: options)
                let want = Array(all.hits.dropFirst(offset).prefix(limit))
                #expect(some.total == all.total, "\(q) limit \(limit)")
                #expect(some.hits.map(\.key) == want.map(\.key), "\(q) limit \(limit) offset \(offset)")
                #expect(some.hits.map(\.score) == want.map(\.score), "\(q) limit \(limit) offset \(offset)")
                #expect(some.hits.map(\.matches) == want.map(\.matches), "\(q) limit \(limit) offset \(offset)")
                #expect(some.hits.map(\.rank) == want.map(\.rank), "\(q) limit \(limit) offset \(offset)")
            }
            if all.total > 10, bm25 == .standard { compared += 1 }
        }
        #expect(compared > 10, "phrases with more hits than the limit")
    }

    @Test("explain lists each clause's idf, f, dl, avgdl and sums to the score")
    func explain() throws {
        let index = try TestCorpus.makeIndex(TestCorpus.documents)
        let results = try index.search("集体协商 OR 会议", options: SearchOptions(limit: 20, explains: true))
        #expect(!results.hits.isEmpty)
        for hit in results.hits {
            let e = try #require(hit.explanation)
            #expect(abs(e.score - hit.score) <= 1e-12 * hit.score)
            for c in e.clauses {
                #expect(c.documentLength == index.documentLength(hit.document))
                #expect(c.averageDocumentLength == index.averageDocumentLength)
                #expect(abs(c.idf - c.terms.reduce(0) { $0 + $1.idf }) < 1e-12)
                #expect(c.score == e.bm25.score(idf: c.idf, frequency: c.frequency, documentLength: c.documentLength,
                                                averageDocumentLength: c.averageDocumentLength))
            }
        }
        let bargaining = try #require(results.hits.first { $0.key == "zh-bargaining" }?.explanation)
        #expect(bargaining.clauses.map(\.text) == ["集体协商", "会议"])
        #expect(bargaining.clauses[0].frequency == 4)   // one across the line break, two glued together
        #expect(bargaining.clauses[0].terms.map(\.term) == ["集体", "体协", "协商"])
    }

    @Test("a single character's idf counts the documents containing it")
    func characterIdf() throws {
        let index = try TestCorpus.makeIndex(TestCorpus.documents)
        let results = try index.search("会", options: SearchOptions(limit: 1, explains: true))
        let term = try #require(results.hits.first?.explanation?.clauses.first?.terms.first)
        #expect(term.term == "会*")
        #expect(term.documentFrequency == results.total)
    }
}

@Suite("Random boolean queries")
struct RandomQueryTests {
    static let vocabulary = ["集体", "协商", "会", "会议", "工具", "栏", "東京", "서울", "hello", "好", "集体协商", "学会", "哈哈"]

    func randomQuery(_ g: inout SplitMix64, depth: Int) -> String {
        let word = Self.vocabulary[Int(g.next() % UInt64(Self.vocabulary.count))]
        guard depth > 0 else { return word }
        let a = randomQuery(&g, depth: depth - 1), b = randomQuery(&g, depth: depth - 1)
        switch g.next() % 4 {
        case 0: return "\(a) \(b)"
        case 1: return "(\(a) OR \(b))"
        case 2: return "\(a) -\(word)"
        default: return word
        }
    }

    @Test("AND, OR and NOT match and score like the brute-force scorer")
    func random() throws {
        let index = try TestCorpus.makeIndex(TestCorpus.documents)
        let reference = try BruteForceScorer(texts: TestCorpus.documents, analyzer: Analyzer())
        var g = SplitMix64(seed: 5)
        for _ in 0..<150 {
            let text = randomQuery(&g, depth: Int(g.next() % 4))
            let query = try Query(parsing: text)
            let expected = reference.search(query)
            let results = try index.search(query, options: SearchOptions(limit: Int.max, snippets: SnippetOptions(isEnabled: false)))
            #expect(results.total == expected.count, "\(text)")
            for hit in results.hits {
                let e = expected[hit.key] ?? .nan
                #expect(abs(hit.score - e) <= 1e-9 * abs(e), "\(text) \(hit.key)")
            }
        }
    }
}
