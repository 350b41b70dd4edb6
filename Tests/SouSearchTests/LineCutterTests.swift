import Testing
@testable import SouSearch

/// Columns by a rule stated independently of ICU for the characters these tests use.
private func columns(_ s: String) -> Int {
    s.unicodeScalars.reduce(0) { w, c in
        switch c.value {
        case 0x0300...0x036F: w          // combining diacritical marks
        case 0x3040...0x30FF, 0x4E00...0x9FFF, 0xAC00...0xD7A3, 0xFF01...0xFF60: w + 2
        default: w + 1
        }
    }
}

@Suite("LineCutter: cutting lines to terminal columns")
struct LineCutterTests {
    @Test("a line that fits comes back unchanged with its highlights", arguments: [10, 11, 100])
    func fits(limit: Int) {
        let line = "集体协商abc" // 11 columns
        let r = LineCutter.cut(Array(line.utf8), highlights: [0..<12], maxColumns: limit)
        if limit >= 11 {
            #expect(r.text == line && r.highlights == [0..<12])
        } else {
            #expect(columns(r.text) <= limit && r.text.hasSuffix("…"))
        }
    }

    @Test("mixed scripts are cut to at most the limit, using nearly all of it, keeping the match",
          arguments: [8, 9, 20, 41, 120])
    func mixed(limit: Int) {
        let before = String(repeating: "前文ab한국어カナ", count: 30), after = String(repeating: "x後文", count: 40)
        let line = before + "集体协商" + after
        let start = before.utf8.count
        let r = LineCutter.cut(Array(line.utf8), highlights: [start..<(start + 12)], maxColumns: limit)
        #expect(columns(r.text) <= limit)
        #expect(columns(r.text) >= limit - 1, "\(r.text)")
        #expect(r.text.hasPrefix("…") && r.text.hasSuffix("…"))
        let bytes = Array(r.text.utf8)
        #expect(r.highlights.count == 1)
        #expect(String(decoding: bytes[r.highlights[0]], as: UTF8.self) == "集体协商".prefix(r.highlights[0].count / 3).description)
    }

    @Test("a match near the end keeps the end and fills the columns before it")
    func nearEnd() {
        let line = String(repeating: "文", count: 100) + "集体协商"
        let start = 300
        let r = LineCutter.cut(Array(line.utf8), highlights: [start..<(start + 12)], maxColumns: 30)
        #expect(r.text.hasPrefix("…") && !r.text.hasSuffix("…"))
        #expect(r.text.hasSuffix("集体协商"))
        #expect(columns(r.text) == 29) // 1 + 14 × 2: a 15th character would make 31
    }

    @Test("without highlights the line is cut from its start; a cut never starts on a combining mark")
    func noHighlightsAndMarks() {
        let plain = LineCutter.cut(String(repeating: "漢字", count: 50), maxColumns: 21)
        #expect(plain == String(repeating: "漢字", count: 5) + "…")
        let marked = String(repeating: "e\u{301}", count: 100) // é as e + combining acute: 1 column each
        let start = marked.utf8.count / 2
        let r = LineCutter.cut(Array(marked.utf8), highlights: [start..<(start + 3)], maxColumns: 20)
        #expect(columns(r.text) <= 20)
        let afterEllipsis = r.text.unicodeScalars.dropFirst().first
        #expect(afterEllipsis == "e", "\(r.text.unicodeScalars.map { String($0.value, radix: 16) })")
    }
}
