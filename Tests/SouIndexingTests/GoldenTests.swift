import Foundation
import SouAnalysis
import Testing
@testable import SouIndexing

/// The committed golden index (Golden/golden.sou, built from Golden/corpus.jsonl by
/// scripts/index-golden.sh). A format change must be deliberate: bump the format version,
/// update FORMAT.md, regenerate.
@Suite("Golden index")
struct GoldenTests {
    static func url(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: "Golden/\(name)", withExtension: nil)
            ?? Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Golden"))
    }

    /// term → [(document, positions)], as the design says the corpus must be indexed
    /// (title + "\n" + body; soft line breaks join CJK runs; run-end unigrams).
    static let expected: [(String, TokenKind, [(Int, [Int])])] = [
        ("2024", .number, [(1, [4])]),
        ("abc", .word, [(0, [10]), (1, [5, 6])]),
        ("swift", .word, [(2, [4])]),
        ("会", .unigram, [(2, [1])]),
        ("会会", .bigram, [(2, [0])]),
        ("体", .unigram, [(2, [3])]),
        ("体协", .bigram, [(0, [1, 5])]),
        ("协商", .bigram, [(0, [2, 6]), (1, [2])]),
        ("商", .unigram, [(0, [7]), (1, [3])]),
        ("商集", .bigram, [(0, [3])]),
        ("工资", .bigram, [(0, [8]), (1, [0])]),
        ("资", .unigram, [(0, [9]), (1, [1])]),
        ("集体", .bigram, [(0, [0, 4]), (2, [2])]),
    ]

    @Test("the committed golden index opens, verifies and holds exactly the expected terms, postings and positions")
    func content() throws {
        let index = try SouIndex(contentsOf: try Self.url("golden.sou"))
        #expect(index.formatVersion == 3)
        #expect(index.configuration == AnalyzerConfiguration())
        _ = try index.verify()
        #expect(index.documentCount == 3)
        #expect((0..<3).map(index.documentKey) == ["a", "b", "c"])
        #expect((0..<3).map(index.documentTitle) == ["集体协商", "", "会"])
        #expect(try (0..<3).map { try index.storedText($0) } == ["集体协商\n集体协商 工资 abc", "\n工资 协商 2024 abc abc", "会\n会 集体 swift"])
        #expect((0..<3).map(index.documentLength) == [9, 5, 3])
        let terms = try index.terms(withPrefix: "")
        #expect(terms.map(\.term) == Self.expected.map(\.0))
        for (term, kind, postings) in Self.expected {
            let info = try #require(try index.termInfo(term))
            #expect(info.kind == kind, "\(term)")
            let got = try readPostings(index, info)
            #expect(got.map(\.doc) == postings.map(\.0), "\(term)")
            #expect(got.map(\.positions) == postings.map(\.1), "\(term)")
        }
        #expect(try index.terms(withPrefix: "协").map(\.term) == ["协商"])
    }

    @Test("rebuilding the golden corpus reproduces the golden file byte for byte")
    func reproducible() throws {
        let golden = try [UInt8](Data(contentsOf: try Self.url("golden.sou")))
        var options = IndexBuildOptions()
        options.jobs = 1
        let index = try IndexBuilder(options: options).buildIndex(paths: [try Self.url("corpus.jsonl").path])
        let rebuilt = [UInt8](UnsafeRawBufferPointer(start: index.bytes.base, count: index.bytes.count))
        #expect(rebuilt == golden, "the file format changed: bump the format version, update FORMAT.md, run scripts/index-golden.sh")
    }
}
