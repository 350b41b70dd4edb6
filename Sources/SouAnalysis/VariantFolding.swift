import CICUShim

/// An ICU transliterator, owned: opened by `init`, closed by `deinit`, never copied.
///
/// ICU transliterators are not thread-safe; a non-copyable owner cannot be shared between
/// threads by accident. Used by the tests, as the reference ``VariantFolding`` is checked
/// against (the analyzer's fold uses the C shim's own, behind a lock).
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
/// Derived from ICU's `Traditional-Simplified` transliterator by running it over every Han/Kana
/// character separately (so the fold never changes how many characters a run has, and byte
/// ranges stay exact), lazily: a page of 256 code points at a time, the first time a run
/// character of that page is folded (`SouFoldTable` in the C shim). Opening the transliterator
/// (ICU compiles its rules) is the one fixed cost. Safe to use from any thread.
final class VariantFolding: @unchecked Sendable {
    /// The C table: owned, closed by `deinit`.
    private let handle: OpaquePointer
    /// Its entries (read with `sou_fold_table_load` only).
    private let entries: UnsafePointer<UInt32>
    /// The character table the fold's Han/Kana classes come from (kept alive: the C table
    /// refers to it).
    private let characters: CharacterTable

    /// Traditional → Simplified Chinese (系統 → 系统), created on first use.
    static let traditionalToSimplified = Result { () throws(AnalyzerError) -> VariantFolding in
        try VariantFolding(transliteratorID: "Traditional-Simplified", characters: CharacterTable.shared.get())
    }

    /// A new, empty fold through ICU's transliterator `transliteratorID` (tests use their own).
    init(transliteratorID: String, characters: CharacterTable) throws(AnalyzerError) {
        var error: Int32 = 0
        guard let handle = sou_fold_table_open(characters.handle, transliteratorID, &error) else {
            throw AnalyzerError.icu("cannot open the \(transliteratorID) transliterator (error \(error))")
        }
        self.handle = handle
        self.entries = sou_fold_table_entries(handle)
        self.characters = characters
    }

    deinit { sou_fold_table_close(handle) }

    /// The folded form of `c` (a Han/Kana character: others are returned unchanged).
    @inline(__always)
    func fold(_ c: UInt32) -> UInt32 {
        assert(c < 0x110000)
        let entry = sou_fold_table_load(entries, c)
        return (entry != 0 ? entry : derive(c)) & ~SOU_FOLD_DERIVED
    }

    @inline(never)
    private func derive(_ c: UInt32) -> UInt32 {
        let entry = sou_fold_table_derive(handle, c)
        // One page was folded when the table was opened, so the transliterator works; failing
        // later means ICU could not allocate memory, where Swift itself traps too.
        guard entry != 0 else { fatalError("ICU failed to fold U+\(String(c, radix: 16, uppercase: true))") }
        return entry
    }
}
