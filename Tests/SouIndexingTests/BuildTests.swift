import Foundation
import SouTestSupport
import Testing
@testable import SouIndexing

@Suite("Building with IndexBuilder")
struct BuildTests {
    /// A JSON Lines corpus of many 16 KiB batches.
    static func corpus(in folder: URL) throws -> String {
        var rng = SplitMix64(seed: 2024)
        var lines = ""
        for i in 0..<900 {
            let body = randomText(&rng, length: Int(rng.next() % 500))
                .replacingOccurrences(of: "\n", with: "\\n")
            lines += "{\"id\":\"d\(i)\",\"title\":\"第\(i)篇\",\"body\":\"\(body)\"}\n"
        }
        let path = folder.appendingPathComponent("c.jsonl").path
        try write(lines, to: path)
        return path
    }

    @Test("the file is byte-identical whatever the number of jobs")
    func jobsDeterminism() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = try Self.corpus(in: folder)
        var files: [[UInt8]] = []
        for jobs in [1, 2, 3, 8] {
            var options = IndexBuildOptions()
            options.jobs = jobs
            let out = folder.appendingPathComponent("j\(jobs).sou")
            let summary = try IndexBuilder(options: options).build(paths: [input], to: out)
            #expect(summary.documents == 900)
            files.append(try [UInt8](Data(contentsOf: out)))
        }
        #expect(files[0].count > 4 * 65536 / 3)   // several batches
        // several waves of chunks encoded in parallel when serializing
        let segment = try IndexReader(bytes: files[0]).segments[0].reader
        #expect(segment.termCount > 2 * 8 * IndexSerializer.chunkTerms)
        for f in files.dropFirst() { #expect(f == files[0]) }
        // and the same as adding the documents one by one
        let writer = try SegmentWriter()
        let (docs, _) = try readAll([input])
        for d in docs { try writer.addDocument(key: d.key, title: d.title, text: d.text, source: 1) }   // the one input file
        #expect(try writer.serialize().bytes == Array(UnsafeRawBufferPointer(start: segment.bytes.base, count: segment.bytes.count)))
        _ = try IndexReader(bytes: files[0]).verify()
    }

    @Test("the file is byte-identical whatever the number of jobs when memory budgets cut the build into segments (flushed and merged by the inverting worker)",
          arguments: [1 << 20, 2 << 20])
    func jobsDeterminismAcrossSegments(budget: Int) throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // real text: the bundled fortunes (5,590 documents, 2.2 MB)
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let input = root.appendingPathComponent("corpus/fortunes-zh.jsonl.gz").path
        let count = 5590
        var files: [[UInt8]] = []
        for jobs in [1, 2, 3] {
            var options = IndexBuildOptions()
            options.jobs = jobs
            options.memoryBudget = budget
            let timings = IndexBuildTimings()
            options.timings = timings
            let out = folder.appendingPathComponent("j\(jobs).sou")
            let summary = try IndexBuilder(options: options).build(paths: [input], to: out)
            #expect(summary.documents == count)
            #expect(timings.segmentFlushes > 2)
            files.append(try [UInt8](Data(contentsOf: out)))
            _ = try IndexReader(bytes: files.last!).verify()
        }
        for (i, f) in files.enumerated().dropFirst() { #expect(f == files[0], "jobs \([1, 2, 3][i]) against jobs 1") }
    }

    @Test("a jobs count beyond maxJobs is capped, not an arithmetic overflow")
    func hugeJobs() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try write("集体协商", to: folder.appendingPathComponent("a.txt").path)
        for jobs in [Int.max, 1 << 62, IndexBuildOptions.maxJobs + 1, 0, -5] {
            var options = IndexBuildOptions()
            options.jobs = jobs
            #expect(try IndexBuilder(options: options).buildIndex(paths: [folder.path]).documentCount == 1)
        }
    }

    @Test("a token longer than maxTermBytes is left out and counted; its slot stays empty; the index verifies")
    func overlongTokens() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let limit = SegmentWriter.maxTermBytes
        let longest = String(repeating: "b", count: limit)
        try write("集体 \(longest) 协商 " + String(repeating: "a", count: limit + 1), to: folder.appendingPathComponent("a.txt").path)
        try write("工资 " + String(repeating: "c", count: 2_000_000), to: folder.appendingPathComponent("b.txt").path)
        // neighbours of the long terms in the dictionary
        try write((0..<300).map { "a\($0) b\($0)" }.joined(separator: " "), to: folder.appendingPathComponent("c.txt").path)
        var warnings: [String] = []
        var builder = IndexBuilder()
        builder.warn = { warnings.append($0) }
        let out = folder.appendingPathComponent("x.sou")
        let summary = try builder.build(paths: [folder.path], to: out)
        #expect(summary.skippedTokens == 2)
        #expect(warnings == ["2 tokens longer than 32766 bytes were not indexed (the longest: 2000000 bytes)"])
        let index = try openSingleSegment(out)
        _ = try index.verify()
        #expect(try index.termInfo(longest)?.documentFrequency == 1)   // exactly the limit: indexed
        #expect(try index.termInfo(String(repeating: "a", count: limit + 1)) == nil)
        for term in ["a0", "a299", "b0", "b299", "集体", "协商", "工资"] {
            #expect(try index.termInfo(term)?.documentFrequency == 1, "\(term)")
        }
        // the skipped token still takes its slot, and counts in the document's length
        let slot = try readPostings(index, try #require(try index.termInfo("工资")))
        #expect(slot.map(\.positions) == [[0]])
        #expect(index.documentLength(1) == 2)
    }

    @Test("an empty input writes nothing unless allowsEmptyIndex; allowed, it builds a valid empty index")
    func emptyInput() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("e.sou")
        #expect {
            _ = try IndexBuilder().build(paths: [folder.path], to: out)
        } throws: { error in
            // an empty folder: nothing to index (not an error in the input)
            guard let refusal = error as? OutputRefusal, case .nothingToIndex = refusal.kind else { return false }
            return refusal.path == out.path
        }
        #expect(!FileManager.default.fileExists(atPath: out.path))
        var options = IndexBuildOptions()
        options.allowsEmptyIndex = true
        let summary = try IndexBuilder(options: options).build(paths: [folder.path], to: out)
        #expect(summary.documents == 0)
        let index = try IndexReader(contentsOf: out)
        #expect(index.documentCount == 0)
        _ = try index.verify()
    }

    @Test("a failed build leaves the previous index untouched")
    func failedBuildKeepsOldFile() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("x.sou")
        try writeIndexFile([("old", "", "旧的")], to: out)
        let before = try Data(contentsOf: out)
        #expect(throws: IndexError.self) {
            _ = try IndexBuilder().build(paths: [folder.appendingPathComponent("missing").path], to: out)
        }
        #expect(try Data(contentsOf: out) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["x.sou"])
    }
}
