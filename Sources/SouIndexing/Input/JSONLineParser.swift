/// A small, strict JSON parser for one line of JSON Lines: an object whose top-level members are
/// returned as text (strings unescaped; numbers, `true`/`false` as written; `null` as nil).
/// Nested objects and arrays are validated and skipped. Errors name the byte column.
///
/// The parser is recursive, so nesting is bounded: at most ``maxNesting`` objects and arrays may
/// be open at once (the line's own object included), as serde_json's default recursion limit. A
/// deeper line is a "nesting too deep" failure (the line is skipped), not a stack overflow.
struct JSONLineParser {
    /// The most objects and arrays open at once.
    static let maxNesting = 128

    struct Failure: Error {
        var message: String
    }

    /// One top-level member's value.
    enum Value {
        case text(String)
        /// A string member named in ``parse(_:utf8Members:)``'s `utf8Members`: its unescaped UTF-8
        /// bytes as the line has them (invalid sequences included; no String is made for it).
        case utf8([UInt8])
        case null
        case nested
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var i = 0
    /// Objects and arrays open around the current byte.
    private var depth = 0
    /// Where strings with escapes are unescaped: as long as the line, allocated at the line's
    /// first escape, freed by ``parse(_:utf8Members:)``.
    private var scratch: UnsafeMutableBufferPointer<UInt8>? = nil

    /// The top-level members whose string values are kept as UTF-8 bytes (``Value/utf8(_:)``).
    private let utf8Members: [String]

    private init(_ bytes: UnsafeBufferPointer<UInt8>, utf8Members: [String]) {
        self.bytes = bytes
        self.utf8Members = utf8Members
    }

    /// Parses `line` (without its newline) into its top-level members; the string values of the
    /// members named in `utf8Members` come as their bytes (the text a build only analyzes: no
    /// String is made, so no pass validates them).
    static func parse(_ line: UnsafeBufferPointer<UInt8>, utf8Members: [String] = []) throws -> [String: Value] {
        var p = JSONLineParser(line, utf8Members: utf8Members)
        defer { p.scratch?.deallocate() }
        p.skipSpace()
        guard p.peek() == UInt8(ascii: "{") else { throw p.fail("expected a JSON object") }
        let members = try p.object(keep: true)
        p.skipSpace()
        guard p.i == line.count else { throw p.fail("unexpected text after the object") }
        return members
    }

    private func fail(_ what: String) -> Failure { Failure(message: "\(what) at column \(i + 1)") }

    private func peek() -> UInt8? { i < bytes.count ? bytes[i] : nil }

    private mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0D || bytes[i] == 0x0A { i += 1 }
    }

    private mutating func expect(_ c: UInt8) throws {
        guard peek() == c else { throw fail("expected '\(Character(Unicode.Scalar(c)))'") }
        i += 1
    }

    /// Enters an object or array (at its opening byte); throws beyond ``maxNesting``.
    private mutating func enter() throws {
        guard depth < Self.maxNesting else { throw fail("nesting too deep (more than \(Self.maxNesting) arrays and objects)") }
        depth += 1
    }

    private mutating func object(keep: Bool) throws -> [String: Value] {
        try enter()
        defer { depth -= 1 }
        try expect(UInt8(ascii: "{"))
        var members: [String: Value] = [:]
        skipSpace()
        if peek() == UInt8(ascii: "}") { i += 1; return members }
        while true {
            skipSpace()
            guard peek() == UInt8(ascii: "\"") else { throw fail("expected a member name") }
            let name = try string()
            skipSpace()
            try expect(UInt8(ascii: ":"))
            skipSpace()
            // (the line's own members only: depth 1)
            let v = keep && depth == 1 && peek() == UInt8(ascii: "\"") && utf8Members.contains(name)
                ? .utf8(try stringBytes()) : try value(keep: keep)
            if keep { members[name] = v }
            skipSpace()
            if peek() == UInt8(ascii: ",") { i += 1; continue }
            try expect(UInt8(ascii: "}"))
            return members
        }
    }

    private mutating func array() throws {
        try enter()
        defer { depth -= 1 }
        try expect(UInt8(ascii: "["))
        skipSpace()
        if peek() == UInt8(ascii: "]") { i += 1; return }
        while true {
            skipSpace()
            _ = try value(keep: false)
            skipSpace()
            if peek() == UInt8(ascii: ",") { i += 1; continue }
            try expect(UInt8(ascii: "]"))
            return
        }
    }

    private mutating func value(keep: Bool) throws -> Value {
        guard let c = peek() else { throw fail("unexpected end of line") }
        switch c {
        case UInt8(ascii: "\""): return .text(try string())
        case UInt8(ascii: "{"): _ = try object(keep: false); return .nested
        case UInt8(ascii: "["): try array(); return .nested
        case UInt8(ascii: "t"): try literal("true"); return .text("true")
        case UInt8(ascii: "f"): try literal("false"); return .text("false")
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .text(try number())
        default: throw fail("unexpected character")
        }
    }

    private mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard bytes.count - i >= n else { throw fail("invalid literal") }
        for k in 0..<n where bytes[i + k] != word.utf8Start[k] { throw fail("invalid literal") }
        i += n
    }

    private mutating func number() throws -> String {
        let start = i
        if peek() == UInt8(ascii: "-") { i += 1 }
        func digits() -> Int {
            let s = i
            while let c = peek(), c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") { i += 1 }
            return i - s
        }
        guard digits() > 0 else { throw fail("invalid number") }
        if peek() == UInt8(ascii: ".") { i += 1; guard digits() > 0 else { throw fail("invalid number") } }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            i += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { throw fail("invalid number") }
        }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
    }

    private mutating func hex4() throws -> UInt32 {
        guard bytes.count - i >= 4 else { throw fail("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw fail("invalid \\u escape")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    /// The index of the first byte at or after `from` that is a quote, a backslash or a control
    /// character (below 0x20), or `bytes.count`: eight bytes at a time while eight remain, then
    /// byte by byte.
    private func plainRunEnd(from: Int) -> Int {
        guard let base = bytes.baseAddress else { return from }
        let n = bytes.count
        var j = from
        while j + 8 <= n {
            // in bounds: j + 8 ≤ bytes.count
            let flags = Self.specialByteFlags(UnsafeRawPointer(base + j).loadUnaligned(as: UInt64.self))
            if flags != 0 { return j + flags.trailingZeroBitCount >> 3 }
            j += 8
        }
        while j < n, !Self.endsPlainRun(base[j]) { j += 1 }
        return j
    }

    @inline(__always)
    private static func endsPlainRun(_ c: UInt8) -> Bool {
        c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") || c < 0x20
    }

    /// The high bit of each byte lane of `w` (8 bytes, the first lowest: little-endian) that may
    /// be below 0x20, a quote or a backslash: the classic "has a byte less than n" and "has a
    /// zero byte" tests. Zero when no byte is one of them; otherwise the lowest flagged lane is
    /// the first that is (a lane is flagged wrongly only above a lane that is one, through the
    /// borrow of the subtraction).
    @inline(__always)
    static func specialByteFlags(_ w: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let quote = w ^ (ones &* 0x22), backslash = w ^ (ones &* 0x5C)
        let below = (w &- ones &* 0x20) & ~w
        let zeroQuote = (quote &- ones) & ~quote
        let zeroBackslash = (backslash &- ones) & ~backslash
        return (below | zeroQuote | zeroBackslash) & highs
    }

    private mutating func string() throws -> String {
        try unescaped { String(decoding: $0, as: UTF8.self) }
    }

    /// A string's unescaped UTF-8 bytes (copied as they are: not validated).
    private mutating func stringBytes() throws -> [UInt8] {
        try unescaped { Array($0) }
    }

    /// Reads a string (at its opening quote) and hands its unescaped UTF-8 bytes to `make`: the
    /// line's own bytes when it has no escapes, else the line's scratch, unescaped into.
    private mutating func unescaped<T>(_ make: (UnsafeBufferPointer<UInt8>) -> T) throws -> T {
        try expect(UInt8(ascii: "\""))
        let start = i
        // fast path: no escapes
        i = plainRunEnd(from: i)
        if i < bytes.count, bytes[i] == UInt8(ascii: "\"") {
            let s = make(UnsafeBufferPointer(rebasing: bytes[start..<i]))
            i += 1
            return s
        }
        // escapes: unescaped into the line's scratch (no escape stands for more bytes than it
        // takes: 2 → 1, \uXXXX 6 → at most 3, a surrogate pair 12 → 4; so a string's text fits
        // in the line's length), then one String of it
        if scratch == nil { scratch = .allocate(capacity: bytes.count) }
        let out = scratch!
        var o = 0
        // bounds: every write below checks that it stays within `out` (never failing, by the
        // reasoning above)
        func put(_ run: UnsafeBufferPointer<UInt8>) {
            precondition(o + run.count <= out.count, "an unescaped JSON string outgrew its line")
            if let b = run.baseAddress, run.count > 0 { (out.baseAddress! + o).initialize(from: b, count: run.count) }
            o += run.count
        }
        func put(_ byte: UInt8) {
            precondition(o < out.count, "an unescaped JSON string outgrew its line")
            out[o] = byte
            o += 1
        }
        put(UnsafeBufferPointer(rebasing: bytes[start..<i]))
        while true {
            guard i < bytes.count else { throw fail("unterminated string") }
            let c = bytes[i]
            if c == UInt8(ascii: "\"") { i += 1; break }
            if c < 0x20 { throw fail("control character in a string") }
            if c != UInt8(ascii: "\\") {
                // a run of plain bytes up to the next quote, escape or control character, at once
                let j = plainRunEnd(from: i + 1)
                put(UnsafeBufferPointer(rebasing: bytes[i..<j]))
                i = j
                continue
            }
            i += 1
            guard i < bytes.count else { throw fail("unterminated escape") }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): put(0x22)
            case UInt8(ascii: "\\"): put(0x5C)
            case UInt8(ascii: "/"): put(0x2F)
            case UInt8(ascii: "b"): put(0x08)
            case UInt8(ascii: "f"): put(0x0C)
            case UInt8(ascii: "n"): put(0x0A)
            case UInt8(ascii: "r"): put(0x0D)
            case UInt8(ascii: "t"): put(0x09)
            case UInt8(ascii: "u"):
                var v = try hex4()
                if v >= 0xD800, v < 0xDC00, bytes.count - i >= 6, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                    let save = i
                    i += 2
                    let low = try hex4()
                    if low >= 0xDC00, low < 0xE000 {
                        v = 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00)
                    } else { i = save }
                }
                // 1 to 4 UTF-8 bytes for the 6 (or 12) escaped ones
                for b in (Unicode.Scalar(v) ?? "\u{FFFD}").utf8 { put(b) }
            default: throw fail("invalid escape")
            }
        }
        return make(UnsafeBufferPointer(rebasing: out[0..<o]))
    }
}
