import Foundation
import Testing
@testable import SouAnalysis

/// One row of an analyzer table: input, configuration, and every attribute of every token
/// expected (Lucene's assertAnalyzesTo: terms, positions, byte ranges, kinds).
struct AnalysisCase: Sendable, CustomTestStringConvertible {
    var input: [UInt8]
    var tokens: [Token]
    var configuration = AnalyzerConfiguration()
    var invalidSequences = 0
    var label: String

    init(_ text: String, _ tokens: [Token], configuration: AnalyzerConfiguration = AnalyzerConfiguration()) {
        self.input = Array(text.utf8)
        self.tokens = tokens
        self.configuration = configuration
        self.label = text
    }

    init(bytes: [UInt8], _ tokens: [Token], invalidSequences: Int) {
        self.input = bytes
        self.tokens = tokens
        self.invalidSequences = invalidSequences
        self.label = bytes.map { String($0, radix: 16) }.joined(separator: " ")
    }

    var testDescription: String {
        label.unicodeScalars.map { $0.value < 0x20 ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined()
    }
}

func bigram(_ term: String, _ position: Int, _ range: Range<Int>) -> Token {
    Token(term: term, position: position, byteRange: range, kind: .bigram)
}
func unigram(_ term: String, _ position: Int, _ range: Range<Int>) -> Token {
    Token(term: term, position: position, byteRange: range, kind: .unigram)
}
func word(_ term: String, _ position: Int, _ range: Range<Int>) -> Token {
    Token(term: term, position: position, byteRange: range, kind: .word)
}
func number(_ term: String, _ position: Int, _ range: Range<Int>) -> Token {
    Token(term: term, position: position, byteRange: range, kind: .number)
}

/// Runs the analyzer on a row and returns tokens and summary.
func analyze(_ input: [UInt8], configuration: AnalyzerConfiguration = AnalyzerConfiguration(),
             firstPosition: Int = 0) throws -> ([Token], AnalysisSummary) {
    let analyzer = try Analyzer(configuration: configuration)
    var buffer = TokenBuffer()
    let summary = try input.withUnsafeBufferPointer { try analyzer.analyze(utf8: $0, into: &buffer, firstPosition: firstPosition) }
    return (buffer.tokens, summary)
}

/// Checks a row token by token, so that a failure names the attribute that differs.
func expectAnalyzes(_ row: AnalysisCase, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let (tokens, summary) = try analyze(row.input, configuration: row.configuration)
    #expect(tokens.map(\.term) == row.tokens.map(\.term), "terms", sourceLocation: sourceLocation)
    #expect(tokens.map(\.position) == row.tokens.map(\.position), "positions", sourceLocation: sourceLocation)
    #expect(tokens.map(\.byteRange) == row.tokens.map(\.byteRange), "byte ranges", sourceLocation: sourceLocation)
    #expect(tokens.map(\.kind) == row.tokens.map(\.kind), "kinds", sourceLocation: sourceLocation)
    #expect(summary.tokenCount == row.tokens.count, "token count", sourceLocation: sourceLocation)
    #expect(summary.invalidSequences == row.invalidSequences, "invalid sequences", sourceLocation: sourceLocation)
}

/// The bytes of a test fixture.
func fixture(_ name: String) throws -> [UInt8] {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil))
    return [UInt8](try Data(contentsOf: url))
}
