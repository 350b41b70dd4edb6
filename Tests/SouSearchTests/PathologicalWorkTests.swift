import Foundation
import SouAnalysis
@testable import SouIndexing
@testable import SouSearch
import SouTestSupport
import Testing

/// Pathological input is bounded work: phrases of many identical tokens, snippets of long
/// repetitive documents, many hits of small documents. Work is counted (positions and slots
/// visited, blocks inflated), never timed.
@Suite("Pathological queries: work linear in what is read")
struct PathologicalWorkTests {
    /// Overlapping occurrences of `needle` in `text` (characters).
    static func occurrences(_ needle: [Character], in text: [Character]) -> Int {
        guard needle.count <= text.count else { return 0 }
        var n = 0
        for i in 0...(text.count - needle.count) where Array(text[i..<(i + needle.count)]) == needle { n += 1 }
        return n
    }

    @Test("phrases of repeated and alternating characters match exactly the documents that contain them, with their occurrence counts")
    func repetitivePhrasesAreExact() throws {
        var random = SplitMix64(seed: 10)
        let alphabet: [Character] = ["啊", "的", "了"]
        var documents: [(key: String, text: String)] = []
        for d in 0..<300 {
            // runs of one character, and periodic stretches (ABAB…, ABCABC…)
            var text: [Character] = []
            while text.count < 20 + Int(random.next() % 200) {
                let period = 1 + Int(random.next() % 3)
                let unit = (0..<period).map { _ in alphabet[Int(random.next() % 3)] }
                for _ in 0..<(1 + Int(random.next() % 20)) { text += unit }
            }
            documents.append((String(d), String(text)))
        }
        let index = try TestCorpus.makeIndex(documents)
        var queries: [String] = []
        for length in [2, 3, 4, 5, 7, 10, 16, 33] {
            for _ in 0..<6 {
                let period = 1 + Int(random.next() % 3)
                let unit = (0..<period).map { _ in alphabet[Int(random.next() % 3)] }
                queries.append(String((0..<length).map { unit[$0 % period] }))
            }
        }
        queries.append(String(repeating: "啊", count: 2))
        queries.append(String(repeating: "啊", count: 150))
        for q in Set(queries) {
            let results = try index.search(q, options: SearchOptions(limit: Int.max, snippets: SnippetOptions(isEnabled: false)))
            let needle = Array(q)
            var expected: [String: Int] = [:]
            for d in documents {
                let n = Self.occurrences(needle, in: Array(d.text))
                if n > 0 { expected[d.key] = n }
            }
            let found = Dictionary(uniqueKeysWithValues: results.hits.map { ($0.key, $0.matches) })
            #expect(found == expected, "\(q): \(found.count) documents found, \(expected.count) expected")
        }
    }

    /// One document of `count` × 啊 and the phrase clause `phrase` compiled against it.
    static func repeated(_ count: Int, phrase: String) throws -> (SegmentReader, PhraseClause, Analyzer) {
        let reader = try IndexReader(segment: TestCorpus.makeIndex([("a", String(repeating: "啊", count: count))]))
        let index = reader.segments[0].reader
        let analyzer = try Analyzer(configuration: index.configuration)
        let clause = try PhraseClause(text: phrase, sourcePosition: nil, analyzer: analyzer, index: reader, bm25: try BM25())
        return (index, clause, analyzer)
    }

    /// Before: one cursor per token, each decoding every position of the term: 99 × 20,000
    /// positions for a phrase of 100 × 啊 (16.7 M × 啊 and 200 × 啊: 16 s for a count).
    @Test("a phrase of 100 identical bigrams reads the document's positions a constant number of times")
    func identicalBigramsAreLinear() throws {
        let count = 20_000
        let (index, clause, _) = try Self.repeated(count, phrase: String(repeating: "啊", count: 100))
        #expect(clause.tokens.count == 99)
        var work = 0
        let (documents, frequencies) = try clause.matches(in: index, infos: clause.tokens.map { $0.infos[0] }, work: &work)
        #expect(documents == [0])
        #expect(frequencies == [count - 99])
        #expect(work <= 6 * count, "work \(work) for \(count) positions")
        // twice the phrase length: about the same work (not twice)
        let (longerIndex, longer, _) = try Self.repeated(count, phrase: String(repeating: "啊", count: 200))
        var longerWork = 0
        _ = try longer.matches(in: longerIndex, infos: longer.tokens.map { $0.infos[0] }, work: &longerWork)
        #expect(longerWork <= 6 * count, "work \(longerWork) for \(count) positions")
    }

    /// Before: per-slot dictionaries and every token checked at every start (7.5 s for a
    /// 10-character phrase in 2,000,000 × 的; 200 × 啊 in 16.7 M × 啊: over 300 s at 4 GB).
    @Test("snippets of a phrase of identical bigrams in a long repetitive document visit each slot a constant number of times")
    func snippetsAreLinear() throws {
        let count = 20_000
        let (_, clause, analyzer) = try Self.repeated(count, phrase: String(repeating: "啊", count: 100))
        let text = String(repeating: "啊", count: count)
        let builder = SnippetBuilder(text: text, analyzer: analyzer)
        var work = 0
        let ranges = builder.matchRanges(for: [clause.tokens], work: &work)
        #expect(ranges == [0..<(3 * count)])
        #expect(work <= 10 * count, "work \(work) for \(count) tokens")
        let snippets = builder.snippets(for: [clause.tokens], options: SnippetOptions(maxLines: 2, maxLineLength: 20))
        #expect(snippets.count == 1)
        // 20 terminal columns: nine wide characters and the ellipsis
        #expect(snippets.first?.text == String(repeating: "啊", count: 9) + "…")
    }

    /// Before: every hit inflated its whole stored-text block again (2 M hits of 的 with
    /// snippets: 97 s, against 0.73 s for their keys).
    @Test("the snippets of every hit of a common character inflate each stored-text block once")
    func storedBlocksInflateOnce() throws {
        var documents: [(key: String, text: String)] = []
        for d in 0..<6_000 { documents.append((String(d), "今天的天气\(d)很好，我们的工作")) }
        let index = try TestCorpus.makeIndex(documents)
        #expect(index.storedBlockCount >= 2)
        let results = try index.search("的", options: SearchOptions(limit: Int.max))
        #expect(results.hits.count == documents.count)
        #expect(results.hits.allSatisfy { $0.snippets.count == 1 })
        #expect(index.storedBlockCache.inflatedCount == index.storedBlockCount,
                "\(index.storedBlockCache.inflatedCount) inflations for \(index.storedBlockCount) blocks")
        // and the texts are the right ones
        for d in [0, 1, 2_345, 5_999] {
            #expect(try index.storedText(d) == documents[d].text)
        }
    }
}
