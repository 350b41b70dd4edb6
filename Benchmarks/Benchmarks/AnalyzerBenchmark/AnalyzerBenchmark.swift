import Benchmark
import Foundation
import Sou

// The analyzer's throughput on the bundled corpus: every document's title + "\n" + body
// (as indexed), analyzed on one core into one reused token buffer. Reported as MB/s
// (MB = 10^6 bytes of input text) besides the framework's own wall-clock and malloc metrics.

/// The repository root, from this file's location (Benchmarks/Benchmarks/AnalyzerBenchmark/).
let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The bundled corpus: `corpus/` at the repository root, else the shared copy beside the repository.
func corpusFiles() -> [String] {
    for folder in [repositoryRoot.appendingPathComponent("corpus"),
                   repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus")] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        let files = names.filter { $0.hasSuffix(".jsonl.gz") || $0.hasSuffix(".jsonl") }.sorted()
        if !files.isEmpty { return files.map { folder.appendingPathComponent($0).path } }
    }
    return []
}

/// The texts of the documents of one input file, read exactly as `sou index` reads them
/// (JSON Lines: title + "\n" + body per line; gzip allowed).
func documents(in path: String) -> [[UInt8]] {
    var documents: [[UInt8]] = []
    try? DocumentSource().read(paths: [path]) { documents.append(Array($0.text.utf8)) }
    return documents
}

let megabytesPerSecond = BenchmarkMetric.custom("MB/s", polarity: .prefersLarger, useScalingFactor: false)

/// Analyzes all `documents` once per iteration and records MB/s.
func registerThroughput(_ name: String, _ documents: [[UInt8]]) {
    let bytes = documents.reduce(0) { $0 + $1.count }
    guard bytes > 0, let analyzer = try? Analyzer() else { return }
    Benchmark(
        "Analyzer throughput: \(name) (\(String(format: "%.1f", Double(bytes) / 1e6)) MB)",
        configuration: .init(metrics: [.wallClock, .mallocCountTotal, megabytesPerSecond],
                             warmupIterations: 1, maxDuration: .seconds(8), maxIterations: 15)
    ) { benchmark in
        var buffer = TokenBuffer()
        for _ in benchmark.scaledIterations {
            let clock = ContinuousClock()
            var tokens = 0
            let elapsed = try clock.measure {
                for document in documents {
                    buffer.removeAll()
                    tokens += try document.withUnsafeBufferPointer { try analyzer.analyze(utf8: $0, into: &buffer) }.tokenCount
                }
            }
            blackHole(tokens)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            benchmark.measurement(megabytesPerSecond, Int(Double(bytes) / 1e6 / max(seconds, 1e-9)))
        }
    }
}

let benchmarks: @Sendable () -> Void = {
    let files = corpusFiles()
    var all: [[UInt8]] = []
    for file in files {
        let docs = documents(in: file)
        all += docs
        let name = URL(fileURLWithPath: file).lastPathComponent.replacingOccurrences(of: ".jsonl.gz", with: "")
        registerThroughput(name, docs)
    }
    registerThroughput("whole corpus", all)
}
