import Foundation
@testable import SouIndexing
import Sou
import CZlib

/// The small index the query target searches and the index target's seeds start from, and the
/// seed files that cannot be written by hand (`SOU_FUZZ_WRITE_SEEDS=FOLDER sou-fuzz` writes them
/// into FOLDER/<target>/; the committed corpora in Fuzz/Seeds were made so).
enum Seeds {
    /// Short documents of every kind the analyzer tells apart: Chinese, Japanese, Korean, Latin
    /// words and numbers, a title, a phrase cut by a field change, repeated characters, lines.
    static let documents: [(key: String, title: String, text: String)] = [
        ("a", "工会", "职工代表参加集体协商会议。\n集体协商工资，签订集体合同。"),
        ("b", "", "iPhone 手机的价格是6.84元，2,460 个 don't foo_bar"),
        ("c", "会议集体", "协商工资"),
        ("d", "天気", "東京都の天気は晴れです。カタカナとひらがな"),
        ("e", "", "한국어 텍스트 검색 엔진"),
        ("f", "abc", "def ghi abc def"),
        ("g", "", "啊啊啊啊啊啊啊啊 的的的的的的"),
        ("h", "Café", "café cafe\u{301} ＡＢＣ ﬁne ㍿"),
        ("i", "", "臺灣 台湾 體育 体育"),
        ("j", "", "集体\n协商 集\n体"),
    ]

    /// An index file of two commits: ten documents; then one deleted, one replaced, two added.
    static func containerBytes() throws -> [UInt8] {
        try indexFile { path in
            let writer = try IndexWriter(path: path)
            for d in documents { try writer.add(key: d.key, title: d.title, text: d.text) }
            try writer.commit()
            try writer.delete(key: "e")
            try writer.replace(key: "b", title: "手机", text: "手机价格 6.84 元")
            try writer.add(key: "k", text: "集体协商 abc def")
            try writer.add(key: "l", title: "ﾃｽﾄ", text: "ｶﾞｷﾞ テスト")
            try writer.commit()
        }
    }

    /// The bytes of an index file that `write` makes at the path it is given (in a scratch
    /// folder, removed after).
    static func indexFile(_ write: (String) throws -> Void) throws -> [UInt8] {
        let folder = "\(Scratch.folder)/seed-index"
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = "\(folder)/seed.sou"
        try write(path)
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// An index file whose commits carry source tables, as `sou index` writes them: a full
    /// table of four files, then a table of changes to it (one file changed, one added, one
    /// removed).
    static func containerWithSourcesBytes() throws -> [UInt8] {
        let file = { (id: UInt32, size: Int, documents: Int) in
            SourceTable.File(id: id, size: size, modificationTime: 1_700_000_000_000_000_000 + Int64(size), isJSONLines: false,
                             documents: documents)
        }
        return try indexFile { path in
            do {
                let writer = try IndexWriter(path: path)
                for (i, d) in documents.prefix(3).enumerated() {
                    try writer.add(key: d.key, title: d.title, text: d.text, source: UInt32(i + 1))
                }
                var table = SourceTable(options: "keys: paths;")
                table.files = ["docs/a.txt": file(1, 10, 1), "docs/b.txt": file(2, 20, 1), "docs/集体.txt": file(3, 30, 1),
                               "docs/gone.txt": file(4, 0, 0)]
                table.nextID = 5
                writer.sources = table
                try writer.commit()
            }
            // a writer that opens the file edits the stored table (stored order: a, b, gone, 集体)
            let writer = try IndexWriter(path: path)
            var edit = SourceTableEdit(base: try writer.sourcesToEdit(), options: "keys: paths;")
            edit.set(entry: 0, path: "docs/a.txt", file: file(1, 11, 1))
            edit.remove(entry: 2)
            edit.set(entry: nil, path: "docs/c.txt", file: file(5, 40, 1))
            edit.nextID = 6
            try writer.add(key: "k", text: "集体协商 c", source: 5)
            writer.editSources(edit)
            try writer.commit()
        }
    }

    /// A bare segment (what SegmentReader opens) of the same documents.
    static func segmentBytes(storesText: Bool = true) throws -> [UInt8] {
        let writer = try SegmentWriter(storesText: storesText)
        for d in documents { try writer.addDocument(key: d.key, title: d.title, text: d.text) }
        return try writer.serialize().bytes
    }

    static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let path = "\(Scratch.folder)/seed.gz"
        guard let f = gzopen(path, "wb9") else { throw IndexError.io("cannot write \(path)") }
        _ = bytes.withUnsafeBytes { gzwrite(f, $0.baseAddress, UInt32($0.count)) }
        gzclose(f)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func write(to folder: String) throws {
        func put(_ target: String, _ name: String, _ bytes: [UInt8]) throws {
            let dir = "\(folder)/\(target)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: "\(dir)/\(name)"))
        }
        // index: mode byte (bit 0: bare segment; bit 1: reseal checksums after the mutation)
        let container = try containerBytes()
        let segment = try segmentBytes()
        try put("index", "container", [0] + container)
        try put("index", "container-resealed", [2] + container)
        let withSources = try containerWithSourcesBytes()
        try put("index", "container-sources", [0] + withSources)
        try put("index", "container-sources-resealed", [2] + withSources)
        try put("index", "segment", [1] + segment)
        try put("index", "segment-resealed", [3] + segment)
        try put("index", "segment-no-text-resealed", [3] + (try segmentBytes(storesText: false)))
        // gzip: one member, two members, a truncated one, an empty one
        let lines = Array(#"{"id":"1","title":"工会","body":"职工代表参加集体协商会议。"}"#.utf8) + [10]
            + Array(#"{"id":"2","body":"iPhone 手机"}"#.utf8) + [10]
        let one = try gzip(lines)
        try put("gzip", "one-member", one)
        try put("gzip", "two-members", one + (try gzip(Array("集体协商\n".utf8))))
        try put("gzip", "truncated", Array(one.prefix(one.count / 2)))
        try put("gzip", "empty", try gzip([]))
    }
}
