import CICUShim

/// The character data derived the slow, direct way — every property of every code point looked
/// up, every Han/Kana character transliterated in one call — kept as the reference the lazily
/// derived ``CharacterTable`` and ``VariantFolding`` are tested against. Not used on the
/// analysis path (it costs ~700 million instructions, ~300 ms with the transliterator).
enum ICUReference {
    /// The class byte (class and the `mapped` / `noBoundaryBefore` flags, without the derived
    /// flag) of every code point `0...0x10FFFF`, by `sou_char_classes`.
    static func classes() throws(AnalyzerError) -> [UInt8] {
        var classes = [UInt8](repeating: 0, count: 0x110000)
        let status = classes.withUnsafeMutableBufferPointer { sou_char_classes($0.baseAddress, 0x110000) }
        guard status == 0 else { throw AnalyzerError.icu("cannot read ICU character properties (error \(status))") }
        return classes
    }

    /// NFKC_Casefold of the code point `c` alone (`unorm2_normalize`).
    static func nfkcCasefold(_ c: UInt32) throws(AnalyzerError) -> [UInt32] {
        var input = c
        var output = [UInt32](repeating: 0, count: 64)
        let count = output.withUnsafeMutableBufferPointer { sou_nfkc_casefold(&input, 1, $0.baseAddress, 64) }
        guard count >= 0, count <= 64 else {
            throw AnalyzerError.icu("cannot normalize U+\(String(c, radix: 16, uppercase: true))")
        }
        return Array(output[0..<Int(count)])
    }

    /// NFKC_Casefold of a whole text (`unorm2_normalize` over all of it at once): the oracle that
    /// the analyzer's per-segment normalization is tested against.
    static func nfkcCasefold(text: [UInt32]) throws(AnalyzerError) -> [UInt32] {
        var capacity = text.count * 3 + 8
        while true {
            var output = [UInt32](repeating: 0, count: capacity)
            let count = text.withUnsafeBufferPointer { source in
                output.withUnsafeMutableBufferPointer { sou_nfkc_casefold(source.baseAddress, Int32(source.count), $0.baseAddress, Int32(capacity)) }
            }
            guard count >= 0 else { throw AnalyzerError.icu("cannot normalize a text of \(text.count) characters") }
            if Int(count) <= capacity { return Array(output[0..<Int(count)]) }
            capacity = Int(count)
        }
    }

    /// The characters `transliteratorID` changes one-to-one among `characters` (Han/Kana code
    /// points), from one transliteration of "c\n" for all of them: source → target.
    static func folds(_ characters: [UInt32], transliteratorID: String) throws(AnalyzerError) -> [UInt32: UInt32] {
        let transliterator = try ICUTransliterator(id: transliteratorID)
        var input: [UInt32] = []
        input.reserveCapacity(characters.count * 2)
        for c in characters { input.append(c); input.append(0x0A) }
        let output = try transliterator.transform(input)
        var folds: [UInt32: UInt32] = [:]
        var index = 0
        var segmentStart = 0
        for (k, value) in output.enumerated() where value == 0x0A {
            guard index < characters.count else { break }
            if k - segmentStart == 1, output[segmentStart] != characters[index] {
                folds[characters[index]] = output[segmentStart]
            }
            index += 1
            segmentStart = k + 1
        }
        guard index == characters.count else {
            throw AnalyzerError.icu("\(transliteratorID) transliteration changed the line structure")
        }
        return folds
    }
}
