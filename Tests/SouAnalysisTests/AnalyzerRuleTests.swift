import Testing
@testable import SouAnalysis

/// One table per rule of the analyzer; each row asserts terms, positions, byte ranges, kinds.
@Suite("Analyzer rules")
struct AnalyzerRuleTests {
    static let cjkRuns: [AnalysisCase] = [
        .init("集体协商", [bigram("集体", 0, 0..<6), bigram("体协", 1, 3..<9), bigram("协商", 2, 6..<12)]),
        .init("中", [unigram("中", 0, 0..<3)]),
        .init("中国", [bigram("中国", 0, 0..<6)]),
        .init("多くの学生が試験に落ちた。", [
            bigram("多く", 0, 0..<6), bigram("くの", 1, 3..<9), bigram("の学", 2, 6..<12),
            bigram("学生", 3, 9..<15), bigram("生が", 4, 12..<18), bigram("が試", 5, 15..<21),
            bigram("試験", 6, 18..<24), bigram("験に", 7, 21..<27), bigram("に落", 8, 24..<30),
            bigram("落ち", 9, 27..<33), bigram("ちた", 10, 30..<36),
        ]),
        .init("コーヒー", [bigram("コー", 0, 0..<6), bigram("ーヒ", 1, 3..<9), bigram("ヒー", 2, 6..<12)]),
        .init("東京タワー", [bigram("東京", 0, 0..<6), bigram("京タ", 1, 3..<9), bigram("タワ", 2, 6..<12),
                        bigram("ワー", 3, 9..<15)]),
        .init("人々", [bigram("人々", 0, 0..<6)]),
        .init("時々刻々", [bigram("時々", 0, 0..<6), bigram("々刻", 1, 3..<9), bigram("刻々", 2, 6..<12)]),
        .init("𠀀", [unigram("𠀀", 0, 0..<4)]),
        .init("𠀀中", [bigram("𠀀中", 0, 0..<7)]),
        .init("中𠀁𠀀", [bigram("中𠀁", 0, 0..<7), bigram("𠀁𠀀", 1, 3..<11)]),
        .init("〆切", [bigram("〆切", 0, 0..<6)]),
    ]

    @Test("a CJK run becomes overlapping bigrams; a one-character run a unigram", arguments: cjkRuns)
    func cjkRun(_ row: AnalysisCase) throws { try expectAnalyzes(row) }

    static let hangul: [AnalysisCase] = [
        .init("파일 열기", [bigram("파일", 0, 0..<6), bigram("열기", 2, 7..<13)]),
        .init("3차원입니다", [number("3", 0, 0..<1), bigram("차원", 1, 1..<7), bigram("원입", 2, 4..<10),
                         bigram("입니", 3, 7..<13), bigram("니다", 4, 10..<16)]),
        .init("abc한국어", [word("abc", 0, 0..<3), bigram("한국", 1, 3..<9), bigram("국어", 2, 6..<12)]),
        .init("한국어abc", [bigram("한국", 0, 0..<6), bigram("국어", 1, 3..<9), word("abc", 3, 9..<12)]),
        .init("한", [unigram("한", 0, 0..<3)]),
        .init("韓國어", [bigram("韓國", 0, 0..<6), bigram("國어", 1, 3..<9)]),
    ]

    @Test("Hangul is bigrammed, also glued to digits and Latin letters", arguments: hangul)
    func hangulRun(_ row: AnalysisCase) throws { try expectAnalyzes(row) }

    static let positions: [AnalysisCase] = [
        .init("集体协商 abc。x", [bigram("集体", 0, 0..<6), bigram("体协", 1, 3..<9), bigram("协商", 2, 6..<12),
                              word("abc", 4, 13..<16), word("x", 6, 19..<20)]),
        .init("full text search", [word("full", 0, 0..<4), word("text", 1, 5..<9), word("search", 2, 10..<16)]),
        .init("full, text", [word("full", 0, 0..<4), word("text", 2, 6..<10)]),
        .init("「工具」栏", [bigram("工具", 0, 3..<9), unigram("栏", 3, 12..<15)]),
        .init("中文 abc", [bigram("中文", 0, 0..<6), word("abc", 2, 7..<10)]),
        .init("a!!!b", [word("a", 0, 0..<1), word("b", 2, 4..<5)]),
        .init("。中国", [bigram("中国", 0, 3..<9)]),
        .init("a\tb\u{3000}c", [word("a", 0, 0..<1), word("b", 1, 2..<3), word("c", 2, 6..<7)]),
        .init("iPhone手机", [word("iphone", 0, 0..<6), bigram("手机", 1, 6..<12)]),
        .init("手机iPhone", [bigram("手机", 0, 0..<6), word("iphone", 2, 6..<12)]),
        .init("2023年", [number("2023", 0, 0..<4), unigram("年", 1, 4..<7)]),
        .init("中国，人民", [bigram("中国", 0, 0..<6), bigram("人民", 3, 9..<15)]),
        .init("中国　人民", [bigram("中国", 0, 0..<6), bigram("人民", 2, 9..<15)]),
    ]

    @Test("slots: whitespace keeps tokens adjacent, anything else leaves one gap", arguments: positions)
    func slots(_ row: AnalysisCase) throws { try expectAnalyzes(row) }

    static let normalization: [AnalysisCase] = [
        .init("ＡＢＣ１２３", [word("abc123", 0, 0..<18)]),
        .init("ｶﾀｶﾅ", [bigram("カタ", 0, 0..<6), bigram("タカ", 1, 3..<9), bigram("カナ", 2, 6..<12)]),
        .init("ｶﾞ", [unigram("ガ", 0, 0..<6)]),
        .init("Ä", [word("ä", 0, 0..<2)]),
        .init("ß", [word("ss", 0, 0..<2)]),
        .init("Straße", [word("strasse", 0, 0..<7)]),
        .init("ΣΑΣ", [word("σασ", 0, 0..<6)]),
        .init("iPhone", [word("iphone", 0, 0..<6)]),
        .init("e\u{0301}t\u{00E9}", [word("\u{00E9}t\u{00E9}", 0, 0..<6)]),
        // U+200B (removed by NFKC_Casefold) joins the normalization segment of 体
        .init("集体\u{200B}协商", [bigram("集体", 0, 0..<9), bigram("体协", 1, 3..<12), bigram("协商", 2, 9..<15)]),
        .init("co\u{00AD}operate", [word("cooperate", 0, 0..<11)]),
        .init("⼀", [unigram("一", 0, 0..<3)]),
        .init("㈱a", [unigram("株", 0, 0..<3), word("a", 2, 3..<4)]),
        .init("Ⅻ", [word("xii", 0, 0..<3)]),
        .init("①", [number("1", 0, 0..<3)]),
    ]

    @Test("NFKC_Casefold; byte ranges stay in the original input", arguments: normalization)
    func normalizes(_ row: AnalysisCase) throws { try expectAnalyzes(row) }

    static let words: [AnalysisCase] = [
        .init("6.84", [number("6.84", 0, 0..<4)]),
        .init("2460", [number("2460", 0, 0..<4)]),
        .init("2,460", [number("2,460", 0, 0..<5)]),
        .init("1,000,000.50", [number("1,000,000.50", 0, 0..<12)]),
        .init("1.2.3", [number("1.2.3", 0, 0..<5)]),
        .init("3.14.", [number("3.14", 0, 0..<4)]),
        .init("a1.5", [word("a1.5", 0, 0..<4)]),
        .init("don't", [word("don't", 0, 0..<5)]),
        .init("foo_bar", [word("foo_bar", 0, 0..<7)]),
        .init("__init__", [word("__init__", 0, 0..<8)]),
        .init("a __ b", [word("a", 0, 0..<1), word("b", 2, 5..<6)]),
        .init("a.b.c", [word("a.b.c", 0, 0..<5)]),
        .init("a:b", [word("a", 0, 0..<1), word("b", 2, 2..<3)]),
        .init("6.c", [number("6", 0, 0..<1), word("c", 2, 2..<3)]),
        .init("full-text", [word("full", 0, 0..<4), word("text", 2, 5..<9)]),
        .init("grrbghxw@126.com", [word("grrbghxw", 0, 0..<8), number("126", 2, 9..<12), word("com", 4, 13..<16)]),
        .init("E－mail:grrbghxw@126.com2023年", [
            word("e", 0, 0..<1), word("mail", 2, 4..<8), word("grrbghxw", 4, 9..<17), number("126", 6, 18..<21),
            word("com2023", 8, 22..<29), unigram("年", 9, 29..<32),
        ]),
        .init("http://x.org/a", [word("http", 0, 0..<4), word("x.org", 2, 7..<12), word("a", 4, 13..<14)]),
        .init("naïve café", [word("naïve", 0, 0..<6), word("café", 1, 7..<12)]),
        .init("abcD.Ef", [word("abcd.ef", 0, 0..<7)]),
        .init("AB.cd ab.CD", [word("ab.cd", 0, 0..<5), word("ab.cd", 1, 6..<11)]),
        .init("ab.\u{301}cd", [word("ab.\u{301}cd", 0, 0..<7)]),
        .init("ab.\u{301}", [word("ab", 0, 0..<2)]),
        .init("x\u{200D}y", [word("xy", 0, 0..<5)]),
        .init("Ab_", [word("ab_", 0, 0..<3)]),
    ]

    @Test("other text: words and numbers by ICU's word-break rules, casefolded", arguments: words)
    func wordsAndNumbers(_ row: AnalysisCase) throws { try expectAnalyzes(row) }

    static let nothing: [AnalysisCase] = [
        .init("", []),
        .init(" \n\t ", []),
        .init("。、！", []),
        .init("😀", []),
        .init("😀👍🏽", []),
        .init("a😀b", [word("a", 0, 0..<1), word("b", 2, 5..<6)]),
        .init("中😀文", [unigram("中", 0, 0..<3), unigram("文", 2, 7..<10)]),
        .init("❤️中", [unigram("中", 0, 6..<9)]),
    ]

    @Test("whitespace, punctuation, symbols and emoji emit nothing", arguments: nothing)
    func emitsNothing(_ row: AnalysisCase) throws { try expectAnalyzes(row) }

    static let softLineBreaks: [AnalysisCase] = [
        .init("集体协\n\n商", [bigram("集体", 0, 0..<6), bigram("体协", 1, 3..<9), bigram("协商", 2, 6..<14)]),
        .init("集体\r\n协商", [bigram("集体", 0, 0..<6), bigram("体协", 1, 3..<11), bigram("协商", 2, 8..<14)]),
        .init("中\r\r\n\n国", [bigram("中国", 0, 0..<10)]),
        .init("かな\nカナ", [bigram("かな", 0, 0..<6), bigram("なカ", 1, 3..<10), bigram("カナ", 2, 7..<13)]),
        .init("ｶ\nﾅ", [bigram("カナ", 0, 0..<7)]),
        .init("集体协 \n商", [bigram("集体", 0, 0..<6), bigram("体协", 1, 3..<9), unigram("商", 3, 11..<14)]),
        .init("集体协\n \n商", [bigram("集体", 0, 0..<6), bigram("体协", 1, 3..<9), unigram("商", 3, 12..<15)]),
        .init("한\n글", [unigram("한", 0, 0..<3), unigram("글", 1, 4..<7)]),
        .init("中\n한", [unigram("中", 0, 0..<3), unigram("한", 1, 4..<7)]),
        .init("한\n中", [unigram("한", 0, 0..<3), unigram("中", 1, 4..<7)]),
        .init("ab\ncd", [word("ab", 0, 0..<2), word("cd", 1, 3..<5)]),
        .init("中\na", [unigram("中", 0, 0..<3), word("a", 1, 4..<5)]),
        .init("中\n。文", [unigram("中", 0, 0..<3), unigram("文", 2, 7..<10)]),
        .init("中国\n", [bigram("中国", 0, 0..<6)]),
        .init("集体协\n\n商", [bigram("集体", 0, 0..<6), bigram("体协", 1, 3..<9), unigram("商", 3, 11..<14)],
              configuration: AnalyzerConfiguration(joinsSoftLineBreaks: false)),
        .init("中\r\n国", [unigram("中", 0, 0..<3), unigram("国", 1, 5..<8)],
              configuration: AnalyzerConfiguration(joinsSoftLineBreaks: false)),
    ]

    @Test("soft line breaks join Han/Kana runs (only \\n and \\r, not for Hangul, switchable)",
          arguments: softLineBreaks)
    func softLineBreak(_ row: AnalysisCase) throws { try expectAnalyzes(row) }

    static let folding = AnalyzerConfiguration(foldsTraditionalToSimplified: true)
    static let variants: [AnalysisCase] = [
        .init("系統", [bigram("系統", 0, 0..<6)]),
        .init("系統", [bigram("系统", 0, 0..<6)], configuration: folding),
        .init("臺灣中国", [bigram("台湾", 0, 0..<6), bigram("湾中", 1, 3..<9), bigram("中国", 2, 6..<12)],
              configuration: folding),
        .init("體", [unigram("体", 0, 0..<3)], configuration: folding),
        .init("Taiwan臺灣", [word("taiwan", 0, 0..<6), bigram("台湾", 1, 6..<12)], configuration: folding),
        .init("かな", [bigram("かな", 0, 0..<6)], configuration: folding),
    ]

    @Test("Traditional → Simplified folding, off by default", arguments: variants)
    func foldsVariants(_ row: AnalysisCase) throws { try expectAnalyzes(row) }

    static let invalidUTF8: [AnalysisCase] = [
        .init(bytes: [0x61, 0x62, 0xFF, 0x63, 0x64], [word("ab", 0, 0..<2), word("cd", 2, 3..<5)], invalidSequences: 1),
        .init(bytes: Array("中".utf8) + [0xE4, 0xB8], [unigram("中", 0, 0..<3)], invalidSequences: 1),
        .init(bytes: [0xC0, 0xAF], [], invalidSequences: 2),
        .init(bytes: [0xED, 0xA0, 0x80], [], invalidSequences: 3),
        .init(bytes: [0xF4, 0x90, 0x80, 0x80], [], invalidSequences: 4),
        .init(bytes: Array("中".utf8) + [0xFF] + Array("文".utf8), [unigram("中", 0, 0..<3), unigram("文", 2, 4..<7)],
              invalidSequences: 1),
        .init(bytes: [0x80, 0x61, 0xCC], [word("a", 0, 1..<2)], invalidSequences: 2),
    ]

    @Test("invalid UTF-8 becomes U+FFFD (a symbol) and is counted", arguments: invalidUTF8)
    func invalidInput(_ row: AnalysisCase) throws { try expectAnalyzes(row) }
}
