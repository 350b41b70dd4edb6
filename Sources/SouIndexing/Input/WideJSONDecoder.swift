/// JSON Lines in UTF-16 or UTF-32, converted to UTF-8 as they stream, before lines are split.
///
/// JSON Lines are UTF-8, but Windows tools write UTF-16 (PowerShell 5's `>` and `Out-File`:
/// UTF-16LE with a byte order mark): read as UTF-8, every line of such a file was "expected a JSON
/// object at column 1". A JSON stream's encoding shows in its first four bytes (RFC 4627, section
/// 3): a byte order mark, or the NUL bytes of its first character, which is ASCII (`{` or
/// whitespace) — `7B 00 xx 00` is UTF-16LE, `00 00 00 7B` UTF-32BE. UTF-8 JSON has no NUL byte
/// there. Code units that are not Unicode (unpaired surrogates, values above U+10FFFF, a unit cut
/// by the end of the stream) become U+FFFD and are counted.
struct WideJSONDecoder {
    enum Form: Sendable, Equatable {
        case utf16LittleEndian, utf16BigEndian, utf32LittleEndian, utf32BigEndian

        var name: String {
            switch self {
            case .utf16LittleEndian: "UTF-16LE"
            case .utf16BigEndian: "UTF-16BE"
            case .utf32LittleEndian: "UTF-32LE"
            case .utf32BigEndian: "UTF-32BE"
            }
        }

        /// Bytes per code unit.
        var unitSize: Int {
            switch self {
            case .utf16LittleEndian, .utf16BigEndian: 2
            case .utf32LittleEndian, .utf32BigEndian: 4
            }
        }
    }

    /// The form of a JSON stream that starts with `head` (its first four bytes or more, fewer only
    /// when the stream is that short), and the length of its byte order mark; nil for UTF-8.
    static func form(of head: UnsafeBufferPointer<UInt8>) -> (form: Form, byteOrderMark: Int)? {
        func starts(_ prefix: [UInt8]) -> Bool { head.count >= prefix.count && head.starts(with: prefix) }
        if starts([0xFF, 0xFE, 0x00, 0x00]) { return (.utf32LittleEndian, 4) }
        if starts([0x00, 0x00, 0xFE, 0xFF]) { return (.utf32BigEndian, 4) }
        if starts([0xFF, 0xFE]) { return (.utf16LittleEndian, 2) }
        if starts([0xFE, 0xFF]) { return (.utf16BigEndian, 2) }
        // no byte order mark: the NUL bytes around the first character
        if head.count >= 4 {
            let (a, b, c, d) = (head[0], head[1], head[2], head[3])
            if a == 0, b == 0, c == 0, d != 0 { return (.utf32BigEndian, 0) }
            if a != 0, b == 0, c == 0, d == 0 { return (.utf32LittleEndian, 0) }
            if a == 0, b != 0, c == 0, d != 0 { return (.utf16BigEndian, 0) }
            if a != 0, b == 0, c != 0, d == 0 { return (.utf16LittleEndian, 0) }
        } else if head.count >= 2 {
            if head[0] == 0, head[1] != 0 { return (.utf16BigEndian, 0) }
            if head[0] != 0, head[1] == 0 { return (.utf16LittleEndian, 0) }
        }
        return nil
    }

    let form: Form
    /// The bytes of a code unit cut by the end of a chunk.
    private var carry: [UInt8] = []
    /// A UTF-16 high surrogate waiting for its low one.
    private var high: UInt32?
    /// Code units replaced by U+FFFD so far.
    private(set) var replaced = 0

    init(_ form: Form) { self.form = form }

    /// Appends to `out` the UTF-8 of the characters `chunk` completes (a code unit or surrogate
    /// pair it leaves cut waits for the next chunk).
    mutating func decode(_ chunk: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        let size = form.unitSize
        var i = 0
        if !carry.isEmpty {
            while carry.count < size, i < chunk.count {
                carry.append(chunk[i])
                i += 1
            }
            guard carry.count == size else { return }
            let unit = carry.withUnsafeBufferPointer { load($0, 0) }
            carry.removeAll(keepingCapacity: true)
            take(unit, into: &out)
        }
        // bounds: i + size ≤ chunk.count for every load
        while i + size <= chunk.count {
            take(load(chunk, i), into: &out)
            i += size
        }
        carry.append(contentsOf: chunk[i...])
    }

    /// The end of the stream: a code unit cut short or a high surrogate left alone becomes U+FFFD.
    mutating func finish(into out: inout [UInt8]) {
        if high != nil {
            high = nil
            replace(into: &out)
        }
        if !carry.isEmpty {
            carry.removeAll()
            replace(into: &out)
        }
    }

    /// The code unit of `size` bytes at `i` (i + size ≤ b.count).
    private func load(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> UInt32 {
        switch form {
        case .utf16LittleEndian: UInt32(b[i]) | UInt32(b[i + 1]) << 8
        case .utf16BigEndian: UInt32(b[i]) << 8 | UInt32(b[i + 1])
        case .utf32LittleEndian: UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
        case .utf32BigEndian: UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
        }
    }

    private mutating func take(_ unit: UInt32, into out: inout [UInt8]) {
        let isSurrogate = (0xD800...0xDFFF).contains(unit)
        guard form == .utf16LittleEndian || form == .utf16BigEndian else {
            if isSurrogate || unit > 0x10FFFF { replace(into: &out) } else { append(unit, to: &out) }
            return
        }
        if let h = high {
            high = nil
            if (0xDC00...0xDFFF).contains(unit) {
                append(0x10000 + ((h - 0xD800) << 10) + (unit - 0xDC00), to: &out)
                return
            }
            replace(into: &out)   // a high surrogate without its low one; this unit stands alone
        }
        if (0xD800...0xDBFF).contains(unit) {
            high = unit
        } else if isSurrogate {
            replace(into: &out)   // a low surrogate without a high one
        } else {
            append(unit, to: &out)
        }
    }

    private mutating func replace(into out: inout [UInt8]) {
        replaced += 1
        append(0xFFFD, to: &out)
    }

    /// The UTF-8 of scalar `u` (≤ U+10FFFF, not a surrogate).
    private func append(_ u: UInt32, to out: inout [UInt8]) {
        switch u {
        case ..<0x80:
            out.append(UInt8(u))
        case ..<0x800:
            out.append(UInt8(0xC0 | u >> 6))
            out.append(UInt8(0x80 | u & 0x3F))
        case ..<0x10000:
            out.append(UInt8(0xE0 | u >> 12))
            out.append(UInt8(0x80 | (u >> 6) & 0x3F))
            out.append(UInt8(0x80 | u & 0x3F))
        default:
            out.append(UInt8(0xF0 | u >> 18))
            out.append(UInt8(0x80 | (u >> 12) & 0x3F))
            out.append(UInt8(0x80 | (u >> 6) & 0x3F))
            out.append(UInt8(0x80 | u & 0x3F))
        }
    }
}
