import ArgumentParser
import FoundationEssentials
import Glibc
import Sou

/// `sou bench`: throughput measurements of the engine's stages.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure building an index, query latency, and the analyzer's throughput.",
        subcommands: [BenchIndexCommand.self, BenchSearchCommand.self, BenchTokenizeCommand.self, BenchMergeCommand.self,
                      BenchIndexRunCommand.self]
    )
}

/// `sou bench tokenize FILE...`: the analyzer's throughput on one core.
struct BenchTokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Measure the analyzer's throughput (MB/s, MB = 10^6 bytes of input text) on one core.",
        discussion: """
            Reads its inputs exactly as `sou index` does (folders, text files whole, JSON Lines \
            one document per line, the text members joined by U+001F and a line break). Everything is read and decoded \
            before timing; each \
            run analyzes every document once into one reused token buffer.
            """
    )

    @Argument(help: "Folders, text files or JSON Lines files (.jsonl, .jsonl.gz).")
    var files: [String]

    @Option(name: .long, parsing: .unconditional, help: "Number of timed runs (after one warm-up run).")
    var runs = 10

    @Flag(name: .long, help: "Do not join CJK runs across line breaks.")
    var noJoinLines = false

    @Flag(name: .long, help: "Fold Traditional Chinese to Simplified.")
    var foldVariants = false

    func validate() throws {
        if files.isEmpty { throw ValidationError("Give at least one file.") }
        if runs < 1 { throw ValidationError("--runs must be at least 1 (got \(runs)).") }
    }

    func run() throws {
        let documents = try Self.documents(in: files)
        let bytes = documents.reduce(0) { $0 + $1.count }
        guard bytes > 0 else { throw CLIError("no text to analyze in \(files.joined(separator: ", "))") }
        let analyzer: Analyzer
        do {
            analyzer = try Analyzer(configuration: AnalyzerConfiguration(
                joinsSoftLineBreaks: !noJoinLines, foldsTraditionalToSimplified: foldVariants))
        } catch { throw CLIError("cannot create the analyzer: \(error)") }

        var buffer = TokenBuffer()
        var tokens = 0, invalid = 0
        func analyzeAll() throws -> Duration {
            tokens = 0
            invalid = 0
            let clock = ContinuousClock()
            return try clock.measure {
                for (k, document) in documents.enumerated() {
                    buffer.removeAll()
                    let summary: AnalysisSummary
                    do {
                        summary = try document.withUnsafeBufferPointer { try analyzer.analyze(utf8: $0, into: &buffer) }
                    } catch {
                        throw CLIError("document \(k + 1): \(error)")
                    }
                    tokens += summary.tokenCount
                    invalid += summary.invalidSequences
                }
            }
        }
        _ = try analyzeAll()    // warm-up: tables, buffer growth
        var rates: [Double] = []
        for _ in 0..<runs {
            let elapsed = try analyzeAll()
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            rates.append(Double(bytes) / 1e6 / max(seconds, 1e-9))
        }
        rates.sort()
        let median = RunStatistics.median(rates)
        print("documents \(documents.count), input \(Self.format(Double(bytes) / 1e6)) MB, tokens \(tokens)"
              + (invalid > 0 ? ", invalid UTF-8 sequences \(invalid)" : ""))
        print("analyzer MB/s over \(runs) runs: min \(Self.format(rates[0])), median \(Self.format(median)), "
              + "max \(Self.format(rates[rates.count - 1]))")
    }

    /// The documents' texts, read exactly as `sou index` reads them (folders, text files, JSON
    /// Lines with their text members joined by ``SourceDocument/fieldSeparator``).
    static func documents(in paths: [String]) throws -> [[UInt8]] {
        var documents: [[UInt8]] = []
        let source = DocumentSource(warn: { printError("warning: " + $0) })
        do {
            try source.read(paths: paths) { documents.append(Array($0.text.utf8)) }
        } catch { throw CLIError("\(error)") }
        return documents
    }

    static func format(_ value: Double) -> String { cFormat("%.1f", value) }
}

/// `sou bench merge FILE...`: merging two segments versus building the same documents from text.
struct BenchMergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Measure merging two segments against building the same documents from text.",
        discussion: """
            Reads the documents exactly as `sou index` does and writes an index of two segments \
            (the first and the second half of the documents, two commits; with --delete every k-th \
            document is then deleted; not timed). Then, each run: builds the index of all the \
            documents from the input paths as `sou index` does (reading and analyzing included), \
            once with --jobs 1 and once with all cores, and merges a copy of the two-segment index \
            into one segment with IndexWriter.merge (what `sou merge` runs: the new file is written \
            and renamed into place). The merged segment must equal a fresh build of the live \
            documents byte for byte. Prints the median wall-clock and CPU seconds (all threads) of \
            each, the median of the per-run ratios (robust when other processes share the cores) \
            and how much the resident memory grew while merging.
            """,
        shouldDisplay: false
    )

    @Argument(help: "Folders, text files or JSON Lines files (.jsonl, .jsonl.gz).")
    var files: [String]

    @Option(name: .long, parsing: .unconditional, help: "Number of timed runs.")
    var runs = 5

    @Option(name: .long, parsing: .unconditional, help: "Fraction of documents deleted before merging (every k-th document).")
    var delete = 0.0

    @Flag(name: .long, help: "Do not store text.")
    var noStore = false

    @Flag(name: .long, help: "Time the merge only (for profiling).")
    var mergeOnly = false

    @Option(name: .long, parsing: .unconditional, help: "Threads merging (default: all cores).")
    var mergeJobs: Int? = nil

    func validate() throws {
        if files.isEmpty { throw ValidationError("Give at least one file.") }
        if runs < 1 { throw ValidationError("--runs must be at least 1 (got \(runs)).") }
        if !(delete >= 0 && delete < 1) { throw ValidationError("--delete must be in [0, 1) (got \(delete)).") }
        if let mergeJobs, !(1...IndexBuildOptions.maxJobs).contains(mergeJobs) {
            throw ValidationError("--merge-jobs must be between 1 and \(IndexBuildOptions.maxJobs) (got \(mergeJobs)).")
        }
    }

    func run() throws {
        var documents: [SourceDocument] = []
        let source = DocumentSource(warn: { printError("warning: " + $0) })
        do { try source.read(paths: files) { documents.append($0) } } catch { throw CLIError("\(error)") }
        guard documents.count >= 2 else { throw CLIError("need at least two documents") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sou-bench-merge-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let half = documents.count / 2
        let step = delete > 0 ? max(1, Int((1 / delete).rounded())) : 0
        var writerOptions = IndexWriterOptions()
        writerOptions.storesText = !noStore
        writerOptions.jobs = mergeJobs ?? activeProcessorCount
        // the two-segment index (not timed): halves committed separately; every step-th document deleted
        let twoSegments = folder.appendingPathComponent("two.sou")
        do {
            let writer = try IndexWriter(path: twoSegments.path, mode: .rebuild, options: writerOptions)
            for d in documents[0..<half] { try writer.add(key: d.key, title: d.title, text: d.text) }
            try writer.commit()
            for d in documents[half...] { try writer.add(key: d.key, title: d.title, text: d.text) }
            try writer.commit()
            if step > 0 {
                for (i, d) in documents.enumerated() where i % step == step - 1 { try writer.delete(key: d.key) }
                try writer.commit()
            }
        }
        // the reference: the live documents built from text in one segment (not timed)
        let reference = folder.appendingPathComponent("reference.sou")
        do {
            let writer = try IndexWriter(path: reference.path, mode: .rebuild, options: writerOptions)
            for (i, d) in documents.enumerated() where step == 0 || i % step != step - 1 {
                try writer.add(key: d.key, title: d.title, text: d.text)
            }
            try writer.commit()
        }
        let built = folder.appendingPathComponent("built.sou"), merged = folder.appendingPathComponent("merged.sou")
        func median(_ v: [Double]) -> Double { RunStatistics.median(v.sorted()) }
        let cores = activeProcessorCount
        // per run: wall and CPU (all threads) seconds of each step
        var build1: [(wall: Double, cpu: Double)] = [], buildN = build1, merging = build1
        var mergePeakRSS: [Int] = []
        for _ in 0..<runs {
            for (jobs, times) in mergeOnly ? [] : [(1, 0), (cores, 1)] {
                var options = IndexBuildOptions()
                options.jobs = jobs
                options.storesText = !noStore
                let t = try Self.measure { _ = try IndexBuilder(options: options).build(paths: files, to: built) }
                if times == 0 { build1.append(t) } else { buildN.append(t) }
            }
            try? FileManager.default.removeItem(at: merged)
            try FileManager.default.copyItem(at: twoSegments, to: merged)
            let before = Self.resetPeakRSS()
            merging.append(try Self.measure {
                let writer = try IndexWriter(path: merged.path, options: writerOptions)
                try writer.merge(maxSegments: 1)
            })
            if let before, let peak = Self.memoryStatus("VmHWM:") { mergePeakRSS.append(peak - before) }
        }
        let rss = mergePeakRSS.max().map { cFormat("peak RSS growth while merging %.1f MB", Double($0) / 1e6) } ?? ""
        let m = median(merging.map(\.wall)), mc = median(merging.map(\.cpu))
        if mergeOnly {
            print(cFormat("merge: median of %ld runs %.3f s wall, %.3f s CPU (fastest %.3f s wall, %.3f s CPU); ", runs, m, mc,
                         merging.map(\.wall).min() ?? 0, merging.map(\.cpu).min() ?? 0) + rss)
            return
        }
        func segmentBytes(_ url: URL) throws -> [UInt8] {
            let r = try IndexReader(contentsOf: url)
            guard r.segments.count == 1 else { throw CLIError("\(url.lastPathComponent): \(r.segments.count) segments") }
            let b = try Data(contentsOf: url)
            let e = r.segments[0]
            return [UInt8](b[e.offset..<(e.offset + e.byteCount)])
        }
        let same = try segmentBytes(reference) == segmentBytes(merged)
        if !same { throw CLIError("the merged segment differs from a fresh build of the live documents") }
        let live = try IndexReader(contentsOf: merged).documentCount
        let input = documents.reduce(0) { $0 + $1.text.utf8.count }
        print("documents \(documents.count) (segments of \(half) and \(documents.count - half)), text \(cFormat("%.1f", Double(input) / 1e6)) MB"
              + (step > 0 ? ", every \(step)th document deleted (\(live) live)" : "")
              + "; merged segment identical to a fresh build of the live documents: \(same)")
        print(cFormat("median of %ld runs, wall: build --jobs 1 %.3f s, build --jobs %ld %.3f s, merge %.3f s (%.1fx, %.1fx faster)",
                     runs, median(build1.map(\.wall)), cores, median(buildN.map(\.wall)), m,
                     median(build1.map(\.wall)) / m, median(buildN.map(\.wall)) / m))
        print(cFormat("median of the per-run ratios, wall: %.1fx (--jobs 1), %.1fx (--jobs %ld)",
                     median(zip(build1, merging).map { $0.wall / $1.wall }), median(zip(buildN, merging).map { $0.wall / $1.wall }), cores))
        print(cFormat("median CPU seconds (all threads): build --jobs 1 %.3f, build --jobs %ld %.3f, merge %.3f (%.1fx, %.1fx less)",
                     median(build1.map(\.cpu)), cores, median(buildN.map(\.cpu)), mc, median(build1.map(\.cpu)) / mc, median(buildN.map(\.cpu)) / mc))
        if !rss.isEmpty { print(rss) }
        func list(_ v: [(wall: Double, cpu: Double)]) -> String { v.map { cFormat("%.3f", $0.wall) }.joined(separator: " ") }
        print("wall of every run (s): build --jobs 1: \(list(build1)); build --jobs \(cores): \(list(buildN)); merge: \(list(merging))")
    }
}

extension BenchMergeCommand {
    /// Wall-clock and CPU seconds (user + system, every thread of the process) of `body`.
    static func measure(_ body: () throws -> Void) throws -> (wall: Double, cpu: Double) {
        let clock = ContinuousClock()
        let c0 = IndexBuildTimings.processCPUSeconds()
        let d = try clock.measure(body)
        return (Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18, IndexBuildTimings.processCPUSeconds() - c0)
    }

    /// Resets the process's peak resident set size (Linux: "5" into /proc/self/clear_refs);
    /// returns the resident set size then, in bytes (nil when unknown).
    static func resetPeakRSS() -> Int? {
        let fd = open("/proc/self/clear_refs", O_WRONLY)
        guard fd >= 0 else { return nil }
        _ = write(fd, "5", 1)
        close(fd)
        return memoryStatus("VmRSS:")
    }

    /// A memory figure of /proc/self/status ("VmRSS:", "VmHWM:"), in bytes, or nil.
    static func memoryStatus(_ field: String) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field) }),
              let kB = Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "") else { return nil }
        return kB * 1024
    }
}
