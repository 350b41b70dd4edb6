import CICUShim

/// An ICU transliterator, owned: opened by `init`, closed by `deinit`, never copied.
///
/// ICU transliterators are not thread-safe; a non-copyable owner cannot be shared between
/// threads by accident. Sou uses one only while building ``VariantFolding/traditionalToSimplified``.
struct ICUTransliterator: ~Copyable {
    private let handle: OpaquePointer

    /// Opens ICU's transliterator `id` (`utrans_openU`), e.g. `"Traditional-Simplified"`.
    init(id: String) throws(AnalyzerError) {
        var error: Int32 = 0
        guard let handle = sou_transliterator_open(id, &error) else {
            throw AnalyzerError.icu("cannot open the \(id) transliterator (error \(error))")
        }
        self.handle = handle
    }

    deinit { sou_transliterator_close(handle) }

    /// Transliterates code points (`utrans_transUChars`).
    func transform(_ input: [UInt32]) throws(AnalyzerError) -> [UInt32] {
        var capacity = input.count + input.count / 2 + 16
        while true {
            var output = [UInt32](repeating: 0, count: capacity)
            let count = input.withUnsafeBufferPointer { source in
                output.withUnsafeMutableBufferPointer { target in
                    sou_transliterator_transform(handle, source.baseAddress, Int32(source.count),
                                                 target.baseAddress, Int32(target.count))
                }
            }
            guard count >= 0 else { throw AnalyzerError.icu("transliteration failed") }
            if Int(count) <= capacity {
                output.removeLast(capacity - Int(count))
                return output
            }
            capacity = Int(count)
        }
    }
}

/// Character-by-character folding of CJK variants, applied to the characters of CJK runs
/// after NFKC_Casefold.
///
/// Built once per process from ICU's `Traditional-Simplified` transliterator by running it over
/// every Han/Kana character separately (so the fold never changes how many characters a run
/// has, and byte ranges stay exact); the resulting table is immutable and shared by all threads.
final class VariantFolding: Sendable {
    /// Simplified form of each BMP character (0 = unchanged).
    let bmp: [UInt32]
    /// The same for supplementary-plane characters.
    let supplementary: [UInt32: UInt32]
    /// Number of characters the table changes.
    let count: Int

    /// Traditional → Simplified Chinese (系統 → 系统), built on first use.
    static let traditionalToSimplified = Result { () throws(AnalyzerError) -> VariantFolding in
        guard case .success(let table) = CharacterTable.shared else {
            throw AnalyzerError.icu("character table unavailable")
        }
        return try VariantFolding(transliteratorID: "Traditional-Simplified", table: table)
    }

    private init(transliteratorID: String, table: CharacterTable) throws(AnalyzerError) {
        let transliterator = try ICUTransliterator(id: transliteratorID)
        var characters: [UInt32] = []
        for c in 0..<UInt32(0x110000) where table.characterClass(c) == CharacterClass.hanKana {
            characters.append(c)
        }
        // One call over "c\n" for every character: no rule can see two characters at once.
        var input: [UInt32] = []
        input.reserveCapacity(characters.count * 2)
        for c in characters { input.append(c); input.append(0x0A) }
        let output = try transliterator.transform(input)
        var bmp = [UInt32](repeating: 0, count: 0x10000)
        var supplementary: [UInt32: UInt32] = [:]
        var changed = 0
        var index = 0
        var segmentStart = 0
        for (k, value) in output.enumerated() where value == 0x0A {
            guard index < characters.count else { break }
            let source = characters[index]
            // Only one-to-one changes are kept: a fold must not change a run's length.
            if k - segmentStart == 1, output[segmentStart] != source {
                let target = output[segmentStart]
                if source < 0x10000 { bmp[Int(source)] = target } else { supplementary[source] = target }
                changed += 1
            }
            index += 1
            segmentStart = k + 1
        }
        guard index == characters.count else {
            throw AnalyzerError.icu("\(transliteratorID) transliteration changed the line structure")
        }
        self.bmp = bmp
        self.supplementary = supplementary
        self.count = changed
    }

    /// The folded form of `c`.
    @inline(__always)
    func fold(_ c: UInt32) -> UInt32 {
        if c < 0x10000 {
            let folded = bmp[Int(c)]
            return folded == 0 ? c : folded
        }
        return supplementary[c] ?? c
    }
}
