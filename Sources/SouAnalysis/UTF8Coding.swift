// UTF-8 in and out of the analyzer's hot loop, without Foundation or String.

/// UTF-8 decoding that never traps: invalid input yields ``CharacterTable/invalid``.
enum UTF8Scanning {
    /// Decodes the character at `i` (which must be a valid index), returning its code point and
    /// byte length. An invalid sequence (bad lead byte, truncated or overlong sequence, surrogate,
    /// value above U+10FFFF) yields ``CharacterTable/invalid`` with the length of its maximal
    /// subpart (at least 1), as the Unicode Standard recommends for U+FFFD substitution.
    @inline(__always)
    static func decode(_ p: UnsafeBufferPointer<UInt8>, at i: Int) -> (UInt32, Int) {
        let b0 = UInt32(p[i])
        if b0 < 0x80 { return (b0, 1) }
        // the common three-byte case (all of CJK and Hangul but ext. B+): E1–EC, EE–EF lead bytes
        if b0 >= 0xE1 && b0 != 0xED && b0 < 0xF0 && i + 2 < p.count {
            let b1 = UInt32(p[i + 1]), b2 = UInt32(p[i + 2])
            if b1 & 0xC0 == 0x80 && b2 & 0xC0 == 0x80 {
                return ((b0 & 0x0F) << 12 | (b1 & 0x3F) << 6 | b2 & 0x3F, 3)
            }
        }
        return decodeSlowly(p, at: i)
    }

    /// The general case of ``decode(_:at:)``.
    @inline(never)
    static func decodeSlowly(_ p: UnsafeBufferPointer<UInt8>, at i: Int) -> (UInt32, Int) {
        let b0 = UInt32(p[i])
        if b0 < 0x80 { return (b0, 1) }
        let n = p.count
        if b0 < 0xC2 { return (CharacterTable.invalid, 1) }
        if b0 < 0xE0 {
            guard i + 1 < n, p[i + 1] & 0xC0 == 0x80 else { return (CharacterTable.invalid, 1) }
            return ((b0 & 0x1F) << 6 | UInt32(p[i + 1] & 0x3F), 2)
        }
        if b0 < 0xF0 {
            guard i + 1 < n else { return (CharacterTable.invalid, 1) }
            let b1 = p[i + 1]
            let low: UInt8 = b0 == 0xE0 ? 0xA0 : 0x80
            let high: UInt8 = b0 == 0xED ? 0x9F : 0xBF
            guard b1 >= low && b1 <= high else { return (CharacterTable.invalid, 1) }
            guard i + 2 < n, p[i + 2] & 0xC0 == 0x80 else { return (CharacterTable.invalid, 2) }
            return ((b0 & 0x0F) << 12 | UInt32(b1 & 0x3F) << 6 | UInt32(p[i + 2] & 0x3F), 3)
        }
        if b0 < 0xF5 {
            guard i + 1 < n else { return (CharacterTable.invalid, 1) }
            let b1 = p[i + 1]
            let low: UInt8 = b0 == 0xF0 ? 0x90 : 0x80
            let high: UInt8 = b0 == 0xF4 ? 0x8F : 0xBF
            guard b1 >= low && b1 <= high else { return (CharacterTable.invalid, 1) }
            guard i + 2 < n, p[i + 2] & 0xC0 == 0x80 else { return (CharacterTable.invalid, 2) }
            guard i + 3 < n, p[i + 3] & 0xC0 == 0x80 else { return (CharacterTable.invalid, 3) }
            return ((b0 & 0x07) << 18 | UInt32(b1 & 0x3F) << 12 | UInt32(p[i + 2] & 0x3F) << 6
                    | UInt32(p[i + 3] & 0x3F), 4)
        }
        return (CharacterTable.invalid, 1)
    }
}

/// UTF-8 encoding into an integer, first byte lowest: a term is written with one append.
enum UTF8Encoding {
    /// The UTF-8 bytes of scalar value `c` (first byte in the low 8 bits) and their number.
    @inline(__always)
    static func encode(_ c: UInt32) -> (UInt64, Int) {
        if c < 0x80 { return (UInt64(c), 1) }
        if c < 0x800 {
            return (UInt64(0xC0 | c >> 6) | UInt64(0x80 | c & 0x3F) << 8, 2)
        }
        if c < 0x10000 {
            return (UInt64(0xE0 | c >> 12) | UInt64(0x80 | c >> 6 & 0x3F) << 8 | UInt64(0x80 | c & 0x3F) << 16, 3)
        }
        return (UInt64(0xF0 | c >> 18) | UInt64(0x80 | c >> 12 & 0x3F) << 8 | UInt64(0x80 | c >> 6 & 0x3F) << 16
                | UInt64(0x80 | c & 0x3F) << 24, 4)
    }
}
