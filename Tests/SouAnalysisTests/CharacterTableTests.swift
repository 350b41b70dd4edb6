import Testing
@testable import SouAnalysis

/// The lazily derived tables against the direct, per-code-point derivation (``ICUReference``).
@Suite("Character data derived lazily from ICU")
struct CharacterTableTests {
    @Test("every class byte equals the per-code-point derivation, for all 0x110000 code points")
    func classesMatchReference() throws {
        let reference = try ICUReference.classes()
        let table = try CharacterTable()
        var mismatches: [String] = []
        for c in 0..<UInt32(0x110000) {
            let value = table.flags(c)
            if value & CharacterClass.derived == 0 || value & ~CharacterClass.derived != reference[Int(c)] {
                mismatches.append("U+\(String(c, radix: 16, uppercase: true)): \(value) vs \(reference[Int(c)])")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) differ: \(mismatches.prefix(20))")
        #expect(table.flags(CharacterTable.invalid) & ~CharacterClass.derived == CharacterClass.other)
    }

    @Test("the mapping of every character NFKC_Casefold changes equals ICU's normalization of it")
    func mappingsMatchReference() throws {
        let reference = try ICUReference.classes()
        let table = try CharacterTable()
        var mapped = 0
        var mismatches: [String] = []
        for c in 0..<UInt32(0x110000) where reference[Int(c)] & CharacterClass.mapped != 0 {
            mapped += 1
            _ = table.flags(c)
            let expected = try ICUReference.nfkcCasefold(c)
            if Array(table.mapping(c)) != expected {
                mismatches.append("U+\(String(c, radix: 16, uppercase: true)): \(Array(table.mapping(c))) vs \(expected)")
            }
        }
        #expect(mapped > 5000)     // fullwidth forms, capitals, compatibility characters...
        #expect(mismatches.isEmpty, "\(mismatches.count) differ: \(mismatches.prefix(20))")
    }

    @Test("threads deriving the same pages at once all read the reference values and mappings")
    func concurrentDerivation() async throws {
        let reference = try ICUReference.classes()
        var mappings: [UInt32: [UInt32]] = [:]
        let table = try CharacterTable()
        // Eight tasks walk the same code points (CJK, Hangul, fullwidth forms, Latin) in
        // different orders, so that several of them meet on pages being derived.
        let ranges: [ClosedRange<UInt32>] = [0x3000...0x30FF, 0x4E00...0x5FFF, 0xAC00...0xAFFF, 0xFF00...0xFFEF, 0x100...0x24F]
        let points = ranges.flatMap { Array($0) }
        for c in points where reference[Int(c)] & CharacterClass.mapped != 0 { mappings[c] = try ICUReference.nfkcCasefold(c) }
        let expectedMappings = mappings
        let results = await withTaskGroup(of: [String].self) { group in
            for task in 0..<8 {
                group.addTask {
                    var mismatches: [String] = []
                    let order = task % 2 == 0 ? points : points.reversed()
                    for c in order {
                        let value = table.flags(c) & ~CharacterClass.derived
                        if value != reference[Int(c)] { mismatches.append("U+\(String(c, radix: 16))") }
                        if value & CharacterClass.mapped != 0, Array(table.mapping(c)) != expectedMappings[c] {
                            mismatches.append("mapping of U+\(String(c, radix: 16))")
                        }
                    }
                    return mismatches
                }
            }
            var all: [String] = []
            for await mismatches in group { all += mismatches }
            return all
        }
        #expect(results.isEmpty, "\(results.count) differ: \(results.prefix(20))")
    }

    @Test("Traditional-Simplified folding equals one transliteration of every Han/Kana character")
    func foldingMatchesReference() throws {
        let reference = try ICUReference.classes()
        let hanKana = (0..<UInt32(0x110000)).filter { reference[Int($0)] & CharacterClass.mask == CharacterClass.hanKana }
        let expected = try ICUReference.folds(hanKana, transliteratorID: "Traditional-Simplified")
        #expect(expected.count > 2000)      // 系統 → 系统 and thousands more
        let folding = try VariantFolding(transliteratorID: "Traditional-Simplified", characters: try CharacterTable())
        var mismatches: [String] = []
        for c in hanKana where folding.fold(c) != (expected[c] ?? c) {
            mismatches.append("U+\(String(c, radix: 16, uppercase: true)): \(folding.fold(c)) vs \(expected[c] ?? c)")
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) differ: \(mismatches.prefix(20))")
    }
}
