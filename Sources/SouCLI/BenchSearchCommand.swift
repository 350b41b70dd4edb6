import ArgumentParser
import FoundationEssentials
import Glibc
import Sou

/// Latency figures of one or more passes over the queries.
struct LatencyStatistics: Codable {
    var queries: Int
    var meanMilliseconds: Double
    var p50Milliseconds: Double
    var p99Milliseconds: Double
    var maxMilliseconds: Double
    var minMilliseconds: Double
    /// Queries over the wall-clock seconds of the passes (the loop included).
    var queriesPerSecond: Double

    /// `latencies` in seconds; `seconds`: the wall-clock time of the passes that ran them.
    init(_ latencies: [Double], seconds: Double) {
        let s = latencies.sorted()
        queries = s.count
        meanMilliseconds = s.isEmpty ? 0 : s.reduce(0, +) / Double(s.count) * 1000
        p50Milliseconds = Self.percentile(s, 50) * 1000
        p99Milliseconds = Self.percentile(s, 99) * 1000
        maxMilliseconds = (s.last ?? 0) * 1000
        minMilliseconds = (s.first ?? 0) * 1000
        queriesPerSecond = seconds > 0 ? Double(s.count) / seconds : 0
    }

    /// The nearest-rank percentile of sorted `s`: the smallest value with at least `p` percent
    /// of the values at or below it.
    static func percentile(_ s: [Double], _ p: Double) -> Double {
        guard !s.isEmpty else { return 0 }
        let rank = Int((p / 100 * Double(s.count)).rounded(.up))
        return s[min(max(rank, 1), s.count) - 1]
    }
}

/// The output of `sou bench search --json`.
struct BenchSearchReport: Codable {
    var command = "sou bench search"
    var date: String
    var index: String
    var documents: Int
    var segments: Int
    var queriesFile: String
    var queries: Int
    var limit: Int
    var snippets: Bool
    /// Opening the index (memory-mapping and validating it), in milliseconds.
    var openMilliseconds: Double
    /// Making the searcher (the analyzer of the index's configuration), in milliseconds.
    var searcherMilliseconds: Double
    /// The first pass over the queries in this process.
    var cold: LatencyStatistics
    /// The following `runs` passes, every query of every pass.
    var warm: LatencyStatistics
    var warmPasses: Int
    /// Matching documents summed over the queries of one pass (the same in every pass).
    var totalMatches: Int
    var loadAverage: [Double]
}

/// `sou bench search INDEX --queries FILE`: query latency.
struct BenchSearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Measure query latency: mean, p50, p99, max and queries/s, cold (first pass) and warm.",
        discussion: """
            Opens INDEX, then runs every query of FILE (one per line; of a TSV line, the first \
            column; a first line starting with "query<TAB>" is a header and skipped; blank lines \
            are skipped) as `sou search --batch` does: top --limit hits by BM25 and the exact \
            number of matching documents, without snippets unless --snippets. Every query is \
            parsed before anything is timed: a malformed one is an error naming its line. \
            The cold pass is the first one in this process (the index's pages may still be in the \
            operating system's cache from earlier processes); the warm figures pool the --runs \
            passes that follow. Latency is each query's wall-clock time; p50 and p99 are \
            nearest-rank percentiles; queries/s is the number of queries over the passes' \
            wall-clock time.
            """
    )

    @Argument(help: "The index file.")
    var index: String

    @Option(help: "The queries (- for stdin): one per line, or a TSV whose first column is the query (UTF-8; at most 1 MiB a line and 256 MiB in all; a NUL byte is an error).")
    var queries: String

    @Option(parsing: .unconditional, help: "Warm passes over the queries (after the cold one).")
    var runs = 5

    @Option(name: [.customShort("n"), .long], parsing: .unconditional, help: "Hits per query (the exact total is always counted).")
    var limit = 10

    @Flag(help: "Also build snippets (the matching lines) of the hits, as `sou search` shows them.")
    var snippets = false

    @Flag(help: "Print the results as one JSON object.")
    var json = false

    func validate() throws {
        if runs < 1 || runs > 100_000 { throw ValidationError("--runs must be between 1 and 100000 (got \(runs))") }
        if limit < 0 { throw ValidationError("-n/--limit must be 0 or more (got \(limit))") }
    }

    func run() throws {
        let list = try LineFile.queries(queries, option: "--queries")
        guard !list.isEmpty else { throw CLIError("\(queries) holds no query") }
        var parsed: [Query] = []
        for (line, text) in list {
            let result = Result { () throws(QueryError) -> Query in try QueryParser.parse(text) }
            switch result {
            case .success(let q): parsed.append(q)
            case .failure(let error): throw CLIError("\(queries) line \(line): \(error.description)")
            }
        }
        let clock = ContinuousClock()
        let openStart = clock.now
        let reader: IndexReader
        do { reader = try IndexReader(contentsOf: URL(fileURLWithPath: index)) } catch { throw CLIError(file: index, error) }
        let openSeconds = Self.seconds(clock.now - openStart)
        let searcherStart = clock.now
        let searcher: Searcher
        do { searcher = try Searcher(index: reader) } catch { throw CLIError(file: index, error) }
        let searcherSeconds = Self.seconds(clock.now - searcherStart)
        let options = SearchOptions(limit: limit, snippets: SnippetOptions(isEnabled: snippets && reader.storesText))
        let pass = { () throws -> Pass in try self.pass(parsed, lines: list.map(\.line), searcher: searcher, options: options) }
        let cold = try pass()
        var warm: [Double] = []
        var warmSeconds = 0.0
        for _ in 0..<runs {
            let p = try pass()
            guard p.matches == cold.matches else {
                throw CLIError("internal error: a pass counted \(p.matches) matches, the first \(cold.matches)")
            }
            warm += p.latencies
            warmSeconds += p.seconds
        }
        let report = BenchSearchReport(
            date: isoDateNow(), index: index, documents: reader.documentCount,
            segments: reader.segments.count, queriesFile: queries, queries: parsed.count, limit: limit,
            snippets: options.snippets.isEnabled, openMilliseconds: openSeconds * 1000,
            searcherMilliseconds: searcherSeconds * 1000,
            cold: LatencyStatistics(cold.latencies, seconds: cold.seconds),
            warm: LatencyStatistics(warm, seconds: warmSeconds), warmPasses: runs, totalMatches: cold.matches,
            loadAverage: BenchIndexCommand.loadAverage())
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(Self.text(report), terminator: "")
        }
    }

    /// One pass's figures: each query's seconds, the pass's seconds, the matches summed.
    struct Pass {
        var latencies: [Double]
        var seconds: Double
        var matches: Int
    }

    /// Runs every query once.
    func pass(_ parsed: [Query], lines: [Int], searcher: Searcher, options: SearchOptions) throws -> Pass {
        let clock = ContinuousClock()
        var latencies: [Double] = []
        latencies.reserveCapacity(parsed.count)
        var matches = 0
        let passStart = clock.now
        for (i, q) in parsed.enumerated() {
            let start = clock.now
            let results: SearchResults
            do { results = try searcher.search(q, options: options) } catch {
                throw CLIError("\(queries) line \(lines[i]): \(error)")
            }
            latencies.append(Self.seconds(clock.now - start))
            matches += results.total
        }
        return Pass(latencies: latencies, seconds: Self.seconds(clock.now - passStart), matches: matches)
    }

    static func text(_ r: BenchSearchReport) -> String {
        let f = BenchIndexCommand.format
        var out = "sou bench search \(r.index) (\(r.documents) documents, \(r.segments) \(r.segments == 1 ? "segment" : "segments")): "
        out += "\(r.queries) queries from \(r.queriesFile), top \(r.limit) and the exact count"
        out += r.snippets ? ", with snippets" : ", no snippets"
        out += "; load average \(r.loadAverage.map { f($0, 2) }.joined(separator: " "))\n"
        out += "open \(f(r.openMilliseconds, 2)) ms, searcher (analyzer) \(f(r.searcherMilliseconds, 2)) ms; "
        out += "\(r.totalMatches) matching documents per pass\n\n"
        var rows: [[String]] = [["", "queries", "mean ms", "p50 ms", "p99 ms", "max ms", "queries/s"]]
        for (name, s) in [("cold (first pass)", r.cold), ("warm (\(r.warmPasses) \(r.warmPasses == 1 ? "pass" : "passes"))", r.warm)] {
            rows.append([name, String(s.queries), f(s.meanMilliseconds, 3), f(s.p50Milliseconds, 3), f(s.p99Milliseconds, 3),
                         f(s.maxMilliseconds, 3), f(s.queriesPerSecond, 0)])
        }
        out += BenchIndexCommand.columns(rows, leftAlignedColumns: 1)
        return out
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}
