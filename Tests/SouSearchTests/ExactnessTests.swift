import Foundation
import Sou
import SouTestSupport
import Testing

/// The acceptance test that matters most: a query returns exactly the documents that contain
/// it (after normalization, across soft line breaks, never across punctuation).
@Suite("Exactness")
struct ExactnessTests {
    @Test("a slice of the shared query sets returns exactly joined_ids", arguments: ["fortunes-zh", "manpages-zh"])
    func sharedSlice(_ name: String) throws {
        let fixture = try TestCorpus.fixture(name)
        let index = try TestCorpus.makeIndex(fixture.documents)
        var wrong: [String] = []
        for (query, expected) in fixture.queries {
            let found = try TestCorpus.keys(index, query)
            if found != expected {
                wrong.append("\(query): missing \(expected.subtracting(found).sorted()), extra \(found.subtracting(expected).sorted())")
            }
        }
        #expect(wrong.isEmpty, "\(wrong.count) of \(fixture.queries.count) queries differ: \(wrong.prefix(10))")
    }

    static let ownQueries = [
        // Chinese, across a soft line break, never across punctuation
        "集体协商", "集体", "协商", "体协", "会议", "工具栏", "工具」栏", "工具", "栏目", "系统设计", "数据库",
        "好好学习", "哈哈哈", "哈哈哈哈哈", "学会", "开会", "会",
        // Japanese: kanji, hiragana, katakana, half-width katakana
        "東京", "東京タワー", "タワー", "テキスト", "ひらがな", "カタカナ", "ｶﾀｶﾅ", "半角", "日本語の", "人口は約",
        // Korean: with spaces (a quoted phrase) and glued to digits
        "한국어", "서울", "특별시", "\"서울 특별시\"", "2024년도", "년도", "계획", "대회와", "3개월",
        // width and case variants
        "\"iPhone 手机\"", "6.84", "HELLO", "世界你好",
        // nothing
        "集体合同会议", "工具」栏目在", "タワーに行く",
    ]

    /// Width-folded variants (need the analyzer's NFKC folding).
    static let widthQueries = ["ＩＰＨＯＮＥ手机", "ｉｐｈｏｎｅ", "６．８４", "ｈｅｌｌｏ", "ＨＥＬＬＯ", "ｶﾀｶﾅ"]

    @Test("own sets (CJK, Japanese, Korean, variants) match the substring oracle", arguments: ownQueries)
    func ownSets(_ query: String) throws {
        try checkOracle(query)
    }

    @Test("full-width and half-width queries match the substring oracle", .enabled(if: TestCorpus.analyzerFoldsWidth),
          arguments: widthQueries)
    func widthSets(_ query: String) throws {
        try checkOracle(query)
    }

    func checkOracle(_ query: String) throws {
        let index = try TestCorpus.makeIndex(TestCorpus.documents)
        let oracle = OracleCorpus(TestCorpus.documents)
        let phrase = query.hasPrefix("\"") ? String(query.dropFirst().dropLast()) : query
        #expect(try TestCorpus.keys(index, query) == oracle.matches(phrase))
    }

    @Test("punctuation is never crossed")
    func punctuation() throws {
        let index = try TestCorpus.makeIndex(TestCorpus.documents)
        #expect(try TestCorpus.keys(index, "工具栏") == ["zh-toolbar"])
        #expect(try TestCorpus.keys(index, "「工具」栏") == ["zh-toolbar-quoted", "zh-toolbar-tail"])
        #expect(try TestCorpus.keys(index, "系统设计").isEmpty)
    }

    @Test("every character of a corpus is exact")
    func everyCharacter() throws {
        let fixture = try TestCorpus.fixture("fortunes-zh")
        let documents = fixture.documents + TestCorpus.documents
        let index = try TestCorpus.makeIndex(documents)
        let oracle = OracleCorpus(documents)
        var characters = Set<Character>()
        for d in documents {
            for c in SubstringOracle.normalize(d.text) where c.unicodeScalars.count == 1 {
                if let s = c.unicodeScalars.first, SubstringOracle.isHanKana(s) || (0xAC00...0xD7A3).contains(s.value) {
                    characters.insert(c)
                }
            }
        }
        // A deterministic sample keeps the debug-build test quick.
        let sample = characters.sorted().enumerated().filter { $0.offset % 7 == 0 }.map(\.element)
        var wrong: [String] = []
        for c in sample where try TestCorpus.keys(index, String(c)) != oracle.matches(String(c)) { wrong.append(String(c)) }
        #expect(sample.count > 100)
        #expect(wrong.isEmpty, "characters with wrong results: \(wrong)")
    }

    /// manpages-zh: long documents, terms with many positions per document and postings of
    /// several blocks (the block decoders' fast paths, skips and block ends).
    @Test("random CJK substrings (2 to 10 characters) are exact", arguments: ["fortunes-zh", "manpages-zh"])
    func randomSubstrings(_ name: String) throws {
        let fixture = try TestCorpus.fixture(name)
        let index = try TestCorpus.makeIndex(fixture.documents)
        let oracle = OracleCorpus(fixture.documents)
        var generator = SplitMix64(seed: 7)
        var wrong: [String] = []
        var tried = 0
        for text in oracle.normalized {
            let chars = Array(text)
            // (manpages-zh: few documents, much Latin text between the CJK runs)
            for _ in 0..<(name == "fortunes-zh" ? 2 : 60) where chars.count > 12 {
                let length = Int(generator.next() % 9) + 2
                let start = Int(generator.next() % UInt64(chars.count - length))
                let piece = chars[start..<(start + length)]
                guard piece.allSatisfy({ $0.unicodeScalars.count == 1 && SubstringOracle.isHanKana($0.unicodeScalars.first!) }) else { continue }
                let query = String(piece)
                tried += 1
                if try TestCorpus.keys(index, query) != oracle.matches(query) { wrong.append(query) }
            }
        }
        #expect(tried > 100)
        #expect(wrong.isEmpty, "substrings with wrong results: \(wrong.prefix(20))")
    }

    @Test("width and case variants give the same results", .enabled(if: TestCorpus.analyzerFoldsWidth), arguments: [
        ["hello", "HELLO", "Hello", "ｈｅｌｌｏ", "ＨＥＬＬＯ"],
        ["カタカナ", "ｶﾀｶﾅ"],
        ["iphone手机", "IPHONE手机", "ＩＰｈｏｎｅ手机"],
        ["6.84", "６．８４"],
    ])
    func variants(_ queries: [String]) throws {
        let index = try TestCorpus.makeIndex(TestCorpus.documents)
        let first = try TestCorpus.keys(index, queries[0])
        #expect(!first.isEmpty)
        for q in queries.dropFirst() { #expect(try TestCorpus.keys(index, q) == first, "\(q)") }
    }

    @Test("Latin words and numbers match whole words")
    func wholeWords() throws {
        let index = try TestCorpus.makeIndex([("a", "concatenate the cat"), ("b", "category 12024"), ("c", "2024 cats")])
        #expect(try TestCorpus.keys(index, "cat") == ["a"])
        #expect(try TestCorpus.keys(index, "2024") == ["c"])
        #expect(try TestCorpus.keys(index, "cat OR cats") == ["a", "c"])
    }
}
