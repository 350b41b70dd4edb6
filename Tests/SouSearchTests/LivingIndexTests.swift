import Foundation
import SouTestSupport
import Testing
@testable import SouIndexing
@testable import SouSearch
import SouAnalysis

/// The index as a living thing: documents added, replaced and deleted by key through
/// ``IndexWriter``, commits, merges, crashes; readers of any commit. The oracle is a fresh build
/// of the same live documents (and, for plain phrases, substring search).
@Suite("Living index: updates, commits, merges and crashes")
struct LivingIndexTests {
    static let queries = ["人", "之", "不", "天 OR 地", "不 -人", "中国", "我们", "时候", "一个 人", "\"的 人\"",
                          "论语", "主机", "生活", "知道", "子曰", "linux", "tao"]

    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sou-living-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func texts() throws -> [String] {
        try TestCorpus.fixture("fortunes-zh").documents.map(\.text)
    }

    /// Searches `reader` and a fresh build of `live` for every query: same totals, same keys in the
    /// same order, scores equal within 1e-9 (relative).
    static func expectEqualToFreshBuild(_ reader: IndexReader, _ live: [String: String], _ context: String) throws {
        #expect(reader.documentCount == live.count, "\(context): live documents")
        let writer = try SegmentWriter()
        for key in live.keys.sorted() { try writer.addDocument(key: key, title: "", text: live[key]!) }
        let fresh = try IndexReader(segment: writer.makeIndex())
        #expect(reader.totalDocumentLength == fresh.totalDocumentLength, "\(context): total length")
        let options = SearchOptions(limit: Int.max, snippets: SnippetOptions(isEnabled: false))
        for q in queries {
            let got = try reader.search(q, options: options)
            let want = try fresh.search(q, options: options)
            #expect(got.total == want.total, "\(context) \(q): total \(got.total) vs \(want.total)")
            #expect(got.hits.map(\.key) == want.hits.map(\.key), "\(context) \(q): order")
            for (a, b) in zip(got.hits, want.hits) where a.key == b.key {
                #expect(abs(a.score - b.score) <= 1e-9 * max(1, abs(b.score)), "\(context) \(q) \(a.key): \(a.score) vs \(b.score)")
            }
            // a few best over segments and deletions (documents that cannot enter them are only
            // checked for one occurrence): the fresh build's first ones, scores and counts
            let few = try reader.search(q, options: SearchOptions(limit: 3, snippets: SnippetOptions(isEnabled: false)))
            #expect(few.total == want.total, "\(context) \(q): total of the best 3")
            #expect(few.hits.map(\.key) == want.hits.prefix(3).map(\.key), "\(context) \(q): best 3")
            #expect(few.hits.map(\.matches) == want.hits.prefix(3).map(\.matches), "\(context) \(q): occurrences of the best 3")
            // plain CJK phrases: the substring oracle too
            if q.unicodeScalars.allSatisfy({ $0.value >= 0x4E00 && $0.value <= 0x9FFF }) {
                let expected = Set(live.filter { $0.value.replacingOccurrences(of: "\n", with: "").contains(q) }.keys)
                #expect(Set(got.hits.map(\.key)) == expected, "\(context) \(q): substring oracle")
            }
        }
    }

    @Test("add, replace, delete and commit: a reader sees exactly the committed documents, and reopen() sees newer commits")
    func basicUpdates() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("x.sou").path
        let writer = try IndexWriter(path: path)
        try writer.add(key: "a", text: "职工代表参加集体协商会议")
        try writer.add(key: "b", text: "工资集体协商")
        try writer.commit()
        let first = try IndexReader(path: path)
        #expect(first.documentCount == 2)
        #expect(try first.search("集体协商").total == 2)

        try writer.replace(key: "a", text: "今天没有会议")
        #expect(try writer.delete(key: "b"))
        #expect(try writer.delete(key: "missing") == false)
        try writer.add(key: "c", text: "集体协商")
        // not committed yet: a new reader still sees the first commit
        #expect(try IndexReader(path: path).documentCount == 2)
        try writer.commit()
        #expect(first.documentCount == 2, "an open reader keeps its snapshot")
        #expect(try first.search("集体协商").total == 2)
        let second = try first.reopen()
        #expect(second !== first)
        #expect(second.documentCount == 2)
        #expect(try second.search("集体协商").hits.map(\.key) == ["c"])
        #expect(try second.search("会议").hits.map(\.key) == ["a"])
        #expect(try second.reopen() === second)
        try Self.expectEqualToFreshBuild(second, ["a": "今天没有会议", "c": "集体协商"], "after updates")
        _ = try second.verify()
    }

    @Test("documents replaced or deleted while still in the buffer are not written: the segment is that of the live documents alone")
    func bufferedReplacementsAreDropped() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        func segmentBytes(_ reader: IndexReader) -> [Data] {
            reader.segments.map { Data(bytes: $0.reader.bytes.base, count: $0.reader.bytes.count) }
        }
        let fresh = folder.appendingPathComponent("fresh.sou").path
        let live = try IndexWriter(path: fresh, mode: .rebuild)
        try live.add(key: "b", text: "工资集体协商")
        try live.add(key: "a", text: "今天没有会议")
        try live.commit()

        for mode in [IndexWriterMode.rebuild, .openOrCreate] {
            let path = folder.appendingPathComponent("x-\(mode).sou").path
            let writer = try IndexWriter(path: path, mode: mode)
            try writer.add(key: "a", text: "职工代表参加集体协商会议")
            try writer.add(key: "c", text: "集体协商")
            try writer.add(key: "b", text: "工资集体协商")
            try writer.replace(key: "a", text: "今天没有会议")
            #expect(try writer.delete(key: "c"))
            try writer.commit()
            let reader = try IndexReader(path: path)
            #expect(reader.maxDocument == 2 && reader.deletedCount == 0, "\(mode): \(reader.maxDocument) documents, \(reader.deletedCount) deleted")
            #expect(segmentBytes(reader) == segmentBytes(try IndexReader(path: fresh)), "\(mode)")
            try Self.expectEqualToFreshBuild(reader, ["a": "今天没有会议", "b": "工资集体协商"], "\(mode)")
            _ = try reader.verify()

            // every buffered document deleted: no segment at all
            try writer.add(key: "d", text: "临时")
            #expect(try writer.delete(key: "d"))
            try writer.commit()
            #expect(try IndexReader(path: path).segments.count == 1, "\(mode)")
        }
    }

    struct ProducerError: Error {}

    @Test("addDocuments whose producer throws keeps the documents added before, and the writer usable, on one job or several",
          arguments: [1, 2, 4])
    func producerThrows(jobs: Int) throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("x.sou").path
        let texts = try Self.texts()
        var options = IndexWriterOptions()
        options.jobs = jobs
        let writer = try IndexWriter(path: path, options: options)
        try writer.add(key: "before", text: texts[0])
        try writer.commit()
        try writer.delete(key: "before")
        var live: [String: String] = [:]
        // several full batches and a partial one before the error
        #expect(throws: ProducerError.self) {
            try writer.addDocuments { add in
                for i in 1..<600 {
                    try add(SourceDocument(key: "k\(i)", title: "", text: texts[i % texts.count], source: 0))
                    live["k\(i)"] = texts[i % texts.count]
                }
                throw ProducerError()
            }
        }
        try writer.add(key: "after", text: texts[1])
        live["after"] = texts[1]
        #expect(try writer.commit())
        try Self.expectEqualToFreshBuild(try IndexReader(path: path), live, "jobs \(jobs)")
    }

    @Test("document look-ups out of range throw (also in an index of no segment), stored text is nil; none traps")
    func lookUpsOutOfRange() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("x.sou").path
        let writer = try IndexWriter(path: path)
        let empty = try IndexReader(path: path)
        #expect(empty.segments.isEmpty && empty.maxDocument == 0)
        try writer.add(key: "a", text: "集体协商")
        try writer.commit()
        try writer.add(key: "b", text: "工资")
        try writer.commit()
        let two = try IndexReader(path: path)
        #expect(two.segments.count == 2)
        for reader in [empty, two] {
            for d in [-1, reader.maxDocument, Int.max, Int.min] {
                #expect(throws: IndexError.self) { try reader.documentKey(d) }
                #expect(throws: IndexError.self) { try reader.documentTitle(d) }
                #expect(throws: IndexError.self) { try reader.documentLength(d) }
                #expect(throws: IndexError.self) { try reader.precedes(d, d) }
                #expect(try reader.storedText(d) == nil)
                #expect(try reader.storedTextBytes(d) == nil)
                #expect(reader.isDeleted(d))
            }
        }
        #expect(try two.documentKey(1) == "b" && two.storedText(1) == "工资")
        #expect(try two.precedes(0, 1))
    }

    @Test("an index's base segment has dictionary blocks of 32 terms and no term filter, segments updates add beside it blocks of 8 and a term filter; a merge that takes in the base, or leaves one segment, writes a base")
    func dictionaryBlocksByRole() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let texts = Array(try Self.texts().prefix(60))
        // 32: the base layout (no filter); 8: an update's (with a filter); anything else is wrong
        func blocks(_ path: String) throws -> [Int] {
            try IndexReader(path: path).segments.map { s in
                switch s.reader.dictionaryLayout {
                case .base: 32
                case .update: 8
                default: -s.reader.termsPerBlock
                }
            }
        }
        var options = IndexWriterOptions()
        options.mergeFactor = 100   // no policy merge: one segment per commit
        // a build: its segment is the base, also when more commits follow in the same session
        let built = folder.appendingPathComponent("built.sou").path
        do {   // (each writer goes, with its lock, at the end of its scope)
            let builder = try IndexWriter(path: built, mode: .rebuild, options: options)
            for (i, t) in texts[0..<20].enumerated() { try builder.add(key: "a\(i)", text: t) }
            try builder.commit()
            try builder.add(key: "b", text: texts[20])
            try builder.commit()
        }
        #expect(try blocks(built) == [32, 32])
        // updates add segments beside the base: blocks of 8
        for round in 0..<3 {
            do {
                let writer = try IndexWriter(path: built, options: options)
                for (i, t) in texts[(21 + 10 * round)..<(31 + 10 * round)].enumerated() { try writer.add(key: "u\(round)-\(i)", text: t) }
                try writer.commit()
            }
        }
        #expect(try blocks(built) == [32, 32, 8, 8, 8])
        // the first segment of an empty index opened for updates is its base
        let grown = folder.appendingPathComponent("grown.sou").path
        do {
            let first = try IndexWriter(path: grown, options: options)
            try first.add(key: "x", text: texts[0])
            try first.commit()
            try first.add(key: "y", text: texts[1])
            try first.commit()
        }
        #expect(try blocks(grown) == [32, 8])
        // merges: of update segments only, 8; into one segment (taking in the base), 32
        let writer = try IndexWriter(path: built, options: options)
        try writer.merge(maxSegments: 3)
        try writer.commit()
        let afterPartial = try blocks(built)
        #expect(afterPartial.count <= 3 && afterPartial.filter { $0 == 32 }.count >= 1, "\(afterPartial)")
        try writer.merge(maxSegments: 1)
        try writer.commit()
        #expect(try blocks(built) == [32])
        // and every layout answers as a fresh build of the same documents
        var live: [String: String] = [:]
        for (i, t) in texts[0..<20].enumerated() { live["a\(i)"] = t }
        live["b"] = texts[20]
        for round in 0..<3 { for (i, t) in texts[(21 + 10 * round)..<(31 + 10 * round)].enumerated() { live["u\(round)-\(i)"] = t } }
        try Self.expectEqualToFreshBuild(try IndexReader(path: built), live, "merged")
        _ = try IndexReader(path: built).verify()
    }

    @Test("random adds, replacements, deletions, commits, merges, reopens and crashes equal a fresh build of the live documents",
          arguments: [1, 2, 3, 4] as [UInt64])
    func modelBased(seed: UInt64) throws {
        // scripts/living-index-stress.sh runs more seeds and steps through these variables
        let environment = ProcessInfo.processInfo.environment
        let steps = environment["SOU_MODEL_STEPS"].flatMap(Int.init) ?? 150
        let extraSeeds = environment["SOU_MODEL_SEEDS"].flatMap(UInt64.init) ?? 0
        try Self.runModel(seed: seed, steps: steps)
        for k in 0..<extraSeeds { try Self.runModel(seed: 1000 + seed * 100 + k, steps: steps) }
    }

    /// The randomized model test (`steps` operations). Also run with more steps from
    /// `scripts/living-index-stress.sh` through `SOU_MODEL_STEPS`.
    static func runModel(seed: UInt64, steps: Int) throws {
        let texts = try Self.texts()
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("m.sou").path
        var rng = SplitMix64(seed: seed)
        var options = IndexWriterOptions()
        options.memoryBudget = 48 << 10       // flush often: many segments
        options.mergeFactor = 3
        var committed: [String: String] = [:]
        var model: [String: String] = [:]
        var writer: IndexWriter? = try IndexWriter(path: path, options: options)
        var reader = try IndexReader(path: path)
        var nextKey = 0
        var commits = 0
        for step in 0..<steps {
            let context = "seed \(seed) step \(step)"
            let roll = Int(rng.next() % 100)
            switch roll {
            case 0..<40:   // add a new document
                let key = "k\(nextKey)"; nextKey += 1
                let text = texts[Int(rng.next() % UInt64(texts.count))]
                try writer!.add(key: key, text: text)
                model[key] = text
            case 40..<55:  // replace an existing one
                guard let key = model.keys.sorted().randomElement(using: &rng) else { continue }
                let text = texts[Int(rng.next() % UInt64(texts.count))]
                try writer!.replace(key: key, text: text)
                model[key] = text
            case 55..<68:  // delete one (sometimes a key that does not exist)
                if rng.next() % 5 == 0 {
                    #expect(try writer!.delete(key: "absent\(step)") == false, "\(context)")
                } else if let key = model.keys.sorted().randomElement(using: &rng) {
                    #expect(try writer!.delete(key: key), "\(context): delete \(key)")
                    model[key] = nil
                }
            case 68..<82:  // commit and check
                try writer!.commit()
                committed = model
                commits += 1
                reader = try reader.reopen()
                try Self.expectEqualToFreshBuild(reader, committed, context)
            case 82..<87:  // merge
                try writer!.merge(maxSegments: 1 + Int(rng.next() % 3))
                committed = model
                reader = try reader.reopen()
                #expect(reader.segments.count <= 3, "\(context)")
                try Self.expectEqualToFreshBuild(reader, committed, context + " (merged)")
            case 87..<93:  // a reader opened earlier still answers from its commit
                let old = reader
                try Self.expectEqualToFreshBuild(old, committed, context + " (old reader)")
            default:       // crash: the file is cut anywhere after the last commit; uncommitted work is lost
                let before = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
                try writer!.commit()
                let after = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
                writer = nil      // the lock goes with the process
                let keepsNew: Bool
                // a commit that rewrote the file (dead bytes over the allowance) wrote a new file
                // and renamed it over the old one: power loss leaves the one or the other, whole
                let appended = after.count >= before.count && after[64..<before.count].elementsEqual(before[64...])
                if !appended {
                    keepsNew = rng.next() % 2 == 0
                    if !keepsNew { try Data(before).write(to: URL(fileURLWithPath: path)) }
                } else if after.count > before.count, rng.next() % 2 == 0 {
                    // power loss during the commit: keep the committed prefix and part of the new tail
                    let cut = before.count + Int(rng.next() % UInt64(after.count - before.count))
                    var damaged = Array(after[0..<cut])
                    // the header slot may or may not have reached the disk
                    if rng.next() % 2 == 0 { damaged.replaceSubrange(0..<64, with: before[0..<64]) }
                    try Data(damaged).write(to: URL(fileURLWithPath: path))
                    keepsNew = false
                } else {
                    keepsNew = true
                }
                if keepsNew { committed = model } else { model = committed }
                let opened = try IndexReader(path: path)
                _ = try opened.verify()
                try Self.expectEqualToFreshBuild(opened, committed, context + " (after crash)")
                writer = try IndexWriter(path: path, options: options)   // cleans the torn tail
                reader = try IndexReader(path: path)
            }
        }
        try writer!.commit()
        reader = try reader.reopen()
        try Self.expectEqualToFreshBuild(reader, model, "seed \(seed) end")
        _ = try reader.verify()
        #expect(commits > 0)
        // bounded growth: at most ~2× a fresh build of the live documents
        try writer!.commit()
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
        let freshPath = folder.appendingPathComponent("fresh.sou").path
        let fresh = try IndexWriter(path: freshPath, mode: .rebuild)
        for key in model.keys.sorted() { try fresh.add(key: key, text: model[key]!) }
        try fresh.commit()
        let freshSize = try FileManager.default.attributesOfItem(atPath: freshPath)[.size] as? Int ?? 1
        #expect(size <= 2 * freshSize + 64 << 10, "seed \(seed): file \(size) bytes, fresh build \(freshSize)")
    }

    @Test("truncating the file at any byte after the previous commit opens at that commit")
    func truncationAfterCommit() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("t.sou").path
        let texts = try Self.texts()
        let writer = try IndexWriter(path: path)
        for i in 0..<20 { try writer.add(key: "a\(i)", text: texts[i]) }
        try writer.commit()
        let before = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        for i in 0..<10 { try writer.add(key: "b\(i)", text: texts[20 + i]) }
        try writer.delete(key: "a3")
        try writer.commit()
        let after = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(after.count > before.count)
        let cutPath = folder.appendingPathComponent("cut.sou").path
        var checked = 0
        for cut in stride(from: before.count, to: after.count, by: max(1, (after.count - before.count) / 97)) {
            for header in [after[0..<64], before[0..<64]] {
                var damaged = Array(after[0..<cut])
                damaged.replaceSubrange(0..<64, with: header)
                try Data(damaged).write(to: URL(fileURLWithPath: cutPath))
                let r = try IndexReader(path: cutPath)
                #expect(r.documentCount == 20, "cut at \(cut)")
                #expect(try r.search("a").total >= 0)
                checked += 1
            }
            // and the next writer cleans the tail and goes on from there
            let w = try IndexWriter(path: cutPath)
            try w.add(key: "new", text: "集体协商")
            try w.commit()
            #expect(try IndexReader(path: cutPath).documentCount == 21)
        }
        #expect(checked > 100)
    }

    @Test("a term's dictionary entry belongs to its segment: another segment refuses it")
    func foreignTermInfo() throws {
        let a = try SegmentWriter(), b = try SegmentWriter()
        try a.addDocument(key: "a", text: "集体协商 工资")
        try b.addDocument(key: "b", text: "工资 集体协商")
        let sa = try a.makeIndex(), sb = try b.makeIndex()
        let info = try #require(try sa.termInfo("工资"))
        var own = try sa.postings(info)
        #expect(try own.next() == 0)
        #expect {
            _ = try sb.postings(info)
        } throws: { error in
            guard case IndexError.foreignTerm = error else { return false }
            return true
        }
    }

    @Test("a cursor reset to another segment's entry reads it as a fresh cursor does; a foreign entry is refused")
    func cursorResetAcrossSegments() throws {
        // segment a: the term in 300 documents, some several times (skip entries, gap blocks);
        // segment b: in 3 documents, then in one (a singleton)
        let a = try SegmentWriter(), b = try SegmentWriter()
        for i in 0..<300 {
            try a.addDocument(key: "a\(i)", text: String(repeating: "工资 集体协商 ", count: 1 + i % 7) + "其他\(i)")
        }
        try b.addDocument(key: "b0", text: "集体协商 工资 工资")
        try b.addDocument(key: "b1", text: "无关")
        try b.addDocument(key: "b2", text: "工资")
        try b.addDocument(key: "b3", text: "工资 集体协商 协商 工资")
        let sa = try a.makeIndex(), sb = try b.makeIndex()
        func walk(_ cursor: inout PostingsCursor) throws -> [[Int]] {
            var out: [[Int]] = []
            while let d = try cursor.next() { out.append([d] + (try cursor.positions())) }
            return out
        }
        var cursor = try sa.postings(try #require(try sa.termInfo("工资")))
        _ = try cursor.advance(to: 200)   // part-way through segment a's blocks
        var expected: [[Int]] = []
        for (segment, term) in [(sb, "工资"), (sa, "工资"), (sb, "无关"), (sa, "集体"), (sb, "协商"), (sa, "其他")] {
            let info = try #require(try segment.termInfo(term))
            try cursor.reset(to: info, in: segment)
            var fresh = try segment.postings(info)
            expected = try walk(&fresh)
            #expect(!expected.isEmpty)
            #expect(try walk(&cursor) == expected, "\(term)")
            #expect(cursor.documentFrequency == info.documentFrequency)
        }
        #expect {
            try cursor.reset(to: try #require(try sa.termInfo("工资")), in: sb)
        } throws: { error in
            guard case IndexError.foreignTerm = error else { return false }
            return true
        }
    }

    @Test("a writer that would wait for a lock its own thread holds is refused at once instead of waiting forever; on another thread it waits")
    func waitOnOwnThreadIsRefused() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("w.sou").path
        var waiting = IndexWriterOptions()
        waiting.waitsForLock = true
        do {
            let first = try IndexWriter(path: path)
            #expect {
                _ = try IndexWriter(path: path, options: waiting)
            } throws: { error in
                guard case IndexError.locked(let message) = error else { return false }
                return message.contains("this thread") && message.contains("never end")
            }
            // the refusal left the first writer as it was
            try first.add(key: "a", text: "集体协商")
            #expect(try first.commit())
        }
        // dropped, the first writer let go: the same thread now gets the lock
        let second = try IndexWriter(path: path, options: waiting)
        try second.add(key: "b", text: "工资")
        #expect(try second.commit())
        #expect(try IndexReader(path: path).documentCount == 2)
    }

    @Test("a second writer on the same file gets a clear locked error; it may wait instead")
    func oneWriterAtATime() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("l.sou").path
        let first = try IndexWriter(path: path)
        #expect {
            _ = try IndexWriter(path: path)
        } throws: { error in
            guard case IndexError.locked(let message) = error else { return false }
            // (the library's option named, not only the command line's)
            return message.contains("being written by") && message.contains("this process") && message.contains("waitsForLock")
        }
        // a merge into fewer than one segment names the library's parameter
        #expect {
            try first.merge(maxSegments: 0)
        } throws: { error in
            "\(error)".contains("maxSegments must be at least 1 (got 0)") && !"\(error)".contains("--")
        }
        // a waiting writer gets the file once the first is gone (and sees its commit)
        try first.add(key: "a", text: "集体协商")
        try first.commit()
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var seen = -1
        var waitOptions = IndexWriterOptions()
        waitOptions.waitsForLock = true
        let options = waitOptions
        let waiter = Thread {
            if let w = try? IndexWriter(path: path, options: options) {
                seen = w.documentCount
            }
            done.signal()
        }
        waiter.start()
        Thread.sleep(forTimeInterval: 0.2)
        withExtendedLifetime(first) {}
        _ = consume first
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(seen == 1)
    }

    @Test("a writer that goes releases its lock at once, also while another copy of its descriptor lives (a child forked by another thread, before its exec)")
    func lockGoesWithTheWriter() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for mode in [IndexWriterMode.rebuild, .openOrCreate] {
            let path = folder.appendingPathComponent("g-\(mode).sou").path
            var copy: Int32 = -1
            do {
                let writer = try IndexWriter(path: path, mode: mode)
                try writer.add(key: "a", text: "集体协商")
                try writer.commit()
                // what fork gives a child: the same open file description, and so its lock
                copy = dup(writer.fd)
                #expect(copy >= 0)
            }
            defer { close(copy) }
            let next = try IndexWriter(path: path)
            #expect(next.documentCount == 1, "\(mode)")
        }
    }

    @Test("searches on other threads while a writer commits and merges always answer from a complete commit")
    func concurrentReaders() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("c.sou").path
        var options = IndexWriterOptions()
        options.memoryBudget = 64 << 10
        options.mergeFactor = 3
        let writer = try IndexWriter(path: path, options: options)
        let texts = try Self.texts()
        // every commit holds documents 0..<n, each containing the marker 集体协商 once
        try writer.add(key: "0", text: "集体协商 " + texts[0])
        try writer.commit()
        let stop = ManagedAtomicFlag()
        let failures = ManagedCounter()
        let searches = ManagedCounter()
        let threads = (0..<2).map { _ in
            Thread {
                var reader = try? IndexReader(path: path)
                while !stop.isSet {
                    do {
                        reader = try reader?.reopen() ?? IndexReader(path: path)
                        let r = try reader!.search("集体协商", options: SearchOptions(limit: 0))
                        if r.total != reader!.documentCount { failures.increment() }
                        searches.increment()
                    } catch {
                        failures.increment()
                    }
                }
            }
        }
        threads.forEach { $0.start() }
        for n in 1..<60 {
            try writer.add(key: "\(n)", text: "集体协商 " + texts[n % texts.count])
            if n % 3 == 0 { try writer.commit() }
            if n % 20 == 0 { try writer.merge(maxSegments: 1) }
        }
        try writer.commit()
        Thread.sleep(forTimeInterval: 0.2)
        stop.set()
        Thread.sleep(forTimeInterval: 0.2)
        #expect(failures.value == 0)
        #expect(searches.value > 10)
    }
}

/// A flag and a counter shared between test threads.
final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return flag }
    func set() { lock.lock(); flag = true; lock.unlock() }
}

final class ManagedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
    func increment() { lock.lock(); count += 1; lock.unlock() }
}
