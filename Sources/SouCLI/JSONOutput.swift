import FoundationEssentials
import Glibc
import Sou

/// Minimal JSON encoding of strings and numbers, shared by every `--json` output.
enum JSON {
    /// `s` as a JSON string literal (quotes, backslashes and control characters escaped).
    static func string(_ s: String) -> String {
        // nothing to escape (the usual key or query): the text between quotes as it is
        if !s.utf8.contains(where: needsEscape) { return "\"" + s + "\"" }
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += cFormat("\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// Whether a UTF-8 byte must be escaped in a JSON string literal (a control character, a
    /// quote or a backslash): a string with none of them is its own literal between quotes.
    @inline(__always)
    static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    /// `x` as a JSON number (non-finite values, which JSON cannot express, as 0): Swift's
    /// shortest round-trip spelling, `description` (what `"\(x)"` prints, without an
    /// interpolation's buffer).
    static func number(_ x: Double) -> String { x.isFinite ? x.description : "0" }
}
