import ArgumentParser
import Foundation
import Sou

/// `sou search`: runs a query against an index and prints the hits, ripgrep style.
struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search an index: exact phrases, AND/OR/NOT, ranked by BM25.",
        discussion: """
        QUERY LANGUAGE
          集体协商            a CJK run is an exact phrase (also across soft line breaks)
          会                  a single CJK character matches wherever it occurs
          iPhone手机          several tokens in one clause: an exact phrase of them
          "iPhone 手机"       quotes make one phrase across spaces and scripts
          集体协商 工资       whitespace separates clauses: all must match (AND)
          工会 OR 职工        either may match (OR is upper case)
          集体协商 -草案      "-" excludes a clause (also: NOT 草案 集体协商)
          (工会 OR 职工) 协商 parentheses group
          title:劳动合同      the title contains the phrase (a filter)
          path:docs/*.txt     the key matches a glob, or starts with the text
          libre*              words starting with libre (at most 1024 words)
        ^ boosts, ~ fuzzy, other wildcards, + && || are errors, not text.
        Latin words and numbers match whole normalized words. The query goes through
        the analyzer configuration the index was built with (width, case, NFKC).
        Punctuation is never crossed: 「工具」栏 does not match 工具栏.

        RANKING
          BM25 as Lucene: idf = ln(1 + (N - n + 0.5) / (n + 0.5)),
          score = idf * f / (f + k1 * (1 - b + b * dl / avgdl)), summed over the
          matching clauses; a phrase scores as one unit (idf = sum of its terms'
          idf, f = occurrences of the phrase). --explain shows the breakdown.

        INDEX
          --index FILE, else $SOU_INDEX, else ./corpus.sou, else the bundled
          ./corpus folder is indexed once into ./corpus.sou.

        EXIT STATUS
          0 something matched, 1 nothing matched, 2 error.
        """
    )

    @Argument(parsing: .allUnrecognized, help: "The query (several arguments are joined with spaces; an excluded clause like -草案 may follow the others).")
    var query: [String] = []

    @Option(name: [.customShort("i"), .long], help: "The index file (default: $SOU_INDEX, else ./corpus.sou).")
    var index: String?

    @Option(name: [.customShort("n"), .long], help: "The most hits to show.")
    var limit: Int = 10

    @Flag(name: [.customShort("c"), .long], help: "Print only the number of matching documents.")
    var count = false

    @Flag(name: [.customShort("l"), .long], help: "Print only the keys of the hits, best first.")
    var files = false

    @Flag(help: "One JSON object per hit: rank, key, title, score, matches, snippets.")
    var json = false

    @Flag(help: "Show how each hit's score is computed.")
    var explain = false

    @Option(help: "BM25 term-frequency saturation k1 (non-negative).")
    var k1: Double = 1.2

    @Option(help: "BM25 length normalization b (0 to 1).")
    var b: Double = 0.75

    @Option(help: "Color: auto (when stdout is a terminal), always or never.")
    var color: ColorChoice = .auto

    @Option(name: .customLong("max-lines"), help: "The most matching lines shown per hit (default: all).")
    var maxLines: Int?

    @Option(name: .customLong("max-columns"), help: "Lines longer than this many characters are cut around the match.")
    var maxColumns: Int = 120

    @Option(help: "Run every query of FILE (one per line; for a TSV the first column) and print one JSON line per query.")
    var batch: String?

    enum ColorChoice: String, ExpressibleByArgument, CaseIterable {
        case auto, always, never
    }

    func validate() throws {
        if batch == nil, query.isEmpty { throw ValidationError("missing query (or --batch FILE)") }
        if limit < 0 { throw ValidationError("--limit must be 0 or more") }
        if let maxLines, maxLines < 0 { throw ValidationError("--max-lines must be 0 or more") }
    }

    func run() throws {
        let bm25: BM25
        do { bm25 = try BM25(k1: k1, b: b) } catch { throw CLIError(error.description) }
        let index = try openIndex()
        let searcher: Searcher
        do { searcher = try Searcher(index: index) } catch { throw CLIError("\(error)") }

        if let batch {
            try runBatch(file: batch, searcher: searcher, bm25: bm25)
            return
        }

        let text = query.filter { $0 != "--" }.joined(separator: " ")
        let parsed: Query
        do { parsed = try QueryParser.parse(text) } catch { throw queryError(error, in: text) }
        let showsSnippets = !(count || files) && index.storesText
        let options = SearchOptions(
            limit: count ? 0 : limit, bm25: bm25,
            snippets: SnippetOptions(isEnabled: showsSnippets, maxLines: maxLines, maxLineLength: maxColumns),
            explains: explain)
        let results: SearchResults
        do { results = try searcher.search(parsed, options: options) } catch let error as QueryError {
            throw queryError(error, in: text)
        } catch { throw CLIError("\(error)") }

        var out = OutputBuffer()
        if count {
            out.write("\(results.total)\n")
        } else if files {
            for hit in results.hits { out.write(hit.key + "\n") }
        } else if json {
            for hit in results.hits { out.write(jsonLine(hit) + "\n") }
        } else {
            if !index.storesText, !results.hits.isEmpty {
                printError("note: this index stores no text (built with --no-store), so hits show no lines")
            }
            let colors = useColor ? Palette.ansi : Palette.plain
            for (i, hit) in results.hits.enumerated() {
                // A blank line between hits that show lines, as ripgrep's headings.
                if i > 0, !hit.snippets.isEmpty || hit.explanation != nil { out.write("\n") }
                writeHit(hit, colors: colors, to: &out)
            }
        }
        out.flush()
        if results.total == 0 { throw ExitStatus(code: 1) }
    }

    // MARK: - Index

    func openIndex() throws -> IndexReader {
        let environment = ProcessInfo.processInfo.environment
        let path: String
        if let index {
            path = index
        } else if let fromEnvironment = environment["SOU_INDEX"], !fromEnvironment.isEmpty {
            path = fromEnvironment
        } else if isDirectory("corpus") {
            // the bundled corpus: built once, then refreshed when corpus/ changes
            try BundledCorpus.refresh(folder: "corpus", index: "corpus.sou")
            path = "corpus.sou"
        } else if FileManager.default.fileExists(atPath: "corpus.sou") {
            path = "corpus.sou"
        } else {
            throw CLIError("no index: pass --index FILE, set SOU_INDEX, or build one with `sou index PATH -o corpus.sou`")
        }
        do {
            return try IndexReader(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CLIError("\(path): \(error)")
        }
    }

    func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    // MARK: - Errors

    /// A query error as a message with the query and a caret under the position.
    /// A long query is shown as the 40 characters on each side of the position, cut with "…".
    func queryError(_ error: QueryError, in text: String) -> CLIError {
        guard let reported = error.position else { return CLIError("query error: \(error.message)") }
        let characters = Array(text)
        let position = min(reported, characters.count)
        let from = max(0, position - 40), to = min(characters.count, position + 40)
        let head = from > 0 ? "…" : "", tail = to < characters.count ? "…" : ""
        let before = head + String(characters[from..<position])
        let width = before.unicodeScalars.reduce(0) { $0 + (Self.isWide($1) ? 2 : 1) }
        let caret = String(repeating: " ", count: width) + "^"
        let shown = head + String(characters[from..<to]) + tail
        return CLIError("query error at position \(position): \(error.message)\n    \(shown)\n    \(caret)")
    }

    static func isWide(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
             0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x20000...0x3FFFD:
            return true
        default:
            return false
        }
    }

    // MARK: - Human output

    var useColor: Bool {
        switch color {
        case .always: true
        case .never: false
        case .auto: isTerminal(STDOUT_FILENO)
        }
    }

    struct Palette {
        var key = "", title = "", score = "", line = "", match = "", reset = ""
        static let plain = Palette()
        static let ansi = Palette(key: "\u{1B}[35m", title: "\u{1B}[1m", score: "\u{1B}[2m", line: "\u{1B}[32m",
                                  match: "\u{1B}[1;31m", reset: "\u{1B}[0m")
    }

    func writeHit(_ hit: SearchHit, colors c: Palette, to out: inout OutputBuffer) {
        var heading = c.key + hit.key + c.reset
        if !hit.title.isEmpty, hit.title != hit.key { heading += "  " + c.title + hit.title + c.reset }
        heading += "  " + c.score + "score " + formatScore(hit.score) + c.reset
        out.write(heading + "\n")
        if let explanation = hit.explanation { writeExplanation(explanation, to: &out) }
        for snippet in hit.snippets {
            out.write(c.line + String(snippet.line) + c.reset + ":" + highlighted(snippet, c) + "\n")
        }
    }

    func highlighted(_ snippet: Snippet, _ c: Palette) -> String {
        guard !c.match.isEmpty else { return snippet.text }
        let bytes = Array(snippet.text.utf8)
        var result = ""
        var at = 0
        for h in snippet.highlights where h.lowerBound >= at && h.upperBound <= bytes.count {
            result += String(decoding: bytes[at..<h.lowerBound], as: UTF8.self)
            result += c.match + String(decoding: bytes[h], as: UTF8.self) + c.reset
            at = h.upperBound
        }
        result += String(decoding: bytes[at...], as: UTF8.self)
        return result
    }

    func writeExplanation(_ e: Explanation, to out: inout OutputBuffer) {
        out.write("  \(formatScore(e.score)) = sum of \(e.clauses.count) clause(s); BM25 k1=\(e.bm25.k1) b=\(e.bm25.b), N=\(e.documentCount)\n")
        for clause in e.clauses {
            let terms = clause.terms.map { "\($0.term) (n=\($0.documentFrequency), idf=\(formatScore($0.idf)))" }
                .joined(separator: " + ")
            out.write("    \(formatScore(clause.score)) \"\(clause.text)\": idf \(formatScore(clause.idf)) = \(terms)\n")
            out.write("      = idf · f / (f + k1 · (1 − b + b · dl / avgdl)) with f=\(clause.frequency), "
                      + "dl=\(clause.documentLength), avgdl=\(formatScore(clause.averageDocumentLength))\n")
        }
    }

    func formatScore(_ x: Double) -> String { String(format: "%.4f", x) }

    // MARK: - JSON

    func jsonLine(_ hit: SearchHit) -> String {
        var s = "{\"rank\":\(hit.rank),\"key\":\(JSON.string(hit.key)),\"title\":\(JSON.string(hit.title)),"
        s += "\"score\":\(JSON.number(hit.score)),\"matches\":\(hit.matches),\"snippets\":["
        s += hit.snippets.map { snippet in
            "{\"line\":\(snippet.line),\"text\":\(JSON.string(snippet.text)),\"highlights\":["
                + snippet.highlights.map { "[\($0.lowerBound),\($0.upperBound)]" }.joined(separator: ",") + "]}"
        }.joined(separator: ",")
        s += "]"
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

    // MARK: - Batch

    func runBatch(file: String, searcher: Searcher, bm25: BM25) throws {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
            throw CLIError("cannot read \(file): \(error.localizedDescription)")
        }
        let queries = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .map { line -> String in
                var q = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
                if q.hasSuffix("\r") { q.removeLast() }
                return q
            }
            .filter { !$0.allSatisfy(\.isWhitespace) }
        let options = SearchOptions(limit: limit, bm25: bm25, snippets: SnippetOptions(isEnabled: false))
        var out = OutputBuffer()
        let clock = ContinuousClock()
        let loopStart = clock.now
        for q in queries {
            let start = clock.now
            do {
                let results = try searcher.search(q, options: options)
                let ms = Self.milliseconds(clock.now - start)
                var line = "{\"query\":\(JSON.string(q)),\"total\":\(results.total),\"hits\":["
                line += results.hits.map { "{\"key\":\(JSON.string($0.key)),\"score\":\(JSON.number($0.score))}" }
                    .joined(separator: ",")
                line += "],\"ms\":\(String(format: "%.3f", ms))}\n"
                out.write(line)
            } catch {
                let ms = Self.milliseconds(clock.now - start)
                let message = (error as? QueryError)?.description ?? "\(error)"
                out.write("{\"query\":\(JSON.string(q)),\"error\":\(JSON.string(message)),\"total\":0,\"hits\":[],\"ms\":\(String(format: "%.3f", ms))}\n")
            }
        }
        let seconds = Self.milliseconds(clock.now - loopStart) / 1000
        out.write("{\"queries\":\(queries.count),\"seconds\":\(String(format: "%.6f", seconds))}\n")
        out.flush()
    }

    static func milliseconds(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }
}

/// Collects output and writes it to stdout in large chunks.
struct OutputBuffer {
    private var bytes: [UInt8] = []

    mutating func write(_ s: String) {
        bytes.append(contentsOf: s.utf8)
        if bytes.count > 1 << 16 { flush() }
    }

    mutating func flush() {
        guard !bytes.isEmpty else { return }
        FileHandle.standardOutput.write(Data(bytes))
        bytes.removeAll(keepingCapacity: true)
    }
}

/// Builds the index of the bundled `corpus/` folder the first time `sou search` runs without an
/// index, with the library builder `sou index corpus -o corpus.sou` runs.
enum BundledCorpus {
    static func refresh(folder: String, index output: String) throws {
        var options = IndexBuildOptions()
        options.waitsForLock = true
        var builder = IndexBuilder(options: options)
        builder.warn = { printError("warning: " + $0) }
        let exists = FileManager.default.fileExists(atPath: output)
        if exists {
            // refresh only an index that `sou search` (or `sou index corpus -o corpus.sou`) built
            // from this folder with default options; any other corpus.sou is used as it is
            guard let reader = try? IndexReader(path: output), reader.configuration == options.configuration,
                  reader.storesText == options.storesText, let table = try? reader.sources(),
                  table.files.keys.allSatisfy({ $0.hasPrefix(folder + "/") }) else { return }
            if (try? builder.isUpToDate(reader, paths: [folder])) == true { return }
        }
        builder.temporaryFile = TemporaryFileCleanup.hook()
        do {
            if !exists {
                printError("no index given: indexing the bundled \(folder)/ into \(output) (once; later searches reuse it)")
            }
            let summary = try builder.update(paths: [folder], at: URL(fileURLWithPath: output), rebuild: false)
            if summary.rebuilt {
                printError("indexed \(summary.documents) documents (\(summary.inputBytes) bytes) into \(output) in "
                           + String(format: "%.2f s", summary.seconds))
            } else {
                printError("\(folder)/ changed: updated \(output): added \(summary.added), replaced \(summary.replaced), deleted \(summary.deleted), unchanged \(summary.unchanged) in "
                           + String(format: "%.2f s", summary.seconds))
            }
        } catch IndexError.locked where FileManager.default.fileExists(atPath: output) {
            // another `sou search` built or updated it at the same time: use theirs
            return
        } catch {
            throw CLIError("building \(output) from \(folder)/ failed: \(error)")
        }
    }
}
