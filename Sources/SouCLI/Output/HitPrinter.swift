import FoundationEssentials
import Glibc
import Sou

/// Prints the results of one `sou search` in the format asked for: human (headings, numbered
/// lines with context, a summary), `--json`, `-l`, `-c` (each also as JSON) or `--vimgrep`.
/// Keys and titles are escaped (``Escaping``) outside JSON; JSON strings are JSON-escaped.
struct HitPrinter {
    enum Format {
        /// A heading per hit (key, title, score), its matching lines as `LINE:text` with
        /// context lines `LINE-text`, `--` between groups, a blank line between hits, and a
        /// summary line "10 of 786 matching documents".
        case human
        /// One JSON object per hit (with the total in each).
        case json
        /// The keys of the hits, best first.
        case files
        /// The number of matching documents.
        case count
        /// `key:line:column:text`, one line per highlighted match; column in bytes, from 1.
        case vimgrep
    }

    var format: Format
    /// `-l` and `-c` as JSON.
    var asJSON = false
    /// `-l -0`: each key ends with a NUL byte, unescaped (a line feed in a name is printed as it is)
    /// unless ``toTerminal``.
    var nullSeparated = false
    /// Stdout is a terminal.
    var toTerminal = false
    var palette = Palette.plain
    /// Context lines before and after each matching line (human output; `"context"` in JSON).
    var before = 0, after = 0
    /// Lines wider than this many columns are cut (`Int.max`: never).
    var maxColumns = Int.max

    /// Writes `results` to `out`. `index` gives the stored text for context lines; `offset` is
    /// the number of best hits skipped (for the summary).
    func write(_ results: SearchResults, offset: Int, index: IndexReader, to out: inout OutputBuffer) throws {
        switch format {
        case .count:
            out.write(asJSON ? "{\"total\":\(results.total)}\n" : "\(results.total)\n")
        case .files:
            for hit in results.hits {
                if nullSeparated {
                    // unescaped for a pipe (xargs -0); on a terminal escaped as always, so that a
                    // key cannot drive it (escape sequences, bidi overrides)
                    out.write(bytes: Array((toTerminal ? Escaping.printable(hit.key) : hit.key).utf8) + [0])
                    continue
                }
                out.write(asJSON ? "{\"rank\":\(hit.rank),\"key\":\(JSON.string(hit.key))}\n" : Escaping.printable(hit.key) + "\n")
            }
        case .json:
            for hit in results.hits {
                let context = try contextLines(of: hit, index: index)?.filter { !$0.matching }
                out.write(Self.jsonLine(hit, total: results.total, context: context) + "\n")
            }
        case .vimgrep:
            if !index.storesText, !results.hits.isEmpty {
                out.note("note: this index stores no text (built with --no-store), so --vimgrep has no lines to print")
            }
            for hit in results.hits { writeVimgrep(hit, to: &out) }
        case .human:
            if !index.storesText, !results.hits.isEmpty {
                out.note("note: this index stores no text (built with --no-store), so hits show no lines")
            }
            for (i, hit) in results.hits.enumerated() {
                // A blank line between hits that show lines, as ripgrep's headings.
                if i > 0, !hit.snippets.isEmpty || hit.explanation != nil { out.write("\n") }
                try writeHit(hit, index: index, to: &out)
            }
            if results.total > 0 {
                if !results.hits.isEmpty { out.write("\n") }
                out.write(palette.score + Self.summary(total: results.total, shown: results.hits.count, offset: offset)
                          + palette.reset + "\n")
            }
        }
    }

    /// "10 of 786 matching documents", "11–20 of 786 matching documents" with an offset.
    static func summary(total: Int, shown: Int, offset: Int) -> String {
        let noun = total == 1 ? "matching document" : "matching documents"
        if shown == 0 {
            return offset > 0 ? "none of \(total) \(noun) after the first \(offset)" : "0 of \(total) \(noun)"
        }
        let range = offset > 0 ? "\(offset + 1)–\(offset + shown)" : "\(shown)"
        return "\(range) of \(total) \(noun)"
    }

    // MARK: human

    func writeHit(_ hit: SearchHit, index: IndexReader, to out: inout OutputBuffer) throws {
        let c = palette
        let key = Escaping.printable(hit.key)
        var heading = c.key + key + c.reset
        if !hit.title.isEmpty, hit.title != hit.key {
            // the title cut to what the line has left after the key and the score (16 columns)
            let room = maxColumns == Int.max ? Int.max : max(20, maxColumns - DisplayWidth.columns(key) - 16)
            heading += "  " + c.title + LineCutter.cut(Escaping.printable(hit.title), maxColumns: room) + c.reset
        }
        heading += "  " + c.score + "score " + Self.formatScore(hit.score) + c.reset
        out.write(heading + "\n")
        if let explanation = hit.explanation { Self.writeExplanation(explanation, to: &out) }
        guard !hit.snippets.isEmpty else { return }
        guard let lines = try contextLines(of: hit, index: index) else {
            for snippet in hit.snippets { writeMatch(snippet, to: &out) }
            return
        }
        let matching = Dictionary(hit.snippets.map { ($0.line, $0) }, uniquingKeysWith: { a, _ in a })
        var printed = 0 // the last line number written
        for line in lines {
            if printed > 0, line.number > printed + 1 { out.write(c.separator + "--" + c.reset + "\n") }
            if line.matching, let m = matching[line.number] {
                writeMatch(m, to: &out)
            } else {
                out.write(c.line + String(line.number) + c.reset + "-" + LineCutter.cut(line.text, maxColumns: maxColumns) + "\n")
            }
            printed = line.number
        }
    }

    /// A line shown around a hit: a matching line or a context line.
    struct ShownLine {
        var number: Int
        var matching: Bool
        /// The whole stored line (empty for matching lines, which print their snippet).
        var text: String
    }

    /// The lines -A/-B/-C show for `hit`, in order: each matching line with `before` lines before
    /// it and `after` after it, merged where they touch. Nil when no context was asked for, the
    /// hit has no snippets, or the index stores no text.
    func contextLines(of hit: SearchHit, index: IndexReader) throws -> [ShownLine]? {
        guard before > 0 || after > 0, !hit.snippets.isEmpty, let text = try index.storedText(hit.document) else { return nil }
        let lines = StoredLines(text)
        let matching = Set(hit.snippets.map(\.line))
        var shown: [ShownLine] = []
        var last = 0 // the last line number taken
        for line in matching.sorted() {
            // (saturating: -A/-B/-C take any count up to Int.max)
            let from = max(1, line.subtractingReportingOverflow(before).overflow ? 1 : line - before, last + 1)
            let to = min(lines.count, line.addingReportingOverflow(after).overflow ? lines.count : line + after)
            guard from <= to else { continue }
            for n in from...to {
                let isMatch = matching.contains(n)
                shown.append(ShownLine(number: n, matching: isMatch, text: isMatch ? "" : lines.line(n)))
            }
            last = to
        }
        return shown
    }

    func writeMatch(_ snippet: Snippet, to out: inout OutputBuffer) {
        out.write(palette.line + String(snippet.line) + palette.reset + ":" + highlighted(snippet.text, snippet.highlights) + "\n")
    }

    func highlighted(_ text: String, _ highlights: [Range<Int>]) -> String {
        let c = palette
        guard !c.match.isEmpty else { return text }
        let bytes = Array(text.utf8)
        var result = ""
        var at = 0
        for h in highlights where h.lowerBound >= at && h.upperBound <= bytes.count {
            result += String(decoding: bytes[at..<h.lowerBound], as: UTF8.self)
            result += c.match + String(decoding: bytes[h], as: UTF8.self) + c.reset
            at = h.upperBound
        }
        result += String(decoding: bytes[at...], as: UTF8.self)
        return result
    }

    static func writeExplanation(_ e: Explanation, to out: inout OutputBuffer) {
        out.write("  \(formatScore(e.score)) = sum of \(e.clauses.count) clause(s); BM25 k1=\(e.bm25.k1) b=\(e.bm25.b), N=\(e.documentCount)\n")
        for clause in e.clauses {
            let terms = clause.terms.map { "\($0.term) (n=\($0.documentFrequency), idf=\(formatScore($0.idf)))" }
                .joined(separator: " + ")
            out.write("    \(formatScore(clause.score)) \"\(clause.text)\": idf \(formatScore(clause.idf)) = \(terms)\n")
            out.write("      = idf · f / (f + k1 · (1 − b + b · dl / avgdl)) with f=\(clause.frequency), "
                      + "dl=\(clause.documentLength), avgdl=\(formatScore(clause.averageDocumentLength))\n")
        }
    }

    static func formatScore(_ x: Double) -> String { fixedPoint(x, decimals: 4) }

    // MARK: vimgrep

    /// One line per highlight: the snippets are whole lines here (the search asked for no cut),
    /// so a highlight's byte offset is its column in the stored line.
    func writeVimgrep(_ hit: SearchHit, to out: inout OutputBuffer) {
        let key = Escaping.printable(hit.key)
        for snippet in hit.snippets {
            let bytes = Array(snippet.text.utf8)
            for h in snippet.highlights {
                let shown = LineCutter.cut(bytes, highlights: [h], maxColumns: maxColumns)
                out.write("\(key):\(snippet.line):\(h.lowerBound + 1):\(highlighted(shown.text, shown.highlights))\n")
            }
        }
    }

    // MARK: JSON

    /// One hit as a JSON object; `context` (with -A/-B/-C) adds `"context":[{"line":N,"text":…}]`,
    /// the whole stored lines around the matching ones, in line order.
    static func jsonLine(_ hit: SearchHit, total: Int, context: [ShownLine]? = nil) -> String {
        var s = "{\"rank\":\(hit.rank),\"key\":\(JSON.string(hit.key)),\"title\":\(JSON.string(hit.title)),"
        s += "\"score\":\(JSON.number(hit.score)),\"matches\":\(hit.matches),\"total\":\(total),\"snippets\":["
        s += hit.snippets.map { snippet in
            "{\"line\":\(snippet.line),\"text\":\(JSON.string(snippet.text)),\"highlights\":["
                + snippet.highlights.map { "[\($0.lowerBound),\($0.upperBound)]" }.joined(separator: ",") + "]}"
        }.joined(separator: ",")
        s += "]"
        if let context {
            s += ",\"context\":[" + context.map { "{\"line\":\($0.number),\"text\":\(JSON.string($0.text))}" }.joined(separator: ",") + "]"
        }
        if let e = hit.explanation {
            s += ",\"explain\":{\"k1\":\(JSON.number(e.bm25.k1)),\"b\":\(JSON.number(e.bm25.b)),\"N\":\(e.documentCount),\"clauses\":["
            s += e.clauses.map { c in
                "{\"clause\":\(JSON.string(c.text)),\"idf\":\(JSON.number(c.idf)),\"f\":\(c.frequency),\"dl\":\(c.documentLength),"
                    + "\"avgdl\":\(JSON.number(c.averageDocumentLength)),\"score\":\(JSON.number(c.score)),\"terms\":["
                    + c.terms.map { "{\"term\":\(JSON.string($0.term)),\"n\":\($0.documentFrequency),\"idf\":\(JSON.number($0.idf))}" }
                        .joined(separator: ",") + "]}"
            }.joined(separator: ",")
            s += "]}"
        }
        return s + "}"
    }
}

/// The lines of a stored text, numbered as snippets number them: from 1, split at "\n", a
/// final "\r" dropped.
struct StoredLines {
    let bytes: [UInt8]
    /// Start of each line (after each "\n").
    private(set) var starts: [Int] = [0]

    init(_ text: String) {
        bytes = Array(text.utf8)
        for (i, b) in bytes.enumerated() where b == 0x0A { starts.append(i + 1) }
    }

    /// The number of lines (a final "\n" ends the last line; it does not start an empty one).
    var count: Int { bytes.last == 0x0A ? starts.count - 1 : starts.count }

    /// Line `n` (1-based, 1...count) without its terminator.
    func lineBytes(_ n: Int) -> ArraySlice<UInt8> {
        let start = starts[n - 1]
        var end = n < starts.count ? starts[n] - 1 : bytes.count
        if end > start, bytes[end - 1] == 0x0D { end -= 1 }
        return bytes[start..<end]
    }

    func line(_ n: Int) -> String { String(decoding: lineBytes(n), as: UTF8.self) }
}
