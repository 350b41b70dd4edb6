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
    /// A folder of `count` text files and a dangling symbolic link, indexed once.
    static func fixture(count: Int = 300) throws -> (root: URL, docs: String, index: String) {
        let root = try temporaryFolder()
        let docs = root.path + "/docs"
        try FileManager.default.createDirectory(atPath: docs, withIntermediateDirectories: true)
        for i in 0..<count { try "文档\(i) 集体协商".write(toFile: docs + "/f\(i).txt", atomically: false, encoding: .utf8) }
        #expect(symlink(root.path + "/nowhere", docs + "/gone.txt") == 0)
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
        let f = try Self.fixture()
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
}
