import ArgumentParser
import FoundationEssentials
import Glibc

/// `--color auto|always|never`.
enum ColorChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, always, never

    /// The values for help and completions: the raw values, as ArgumentParser's default for a
    /// RawRepresentable type gives them (`allCases.map(\.rawValue.defaultValueDescription)`),
    /// without the key path it instantiates at run time (~1 M instructions of every `sou search`).
    static var allValueStrings: [String] { allCases.map { $0.rawValue } }

    /// What ArgumentParser's default for a CaseIterable RawRepresentable type gives (no value
    /// is described other than by its raw value): empty, without comparing each value's
    /// `defaultValueDescription` through `String(describing:)` (~0.3 M instructions of dynamic
    /// casts and type look-ups at every `sou` start).
    static var allValueDescriptions: [String: String] { [:] }

    /// The raw value, as ArgumentParser's default for a RawRepresentable type.
    var defaultValueDescription: String { rawValue }

    /// Whether output is coloured. `auto` colours only a terminal that can show it, as ripgrep
    /// does: stdout is a TTY, `NO_COLOR` is unset or empty (https://no-color.org), and `TERM` is
    /// set and not `dumb`. `always` and `never` ignore all three. `environment` nil: the
    /// process's (read variable by variable, not copied whole).
    func usesColor(environment: [String: String]? = nil,
                   stdoutIsTerminal: Bool = isTerminal(STDOUT_FILENO)) -> Bool {
        let variable = { (name: String) in environment.map { $0[name] } ?? getenv(name).map { String(cString: $0) } }
        switch self {
        case .always: return true
        case .never: return false
        case .auto:
            guard stdoutIsTerminal else { return false }
            if let noColor = variable("NO_COLOR"), !noColor.isEmpty { return false }
            guard let term = variable("TERM"), !term.isEmpty, term != "dumb" else { return false }
            return true
        }
    }
}

/// The escape sequences of human output: ripgrep's default colours (path magenta, line number
/// green, match bold red), or none.
struct Palette {
    var key = "", title = "", score = "", line = "", match = "", separator = "", reset = ""
    static let plain = Palette()
    static let ansi = Palette(key: "\u{1B}[35m", title: "\u{1B}[1m", score: "\u{1B}[2m", line: "\u{1B}[32m",
                              match: "\u{1B}[1;31m", separator: "\u{1B}[2m", reset: "\u{1B}[0m")
}

/// Keys and titles made safe to print on a terminal or as one line: a key holding a newline or
/// an escape sequence would otherwise forge lines or drive the terminal. Backslash, tab, CR and
/// LF become `\\`, `\t`, `\r`, `\n` (as ripgrep's escaping writes them); other ASCII controls
/// and DEL `\xHH`; C1 controls, line and paragraph separators and bidirectional overrides and
/// isolates `\u{HHHH}`. Everything else prints as it is.
enum Escaping {
    static func printable(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: needsEscape) else { return s }
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\x" + hex(scalar.value, digits: 2)
                } else if needsEscape(scalar) {
                    out += "\\u{" + hex(scalar.value, digits: 4) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    static func needsEscape(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x00...0x1F, 0x5C, 0x7F...0x9F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    static func hex(_ v: UInt32, digits: Int) -> String {
        let s = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - s.count)) + s
    }
}
