import Foundation
import Testing
import SouTestSupport
@testable import SouIndexing

/// The folder walk (`DocumentSource.listFiles`, listing folders in C with `sou_list_folder`)
/// against a plain reference walk written here with opendir/readdir/stat on byte strings: the
/// same files in the same order, the same sizes and times, the same skips, on trees with names
/// that are not UTF-8, names spelling the escape scalars, names that are prefixes of others,
/// folders, symbolic links (to files, to folders, dangling, looping), FIFOs, hidden entries and
/// a folder large enough to be stat'ed on two threads.
@Suite("Folder walk")
struct FolderWalkTests {
    /// One file the reference walk found.
    struct Listed: Equatable, CustomStringConvertible {
        var path: [UInt8]
        var size: Int
        var time: Int64
        var description: String { "\(PathBytes.displayed(PathBytes.string(path))) \(size) \(time)" }
    }

    /// A directory entry's name: `d_name` read through a pointer up to its NUL. Copying the
    /// 256-byte field by value reads past a short record at the end of readdir's buffer
    /// (AddressSanitizer: heap-buffer-overflow).
    static func entryName(_ e: UnsafeMutablePointer<dirent>) -> [UInt8] {
        let name = (UnsafeRawPointer(e) + MemoryLayout<dirent>.offset(of: \dirent.d_name)!).assumingMemoryBound(to: CChar.self)
        return Array(UnsafeRawBufferPointer(start: name, count: strlen(name)))
    }

    /// The reference: names sorted by their bytes, stat following links, a folder whose device
    /// and inode are on the current path not entered again; hidden names left out.
    static func referenceWalk(_ folder: [UInt8], visiting: inout Set<[UInt64]>, files: inout [Listed],
                              skipped: inout [SkipReason: Int], hidden: Bool) {
        var st = stat()
        guard stat(cPath(folder), &st) == 0 else { skipped[.unreadable, default: 0] += 1; return }
        let id = [UInt64(st.st_dev), UInt64(st.st_ino)]
        guard !visiting.contains(id) else { return }
        visiting.insert(id)
        defer { visiting.remove(id) }
        guard let dir = opendir(cPath(folder)) else { skipped[.unreadable, default: 0] += 1; return }
        var names: [[UInt8]] = []
        while let e = readdir(dir) {
            let name = Self.entryName(e)
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            if !hidden, name.first == 0x2E { continue }
            names.append(name)
        }
        closedir(dir)
        names.sort { $0.lexicographicallyPrecedes($1) }
        for name in names {
            let path = (folder.last == 0x2F ? folder : folder + [0x2F]) + name
            var entry = stat()
            guard stat(cPath(path), &entry) == 0 else { skipped[.unreadable, default: 0] += 1; continue }
            switch entry.st_mode & S_IFMT {
            case S_IFDIR:
                referenceWalk(path, visiting: &visiting, files: &files, skipped: &skipped, hidden: hidden)
            case S_IFREG:
                files.append(Listed(path: path, size: Int(entry.st_size),
                                    time: Int64(entry.st_mtim.tv_sec) * 1_000_000_000 + Int64(entry.st_mtim.tv_nsec)))
            default:
                skipped[.notRegularFile, default: 0] += 1
            }
        }
    }

    static func cPath(_ bytes: [UInt8]) -> [CChar] { bytes.map { CChar(bitPattern: $0) } + [0] }

    /// Creates a file (or folder, with a trailing "/") at `root` + `relative` bytes.
    static func make(_ root: String, _ relative: [UInt8], content: String = "文本") {
        let full = Array(root.utf8) + [0x2F] + relative
        if relative.last == 0x2F {
            _ = mkdir(cPath(Array(full.dropLast())), 0o755)
            return
        }
        let fd = open(cPath(full), O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        precondition(fd >= 0, "cannot create \(PathBytes.displayed(PathBytes.string(full)))")
        _ = content.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress!, $0.count - 1) }
        close(fd)
    }

    func compare(_ root: String, hidden: Bool = false) throws {
        var options = InputOptions()
        options.includesHidden = hidden
        let source = DocumentSource(options: options)
        let files = try source.listFiles(paths: [root])
        var visiting: Set<[UInt64]> = []
        var expected: [Listed] = []
        var skipped: [SkipReason: Int] = [:]
        Self.referenceWalk(Array(root.utf8), visiting: &visiting, files: &expected, skipped: &skipped, hidden: hidden)
        let got = files.map { Listed(path: PathBytes.bytes($0.path), size: $0.size, time: $0.modificationTime) }
        #expect(got.count == expected.count)
        #expect(got == expected)
        #expect(source.skippedByReason == skipped)
        // keys are the paths as displayed (bytes that are not UTF-8 as \xFF)
        #expect(files.map(\.key) == files.map { PathBytes.displayed($0.path) })
        #expect(files.allSatisfy { !$0.isJSONLines && !$0.isExplicit })
    }

    @Test("a tree with odd names, folders and symbolic links is listed as a reference walk lists it")
    func oddTree() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let r = root.path
        let u = { (s: String) in Array(s.utf8) }
        Self.make(r, u("a/"))
        Self.make(r, u("a/x.txt"))
        Self.make(r, u("a.b"), content: "more text")
        Self.make(r, u("a-"))
        Self.make(r, u("a0"))
        Self.make(r, u("A"))
        Self.make(r, u("集体/"))
        Self.make(r, u("集体/协商.txt"), content: "集体协商")
        Self.make(r, u("集体/协商"))
        Self.make(r, [0x62, 0x61, 0x64, 0xFF, 0x2E, 0x74, 0x78, 0x74])           // bad\xFF.txt
        Self.make(r, [0x62, 0x61, 0x64, 0xFE, 0x2F])                              // folder bad\xFE
        Self.make(r, [0x62, 0x61, 0x64, 0xFE, 0x2F, 0xC3, 0x28])                  // bad\xFE/\xC3(
        Self.make(r, [0xF4, 0x8F, 0xBF, 0xBF, 0x2E, 0x74, 0x78, 0x74])           // the escape scalar U+10FFFF spelled
        Self.make(r, [0xF0, 0x9F, 0x98, 0x80, 0x2E, 0x6D, 0x64])                 // 😀.md
        Self.make(r, [0xF1, 0x80, 0x80, 0x78])     // a cut 4-byte sequence: repaired to U+FFFD, as long as it
        Self.make(r, [0xEF, 0xBF, 0xBD, 0x78])     // U+FFFD x, spelled
        Self.make(r, u("deep/"))
        Self.make(r, u("deep/er/"))
        Self.make(r, u("deep/er/est/"))
        Self.make(r, u("deep/er/est/file"))
        Self.make(r, u("deep/er.txt"))
        Self.make(r, u("empty/"))
        Self.make(r, u(".hidden/"))
        Self.make(r, u(".hidden/h.txt"))
        Self.make(r, u(".dotfile"))
        // names sharing prefixes longer than eight bytes, in a shuffled creation order
        for n in [17, 3, 12, 0, 9] { Self.make(r, u("long-common-prefix-\(n).txt")) }
        try FileManager.default.createSymbolicLink(atPath: "\(r)/link-to-file", withDestinationPath: "\(r)/a/x.txt")
        try FileManager.default.createSymbolicLink(atPath: "\(r)/link-to-folder", withDestinationPath: "\(r)/集体")
        try FileManager.default.createSymbolicLink(atPath: "\(r)/deep/er/loop", withDestinationPath: r)
        try FileManager.default.createSymbolicLink(atPath: "\(r)/dangling", withDestinationPath: "\(r)/nothing-here")
        try FileManager.default.createSymbolicLink(atPath: "\(r)/self-loop", withDestinationPath: "\(r)/self-loop")
        #expect(mkfifo("\(r)/a/pipe", 0o644) == 0)

        try compare(r)
        try compare(r, hidden: true)
        try compare(r + "/")

        // the order is the bytes' order: "a" (folder) before "a-", "a.b", "a0"; \xFE before \xFF
        let files = try DocumentSource().listFiles(paths: [r])
        let names = files.map { PathBytes.displayed(String($0.path.dropFirst(r.count + 1))) }
        #expect(Array(names.prefix(5)) == ["A", "a/x.txt", "a-", "a.b", "a0"])
        #expect(names.firstIndex(of: "bad\\xFE/\\xC3(")! < names.firstIndex(of: "bad\\xFF.txt")!)
    }

    @Test("a folder of thousands of files (stat'ed on two threads) lists each once, in order, with its size")
    func largeFolder() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let r = root.path
        var rng = SplitMix64(seed: 7)
        for i in 0..<1500 {
            let n = Int(rng.next() % 1_000_000)
            Self.make(r, Array("f\(n)-\(i)".utf8), content: String(repeating: "字", count: i % 7))
        }
        Self.make(r, Array("sub/".utf8))
        for i in 0..<600 { Self.make(r, Array("sub/\(599 - i).txt".utf8), content: String(repeating: "x", count: i)) }
        try compare(r)
    }

    @Test("a folder of files alone, large enough for its entries to be made in two halves at once, lists as the reference walk does: odd names, hidden files, JSON Lines keys")
    func largeFlatFolderInTwoHalves() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let r = root.path
        let count = DocumentSource.splitListing + 301
        var rng = SplitMix64(seed: 11)
        for i in 0..<count {
            let n = Int(rng.next() % 100_000)
            switch i % 5 {
            case 0: Self.make(r, Array("文档-\(n)-\(i).txt".utf8), content: String(repeating: "字", count: i % 9))
            case 1: Self.make(r, Array("bad".utf8) + [0xFF, UInt8(0x30 + i % 10)] + Array("-\(i)".utf8))   // not UTF-8
            case 2: Self.make(r, Array(".hidden-\(i)".utf8))
            default: Self.make(r, Array("f\(n)-\(i)".utf8), content: String(repeating: "x", count: i % 13))
            }
        }
        try compare(r)                 // hidden entries left out (in both halves)
        try compare(r, hidden: true)   // and read
        try compare(r + "/")
        // JSON Lines names keep their key suffix, whichever half they fall in
        for i in 0..<40 { Self.make(r, Array("z-\(i).jsonl".utf8), content: "{\"id\":\"\(i)\",\"body\":\"文\"}\n") }
        let files = try DocumentSource().listFiles(paths: [r])
        let jsonl = files.filter { $0.path.hasSuffix(".jsonl") }
        #expect(jsonl.count == 40)
        #expect(jsonl.allSatisfy { $0.isJSONLines && $0.key == $0.path + "#" })
        #expect(files.filter { !$0.isJSONLines }.allSatisfy { $0.key == PathBytes.displayed($0.path) })
        #expect(files.map { PathBytes.bytes($0.path) } == files.map { PathBytes.bytes($0.path) }.sorted { $0.lexicographicallyPrecedes($1) })
    }

    @Test("a folder read in many batches, stat'ed on two threads while it is read: a change to any file (size, or time alone), a new and a removed file are each found")
    func changesInEveryBatch() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let r = root.path + "/docs"
        _ = mkdir(r, 0o755)
        let count = 1300   // five batches of 256 and a part one
        for i in 0..<count { Self.make(r, Array("n\(i).txt".utf8), content: "文档\(i) 集体协商 \(i * 7)") }
        let index = root.path + "/x.sou"
        var builder = IndexBuilder()
        builder.options.jobs = 2
        let first = try builder.update(paths: [r], at: URL(fileURLWithPath: index))
        #expect(first.documents == count)
        // the names in the order the folder lists them (the order its batches are stat'ed in)
        var order: [String] = []
        let dir = try #require(opendir(r))
        while let e = readdir(dir) {
            let name = String(decoding: Self.entryName(e), as: UTF8.self)
            if !name.hasPrefix(".") { order.append(name) }
        }
        closedir(dir)
        #expect(order.count == count)
        // first and last of the listing, and both sides of each batch boundary
        var picks = [0, order.count - 1]
        for b in stride(from: 256, to: order.count, by: 256) { picks += [b - 1, b] }
        picks = Array(Set(picks)).sorted()
        var sameSize = 0, appended = 0
        for (k, i) in picks.enumerated() {
            let path = r + "/" + order[i]
            if k % 2 == 0 {
                // the same size, another modification time
                var times = [timespec(tv_sec: 1_000_000 + k, tv_nsec: 5), timespec(tv_sec: 1_000_000 + k, tv_nsec: 5)]
                #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
                sameSize += 1
            } else {
                let fd = open(path, O_WRONLY | O_APPEND)
                #expect(fd >= 0)
                _ = "追加".utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress!, $0.count - 1) }
                close(fd)
                appended += 1
            }
        }
        // a file removed (one not picked) and one added
        let removed = order[order.count / 2 + 1]
        #expect(!picks.contains(order.count / 2 + 1))
        #expect(unlink(r + "/" + removed) == 0)
        Self.make(r, Array("zz-new.txt".utf8), content: "新文件")
        try compare(r)
        let second = try builder.update(paths: [r], at: URL(fileURLWithPath: index))
        #expect(second.replaced == sameSize + appended, "\(second)")
        #expect(second.added == 1, "\(second)")
        #expect(second.deleted == 1, "\(second)")
        #expect(second.unchanged == count - picks.count - 1, "\(second)")
        #expect(second.documents == count)
        let third = try builder.update(paths: [r], at: URL(fileURLWithPath: index))
        #expect(third.unchanged == count && third.replaced == 0 && third.added == 0 && third.deleted == 0, "\(third)")
        let reader = try IndexReader(contentsOf: URL(fileURLWithPath: index))
        #expect(reader.documentCount == count)
    }

    @Test("a folder named twice is listed once, without a warning")
    func namedTwice() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let r = root.path
        Self.make(r, Array("x/".utf8))
        Self.make(r, Array("x/a.txt".utf8))
        var warnings: [String] = []
        let source = DocumentSource(options: InputOptions()) { warnings.append($0) }
        let files = try source.listFiles(paths: ["\(r)/x", "\(r)/x"])
        #expect(files.map(\.path) == ["\(r)/x/a.txt"])
        #expect(warnings.isEmpty)
        // and a file inside it named too: once, where the folder lists it
        let inside = try source.listFiles(paths: ["\(r)/x/a.txt", "\(r)/x"])
        #expect(inside.map(\.path) == ["\(r)/x/a.txt"] && inside[0].isExplicit, "\(inside)")
    }
}

@Suite("Bytewise order")
struct BytewiseOrderTests {
    @Test("sorting by eight-byte digits gives the order of a byte-by-byte comparison, shared prefixes and all")
    func sortMatchesComparison() {
        var rng = SplitMix64(seed: 42)
        let alphabet: [String] = ["a", "b", "/", ".", "\u{0}", "集", "体", "é", "\u{10FFFF}", "0", "1"]
        for round in 0..<60 {
            let prefix = String(repeating: "dev-all/", count: round % 4)
            var strings: [String] = []
            for _ in 0..<(Int(rng.next() % 200)) {
                var s = prefix
                for _ in 0..<(Int(rng.next() % 20)) { s += alphabet[Int(rng.next() % UInt64(alphabet.count))] }
                strings.append(s)
            }
            let expected = strings.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            var sorted = strings
            sorted.sortBytewise()
            #expect(sorted == expected)
        }
    }

    @Test("a stored source table decodes to itself; a stored path that is not UTF-8, or out of byte order, is damage")
    func sourceTableDamage() throws {
        var table = SourceTable(options: "o")
        let file = { (id: UInt32) in SourceTable.File(id: id, size: 3, modificationTime: -7, isJSONLines: false, documents: 1) }
        table.files = ["d/ab.txt": file(1), "d/ac.txt": file(2), "d/集.txt": file(3)]
        table.nextID = 4
        let bytes = table.encoded()
        func decode(_ b: [UInt8]) throws -> SourceTable {
            try b.withUnsafeBytes { try SourceTable(bytes: IndexBytes(base: $0.baseAddress!, count: $0.count), range: 0..<$0.count) }
        }
        #expect(try decode(bytes) == table)
        // "d/ab.txt" → "d/a\xFF.txt": bytes that Swift would repair to U+FFFD
        let at = try #require(bytes.indices.first { bytes[$0...].starts(with: Array("ab.txt".utf8)) })
        var bad = bytes
        bad[at + 1] = 0xFF
        #expect(throws: IndexError.self) { try decode(bad) }
        // "d/ac.txt" → "d/aa.txt": after "d/ab.txt"
        var unordered = bytes
        let c = try #require(bytes.indices.first { bytes[$0...].starts(with: Array("ac.txt".utf8)) })
        unordered[c + 1] = UInt8(ascii: "a")
        #expect(throws: IndexError.self) { try decode(unordered) }
        // an id listed twice, below a small next id (a bitmap finds it) and below a large one (a sort)
        for next: UInt32 in [4, 3_000_000] {
            var twice = SourceTable(options: "o")
            twice.files = ["d/a.txt": file(2), "d/b.txt": file(3), "d/c.txt": file(2)]
            twice.nextID = next
            #expect(throws: IndexError.self) { try decode(twice.encoded()) }
            twice.files["d/c.txt"] = file(1)
            #expect(try decode(twice.encoded()) == twice)
        }
    }

    @Test("a walk listing exactly the table's paths pairs each with its entry; one path differing in a byte (or a count) falls back to the merge")
    func sourceTableMatchSameList() {
        var table = SourceTable(options: "o")
        let paths = (0..<500).map { "d/" + String(1000 + $0) + ($0 % 7 == 0 ? "/文件.txt" : ".txt") }
        table.files = Dictionary(uniqueKeysWithValues: paths.map {
            ($0, SourceTable.File(id: 1, size: 1, modificationTime: 1, isJSONLines: false, documents: 1))
        })
        let sorted = table.entries.map(\.path)
        #expect(table.match(sorted) == sorted.indices.map { Optional($0) })
        for i in [0, 3, 250, 499] {
            // the same count, one path one byte longer, or one byte changed in its last character
            var longer = sorted
            longer[i] += "x"
            let m = table.match(longer)
            #expect(m[i] == nil && m.indices.allSatisfy { $0 == i || m[$0] == $0 })
            var changed = sorted
            changed[i] = String(changed[i].dropLast()) + "u"
            #expect(table.match(changed) == changed.indices.map { $0 == i ? nil : Optional($0) })
        }
        // the table's paths and one more, and one less
        #expect(table.match(sorted + ["e"]) == sorted.indices.map { Optional($0) } + [nil])
        #expect(table.match(Array(sorted.dropFirst())) == sorted.indices.dropFirst().map { Optional($0) })
    }

    @Test("the source table pairs walked paths with its entries, keeps its byte order through updates")
    func sourceTableMatch() {
        var rng = SplitMix64(seed: 9)
        func path() -> String { "d/" + String(rng.next() % 300) + (rng.next() % 3 == 0 ? "/x" : ".txt") }
        for _ in 0..<30 {
            var table = SourceTable(options: "o")
            var model: [String: SourceTable.File] = [:]
            for _ in 0..<(Int(rng.next() % 150)) {
                let f = SourceTable.File(id: UInt32(rng.next() % 1000 + 1), size: Int(rng.next() % 100), modificationTime: 0,
                                         isJSONLines: false, documents: 1)
                model[path()] = f
            }
            table.files = model
            #expect(table.entries.map(\.path) == model.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
            let walked = (0..<(Int(rng.next() % 150))).map { _ in path() }
            let matched = table.match(walked)
            for (p, m) in zip(walked, matched) {
                #expect(m.map { table.entries[$0].path } == (model[p] != nil ? p : nil))
            }
            // updates (existing and new paths, a new path twice: the last wins) and removals
            var updates: [(entry: Int?, path: String, file: SourceTable.File)] = []
            for (p, m) in zip(walked, matched) where rng.next() % 2 == 0 {
                let f = SourceTable.File(id: UInt32(rng.next() % 1000 + 1), size: 1, modificationTime: 2, isJSONLines: true, documents: 3)
                updates.append((m, p, f))
                model[p] = f
            }
            let removed = table.entries.indices.filter { i in
                !updates.contains { $0.path == table.entries[i].path } && rng.next() % 4 == 0
            }
            for i in removed { model[table.entries[i].path] = nil }
            table.apply(updates: updates, removed: removed)
            #expect(table.files == model)
            #expect(table.entries.map(\.path) == model.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        }
    }

    @Test("edits of a stored table (files changed, added, some twice, removed, in chains of three): a few changes are written as a table of changes to the last full table, more as a full table with the bytes of encoding the edited table; each reads back as the edited table; the stored table matches walked paths as the decoded one does")
    func sourceTableEdits() throws {
        var rng = SplitMix64(seed: 11)
        func path() -> String { "d/" + String(rng.next() % 400) + (rng.next() % 5 == 0 ? "/文件" : ".txt") }
        var id: UInt32 = 0   // (ids distinct, as a stored table's must be)
        func file() -> SourceTable.File {
            id += 1
            return SourceTable.File(id: id, size: Int(rng.next() % 1_000_000), modificationTime: Int64(bitPattern: rng.next()) >> 10,
                                    isJSONLines: rng.next() % 2 == 0, documents: Int(rng.next() % 300))
        }
        var deltas = 0, fulls = 0
        for round in 0..<40 {
            // a "file": some bytes, then the first full table
            var table = SourceTable(options: "keys: paths;")
            var model: [String: SourceTable.File] = [:]
            for _ in 0..<(round % 10 == 0 ? 0 : Int(rng.next() % 200)) { model[path()] = file() }
            table.files = model
            table.nextID = id + 1
            var fileBytes = [UInt8](repeating: 7, count: 64) + table.encoded()
            var current: StoredSourceTable? = round % 7 == 3 ? nil
                : try StoredSourceTable(storage: IndexStorage(copying: fileBytes), range: 64..<fileBytes.count)
            var reference = current.map { _ in table } ?? SourceTable(options: "keys: paths;")
            for step in 0..<3 {
                let context = "round \(round), step \(step)"
                let walked = (0..<(Int(rng.next() % (round % 2 == 0 ? 6 : 120)))).map { _ in path() }
                    + (rng.next() % 4 == 0 ? reference.entries.map(\.path) : [])
                let matched = current?.match(walked) ?? walked.map { _ in nil }
                #expect(matched == reference.match(walked), "\(context)")
                var edit = SourceTableEdit(base: current, options: rng.next() % 9 == 0 ? "keys: paths; other" : "keys: paths;")
                reference.options = edit.options
                var updates: [(entry: Int?, path: String, file: SourceTable.File)] = []
                for (p, m) in zip(walked, matched) where rng.next() % 3 != 0 {
                    let f = file()
                    updates.append((m, p, f))
                    edit.set(entry: m, path: p, file: f)
                }
                let removed = reference.entries.indices.filter { _ in rng.next() % (round % 2 == 0 ? 40 : 6) == 0 }
                for i in removed { edit.remove(entry: i) }
                reference.apply(updates: updates, removed: removed)
                edit.nextID = id + 1 + UInt32(rng.next() % 3)
                reference.nextID = edit.nextID
                #expect(edit.decoded() == reference, "\(context)")
                let (written, baseLength) = edit.encoded()
                if baseLength == 0 {
                    fulls += 1
                    #expect(written == reference.encoded(), "\(context)")
                } else {
                    deltas += 1
                    #expect(written.first == SourceTable.StoredKind.delta.rawValue, "\(context)")
                }
                // appended to the file, read back from it (a table of changes reads its base there)
                let at = fileBytes.count
                fileBytes += written
                let storage = IndexStorage(copying: fileBytes)
                #expect(try withExtendedLifetime(storage) { try SourceTable(bytes: storage.bytes, range: at..<fileBytes.count) } == reference, "\(context)")
                #expect(SourceTable.baseLength(bytes: storage.bytes, range: at..<fileBytes.count) == baseLength)
                current = try StoredSourceTable(storage: storage, range: at..<fileBytes.count)
                #expect(current?.decoded() == reference, "\(context)")
            }
        }
        #expect(deltas > 20 && fulls > 20, "\(deltas) tables of changes, \(fulls) full tables")
    }

    @Test("a table of changes is damage when its base's checksum fails, its base does not lie before it, it removes a file its base does not list, or its changes are out of order")
    func sourceTableDeltaDamage() throws {
        var table = SourceTable(options: "o")
        let f = { (id: UInt32) in SourceTable.File(id: id, size: 3, modificationTime: 9, isJSONLines: false, documents: 1) }
        table.files = ["d/a.txt": f(1), "d/b.txt": f(2), "d/c.txt": f(3)]
        table.nextID = 4
        let base = [UInt8](repeating: 0, count: 64) + table.encoded()
        let stored = try StoredSourceTable(storage: IndexStorage(copying: base), range: 64..<base.count)
        var edit = SourceTableEdit(base: stored, options: "o")
        edit.nextID = 6
        edit.set(entry: 1, path: "d/b.txt", file: f(4))
        edit.remove(entry: 2)
        edit.set(entry: nil, path: "d/d.txt", file: f(5))
        let (delta, baseLength) = edit.encoded()
        #expect(baseLength == base.count - 64)
        func decode(_ file: [UInt8], at: Int) throws -> SourceTable {
            let storage = IndexStorage(copying: file)
            return try withExtendedLifetime(storage) { try SourceTable(bytes: storage.bytes, range: at..<file.count) }
        }
        var expected = table
        expected.nextID = 6
        expected.apply(updates: [(1, "d/b.txt", f(4)), (nil, "d/d.txt", f(5))], removed: [2])
        #expect(try decode(base + delta, at: base.count) == expected)
        // the base's bytes changed: its checksum fails
        var bad = base + delta
        bad[70] ^= 1
        #expect(throws: IndexError.self) { try decode(bad, at: base.count) }
        // the table of changes read where its base is not before it
        #expect(throws: IndexError.self) { try decode(Array(delta), at: 0) }
        // a change that removes "d/e.txt", which the base does not list: "d/d.txt" (added) → removed, renamed
        var removal = SourceTableEdit(base: stored, options: "o")
        removal.remove(entry: 0)
        let (r, _) = removal.encoded()
        var renamed = r
        let at = try #require(renamed.indices.first { renamed[$0...].starts(with: Array("d/a.txt".utf8)) })
        renamed[at + 2] = UInt8(ascii: "e")
        #expect(try decode(base + r, at: base.count).entries.map(\.path) == ["d/b.txt", "d/c.txt"])
        #expect(throws: IndexError.self) { try decode(base + renamed, at: base.count) }
        // changes out of order: "d/b.txt" before "d/d.txt" swapped into "d/d.txt" before "d/b.txt"
        var swapped = delta
        let b = try #require(swapped.indices.first { swapped[$0...].starts(with: Array("d/b.txt".utf8)) })
        let d = try #require(swapped.indices.first { swapped[$0...].starts(with: Array("d/d.txt".utf8)) })
        swapped[b + 2] = UInt8(ascii: "d")
        swapped[d + 2] = UInt8(ascii: "b")
        #expect(throws: IndexError.self) { try decode(base + swapped, at: base.count) }
    }
}

@Suite("Source table fingerprint")
struct FingerprintTests {
    @Test("the options' description spells what Swift prints for them (the fingerprint existing indexes hold)")
    func matchesReflection() {
        var o = InputOptions()
        #expect(o.fieldsDescription == String(describing: o))
        o.forcesJSONLines = true
        o.idField = "键\"名\\"
        o.requiresIDField = true
        o.textFields = ["body", "标题", "tab\there", "\u{1F}"]
        o.titleField = "new\nline"
        o.includesHidden = true
        o.encoding = "GB18030"
        o.types = ["txt", "md"]
        o.excludedTypes = ["html"]
        o.globs = ["!*.md", "a/**/b", "é\u{301}"]
        #expect(o.fieldsDescription == String(describing: o))
        o.encoding = nil
        o.textFields = []
        #expect(o.fieldsDescription == String(describing: o))
        // the quoting's fast path (printable ASCII as it is) and what it leaves to Swift's
        // escaping: quotes, backslashes, DEL, control characters, non-ASCII
        for field in ["id", "doc id", "it's", "a\"b", "back\\slash", "del\u{7F}", "nul\u{0}", "~!@#$%^&*()_+`-=[]{}|;:,./<>?", "é", ""] {
            o.idField = field
            o.globs = [field, "*.txt"]
            o.encoding = field
            #expect(o.fieldsDescription == String(describing: o))
        }
        #expect(IndexBuilder.fingerprint(o) == "keys: paths; \(o)")
    }
}

@Suite("Titles")
struct FirstLineTests {
    /// The first line as it was found before: the whole text split into Character lines.
    static func splitFirstLine(_ text: String, stripping: Character?) -> String {
        for line in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            var l = Substring(line)
            if let c = stripping { while l.first == c { l.removeFirst() } }
            let t = String(l).trimmingWhitespace()
            if !t.isEmpty { return String(t.prefix(120)) }
        }
        return ""
    }

    @Test("the title is the first line with text, as splitting the whole text into lines finds it")
    func matchesSplit() {
        var rng = SplitMix64(seed: 3)
        let pieces = ["\n", "\r", "\r\n", "\n\r", " ", "\t", "#", "##", "集体协商", "a", "e\u{301}", "\u{301}", "\u{3000}",
                      "👩‍👩‍👧", "\r\u{301}", "\n\u{301}", String(repeating: "字", count: 130), "\u{85}", "\u{2028}", "\u{FEFF}"]
        for _ in 0..<3000 {
            var text = ""
            for _ in 0..<(Int(rng.next() % 12)) { text += pieces[Int(rng.next() % UInt64(pieces.count))] }
            for stripping in [nil, Character("#")] {
                #expect(DocumentSource.firstLine(text, stripping: stripping) == Self.splitFirstLine(text, stripping: stripping),
                        "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
            }
        }
    }
}
