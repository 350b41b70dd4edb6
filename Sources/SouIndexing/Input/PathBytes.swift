import Glibc

/// File names are bytes, not always UTF-8 (`bad_\xff.txt`). Sou carries paths in Strings that
/// round-trip to the exact bytes: each byte that is not part of valid UTF-8 stands as the scalar
/// U+10FF00 + byte (U+10FF80…U+10FFFF, private use, which no file name spells: their own UTF-8
/// encoding in a name is escaped byte by byte too), as Python's "surrogateescape" does with lone
/// surrogates (which a Swift String cannot hold). ``cString(_:)`` gives the bytes back for system
/// calls; ``displayed(_:)`` shows such bytes as `\xFF` (keys and messages).
public enum PathBytes {
    static let base: UInt32 = 0x10FF00

    /// The String standing for the bytes of a path.
    public static func string<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        if let plain = bytes.withContiguousStorageIfAvailable({ plainString($0) }), let plain { return plain }
        let b = Array(bytes)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < b.count {
            let n = validLength(b, i)
            if n == 0 {
                out.append(Unicode.Scalar(base + UInt32(b[i]))!)
                i += 1
                continue
            }
            let scalar = String(decoding: b[i..<(i + n)], as: UTF8.self).unicodeScalars.first!
            if scalar.value >= base + 0x80, scalar.value <= base + 0xFF {
                // a name spelling the escape scalars themselves: escape its bytes, so that the String
                // maps back to exactly these bytes
                for k in i..<(i + n) { out.append(Unicode.Scalar(base + UInt32(b[k]))!) }
            } else {
                out.append(scalar)
            }
            i += n
        }
        return String(out)
    }

    /// The String of `bytes` when they are valid UTF-8 without byte 0xF4 (which starts every
    /// scalar from U+100000 on, so the escape scalars too): then it is the bytes decoded as they
    /// are, with no per-scalar work (the names of almost every folder walked). nil otherwise.
    static func plainString(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard isPlain(bytes) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// True when ``string(_:)`` of `bytes` is `bytes` decoded as UTF-8: valid UTF-8 without byte
    /// 0xF4. ASCII (most names) is checked eight bytes at a time; anything else is decoded and
    /// compared with the bytes (a repair would have changed them).
    static func isPlain(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return true }
        var i = 0
        var high: UInt64 = 0
        // bounds: loadUnaligned reads bytes i..<i+8, all below count
        while i + 8 <= bytes.count {
            high |= UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
            i += 8
        }
        while i < bytes.count {
            high |= UInt64(base[i])
            i += 1
        }
        if high & 0x8080_8080_8080_8080 == 0 { return true }
        // bounds: memchr reads the `count` bytes of the buffer
        guard memchr(base, 0xF4, bytes.count) == nil else { return false }
        var decoded = String(decoding: bytes, as: UTF8.self)
        return decoded.withUTF8 { d in d.count == bytes.count && memcmp(d.baseAddress!, base, d.count) == 0 }
    }

    /// The bytes a String from ``string(_:)`` (or any String) stands for.
    public static func bytes(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            if scalar.value >= base + 0x80, scalar.value <= base + 0xFF {
                out.append(UInt8(scalar.value - base))
            } else {
                out.append(contentsOf: String(scalar).utf8)
            }
        }
        return out
    }

    /// True when `s` holds bytes that are not UTF-8.
    public static func hasRawBytes(_ s: String) -> Bool {
        s.unicodeScalars.contains { $0.value >= base + 0x80 && $0.value <= base + 0xFF }
    }

    /// The NUL-terminated bytes of `s`, for system calls.
    public static func cString(_ s: String) -> [CChar] {
        guard hasRawBytes(s) else { return Array(s.utf8CString) }
        return bytes(s).map { CChar(bitPattern: $0) } + [0]
    }

    /// `s` with each byte that is not UTF-8 written `\xFF`: document keys and messages.
    public static func displayed(_ s: String) -> String {
        guard hasRawBytes(s) else { return s }
        var out = ""
        for scalar in s.unicodeScalars {
            if scalar.value >= base + 0x80, scalar.value <= base + 0xFF {
                let hex = String(scalar.value - base, radix: 16, uppercase: true)
                out += "\\x" + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// The length of the valid UTF-8 sequence at `b[i]` (RFC 3629: no overlong forms, no
    /// surrogates, nothing above U+10FFFF), or 0.
    static func validLength(_ b: [UInt8], _ i: Int) -> Int {
        let b0 = b[i]
        func cont(_ k: Int, _ lo: UInt8 = 0x80, _ hi: UInt8 = 0xBF) -> Bool { k < b.count && b[k] >= lo && b[k] <= hi }
        switch b0 {
        case 0x00...0x7F: return 1
        case 0xC2...0xDF: return cont(i + 1) ? 2 : 0
        case 0xE0: return cont(i + 1, 0xA0) && cont(i + 2) ? 3 : 0
        case 0xED: return cont(i + 1, 0x80, 0x9F) && cont(i + 2) ? 3 : 0
        case 0xE1...0xEF: return cont(i + 1) && cont(i + 2) ? 3 : 0
        case 0xF0: return cont(i + 1, 0x90) && cont(i + 2) && cont(i + 3) ? 4 : 0
        case 0xF1...0xF3: return cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0
        case 0xF4: return cont(i + 1, 0x80, 0x8F) && cont(i + 2) && cont(i + 3) ? 4 : 0
        default: return 0
        }
    }
}
