import SouTestSupport
import Testing
@testable import SouAnalysis

@Suite("Analyzer behaviour")
struct AnalyzerBehaviourTests {
    struct FieldCase: Sendable, CustomTestStringConvertible {
        var text: String
        var firstPosition: Int
        var nextPosition: Int
        var testDescription: String { "\(text.debugDescription) from \(firstPosition)" }
    }

    static let fields: [FieldCase] = [
        .init(text: "", firstPosition: 0, nextPosition: 0),
        .init(text: "", firstPosition: 7, nextPosition: 7),
        .init(text: "。", firstPosition: 3, nextPosition: 3),
        .init(text: "abc", firstPosition: 0, nextPosition: 2),
        .init(text: "a b", firstPosition: 10, nextPosition: 13),
        .init(text: "ab。", firstPosition: 0, nextPosition: 2),
        .init(text: "中国", firstPosition: 0, nextPosition: 3),
        .init(text: "中", firstPosition: 5, nextPosition: 7),
        .init(text: "集体协商", firstPosition: 0, nextPosition: 5),
    ]

    @Test("nextPosition: a following field starts after a gap", arguments: fields)
    func nextPosition(_ row: FieldCase) throws {
        let (_, summary) = try analyze(Array(row.text.utf8), firstPosition: row.firstPosition)
        #expect(summary.nextPosition == row.nextPosition)
    }

    @Test("positions start at firstPosition")
    func firstPosition() throws {
        let (tokens, _) = try analyze(Array("ab 中国".utf8), firstPosition: 10)
        #expect(tokens == [word("ab", 10, 0..<2), bigram("中国", 11, 3..<9)])
    }

    @Test("two fields in one buffer: the second starts at the first's nextPosition")
    func twoFields() throws {
        let analyzer = try Analyzer()
        var buffer = TokenBuffer()
        let title = Array("工具".utf8), body = Array("栏".utf8)
        let first = try title.withUnsafeBufferPointer { try analyzer.analyze(utf8: $0, into: &buffer) }
        let second = try body.withUnsafeBufferPointer {
            try analyzer.analyze(utf8: $0, into: &buffer, firstPosition: first.nextPosition)
        }
        #expect(buffer.tokens == [bigram("工具", 0, 0..<6), unigram("栏", 3, 0..<3)])
        #expect(second.nextPosition == 5)
    }

    @Test("a reused buffer gives the same tokens")
    func bufferReuse() throws {
        let analyzer = try Analyzer()
        let text = Array("集体协商 iPhone 6.84。한국어".utf8)
        var buffer = TokenBuffer()
        _ = try text.withUnsafeBufferPointer { try analyzer.analyze(utf8: $0, into: &buffer) }
        let first = buffer.tokens
        buffer.removeAll()
        _ = try text.withUnsafeBufferPointer { try analyzer.analyze(utf8: $0, into: &buffer) }
        #expect(buffer.tokens == first)
        #expect(try analyzer.analyze(String(decoding: text, as: UTF8.self)) == first)
    }

    @Test("a copied buffer keeps its tokens when the original analyzes on")
    func copiedBuffer() throws {
        let analyzer = try Analyzer()
        var original = TokenBuffer()
        let first = Array("集体协商".utf8), second = Array("abc 中".utf8)
        _ = try first.withUnsafeBufferPointer { try analyzer.analyze(utf8: $0, into: &original) }
        var copy = original
        original.removeAll()
        _ = try second.withUnsafeBufferPointer { try analyzer.analyze(utf8: $0, into: &original) }
        _ = try second.withUnsafeBufferPointer { try analyzer.analyze(utf8: $0, into: &copy, firstPosition: 5) }
        #expect(original.tokens == [word("abc", 0, 0..<3), unigram("中", 1, 4..<7)])
        #expect(copy.tokens == [bigram("集体", 0, 0..<6), bigram("体协", 1, 3..<9), bigram("协商", 2, 6..<12),
                                word("abc", 5, 0..<3), unigram("中", 6, 4..<7)])
    }

    @Test("a 1 MB single CJK run completes with n-1 bigrams")
    func megabyteRun() throws {
        let alphabet = Array("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严".unicodeScalars)
        var text = String.UnicodeScalarView()
        let count = 350_000     // × 3 bytes = 1.05 MB
        for k in 0..<count { text.append(alphabet[(k * 7) % alphabet.count]) }
        let input = Array(String(text).utf8)
        let (tokens, summary) = try analyze(input)
        #expect(tokens.count == count - 1)
        #expect(tokens.allSatisfy { $0.kind == .bigram })
        #expect(tokens.last?.position == count - 2)
        #expect(tokens.last?.byteRange == (input.count - 6)..<input.count)
        #expect(summary.nextPosition == count + 1)
    }

    @Test("the analyzer is thread-safe: concurrent tasks get the same tokens", arguments: [
        AnalyzerConfiguration(), AnalyzerConfiguration(foldsTraditionalToSimplified: true),
    ])
    func concurrentAnalysis(_ configuration: AnalyzerConfiguration) async throws {
        let analyzer = try Analyzer(configuration: configuration)
        let texts = [try fixture("seed-collective-bargaining.txt"), try fixture("seed-numbers.txt"),
                     Array("臺灣系統 iPhone手机 3차원입니다 ｶﾀｶﾅ ＡＢＣ１２３ e\u{301}".utf8)]
        func run(_ text: [UInt8]) -> [Token] {
            var buffer = TokenBuffer()
            do { _ = try text.withUnsafeBufferPointer { try analyzer.analyze(utf8: $0, into: &buffer) } } catch { Issue.record(error) }
            return buffer.tokens
        }
        let expected = texts.map(run)
        let results = await withTaskGroup(of: (Int, [Token]).self) { group in
            for task in 0..<24 {
                group.addTask {
                    let k = task % texts.count
                    var last: [Token] = []
                    for _ in 0..<20 { last = run(texts[k]) }
                    return (k, last)
                }
            }
            var all: [(Int, [Token])] = []
            for await result in group { all.append(result) }
            return all
        }
        #expect(results.count == 24)
        for (k, tokens) in results { #expect(tokens == expected[k]) }
    }

    @Test("random bytes never crash; ranges lie inside the input; positions never go back")
    func randomInput() throws {
        let analyzer = try Analyzer()
        var generator = SplitMix64(seed: 0x5EED)
        let pieces: [[UInt8]] = [Array("中".utf8), Array("한".utf8), Array("a".utf8), Array("1".utf8), [0x0A], [0x0D],
                                 [0x20], Array("。".utf8), Array("\u{301}".utf8), Array("ﾞ".utf8), [0xFF], [0xE4],
                                 [0x80], Array("𠀀".utf8), Array(".".utf8), Array("_".utf8), Array("'".utf8)]
        for _ in 0..<300 {
            var input: [UInt8] = []
            for _ in 0..<Int(generator.next() % 64) {
                if generator.next() % 4 == 0 { input.append(UInt8(truncatingIfNeeded: generator.next())) }
                else { input += pieces[Int(generator.next() % UInt64(pieces.count))] }
            }
            var buffer = TokenBuffer()
            let summary = try input.withUnsafeBufferPointer { try analyzer.analyze(utf8: $0, into: &buffer) }
            #expect(summary.tokenCount == buffer.count)
            var lastPosition = 0
            for i in 0..<buffer.count {
                let range = buffer.byteRange(i)
                #expect(range.lowerBound >= 0 && range.upperBound <= input.count && !range.isEmpty)
                #expect(buffer.position(i) >= lastPosition)
                lastPosition = buffer.position(i)
            }
            #expect(summary.nextPosition >= lastPosition)
        }
    }

    @Test("text with characters NFKC_Casefold removes or combines gives the tokens of ICU's normalization of the whole text")
    func normalizationSegmentsMatchWholeText() throws {
        let analyzer = try Analyzer()
        var generator = SplitMix64(seed: 0xAD)
        // bases (plain, mapped, CJK, Hangul, half-width kana, separators), characters NFKC_Casefold
        // removes (soft hyphen, zero-width space and joiner, word joiner, variation selectors, BOM,
        // grapheme joiner) and characters that combine with what precedes them
        let bases: [String] = ["a", "A", "é", "ß", "Ａ", "集", "体", "カ", "ｶ", "가", "1", "①", "㈱", " ", ".", "\n", "-"]
        let removed: [String] = ["\u{AD}", "\u{200B}", "\u{200D}", "\u{2060}", "\u{FE0F}", "\u{FEFF}", "\u{E0100}", "\u{34F}"]
        let combining: [String] = ["\u{301}", "\u{3099}", "ﾞ", "\u{1161}"]
        var removedOnlyTexts = 0
        for round in 0..<600 {
            var text = ""
            var hasCombining = false
            for _ in 0..<(1 + Int(generator.next() % 24)) {
                switch generator.next() % 8 {
                case 0, 1, 2: text += removed[Int(generator.next() % UInt64(removed.count))]
                case 3 where round % 2 == 0:
                    text += combining[Int(generator.next() % UInt64(combining.count))]
                    hasCombining = true
                default: text += bases[Int(generator.next() % UInt64(bases.count))]
                }
            }
            if !hasCombining { removedOnlyTexts += 1 }
            let normalized = try ICUReference.nfkcCasefold(text: text.unicodeScalars.map(\.value))
            let normalizedText = String(String.UnicodeScalarView(normalized.compactMap(Unicode.Scalar.init)))
            var buffer = TokenBuffer(), expected = TokenBuffer()
            let input = Array(text.utf8), reference = Array(normalizedText.utf8)
            _ = try input.withUnsafeBufferPointer { try analyzer.analyze(utf8: $0, into: &buffer) }
            _ = try reference.withUnsafeBufferPointer { try analyzer.analyze(utf8: $0, into: &expected) }
            let got = buffer.tokens, want = expected.tokens
            #expect(got.map(\.term) == want.map(\.term), "terms of \(text.unicodeScalars.map { String($0.value, radix: 16) })")
            #expect(got.map(\.position) == want.map(\.position), "positions of \(text.unicodeScalars.map { String($0.value, radix: 16) })")
            #expect(got.map(\.kind) == want.map(\.kind), "kinds of \(text.unicodeScalars.map { String($0.value, radix: 16) })")
            // byte ranges stay in the input
            for token in got { #expect(token.byteRange.upperBound <= input.count && !token.byteRange.isEmpty) }
        }
        #expect(removedOnlyTexts >= 300)
    }

    @Test("Analyzer is Sendable and its configuration is kept")
    func sendable() throws {
        let configuration = AnalyzerConfiguration(joinsSoftLineBreaks: false, foldsTraditionalToSimplified: true)
        let analyzer: any Sendable = try Analyzer(configuration: configuration)
        #expect((analyzer as? Analyzer)?.configuration == configuration)
    }
}
