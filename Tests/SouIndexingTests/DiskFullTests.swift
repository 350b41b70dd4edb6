import Foundation
import SouTestSupport
import Testing
@testable import SouIndexing

/// A small tmpfs mounted for one test: what a full disk looks like to `sou`.
struct SmallFilesystem {
    let path: String

    /// Mounts a tmpfs of `kilobytes` on a new folder; nil when mounting is not permitted.
    init?(kilobytes: Int) {
        guard let folder = try? temporaryFolder() else { return nil }
        path = folder.path
        let r = try? runBounded(URL(fileURLWithPath: "/bin/mount"), ["-t", "tmpfs", "-o", "size=\(kilobytes)k", "tmpfs", path], timeout: 30)
        guard let r, r.exited(0) else {
            try? FileManager.default.removeItem(atPath: path)
            return nil
        }
    }

    func unmount() {
        _ = try? runBounded(URL(fileURLWithPath: "/bin/umount"), [path], timeout: 30)
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Whether a tmpfs can be mounted here (root, and a mount namespace that allows it).
    static let isAvailable: Bool = {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/bin/mount"),
              let probe = SmallFilesystem(kilobytes: 64) else { return false }
        probe.unmount()
        return true
    }()

    /// Fills the filesystem with a file of zeros until at most `kilobytesLeft` remain free.
    func fill(leaving kilobytesLeft: Int) throws {
        var fs = statvfs()
        guard statvfs(path, &fs) == 0 else { throw IndexError.io("statvfs \(path)") }
        let free = Int(fs.f_bavail) * Int(fs.f_frsize)
        let size = max(0, free - kilobytesLeft * 1024)
        let fd = open(path + "/filler", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer { close(fd) }
        let block = [UInt8](repeating: 0, count: 4096)
        var written = 0
        while written < size {
            let n = block.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, min($0.count, size - written)) }
            if n <= 0 { break }
            written += n
        }
    }
}

/// The disk filling up while `sou` writes: each command fails with a clear message and exit 2,
/// the previous commit stays as it was (`sou check` passes, the same documents), and no temporary
/// file is left behind. Runs as root only (it mounts a small tmpfs, as CI does); skipped with a
/// reason elsewhere.
@Suite("The sou executable: disk full", .serialized,
       .enabled(if: SmallFilesystem.isAvailable, "needs root and permission to mount a tmpfs (mount -t tmpfs) to fill a disk"))
struct DiskFullTests {
    let sou: URL
    let corpus: URL

    init() throws {
        sou = try #require(souExecutable(), "the sou executable is not built next to the tests")
        corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("corpus")
        let folder = try temporaryFolder()
        large = folder.appendingPathComponent("large.txt").path
        var rng = SplitMix64(seed: 0xD15C)
        let text = String(String.UnicodeScalarView((0..<200_000).map { _ in Unicode.Scalar(0x4E00 + UInt32(rng.next() % 3000))! }))
        try write(text, to: large)
    }

    /// The corpus's text files (a small index) and a file of 200,000 random Han characters (an
    /// index of over 1 MB: more than the small filesystem holds), outside the filesystem.
    var small: [String] { ["00-page-header.txt", "01-guangxi-outdoor-worker-stations.txt", "02-cr15-micro-wishes.txt"].map { corpus.appendingPathComponent($0).path } }
    let large: String

    func cleanUp() { try? FileManager.default.removeItem(atPath: (large as NSString).deletingLastPathComponent) }

    /// What must hold after a failed write: exit 2 naming the file and the cause ("sou: cannot
    /// write FILE: No space left on device"), the index's bytes unchanged and verified, its
    /// documents the same, nothing else in the folder but `others`.
    func expectIntact(_ r: BoundedRun, index: String, bytes: Data, documents: [String], in fs: SmallFilesystem,
                      others: Set<String> = [], sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(r.exited(2), "status \(r.status): \(r.err)", sourceLocation: sourceLocation)
        #expect(r.err == "sou: cannot write \(index): No space left on device\n", "\(r.err)", sourceLocation: sourceLocation)
        #expect(FileManager.default.contents(atPath: index) == bytes, "the index changed", sourceLocation: sourceLocation)
        let check = try runSou(sou, ["check", index])
        #expect(check.status == 0, "\(check.out) \(check.err)", sourceLocation: sourceLocation)
        #expect(try holds(index, exactly: documents), "documents lost", sourceLocation: sourceLocation)
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: fs.path))
        #expect(left == others.union([(index as NSString).lastPathComponent]), "left behind: \(left)", sourceLocation: sourceLocation)
    }

    /// What must hold after a write that would have created index `name` in `fs` failed: exit 2
    /// naming it and the cause, and nothing left but the small index already there (`x.sou`).
    func expectNothingLeft(_ r: BoundedRun, creating name: String, in fs: SmallFilesystem,
                           sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(r.exited(2) && r.err == "sou: cannot write \(fs.path)/\(name): No space left on device\n", "\(r.err)",
                sourceLocation: sourceLocation)
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: fs.path)) == ["x.sou"], sourceLocation: sourceLocation)
    }

    /// Whether the index holds as many documents as `keys` and the first of them (the file's
    /// bytes are compared too: the same bytes are the same documents).
    func holds(_ index: String, exactly keys: [String]) throws -> Bool {
        let stats = try runSou(sou, ["stats", "--json", index])
        let json = try JSONSerialization.jsonObject(with: Data(stats.out.utf8)) as? [String: Any]
        guard json?["documents"] as? Int == keys.count, let first = keys.first else { return false }
        return try runSou(sou, ["show", "-i", index, first]).status == 0
    }

    /// A small index in the filesystem: its path, bytes and keys.
    func smallIndex(in fs: SmallFilesystem) throws -> (path: String, bytes: Data, keys: [String]) {
        let index = fs.path + "/x.sou"
        let r = try runBounded(sou, ["index"] + small + ["-o", index, "--quiet"])
        #expect(r.exited(0), "\(r.err)")
        #expect(try holds(index, exactly: small))
        return (index, try #require(FileManager.default.contents(atPath: index)), small)
    }

    @Test("sou index: an update, a --rebuild and a new index that do not fit fail with exit 2; the previous index is intact; no temporary file is left")
    func index() throws {
        let fs = try #require(SmallFilesystem(kilobytes: 512))
        defer { fs.unmount(); cleanUp() }
        let (index, bytes, keys) = try smallIndex(in: fs)
        // an update adds segments to the file in place
        try expectIntact(try runBounded(sou, ["index", large, "-o", index, "--quiet"]), index: index, bytes: bytes, documents: keys, in: fs)
        // a rebuild writes a temporary file, then renames it
        try expectIntact(try runBounded(sou, ["index", large, "-o", index, "--rebuild", "--quiet"]), index: index, bytes: bytes,
                         documents: keys, in: fs)
        // a new index: nothing is left at all
        try expectNothingLeft(try runBounded(sou, ["index", large, "-o", fs.path + "/new.sou", "--quiet"]), creating: "new.sou", in: fs)
    }

    @Test("a build whose temporary files ($TMPDIR) do not fit fails with exit 2 naming that folder; the index is intact and nothing is left there")
    func temporaryFolderFull() throws {
        let fs = try #require(SmallFilesystem(kilobytes: 512))
        defer { fs.unmount(); cleanUp() }
        // the index outside the small filesystem; the build's spill files (postings and
        // compressed text past 1 MB) in it
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let index = folder.appendingPathComponent("x.sou").path
        let first = try runBounded(sou, ["index"] + small + ["-o", index, "--quiet"])
        #expect(first.exited(0), "\(first.err)")
        let bytes = try #require(FileManager.default.contents(atPath: index))
        // 800,000 random Han characters: over 1 MB of postings and of compressed text
        var rng = SplitMix64(seed: 0x5B111)
        let text = String(String.UnicodeScalarView((0..<800_000).map { _ in Unicode.Scalar(0x4E00 + UInt32(rng.next() % 3000))! }))
        let big = folder.appendingPathComponent("big.txt").path
        try write(text, to: big)
        for arguments in [["index", big, "-o", index, "--quiet"], ["index", big, "-o", index, "--rebuild", "--quiet"],
                          ["add", "-i", index, big, "--quiet"]] {
            let r = try runSou(sou, arguments, environment: ["TMPDIR": fs.path])
            #expect(r.status == 2, "\(arguments): status \(r.status): \(r.err)")
            // (sou add names the index it was adding to first)
            let prefix = arguments[0] == "add" ? "sou: \(index): " : "sou: "
            #expect(r.err == prefix + "cannot write a temporary file in \(fs.path): No space left on device (set TMPDIR to a folder with more room)\n",
                    "\(arguments): \(r.err)")
            #expect(FileManager.default.contents(atPath: index) == bytes, "\(arguments): the index changed")
            #expect(try FileManager.default.contentsOfDirectory(atPath: fs.path).isEmpty, "\(arguments): a temporary file is left")
            #expect(Set(try FileManager.default.contentsOfDirectory(atPath: folder.path)) == ["x.sou", "big.txt"],
                    "\(arguments): a temporary file is left beside the index")
        }
        #expect(try runSou(sou, ["check", index]).status == 0)
        #expect(try holds(index, exactly: small))
        // a folder that cannot hold a temporary file at all (missing): an error, not a build
        // that keeps everything in memory instead
        let missing = folder.appendingPathComponent("no-such-folder").path
        let r = try runSou(sou, ["index", big, "-o", index, "--quiet"], environment: ["TMPDIR": missing])
        #expect(r.status == 2 && r.err == "sou: cannot create a temporary file in \(missing): No such file or directory (TMPDIR sets the folder)\n",
                "status \(r.status): \(r.err)")
        #expect(FileManager.default.contents(atPath: index) == bytes, "the index changed")
        // with room, the same build succeeds
        let ok = try runSou(sou, ["add", "-i", index, big, "--quiet"], environment: ["TMPDIR": folder.path])
        #expect(ok.status == 0, "\(ok.err)")
    }

    @Test("sou add that does not fit fails with exit 2; the previous commit is intact")
    func add() throws {
        let fs = try #require(SmallFilesystem(kilobytes: 512))
        defer { fs.unmount(); cleanUp() }
        let (index, bytes, keys) = try smallIndex(in: fs)
        try expectIntact(try runBounded(sou, ["add", "-i", index, large, "--quiet"]), index: index, bytes: bytes, documents: keys, in: fs)
        // a new index that sou add would create: nothing is left
        try expectNothingLeft(try runBounded(sou, ["add", "-i", fs.path + "/new.sou", large, "--quiet"]), creating: "new.sou", in: fs)
    }

    @Test("sou delete on a full disk fails with exit 2 naming the file once its commit no longer fits; the previous commit is intact")
    func delete() throws {
        let fs = try #require(SmallFilesystem(kilobytes: 512))
        defer { fs.unmount(); cleanUp() }
        // 60 small documents (JSON Lines, keys 0…59)
        let lines = (0..<60).map { "{\"id\":\"\($0)\",\"body\":\"文档\($0) 集体协商\"}" }.joined(separator: "\n") + "\n"
        let input = (large as NSString).deletingLastPathComponent + "/small.jsonl"
        try write(lines, to: input)
        let index = fs.path + "/x.sou"
        let r = try runBounded(sou, ["add", "-i", index, input, "--quiet"])
        #expect(r.exited(0), "\(r.err)")
        try fs.fill(leaving: 0)
        // each commit takes a little of the index file's last page (what a full tmpfs still
        // lets it write), until one needs a new page
        var keys = (0..<60).map(String.init)
        while let key = keys.first {
            let bytes = try #require(FileManager.default.contents(atPath: index))
            let d = try runBounded(sou, ["delete", "-i", index, key, "--quiet"])
            if d.exited(0) {
                keys.removeFirst()
                continue
            }
            try expectIntact(d, index: index, bytes: bytes, documents: keys, in: fs, others: ["filler"])
            break
        }
        #expect(!keys.isEmpty, "60 deletions fit in the last page")
    }

    @Test("sou merge on a full disk fails with exit 2; the segments and the commit are intact")
    func merge() throws {
        let fs = try #require(SmallFilesystem(kilobytes: 512))
        defer { fs.unmount(); cleanUp() }
        let index = fs.path + "/x.sou"
        // one segment per file
        for file in small {
            let r = try runBounded(sou, ["add", "-i", index, file, "--quiet"])
            #expect(r.exited(0), "\(r.err)")
        }
        let stats = try runSou(sou, ["stats", "--json", index])
        let segments = try #require(try JSONSerialization.jsonObject(with: Data(stats.out.utf8)) as? [String: Any])["segments"] as? [Any]
        #expect(segments?.count == small.count)
        let bytes = try #require(FileManager.default.contents(atPath: index))
        #expect(try holds(index, exactly: small))
        try fs.fill(leaving: 4)
        try expectIntact(try runBounded(sou, ["merge", index]), index: index, bytes: bytes, documents: small, in: fs, others: ["filler"])
    }
}
