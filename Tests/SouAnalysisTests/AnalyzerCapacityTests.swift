import Glibc
import Testing
@testable import SouAnalysis

/// The analyzer's 32-bit numbers: slots up to ``Analyzer/maxPosition``, inputs up to
/// ``Analyzer/maxInputBytes``. Before, a `firstPosition` near `Int.max` trapped (integer overflow
/// in the scanner: `runStart + runLength - 1`, `position += 1`), and slots past `Int32.max` were
/// stored wrapped: "集体协商 abc" from `Int32.max` gave 体协 at -2147483648 and abc at
/// -2147483645, silently.
@Suite("Analyzer: 32-bit slots and offsets")
struct AnalyzerCapacityTests {
    static let max = Analyzer.maxPosition

    @Test("a text whose slots end at maxPosition is analyzed with exact positions")
    func upToTheLastSlot() throws {
        let analyzer = try Analyzer()
        // 集体协商 takes slots first...first+3 (the run's last character included), abc one more
        #expect(try analyzer.analyze("集体协商 abc", firstPosition: Self.max - 4).map(\.position)
                == [Self.max - 4, Self.max - 3, Self.max - 2, Self.max])
        #expect(try analyzer.analyze("集体", firstPosition: Self.max - 1) == [bigram("集体", Self.max - 1, 0..<6)])
        #expect(try analyzer.analyze("abc", firstPosition: Self.max) == [word("abc", Self.max, 0..<3)])
        #expect(try analyzer.analyze("", firstPosition: Self.max) == [])
        var buffer = TokenBuffer()
        let summary = try Array("a。b".utf8).withUnsafeBufferPointer { try analyzer.analyze(utf8: $0, into: &buffer, firstPosition: Self.max - 2) }
        #expect(buffer.tokens.map(\.position) == [Self.max - 2, Self.max])
        #expect(summary.nextPosition == Self.max + 2 && summary.tokenCount == 2)
    }

    @Test("a text that would take a slot past maxPosition is an error, and nothing is appended", arguments: [
        ("集体协商 abc", Self.max - 3), ("集体协商 abc", Int(Int32.max) - 2), ("集体", Self.max), ("a b", Self.max),
        ("a。b", Self.max - 1), ("㌖", Self.max - 4),   // ㌖ is six katakana (キロメートル): six slots from three bytes
    ])
    func pastTheLastSlot(_ text: String, _ first: Int) throws {
        let analyzer = try Analyzer()
        var buffer = TokenBuffer()
        let before = Array("工会".utf8)
        _ = try before.withUnsafeBufferPointer { try analyzer.analyze(utf8: $0, into: &buffer) }
        let kept = buffer.tokens
        let bytes = Array(text.utf8)
        #expect {
            _ = try bytes.withUnsafeBufferPointer { try analyzer.analyze(utf8: $0, into: &buffer, firstPosition: first) }
        } throws: { error in
            guard case AnalyzerError.capacity(let message) = error else { return false }
            return message.contains("beyond \(Self.max) (Analyzer.maxPosition)")
        }
        #expect(buffer.tokens == kept)
        #expect(throws: AnalyzerError.self) { try analyzer.analyze(text, firstPosition: first) }
        // the buffer still works
        _ = try bytes.withUnsafeBufferPointer { try analyzer.analyze(utf8: $0, into: &buffer, firstPosition: 0) }
        #expect(buffer.tokens == kept + (try analyzer.analyze(text)))
    }

    @Test("a firstPosition outside 0...maxPosition is an error naming it, not a trap",
          arguments: [Int.max, Int.max - 1, Int(Int32.max), Self.max + 1, -1, Int.min])
    func firstPositionOutOfRange(_ first: Int) throws {
        let analyzer = try Analyzer()
        #expect(throws: AnalyzerError.capacity("firstPosition \(first) is outside 0...\(Self.max) (Analyzer.maxPosition): slots are 32-bit")) {
            try analyzer.analyze("集体协商 abc", firstPosition: first)
        }
        var buffer = TokenBuffer()
        let bytes = Array("集体协商 abc".utf8)
        var pieces = 0
        #expect(throws: AnalyzerError.self) {
            _ = try bytes.withUnsafeBufferPointer {
                try analyzer.analyze(utf8: $0, into: &buffer, firstPosition: first, pieceTokens: 1) { _, _ in pieces += 1 }
            }
        }
        #expect(pieces == 0 && buffer.isEmpty)
    }

    @Test("in pieces: the pieces before the last slot are handed over with exact positions, then an error names the byte reached")
    func piecesStopAtTheLastSlot() throws {
        let analyzer = try Analyzer()
        let text = String(repeating: "集体协商工资 iPhone 手机。", count: 50)
        let reference = try analyzer.analyze(text)
        let first = Self.max - 200
        var handed: [Token] = []
        var buffer = TokenBuffer()
        var caught: AnalyzerError? = nil
        do {
            _ = try Array(text.utf8).withUnsafeBufferPointer {
                try analyzer.analyze(utf8: $0, into: &buffer, firstPosition: first, pieceTokens: 16) { piece, _ in handed += piece.tokens }
            }
        } catch let error as AnalyzerError {
            caught = error
        }
        let error = try #require(caught)
        // what was handed over is the start of the whole analysis, shifted, every slot in range
        #expect(!handed.isEmpty && handed.count < reference.count)
        #expect(handed.allSatisfy { $0.position <= Self.max })
        #expect(handed == reference.prefix(handed.count).map {
            Token(term: $0.term, position: $0.position + first, byteRange: $0.byteRange, kind: $0.kind)
        })
        #expect("\(error)".hasSuffix("; the tokens up to byte \(handed.last!.byteRange.upperBound) were handed over"), "\(error)")
    }

    @Test("an input longer than maxInputBytes is an error before anything is read")
    func inputTooLong() throws {
        let analyzer = try Analyzer()
        // (a reserved, never-touched mapping: the length is all the analyzer may look at)
        let count = Analyzer.maxInputBytes + 1
        let mapping = try #require(mmap(nil, count, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0))
        try #require(mapping != MAP_FAILED)
        defer { munmap(mapping, count) }
        let input = UnsafeBufferPointer(start: mapping.assumingMemoryBound(to: UInt8.self), count: count)
        var buffer = TokenBuffer()
        #expect(throws: AnalyzerError.capacity("an input of \(count) bytes is longer than the \(Analyzer.maxInputBytes) (Analyzer.maxInputBytes) one call takes: byte offsets are 32-bit")) {
            try analyzer.analyze(utf8: input, into: &buffer)
        }
        #expect(throws: AnalyzerError.self) { try analyzer.analyze(utf8: input, into: &buffer, pieceTokens: 10) { _, _ in } }
    }

    @Test("TokenBuffer.append refuses numbers that do not fit instead of trapping")
    func appendOutOfRange() throws {
        var buffer = TokenBuffer()
        try buffer.append(term: Array("a".utf8), position: Self.max, byteRange: 0..<Int(Int32.max), kind: .word)
        for (position, range) in [(Self.max + 1, 0..<1), (-1, 0..<1), (Int.max, 0..<1), (0, -1..<1), (0, 0..<(Int(Int32.max) + 1))] {
            #expect(throws: AnalyzerError.self) {
                try buffer.append(term: Array("b".utf8), position: position, byteRange: range, kind: .word)
            }
        }
        #expect(buffer.tokens == [word("a", Self.max, 0..<Int(Int32.max))])
    }
}
