import Testing
import Sou
import SouIndexing

/// `PostingsCursor.positions(into:)`, the allocation-free paths phrase matching uses (into a
/// reused array, and into a reused `PositionList`), against `positions()`.
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
        let list = PositionList(capacity: 1)   // grows; stale contents replaced
        list.append(7)
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
                try a.positions(into: list)
                #expect(Array(list.values) == expected, "\(term.term) document \(d), PositionList")
            }
            try a.positions(into: &buffer)
            #expect(buffer.isEmpty, "no current document: no positions")
            try a.positions(into: list)
            #expect(list.isEmpty, "no current document: no positions in the list")
        }
    }

    /// A phrase leapfrogs over documents (``PostingsCursor/advance(to:)``), reads some
    /// documents' positions whole and walks others' part of the way: the gaps of the documents
    /// passed over are read without being kept, those of a walk are kept. Whatever the order,
    /// each document's positions must be the slots the analyzer gives the term in its text.
    @Test("positions after leapfrogs and partial walks are the analyzer's slots of the term", arguments: [1, 2, 3, 5])
    func leapfrogPositions(_ step: Int) throws {
        let documents = Self.documents()
        let index = try TestCorpus.makeIndex(documents)
        let analyzer = try Analyzer()
        let text = Dictionary(uniqueKeysWithValues: documents.map { ($0.key, $0.text) })
        var slotsOf: [String: [String: [Int]]] = [:]   // key → term → slots (the oracle)
        func slots(_ term: String, _ key: String) -> [Int] {
            if slotsOf[key] == nil {
                var byTerm: [String: [Int]] = [:]
                for token in analyzer.analyzeRecordingIssues(text[key]!) { byTerm[token.term, default: []].append(token.position) }
                slotsOf[key] = byTerm
            }
            return slotsOf[key]![term] ?? []
        }
        var buffer: [Int] = []
        let list = PositionList()
        var read = 0, walked = 0
        // bigrams: the analyzer's tokens as the index holds them (a lone character's unigram is
        // indexed at slots a query's analysis does not give it)
        for term in try index.terms(withPrefix: "") where term.documentFrequency > 3 && term.term.count == 2
            && term.term.unicodeScalars.allSatisfy({ SubstringOracle.isHanKana($0) }) {
            var cursor = try index.postings(term)
            var target = 0, n = 0
            while let d = try cursor.advance(to: target) {
                let expected = slots(term.term, index.documentKey(d))
                n += 1
                if n % 3 == 0 {
                    // a walk over the first positions only (an existence check stops early)
                    var p = 0
                    for k in 0..<min(cursor.termFrequency, 1 + n % 7) {
                        p = try cursor.position(k, after: p)
                        #expect(k < expected.count && p == expected[k], "\(term.term) document \(d) position \(k)")
                    }
                    walked += 1
                } else if n % 3 == 1 {
                    try cursor.positions(into: &buffer)
                    #expect(buffer == expected, "\(term.term) document \(d)")
                    read += 1
                } else {
                    try cursor.positions(into: list)
                    #expect(Array(list.values) == expected, "\(term.term) document \(d), PositionList")
                    read += 1
                }
                // the next document at least `step` on: those between are leapfrogged
                target = d + step + n % 2
            }
        }
        #expect(read > 100 && walked > 50)
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

    @Test("a PositionList grows, truncates, sorts, and keeps its values when filling it throws")
    func positionList() throws {
        let list = PositionList(capacity: 2)
        for v in [5, 3, 9] { list.append(v) }
        [8, 1].withUnsafeBufferPointer { list.append(contentsOf: $0) }
        #expect(Array(list.values) == [5, 3, 9, 8, 1])
        list.sort()
        #expect(Array(list.values) == [1, 3, 5, 8, 9])
        list.truncate(to: 2)
        #expect(Array(list.values) == [1, 3] && list[1] == 3)
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            try list.append(count: 100) { out in
                out[0] = 77
                throw Stop()
            }
        }
        #expect(Array(list.values) == [1, 3], "a fill that throws appends nothing")
        list.append(count: 100) { out in for i in 0..<100 { out[i] = i } }
        #expect(list.count == 102 && list[101] == 99)
        list.removeAll()
        #expect(list.isEmpty)
    }
}
