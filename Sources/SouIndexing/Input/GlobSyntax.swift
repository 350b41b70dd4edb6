/// The syntax of the globs Sou matches with `fnmatch(3)` (`sou index --glob`) and with fnmatch's
/// rules on whole keys (``KeyGlob``: the `path:`/`key:` query filter): `*`, `?`, `[…]` classes (`[!…]` or `[^…]` negated, ranges `a-z`, named classes
/// `[:alpha:]`), `\` escaping the next character. glibc's fnmatch does not reject a malformed
/// glob: an unclosed `[` matches a `[` itself, a reversed range, an unknown class or a trailing
/// `\` match nothing, so `-g '['` silently excluded every file. ``problem(_:)`` names what is
/// wrong instead, as ripgrep's glob parser does.
package enum GlobSyntax {
    /// Whether `pattern` is a glob (has `*`, `?` or `[`) rather than a plain prefix or name.
    package static func isGlob(_ pattern: String) -> Bool {
        pattern.unicodeScalars.contains { $0 == "*" || $0 == "?" || $0 == "[" }
    }

    /// The names `[:name:]` may take (POSIX).
    static let classNames: [String] = ["alnum", "alpha", "blank", "cntrl", "digit", "graph", "lower", "print", "punct",
                                       "space", "upper", "xdigit"]

    /// What is wrong with `glob`, or nil when fnmatch reads it as written.
    package static func problem(_ glob: String) -> String? {
        let s = Array(glob.unicodeScalars)
        var i = 0
        while i < s.count {
            switch s[i] {
            case "\\":
                guard i + 1 < s.count else { return "it ends with a \\ that escapes nothing (\\\\ matches a \\)" }
                i += 2
            case "[":
                switch bracketEnd(s, from: i) {
                case .success(let end): i = end + 1
                case .failure(let problem): return problem.message
                }
            default:
                i += 1
            }
        }
        return nil
    }

    struct Problem: Error {
        var message: String
    }

    /// The index of the `]` that closes the class opened by the `[` at `start`.
    private static func bracketEnd(_ s: [Unicode.Scalar], from start: Int) -> Result<Int, Problem> {
        var i = start + 1
        if i < s.count, s[i] == "!" || s[i] == "^" { i += 1 }
        // a `]` first in the class is one of its characters
        var previous: Unicode.Scalar? = nil   // the last single character, the start of a range
        if i < s.count, s[i] == "]" {
            previous = "]"
            i += 1
        }
        while i < s.count {
            let c = s[i]
            if c == "]" { return .success(i) }
            if c == "[", i + 1 < s.count, s[i + 1] == ":" || s[i + 1] == "=" || s[i + 1] == "." {
                // [:name:], [=c=], [.c.]: up to the matching ":]" ("=]", ".]")
                let kind = s[i + 1]
                var j = i + 2
                while j + 1 < s.count, !(s[j] == kind && s[j + 1] == "]") { j += 1 }
                guard j + 1 < s.count else {
                    return .failure(Problem(message: "[\(kind) in a character class is never closed by \(kind)]"))
                }
                let name = String(String.UnicodeScalarView(s[(i + 2)..<j]))
                if kind == ":", !classNames.contains(name) {
                    return .failure(Problem(message: "unknown character class [:\(name):] (known: \(classNames.map { "[:\($0):]" }.joined(separator: " ")))"))
                }
                previous = nil
                i = j + 2
                continue
            }
            var character = c
            if c == "\\" {
                guard i + 1 < s.count else { break }
                character = s[i + 1]
                i += 1
            }
            if c == "-", let low = previous, i + 1 < s.count, s[i + 1] != "]" {
                // a range low-high (a "-" first or last in the class is itself)
                var high = s[i + 1]
                var next = i + 2
                if high == "\\", i + 2 < s.count {
                    high = s[i + 2]
                    next = i + 3
                }
                if high.value < low.value {
                    return .failure(Problem(message: "the range \(low)-\(high) is reversed (it matches nothing; write \(high)-\(low))"))
                }
                previous = nil
                i = next
                continue
            }
            previous = character
            i += 1
        }
        return .failure(Problem(message: "[ opens a character class that is never closed (\\[ matches a [ itself)"))
    }
}
