import Foundation
import SouAnalysis
import SouTestSupport
import Testing
@testable import SouIndexing

/// A document as given to the writer.
struct MergeDocument {
    var key: String
    var title: String
    var text: String
    var source: UInt32
}

/// The bytes of a fresh one-shot build of `documents`, in order.
func freshBuild(_ documents: [MergeDocument], storesText: Bool = true) throws -> [UInt8] {
    let writer = try SegmentWriter(storesText: storesText)
    for d in documents { try writer.addDocument(key: d.key, title: d.title, text: d.text, source: d.source) }
    return try writer.serialize().bytes
}

/// Whether `merged` is `fresh` (a fresh build of the merge's live documents): byte for byte when
/// no document was deleted; else section for section, but for the BigramEnds section, which may
/// list more bigrams (one whose run-ending occurrences were all in deleted documents: harmless,
/// FORMAT.md "BigramEnds") but must list every one the fresh build lists.
func mergeMatches(_ merged: [UInt8], fresh: [UInt8], deletions: Bool, sourceLocation: SourceLocation = #_sourceLocation) throws -> Bool {
    if merged == fresh { return true }
    guard deletions else { return false }
    let m = try SegmentReader(bytes: merged), f = try SegmentReader(bytes: fresh)
    func contents(_ r: SegmentReader) -> [SectionKind: [UInt8]] {
        Dictionary(uniqueKeysWithValues: r.sections.map { ($0.kind, Array(r.bytes.slice($0.range))) })
    }
    var a = contents(m), b = contents(f)
    a[.bigramEnds] = nil
    b[.bigramEnds] = nil
    guard a == b, merged[0..<FileLayout.headerSize] == fresh[0..<FileLayout.headerSize] else { return false }
    func ends(_ r: SegmentReader) throws -> Set<String> {
        var out: Set<String> = []
        try r.bigramEnds.forEach { c, _ in for t in try r.bigramsEnding(with: Unicode.Scalar(c)!) { out.insert(t.term) } }
        return out
    }
    guard try ends(f).isSubset(of: try ends(m)) else { return false }
    // a bigram listed for deleted documents only still ends with its character (verify() checks it)
    _ = try m.verify()
    return true
}

/// The oracle: segments built from consecutive runs of `documents` (cut at `cuts`), merged with
/// the documents `deleted` (global numbers) left out, must be a fresh build of the live documents
/// in the same order (``mergeMatches(_:fresh:deletions:sourceLocation:)``).
func expectMergeMatchesFreshBuild(_ documents: [MergeDocument], cuts: [Int], deleted: Set<Int>, storesText: Bool = true,
                                  sourceLocation: SourceLocation = #_sourceLocation) throws {
    let bounds = [0] + cuts + [documents.count]
    var sources: [SegmentMerger.Source] = []
    for i in 0..<(bounds.count - 1) {
        let range = bounds[i]..<bounds[i + 1]
        let segment = try SegmentReader(bytes: try freshBuild(Array(documents[range]), storesText: storesText))
        let base = range.lowerBound
        sources.append((segment, { deleted.contains(base + $0) }))
    }
    let merged = try SegmentMerger(storesText: storesText).mergedBytes(sources)
    let live = documents.indices.filter { !deleted.contains($0) }.map { documents[$0] }
    let fresh = try freshBuild(live, storesText: storesText)
    let identical = try mergeMatches(merged, fresh: fresh, deletions: !deleted.isEmpty)   // (not inside #expect: it would print every byte)
    #expect(identical, "the merged segment differs from a fresh build of the live documents", sourceLocation: sourceLocation)
    if !identical, let at = (0..<min(merged.count, fresh.count)).first(where: { merged[$0] != fresh[$0] }) {
        let index = try SegmentReader(bytes: fresh)
        let section = index.sections.first { $0.range.contains(at) }.map { "\($0.kind)" } ?? "header/table"
        Issue.record("first difference at byte \(at), in \(section)", sourceLocation: sourceLocation)
    }
    _ = try SegmentReader(bytes: merged).verify()
}

/// Random documents: CJK/Latin text, keys with duplicates, a few sources.
func randomDocuments(_ n: Int, seed: UInt64, maxLength: Int = 400) -> [MergeDocument] {
    var rng = SplitMix64(seed: seed)
    return (0..<n).map { i in
        let text = randomText(&rng, length: Int(rng.next() % UInt64(maxLength)))
        let key = rng.next() % 5 == 0 ? "dup\(rng.next() % 7)" : "doc\(i)"
        return MergeDocument(key: key, title: rng.next() % 3 == 0 ? "" : "标题\(i)", text: text, source: UInt32(rng.next() % 4))
    }
}

/// Documents read from a JSON Lines file of the repository (relative to the package root).
func repositoryDocuments(_ relativePath: String) throws -> [MergeDocument] {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let (docs, _) = try readAll([root.appendingPathComponent(relativePath).path])
    return docs.enumerated().map { MergeDocument(key: $1.key, title: $1.title, text: $1.text, source: UInt32($0 % 3 == 0 ? 0 : 1 + $0 % 5)) }
}

func randomSubset(_ n: Int, fraction: Double, seed: UInt64) -> Set<Int> {
    var rng = SplitMix64(seed: seed)
    return Set((0..<n).filter { _ in Double(rng.next() % 1000) < fraction * 1000 })
}

@Suite("Merging segments")
struct SegmentMergerTests {
    @Test("two segments with random deletions merge into the bytes of a fresh build of the live documents",
          arguments: [(1 as UInt64, true), (2, true), (3, false), (4, true), (5, false)])
    func twoSegments(seed: UInt64, storesText: Bool) throws {
        var rng = SplitMix64(seed: seed &* 77)
        let n = 100 + Int(rng.next() % 300)
        let documents = randomDocuments(n, seed: seed)
        let cut = Int(rng.next() % UInt64(n))
        let deleted = randomSubset(n, fraction: [0.0, 0.1, 0.3, 0.7, 0.95][Int(seed % 5)], seed: seed)
        try expectMergeMatchesFreshBuild(documents, cuts: [cut], deleted: deleted, storesText: storesText)
    }

    @Test("one segment alone (compaction), with and without deletions")
    func compaction() throws {
        let documents = randomDocuments(300, seed: 11)
        try expectMergeMatchesFreshBuild(documents, cuts: [], deleted: [])
        try expectMergeMatchesFreshBuild(documents, cuts: [], deleted: randomSubset(300, fraction: 0.4, seed: 12))
        try expectMergeMatchesFreshBuild(documents, cuts: [], deleted: [0, 299])
    }

    @Test("three or more segments, some of them small or empty")
    func manySegments() throws {
        let documents = randomDocuments(400, seed: 21)
        try expectMergeMatchesFreshBuild(documents, cuts: [130, 131, 250], deleted: randomSubset(400, fraction: 0.2, seed: 22))
        try expectMergeMatchesFreshBuild(documents, cuts: [1, 2, 3, 100, 100, 399], deleted: randomSubset(400, fraction: 0.5, seed: 23))
        try expectMergeMatchesFreshBuild(documents, cuts: [0, 200, 400], deleted: [])
    }

    @Test("every document of a source deleted; every document deleted (a valid empty segment)")
    func wholeSourcesDeleted() throws {
        let documents = randomDocuments(250, seed: 31)
        try expectMergeMatchesFreshBuild(documents, cuts: [100, 180], deleted: Set(100..<180))
        try expectMergeMatchesFreshBuild(documents, cuts: [100], deleted: Set(0..<100).union([150]))
        try expectMergeMatchesFreshBuild(documents, cuts: [100], deleted: Set(0..<250))
        let empty = try SegmentMerger().mergedIndex([(try SegmentReader(bytes: freshBuild(documents)), { _ in true })])
        #expect(empty.documentCount == 0 && empty.termCount == 0)
        _ = try empty.verify()
        #expect(try SegmentMerger().mergedIndex([]).documentCount == 0)
    }

    @Test("long documents: terms in several postings blocks, positions out of line, stored blocks cut inside a source")
    func longDocuments() throws {
        var documents = randomDocuments(600, seed: 41, maxLength: 3000)
        // a term in every document, many times: skip entries and full position blocks
        for i in documents.indices where i % 2 == 0 { documents[i].text += String(repeating: " 集体协商 swift", count: 1 + i % 90) }
        try expectMergeMatchesFreshBuild(documents, cuts: [333], deleted: randomSubset(600, fraction: 0.25, seed: 42))
        try expectMergeMatchesFreshBuild(documents, cuts: [333], deleted: randomSubset(600, fraction: 0.25, seed: 43).filter { $0 >= 333 })
    }

    @Test("real documents (the search fixtures: fortunes-zh, manpages-zh)", arguments: [
        "Tests/SouSearchTests/Fixtures/fortunes-zh.jsonl", "Tests/SouSearchTests/Fixtures/manpages-zh.jsonl",
    ])
    func realDocuments(path: String) throws {
        let documents = try repositoryDocuments(path)
        #expect(documents.count > 20)
        let n = documents.count
        try expectMergeMatchesFreshBuild(documents, cuts: [n / 2], deleted: randomSubset(n, fraction: 0.2, seed: 51))
        try expectMergeMatchesFreshBuild(documents, cuts: [n / 3, 2 * n / 3], deleted: randomSubset(n, fraction: 0.05, seed: 52).filter { $0 > n / 3 })
        try expectMergeMatchesFreshBuild(documents, cuts: [n / 2], deleted: [])
    }

    @Test("the merged bytes are the same for any number of jobs (several waves of chunks)")
    func jobs() throws {
        let documents = randomDocuments(900, seed: 101, maxLength: 500)
        let a = try SegmentReader(bytes: freshBuild(Array(documents[0..<450])))
        let b = try SegmentReader(bytes: freshBuild(Array(documents[450...])))
        let deleted: (Int) -> Bool = { $0 % 7 == 3 }
        var outputs: [[UInt8]] = []
        for jobs in [1, 2, 3] {
            var merger = SegmentMerger()
            merger.jobs = jobs
            outputs.append(try merger.mergedBytes([(a, deleted), (b, { _ in false })]))
        }
        #expect(try SegmentReader(bytes: outputs[0]).termCount > 2 * 2 * 3 * IndexSerializer.chunkTerms)
        for o in outputs.dropFirst() {
            let identical = o == outputs[0]
            #expect(identical)
        }
        let live = (0..<450).filter { !deleted($0) } + Array(450..<900)
        let identical = try mergeMatches(outputs[0], fresh: freshBuild(live.map { documents[$0] }), deletions: true)
        #expect(identical)
    }

    @Test("a merged segment merges again like any other (merge of merges)")
    func mergeOfMerges() throws {
        let documents = randomDocuments(300, seed: 61)
        let deleted = randomSubset(300, fraction: 0.3, seed: 62)
        func segment(_ r: Range<Int>) throws -> SegmentReader { try SegmentReader(bytes: freshBuild(Array(documents[r]))) }
        let ab = try SegmentMerger().mergedIndex([(try segment(0..<100), { deleted.contains($0) }),
                                                  (try segment(100..<200), { deleted.contains(100 + $0) })])
        let liveAB = (0..<200).filter { !deleted.contains($0) }
        let abc = try SegmentMerger().mergedBytes([(ab, { $0 % 10 == 3 }), (try segment(200..<300), { deleted.contains(200 + $0) })])
        let live = liveAB.enumerated().filter { $0.offset % 10 != 3 }.map(\.element) + (200..<300).filter { !deleted.contains($0) }
        let identical = try mergeMatches(abc, fresh: freshBuild(live.map { documents[$0] }), deletions: true)
        #expect(identical)
    }

    @Test("the merged segment keeps keys, titles, sources, lengths and stored text of the live documents")
    func documentTable() throws {
        let documents = randomDocuments(200, seed: 71)
        let a = try SegmentReader(bytes: freshBuild(Array(documents[0..<120])))
        let b = try SegmentReader(bytes: freshBuild(Array(documents[120...])))
        let merged = try SegmentMerger().mergedIndex([(a, { $0 % 2 == 1 }), (b, { $0 < 10 })])
        let live = (0..<120).filter { $0 % 2 == 0 } + (130..<200)
        #expect(merged.documentCount == live.count)
        let expected = try ExpectedIndex(texts: live.map { documents[$0].text })
        for (new, old) in live.enumerated() {
            #expect(try merged.checkedDocumentKey(new) == documents[old].key)
            #expect(try merged.checkedDocumentTitle(new) == documents[old].title)
            #expect(try merged.documentSource(new) == Int(documents[old].source))
            #expect(try merged.checkedDocumentLength(new) == expected.lengths[new])
            #expect(try merged.storedText(new) == documents[old].text)
        }
        for key in ["dup0", "dup3", "doc5", "doc130"] {
            #expect(try merged.documents(withKey: key) == live.indices.filter { documents[live[$0]].key == key })
        }
    }

    @Test("segments of another analyzer configuration, or without stored text, are refused")
    func refusesMismatches() throws {
        let documents = randomDocuments(20, seed: 81)
        let plain = try SegmentReader(bytes: freshBuild(documents, storesText: false))
        #expect(throws: IndexError.self) { _ = try SegmentMerger(storesText: true).mergedBytes([(plain, { _ in false })]) }
        let other = AnalyzerConfiguration(joinsSoftLineBreaks: false, foldsTraditionalToSimplified: true)
        #expect(throws: IndexError.self) {
            _ = try SegmentMerger(configuration: other, storesText: false).mergedBytes([(plain, { _ in false })])
        }
    }

    @Test("damaged sources: refused by their checksums; behind fresh checksums the merge throws or, when the source verifies, writes a segment that verifies; never traps")
    func damagedSources() throws {
        let bytes = try smallIndexBytes()
        let good = try SegmentReader(bytes: bytes)
        var rng = SplitMix64(seed: 123)
        var merged = 0, refused = 0
        for s in good.sections where !s.range.isEmpty {
            for _ in 0..<30 {
                var damaged = bytes
                let at = s.range.lowerBound + Int(rng.next() % UInt64(s.range.count))
                damaged[at] ^= UInt8(1 + rng.next() % 255)
                if let opened = try? SegmentReader(bytes: damaged) {
                    #expect(throws: IndexError.self, "flip at \(at) in \(s.kind)") {
                        _ = try SegmentMerger().mergedBytes([(opened, { _ in false })])
                    }
                }
                guard let opened = try? SegmentReader(bytes: resealed(damaged)) else { continue }
                let sourceVerifies = (try? opened.verify()) != nil
                do {
                    let out = try SegmentMerger().mergedBytes([(good, { $0 % 3 == 0 }), (opened, { $0 % 5 == 1 })])
                    merged += 1
                    if sourceVerifies { _ = try SegmentReader(bytes: out).verify() }
                } catch is IndexError {
                    refused += 1
                    #expect(!sourceVerifies, "a source that verifies was refused (flip at \(at) in \(s.kind))")
                }
            }
        }
        #expect(merged > 0 && refused > 0)
    }
}
