import SouTestSupport
import Testing
@testable import SouSearch

@Suite("Query parser")
struct QueryParserTests {
    static let valid: [(String, Query)] = [
        ("集体协商", .phrase("集体协商")),
        ("  集体协商  ", .phrase("集体协商")),
        ("集体协商 iphone", .and([.phrase("集体协商"), .phrase("iphone")])),
        ("iPhone手机", .phrase("iPhone手机")),
        ("\"iPhone 手机\"", .phrase("iPhone 手机")),
        ("工会 OR 职工", .or([.phrase("工会"), .phrase("职工")])),
        ("a b OR c", .or([.and([.phrase("a"), .phrase("b")]), .phrase("c")])),
        ("a OR b c", .or([.phrase("a"), .and([.phrase("b"), .phrase("c")])])),
        ("集体协商 -草案", .and([.phrase("集体协商"), .not(.phrase("草案"))])),
        ("-草案 集体协商", .and([.not(.phrase("草案")), .phrase("集体协商")])),
        ("(工会 OR 职工) 协商", .and([.or([.phrase("工会"), .phrase("职工")]), .phrase("协商")])),
        ("协商 -(工会 OR 职工)", .and([.phrase("协商"), .not(.or([.phrase("工会"), .phrase("职工")]))])),
        ("((a))", .phrase("a")),
        ("a or b", .and([.phrase("a"), .phrase("or"), .phrase("b")])),
        ("a-b", .phrase("a-b")),
        ("6.84", .phrase("6.84")),
        ("「工具」栏", .phrase("「工具」栏")),
        ("x\"y z\"", .and([.phrase("x"), .phrase("y z")])),
        ("a(b)", .and([.phrase("a"), .phrase("b")])),
        ("a\tb\nc", .and([.phrase("a"), .phrase("b"), .phrase("c")])),
        ("\"OR\"", .phrase("OR")),
    ]

    @Test("parses the grammar", arguments: valid)
    func parses(_ text: String, _ expected: Query) throws {
        #expect(try QueryParser.parse(text) == expected)
    }

    static let invalid: [(String, QueryError.Kind, Int)] = [
        ("", .emptyQuery, 0),
        ("   ", .emptyQuery, 0),
        ("\"集体协商", .unclosedQuote, 0),
        ("集体 \"协商", .unclosedQuote, 3),
        ("a \"\" b", .emptyPhrase, 2),
        ("\"  \"", .emptyPhrase, 0),
        ("(集体 协商", .unclosedParenthesis, 0),
        ("a (b (c)", .unclosedParenthesis, 2),
        ("集体)", .unexpectedClosingParenthesis, 2),
        (")", .unexpectedClosingParenthesis, 0),
        ("a () b", .emptyGroup, 2),
        ("-", .loneMinus, 0),
        ("a -", .loneMinus, 2),
        ("a - b", .loneMinus, 2),
        ("a -) b", .loneMinus, 2),
        ("a --b", .loneMinus, 2),
        ("OR a", .misplacedOr, 0),
        ("a OR", .misplacedOr, 2),
        ("a OR OR b", .misplacedOr, 5),
        ("(OR a)", .misplacedOr, 1),
        ("-a", .onlyExclusions, 0),
        ("-a -b", .onlyExclusions, 0),
        ("a OR -b", .onlyExclusions, 5),
        ("a (-b -c)", .onlyExclusions, 3),
    ]

    @Test("reports every error with its position", arguments: invalid)
    func rejects(_ text: String, _ kind: QueryError.Kind, _ position: Int) {
        #expect(throws: QueryError(kind, at: position)) { try QueryParser.parse(text) }
    }

    @Test("a 40,000-deep query is a nesting error at the 101st parenthesis, not a stack overflow")
    func deepNesting() throws {
        func nested(_ depth: Int) -> String {
            String(repeating: "(", count: depth) + "集体" + String(repeating: ")", count: depth)
        }
        #expect(try QueryParser.parse(nested(QueryParser.maxNesting)) == .phrase("集体"))
        #expect(try QueryParser.parse("a " + nested(QueryParser.maxNesting)) == .and([.phrase("a"), .phrase("集体")]))
        for depth in [QueryParser.maxNesting + 1, 40_000] {
            #expect(throws: QueryError(.nestingTooDeep, at: QueryParser.maxNesting)) { try QueryParser.parse(nested(depth)) }
        }
        // depth counts open groups, not parentheses in the query
        let siblings = Array(repeating: nested(QueryParser.maxNesting), count: 3).joined(separator: " OR ")
        #expect(throws: Never.self) { try QueryParser.parse(siblings) }
        #expect(QueryError(.nestingTooDeep, at: 7).description.hasPrefix("nesting too deep"))
    }

    @Test("positions count characters, not bytes")
    func positionsAreCharacters() {
        #expect(throws: QueryError(.unclosedQuote, at: 5)) { try QueryParser.parse("集体协商 \"工资") }
    }

    @Test("description round-trips", arguments: valid.map(\.1))
    func roundTrips(_ query: Query) throws {
        #expect(try QueryParser.parse(query.description) == query)
    }

    @Test("quotes, parentheses and whitespace are syntax even when a combining mark follows them")
    func syntaxBeforeCombiningMarks() throws {
        // each pair below is one Character ("\"" + U+0301 is a single grapheme cluster)
        #expect(try QueryParser.parse("\"\u{31D}\"") == .phrase("\u{31D}"))
        #expect(try QueryParser.parse("(\u{301}集体 OR 工会)") == .or([.phrase("\u{301}集体"), .phrase("工会")]))
        #expect(try QueryParser.parse("集体 \u{301}协商") == .and([.phrase("集体"), .phrase("\u{301}协商")]))
        #expect(try QueryParser.parse("工会 -\u{301}x") == .and([.phrase("工会"), .not(.phrase("\u{301}x"))]))
        #expect(throws: QueryError(.unclosedQuote, at: 3)) { try QueryParser.parse("集体 \"\u{301}协商") }
    }

    @Test("phrases that start with a combining mark round-trip through the description (found by fuzz/query)",
          arguments: [Query.phrase("\u{31D}"), .phrase("\u{301}集体"), .and([.phrase("\u{302}"), .not(.phrase("\u{301}x"))]),
                      .or([.phrase("a"), .phrase("\u{20DD}")])])
    func combiningMarkRoundTrip(_ query: Query) throws {
        #expect(try QueryParser.parse(query.description) == query)
    }

    @Test("error messages name the position")
    func messages() {
        let error = QueryError(.unclosedQuote, at: 4)
        #expect(error.description == "unbalanced quote: this \" is never closed (at position 4)")
        #expect(QueryError(.noSearchableText("。"), at: nil).description == "\"。\" has no searchable text (only punctuation or symbols)")
    }

    /// Texts near the single-word fast path: it must take exactly the plain words, and give
    /// what the lexer gives (compared with the same text in parentheses, which the fast path
    /// never takes).
    static let nearWords = [
        "集体协商", "iPhone手机", "a-b", "6.84", "「工具」栏", "OR", "or", "ORB", "-a", "-", "a\u{3000}b", "\u{3000}",
        "a\u{A0}b", "a\u{2028}b", "a\u{85}b", "e\u{301}", "-\u{301}a", "(\u{301}a", "a\u{301}(b", "x\"", "\r\n", "ｶﾀｶﾅ",
        "東京\u{200B}タワー", "a\u{1C}b", "한국어",
    ]

    @Test("a single word parses to one phrase as the full parser reads it", arguments: nearWords)
    func singleWord(_ text: String) throws {
        let full: Query? = try? QueryParser.parse("(" + text + ")")
        let fast: Query? = try? QueryParser.parse(text)
        #expect(fast == full, "\(text)")
        if QueryParser.isSingleWord(text) {
            #expect(fast == .phrase(text) && fast?.sourcePosition == 0, "\(text)")
        }
    }

    @Test("the fast path takes plain words only")
    func singleWordChoice() {
        for word in ["集体协商", "iPhone手机", "a-b", "ORB", "e\u{301}", "ｶﾀｶﾅ"] { #expect(QueryParser.isSingleWord(word), "\(word)") }
        for text in ["", "OR", "-a", "a b", "a\u{3000}b", "a\u{A0}b", "a(b", "a)", "\"a\"", "a\u{85}b", "\n"] {
            #expect(!QueryParser.isSingleWord(text), "\(text)")
        }
    }

    @Test("Query(parsing:) is the parser")
    func initParsing() throws {
        #expect(try Query(parsing: "a -b") == .and([.phrase("a"), .not(.phrase("b"))]))
        #expect(Query(.phrase("a"), sourcePosition: 3) == .phrase("a"))
    }
}

@Suite("Query parser on random input")
struct QueryParserFuzzTests {
    static let pieces = ["(", ")", "\"", "-", "OR", " ", "  ", "集体", "会", "a", "iPhone手机", "。", "or", "-(", "\t"]

    @Test("random queries parse or fail with a position inside the query; parsed ones round-trip")
    func random() throws {
        var generator = SplitMix64(seed: 11)
        for _ in 0..<3000 {
            let count = Int(generator.next() % 9)
            let text = (0..<count).map { _ in Self.pieces[Int(generator.next() % UInt64(Self.pieces.count))] }.joined()
            do {
                let query = try QueryParser.parse(text)
                #expect(try QueryParser.parse(query.description) == query, "\(text)")
            } catch {
                let position = try #require(error.position, "\(text)")
                #expect(position >= 0 && position <= max(0, text.count - 1), "\(text): \(error)")
            }
        }
    }
}
