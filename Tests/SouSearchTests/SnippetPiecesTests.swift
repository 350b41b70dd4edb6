import Foundation
import SouAnalysis
@testable import SouIndexing
@testable import SouSearch
import SouTestSupport
import Testing

/// Snippets are matched while the stored text is analyzed in pieces, and stop once the lines
/// shown are complete: the same snippets and match ranges as the whole text analyzed at once
/// (``ReferenceSnippetBuilder``, the builder before pieces), with piece boundaries everywhere.
@Suite("Snippets built in pieces")
struct SnippetPiecesTests {
    /// Texts with what snippets must get right: soft line breaks inside phrases, CRLF, blank
    /// lines, the U+001F field separator, punctuation gaps, Latin words, width variants,
    /// repetitions, combining marks, and real manual pages.
    static func texts() throws -> [String] {
        var texts = TestCorpus.documents.map(\.text)
        texts.append("会议集体\u{1F}\n协商工资，集体\r\n协商\r\n\r\n集体协商 abc def ABC-def")
        texts.append(String(repeating: "啊", count: 700) + "\n" + String(repeating: "啊的", count: 300))
        texts.append("Ａｂｃ ａｂｃ abc。か\u{3099}き\u{3099}く\u{3099} e\u{301}\u{316}e\u{301} 한국어 텍스트\n한국\n어")
        texts.append(String(repeating: "集体协商工资。会议\n", count: 60))
        texts.append(String(repeating: "工资", count: 400) + "集体协商" + String(repeating: " x", count: 300) + "\n尾行集体协商")
        texts += try TestCorpus.fixture("manpages-zh").documents.prefix(3).map(\.text)
        return texts
    }

    /// Phrases drawn from `text`: substrings of 1 to 6 characters (single characters too), and
    /// some that do not occur.
    static func queries(in text: String, random: inout SplitMix64) -> [String] {
        let characters = Array(text)
        var queries = ["集体协商", "啊啊啊", "的", "abc", "abc def", "工资", "协商", "か\u{3099}", "한국어", "不存在的词"]
        guard !characters.isEmpty else { return queries }
        for _ in 0..<6 {
            let start = Int(random.next() % UInt64(characters.count))
            let length = 1 + Int(random.next() % 6)
            let piece = String(characters[start..<min(characters.count, start + length)])
            if !piece.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { queries.append(piece) }
        }
        return queries
    }

    @Test("snippets and match ranges built in pieces of any size equal those of the whole text analyzed at once")
    func piecesAgreeWithWholeText() throws {
        var random = SplitMix64(seed: 15)
        let texts = try Self.texts()
        let index = try IndexReader(segment: TestCorpus.makeIndex(texts.enumerated().map { (String($0.offset), $0.element) }))
        let analyzer = try Analyzer(configuration: index.configuration)
        let optionsList = [SnippetOptions(maxLines: nil, maxLineLength: 120), SnippetOptions(maxLines: 1, maxLineLength: 8),
                           SnippetOptions(maxLines: 2, maxLineLength: 20)]
        var compared = 0, withMatches = 0
        for text in texts {
            let reference = ReferenceSnippetBuilder(text: text, analyzer: analyzer)
            for query in Self.queries(in: text, random: &random) {
                guard let clause = try? PhraseClause(text: query, sourcePosition: nil, analyzer: analyzer, index: index, bm25: try BM25()),
                      !clause.tokens.isEmpty else { continue }
                // one phrase, and two phrases at once (a hit's matching clauses)
                for phrases in [[clause.tokens], [clause.tokens, try PhraseClause(text: "集体", sourcePosition: nil, analyzer: analyzer, index: index, bm25: try BM25()).tokens]] {
                    let expectedRanges = reference.matchRanges(for: phrases)
                    let expectedSnippets = optionsList.map { reference.snippets(for: phrases, options: $0) }
                    if !expectedRanges.isEmpty { withMatches += 1 }
                    for pieceTokens in [1, 7, 65_536] {
                        let builder = SnippetBuilder(text: text, analyzer: analyzer, pieceTokens: pieceTokens)
                        #expect(builder.matchRanges(for: phrases) == expectedRanges, "\(query), pieces of \(pieceTokens)")
                        for (options, expected) in zip(optionsList, expectedSnippets) {
                            #expect(builder.snippets(for: phrases, options: options) == expected,
                                    "\(query), pieces of \(pieceTokens), \(options)")
                        }
                        compared += 1
                    }
                }
            }
        }
        #expect(compared > 250)
        #expect(withMatches > 60)
    }

    /// Before: the whole text was analyzed and every match found before the lines were cut (a
    /// 72 MB document matching everywhere took 2 GB and 22 s for three lines).
    @Test("snippets of a long document stop reading once the lines shown are complete")
    func longDocumentsStopEarly() throws {
        let lines = String(repeating: "会议记录集体协商工资。\n", count: 20_000)
        let oneLine = String(repeating: "集体协商工资", count: 40_000)
        let index = try IndexReader(segment: TestCorpus.makeIndex([("a", "集体协商")]))
        let analyzer = try Analyzer(configuration: index.configuration)
        let phrases = [try PhraseClause(text: "集体协商", sourcePosition: nil, analyzer: analyzer, index: index, bm25: try BM25()).tokens]
        // a run of one character: every match overlaps the next, one merged range as long as the text
        let run = String(repeating: "啊", count: 120_000)
        let runPhrases = [try PhraseClause(text: "啊啊啊啊啊", sourcePosition: nil, analyzer: analyzer, index: index, bm25: try BM25()).tokens]
        for (text, phrases) in [(lines, phrases), (oneLine, phrases), (run, runPhrases)] {
            let builder = SnippetBuilder(text: text, analyzer: analyzer, pieceTokens: 1_000)
            var work = 0
            let snippets = builder.snippets(for: phrases, options: SnippetOptions(maxLines: 3, maxLineLength: 40), work: &work)
            let reference = ReferenceSnippetBuilder(text: text, analyzer: analyzer)
            #expect(snippets == reference.snippets(for: phrases, options: SnippetOptions(maxLines: 3, maxLineLength: 40)))
            #expect(snippets.count == (text == lines ? 3 : 1))
            // each text has over 100,000 tokens; the lines shown lie in its first pieces of 1,000
            // (reading the whole text is work above 100,000)
            #expect(work < 20_000, "work \(work)")
        }
        // without a line limit every line is read, and each keeps only the highlights it can show
        let all = SnippetBuilder(text: lines, analyzer: analyzer, pieceTokens: 1_000)
            .snippets(for: phrases, options: SnippetOptions(maxLines: nil, maxLineLength: 40))
        #expect(all.count == 20_000)
        #expect(all.last?.line == 20_000)
    }
}
