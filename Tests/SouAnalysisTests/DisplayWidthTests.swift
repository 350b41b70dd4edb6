import Testing
@testable import SouAnalysis

@Suite("Display width")
struct DisplayWidthTests {
    /// (code point, columns): wide and fullwidth, narrow, ambiguous, zero-width marks, format and
    /// control characters, conjoining jamo, the soft hyphen, and beyond the BMP.
    static let cases: [(UInt32, Int)] = [
        (0x41, 1), (0x4E2D, 2), (0x6587, 2), (0x3042, 2), (0x30A2, 2), (0xFF21, 2), (0xFF71, 1),
        (0xAC00, 2), (0x1100, 2), (0x1160, 0), (0x11A8, 0), (0xE9, 1), (0x301, 0), (0x20DD, 0),
        (0x200B, 0), (0xAD, 1), (0x7, 0), (0x85, 0), (0xB7, 1), (0x2026, 1), (0x3000, 2),
        (0x1F600, 2), (0x20000, 2), (0xE0001, 0),
    ]

    @Test("each code point takes the columns of its East_Asian_Width and category, asked once or again")
    func columnsOfCodePoints() {
        for round in 0..<2 {   // the second round reads what the first one remembered
            for (value, expected) in Self.cases {
                let scalar = Unicode.Scalar(value)!
                #expect(DisplayWidth.columns(scalar) == expected, "U+\(String(value, radix: 16, uppercase: true)), round \(round)")
            }
        }
    }

    @Test("a string's columns are the sum of its characters' columns")
    func columnsOfStrings() {
        #expect(DisplayWidth.columns("ファイル名 abc") == 14)
        #expect(DisplayWidth.columns("e\u{301}") == 1)
        #expect(DisplayWidth.columns("") == 0)
    }
}
