import Foundation
import Sou
import Testing

/// Documents and helpers shared by the search tests.
enum TestCorpus {
    /// A small hand-made corpus: Chinese with a soft line break, Japanese, Korean, width and case
    /// variants, punctuation that phrases must not cross.
    static let documents: [(key: String, text: String)] = [
        ("zh-bargaining", "集体协商是工会的重要工作。\n职工代表参加集体\n协商会议，集体协商集体协商。"),
        ("zh-toolbar-quoted", "「工具」栏目在这里。"),
        ("zh-toolbar", "工具栏在上面，工具在下面。"),
        ("ja-tokyo", "日本語のテキストです。東京タワーに行きました。カタカナとひらがな。ｶﾀｶﾅ半角"),
        ("ko-seoul", "한국어 텍스트입니다. 서울 특별시에 살아요. 2024년도 계획"),
        ("zh-iphone", "ＩＰｈｏｎｅ手机很好用。iPhone 手机也不错。"),
        ("zh-meeting", "会议记录：本次会议讨论了集体合同。开会"),
        ("zh-blank-line", "数据库管理系统\n\n（PDF 断行）设计"),
        ("zh-price", "价格是6.84元，约合 ６．８４ 美元"),
        ("zh-learn", "学会"),
        ("zh-lone", "会"),
        ("mixed-hello", "Hello World 世界你好 HELLO"),
        ("ja-population", "東京都の人口は約1400万人です。"),
        ("zh-toolbar-tail", "工具」栏"),
        ("zh-soft-blank", "他们进行了集体\n\n协商，达成共识"),
        ("zh-repeat", "哈哈哈哈，好好学习天天向上"),
        ("ko-glued", "제2024회 대회와 3개월"),
    ]

    /// True when the analyzer folds full-width forms (NFKC); the temporary naive analyzer does not.
    static let analyzerFoldsWidth: Bool = (try? Analyzer().analyze("Ａ").first?.term) == "a"

    static func makeIndex(_ documents: [(key: String, text: String)],
                          configuration: AnalyzerConfiguration = AnalyzerConfiguration()) throws -> SegmentReader {
        let writer = try SegmentWriter(configuration: configuration)
        for d in documents { try writer.addDocument(key: d.key, title: "", text: d.text) }
        return try writer.makeIndex()
    }

    /// Keys of every match (no limit).
    static func keys(_ index: SegmentReader, _ query: String) throws -> Set<String> {
        let results = try index.search(query, options: SearchOptions(limit: Int.max, snippets: SnippetOptions(isEnabled: false)))
        return Set(results.hits.map(\.key))
    }

    struct Fixture {
        var documents: [(key: String, text: String)]
        var queries: [(query: String, expected: Set<String>)]
    }

    /// A slice of a shared exactness set (see scripts/search-make-fixtures.py).
    static func fixture(_ name: String) throws -> Fixture {
        guard let folder = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            throw CocoaError(.fileNoSuchFile)
        }
        let jsonl = try String(contentsOf: folder.appendingPathComponent(name + ".jsonl"), encoding: .utf8)
        var documents: [(key: String, text: String)] = []
        for line in jsonl.split(separator: "\n") {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            let number = object["line"] as? Int ?? -1
            documents.append((String(number), (object["title"] as? String ?? "") + "\n" + (object["body"] as? String ?? "")))
        }
        let tsv = try String(contentsOf: folder.appendingPathComponent(name + ".tsv"), encoding: .utf8)
        let queries = tsv.split(separator: "\n").map { row -> (String, Set<String>) in
            let columns = row.split(separator: "\t", omittingEmptySubsequences: false)
            let ids = columns.count > 1 ? columns[1].split(separator: ",").map(String.init) : []
            return (String(columns[0]), Set(ids))
        }
        return Fixture(documents: documents, queries: queries)
    }
}

extension Analyzer {
    /// ``Analyzer/analyze(_:firstPosition:)`` for the oracles: an error (no test text should
    /// cause one) is recorded as an issue of the test, with no tokens.
    func analyzeRecordingIssues(_ text: String) -> [Token] {
        do { return try analyze(text) } catch {
            Issue.record("analyzing \(text.prefix(40).debugDescription): \(error)")
            return []
        }
    }
}
