import Foundation
import SouIndexing
import SouTestSupport
import Testing
@testable import SouSearch

/// Familiar query syntax (issue 8, defect 6): NOT, AND, field queries, word prefixes, and errors
/// for the syntax of other tools instead of a silent reinterpretation.
@Suite("Field and prefix queries")
struct FieldQueryTests {
    // MARK: parsing

    @Test func notIsTheSameAsMinusAndAndIsJuxtaposition() throws {
        #expect(try QueryParser.parse("NOT 保存 ファイル") == QueryParser.parse("-保存 ファイル"))
        #expect(try QueryParser.parse("ファイル NOT (保存 OR 削除)") == QueryParser.parse("ファイル -(保存 OR 削除)"))
        #expect(try QueryParser.parse("ファイル AND 保存") == QueryParser.parse("ファイル 保存"))
        #expect(try QueryParser.parse("\"NOT\" x") == .and([.phrase("NOT"), .phrase("x")]))
        #expect(try QueryParser.parse("not x") == .and([.phrase("not"), .phrase("x")]))
    }

    @Test func fieldAndPrefixClausesParse() throws {
        #expect(try QueryParser.parse("title:ファイル名") == .title("ファイル名"))
        #expect(try QueryParser.parse("Title:\"ファイル 名\" 保存") == .and([.title("ファイル 名"), .phrase("保存")]))
        #expect(try QueryParser.parse("key:docs/*.txt") == .key("docs/*.txt"))
        #expect(try QueryParser.parse("path:docs/lo-ja/") == .key("docs/lo-ja/"))
        #expect(try QueryParser.parse("-path:a/ x") == .and([.not(.key("a/")), .phrase("x")]))
        #expect(try QueryParser.parse("Libre*") == .prefix("Libre"))
        #expect(try QueryParser.parse("12:30") == .phrase("12:30"))
        #expect(try QueryParser.parse("\"ファイル^2\"") == .phrase("ファイル^2"))
        #expect(try QueryParser.parse("什么?") == .phrase("什么?"))
    }

    @Test(arguments: [
        ("ファイル^2", "^ (boost)"), ("\"a b\"^2", "^ (boost)"), ("ファイル~", "~ (fuzzy"), ("\"a b\"~3", "~ (fuzzy"),
        ("*bar", "* (wildcard)"), ("f*o", "* (wildcard)"), ("*", "* (wildcard)"), ("te?t", "? (single-character"),
        ("+foo bar", "+ (required"), ("a && b", "&&"), ("a || b", "||"),
    ])
    func unsupportedSyntaxIsAnErrorNamingIt(query: String, named: String) throws {
        let error = try #require(throws: QueryError.self) { try QueryParser.parse(query) }
        guard case .unsupportedSyntax = error.kind else { Issue.record("\(query): \(error)"); return }
        #expect(error.description.contains(named), "\(error)")
    }

    @Test func misplacedOperatorsAndFieldsAreErrors() throws {
        func kind(_ q: String) throws -> QueryError.Kind {
            try #require(throws: QueryError.self) { try QueryParser.parse(q) }.kind
        }
        #expect(try kind("NOT") == .loneMinus)
        #expect(try kind("x NOT") == .loneMinus)
        #expect(try kind("AND x") == .misplacedAnd)
        #expect(try kind("x AND") == .misplacedAnd)
        #expect(try kind("x AND OR y") == .misplacedAnd)
        #expect(try kind("NOT x") == .onlyExclusions)
        #expect(try kind("bogus:x") == .unknownField("bogus"))
        #expect(try kind("http://example.com") == .unknownField("http"))
        #expect(try kind("title:") == .emptyField("title"))
        #expect(try kind("title:a^2") == .unsupportedSyntax("^ (boost)", advice: "quote the text to search for it as it is: \"title:a^2\""))
    }

    // MARK: searching

    /// The manpages-zh fixture with real titles: each document's title is the line naming the
    /// command ("cut - 从文件的每一行中移除某些段"), its text the body after it.
    static func titledCorpus() throws -> [(key: String, title: String, text: String)] {
        let fixture = try TestCorpus.fixture("manpages-zh")
        return fixture.documents.map { d in
            let lines = d.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let title = lines.count > 2 ? lines[2] : ""
            return (d.key, title, lines.dropFirst(3).joined(separator: "\n"))
        }
    }

    static func makeIndex(_ docs: [(key: String, title: String, text: String)]) throws -> IndexReader {
        let writer = try SegmentWriter()
        for d in docs { try writer.addDocument(key: d.key, title: d.title, text: d.text) }
        return try IndexReader(segment: writer.makeIndex())
    }

    static func keys(_ index: IndexReader, _ query: String) throws -> Set<String> {
        Set(try index.search(query, limit: 100_000).hits.map(\.key))
    }

    @Test func titleQueriesReturnExactlyTheDocumentsWhoseTitleContainsThePhrase() throws {
        let docs = try Self.titledCorpus()
        #expect(docs.filter { $0.title.contains { $0.unicodeScalars.contains(where: SubstringOracle.isHanKana) } }.count > 20)
        let index = try Self.makeIndex(docs)
        // queries: pieces of real titles (2 to 4 characters of their CJK runs), and body words
        var queries: Set<String> = ["文件", "显示", "输出", "命令", "用户", "名称", "选项", "的"]
        for d in docs {
            let han = Array(d.title.unicodeScalars.filter(SubstringOracle.isHanKana).map(Character.init))
            if han.count >= 4 { queries.insert(String(han[1..<3])); queries.insert(String(han[0..<4])) }
        }
        var checked = 0
        for q in queries.sorted() {
            let needle = SubstringOracle.normalize(q)
            let expected = Set(docs.filter { SubstringOracle.normalize($0.title).contains(needle) }.map(\.key))
            let got = try Self.keys(index, "title:\(q)")
            #expect(got == expected, "title:\(q)")
            if !expected.isEmpty { checked += 1 }
        }
        #expect(checked > 10)
        // a filter: the scores are those of the other clauses
        let plain = try index.search("文件", limit: 1000).hits
        let filtered = try index.search("文件 title:显示", limit: 1000).hits
        let plainScores = Dictionary(uniqueKeysWithValues: plain.map { ($0.key, $0.score) })
        for hit in filtered { #expect(abs(hit.score - (plainScores[hit.key] ?? -1)) < 1e-12) }
    }

    @Test func titleQueriesSkipDeletedDocumentsAcrossSegments() throws {
        let docs = try Self.titledCorpus()
        let folder = try temporaryFolderForSearch()
        let url = folder.appendingPathComponent("t.sou")
        let writer = try IndexWriter(path: url.path)
        for (i, d) in docs.enumerated() {
            try writer.add(key: d.key, title: d.title, text: d.text)
            if i % 16 == 15 { _ = try writer.commit() }
        }
        _ = try writer.commit()
        let deleted = Set(docs.indices.filter { $0 % 5 == 0 }.map { docs[$0].key })
        for key in deleted { _ = try writer.delete(key: key) }
        _ = try writer.commit()
        let index = try IndexReader(path: url.path)
        #expect(index.segments.count > 1)
        let live = docs.filter { !deleted.contains($0.key) }
        for q in ["文件", "显示", "命令"] {
            let expected = Set(live.filter { SubstringOracle.normalize($0.title).contains(q) }.map(\.key))
            #expect(try Self.keys(index, "title:\(q)") == expected, "title:\(q)")
        }
    }

    @Test func keyQueriesMatchAGlobOrAPrefix() throws {
        let docs: [(key: String, title: String, text: String)] = [
            ("docs/lo-ja/01.txt", "", "ファイル 保存"), ("docs/lo-ja/02.md", "", "ファイル"),
            ("docs/lo-zh/01.txt", "", "文件 ファイル"), ("other/ファイル.txt", "", "ファイル 保存"),
        ]
        let index = try Self.makeIndex(docs)
        #expect(try Self.keys(index, "ファイル key:docs/lo-ja/") == ["docs/lo-ja/01.txt", "docs/lo-ja/02.md"])
        #expect(try Self.keys(index, "path:*.txt") == ["docs/lo-ja/01.txt", "docs/lo-zh/01.txt", "other/ファイル.txt"])
        #expect(try Self.keys(index, "ファイル -path:docs/*") == ["other/ファイル.txt"])
        #expect(try Self.keys(index, "key:docs/lo-??/01.*") == ["docs/lo-ja/01.txt", "docs/lo-zh/01.txt"])
        #expect(try Self.keys(index, "NOT 保存 ファイル") == ["docs/lo-ja/02.md", "docs/lo-zh/01.txt"])
    }

    /// Before: keys were matched with fnmatch, which stops at a NUL byte: `key:?` matched the
    /// JSON Lines id "a\u0000b" (as "a"), `key:a*b` did not, and a NUL in a pattern cut it short.
    @Test("key: globs match a JSON Lines id holding NUL bytes on all its bytes, and patterns holding NUL bytes too")
    func keyGlobsMatchNULBytes() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sou-keynul-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let jsonl = folder.appendingPathComponent("docs.jsonl")
        let ids = ["a\u{0}b", "a", "ab", "a\u{0}", "\u{0}", "集.txt"]
        let lines = try ids.map { id in
            String(decoding: try JSONSerialization.data(withJSONObject: ["id": id, "body": "ファイル"]), as: UTF8.self)
        }
        try (lines.joined(separator: "\n") + "\n").write(to: jsonl, atomically: true, encoding: .utf8)
        let writer = try SegmentWriter()
        try DocumentSource().read(paths: [jsonl.path]) { try writer.addDocument(key: $0.key, title: $0.title, text: $0.text) }
        let index = try IndexReader(segment: try writer.makeIndex())
        #expect(try Set((0..<index.maxDocument).map { try index.documentKey($0) }) == Set(ids))
        func keys(_ query: Query) throws -> Set<String> { Set(try index.search(query, options: SearchOptions(limit: 100)).hits.map(\.key)) }
        for (glob, expected) in [("?", ["a", "\u{0}"]), ("a?", ["ab", "a\u{0}"]), ("a*b", ["a\u{0}b", "ab"]), ("a?b", ["a\u{0}b"]),
                                 ("*[[:cntrl:]]*", ["a\u{0}b", "a\u{0}", "\u{0}"]), ("[!a]", ["\u{0}"]), ("a[!b]", ["a\u{0}"]),
                                 ("a\u{0}*", ["a\u{0}b", "a\u{0}"]), ("\u{0}", ["\u{0}"]), ("*\u{0}", ["a\u{0}", "\u{0}"]),
                                 ("???.txt", ["集.txt"])] as [(String, Set<String>)] {
            #expect(try keys(.key(glob)) == expected, "key:\(glob.debugDescription)")
        }
        // prefixes (no *, ? or [) as before
        #expect(try keys(.key("a")) == ["a\u{0}b", "a", "ab", "a\u{0}"])
        #expect(try keys(.key("a\u{0}")) == ["a\u{0}b", "a\u{0}"])
        // the query language reaches the same glob
        #expect(try Self.keys(index, "ファイル key:a?") == ["ab", "a\u{0}"])
    }

    /// Random globs (valid or not) and keys without NUL bytes: exactly fnmatch's answer with
    /// flags 0 in the C locale, the semantics the `key:` filter had.
    @Test("KeyGlob answers as fnmatch in the C locale for random globs and keys")
    func keyGlobIsFnmatch() throws {
        // (the thread's locale: C for character types and collation, whatever the process's)
        let locale = try #require(newlocale(1 << LC_CTYPE | 1 << LC_COLLATE, "C", nil))
        let previous = uselocale(locale)
        defer { uselocale(previous); freelocale(locale) }
        let patternPieces = ["*", "?", "[", "]", "!", "^", "-", "\\", "a", "b", "z", "/", ".", ":", "=", "[:alpha:]", "[:digit:]",
                             "[:bogus:]", "[=a=]", "[.b.]", "[.ab.]", "[=ab=]", "[:", ":]", "a-z", "b-a", "é", "集", "\u{7F}", "A", "0", "~"]
        let keyPieces = ["a", "b", "z", "/", ".", "A", "0", "-", "]", "[", "!", "^", ":", "=", "é", "集", "\\", "\u{7F}", "~", "\t"]
        // (and a few pieces, for globs that match often)
        let fewPatternPieces = ["*", "?", "a", "b", "[ab]", "[!a]", "[a-b]", "[]a]", "\\*"]
        let fewKeyPieces = ["a", "b", "*", "]"]
        var rng = SplitMix64(seed: 0x61_0B)
        var checked = 0, valid = 0, matched = 0
        for round in 0..<80_000 {
            let (pieces, keyPieces) = round % 2 == 0 ? (patternPieces, keyPieces) : (fewPatternPieces, fewKeyPieces)
            let pattern = (0..<Int(rng.next() % 7)).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined()
            let glob = KeyGlob(pattern)
            if GlobSyntax.problem(pattern) == nil { valid += 1 }
            for _ in 0..<4 {
                let key = (0..<Int(rng.next() % 7)).map { _ in keyPieces[Int(rng.next() % UInt64(keyPieces.count))] }.joined()
                let expected = fnmatch(pattern, key, 0) == 0
                #expect(glob.matches(key) == expected, "\(pattern.debugDescription) against \(key.debugDescription)")
                checked += 1
                if expected { matched += 1 }
            }
        }
        #expect(valid > 20_000 && matched > 10_000, "\(valid) valid globs, \(matched) of \(checked) matched")
    }

    @Test func prefixQueriesMatchEveryWordStartingWithThePrefix() throws {
        let docs: [(key: String, title: String, text: String)] = [
            ("a", "", "LibreOffice の ファイル"), ("b", "", "libre software"), ("c", "", "Library 図書館"),
            ("d", "", "calibre 電子書籍"), ("e", "", "LIBREOFFICE LibreOffice"), ("f", "", "free"),
        ]
        let index = try Self.makeIndex(docs)
        // oracle: documents with a whole word (letters and digits) starting with the prefix
        func oracle(_ prefix: String) -> Set<String> {
            Set(docs.filter { d in
                d.text.lowercased().split { !($0.isLetter || $0.isNumber) }.contains { $0.hasPrefix(prefix.lowercased()) }
            }.map(\.key))
        }
        for p in ["Libre", "libr", "LIB", "calibre", "fr", "zz"] {
            #expect(try Self.keys(index, "\(p)*") == oracle(p), "\(p)*")
        }
        #expect(try Self.keys(index, "Libre") == ["b"])
        // scored as an OR of the words it expands to
        let prefixed = try index.search("libreoffice*", limit: 10).hits
        let word = try index.search("libreoffice", limit: 10).hits
        #expect(prefixed.map(\.key) == word.map(\.key))
        #expect(zip(prefixed, word).allSatisfy { abs($0.score - $1.score) < 1e-12 })
        // a CJK prefix is an error, not a silent reinterpretation
        #expect(throws: QueryError.self) { try index.search("ファイル*", limit: 10) }
    }

    @Test func aPrefixThatExpandsBeyondTheBoundIsAnErrorNotATruncation() throws {
        let n = Searcher.maxPrefixExpansion + 1
        let docs = (0..<n).map { (key: "k\($0)", title: "", text: "word\($0) common") }
        let index = try Self.makeIndex(docs)
        let error = try #require(throws: QueryError.self) { try index.search("word*", limit: 10) }
        #expect(error.kind == .prefixTooBroad("word", count: n, limit: Searcher.maxPrefixExpansion))
        // within the bound: exact
        #expect(try index.search("word1*", limit: 10).total == docs.filter { $0.text.hasPrefix("word1") }.count)
    }
}

func temporaryFolderForSearch() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("sou-fieldquery-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
