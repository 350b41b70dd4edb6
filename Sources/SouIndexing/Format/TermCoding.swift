/// Helpers of the dictionary's front coding (FORMAT.md "Terms").
enum TermCoding {
    /// For a term of exactly two Unicode scalars (a CJK bigram): the byte length of the first
    /// and the code point of the second; nil otherwise.
    @inline(__always)
    static func twoScalars<C: Collection>(_ term: C) -> (firstLength: Int, second: UInt32)? where C.Element == UInt8, C.Index == Int {
        guard let first = scalar(term, at: term.startIndex),
              let second = scalar(term, at: term.startIndex + first.length),
              term.startIndex + first.length + second.length == term.endIndex else { return nil }
        return (first.length, second.value)
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
