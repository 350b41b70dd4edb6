import Foundation
import SouTestSupport
import Testing

/// `sou search` with the familiar query syntax (issue 8, defect 6), the query passed as one
/// argument with `-i INDEX`.
@Suite("Query syntax from the command line")
struct QuerySyntaxCLITests {
    static let documents: [(id: String, title: String, body: String)] = [
        ("1", "ファイル名の変更", "ファイルを保存する前に名前を確認します"),
        ("2", "保存の設定", "ファイルの保存先を選びます"),
        ("3", "印刷", "ファイルを開いて印刷します LibreOffice"),
        ("4", "ファイル名の規則", "使える文字 libre"),
    ]

    func makeIndex() throws -> (sou: URL, index: String) {
        let sou = try #require(souExecutable(), "the sou executable is not built next to the tests")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sou-querysyntax-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let jsonl = folder.appendingPathComponent("docs.jsonl")
        let lines = try Self.documents.map { d in
            String(decoding: try JSONSerialization.data(withJSONObject: ["id": d.id, "title": d.title, "body": d.body]), as: UTF8.self)
        }
        try (lines.joined(separator: "\n") + "\n").write(to: jsonl, atomically: true, encoding: .utf8)
        let index = folder.appendingPathComponent("docs.sou").path
        let built = try runSou(sou, ["index", jsonl.path, "-o", index, "--quiet"])
        #expect(built.status == 0, "\(built.err)")
        return (sou, index)
    }

    func count(_ sou: URL, _ index: String, _ query: String) throws -> Int? {
        let r = try runSou(sou, ["search", "-i", index, "-c", query])
        return Int(r.out.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func notFieldAndPrefixQueriesCountWhatTheySay() throws {
        let (sou, index) = try makeIndex()
        // oracles over the documents above (text = title + "\n" + body)
        let text = Self.documents.map { $0.title + "\n" + $0.body }
        #expect(try count(sou, index, "NOT 保存 ファイル") == text.filter { $0.contains("ファイル") && !$0.contains("保存") }.count)
        #expect(try count(sou, index, "ファイル AND 保存") == text.filter { $0.contains("ファイル") && $0.contains("保存") }.count)
        #expect(try count(sou, index, "title:ファイル名") == Self.documents.filter { $0.title.contains("ファイル名") }.count)
        #expect(try count(sou, index, "title:保存") == Self.documents.filter { $0.title.contains("保存") }.count)
        #expect(try count(sou, index, "Libre*") == 2)
        #expect(try count(sou, index, "Libre") == 1)
        // keys of a JSON Lines file given directly are its ids
        let glob = try runSou(sou, ["search", "-i", index, "-l", "key:[12]"])
        #expect(Set(glob.out.split(separator: "\n").map(String.init)) == ["1", "2"], "\(glob.err)")
        let prefix = try runSou(sou, ["search", "-i", index, "-l", "ファイル path:3"])
        #expect(prefix.out == "3\n", "\(prefix.err)")
    }

    /// Before: `sou search` matched `key:` globs with fnmatch, which stops at a NUL byte: `key:a?`
    /// missed the JSON Lines id "a\u0000" (and `key:?` took "a\u0000b" for "a").
    @Test("sou search key:GLOB matches JSON Lines ids holding NUL bytes on all their bytes")
    func keyGlobsMatchIdsWithNULBytes() throws {
        let sou = try #require(souExecutable(), "the sou executable is not built next to the tests")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sou-keynul-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let jsonl = folder.appendingPathComponent("docs.jsonl")
        try (["a\\u0000b", "a", "ab", "a\\u0000", "\\u0000"].map { "{\"id\": \"\($0)\", \"body\": \"ファイル\"}" }.joined(separator: "\n") + "\n")
            .write(to: jsonl, atomically: true, encoding: .utf8)
        let index = folder.appendingPathComponent("docs.sou").path
        let built = try runSou(sou, ["index", jsonl.path, "-o", index, "--quiet"])
        #expect(built.status == 0, "\(built.err)")
        for (query, expected) in [("key:a?", ["a\\u0000", "ab"]), ("key:?", ["\\u0000", "a"]), ("key:a*b", ["a\\u0000b", "ab"]),
                                  ("ファイル key:*[[:cntrl:]]", ["\\u0000", "a\\u0000"]), ("key:a", ["a", "a\\u0000", "a\\u0000b", "ab"])] {
            let r = try runSou(sou, ["search", "-i", index, "--json", "-n", "10", query])
            #expect(r.status == 0, "\(query): \(r.err)")
            let keys = r.out.split(separator: "\n").compactMap { line -> String? in
                guard let start = line.range(of: "\"key\":\""), let end = line[start.upperBound...].range(of: "\"") else { return nil }
                return String(line[start.upperBound..<end.lowerBound])
            }
            #expect(keys.sorted() == expected, "\(query): \(r.out)")
        }
    }

    @Test func unsupportedSyntaxExitsWithAnErrorNamingIt() throws {
        let (sou, index) = try makeIndex()
        for (query, named) in [("ファイル^2", "^ (boost)"), ("ファイル~1", "~ (fuzzy"), ("bogus:ファイル", "unknown field \"bogus:\""),
                               ("*イル", "* (wildcard)"), ("ファイル*", "prefix query")] {
            let r = try runSou(sou, ["search", "-i", index, "-c", query])
            #expect(r.status == 2, "\(query): \(r.out) \(r.err)")
            #expect(r.err.contains(named), "\(query): \(r.err)")
        }
    }
}
