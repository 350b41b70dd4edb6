import Foundation
import SouTestSupport
import Testing
@testable import SouIndexing

/// Reads `paths` with `options`, returning documents and warnings (and `--verbose` details).
func readAll(_ paths: [String], _ options: InputOptions = InputOptions()) throws -> ([SourceDocument], [String]) {
    var warnings: [String] = []
    var docs: [SourceDocument] = []
    let source = DocumentSource(options: options) { warnings.append($0) }
    source.detail = { warnings.append($0) }
    try source.read(paths: paths) { docs.append($0) }
    return (docs, warnings)
}

func write(_ text: String, to path: String) throws {
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
}

@Suite("Reading documents")
struct InputTests {
    @Test("a folder walk reads text, Markdown, HTML and JSON Lines in sorted order and skips the rest")
    func folderWalk() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let r = root.path
        try write("第二", to: "\(r)/b.txt")
        try write("# 标题\n正文", to: "\(r)/a/readme.md")
        try write("<html><head><title>页 面</title><style>p{}</style></head><body><p>集<b>体</b>协商</p><script>var x=1;</script>a&amp;b &#x4E2D;</body></html>", to: "\(r)/a/page.html")
        try write("{\"id\":\"7\",\"title\":\"T\",\"body\":\"身体\"}\n", to: "\(r)/c/docs.jsonl")
        try write("无扩展名的文本", to: "\(r)/NOTES")
        try write("隐藏", to: "\(r)/.hidden/x.txt")
        try write("git", to: "\(r)/.git/HEAD.txt")
        try Data([0x89, 0x50, 0x4E, 0x47, 0x00, 0x00, 0x00, 0x0D]).write(to: URL(fileURLWithPath: "\(r)/image.png"))
        try Data([0x41, 0x00, 0x42]).write(to: URL(fileURLWithPath: "\(r)/bin.txt"))
        try FileManager.default.createSymbolicLink(atPath: "\(r)/a/loop", withDestinationPath: r)

        let (docs, warnings) = try readAll([r])
        // keys are paths: the folder as given joined with the path inside it
        #expect(docs.map(\.key) == ["NOTES", "a/page.html", "a/readme.md", "b.txt", "c/docs.jsonl#7"].map { "\(r)/\($0)" })
        let page = try #require(docs.first { $0.key == "\(r)/a/page.html" })
        #expect(page.title == "页 面")
        #expect(page.text.contains("集体协商"))
        #expect(page.text.contains("a&b 中"))
        #expect(!page.text.contains("var x") && !page.text.contains("p{}") && !page.text.contains("<"))
        #expect(docs.first { $0.key == "\(r)/a/readme.md" }?.title == "标题")
        #expect(docs.first { $0.key == "\(r)/c/docs.jsonl#7" }?.text == "T\u{1F}\n身体")
        #expect(warnings.contains { $0.contains("bin.txt") && $0.contains("binary") })
        #expect(warnings.contains { $0.contains("image.png") && $0.contains("binary") })
        #expect(warnings.contains { $0.contains("loop") })

        var hidden = InputOptions()
        hidden.includesHidden = true
        let (all, _) = try readAll([r], hidden)
        #expect(all.map(\.key).contains("\(r)/.hidden/x.txt"))
        #expect(all.map(\.key).contains("\(r)/.git/HEAD.txt"))
    }

    @Test("JSON Lines: bad lines are reported with file:line and skipped, the rest is read")
    func badLines() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let path = root.appendingPathComponent("d.jsonl").path
        try write("""
        {"id":"a","title":"标题","body":"正文"}
        {"id":"b","body":"only body"
        not json

        {"title":"no id","body":"x"}
        {"id":3,"title":null,"body":"escapes \\u00e9\\n\\ud83d\\ude00 \\"q\\""}
        {"id":"e","other":1}
        {"id":"f","body":["nested"]}
        """, to: path)
        let (docs, warnings) = try readAll([path])
        #expect(docs.map(\.key) == ["a", "4", "3"])
        #expect(docs[0].text == "标题\u{1F}\n正文")
        #expect(docs[0].title == "标题")
        #expect(docs[2].text == "\u{1F}\nescapes é\n😀 \"q\"")
        // 4 bad lines, and line 5 keyed by its number while the others have ids
        #expect(warnings.count == 5, "\(warnings)")
        #expect(warnings.contains("\(path):5: no \"id\" member: keyed by its 0-based line number 4"))
        for line in [2, 3, 7, 8] {
            #expect(warnings.contains { $0.hasPrefix("\(path):\(line): ") }, "line \(line)")
        }
    }

    @Test("JSON Lines: a string with a quote, backslash, escape or control character at any byte of an 8-byte word reads as Foundation's JSON reader reads it")
    func stringsWithSpecialBytesAtEveryOffset() throws {
        // text around the special byte: ASCII, CJK (3-byte UTF-8) and a 4-byte scalar, so that
        // it falls on every byte of a word, before, inside and after the word-at-a-time scan
        let pieces = ["a", "集", "体", "😀", "xy", " ", "协商"]
        let specials = ["\\\"", "\\\\", "\\n", "\\u00e9", "\\ud83d\\ude00", "\\/", "\\t"]
        for lead in 0..<20 {
            for special in specials {
                var encoded = ""
                for k in 0..<lead { encoded += pieces[k % pieces.count] }
                encoded += special
                for k in 0..<(lead % 11) { encoded += pieces[(k + lead) % pieces.count] }
                let line = "{\"id\":\"k\",\"body\":\"\(encoded)\"}"
                let members = try Array(line.utf8).withUnsafeBufferPointer { try JSONLineParser.parse($0) }
                let oracle = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                guard case .text(let got) = members["body"] else { Issue.record("no body: \(line)"); continue }
                #expect(got == oracle?["body"] as? String, "\(line)")
            }
            // a raw control character ends the string with an error naming its column
            for control: UInt8 in [0x00, 0x01, 0x0A, 0x1F] {
                var bytes = Array("{\"id\":\"k\",\"body\":\"".utf8)
                for k in 0..<lead { bytes += Array(pieces[k % pieces.count].utf8) }
                let column = bytes.count + 1
                bytes += [control] + Array("tail\"}".utf8)
                do {
                    _ = try bytes.withUnsafeBufferPointer { try JSONLineParser.parse($0) }
                    Issue.record("a control character \(control) after \(lead) pieces was accepted")
                } catch let f as JSONLineParser.Failure {
                    #expect(f.message == "control character in a string at column \(column)")
                }
            }
        }
    }

    @Test("the word-at-a-time search for a quote, backslash or control character finds the first one, as looking at each byte does")
    func wordTestAgreesWithBytes() {
        var rng = SplitMix64(seed: 17)
        let plain: [UInt8] = [0x20, 0x21, 0x23, 0x5B, 0x5D, 0x7F, 0x80, 0xE4, 0xFF, 0x61]
        for lane in 0..<8 {
            for value in 0...255 {
                for round in 0..<4 {
                    var bytes = (0..<8).map { _ in plain[Int(rng.next() % UInt64(plain.count))] }
                    if round == 3 { bytes = (0..<8).map { _ in UInt8(truncatingIfNeeded: rng.next()) } }
                    bytes[lane] = UInt8(value)
                    let word = bytes.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << UInt64(8 * $1.offset) }
                    let first = bytes.firstIndex { $0 == 0x22 || $0 == 0x5C || $0 < 0x20 }
                    let flags = JSONLineParser.specialByteFlags(word)
                    #expect((flags == 0 ? nil : flags.trailingZeroBitCount / 8) == first, "\(bytes)")
                }
            }
        }
    }

    @Test("JSON Lines: lines cut by the reader's chunks are read whole, CRLF, blank lines and a last line without a newline included")
    func linesAcrossChunks() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let path = root.appendingPathComponent("d.jsonl").path
        var rng = SplitMix64(seed: 5)
        var text = ""
        var expected: [(String, String)] = []
        for n in 0..<3_000 {
            let body = String(repeating: "集体协商", count: Int(rng.next() % 90))
            text += "{\"id\":\"\(n)\",\"body\":\"\(body)\"}" + (n % 7 == 0 ? "\r\n" : "\n") + (n % 13 == 0 ? "\n" : "")
            expected.append(("\(n)", "\u{1F}\n" + body))
        }
        text += "{\"id\":\"last\",\"body\":\"末\"}"
        expected.append(("last", "\u{1F}\n末"))
        #expect(text.utf8.count > 4 << 18)
        try write(text, to: path)
        let (docs, warnings) = try readAll([path])
        #expect(warnings.isEmpty)
        #expect(docs.map(\.key) == expected.map(\.0))
        #expect(docs.map(\.text) == expected.map(\.1))
    }

    @Test("JSON Lines: a line nesting more than 128 arrays and objects is skipped with a warning, not a stack overflow")
    func deepNesting() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let path = root.appendingPathComponent("d.jsonl").path
        func nested(_ depth: Int) -> String { String(repeating: "[", count: depth) + String(repeating: "]", count: depth) }
        // the line's object is one level: a member value may open 127 more
        try write("""
        {"id":"a","body":"集体","extra":\(nested(JSONLineParser.maxNesting - 1))}
        {"id":"b","body":"协商","extra":\(nested(JSONLineParser.maxNesting))}
        {"id":"c","body":"工资","extra":{"x":\(nested(20_000))}}
        {"id":"d","body":"职工"}
        """, to: path)
        let (docs, warnings) = try readAll([path])
        #expect(docs.map(\.key) == ["a", "d"])
        // the column of the bracket that opens level 129 (lines 2 and 3 start their brackets at
        // byte 35 and 40, inside one and two objects)
        #expect(warnings == [
            "\(path):2: skipping bad line: nesting too deep (more than 128 arrays and objects) at column \(35 + 127)",
            "\(path):3: skipping bad line: nesting too deep (more than 128 arrays and objects) at column \(40 + 126)",
        ])
    }

    @Test("JSON Lines: custom id, title and text fields")
    func customFields() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let path = root.appendingPathComponent("d.txt").path
        try write("{\"doc\":\"x1\",\"name\":\"N\",\"a\":\"甲\",\"b\":\"乙\"}\n", to: path)
        var o = InputOptions()
        o.forcesJSONLines = true
        o.idField = "doc"
        o.titleField = "name"
        o.textFields = ["b", "a"]
        let (docs, _) = try readAll([path], o)
        #expect(docs.map(\.key) == ["x1"])
        #expect(docs.map(\.title) == ["N"])
        #expect(docs.map(\.text) == ["乙\u{1F}\n甲"])
    }

    @Test("gzip JSON Lines are read transparently")
    func gzip() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let plain = root.appendingPathComponent("d.jsonl").path
        try write("{\"id\":\"g\",\"body\":\"压缩\"}\n", to: plain)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/gzip")
        p.arguments = [plain]
        try p.run()
        p.waitUntilExit()
        let (docs, _) = try readAll([plain + ".gz"])
        #expect(docs.map(\.key) == ["g"])
        #expect(docs.first?.text == "\u{1F}\n压缩")
    }

    /// `text` in `form`, with its byte order mark first when `mark`.
    static func encoded(_ text: String, _ form: WideJSONDecoder.Form, mark: Bool) -> [UInt8] {
        func bytes(_ u: UInt32, _ size: Int, bigEndian: Bool) -> [UInt8] {
            let little = (0..<size).map { UInt8(truncatingIfNeeded: u >> (8 * UInt32($0))) }
            return bigEndian ? little.reversed() : little
        }
        let scalars = (mark ? "\u{FEFF}" : "") + text
        switch form {
        case .utf16LittleEndian: return scalars.utf16.flatMap { bytes(UInt32($0), 2, bigEndian: false) }
        case .utf16BigEndian: return scalars.utf16.flatMap { bytes(UInt32($0), 2, bigEndian: true) }
        case .utf32LittleEndian: return scalars.unicodeScalars.flatMap { bytes($0.value, 4, bigEndian: false) }
        case .utf32BigEndian: return scalars.unicodeScalars.flatMap { bytes($0.value, 4, bigEndian: true) }
        }
    }

    @Test("JSON Lines in UTF-16 or UTF-32, with a byte order mark or without, gzip or not, read as the same lines in UTF-8 (once failed as bad lines)")
    func wideJSONLines() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        // CJK, Hangul, a supplementary-plane ideograph and an emoji (surrogate pairs in UTF-16),
        // escapes, CRLF and a blank line
        let text = "{\"id\":\"a\",\"title\":\"集体\",\"body\":\"集体协商 𠀀 😀\"}\r\n\n {\"id\":\"b\",\"body\":\"한국어 \\u00e9\\n日本語\"}\n"
            + "{\"id\":\"c\",\"body\":\"最后一行\"}"
        let utf8Path = root.appendingPathComponent("utf8.jsonl").path
        try write(text, to: utf8Path)
        let (expected, none) = try readAll([utf8Path])
        #expect(expected.map(\.key) == ["a", "b", "c"])
        #expect(none.isEmpty)
        let forms: [WideJSONDecoder.Form] = [.utf16LittleEndian, .utf16BigEndian, .utf32LittleEndian, .utf32BigEndian]
        for form in forms {
            for mark in [true, false] {
                let path = root.appendingPathComponent("\(form.name)-\(mark).jsonl").path
                try Data(Self.encoded(text, form, mark: mark)).write(to: URL(fileURLWithPath: path))
                var notes: [String] = []
                var docs: [SourceDocument] = []
                var warnings: [String] = []
                let source = DocumentSource(options: InputOptions()) { warnings.append($0) }
                source.note = { notes.append($0) }
                try source.read(paths: [path]) { docs.append($0) }
                #expect(warnings.isEmpty, "\(form.name), mark \(mark)")
                #expect(notes == ["\(path): JSON Lines in \(form.name), converted to UTF-8 as read"])
                #expect(docs.map(\.key) == expected.map(\.key), "\(form.name), mark \(mark)")
                #expect(docs.map(\.title) == expected.map(\.title))
                #expect(docs.map(\.text) == expected.map(\.text))
            }
        }
        // gzip: converted after inflating
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/gzip")
        p.arguments = [root.appendingPathComponent("UTF-16LE-true.jsonl").path]
        try p.run()
        p.waitUntilExit()
        let (docs, warnings) = try readAll([root.appendingPathComponent("UTF-16LE-true.jsonl.gz").path])
        #expect(warnings.isEmpty)
        #expect(docs.map(\.text) == expected.map(\.text))
    }

    @Test("UTF-16/32 JSON Lines: a code unit or surrogate pair cut by a chunk's end decodes whole; lone surrogates, values past U+10FFFF and a cut last unit become U+FFFD, counted and warned about")
    func wideJSONDecoderChunks() throws {
        let text = "{\"id\":\"x\",\"body\":\"𠀀😀集体协商\"}\n"
        for form in [WideJSONDecoder.Form.utf16LittleEndian, .utf16BigEndian, .utf32LittleEndian, .utf32BigEndian] {
            let bytes = Self.encoded(text, form, mark: false)
            // every cut into pieces of 1 to 7 bytes gives the text
            for piece in 1...7 {
                var decoder = WideJSONDecoder(form)
                var out: [UInt8] = []
                var i = 0
                while i < bytes.count {
                    let end = min(bytes.count, i + piece)
                    bytes[i..<end].withUnsafeBufferPointer { decoder.decode($0, into: &out) }
                    i = end
                }
                decoder.finish(into: &out)
                #expect(String(decoding: out, as: UTF8.self) == text, "\(form.name), pieces of \(piece)")
                #expect(decoder.replaced == 0)
            }
        }
        // UTF-16LE: a lone high surrogate before "a", a lone low one, then a last byte cut short
        var decoder = WideJSONDecoder(.utf16LittleEndian)
        var out: [UInt8] = []
        [0x3D, 0xD8, 0x61, 0x00, 0x00, 0xDC, 0x62, 0x00, 0x3D].withUnsafeBufferPointer { decoder.decode($0, into: &out) }
        decoder.finish(into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "\u{FFFD}a\u{FFFD}b\u{FFFD}")
        #expect(decoder.replaced == 3)
        // UTF-32BE: a surrogate and a value past U+10FFFF
        decoder = WideJSONDecoder(.utf32BigEndian)
        out = []
        [0, 0, 0, 0x7B, 0, 0, 0xD8, 0, 0, 0x11, 0, 0, 0, 0, 0, 0x7D].withUnsafeBufferPointer { decoder.decode($0, into: &out) }
        decoder.finish(into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "{\u{FFFD}\u{FFFD}}")
        #expect(decoder.replaced == 2)
        // through a file: the line reads with its replacement, and the file's count is warned about
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let path = root.appendingPathComponent("bad.jsonl").path
        let line = Self.encoded("{\"id\":\"k\",\"body\":\"集", .utf16LittleEndian, mark: true)
            + [0x00, 0xDC] + Self.encoded("体\"}\n", .utf16LittleEndian, mark: false)
        try Data(line).write(to: URL(fileURLWithPath: path))
        let (docs, warnings) = try readAll([path])
        #expect(docs.map(\.text) == ["\u{1F}\n集\u{FFFD}体"])
        #expect(warnings == ["\(path): 1 code unit that is not UTF-16LE text, replaced by U+FFFD"])
    }

    @Test("a truncated gzip file, damaged gzip data, or a .gz that is not gzip is an error naming the file")
    func damagedGzip() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let plain = root.appendingPathComponent("d.jsonl").path
        try write((0..<3000).map { "{\"id\":\"\($0)\",\"body\":\"集体协商第\($0)次\"}\n" }.joined(), to: plain)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-k", plain]
        try gzip.run()
        gzip.waitUntilExit()
        let whole = try [UInt8](Data(contentsOf: URL(fileURLWithPath: plain + ".gz")))
        #expect(try readAll([plain + ".gz"]).0.count == 3000)

        func expectError(_ bytes: [UInt8], named name: String, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let path = root.appendingPathComponent(name).path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            // streamed as JSON Lines, and read whole as a text file
            for read in [{ _ = try readAll([path]) }, { _ = try FileContents.read(path) }] {
                do {
                    try read()
                    Issue.record("\(name) was read without an error", sourceLocation: sourceLocation)
                } catch {
                    #expect("\(error)".hasPrefix("\(path): \(message)"), "\(error)", sourceLocation: sourceLocation)
                }
            }
        }
        for cut in [whole.count / 2, whole.count - 8, 11] {
            try expectError(Array(whole.prefix(cut)), named: "cut\(cut).jsonl.gz", "unexpected end of compressed data")
        }
        try expectError(Array("{\"id\":\"x\",\"body\":\"plain\"}\n".utf8), named: "plain.jsonl.gz", "not gzip data")
        try expectError([0x1F, 0x8B, 0x08, 0x00] + [UInt8](repeating: 0xEE, count: 400), named: "bad.jsonl.gz", "not valid gzip data")
    }

    @Test("HTML: entities decoded, inline tags keep a CJK run whole, block tags separate words")
    func html() {
        let (text, title) = HTMLText.extract("<title>A &lt;B&gt;</title><div>one</div><div>two</div>集<i>体</i><!-- 注释 -->&unknown; &#26376;")
        #expect(title == "A <B>")
        #expect(text.contains("one\ntwo"))
        #expect(text.contains("集体"))
        #expect(!text.contains("注释"))
        #expect(text.hasSuffix("&unknown; 月"))
    }

    @Test("text that is mostly invalid UTF-8 is skipped; a few bad bytes are replaced")
    func binaryDetection() {
        let source = DocumentSource()
        #expect(source.decodeText([UInt8](repeating: 0xFF, count: 100), path: "x") == nil)
        #expect(source.decodeText(Array("正常的文本 with one bad byte".utf8) + [0xFF], path: "x") != nil)
    }
}

@Suite("File names as bytes")
struct PathBytesTests {
    @Test("every byte string round-trips through PathBytes; valid UTF-8 stays as it is")
    func roundTrip() {
        var rng: UInt64 = 0x9E3779B97F4A7C15
        for length in 0..<200 {
            var bytes: [UInt8] = []
            for _ in 0..<length {
                rng = rng &* 6364136223846793005 &+ 1442695040888963407
                bytes.append(UInt8(truncatingIfNeeded: rng >> 33))
            }
            let s = PathBytes.string(bytes)
            #expect(PathBytes.bytes(s) == bytes)
            #expect(PathBytes.cString(s).dropLast().map { UInt8(bitPattern: $0) } == bytes)
        }
        #expect(PathBytes.string(Array("集体/协商.txt".utf8)) == "集体/协商.txt")
        #expect(PathBytes.displayed(PathBytes.string([0x61, 0xFF, 0xC3])) == "a\\xFF\\xC3")
        // the escape scalars' own UTF-8 spelling is escaped byte by byte, so it maps back exactly
        let spelled: [UInt8] = [0xF4, 0x8F, 0xBF, 0xBF]
        #expect(PathBytes.bytes(PathBytes.string(spelled)) == spelled)
    }
}

@Suite("Glob syntax")
struct GlobSyntaxTests {
    @Test("well-formed globs have no problem", arguments: ["*.txt", "a?c", "[abc]", "[!abc]", "[^a-z]", "[]]", "[]a]", "[!]a]", "[a-]",
                                                          "[-a]", "[[:alpha:]_]", "[[:digit:][:upper:]]", "\\[", "\\*", "a\\\\", "**/x/*.md",
                                                          "[\\]]", "[a\\-z]", "[[]", "x[[.a.]]", "[[=e=]]"])
    func wellFormed(glob: String) {
        #expect(GlobSyntax.problem(glob) == nil, "\(glob)")
    }

    @Test("malformed globs are named with what is wrong",
          arguments: [("[", "never closed"), ("a[b", "never closed"), ("[]", "never closed"), ("[!]", "never closed"),
                      ("[^", "never closed"), ("x[\\]", "never closed"), ("[z-a]", "the range z-a is reversed"),
                      ("[a-c9-0]", "the range 9-0 is reversed"), ("[[:letters:]]", "unknown character class [:letters:]"),
                      ("[[:alpha]", "[: in a character class is never closed"), ("a\\", "escapes nothing")])
    func malformed(glob: String, problem: String) {
        let found = GlobSyntax.problem(glob)
        #expect(found?.contains(problem) == true, "\(glob): \(found ?? "nil")")
    }
}
