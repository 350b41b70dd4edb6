/// Plain text from HTML: tags removed, `<script>`/`<style>` contents and comments dropped,
/// character references decoded, block-level tags turned into line breaks (so that words of two
/// paragraphs are not glued, while inline tags inside a CJK run keep it whole), `<title>` kept apart
/// (returned, and ended by ``SourceDocument/fieldSeparator`` in the text). A `<` that opens no
/// tag (not followed by an ASCII letter, `/` and a letter, `!` or `?`) is text.
enum HTMLText {
    static let blockTags: Set<String> = [
        "p", "br", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th",
        "table", "section", "article", "header", "footer", "nav", "aside", "blockquote", "pre",
        "hr", "dt", "dd", "dl", "main", "figure", "figcaption", "title", "body", "head", "html",
        "form", "option", "caption", "address",
    ]

    static let namedEntities: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{A0}",
        "copy": "©", "reg": "®", "mdash": "—", "ndash": "–", "hellip": "…", "middot": "·",
        "lsquo": "‘", "rsquo": "’", "ldquo": "“", "rdquo": "”", "laquo": "«", "raquo": "»",
        "times": "×", "divide": "÷", "deg": "°", "yen": "¥", "euro": "€", "ensp": "\u{2002}",
        "emsp": "\u{2003}", "thinsp": "\u{2009}", "zwj": "\u{200D}", "zwnj": "\u{200C}",
    ]

    static func asciiLower(_ c: Unicode.Scalar) -> Unicode.Scalar {
        c.value >= 0x41 && c.value <= 0x5A ? Unicode.Scalar(c.value + 32)! : c
    }

    /// The text and the title of an HTML document.
    static func extract(_ html: String) -> (text: String, title: String) {
        var text = ""
        var title = ""
        var inTitle = false
        let s = Array(html.unicodeScalars)
        var i = 0
        func lowerName(from j: Int) -> (String, Int) {
            var k = j
            var name = ""
            while k < s.count, s[k].properties.isAlphabetic || ("0"..."9").contains(s[k]) {
                name.unicodeScalars.append(asciiLower(s[k]))
                k += 1
            }
            return (name, k)
        }
        func find(_ needle: String, from j: Int) -> Int? {
            let n = Array(needle.unicodeScalars)
            var k = j
            while k + n.count <= s.count {
                var match = true
                for m in 0..<n.count where asciiLower(s[k + m]) != n[m] { match = false; break }
                if match { return k }
                k += 1
            }
            return nil
        }
        while i < s.count {
            let c = s[i]
            if c == "<" {
                if i + 3 < s.count, s[i + 1] == "!", s[i + 2] == "-", s[i + 3] == "-" {
                    i = (find("-->", from: i + 4).map { $0 + 3 }) ?? s.count
                    continue
                }
                let closing = i + 1 < s.count && s[i + 1] == "/"
                // as HTML's tokenizer: a tag name starts with an ASCII letter; "<!" and "<?" open
                // declarations; any other "<" (and "</" not followed by a letter) is text:
                // "a<2", "价格<集体协商"
                let nameStart = i + (closing ? 2 : 1)
                let startsName = nameStart < s.count && (("a"..."z").contains(s[nameStart]) || ("A"..."Z").contains(s[nameStart]))
                let declaration = !closing && i + 1 < s.count && (s[i + 1] == "!" || s[i + 1] == "?")
                if !startsName && !declaration {
                    text.unicodeScalars.append(c)   // a "<" that opens no tag
                    if inTitle { title.unicodeScalars.append(c) }
                    i += 1
                    continue
                }
                let (name, afterName) = lowerName(from: nameStart)
                // end of the tag (quotes may hide '>')
                var k = afterName
                var quote: Unicode.Scalar? = nil
                while k < s.count {
                    if let q = quote { if s[k] == q { quote = nil } } else if s[k] == "\"" || s[k] == "'" { quote = s[k] } else if s[k] == ">" { break }
                    k += 1
                }
                i = min(k + 1, s.count)
                if !closing, name == "script" || name == "style" {
                    i = (find("</\(name)", from: i).flatMap { e in
                        var m = e
                        while m < s.count, s[m] != ">" { m += 1 }
                        return m + 1
                    }) ?? s.count
                    continue
                }
                if name == "title" {
                    inTitle = !closing
                    if closing {
                        // the title is a field of its own: no phrase or bigram spans it and the body
                        text += SourceDocument.fieldSeparator
                        continue
                    }
                }
                if blockTags.contains(name), !text.isEmpty, text.last != "\n" { text += "\n" }
                continue
            }
            if c == "&" {
                var k = i + 1
                var name = ""
                while k < s.count, k - i <= 32, s[k] != ";", s[k].properties.isAlphabetic || ("0"..."9").contains(s[k]) || s[k] == "#" {
                    name.unicodeScalars.append(s[k]); k += 1
                }
                var decoded: String? = nil
                if k < s.count, s[k] == ";" {
                    if name.hasPrefix("#x") || name.hasPrefix("#X") {
                        decoded = UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map { String($0) }
                    } else if name.hasPrefix("#") {
                        decoded = UInt32(name.dropFirst(1)).flatMap(Unicode.Scalar.init).map { String($0) }
                    } else {
                        decoded = namedEntities[name]
                    }
                }
                if let d = decoded {
                    text += d
                    if inTitle { title += d }
                    i = k + 1
                    continue
                }
            }
            text.unicodeScalars.append(c)
            if inTitle { title.unicodeScalars.append(c) }
            i += 1
        }
        return (text, title.trimmingWhitespace())
    }
}

extension String {
    /// The string without leading and trailing whitespace (and newlines).
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }
}
