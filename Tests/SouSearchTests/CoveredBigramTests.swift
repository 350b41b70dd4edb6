import Foundation
import SouAnalysis
@testable import SouIndexing
@testable import SouSearch
import SouTestSupport
import Testing

/// A phrase's middle bigram is left unread where its neighbours cover it: the bigram before it
/// ends no run in the segment (BigramEnds), so wherever that one stands, a bigram of its run
/// stands one slot on, and the bigram after it fixes which one. The answers must not change.
@Suite("Covered bigrams of a phrase")
struct CoveredBigramTests {
    @Test("a segment says which bigrams end a run somewhere")
    func endsRun() throws {
        let index = try TestCorpus.makeIndex([("a", "子丑寅卯"), ("b", "甲乙 丙丁。辰巳午")])
        func ends(_ bigram: String) throws -> Bool {
            let info = try #require(try index.termInfo(bigram))
            return try index.endsRun(info)
        }
        #expect(try !ends("子丑"))
        #expect(try !ends("丑寅"))
        #expect(try ends("寅卯"))
        #expect(try ends("甲乙"))   // before a space
        #expect(try ends("丙丁"))   // before punctuation
        #expect(try !ends("辰巳"))
        #expect(try ends("巳午"))   // at the end of the text
        // another segment's entry is refused, as postings(_:) refuses it
        let other = try TestCorpus.makeIndex([("c", "子丑")])
        #expect(throws: IndexError.self) { try index.endsRun(try #require(try other.termInfo("子丑"))) }
    }

    @Test("a term's dictionary ordinal is its rank, looked up or walked to, in blocks of 32 and of 8")
    func ordinals() throws {
        let fixture = try TestCorpus.fixture("fortunes-zh")
        let index = try TestCorpus.makeIndex(Array(fixture.documents.prefix(300)))
        let terms = try index.terms(withPrefix: "")
        #expect(terms.count > 1_000)
        for (rank, info) in terms.enumerated() {
            #expect(info.ordinal == rank)
            #expect(try index.termInfo(info.term)?.ordinal == rank, "\(info.term)")
        }
        // an update's segment: 8 terms a block
        let path = NSTemporaryDirectory() + "sou-ordinals-\(getpid()).sou"
        defer { unlink(path) }
        let writer = try IndexWriter(path: path)
        try writer.add(key: "a", text: "集体协商")
        try writer.commit()
        for (i, d) in fixture.documents.prefix(40).enumerated() { try writer.add(key: "d\(i)", text: d.text) }
        try writer.commit()
        let reader = try IndexReader(path: path)
        let added = try #require(reader.segments.last?.reader)
        #expect(added.termsPerBlock == 8)
        for (rank, info) in try added.terms(withPrefix: "").enumerated() {
            #expect(try added.termInfo(info.term)?.ordinal == rank, "\(info.term)")
        }
    }

    @Test("a covered middle bigram's positions are not read, and the phrase's documents and counts stay the same")
    func coveredBigramIsNotRead() throws {
        // 丑寅 stands 500 more times in the document, away from the phrase; 子丑 ends no run
        let text = "子丑寅卯。" + String(repeating: "丑寅", count: 500) + "。子丑寅卯"
        let reader = try IndexReader(segment: TestCorpus.makeIndex([("a", text), ("b", "丑寅卯")]))
        let index = reader.segments[0].reader
        let analyzer = try Analyzer(configuration: index.configuration)
        let clause = try PhraseClause(text: "子丑寅卯", sourcePosition: nil, analyzer: analyzer, index: reader, bm25: try BM25())
        var work = 0
        let (documents, frequencies) = try clause.matches(in: index, infos: clause.tokens.map { $0.infos[0] }, work: &work)
        #expect(documents == [0])
        #expect(frequencies == [2])
        #expect(work < 50, "work \(work): the 502 positions of 丑寅 were read")
    }

    @Test("a middle bigram is read where the bigram before it ends a run: runs apart across a space do not join")
    func runEndKeepsTheBigram() throws {
        // (乙丙 stands 300 times: a token frequent enough to be left unread when covered)
        let documents: [(key: String, text: String)] = [("spaced", "甲乙 丙丁"), ("middle", String(repeating: "乙丙", count: 300)),
                                                        ("joined", "甲乙丙丁"), ("broken", "甲乙\n丙丁")]
        let index = try TestCorpus.makeIndex(documents)
        // 甲乙 ends a run in "spaced": 乙丙 is read, and "spaced" does not match (slots 0 and 2)
        #expect(try TestCorpus.keys(index, "甲乙丙丁") == ["joined", "broken"])
    }

    /// Each segment decides for itself: here the first reads all three bigrams (甲乙 ends a run
    /// there) and the second two (it ends none there), with one set of cursors for both.
    @Test("segments that leave different bigrams unread answer as one segment does")
    func segmentsDecideApart() throws {
        let path = NSTemporaryDirectory() + "sou-covered-\(getpid()).sou"
        defer { unlink(path) }
        let writer = try IndexWriter(path: path)
        try writer.add(key: "spaced", text: "甲乙 丙丁")
        try writer.add(key: "middle", text: String(repeating: "乙丙", count: 300))
        try writer.commit()
        try writer.add(key: "joined", text: "甲乙丙丁")
        try writer.add(key: "middle-2", text: String(repeating: "乙丙", count: 300))
        try writer.add(key: "twice", text: "甲乙丙丁。甲乙丙丁")
        try writer.commit()
        let index = try IndexReader(path: path)
        #expect(index.segments.count == 2)
        #expect(try index.segments[0].reader.endsRun(try #require(try index.segments[0].reader.termInfo("甲乙"))))
        #expect(try !index.segments[1].reader.endsRun(try #require(try index.segments[1].reader.termInfo("甲乙"))))
        let results = try index.search("甲乙丙丁", options: SearchOptions(limit: Int.max, snippets: SnippetOptions(isEnabled: false)))
        #expect(results.total == 2)
        #expect(Dictionary(uniqueKeysWithValues: results.hits.map { ($0.key, $0.matches) }) == ["joined": 1, "twice": 2])
    }

    /// Random texts over 40 characters with few separators (most bigrams end no run), queries cut
    /// from them, some across a separator: the documents and counts of the substring oracle.
    @Test("random phrases over long runs match the substring oracle, with their occurrence counts, in one segment and in three", arguments: [UInt64(3), 8, 21])
    func randomPhrases(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let alphabet = Array("子丑寅卯辰巳午未申酉戌亥甲乙丙丁戊己庚辛壬癸天地玄黄宇宙洪荒日月盈昃辰宿列张寒来暑往")
        let separators = [" ", "。", "\n", "、", "  "]
        var documents: [(key: String, text: String)] = []
        for d in 0..<80 {
            var text = ""
            for _ in 0..<(20 + Int(random.next() % 300)) {
                // three characters make half the text (bigrams of hundreds of occurrences, which a
                // phrase leaves unread when covered), the rest spreads over all
                let c = random.next() % 2 == 0 ? alphabet[Int(random.next() % 3)] : alphabet[Int(random.next() % UInt64(alphabet.count))]
                text.append(c)
                if random.next() % 40 == 0 { text += separators[Int(random.next() % UInt64(separators.count))] }
            }
            documents.append((String(d), text))
        }
        let index = try TestCorpus.makeIndex(documents)
        // the same documents in three segments of 10, 30 and 40 documents (each decides which
        // bigrams it leaves unread: a small one reads more)
        let path = NSTemporaryDirectory() + "sou-covered-random-\(getpid())-\(seed).sou"
        defer { unlink(path) }
        let writer = try IndexWriter(path: path)
        for (i, d) in documents.enumerated() {
            try writer.add(key: d.key, text: d.text)
            if i == 9 || i == 39 { try writer.commit() }
        }
        try writer.commit()
        let segmented = try IndexReader(path: path)
        #expect(segmented.segments.count == 3)
        let oracle = OracleCorpus(documents)
        var wrong: [String] = []
        var matched = 0
        for _ in 0..<300 {
            // a cut of a document's text, separators taken out: across one, it is absent there
            let source = Array(documents[Int(random.next() % UInt64(documents.count))].text)
            let length = 3 + Int(random.next() % 7)
            guard source.count > length + 1 else { continue }
            let start = Int(random.next() % UInt64(source.count - length))
            let query = String(source[start..<(start + length)].filter { alphabet.contains($0) })
            guard query.count >= 3 else { continue }
            let results = try index.search(query, options: SearchOptions(limit: Int.max, snippets: SnippetOptions(isEnabled: false)))
            let found = Dictionary(uniqueKeysWithValues: results.hits.map { ($0.key, $0.matches) })
            var expected: [String: Int] = [:]
            for (i, text) in oracle.normalized.enumerated() {
                let n = PathologicalWorkTests.occurrences(Array(query), in: Array(text))
                if n > 0 { expected[oracle.keys[i]] = n }
            }
            let inSegments = try segmented.search(query, options: SearchOptions(limit: Int.max, snippets: SnippetOptions(isEnabled: false)))
            let foundInSegments = Dictionary(uniqueKeysWithValues: inSegments.hits.map { ($0.key, $0.matches) })
            if found != expected || foundInSegments != expected { wrong.append(query) }
            if !expected.isEmpty { matched += 1 }
        }
        #expect(matched > 100)
        #expect(wrong.isEmpty, "phrases with wrong documents or counts: \(wrong.prefix(10))")
    }
}
