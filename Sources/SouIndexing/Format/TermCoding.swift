/// Helpers of the dictionary's front coding (FORMAT.md "Terms").
enum TermCoding {
    /// A scalar value's UTF-8 bytes packed little-endian into a UInt32 (first byte lowest) and
    /// how many of them there are (1–4): a term's last character stored with one 4-byte write.
    @inline(__always)
    static func packedUTF8(_ v: UInt32) -> (packed: UInt32, width: Int) {
        switch v {
        case ..<0x80: return (v, 1)
        case ..<0x800: return ((0xC0 | v >> 6) | (0x80 | v & 0x3F) << 8, 2)
        case ..<0x1_0000: return ((0xE0 | v >> 12) | (0x80 | v >> 6 & 0x3F) << 8 | (0x80 | v & 0x3F) << 16, 3)
        default:
            return ((0xF0 | v >> 18) | (0x80 | v >> 12 & 0x3F) << 8 | (0x80 | v >> 6 & 0x3F) << 16 | (0x80 | v & 0x3F) << 24, 4)
        }
    }

    /// For a term of exactly two Unicode scalars (a CJK bigram): the byte length of the first
    /// and the code point of the second; nil otherwise.
    @inline(__always)
    static func twoScalars<C: Collection>(_ term: C) -> (firstLength: Int, second: UInt32)? where C.Element == UInt8, C.Index == Int {
        guard let first = scalar(term, at: term.startIndex),
              let second = scalar(term, at: term.startIndex + first.length),
              term.startIndex + first.length + second.length == term.endIndex else { return nil }
        return (first.length, second.value)
    }

    /// The second scalar of `count` bytes at `p` that are two 3-byte characters (a bigram of the
    /// Basic Multilingual Plane: CJK, kana, Hangul), nil for any other bytes: ``twoScalars(_:count:)``'s
    /// fast path alone, for a caller that has a slower way for the rest.
    @inline(__always)
    static func threeByteBigramSecond(_ p: UnsafePointer<UInt8>, count: Int) -> UInt32? {
        guard count == 6, p[0] & 0xF0 == 0xE0, p[3] & 0xF0 == 0xE0,
              (p[1] & p[2] & p[4] & p[5]) & 0x80 == 0x80, (p[1] | p[2] | p[4] | p[5]) & 0x40 == 0 else { return nil }
        let first = UInt32(p[0] & 0x0F) << 12 | UInt32(p[1] & 0x3F) << 6 | UInt32(p[2] & 0x3F)
        let second = UInt32(p[3] & 0x0F) << 12 | UInt32(p[4] & 0x3F) << 6 | UInt32(p[5] & 0x3F)
        guard first >= 0x800, second >= 0x800, first & 0xF800 != 0xD800, second & 0xF800 != 0xD800 else { return nil }
        return second
    }

    /// ``twoScalars(_:)`` of the `count` bytes at `p`, with a fast path for two 3-byte
    /// characters (a bigram of the Basic Multilingual Plane: CJK, kana, Hangul), which the
    /// dictionary scan meets after every entry that is not a character delta.
    @inline(__always)
    static func twoScalars(_ p: UnsafePointer<UInt8>, count: Int) -> (firstLength: Int, second: UInt32)? {
        // both are lead bytes of 3-byte sequences followed by two continuation bytes (high bits
        // 10): in their shortest form and not surrogates, they are scalars
        if let second = threeByteBigramSecond(p, count: count) { return (3, second) }
        return twoScalars(UnsafeBufferPointer(start: p, count: count))
    }

    /// The scalar starting at `i` (well-formed UTF-8 only).
    @inline(__always)
    static func scalar<C: Collection>(_ t: C, at i: Int) -> (value: UInt32, length: Int)? where C.Element == UInt8, C.Index == Int {
        guard i < t.endIndex else { return nil }
        let b0 = t[i]
        let n: Int
        var v: UInt32
        switch b0 {
        case 0..<0x80: return (UInt32(b0), 1)
        case 0xC2..<0xE0: n = 2; v = UInt32(b0 & 0x1F)
        case 0xE0..<0xF0: n = 3; v = UInt32(b0 & 0x0F)
        case 0xF0..<0xF5: n = 4; v = UInt32(b0 & 0x07)
        default: return nil
        }
        guard i + n <= t.endIndex else { return nil }
        for k in 1..<n {
            let b = t[i + k]
            guard b & 0xC0 == 0x80 else { return nil }
            v = v << 6 | UInt32(b & 0x3F)
        }
        // a scalar (not a surrogate, at most 0x10FFFF) in its shortest form
        let shortest: Bool = switch n {
        case 2: v >= 0x80
        case 3: v >= 0x800 && !(0xD800...0xDFFF).contains(v)
        default: v >= 0x1_0000 && v <= 0x10_FFFF
        }
        guard shortest else { return nil }
        return (v, n)
    }
}
