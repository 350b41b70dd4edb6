import ArgumentParser
import CSystemShim
import FoundationEssentials
import Glibc
import Sou

/// The input and build options `sou bench index` shares with `sou index` (and passes on to each
/// build it runs).
struct BenchBuildArguments: ParsableArguments {
    @Flag(help: "Read the given files as JSON Lines whatever their names.")
    var jsonl = false

    @Option(name: .customLong("id-field"), help: "JSON member holding the document key.")
    var idField = "id"

    @Option(name: .customLong("text-field"), help: "JSON member(s) joined into the text, each on its own lines with a gap no phrase spans (repeatable; default: title, body).")
    var textFields: [String] = []

    @Option(name: .customLong("title-field"), help: "JSON member holding the title.")
    var titleField = "title"

    @Flag(help: "Also walk hidden folders and files (and .git).")
    var hidden = false

    @Flag(name: .customLong("no-store"), help: "Do not store document text.")
    var noStore = false

    @Flag(name: .customLong("no-join-lines"), help: "Do not join CJK runs across soft line breaks.")
    var noJoinLines = false

    @Flag(name: .customLong("fold-variants"), help: "Fold Traditional Chinese to Simplified.")
    var foldVariants = false

    @Option(parsing: .unconditional, help: "In-memory buffer budget in MB (default 80), as `sou index --memory`.")
    var memory: Int?

    func validate() throws {
        if let memory, memory < 1 || memory > 1 << 20 { throw ValidationError("--memory must be between 1 and 1048576 MB (got \(memory))") }
    }

    /// The same options as command-line arguments (for a child build).
    var commandLine: [String] {
        var a: [String] = []
        if jsonl { a.append("--jsonl") }
        a += ["--id-field", idField, "--title-field", titleField]
        for f in textFields { a += ["--text-field", f] }
        if hidden { a.append("--hidden") }
        if noStore { a.append("--no-store") }
        if noJoinLines { a.append("--no-join-lines") }
        if foldVariants { a.append("--fold-variants") }
        if let memory { a += ["--memory", String(memory)] }
        return a
    }

    var inputOptions: InputOptions {
        var o = InputOptions()
        o.forcesJSONLines = jsonl
        o.idField = idField
        if !textFields.isEmpty { o.textFields = textFields }
        o.titleField = titleField
        o.includesHidden = hidden
        return o
    }
}

/// What one build (one child process) measured, as it prints it on stdout.
struct BenchBuildRun: Codable {
    /// Wall-clock seconds from opening the writer to the end of the commit.
    var seconds: Double
    var documents: Int
    var inputBytes: Int
    /// Tokens indexed (the sum of the documents' token counts).
    var tokens: Int
    var terms: Int
    var postings: Int
    var positions: Int
    var segments: Int
    var indexBytes: Int
    var segmentFlushes: Int
    var segmentMerges: Int
    var phases: [String: IndexBuildTimings.Measure]
}

/// Minimum, median and maximum of some runs, and every run.
struct RunStatistics: Codable {
    var min: Double
    var median: Double
    var max: Double
    var runs: [Double]

    init(_ values: [Double]) {
        let s = values.sorted()
        min = s.first ?? 0
        max = s.last ?? 0
        median = Self.median(s)
        runs = values
    }

    /// The median of sorted `s` (the mean of the middle two for an even count).
    static func median(_ s: [Double]) -> Double {
        s.isEmpty ? 0 : s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}

/// One row of `sou bench index`: a jobs value and a scale, over all runs.
struct BenchIndexResult: Codable {
    var jobs: Int
    var scale: Int
    var documents: Int
    var inputBytes: Int
    var tokens: Int
    var terms: Int
    var indexBytes: Int
    var segments: Int
    var seconds: RunStatistics
    /// Input MB (10^6 bytes), documents and tokens per median second.
    var megabytesPerSecond: Double
    var documentsPerSecond: Double
    var tokensPerSecond: Double
    /// The largest peak resident set size of the runs' processes, and each run's.
    var peakRSSBytes: Int
    var peakRSSBytesRuns: [Int]
    /// Median CPU seconds (user + system, all threads) of the runs' processes.
    var cpuSeconds: Double
    var segmentFlushes: Int
    var segmentMerges: Int
    /// Per phase: the median over the runs of its CPU seconds and its wall seconds, each summed
    /// over threads.
    var phases: [String: IndexBuildTimings.Measure]
}

/// A comparison of one row with the same row (jobs, scale) of a baseline.
struct BenchComparison: Codable {
    var jobs: Int
    var scale: Int
    /// Now ÷ then.
    var megabytesPerSecondRatio: Double
    var medianSecondsRatio: Double
    var peakRSSRatio: Double
    var indexBytesRatio: Double
    /// How much slower than the baseline, in percent of its speed (negative: faster).
    var slowdownPercent: Double
    var sameInput: Bool
}

/// The whole output of `sou bench index --json` (and what `--baseline` reads).
struct BenchIndexReport: Codable {
    var command = "sou bench index"
    var date: String
    var sources: [String]
    var runs: Int
    var cores: Int
    /// The 1, 5 and 15 minute load averages before the first run and after the last.
    var loadAverageBefore: [Double]
    var loadAverageAfter: [Double]
    var results: [BenchIndexResult]
    var baseline: String?
    var comparisons: [BenchComparison]?
    var maxRegressionPercent: Double?
}

/// `sou bench index SOURCES...`: how long building an index of them takes.
struct BenchIndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Measure building an index: seconds, MB/s, documents/s, tokens/s, peak memory, size, time per phase.",
        discussion: """
            Builds an index of SOURCES (read as `sou index` reads them) --runs times for each \
            --jobs value and each --scale, into a temporary file that is removed afterwards (also \
            when interrupted). Each build runs in a new `sou` process, so that its peak resident \
            memory (wait4's ru_maxrss) is its own; the seconds are those of the build in that \
            process (opening the writer to the end of the commit: reading, analyzing, inverting, \
            writing and fsyncing), not of starting it. The input files are read once before the \
            first run, so every run finds them in the operating system's cache. \
            --scale K indexes the input K times over (keys prefixed "1/" to "K/"), read K times \
            from the same files, so that growth can be measured without K copies on disk. \
            MB/s, documents/s and tokens/s are the input's bytes (uncompressed), documents and \
            tokens over the median seconds; the speed-up of a row is the median seconds of the \
            one-job row of the same scale over its own (how the build scales with threads). \
            Phases are measured on the threads that run them \
            (per-thread CPU clocks) and summed over threads; analysis and inversion overlap on \
            several threads, so the phases' CPU seconds can exceed the wall-clock time. The phase \
            figures are medians over the runs. \
            --baseline FILE compares with the rows of an earlier --json output (same jobs and \
            scale) and prints the ratios; with --max-regression P, exits 1 when a row is more than \
            P percent slower: its build takes more than (1 + P/100) times the baseline's time \
            (baseline MB/s / the row's MB/s - 1 > P/100).
            """
    )

    @Argument(help: "Folders, text files or JSON Lines files (.jsonl, .jsonl.gz), as for `sou index`.")
    var sources: [String] = []

    @Option(parsing: .unconditional, help: "Builds per row.")
    var runs = 3

    @Option(parsing: .unconditional, help: "Comma-separated numbers of threads (default: 1 and all cores).")
    var jobs: String?

    @Option(parsing: .unconditional, help: "Comma-separated scales: the input indexed K times over, with distinct keys (default 1).")
    var scale = "1"

    @Flag(help: "Print the results as one JSON object.")
    var json = false

    @Option(help: "An earlier `sou bench index --json` output to compare with.")
    var baseline: String?

    @Option(name: .customLong("max-regression"), parsing: .unconditional, help: "With --baseline: exit 1 when a row is more than this many percent slower (MB/s).")
    var maxRegression: Double?

    @OptionGroup var build: BenchBuildArguments

    func validate() throws {
        if sources.isEmpty { throw ValidationError("give at least one folder or file") }
        if sources.contains("-") { throw ValidationError("stdin (-) cannot be read several times: give files") }
        if runs < 1 || runs > 1000 { throw ValidationError("--runs must be between 1 and 1000 (got \(runs))") }
        _ = try jobsList()
        _ = try scaleList()
        if let maxRegression, !(maxRegression >= 0) { throw ValidationError("--max-regression must be 0 or more (got \(maxRegression))") }
        if maxRegression != nil, baseline == nil { throw ValidationError("--max-regression needs --baseline FILE") }
    }

    func jobsList() throws -> [Int] {
        guard let jobs else {
            let cores = min(activeProcessorCount, IndexBuildOptions.maxJobs)
            return cores > 1 ? [1, cores] : [1]
        }
        return try Self.numbers(jobs, option: "--jobs", range: 1...IndexBuildOptions.maxJobs)
    }

    func scaleList() throws -> [Int] { try Self.numbers(scale, option: "--scale", range: 1...1000) }

    static func numbers(_ list: String, option: String, range: ClosedRange<Int>) throws -> [Int] {
        var out: [Int] = []
        for part in list.split(separator: ",", omittingEmptySubsequences: false) {
            let t = part.trimmingWhitespace
            guard let n = Int(t), range.contains(n) else {
                throw ValidationError("\(option): \"\(t)\" is not a number from \(range.lowerBound) to \(range.upperBound) (give a comma-separated list)")
            }
            if !out.contains(n) { out.append(n) }
        }
        return out
    }

    /// The most bytes `--baseline` reads: a `--json` result is a few KB (about 1.5 KB per row and
    /// 30 bytes per run), so 4 MiB holds thousands of rows and stops `/dev/zero` at once.
    static let maxBaselineBytes = 4 << 20

    func run() throws {
        let jobsValues = try jobsList(), scales = try scaleList()
        // the baseline is read before anything is built: a bad file fails at once
        let base: BenchIndexReport?
        if let baseline {
            let data = Data(try readWholeFile(baseline, limit: Self.maxBaselineBytes, option: "--baseline",
                                              failure: "cannot read the baseline \(baseline)"))
            do { base = try JSONDecoder().decode(BenchIndexReport.self, from: data) } catch {
                throw CLIError("\(baseline) is not a `sou bench index --json` output: \(Self.describe(error))")
            }
        } else {
            base = nil
        }
        try warmInputs()

        // the temporary index: a unique name in $TMPDIR (or /tmp), removed after every run and on a signal
        let folder = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array((URL(fileURLWithPath: folder).appendingPathComponent("sou-bench-XXXXXX").path + ".sou").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemps($0.baseAddress!, 4) }
        guard fd >= 0 else { throw CLIError("cannot create a temporary file in \(folder): \(String(cString: strerror(errno)))") }
        close(fd)
        let output = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        sou_cleanup_install()
        _ = sou_cleanup_register(output)
        defer {
            unlink(output)
            sou_cleanup_unregister(output)
        }

        let executable = ChildProcess.currentExecutable()
        let before = Self.loadAverage()
        var results: [BenchIndexResult] = []
        for k in scales {
            for j in jobsValues {
                var builds: [(run: BenchBuildRun, child: ChildRun)] = []
                for r in 0..<runs {
                    unlink(output)
                    var arguments = ["bench", "index-run"] + sources + ["--output", output, "--jobs", String(j), "--scale", String(k)]
                    arguments += build.commandLine
                    if r > 0 || k != scales[0] || j != jobsValues[0] { arguments.append("--no-warnings") }
                    let child = try ChildProcess.run(executable, arguments)
                    if let signal = child.signal { throw CLIError("the build (jobs \(j), scale \(k)) was ended by signal \(signal)") }
                    guard child.exitStatus == 0 else {
                        throw CLIError("the build (jobs \(j), scale \(k)) failed (exit status \(child.exitStatus ?? -1))", code: 2)
                    }
                    let measured: BenchBuildRun
                    do { measured = try JSONDecoder().decode(BenchBuildRun.self, from: child.output) } catch {
                        throw CLIError("internal error: a build printed no result (\(Self.describe(error)))")
                    }
                    builds.append((measured, child))
                }
                unlink(output)
                results.append(Self.result(jobs: j, scale: k, builds))
            }
        }
        let after = Self.loadAverage()
        var report = BenchIndexReport(date: isoDateNow(), sources: sources, runs: runs,
                                      cores: activeProcessorCount,
                                      loadAverageBefore: before, loadAverageAfter: after, results: results)
        var regressions: [BenchComparison] = []
        if let base, let baseline {
            let comparisons = Self.compare(results, with: base)
            guard !comparisons.isEmpty else {
                throw CLIError("the baseline \(baseline) has no row with these --jobs and --scale values (it has "
                    + base.results.map { "jobs \($0.jobs) scale \($0.scale)" }.joined(separator: ", ") + ")")
            }
            report.baseline = baseline
            report.comparisons = comparisons
            report.maxRegressionPercent = maxRegression
            if let maxRegression { regressions = comparisons.filter { $0.slowdownPercent > maxRegression } }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(Self.text(report, base: base), terminator: "")
        }
        if !regressions.isEmpty, let maxRegression {
            printError("slower than the baseline by more than \(Self.format(maxRegression, 1))%: "
                + regressions.map { "jobs \($0.jobs) scale \($0.scale) (\(Self.format($0.slowdownPercent, 1))% slower)" }.joined(separator: ", "))
            throw ExitStatus(code: 1)
        }
    }

    /// Reads every regular input file once (not timed), so that the first run does not pay for
    /// the disk: each up to the size the listing found (a file still growing is not followed).
    /// A FIFO or device is not read here: /dev/zero has no end (this read once never ended), and
    /// what a FIFO gives is the build's to read.
    func warmInputs() throws {
        let source = DocumentSource(options: build.inputOptions)
        let files: [InputFile]
        do { files = try source.listFiles(paths: sources) } catch { throw CLIError("\(error)") }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        for f in files where f.isRegularFile {
            let fd = open(f.path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
            guard fd >= 0 else { continue }   // the build says what is wrong with it
            var left = f.size
            while left > 0 {
                let n = read(fd, &buffer, min(buffer.count, left))
                if n < 0, errno == EINTR { continue }
                if n <= 0 { break }
                left -= n
            }
            close(fd)
        }
    }

    static func result(jobs: Int, scale: Int, _ builds: [(run: BenchBuildRun, child: ChildRun)]) -> BenchIndexResult {
        let first = builds[0].run
        let seconds = RunStatistics(builds.map(\.run.seconds))
        let median = max(seconds.median, 1e-9)
        var phases: [String: IndexBuildTimings.Measure] = [:]
        for phase in IndexBuildTimings.Phase.allCases {
            let measures = builds.compactMap { $0.run.phases[phase.rawValue] }
            guard !measures.isEmpty else { continue }
            phases[phase.rawValue] = IndexBuildTimings.Measure(
                cpuSeconds: RunStatistics.median(measures.map(\.cpuSeconds).sorted()),
                wallSeconds: RunStatistics.median(measures.map(\.wallSeconds).sorted()),
                count: measures[0].count)
        }
        return BenchIndexResult(
            jobs: jobs, scale: scale, documents: first.documents, inputBytes: first.inputBytes, tokens: first.tokens,
            terms: first.terms, indexBytes: first.indexBytes, segments: first.segments, seconds: seconds,
            megabytesPerSecond: Double(first.inputBytes) / 1e6 / median,
            documentsPerSecond: Double(first.documents) / median,
            tokensPerSecond: Double(first.tokens) / median,
            peakRSSBytes: builds.map(\.child.peakRSSBytes).max() ?? 0,
            peakRSSBytesRuns: builds.map(\.child.peakRSSBytes),
            cpuSeconds: RunStatistics(builds.map(\.child.cpuSeconds)).median,
            segmentFlushes: first.segmentFlushes, segmentMerges: first.segmentMerges, phases: phases)
    }

    /// Each row of `results` against the baseline's row with the same jobs and scale.
    static func compare(_ results: [BenchIndexResult], with base: BenchIndexReport) -> [BenchComparison] {
        results.compactMap { r in
            guard let b = base.results.first(where: { $0.jobs == r.jobs && $0.scale == r.scale }) else { return nil }
            func ratio(_ a: Double, _ b: Double) -> Double { b > 0 ? a / b : 0 }
            return BenchComparison(
                jobs: r.jobs, scale: r.scale,
                megabytesPerSecondRatio: ratio(r.megabytesPerSecond, b.megabytesPerSecond),
                medianSecondsRatio: ratio(r.seconds.median, b.seconds.median),
                peakRSSRatio: ratio(Double(r.peakRSSBytes), Double(b.peakRSSBytes)),
                indexBytesRatio: ratio(Double(r.indexBytes), Double(b.indexBytes)),
                slowdownPercent: r.megabytesPerSecond > 0 ? (b.megabytesPerSecond / r.megabytesPerSecond - 1) * 100 : 0,
                sameInput: r.inputBytes == b.inputBytes && r.documents == b.documents)
        }
    }

    // MARK: text output

    static func text(_ report: BenchIndexReport, base: BenchIndexReport?) -> String {
        var out = ""
        let r0 = report.results.first
        out += "sou bench index \(report.sources.joined(separator: " ")): "
        if let r0 {
            out += "\(r0.documents / r0.scale) documents, \(format(Double(r0.inputBytes / r0.scale) / 1e6, 2)) MB of text; "
        }
        out += "\(report.runs) \(report.runs == 1 ? "build" : "builds") per row, each in a new process; "
        out += "\(report.cores) cores, load average \(report.loadAverageBefore.map { format($0, 2) }.joined(separator: " ")) "
        out += "(after: \(report.loadAverageAfter.map { format($0, 2) }.joined(separator: " ")))\n\n"
        var table: [[String]] = [["jobs", "scale", "documents", "input MB", "min s", "median s", "max s", "MB/s", "docs/s",
                                  "tokens/s", "peak RSS MB", "index MB", "CPU s", "speed-up"]]
        for r in report.results {
            // how the build scales with threads: against the one-job row of the same scale
            let oneJob = report.results.first { $0.jobs == 1 && $0.scale == r.scale }
            let speedUp = oneJob.map { r.seconds.median > 0 ? format($0.seconds.median / r.seconds.median, 2) : "-" } ?? "-"
            table.append([String(r.jobs), String(r.scale), String(r.documents), format(Double(r.inputBytes) / 1e6, 2),
                          format(r.seconds.min, 3), format(r.seconds.median, 3), format(r.seconds.max, 3),
                          format(r.megabytesPerSecond, 2), format(r.documentsPerSecond, 0), format(r.tokensPerSecond, 0),
                          format(Double(r.peakRSSBytes) / 1e6, 1), format(Double(r.indexBytes) / 1e6, 2), format(r.cpuSeconds, 2),
                          speedUp])
        }
        out += columns(table)
        out += "\nMB = 10^6 bytes of input text; rates over the median seconds; peak RSS: the largest of the runs' processes;\n"
        out += "CPU s: the median of the runs' processes (user + system, every thread, start-up included);\n"
        out += "speed-up: the median seconds of the one-job row of the same scale over the row's (- without one).\n\n"
        let phases = IndexBuildTimings.Phase.allCases.filter { p in report.results.contains { $0.phases[p.rawValue] != nil } }
        out += "Time per phase, CPU seconds (per-thread CPU clocks summed over threads; analysis and inversion run\n"
        out += "interleaved on worker threads), then in parentheses wall seconds spent in the phase, summed over threads;\n"
        out += "medians of the runs:\n\n"
        var phaseTable: [[String]] = [["jobs", "scale"] + phases.map(\.label) + ["flushes", "merges"]]
        for r in report.results {
            phaseTable.append([String(r.jobs), String(r.scale)]
                + phases.map { p in r.phases[p.rawValue].map { "\(format($0.cpuSeconds, 3)) (\(format($0.wallSeconds, 3)))" } ?? "-" }
                + [String(r.segmentFlushes), String(r.segmentMerges)])
        }
        out += columns(phaseTable)
        if let comparisons = report.comparisons, let base, let name = report.baseline {
            out += "\nCompared with \(name) (\(base.date)); ratios are now ÷ then:\n\n"
            var c: [[String]] = [["jobs", "scale", "MB/s now", "MB/s then", "MB/s ratio", "median s ratio", "peak RSS ratio",
                                  "index bytes ratio", "slower by"]]
            for x in comparisons {
                let then = base.results.first { $0.jobs == x.jobs && $0.scale == x.scale }
                let now = report.results.first { $0.jobs == x.jobs && $0.scale == x.scale }
                c.append([String(x.jobs), String(x.scale), format(now?.megabytesPerSecond ?? 0, 2), format(then?.megabytesPerSecond ?? 0, 2),
                          format(x.megabytesPerSecondRatio, 3), format(x.medianSecondsRatio, 3), format(x.peakRSSRatio, 3),
                          format(x.indexBytesRatio, 3), format(x.slowdownPercent, 1) + "%"])
            }
            out += columns(c)
            for x in comparisons where !x.sameInput {
                out += "note: jobs \(x.jobs) scale \(x.scale): the baseline indexed other input (documents or bytes differ)\n"
            }
            let missing = report.results.filter { r in !comparisons.contains { $0.jobs == r.jobs && $0.scale == r.scale } }
            for r in missing { out += "note: the baseline has no row for jobs \(r.jobs) scale \(r.scale)\n" }
            if let limit = report.maxRegressionPercent { out += "limit: \(format(limit, 1))% slower\n" }
        }
        return out
    }

    /// Rows of cells in columns two spaces apart, right-aligned but for the first
    /// `leftAlignedColumns`.
    static func columns(_ rows: [[String]], leftAlignedColumns: Int = 0) -> String {
        var widths = [Int](repeating: 0, count: rows.map(\.count).max() ?? 0)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return rows.map { row in
            row.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return i < leftAlignedColumns ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    static func format(_ x: Double, _ digits: Int) -> String { fixedPoint(x, decimals: digits) }

    static func loadAverage() -> [Double] {
        var l = [Double](repeating: 0, count: 3)
        return getloadavg(&l, 3) == 3 ? l : []
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "no \"\(key.stringValue)\"" + (context.codingPath.isEmpty ? "" : " in " + context.codingPath.map(\.stringValue).joined(separator: "."))
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "wrong value at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not JSON" : "bad value at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        default:
            return "\(error)"
        }
    }
}

/// `sou bench index-run`: one build of `sou bench index`, in a process of its own; prints what
/// it measured as one JSON object.
struct BenchIndexRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index-run",
        abstract: "One build of `sou bench index` (run by it in a new process).",
        shouldDisplay: false
    )

    @Argument var sources: [String] = []
    @Option var output: String
    @Option var jobs = 1
    @Option var scale = 1
    @Flag(name: .customLong("no-warnings")) var noWarnings = false
    @OptionGroup var build: BenchBuildArguments

    func validate() throws {
        if sources.isEmpty { throw ValidationError("give at least one folder or file") }
        if !(1...IndexBuildOptions.maxJobs).contains(jobs) { throw ValidationError("--jobs must be between 1 and \(IndexBuildOptions.maxJobs)") }
        if !(1...1000).contains(scale) { throw ValidationError("--scale must be between 1 and 1000") }
    }

    func run() throws {
        // as `sou index` (IndexCommand): freed memory goes back to the system promptly
        _ = sou_set_malloc_trim_threshold(256 << 10)
        _ = sou_set_malloc_growth(8 << 20, 1 << 20)
        let hook = TemporaryFileCleanup.hook()
        _ = sou_cleanup_register(output)
        let timings = IndexBuildTimings()
        var options = IndexWriterOptions()
        options.configuration = AnalyzerConfiguration(joinsSoftLineBreaks: !build.noJoinLines, foldsTraditionalToSimplified: build.foldVariants)
        options.storesText = !build.noStore
        options.jobs = jobs
        if let memory = build.memory { options.memoryBudget = memory << 20 }
        options.temporaryFile = hook
        options.timings = timings
        let source = DocumentSource(options: build.inputOptions, warn: { message in if !noWarnings { printError("warning: " + message) } })
        let clock = ContinuousClock()
        let start = clock.now
        do {
            let writer = try IndexWriter(path: output, mode: .rebuild, options: options)
            try writer.addDocuments { add in
                // what `sou index` does, `scale` times over with distinct keys
                try timings.measure(.read) {
                    for r in 1...scale {
                        try source.read(paths: sources) { doc in
                            if scale == 1 { return try add(doc) }
                            var copy = doc
                            copy.key = "\(r)/" + doc.key
                            try add(copy)
                        }
                    }
                }
            }
            guard writer.documentCount > 0 else {
                throw CLIError("nothing to index in \(sources.joined(separator: ", "))" + (source.skipped > 0 ? " (\(source.skipped) skipped)" : ""))
            }
            try writer.commit()
        } catch let error as IndexError {
            throw CLIError(error.description)
        }
        let elapsed = clock.now - start
        let reader: IndexReader
        do { reader = try IndexReader(contentsOf: URL(fileURLWithPath: output)) } catch { throw CLIError(file: output, error) }
        var st = stat()
        let size = stat(output, &st) == 0 ? Int(st.st_size) : 0
        var phases: [String: IndexBuildTimings.Measure] = [:]
        for (phase, measure) in timings.phases { phases[phase.rawValue] = measure }
        let run = BenchBuildRun(
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18,
            documents: reader.documentCount, inputBytes: source.bytesRead,
            tokens: reader.segments.reduce(0) { $0 + $1.reader.totalDocumentLength },
            terms: reader.segments.reduce(0) { $0 + $1.reader.termCount },
            postings: reader.segments.reduce(0) { $0 + $1.reader.postingCount },
            positions: reader.segments.reduce(0) { $0 + $1.reader.positionCount },
            segments: reader.segments.count, indexBytes: size,
            segmentFlushes: timings.segmentFlushes, segmentMerges: timings.segmentMerges, phases: phases)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(run), as: UTF8.self))
    }
}
