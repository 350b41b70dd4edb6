import Foundation
import SouAnalysis
import Testing
@testable import SouIndexing

/// `sou index` on an existing index walks the folders on threads of their own while it opens
/// and checks the index (``FileListing``). Whatever the index turns out to be, the walk is over
/// (its thread joined, its folder descriptors closed) when the update returns or throws, and
/// its messages are passed on only when the update used it.
@Suite("Update: the walk beside the index check")
struct UpdateOverlapTests {
    /// A folder of `count` text files and (`danglingLink`) a dangling symbolic link, indexed once.
    static func fixture(count: Int = 300, danglingLink: Bool = true) throws -> (root: URL, docs: String, index: String) {
        let root = try temporaryFolder()
        let docs = root.path + "/docs"
        try FileManager.default.createDirectory(atPath: docs, withIntermediateDirectories: true)
        for i in 0..<count { try "文档\(i) 集体协商".write(toFile: docs + "/f\(i).txt", atomically: false, encoding: .utf8) }
        if danglingLink { #expect(symlink(root.path + "/nowhere", docs + "/gone.txt") == 0) }
        let index = root.path + "/x.sou"
        _ = try IndexBuilder().update(paths: [docs], at: URL(fileURLWithPath: index))
        return (root, docs, index)
    }

    /// The descriptors of this process that lead into `folder` (the index file, a listed folder).
    static func openDescriptors(into folder: String) -> [String] {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return fds.compactMap { fd in
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + fd),
                  target.hasPrefix(folder) else { return nil }
            return target
        }
    }

    /// Runs an update that must throw `expected`'s kind of error, then checks the walk it started.
    func expectEndedWalk(_ f: (root: URL, docs: String, index: String), _ what: String,
                         matches: (IndexError) -> Bool) {
        var builder = IndexBuilder()
        var warnings: [String] = []
        builder.warn = { warnings.append($0) }
        var listings: [FileListing] = []
        builder.listingStarted = { listings.append($0) }
        do {
            _ = try builder.update(paths: [f.docs], at: URL(fileURLWithPath: f.index))
            Issue.record("\(what): the update did not throw")
        } catch let e as IndexError {
            #expect(matches(e), "\(what): \(e)")
        } catch {
            Issue.record("\(what): not an IndexError: \(error)")
        }
        #expect(listings.count == 1 && listings.allSatisfy(\.hasEnded), "\(what): the walk was not joined")
        #expect(warnings.isEmpty, "\(what): the walk's messages were passed on: \(warnings)")
    }

    @Test("a damaged source table throws a corrupt error; the walk started beside it has ended and holds no descriptor")
    func damagedIndex() throws {
        let f = try Self.fixture()
        defer { try? FileManager.default.removeItem(at: f.root) }
        let reader = try IndexReader(path: f.index)
        let offset = reader.commit.sourcesOffset + reader.commit.sourcesLength / 2
        #expect(reader.commit.sourcesLength > 0)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: f.index)))
        bytes[offset] ^= 0x20
        try Data(bytes).write(to: URL(fileURLWithPath: f.index))
        expectEndedWalk(f, "damaged source table") { if case .corrupt = $0 { true } else { false } }
        #expect(Self.openDescriptors(into: f.root.path).isEmpty, "\(Self.openDescriptors(into: f.root.path))")
    }

    @Test("an index locked by another writer throws a locked error; the walk has ended, its warnings dropped")
    func lockedIndex() throws {
        let f = try Self.fixture()
        defer { try? FileManager.default.removeItem(at: f.root) }
        do {
            let holder = try IndexWriter(path: f.index)
            expectEndedWalk(f, "locked index") { if case .locked = $0 { true } else { false } }
            _ = holder
        }
        #expect(Self.openDescriptors(into: f.root.path).isEmpty, "\(Self.openDescriptors(into: f.root.path))")
    }

    @Test("an index of other analyzer options throws a configuration error naming --rebuild; the walk has ended")
    func otherOptions() throws {
        let f = try Self.fixture()
        defer { try? FileManager.default.removeItem(at: f.root) }
        var builder = IndexBuilder()
        builder.options.configuration = AnalyzerConfiguration(joinsSoftLineBreaks: false, foldsTraditionalToSimplified: false)
        var listings: [FileListing] = []
        builder.listingStarted = { listings.append($0) }
        #expect(throws: IndexError.self) { try builder.update(paths: [f.docs], at: URL(fileURLWithPath: f.index)) }
        #expect(listings.count == 1 && listings[0].hasEnded)
        #expect(Self.openDescriptors(into: f.root.path).isEmpty)
    }

    @Test("a walk's warning is passed on once when the update uses it; a missing path is still an error after the index opened")
    func warningsPassedOn() throws {
        let f = try Self.fixture()
        defer { try? FileManager.default.removeItem(at: f.root) }
        var builder = IndexBuilder()
        var warnings: [String] = []
        builder.warn = { warnings.append($0) }
        let summary = try builder.update(paths: [f.docs], at: URL(fileURLWithPath: f.index))
        #expect(summary.unchangedFiles == 300 && summary.added == 0 && summary.deleted == 0, "\(summary)")
        #expect(warnings.filter { $0.contains("gone.txt") && $0.contains("symbolic link to nothing") }.count == 1, "\(warnings)")
        #expect(warnings.count == 1, "\(warnings)")
        do {
            _ = try builder.update(paths: [f.docs, f.root.path + "/absent"], at: URL(fileURLWithPath: f.index))
            Issue.record("a missing path did not throw")
        } catch let e as IndexError {
            #expect("\(e)".contains("absent"), "\(e)")
        }
        #expect(Self.openDescriptors(into: f.root.path).isEmpty)
    }

    @Test("the summary's figures after an update equal those of a reader of the file")
    func summaryFigures() throws {
        let f = try Self.fixture()
        defer { try? FileManager.default.removeItem(at: f.root) }
        try "新的文本 工资".write(toFile: f.docs + "/f7.txt", atomically: false, encoding: .utf8)
        try "另一个 文件".write(toFile: f.docs + "/new.txt", atomically: false, encoding: .utf8)
        #expect(unlink(f.docs + "/f8.txt") == 0)
        for _ in 0..<2 {
            let summary = try IndexBuilder().update(paths: [f.docs], at: URL(fileURLWithPath: f.index))
            let reader = try IndexReader(path: f.index)
            #expect(summary.documents == reader.documentCount && summary.documents == 300)
            #expect(summary.terms == reader.segments.reduce(0) { $0 + $1.reader.termCount })
            #expect(summary.postings == reader.segments.reduce(0) { $0 + $1.reader.postingCount })
            #expect(summary.positions == reader.segments.reduce(0) { $0 + $1.reader.positionCount })
            #expect(summary.terms > 0 && summary.postings > 0)
        }
    }

    @Test("isUpToDate with a listing started before the index opened: true when nothing changed, false after a change; the listing ends")
    func upToDateWithListing() throws {
        let f = try Self.fixture(danglingLink: false)
        defer { try? FileManager.default.removeItem(at: f.root) }
        let builder = IndexBuilder()
        let first = try builder.startListing(paths: [f.docs])
        #expect(try builder.isUpToDate(try IndexReader(path: f.index), listing: first))
        #expect(first.hasEnded)
        var times = [timespec(tv_sec: 1_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, f.docs + "/f299.txt", &times, 0) == 0)
        let second = try builder.startListing(paths: [f.docs])
        #expect(try !builder.isUpToDate(try IndexReader(path: f.index), listing: second))
        #expect(second.hasEnded)
        #expect(try !builder.isUpToDate(try IndexReader(path: f.index), paths: [f.docs, f.docs]))
        // something the walk cannot read (here a dangling link) is never up to date: an update
        // walks again and reports it (a search of the index as it is would not)
        _ = try builder.update(paths: [f.docs], at: URL(fileURLWithPath: f.index))
        #expect(try builder.isUpToDate(try IndexReader(path: f.index), paths: [f.docs]))
        #expect(symlink(f.root.path + "/nowhere", f.docs + "/gone.txt") == 0)
        #expect(try !builder.isUpToDate(try IndexReader(path: f.index), paths: [f.docs]))
    }

    @Test("isUpToDate walking on the calling thread answers as with a listing thread; sourceFileCount is the files the index mirrors")
    func upToDateWalkingHere() throws {
        let f = try Self.fixture(danglingLink: false)
        defer { try? FileManager.default.removeItem(at: f.root) }
        let builder = IndexBuilder()
        let reader = try IndexReader(path: f.index)
        #expect(try reader.sourceFileCount() == 300)
        #expect(try builder.isUpToDate(reader, paths: [f.docs], walkingHere: true))
        let here = try builder.startListing(paths: [f.docs], walkingHere: true)
        #expect(try builder.isUpToDate(reader, listing: here) && here.hasEnded)
        var times = [timespec(tv_sec: 1_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, f.docs + "/f17.txt", &times, 0) == 0)
        #expect(try !builder.isUpToDate(reader, paths: [f.docs], walkingHere: true))
        #expect(try !builder.isUpToDate(reader, paths: [f.docs], walkingHere: false))
        // an index of no files (built in memory from a document given in code) mirrors none
        let writer = try SegmentWriter(storesText: false)
        try writer.addDocument(key: "a", text: "集体协商")
        #expect(try IndexReader(segment: try writer.makeIndex()).sourceFileCount() == 0)
    }

    @Test("a listing ended unused drops its messages; one read passes them on after the files are listed")
    func listingMessages() throws {
        let f = try Self.fixture(count: 3)
        defer { try? FileManager.default.removeItem(at: f.root) }
        var messages: [String] = []
        let source = DocumentSource(options: InputOptions()) { messages.append($0) }
        let unused = FileListing(source: source, paths: [f.docs])
        unused.end()
        #expect(messages.isEmpty && unused.hasEnded)
        // the source's own warn is back: a second listing reports through it
        let used = FileListing(source: source, paths: [f.docs])
        let files = try used.files()
        #expect(files.map(\.path) == ["f0.txt", "f1.txt", "f2.txt"].map { f.docs + "/" + $0 })
        #expect(messages.count == 1 && messages[0].contains("gone.txt"), "\(messages)")
        used.end()   // no-op after files()
        #expect(messages.count == 1)
    }

    @Test("the nothing-changed check on the stored table's bytes: true for the same files; false for any one difference (a path byte, size, time, kind, regular file, live count, a stray, a file more or less)")
    func nothingChangedOnStoredBytes() throws {
        var table = SourceTable(options: "o")
        table.files = [
            "d/a.txt": SourceTable.File(id: 1, size: 10, modificationTime: 100, isJSONLines: false, documents: 1),
            "d/b/文件.txt": SourceTable.File(id: 2, size: 20, modificationTime: -5, isJSONLines: false, documents: 1),
            "d/c.jsonl": SourceTable.File(id: 3, size: 30, modificationTime: 1 << 40, isJSONLines: true, documents: 4),
        ]
        table.nextID = 4
        let bytes = table.encoded()
        let storage = IndexStorage(copying: bytes)
        let stored = try StoredSourceTable(storage: storage, range: 0..<bytes.count)
        #expect(stored.decoded() == table)
        #expect(try SourceTable(bytes: storage.bytes, range: 0..<bytes.count) == table)
        var live = SourceCounts()
        for id: UInt32 in [1, 2, 3, 3, 3, 3] { live.add(id) }
        let files = table.entries.map {
            InputFile(path: $0.path, key: $0.path, isJSONLines: $0.file.isJSONLines, isExplicit: false,
                      size: $0.file.size, modificationTime: $0.file.modificationTime)
        }
        #expect(IndexBuilder.nothingChanged(files, stored, live))
        var variants: [(String, [InputFile])] = []
        for i in files.indices {
            var f = files
            f[i].path = String(f[i].path.dropLast()) + "u"
            variants.append(("path byte \(i)", f))
            f = files; f[i].path += "x"; variants.append(("longer path \(i)", f))
            f = files; f[i].size += 1; variants.append(("size \(i)", f))
            f = files; f[i].modificationTime += 1; variants.append(("time \(i)", f))
            f = files; f[i].isJSONLines.toggle(); variants.append(("kind \(i)", f))
            f = files; f[i].isRegularFile = false; variants.append(("not regular \(i)", f))
        }
        variants.append(("a file less", Array(files.dropLast())))
        var more = files
        more.append(InputFile(path: "d/d.txt", key: "d/d.txt", isJSONLines: false, isExplicit: false, size: 1, modificationTime: 1))
        variants.append(("a file more", more))
        for (what, f) in variants { #expect(!IndexBuilder.nothingChanged(f, stored, live), "\(what)") }
        var fewer = SourceCounts()
        for id: UInt32 in [1, 2, 3, 3, 3] { fewer.add(id) }
        #expect(!IndexBuilder.nothingChanged(files, stored, fewer), "a live document fewer")
        var stray = live
        stray.add(9)
        #expect(!IndexBuilder.nothingChanged(files, stored, stray), "a stray document")
    }
}
