import Foundation
@testable import SouIndexing

/// A JSON Lines file of arbitrary bytes read by ``DocumentSource`` (line splitting, CR and blank
/// lines, the parser, the id/title/body members), and each line parsed alone by
/// ``JSONLineParser`` against Foundation's JSONSerialization as an independent oracle.
///
/// Checked: every line that is not blank gives a document or is skipped with a warning (none
/// is lost silently); a line JSONSerialization reads as an object (at most
/// ``JSONLineParser/maxNesting`` deep) is read by JSONLineParser with the same member names,
/// the same strings (unless one holds U+FFFD: lone surrogate escapes and invalid UTF-8 are
/// replaced, which JSONSerialization refuses or does differently), nulls as nulls and arrays
/// and objects as nested. JSONLineParser is more lenient (leading zeros, invalid UTF-8), so the
/// other direction is not checked.
enum JSONLinesTarget {
    static func run(_ data: UnsafeBufferPointer<UInt8>) {
        let path = Scratch.write(data, name: "in.jsonl")
        let source = DocumentSource(options: InputOptions())
        var documents = 0
        var failed = false
        do {
            try source.read(paths: [path]) { _ in documents += 1 }
        } catch {
            failed = true       // bytes that start like gzip, for instance
        }
        var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        var nonBlank = 0
        for (i, var line) in lines.enumerated() {
            if line.last == 0x0D { line = line.dropLast() }
            // a byte order mark at the start of the file is ignored (DocumentSource, b879ece); the
            // line parser is compared on the line as it is (compare leaves BOM lines out:
            // JSONSerialization drops a U+FEFF even inside a string, the line parser keeps it)
            let content = i == 0 && line.starts(with: [0xEF, 0xBB, 0xBF]) ? line.dropFirst(3) : line
            if !content.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { nonBlank += 1 }
            compare(UnsafeBufferPointer(rebasing: line))
        }
        let gzipMagic = data.count >= 2 && data[0] == 0x1F && data[1] == 0x8B
        // a stream whose first bytes are UTF-16/32 JSON is converted to UTF-8 before its lines
        // are split (WideJSONDecoder): its lines are not the bytes' lines counted here
        let wide = WideJSONDecoder.form(of: UnsafeBufferPointer(rebasing: data.prefix(4))) != nil
        if !failed, !gzipMagic, !wide {
            require(documents + source.skipped == nonBlank,
                    "\(nonBlank) lines that are not blank gave \(documents) documents and \(source.skipped) skipped")
        }
    }

    static func depth(_ v: Any) -> Int {
        if let a = v as? [Any] { return 1 + (a.map(depth).max() ?? 0) }
        if let d = v as? [String: Any] { return 1 + (d.values.map(depth).max() ?? 0) }
        return 0
    }

    /// A `,` before a `}` or `]` outside strings: JSON does not allow it, JSONSerialization does.
    static func hasTrailingComma(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        var inString = false, escaped = false, afterComma = false
        for c in line {
            if inString {
                if escaped { escaped = false } else if c == 0x5C { escaped = true } else if c == 0x22 { inString = false }
                continue
            }
            switch c {
            case 0x22: inString = true; afterComma = false
            case 0x2C: afterComma = true
            case 0x7D, 0x5D: if afterComma { return true }
            case 0x20, 0x09, 0x0D, 0x0A: break
            default: afterComma = false
            }
        }
        return false
    }

    /// Whether JSONSerialization reads as `theirs` a string the line parser reads as `ours`: the
    /// same, or `ours` less one U+FEFF at its start. JSONSerialization drops one raw U+FEFF that
    /// begins a string, a member name or a value ("\u{FEFF}{eRx" → "{eRx"; an escaped \\ufeff
    /// stays); JSON keeps it, as the line parser does.
    static func readsAlike(_ ours: String, _ theirs: String) -> Bool {
        ours == theirs || (ours.unicodeScalars.first == "\u{FEFF}" && String(ours.unicodeScalars.dropFirst()) == theirs)
    }

    /// Whether JSONSerialization reads `line` as UTF-16 or UTF-32: it starts with their byte order
    /// mark, or has a NUL byte among its first two bytes (RFC 4627's detection; the line parser
    /// reads UTF-8 alone, where a NUL byte there makes the line bad).
    static func readsAsWide(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        line.starts(with: [0xFF, 0xFE]) || line.starts(with: [0xFE, 0xFF]) || line.prefix(2).contains(0)
    }

    static func compare(_ line: UnsafeBufferPointer<UInt8>) {
        let ours: [String: JSONLineParser.Value]?
        var failure = ""
        do { ours = try JSONLineParser.parse(line) } catch { ours = nil; failure = "\(error)" }
        // a byte order mark is the file's business (DocumentSource strips it), not the line parser's;
        // so is UTF-16/32, which JSONSerialization reads by the line's first bytes alone (a UTF-16/32
        // byte order mark, or NUL bytes: "{\0}\0" is {} in UTF-16LE), and DocumentSource by the
        // file's first bytes (WideJSONDecoder)
        guard !hasTrailingComma(line), !line.starts(with: [0xEF, 0xBB, 0xBF]), !readsAsWide(line),
              let object = try? JSONSerialization.jsonObject(with: Data(buffer: line)) as? [String: Any],
              depth(object) <= JSONLineParser.maxNesting else { return }
        guard let ours else {
            require(false, "JSONSerialization reads \(String(decoding: line, as: UTF8.self).debugDescription) as an object, JSONLineParser fails: \(failure)")
            return
        }
        // each of JSONSerialization's members is one of ours (as it reads it)
        var mine: [String: String] = [:]   // its name → ours
        for name in object.keys {
            let matching = ours.keys.filter { readsAlike($0, name) }
            // "k" and U+FEFF "k" are two members in JSON, one for JSONSerialization: no oracle
            if matching.count > 1 { return }
            require(matching.count == 1, "member \(name.debugDescription) matches \(matching.count) of \(ours.keys.sorted())")
            if let m = matching.first { mine[name] = m }
        }
        require(ours.count == object.count, "members \(ours.keys.sorted()) and \(object.keys.sorted())")
        for (name, value) in object {
            switch (mine[name].flatMap { ours[$0] }, value) {
            case (.text(let a)?, let b as String):
                if !a.contains("\u{FFFD}"), !b.contains("\u{FFFD}") {
                    require(readsAlike(a, b), "member \(name.debugDescription): \(a.debugDescription) and \(b.debugDescription)")
                }
            case (_, is String):
                require(false, "member \(name.debugDescription) is a string, JSONLineParser reads \(String(describing: mine[name].flatMap { ours[$0] }))")
            case (.null?, is NSNull), (.nested?, is [Any]), (.nested?, is [String: Any]), (.text?, is NSNumber):
                break
            default:
                require(false, "member \(name.debugDescription): \(String(describing: mine[name].flatMap { ours[$0] })) and \(value)")
            }
        }
    }
}
