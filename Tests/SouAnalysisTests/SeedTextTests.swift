import Testing
@testable import SouAnalysis

@Suite("Real text")
struct SeedTextTests {
    /// The byte offset of `needle` in `haystack`.
    func offset(of needle: String, in haystack: [UInt8]) throws -> Int {
        let n = Array(needle.utf8)
        let found = (0...(haystack.count - n.count)).first { haystack[$0..<($0 + n.count)].elementsEqual(n) }
        return try #require(found, "\(needle) not in fixture")
    }

    @Test("the seed's 集体\\n\\n协商 and 协\\n\\n商 are joined across the PDF line breaks")
    func seedLineBreaks() throws {
        let text = try fixture("seed-collective-bargaining.txt")
        let (tokens, _) = try analyze(text)
        let split = try offset(of: "集体\n\n协商", in: text)
        // 集 体 \n \n 协 商: 体协 spans the blank line, 协商 follows in the next slot
        let tixie = try #require(tokens.first { $0.term == "体协" && $0.byteRange.lowerBound == split + 3 })
        #expect(tixie.byteRange == (split + 3)..<(split + 11))
        #expect(tokens.contains(bigram("协商", tixie.position + 1, (split + 8)..<(split + 14))))
        #expect(tokens.contains(bigram("集体", tixie.position - 1, split..<(split + 6))))
        let other = try offset(of: "从协\n\n商代表", in: text)
        #expect(tokens.contains { $0.term == "协商" && $0.byteRange == (other + 3)..<(other + 11) })

        let (strict, _) = try analyze(text, configuration: AnalyzerConfiguration(joinsSoftLineBreaks: false))
        #expect(!strict.contains { $0.byteRange.lowerBound == split + 3 && $0.term == "体协" })
        #expect(strict.count < tokens.count)
    }

    @Test("every bigram's byte range is its two characters, line breaks between them aside")
    func bigramRanges() throws {
        let text = try fixture("seed-collective-bargaining.txt")
        let (tokens, _) = try analyze(text)
        #expect(tokens.count > 150)
        for token in tokens where token.kind == .bigram {
            let source = String(decoding: text[token.byteRange], as: UTF8.self)
            #expect(source.replacingOccurrences(of: "\n", with: "") == token.term)
        }
    }

    @Test("numbers and the e-mail address of the seed")
    func seedNumbers() throws {
        let text = try fixture("seed-numbers.txt")
        let (tokens, _) = try analyze(text)
        let mail = try offset(of: "grrbghxw", in: text)
        let expected = [word("grrbghxw", 0, mail..<(mail + 8)), number("126", 0, (mail + 9)..<(mail + 12)),
                        word("com2023", 0, (mail + 13)..<(mail + 20))]
        for token in expected {
            #expect(tokens.contains { $0.term == token.term && $0.byteRange == token.byteRange && $0.kind == token.kind })
        }
        #expect(tokens.contains { $0.term == "2460" && $0.kind == .number })
        #expect(tokens.contains { $0.term == "6.84" && $0.kind == .number })
        // "6.84\n万元": the number, then 万元 in the next slot (a line break is whitespace)
        let n = try #require(tokens.first { $0.term == "6.84" })
        #expect(tokens.contains { $0.term == "万元" && $0.position == n.position + 1 })
    }

    @Test("word and number boundaries agree with ICU's word break iterator", arguments: [
        "manpages-changelog-excerpt.txt", nil,
    ])
    func agreesWithICU(_ name: String?) throws {
        var text = try name.map(fixture) ?? Array("""
            Don't stop: 3.14, 1,000; e.g. U.S.A. x_y __z__ a'b' 'c' o’clock 5'6 -7 +8 x.5 5.x v1.2.3a \
            naïve Ça va? Ελληνικά Русский текст שָׁלוֹם 2022-12-09 CMakeLists.txt: ls(1) <x#y.org> $HOME/.config \
            ｆｕｌｌｗｉｄｔｈ ＡＢＣ１２３ a·b 1٫5 e\u{301}t\u{e9} abcD.Ef ab.\u{301}cd x\u{200D}y Ab_ ab.\u{301}
            """.utf8)
        // ICU 72 keeps e-mail addresses whole ('@' is a letter to it); Sou breaks there (see Analyzer).
        text = text.map { $0 == UInt8(ascii: "@") ? UInt8(ascii: "#") : $0 }
        let (tokens, _) = try analyze(text)
        let icu = ICUWordBreaks.segments(text)
        #expect(!icu.isEmpty)
        #expect(tokens.map(\.byteRange) == icu.map(\.byteRange))
        let kinds = zip(tokens, icu).filter { $0.0.kind == .number }
        #expect(kinds.allSatisfy { (100..<200).contains($0.1.status) })
    }
}
