import Benchmark
import Foundation
import Sou

// Building, merging, opening and querying an index of the bundled corpus (corpus/*.jsonl.gz,
// 12.7 MB of text), through the library as `sou index`, `sou merge` and `sou search` use it.
// Builds and merges write to a temporary file in $TMPDIR (removed). `sou bench index` and
// `sou bench search` measure the same things on any input, from the command line.

/// The repository root, from this file's location (Benchmarks/Benchmarks/IndexBenchmark/).
let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The bundled corpus's files (`corpus/` at the repository root, else the shared copy beside it).
func corpusFiles() -> [String] {
    for folder in [repositoryRoot.appendingPathComponent("corpus"),
                   repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus")] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        let files = names.filter { $0.hasSuffix(".jsonl.gz") || $0.hasSuffix(".jsonl") }.sorted()
        if !files.isEmpty { return files.map { folder.appendingPathComponent($0).path } }
    }
    return []
}

let megabytesPerSecond = BenchmarkMetric.custom("MB/s", polarity: .prefersLarger, useScalingFactor: false)

/// A path for a temporary index (its folder is $TMPDIR or /tmp).
func temporaryIndex(_ name: String) -> String {
    let folder = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    return URL(fileURLWithPath: folder).appendingPathComponent("sou-benchmark-\(getpid())-\(name).sou").path
}

/// Writes `documents` into a new index at `path` with `jobs` threads, committing after each of
/// `commits` equal parts (one segment each).
func build(_ documents: [SourceDocument], at path: String, jobs: Int, commits: Int = 1) throws {
    var options = IndexWriterOptions()
    options.jobs = jobs
    let writer = try IndexWriter(path: path, mode: .rebuild, options: options)
    let part = (documents.count + commits - 1) / commits
    for c in 0..<commits {
        let slice = documents[min(c * part, documents.count)..<min((c + 1) * part, documents.count)]
        try writer.addDocuments { add in for d in slice { try add(d) } }
        try writer.commit()
    }
}

/// Phrase queries taken from the corpus itself (so that they work on any checkout): from every
/// k-th document, the 2 to 4 characters of CJK text in the middle of its longest line.
func sampleQueries(_ documents: [SourceDocument], count: Int) -> [String] {
    var queries: [String] = []
    let step = max(1, documents.count / count)
    for (i, d) in documents.enumerated() where i % step == 0 && queries.count < count {
        let line = d.text.split(separator: "\n").max { $0.count < $1.count } ?? ""
        let scalars = Array(line.unicodeScalars)
        guard scalars.count >= 8 else { continue }
        let length = 2 + i % 3
        let start = scalars.count / 2
        let slice = scalars[start..<min(start + length, scalars.count)]
        guard slice.allSatisfy({ $0.properties.isIdeographic }) else { continue }
        queries.append(String(String.UnicodeScalarView(slice)))
    }
    return queries
}

let benchmarks: @Sendable () -> Void = {
    var documents: [SourceDocument] = []
    for file in corpusFiles() { try? DocumentSource().read(paths: [file]) { documents.append($0) } }
    let bytes = documents.reduce(0) { $0 + $1.text.utf8.count }
    guard bytes > 0 else { return }
    let size = String(format: "%.1f MB", Double(bytes) / 1e6)
    let cores = ProcessInfo.processInfo.activeProcessorCount

    // Building: documents in memory, analyzed, inverted, serialized and written (fsync included).
    for jobs in Set([1, cores]).sorted() {
        Benchmark(
            "Index build: bundled corpus (\(size)), jobs \(jobs)",
            configuration: .init(metrics: [.wallClock, .cpuTotal, .peakMemoryResident, megabytesPerSecond],
                                 warmupIterations: 1, maxDuration: .seconds(20), maxIterations: 10)
        ) { benchmark in
            let path = temporaryIndex("build-\(jobs)")
            defer { unlink(path) }
            for _ in benchmark.scaledIterations {
                let clock = ContinuousClock()
                let elapsed = try clock.measure { try build(documents, at: path, jobs: jobs) }
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
                benchmark.measurement(megabytesPerSecond, Int(Double(bytes) / 1e6 / max(seconds, 1e-9)))
            }
        }
    }

    // Merging: an index of four segments (four commits) merged into one, as `sou merge` does;
    // each iteration merges a fresh copy (the copy is not measured).
    let segments = temporaryIndex("segments"), merged = temporaryIndex("merge")
    Benchmark(
        "Merge: four segments of the bundled corpus into one",
        configuration: .init(metrics: [.wallClock, .cpuTotal, .peakMemoryResident],
                             warmupIterations: 1, maxDuration: .seconds(20), maxIterations: 10),
        closure: { benchmark in
            unlink(merged)
            try FileManager.default.copyItem(atPath: segments, toPath: merged)
            benchmark.startMeasurement()
            try IndexWriter(path: merged).merge(maxSegments: 1)
        },
        setup: { try build(documents, at: segments, jobs: cores, commits: 4) },
        teardown: { unlink(segments); unlink(merged) }
    )

    // Opening: memory-mapping the file and validating its header, commit and segments.
    let opened = temporaryIndex("open")
    Benchmark(
        "Open: IndexReader of the bundled corpus (one segment)",
        configuration: .init(metrics: [.wallClock, .mallocCountTotal], warmupIterations: 10, maxDuration: .seconds(5)),
        closure: { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try IndexReader(contentsOf: URL(fileURLWithPath: opened)).documentCount)
            }
        },
        setup: { try build(documents, at: opened, jobs: cores) },
        teardown: { unlink(opened) }
    )

    // Querying: phrase queries sampled from the corpus, top 10 by BM25 and the exact count,
    // without snippets (as `sou search --batch`); one iteration runs all of them.
    let queries = sampleQueries(documents, count: 200)
    let searched = temporaryIndex("query")
    let options = SearchOptions(limit: 10, snippets: SnippetOptions(isEnabled: false))
    Benchmark(
        "Query: \(queries.count) phrases of the bundled corpus, top 10 and exact count, per iteration",
        configuration: .init(metrics: [.wallClock, .mallocCountTotal], warmupIterations: 2, maxDuration: .seconds(5)),
        closure: { benchmark in
            let searcher = try Searcher(index: IndexReader(contentsOf: URL(fileURLWithPath: searched)))
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                var total = 0
                for q in queries { total += try searcher.search(q, options: options).total }
                blackHole(total)
            }
        },
        setup: { try build(documents, at: searched, jobs: cores) },
        teardown: { unlink(searched) }
    )
}
