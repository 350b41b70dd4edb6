import Foundation
import SouTestSupport
import Testing
@testable import SouAnalysis

/// Analysis in pieces (`analyze(utf8:into:firstPosition:pieceTokens:_:)`), what a build uses for a
/// document too long to hold all its tokens: the pieces, joined, are the tokens of one call.
@Suite("Analyzer: analysis in pieces")
struct AnalyzerPiecesTests {
    /// Texts whose tokens end anywhere: CJK runs of every length (a lone character is a unigram),
    /// words built verbatim and character by character (case folding, width folding, combining
    /// marks), Mid characters with and without a right side, connector punctuation alone, soft
    /// line breaks inside runs, invalid UTF-8, and the seed texts.
    static func texts() throws -> [[UInt8]] {
        var texts: [[UInt8]] = [
            Array("集体协商 工资 中 国 iPhone手机 Don't 3.14 3.x a.b. __ x__y ＡＢＣ１２３ Straße e\u{301}\u{302}x 한국어 ｶﾀｶﾅ".utf8),
            Array("集体\n协商\r\n工资。劳动合同法，第3条：can't won't isn't ‘quoted’ ١٢٣ Ǆemal ﬁne".utf8),
            Array("中".utf8), Array("".utf8), Array("。。。".utf8), Array("__".utf8),
            Array("a'".utf8), Array("Ab'".utf8), Array("9.".utf8), Array("AB'C".utf8),
            [0xE4, 0xB8, 0x41, 0x42, 0xFF, 0xE4, 0xB8, 0xAD, 0xE5, 0x9B, 0xBD],
            try fixture("seed-collective-bargaining.txt"), try fixture("seed-numbers.txt"),
        ]
        // random sequences of pieces that start and end tokens
        var generator = SplitMix64(seed: 0x91EC)
        let pieces = ["中", "国", "人", "한", "a", "B", "1", "\n", " ", "。", "\u{301}", ".", "'", "_", "Ａ", "ß", "ｶ", "ﾞ"]
        for _ in 0..<40 {
            var text = ""
            for _ in 0..<(20 + Int(generator.next() % 120)) { text += pieces[Int(generator.next() % UInt64(pieces.count))] }
            texts.append(Array(text.utf8))
        }
        return texts
    }

    @Test("tokens analyzed in pieces of any size, joined, are the tokens of one call (terms, positions, ranges, kinds)",
          arguments: [1, 2, 3, 5, 8, 64])
    func piecesJoinedAreOneCall(_ pieceTokens: Int) throws {
        for configuration in [AnalyzerConfiguration(), AnalyzerConfiguration(joinsSoftLineBreaks: false, foldsTraditionalToSimplified: true)] {
            let analyzer = try Analyzer(configuration: configuration)
            for text in try Self.texts() {
                var whole = TokenBuffer()
                let expected = try text.withUnsafeBufferPointer { try analyzer.analyze(utf8: $0, into: &whole, firstPosition: 7) }
                var joined: [Token] = []
                var calls = 0, lastSeen = 0
                var buffer = TokenBuffer()
                let summary = try text.withUnsafeBufferPointer {
                    try analyzer.analyze(utf8: $0, into: &buffer, firstPosition: 7, pieceTokens: pieceTokens) { piece, isLast in
                        calls += 1
                        #expect(lastSeen == 0, "a piece after the last one")
                        if isLast { lastSeen = calls } else { #expect(piece.count >= pieceTokens, "a piece handed over early") }
                        // one input character ends at most a token or two (its normalization at most a few)
                        #expect(piece.count < pieceTokens + 20, "a piece far larger than asked")
                        joined += piece.tokens
                    }
                }
                let label = String(decoding: text.prefix(40), as: UTF8.self)
                #expect(joined == whole.tokens, "\(label)")
                #expect(summary == expected, "\(label)")
                #expect(lastSeen == calls && calls >= 1)
            }
        }
    }

    @Test("a long text analyzed in pieces holds one piece at a time: the buffer stays bounded")
    func piecesAreBounded() throws {
        let analyzer = try Analyzer()
        let text = Array(String(repeating: "集体协商工资 iPhone 手机。", count: 20_000).utf8)
        var buffer = TokenBuffer()
        var largest = 0, total = 0
        let summary = try text.withUnsafeBufferPointer {
            try analyzer.analyze(utf8: $0, into: &buffer, pieceTokens: 1000) { piece, _ in
                largest = max(largest, piece.count)
                total += piece.count
            }
        }
        #expect(total == summary.tokenCount)
        #expect(total == 20_000 * 7)   // 集体 体协 协商 商工 工资, iphone, 手机
        #expect(largest >= 1000 && largest < 1010)
    }
}
