/// A `key:`/`path:` glob (``GlobSyntax``) matched against whole keys, byte by byte.
///
/// Before, keys were matched with `fnmatch(pattern, key, 0)`, which takes C strings: a key
/// holding a NUL byte (a JSON Lines id `"a\u0000b"`) was matched up to its first NUL only, so
/// `key:?` matched `a\0b` — a silent wrong answer — and a NUL in the pattern cut it short. This is
/// glibc's `fnmatch` with flags 0 in the C locale (a process that never calls `setlocale`, as
/// `sou`), the semantics the filter had, on the whole bytes of the pattern and the key, NUL bytes
/// included; and in every process, whatever its locale:
/// - `*` matches any bytes, `/` included; `?` one byte; `\c` the character c;
/// - `[…]` one byte in the class, `[!…]`/`[^…]` one byte not in it; a `]` first in the class is
///   one of its members; `a-z` a range of byte values; `[:alpha:]` and the other POSIX classes
///   ASCII bytes of that class (C locale); `[=c=]` and `[.c.]` the byte c;
/// - UTF-8 is not decoded: a CJK character is three bytes, so `key:???.txt` matches `集.txt`
///   and `key:?.txt` does not, as before.
/// The pattern must be free of ``GlobSyntax/problem(_:)``s; fnmatch's readings of malformed
/// globs are kept nonetheless (an unclosed `[` is itself).
/// - Complexity: O(pattern × key) at worst (one `*` retried at each byte), O(key) typically.
package struct KeyGlob: Sendable {
    /// The pattern's UTF-8 bytes.
    let pattern: [UInt8]

    /// The glob `pattern`.
    package init(_ pattern: String) {
        self.pattern = Array(pattern.utf8)
    }

    /// Whether the glob matches the whole of `key`.
    package func matches(_ key: String) -> Bool {
        var key = key
        return key.withUTF8 { matches($0) }
    }

    /// Whether the glob matches the whole of `key`'s bytes.
    package func matches(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
        pattern.withUnsafeBufferPointer { Matcher(p: $0, s: key).run() }
    }

    /// fnmatch's loop over a pattern `p` and a string `s` (fnmatch_loop.c, flags 0, one byte per
    /// character), with the end of each buffer where fnmatch had a NUL byte. A `*` is retried one
    /// byte further when what follows it fails (every other element takes exactly one byte, so
    /// going back to the last `*` alone finds a match whenever one exists, as fnmatch's search).
    struct Matcher {
        let p: UnsafeBufferPointer<UInt8>
        let s: UnsafeBufferPointer<UInt8>

        /// The pattern byte at `i`, or -1 past its end (fnmatch's terminating NUL).
        func at(_ i: Int) -> Int { i < p.count ? Int(p[i]) : -1 }

        func run() -> Bool {
            var pi = 0, ni = 0
            // the element after the last `*`, and the byte it is tried at
            var star: (pi: Int, ni: Int)? = nil
            while true {
                var ok: Bool
                if pi == p.count {
                    if ni == s.count { return true }
                    ok = false
                } else {
                    let c = p[pi]
                    pi += 1
                    switch c {
                    case UInt8(ascii: "?"):
                        ok = ni < s.count
                    case UInt8(ascii: "\\"):
                        // a trailing `\` matches nothing
                        ok = pi < p.count && ni < s.count && s[ni] == p[pi]
                        pi += 1
                    case UInt8(ascii: "*"):
                        // `*?*?` : each `?` takes a byte at once
                        while pi < p.count, p[pi] == UInt8(ascii: "*") || p[pi] == UInt8(ascii: "?") {
                            if p[pi] == UInt8(ascii: "?") {
                                guard ni < s.count else { return false }
                                ni += 1
                            }
                            pi += 1
                        }
                        if pi == p.count { return true }
                        star = (pi, ni)
                        continue
                    case UInt8(ascii: "["):
                        if ni < s.count {
                            switch bracket(from: pi, byte: s[ni]) {
                            case .matched(let next): ok = true; pi = next
                            case .notMatched: ok = false
                            case .unclosed: ok = s[ni] == UInt8(ascii: "[")
                            }
                        } else {
                            ok = false
                        }
                    default:
                        ok = ni < s.count && s[ni] == c
                    }
                    if ok {
                        ni += 1
                        continue
                    }
                }
                // a mismatch: the last `*` takes one byte more, or there is no match
                guard let last = star, last.ni < s.count else { return false }
                star = (last.pi, last.ni + 1)
                pi = last.pi
                ni = last.ni + 1
            }
        }

        enum Bracket { case matched(next: Int), notMatched, unclosed }

        /// The longest name fnmatch reads in `[:name:]` (glibc's CHARCLASS_NAME_MAX).
        static let classNameLimit = 2048

        /// The class opened by the `[` before `start`, against `byte` (fnmatch_loop.c's `case '['`
        /// in the C locale: no collation rules, collation order = byte order): whether it
        /// matches, and the pattern index after its `]`.
        func bracket(from start: Int, byte fn: UInt8) -> Bracket {
            var pi = start
            let negated = at(pi) == Int(UInt8(ascii: "!")) || at(pi) == Int(UInt8(ascii: "^"))
            if negated { pi += 1 }
            let f = Int(fn)
            var c = at(pi)
            pi += 1
            /// Whether the members read so far include `fn`.
            var matched = false
            members: while true {
                var normal = true      // `c` is a plain member (fnmatch's normal_bracket)
                var cold = 0           // the member just read: a range's low end
                if c == Int(UInt8(ascii: "\\")) {
                    guard pi < p.count else { return .notMatched }
                    c = at(pi)
                    pi += 1
                } else if c == Int(UInt8(ascii: "[")), at(pi) == Int(UInt8(ascii: ":")) {
                    let startp = pi
                    var name: [UInt8] = []
                    var isName = true
                    while true {
                        if name.count == Self.classNameLimit { return .notMatched }
                        pi += 1
                        c = at(pi)
                        if c == Int(UInt8(ascii: ":")), at(pi + 1) == Int(UInt8(ascii: "]")) {
                            pi += 2
                            break
                        }
                        // (fnmatch's test: no class name has a `z`)
                        if c < Int(UInt8(ascii: "a")) || c >= Int(UInt8(ascii: "z")) {
                            // not a class name: the `[` is a member
                            pi = startp
                            c = Int(UInt8(ascii: "["))
                            isName = false
                            break
                        }
                        name.append(UInt8(c))
                    }
                    if isName {
                        guard let inClass = Self.characterClass(name) else { return .notMatched }
                        if inClass(fn) { matched = true; break members }
                        c = at(pi)
                        pi += 1
                        normal = false
                    }
                } else if c == Int(UInt8(ascii: "[")), at(pi) == Int(UInt8(ascii: "=")) {
                    // [=c=]: the byte c (a single byte; otherwise the `[` is a member)
                    let startp = pi
                    let symbol = at(pi + 1)
                    if symbol != -1, at(pi + 2) == Int(UInt8(ascii: "=")), at(pi + 3) == Int(UInt8(ascii: "]")) {
                        pi += 4
                        if f == symbol { matched = true; break members }
                        c = at(pi)
                        pi += 1
                        normal = false
                    } else {
                        pi = startp
                        c = Int(UInt8(ascii: "["))
                    }
                } else if c == -1 {
                    // `[` never closed: fnmatch matches it as itself
                    return .unclosed
                } else if c == Int(UInt8(ascii: "[")), at(pi) == Int(UInt8(ascii: ".")) {
                    // [.c.]: the byte c (a single byte; otherwise nothing matches)
                    guard let symbol = collatingSymbol(pi: &pi) else { return .notMatched }
                    let isRange = at(pi) == Int(UInt8(ascii: "-")) && at(pi + 1) != -1
                    if !isRange, f == symbol { matched = true; break members }
                    cold = symbol
                    c = at(pi)
                    pi += 1
                    normal = false
                    switch rangeEnd(after: c, pi: &pi) {
                    case .none: break
                    case .malformed: return .notMatched
                    case .high(let high):
                        if cold <= f, f <= high { matched = true; break members }
                        c = at(pi)
                        pi += 1
                    }
                }
                if normal {
                    let isRange = at(pi) == Int(UInt8(ascii: "-")) && at(pi + 1) != -1 && at(pi + 1) != Int(UInt8(ascii: "]"))
                    if !isRange, c == f { matched = true; break members }
                    cold = c
                    c = at(pi)
                    pi += 1
                    switch rangeEnd(after: c, pi: &pi) {
                    case .none: break
                    case .malformed: return .notMatched
                    case .high(let high):
                        if cold <= f, f <= high { matched = true; break members }
                        c = at(pi)
                        pi += 1
                    }
                }
                if c == Int(UInt8(ascii: "]")) { break }
            }
            if !matched { return negated ? .matched(next: pi) : .notMatched }
            // skip the rest of the class that already matched
            while true {
                let c = at(pi)
                pi += 1
                if c == Int(UInt8(ascii: "]")) { break }
                if c == -1 { return .notMatched }
                if c == Int(UInt8(ascii: "\\")) {
                    if pi >= p.count { return .notMatched }
                    pi += 1
                } else if c == Int(UInt8(ascii: "[")), at(pi) == Int(UInt8(ascii: ":")) {
                    let startp = pi
                    var length = 0
                    while true {
                        pi += 1
                        let d = at(pi)
                        length += 1
                        if length == Self.classNameLimit { return .notMatched }
                        if d == Int(UInt8(ascii: ":")), at(pi + 1) == Int(UInt8(ascii: "]")) { break }
                        if d < Int(UInt8(ascii: "a")) || d >= Int(UInt8(ascii: "z")) {
                            pi = startp - 2
                            break
                        }
                    }
                    pi += 2
                } else if c == Int(UInt8(ascii: "[")), at(pi) == Int(UInt8(ascii: "=")) {
                    if at(pi + 1) == -1 { return .notMatched }
                    if at(pi + 2) != Int(UInt8(ascii: "=")) || at(pi + 3) != Int(UInt8(ascii: "]")) { return .notMatched }
                    pi += 4
                } else if c == Int(UInt8(ascii: "[")), at(pi) == Int(UInt8(ascii: ".")) {
                    while true {
                        pi += 1
                        let d = at(pi)
                        if d == -1 { return .notMatched }
                        if d == Int(UInt8(ascii: ".")), at(pi + 1) == Int(UInt8(ascii: "]")) { break }
                    }
                    pi += 2
                }
            }
            return negated ? .notMatched : .matched(next: pi)
        }

        enum RangeEnd { case none, malformed, high(Int) }

        /// A collating symbol `[.c.]`, `pi` at its `.`: the byte c, with `pi` after the closing
        /// `.]`; nil when it never closes or holds other than one byte (fnmatch then matches
        /// nothing). A class member and a range's high end read it alike.
        func collatingSymbol(pi: inout Int) -> Int? {
            let start = pi
            var length = 0
            while true {
                pi += 1
                let d = at(pi)
                if d == Int(UInt8(ascii: ".")), at(pi + 1) == Int(UInt8(ascii: "]")) {
                    pi += 2
                    break
                }
                if d == -1 { return nil }
                length += 1
            }
            return length == 1 ? at(start + 1) : nil
        }

        /// When `c` (just read, `pi` after it) makes the member before it the low end of a range
        /// (`-` not followed by `]`): reads the high end (`pi` after it), or `.malformed` (fnmatch
        /// then matches nothing); `.none` when `c` starts no range.
        func rangeEnd(after c: Int, pi: inout Int) -> RangeEnd {
            guard c == Int(UInt8(ascii: "-")), at(pi) != Int(UInt8(ascii: "]")) else { return .none }
            var high = at(pi)
            pi += 1
            if high == Int(UInt8(ascii: "[")), at(pi) == Int(UInt8(ascii: ".")) {
                guard let symbol = collatingSymbol(pi: &pi) else { return .malformed }
                high = symbol
            } else {
                if high == Int(UInt8(ascii: "\\")) {
                    high = at(pi)
                    pi += 1
                }
                if high == -1 { return .malformed }
            }
            return .high(high)
        }

        /// The C locale's test for the POSIX class `name` (ASCII only), or nil for another name
        /// (fnmatch then matches nothing).
        static func characterClass(_ name: [UInt8]) -> ((UInt8) -> Bool)? {
            func isUpper(_ b: UInt8) -> Bool { b >= 0x41 && b <= 0x5A }
            func isLower(_ b: UInt8) -> Bool { b >= 0x61 && b <= 0x7A }
            func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
            func isGraph(_ b: UInt8) -> Bool { b >= 0x21 && b <= 0x7E }
            switch String(decoding: name, as: UTF8.self) {
            case "alnum": return { isUpper($0) || isLower($0) || isDigit($0) }
            case "alpha": return { isUpper($0) || isLower($0) }
            case "blank": return { $0 == 0x20 || $0 == 0x09 }
            case "cntrl": return { $0 < 0x20 || $0 == 0x7F }
            case "digit": return isDigit
            case "graph": return isGraph
            case "lower": return isLower
            case "print": return { $0 >= 0x20 && $0 <= 0x7E }
            case "punct": return { isGraph($0) && !isUpper($0) && !isLower($0) && !isDigit($0) }
            case "space": return { $0 == 0x20 || ($0 >= 0x09 && $0 <= 0x0D) }
            case "upper": return isUpper
            case "xdigit": return { isDigit($0) || ($0 >= 0x41 && $0 <= 0x46) || ($0 >= 0x61 && $0 <= 0x66) }
            default: return nil
            }
        }
    }
}
