import Benchmark
import Foundation
import Sou

// Pathological input, whose work must stay linear in what it reads (issue 10, "Pathological
// work is bounded"): a phrase of many identical bigrams in a long run of one character, with and
// without snippets; a query whose clauses each match every document; every hit of a common
// character with its snippet (one stored-text block holds many hits); a long run of combining
// marks through the analyzer. Each case is built in memory once; an iteration runs the query.
// Doubling an input should about double a case's time.

/// An index of `documents` (key, text) built in memory.
func makeIndex(_ documents: [(String, String)]) -> IndexReader? {
    guard let writer = try? SegmentWriter() else { return nil }
    for (key, text) in documents { try? writer.addDocument(key: key, title: "", text: text) }
    guard let segment = try? writer.makeIndex() else { return nil }
    return try? IndexReader(segment: segment)
}

/// Wall clock, peak resident memory and allocations; a few iterations (each case is seconds at most).
func configuration() -> Benchmark.Configuration {
    .init(metrics: [.wallClock, .peakMemoryResident, .mallocCountTotal], warmupIterations: 1,
          maxDuration: .seconds(5), maxIterations: 10)
}

/// Registers a search of `query` on `index` (all hits; snippets when `snippets`).
func registerSearch(_ name: String, _ index: IndexReader?, _ query: String, snippets: Bool) {
    guard let index else { return }
    let options = SearchOptions(limit: Int.max, snippets: SnippetOptions(isEnabled: snippets))
    Benchmark(name, configuration: configuration()) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try? index.search(query, options: options))
        }
    }
}

let benchmarks: @Sendable () -> Void = {
    // one document of n × 啊; the phrase 啊 × 200 (199 identical bigrams)
    for n in [250_000, 500_000] {
        let index = makeIndex([("a", String(repeating: "啊", count: n))])
        let phrase = String(repeating: "啊", count: 200)
        registerSearch("Phrase of 199 identical bigrams in \(n) × 啊: count", index, phrase, snippets: false)
        registerSearch("Phrase of 199 identical bigrams in \(n) × 啊: snippets", index, phrase, snippets: true)
    }
    // one document of n × 的; a 10-character phrase with its snippet
    for n in [250_000, 500_000] {
        let index = makeIndex([("a", String(repeating: "的", count: n))])
        registerSearch("10 × 的 in \(n) × 的: snippets", index, String(repeating: "的", count: 10), snippets: true)
    }
    // n small documents, each matching every clause; all hits
    for n in [20_000, 40_000] {
        let index = makeIndex((0..<n).map { (String($0), "今天的天气是\($0)很好，我们的工作了") })
        registerSearch("Every clause matches all \(n) documents: 的 是 了 工作", index, "的 是 了 工作", snippets: false)
        registerSearch("Every clause matches all \(n) documents: 的 OR 是 OR 了", index, "的 OR 是 OR 了", snippets: false)
        registerSearch("All \(n) hits of 的 with snippets (stored-text blocks inflated once)", index, "的", snippets: true)
    }
    // a letter and n alternating combining marks (normalization segments are cut)
    for n in [40_000, 80_000] {
        let text = Array(("a" + String(repeating: "\u{0301}\u{0316}", count: n)).utf8)
        guard let analyzer = try? Analyzer() else { continue }
        Benchmark("Analyzer: a + \(n) pairs of alternating combining marks", configuration: configuration()) { benchmark in
            var buffer = TokenBuffer()
            for _ in benchmark.scaledIterations {
                buffer.removeAll()
                blackHole(try text.withUnsafeBufferPointer { try analyzer.analyze(utf8: $0, into: &buffer) }.tokenCount)
            }
        }
    }
}
