import Foundation
import Testing
import Sou

@Suite("Search API")
struct SearchAPITests {
    @Test("a query built in code equals the parsed one")
    func programmatic() throws {
        let index = try TestCorpus.makeIndex(TestCorpus.documents)
        let built = Query.and([.or([.phrase("会"), .phrase("工具")]), .not(.phrase("栏目"))])
        let parsed = try index.search("(会 OR 工具) -栏目", limit: 100)
        let fromCode = try index.search(built, options: SearchOptions(limit: 100))
        #expect(fromCode.hits.map(\.key) == parsed.hits.map(\.key))
        #expect(fromCode.hits.map(\.score) == parsed.hits.map(\.score))
        #expect(fromCode.total == parsed.total)
    }

    @Test("clauses with nothing to search for are errors with their position", arguments: [
        ("集体 。。", QueryError(.noSearchableText("。。"), at: 3)),
        ("「」", QueryError(.noSearchableText("「」"), at: 0)),
        ("a -\"!!\"", QueryError(.noSearchableText("!!"), at: 3)),
    ])
    func noSearchableText(_ query: String, _ error: QueryError) throws {
        let index = try TestCorpus.makeIndex(TestCorpus.documents)
        #expect(throws: error) { try index.search(query) }
    }

    @Test("misused NOT in code is an error", arguments: [
        Query.not(.phrase("a")), .or([.phrase("a"), .not(.phrase("b"))]), .and([.not(.phrase("a"))]), .and([]), .or([]),
    ])
    func misusedNot(_ query: Query) throws {
        let index = try TestCorpus.makeIndex(TestCorpus.documents)
        #expect(throws: QueryError.self) { try index.search(query) }
    }

    @Test("a query built in code nested thousands deep is an error, not a stack overflow; the deepest query the parser accepts runs")
    func deepQueries() throws {
        let index = try TestCorpus.makeIndex(TestCorpus.documents)
        func depth(_ q: Query) -> Int {
            switch q.node {
            case .and(let c), .or(let c): 1 + (c.map(depth).max() ?? 0)
            case .not(let c): 1 + depth(c)
            default: 1
            }
        }
        // the parser's deepest: every group an OR of an AND holding a NOT of the next group
        var text = "集体 会 OR 工具"
        for _ in 0..<QueryParser.maxNesting { text = "-(\(text)) 集体 OR 工具" }
        let parsed = try QueryParser.parse(text)
        #expect(depth(parsed) == Searcher.maxQueryDepth)
        _ = try index.search(parsed)
        // (10,000 deep: a search recursing into it overflowed the stack; values that deep are
        // safe in themselves, see deepQueryValues)
        for levels in [Searcher.maxQueryDepth, Searcher.maxQueryDepth + 1, 10_000] {
            var query = Query.phrase("集体")
            for i in 1..<levels { query = i % 2 == 0 ? .and([query]) : .or([query]) }
            if levels <= Searcher.maxQueryDepth {
                #expect(depth(query) == levels)
                #expect(try index.search(query).total == index.search("集体").total)
            } else {
                #expect(throws: QueryError(.queryTooDeep(limit: Searcher.maxQueryDepth), at: nil)) { try index.search(query) }
            }
        }
    }

    final class ResultBox<T>: @unchecked Sendable {
        // (written by the thread, read after pthread_join)
        var value: T?
    }

    /// Runs `body` on a thread with a stack of `bytes` (512 KiB: a secondary thread's default
    /// on macOS) and returns what it returns.
    static func onSmallStack<T: Sendable>(_ bytes: Int = 512 << 10, _ body: @escaping @Sendable () -> T) throws -> T {
        let box = ResultBox<T>()
        let thread = try #require(WorkerThread.startJoinable(stackSize: bytes) { box.value = body() })
        pthread_join(thread, nil)
        return try #require(box.value)
    }

    /// Before: describing a query built in code 10,000 deep overflowed the stack (SIGSEGV); so
    /// did comparing and hashing it (synthesized, once per level), and releasing it (Swift's
    /// release of an indirect enum, box after box): 100,000 deep on a 512 KiB stack, releasing
    /// alone crashed.
    @Test("a query 100,000 deep built in code is described, compared, hashed, copied and released on a 512 KiB stack (its node too)")
    func deepQueryValues() throws {
        let levels = 100_000
        // level i wraps the query below it: an AND of it, an OR of it and "x", or a NOT of it
        @Sendable func build(_ innermost: String) -> Query {
            var query = Query.phrase(innermost)
            for i in 1..<levels {
                switch i % 3 {
                case 0: query = .and([query])
                case 1: query = .or([query, .phrase("x")])
                default: query = .not(query)
                }
            }
            return query
        }
        var prefix: [String] = [], suffix: [String] = []
        for i in 1..<levels {
            switch i % 3 {
            case 0: prefix.append("("); suffix.append(")")
            case 1: prefix.append("("); suffix.append(" OR \"x\")")
            default: prefix.append("-")
            }
        }
        let expected = prefix.reversed().joined() + "\"集体\"" + suffix.joined()
        let outcome = try Self.onSmallStack { () -> [Bool] in
            let a = build("集体"), b = build("集体"), c = build("集体协商")
            var copy = a
            copy.node = .phrase("y")
            let checks = [a.description == expected, a == b, a != c, a.hashValue == b.hashValue, Set([a, b, c]).count == 2,
                          copy == .phrase("y") && a == b, Query.not(a).node.description == "-" + expected,
                          a.node == b.node && a.node != c.node && a.node.hashValue == b.node.hashValue]
            // a, b, c and copy are released here, on this stack
            return checks
        }
        #expect(outcome == [Bool](repeating: true, count: 8))
    }

    @Test("description, equality and hashing of ordinary queries", arguments: [
        (Query.and([.phrase("集体"), .or([.phrase("a"), .title("工会"), .key("docs/*")]), .not(.prefix("libre"))]),
         #"("集体" ("a" OR title:"工会" OR key:"docs/*") -libre*)"#),
        (.and([]), "()"), (.or([.phrase("a")]), #"("a")"#), (.not(.not(.phrase("a"))), #"--"a""#),
    ])
    func ordinaryDescriptions(_ query: Query, _ text: String) throws {
        #expect(query.description == text)
        #expect(query.node.description == text)
        #expect(query == Query(query.node, sourcePosition: 7))
        #expect(query.hashValue == Query(query.node, sourcePosition: 7).hashValue)
        #expect(query != .phrase("a") && Query.and([query]) != Query.or([query]) && Query.and([query]) != Query.and([query, query]))
    }

    @Test("includesTitles false: the same hits, scores and total, with no title read")
    func withoutTitles() throws {
        let writer = try SegmentWriter()
        for (i, d) in TestCorpus.documents.enumerated() {
            try writer.addDocument(key: d.key, title: "标题\(i)", text: d.text)
        }
        let index = try writer.makeIndex()
        var options = SearchOptions(limit: 100, snippets: SnippetOptions(isEnabled: false))
        let with = try index.search("集体", options: options)
        options.includesTitles = false
        let without = try index.search("集体", options: options)
        #expect(with.total > 1 && without.total == with.total)
        #expect(without.hits.map(\.key) == with.hits.map(\.key))
        #expect(without.hits.map(\.score) == with.hits.map(\.score))
        #expect(without.hits.map(\.matches) == with.hits.map(\.matches))
        #expect(with.hits.allSatisfy { $0.title.hasPrefix("标题") })
        #expect(without.hits.allSatisfy { $0.title.isEmpty })
    }

    @Test("a negative offset counts as 0 (Int.min too); an offset past the end gives no hit and the exact total")
    func extremeOffsets() throws {
        let index = try TestCorpus.makeIndex(TestCorpus.documents)
        let plain = try index.search("集体 OR 会", options: SearchOptions(limit: 3))
        #expect(plain.hits.count == 3)
        for offset in [-1, -1000, Int.min] {
            var options = SearchOptions(limit: 3)
            options.offset = offset
            let results = try index.search("集体 OR 会", options: options)
            #expect(results.hits.map(\.key) == plain.hits.map(\.key), "offset \(offset)")
            #expect(results.hits.map(\.rank) == [1, 2, 3], "offset \(offset)")
        }
        for (limit, offset) in [(3, 1000), (Int.max, Int.max), (Int.min, Int.max), (0, 0), (-5, -5)] {
            var options = SearchOptions(limit: limit)
            options.offset = offset
            let results = try index.search("集体 OR 会", options: options)
            #expect(results.hits.isEmpty && results.total == plain.total, "limit \(limit), offset \(offset)")
        }
    }

    @Test("an unknown term matches nothing")
    func unknown() throws {
        let index = try TestCorpus.makeIndex(TestCorpus.documents)
        #expect(try index.search("不存在的词").total == 0)
        let plain = try index.search("集体").total
        #expect(try index.search("集体 OR 不存在的词").total == plain)
        #expect(try index.search("zzzz 集体").total == 0)
    }

    @Test("an empty index answers every query with nothing")
    func emptyIndex() throws {
        let index = try TestCorpus.makeIndex([])
        #expect(try index.search("集体协商").total == 0)
        #expect(try index.search("会").total == 0)
    }

    @Test("many tasks searching one index at once get the same results")
    func concurrency() async throws {
        let fixture = try TestCorpus.fixture("fortunes-zh")
        let index = try TestCorpus.makeIndex(fixture.documents)
        let queries = fixture.queries.prefix(60).map(\.query) + ["人", "天 OR 地", "不 -人"]
        let serial = try queries.map { q in try index.search(q, limit: 5).hits.map { "\($0.key):\($0.score)" } }
        let results = try await withThrowingTaskGroup(of: (Int, [String]).self) { group in
            for round in 0..<8 {
                for (i, q) in queries.enumerated() where (i + round) % 2 == 0 {
                    group.addTask { (i, try index.search(q, limit: 5).hits.map { "\($0.key):\($0.score)" }) }
                }
            }
            var all: [(Int, [String])] = []
            for try await r in group { all.append(r) }
            return all
        }
        let expectedCount = (0..<8).reduce(0) { n, round in n + queries.indices.filter { ($0 + round) % 2 == 0 }.count }
        #expect(results.count == expectedCount)
        for (i, hits) in results { #expect(hits == serial[i], "\(queries[i])") }
    }
}

@Suite("Snippets")
struct SnippetTests {
    func highlighted(_ s: Snippet) -> [String] {
        let bytes = Array(s.text.utf8)
        return s.highlights.map { String(decoding: bytes[$0], as: UTF8.self) }
    }

    @Test("overlapping bigram matches are one highlight; a match over a line break shows on both lines")
    func bargaining() throws {
        let index = try TestCorpus.makeIndex(TestCorpus.documents)
        let hit = try #require(try index.search("集体协商", options: SearchOptions(limit: 1, snippets: SnippetOptions(maxLines: nil))).hits.first)
        #expect(hit.key == "zh-bargaining")
        #expect(hit.snippets.map(\.line) == [1, 2, 3])
        #expect(highlighted(hit.snippets[0]) == ["集体协商"])
        #expect(highlighted(hit.snippets[1]) == ["集体"])
        #expect(highlighted(hit.snippets[2]) == ["协商", "集体协商集体协商"])
        #expect(hit.matches == 4)
    }

    @Test("a lone character is highlighted where it occurs, also as a run's last character")
    func character() throws {
        let index = try TestCorpus.makeIndex(TestCorpus.documents)
        let results = try index.search("会", options: SearchOptions(limit: 20))
        let learn = try #require(results.hits.first { $0.key == "zh-learn" })
        #expect(learn.snippets.count == 1 && highlighted(learn.snippets[0]) == ["会"])
        let meeting = try #require(results.hits.first { $0.key == "zh-meeting" })
        #expect(highlighted(meeting.snippets[0]) == ["会", "会", "会"])
    }

    @Test("long lines are cut around the match with an ellipsis, to maxLineLength terminal columns (CJK: two)")
    func cut() throws {
        let long = String(repeating: "前文", count: 200) + "集体协商" + String(repeating: "后文", count: 200)
        let index = try TestCorpus.makeIndex([("long", long)])
        let hit = try #require(try index.search("集体协商", options: SearchOptions(snippets: SnippetOptions(maxLineLength: 40))).hits.first)
        let s = try #require(hit.snippets.first)
        #expect(s.text.hasPrefix("…") && s.text.hasSuffix("…"))
        // 40 columns: "…" takes one, each CJK character two
        #expect(s.text.unicodeScalars.reduce(0) { $0 + ($1 == "…" ? 1 : 2) } == 40)
        #expect(highlighted(s) == ["集体协商"])
    }

    @Test("matches are highlighted in the original text")
    func originalText() throws {
        let index = try TestCorpus.makeIndex(TestCorpus.documents)
        let hit = try #require(try index.search("iphone手机").hits.first)
        // Whitespace between two tokens is not a gap: "iPhone 手机" is the phrase too.
        let expected = TestCorpus.analyzerFoldsWidth ? ["ＩＰｈｏｎｅ手机", "iPhone 手机"] : ["iPhone 手机"]
        #expect(highlighted(hit.snippets[0]) == expected)
    }
}

@Suite("README example")
struct ReadmeExampleTests {
    @Test("the library example of the README runs and finds what it says")
    func example() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sou-readme-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("notes.sou").path

        // (the README's code, with "notes.sou" in a temporary folder)
        let writer = try IndexWriter(path: path)                  // opens or creates; one writer at a time
        try writer.add(key: "a", title: "工会", text: "职工代表参加集体协商会议。")
        try writer.add(key: "b", text: "iPhone 手机的价格是6.84元")
        try writer.commit()                                       // durable when it returns
        let index = try IndexReader(path: path)                   // the latest commit, memory-mapped
        let results = try index.search("集体协商", limit: 10)
        #expect(results.hits.map(\.key) == ["a"])
        #expect(results.hits.first?.title == "工会")
        #expect(results.hits.first?.snippets.map(\.text) == ["职工代表参加集体协商会议。"])
        #expect(try index.search(Query.and([.phrase("手机"), .not(.phrase("集体"))])).total == 1)
        #expect(try index.search("6.84 iphone手机").hits.map(\.key) == ["b"])

        try writer.replace(key: "b", text: "手机厂集体协商")        // by key: replaces b
        try writer.delete(key: "a")
        try writer.commit()
        let newer = try index.reopen()                            // `index` still answers from the first commit
        #expect(newer.documentCount == 1)
        #expect(try newer.search("集体协商").hits.map(\.key) == ["b"])
        #expect(try index.search("集体协商").hits.map(\.key) == ["a"])
    }
}

@Suite("Analyzer configuration")
struct ConfigurationTests {
    @Test("queries go through the configuration the index was built with")
    func folding() throws {
        let documents: [(key: String, text: String)] = [("simplified", "操作系统设计"), ("traditional", "作業系統")]
        let folded = try TestCorpus.makeIndex(documents, configuration: AnalyzerConfiguration(foldsTraditionalToSimplified: true))
        let plain = try TestCorpus.makeIndex(documents)
        #expect(try TestCorpus.keys(folded, "系統") == ["simplified", "traditional"])
        #expect(try TestCorpus.keys(plain, "系統") == ["traditional"])
        #expect(try TestCorpus.keys(plain, "系统") == ["simplified"])
    }

    @Test("without soft line-break joining, a phrase does not span a line break")
    func lineBreaks() throws {
        let documents: [(key: String, text: String)] = [("broken", "集体\n协商")]
        let joined = try TestCorpus.makeIndex(documents)
        let unjoined = try TestCorpus.makeIndex(documents, configuration: AnalyzerConfiguration(joinsSoftLineBreaks: false))
        #expect(try TestCorpus.keys(joined, "集体协商") == ["broken"])
        #expect(try TestCorpus.keys(unjoined, "集体协商").isEmpty)
        #expect(try TestCorpus.keys(unjoined, "体") == ["broken"])
    }
}
