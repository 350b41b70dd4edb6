import Testing
import Sou

/// `PostingsCursor.positions(into:)`, the allocation-free path phrase matching uses, against
/// `positions()`.
@Suite("Positions into a reused buffer")
struct PositionsBufferTests {
    /// Documents long and many enough for several position blocks per term, skip entries and
    /// terms whose positions are read for some documents only.
    static func documents() -> [(key: String, text: String)] {
        var documents: [(key: String, text: String)] = []
        for i in 0..<300 {
            let repeats = i % 7 == 0 ? 150 : 1 + i % 5
            let text = String(repeating: "集体协商，", count: repeats)
                + (i % 3 == 0 ? String(repeating: "哈", count: 2 + i) : "工会")
                + " word\(i % 11) " + String(repeating: "会", count: 1 + i % 4)
            documents.append((String(i), text))
        }
        return documents
    }

    @Test("every term in every document: the same positions as positions(), one buffer reused",
          arguments: [1, 2, 3])
    func samePositions(_ stride: Int) throws {
        let index = try TestCorpus.makeIndex(Self.documents())
        var buffer: [Int] = [42, 43]   // stale contents must be replaced
        let terms = try index.terms(withPrefix: "")
        #expect(terms.count > 10)
        for term in terms {
            var a = try index.postings(term)
            var b = try index.postings(term)
            var visited = 0
            // every `stride`-th document: positions of the ones between are never read
            while let d = try a.next() {
                #expect(try b.next() == d)
                visited += 1
                guard visited % stride == 0 else { continue }
                try a.positions(into: &buffer)
                let expected = try b.positions()
                #expect(buffer == expected, "\(term.term) document \(d)")
                #expect(buffer.count == a.termFrequency)
            }
            try a.positions(into: &buffer)
            #expect(buffer.isEmpty, "no current document: no positions")
        }
    }

    @Test("phrases over long, repetitive documents match the brute-force scorer")
    func phrases() throws {
        let documents = Self.documents()
        let index = try TestCorpus.makeIndex(documents)
        let reference = try BruteForceScorer(texts: documents, analyzer: Analyzer())
        for q in ["集体协商", "哈哈哈", "哈哈哈哈哈", "协商 哈哈", "集体 -哈哈哈", "会会", "会会会", "商，集", "工会 word3", "\"word3 会会\"", "\"word3 会\"", "\"会 word4\"", "\"工会 word5 会\""] {
            let results = try index.search(q, options: SearchOptions(limit: Int.max, snippets: SnippetOptions(isEnabled: false)))
            let expected = reference.search(try Query(parsing: q))
            #expect(results.total == expected.count, "\(q)")
            for hit in results.hits {
                let e = expected[hit.key] ?? .nan
                #expect(abs(hit.score - e) <= 1e-9 * abs(e), "\(q) \(hit.key): \(hit.score) vs \(e)")
            }
        }
    }
}
