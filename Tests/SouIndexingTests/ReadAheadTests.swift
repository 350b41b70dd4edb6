import CSystemShim
import Foundation
import Glibc
import Testing
@testable import SouIndexing

/// The read-ahead of a build's files (``ReadAhead``): it changes no byte of an index, stops
/// whenever the reader stops, and starts again after it went idle on files already in the cache.
@Suite("Read-ahead")
struct ReadAheadTests {
    /// `count` small text files in `folder`, written to the disk (one `sync` for all).
    static func files(_ count: Int, in folder: String) -> [String] {
        let paths = (0..<count).map { i in
            let path = folder + "/f\(1000 + i).txt"
            let text = "文档 \(i) 集体协商 \(String(repeating: "字", count: i % 50))"
            FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
            return path
        }
        sync()
        return paths
    }

    /// Drops the files at even indexes from the page cache where the system allows it
    /// (`POSIX_FADV_DONTNEED` on clean pages), so that a read-ahead has files to ask for.
    static func evict(_ paths: [String]) {
        for (i, path) in paths.enumerated() where i % 2 == 0 {
            let fd = open(path, O_RDONLY)
            if fd >= 0 { _ = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED); close(fd) }
        }
    }

    @Test("an index built with the read-ahead on from the first file has the bytes of one built without it")
    func sameBytes() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let docs = root.path + "/docs"
        _ = mkdir(docs, 0o755)
        let paths = Self.files(300, in: docs)
        var bytes: [[UInt8]] = []
        for threshold in [0, Double.infinity] {
            Self.evict(paths)
            var builder = IndexBuilder()
            builder.options.jobs = 2
            builder.options.readAheadThreshold = threshold
            let out = root.path + "/x\(bytes.count).sou"
            let summary = try builder.build(paths: [docs], to: URL(fileURLWithPath: out))
            #expect(summary.documents == 300)
            bytes.append(Array(try Data(contentsOf: URL(fileURLWithPath: out))))
        }
        #expect(bytes[0] == bytes[1])
    }

    @Test("the read-ahead stops when the reader stops midway, goes idle on files in the cache and starts again after slow loads")
    func stopsAndRestarts() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let paths = Self.files(40, in: root.path)
        Self.evict(paths)
        // a reader that stops at the first file: the thread asked for at most the files ahead of it
        let early = ReadAhead(paths: paths, sizes: paths.map { _ in 100 }, threshold: 0)
        early.willRead(0)
        early.stop()
        #expect(early.advised <= 39)
        early.stop()   // idempotent

        // 700 files in the cache (written just now, kept): after 256 in a row the thread returns;
        // slow loads start it again; the reader reads to the end and stops it
        let many = (0..<700).map { i -> String in
            let path = root.path + "/c\(i).txt"
            FileManager.default.createFile(atPath: path, contents: Data("text \(i)".utf8))
            return path
        } + ["", root.path + "/missing.txt", root.path]   // no path, a missing file, a folder: left to the reader
        let readAhead = ReadAhead(paths: many, sizes: many.map { _ in 9 }, threshold: 0.001)
        for k in many.indices {
            readAhead.willRead(k)
            // four slow loads (the threshold's) start it, at the start and again later
            if k < 4 || (400..<404).contains(k) { readAhead.noteLoad(seconds: 0.002) }
            readAhead.noteLoad(seconds: 0.000_01)   // fast: counts for nothing
        }
        readAhead.stop()
        #expect(readAhead.advised <= many.count)
    }
}
