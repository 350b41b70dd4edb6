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
          集体协商 -草案      "-" excludes a clause
          (工会 OR 职工) 协商 parentheses group
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

        OUTPUT
          Per hit: KEY  TITLE  score S, then LINE:text for each matching line of
          the stored text (LINE-text for context lines, -- between groups), then
          a summary "10 of 786 matching documents". Lines wider than
          --max-columns terminal columns (a CJK character takes two) are cut
          around the match with "…". Keys and titles are escaped outside JSON
          (\\n, \\t, \\xHH, \\u{HHHH}, \\\\). --color auto colours only a terminal,
          with NO_COLOR unset and TERM not dumb. --vimgrep prints
          KEY:LINE:COLUMN:TEXT per match, COLUMN in bytes from 1 (as rg).

        EXIT STATUS
          0 something matched, 1 nothing matched, 2 error (usage errors too).
        """
    )

    @Argument(parsing: .allUnrecognized, help: "The query (several arguments are joined with spaces; an excluded clause like -草案 may follow the others).")
    var query: [String] = []

    @Option(name: [.customShort("i"), .long], help: "The index file (default: $SOU_INDEX, else ./corpus.sou).")
    var index: String?

    @Option(name: [.customShort("n", allowingJoined: true), .long], parsing: .unconditional, help: "The most hits to show.")
    var limit: Int = 10

    @Option(parsing: .unconditional, help: "Skip this many of the best hits first (pagination with -n: --offset 10 -n 10 shows hits 11 to 20).")
    var offset: Int = 0

    @Flag(name: [.customShort("c"), .long], help: "Print only the number of matching documents.")
    var count = false

    @Flag(name: [.customShort("l"), .long], help: "Print only the keys of the hits, best first.")
    var files = false

    @Flag(help: "One JSON object per hit: rank, key, title, score, matches, total, snippets (with -c: {\"total\":N}; with -l: rank and key).")
    var json = false

    @Flag(help: "One line per match: KEY:LINE:COLUMN:TEXT (column in bytes from 1, as ripgrep), for editors' quickfix lists.")
    var vimgrep = false

    @Option(name: [.customShort("A", allowingJoined: true), .customLong("after-context")], parsing: .unconditional,
            help: "Show NUM lines of the stored text after each matching line (human output).")
    var afterContext: Int?

    @Option(name: [.customShort("B", allowingJoined: true), .customLong("before-context")], parsing: .unconditional,
            help: "Show NUM lines of the stored text before each matching line (human output).")
    var beforeContext: Int?

    @Option(name: [.customShort("C", allowingJoined: true), .customLong("context")], parsing: .unconditional,
            help: "Show NUM lines before and after each matching line (-A and -B override it; human output).")
    var context: Int?

    @Flag(help: "Show how each hit's score is computed.")
    var explain = false

    @Option(parsing: .unconditional, help: "BM25 term-frequency saturation k1 (non-negative, finite).")
    var k1: Double = 1.2

    @Option(parsing: .unconditional, help: "BM25 length normalization b (0 to 1).")
    var b: Double = 0.75

    @Option(help: "Color: auto (stdout is a terminal, NO_COLOR unset, TERM set and not dumb), always or never.")
    var color: ColorChoice = .auto

    @Option(name: .customLong("max-lines"), parsing: .unconditional, help: "The most matching lines shown per hit (default: all).")
    var maxLines: Int?

    @Option(name: .customLong("max-columns"), parsing: .unconditional,
            help: "Lines wider than this many terminal columns (a CJK character takes two) are cut around the match; 0: no limit (default 120; --vimgrep: no limit).")
    var maxColumns: Int?

    @Option(help: "Run every query of FILE (one per line; for a TSV the first column) and print one JSON line per query.")
    var batch: String?

    func validate() throws {
        if batch == nil, query.isEmpty { throw ValidationError("missing query (or --batch FILE)") }
        for (name, value) in [("-n/--limit", limit), ("--offset", offset), ("--max-lines", maxLines), ("--max-columns", maxColumns),
                              ("-A/--after-context", afterContext), ("-B/--before-context", beforeContext), ("-C/--context", context)] {
            if let value, value < 0 { throw ValidationError("\(name) must be 0 or more (got \(value))") }
        }
        if vimgrep, json || count || files { throw ValidationError("--vimgrep cannot be combined with --json, -c or -l") }
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
        let printer = hitPrinter()
        let showsSnippets = !(count || files) && index.storesText
        var options = SearchOptions(
            limit: count ? 0 : limit, bm25: bm25,
            // --vimgrep needs whole lines (a match's column is its byte offset in the line): its printer cuts them
            snippets: SnippetOptions(isEnabled: showsSnippets, maxLines: maxLines,
                                     maxLineLength: printer.format == .vimgrep ? Int.max : printer.maxColumns),
            explains: explain)
        options.offset = offset
        let results: SearchResults
        do { results = try searcher.search(parsed, options: options) } catch let error as QueryError {
            throw queryError(error, in: text)
        } catch { throw CLIError("\(error)") }

        var out = OutputBuffer()
        do { try printer.write(results, offset: offset, index: index, to: &out) } catch { throw CLIError("\(error)") }
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
        let width = DisplayWidth.columns(before)
        let caret = String(repeating: " ", count: width) + "^"
        let shown = head + String(characters[from..<to]) + tail
        return CLIError("query error at position \(position): \(error.message)\n    \(shown)\n    \(caret)")
    }

    // MARK: - Output

    /// The printer of the format, colours, context and cut the options ask for.
    func hitPrinter() -> HitPrinter {
        let format: HitPrinter.Format = count ? .count : files ? .files : vimgrep ? .vimgrep : json ? .json : .human
        var printer = HitPrinter(format: format)
        printer.asJSON = json
        if format == .human || format == .vimgrep, color.usesColor() { printer.palette = .ansi }
        printer.before = beforeContext ?? context ?? 0
        printer.after = afterContext ?? context ?? 0
        let columns = maxColumns ?? (format == .vimgrep ? 0 : 120)
        printer.maxColumns = columns == 0 ? Int.max : columns
        return printer
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
