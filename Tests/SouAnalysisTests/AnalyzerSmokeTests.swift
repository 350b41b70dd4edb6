import Testing
@testable import SouAnalysis

@Test("a CJK run becomes overlapping bigrams")
func cjkRunBecomesBigrams() throws {
    let tokens = try Analyzer().analyze("集体协商")
    #expect(tokens.map(\.term) == ["集体", "体协", "协商"])
    #expect(tokens.map(\.position) == [0, 1, 2])
}
