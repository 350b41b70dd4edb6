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
    /// (title + "\n" + body; soft line breaks join CJK runs; a run's last character is found
    /// through the bigram ending the run, which the BigramEnds section lists).
    static let expected: [(String, TokenKind, [(Int, [Int])])] = [
        ("2024", .number, [(1, [4])]),
        ("abc", .word, [(0, [10]), (1, [5, 6])]),
        ("swift", .word, [(2, [4])]),
        ("会会", .bigram, [(2, [0])]),
        ("体协", .bigram, [(0, [1, 5])]),
        ("协商", .bigram, [(0, [2, 6]), (1, [2])]),
        ("商集", .bigram, [(0, [3])]),
        ("工资", .bigram, [(0, [8]), (1, [0])]),
        ("集体", .bigram, [(0, [0, 4]), (2, [2])]),
    ]

    /// Writes the golden index the way FORMAT.md's worked example says: five commits through
    /// ``IndexWriter`` — a build of documents a, b and c of corpus.jsonl (segment 0, the base);
    /// then, by a writer that opens the file, d "删除" and e "集体" (segment 1, an update's layout);
    /// d deleted (a deletion bitmap); a full source table; then, by another writer, a table of
    /// changes to it. Deterministic: fixed sizes and times, no file read.
    static func writeGolden(to url: URL) throws {
        let lines = try String(contentsOf: try Self.url("corpus.jsonl"), encoding: .utf8).split(separator: "\n")
        let documents = try lines.map { line -> (String, String, String) in
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
            return (o["id"]!, o["title"]!, o["title"]! + "\n" + o["body"]!)
        }
        var options = IndexWriterOptions()
        options.jobs = 1
        do {   // a build: its segment is the index's base (the writer and its lock go here)
            let builder = try IndexWriter(path: url.path, mode: .rebuild, options: options)
            for (key, title, text) in documents { try builder.add(key: key, title: title, text: text) }
            try builder.commit()
        }
        do {   // an update: its segment has the update layout (blocks of 8 terms, a term filter)
            let writer = try IndexWriter(path: url.path, options: options)
            try writer.add(key: "d", text: "删除")
            try writer.add(key: "e", text: "集体")
            try writer.commit()
            try writer.delete(key: "d")
            try writer.commit()
            // the source table `sou index` keeps: a full table of three files (fixed sizes and
            // times: nothing is read)
            writer.sources = Self.sources
            try writer.commit()
        }
        // a writer that opens the file records a change of a, the removal of b and a new file as
        // a table of changes to that full table
        let writer = try IndexWriter(path: url.path, options: options)
        var edit = SourceTableEdit(base: try writer.sourcesToEdit(), options: Self.sources.options)
        edit.set(entry: 0, path: "docs/a.txt", file: Self.file(1, size: 44, time: 9))
        edit.remove(entry: 1)
        edit.set(entry: nil, path: "docs/e.txt", file: Self.file(4, size: 6, time: 8))
        edit.nextID = 5
        writer.editSources(edit)
        try writer.commit()
    }

    /// A recorded text file of one document, modified at 2023-11-14T22:13:20Z + `time` ns.
    static func file(_ id: UInt32, size: Int, time: Int64) -> SourceTable.File {
        SourceTable.File(id: id, size: size, modificationTime: 1_700_000_000_000_000_000 + time, isJSONLines: false, documents: 1)
    }

    /// The full source table of commit 4.
    static var sources: SourceTable {
        var table = SourceTable(options: "keys: paths;")
        table.files = ["docs/a.txt": file(1, size: 40, time: 0), "docs/b.txt": file(2, size: 31, time: 0),
                       "docs/c.txt": file(3, size: 25, time: 0)]
        table.nextID = 4
        return table
    }

    @Test("the committed golden index opens, verifies and holds exactly the expected segments, terms, postings and positions")
    func content() throws {
        let reader = try IndexReader(contentsOf: try Self.url("golden.sou"))
        #expect(reader.formatVersion == 8)
        #expect(reader.configuration == AnalyzerConfiguration())
        #expect(reader.generation == 5)
        let report = try reader.verify()
        #expect(report.commits == 5)
        // commit 5's source table: a table of changes to commit 4's full table
        let stored = try #require(try reader.storedSources())
        #expect(stored.delta?.baseCount == 3)
        var sources = Self.sources
        sources.nextID = 5
        sources.apply(updates: [(0, "docs/a.txt", Self.file(1, size: 44, time: 9)), (nil, "docs/e.txt", Self.file(4, size: 6, time: 8))],
                      removed: [1])
        #expect(try reader.sources() == sources)
        #expect(sources.entries.map(\.path) == ["docs/a.txt", "docs/c.txt", "docs/e.txt"])
        #expect(reader.segments.map(\.documentCount) == [3, 2])
        #expect(reader.segments.map(\.reader.dictionaryLayout) == [.base, .update])
        #expect(reader.segments.map(\.deletions.members) == [[], [0]])
        #expect(reader.documentCount == 4)
        let live = [0, 1, 2, 4]
        #expect(try live.map(reader.documentKey) == ["a", "b", "c", "e"])
        #expect(try live.map(reader.documentTitle) == ["集体协商", "", "会", ""])
        #expect(try live.map { try reader.storedText($0) } == ["集体协商\n集体协商 工资 abc", "\n工资 协商 2024 abc abc", "会\n会 集体 swift", "集体"])
        #expect(try live.map(reader.documentLength) == [9, 5, 3, 1])
        #expect(reader.totalDocumentLength == 18)
        #expect(try reader.documents(withKey: "d").isEmpty)
        #expect(try reader.documents(withKey: "e") == [4])
        // every term with live postings, over both segments, in global document numbers
        var postings: [String: (TokenKind, [(Int, [Int])])] = [:]
        for segment in reader.segments {
            for info in try segment.reader.terms(withPrefix: "") {
                for (doc, positions) in try readPostings(segment.reader, info) where !segment.deletions.contains(doc) {
                    postings[info.term, default: (info.kind, [])].1.append((segment.base + doc, positions))
                }
            }
        }
        // segment 0 is the three documents of corpus.jsonl (FORMAT.md walks through its bytes);
        // segment 1 adds e "集体" (集体@0, which ends its run); d "删除" is deleted and appears
        // only in its segment's dictionary (a segment's terms are those of all its documents)
        var expected = Self.expected
        for (i, e) in expected.enumerated() where e.0 == "集体" { expected[i].2.append((4, [0])) }
        // the bigrams ending a run, by their last character: 会会 (c), 集体 (c; in a it goes on
        // with 体协), 协商 (a, b), 工资 (a, b); in segment 1 集体 (e) and 删除 (d, deleted)
        let base = reader.segments[0].reader, update = reader.segments[1].reader
        #expect(try ["会", "体", "商", "资", "协", "集"].map { try base.bigramsEnding(with: $0).map(\.term) }
                == [["会会"], ["集体"], ["协商"], ["工资"], [], []])
        #expect(try ["体", "除", "商"].map { try update.bigramsEnding(with: $0).map(\.term) } == [["集体"], ["删除"], []])
        #expect(postings.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) == expected.map(\.0))
        for (term, kind, want) in expected {
            let got = try #require(postings[term], "\(term)")
            #expect(got.0 == kind, "\(term)")
            #expect(got.1.map(\.0) == want.map(\.0), "\(term)")
            #expect(got.1.map(\.1) == want.map(\.1), "\(term)")
        }
    }

    @Test("rebuilding the golden index reproduces the golden file byte for byte")
    func reproducible() throws {
        let golden = try [UInt8](Data(contentsOf: try Self.url("golden.sou")))
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("golden.sou")
        try Self.writeGolden(to: out)
        let rebuilt = try [UInt8](Data(contentsOf: out))
        if let target = ProcessInfo.processInfo.environment["SOU_WRITE_GOLDEN"] {
            try Data(rebuilt).write(to: URL(fileURLWithPath: target))
        }
        #expect(rebuilt == golden, "the file format changed: bump the format version, update FORMAT.md, run scripts/index-golden.sh")
    }
}
