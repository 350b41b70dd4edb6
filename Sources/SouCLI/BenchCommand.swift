import ArgumentParser
import Foundation
import Sou

/// `sou bench`: throughput measurements of the engine's stages.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the throughput of the engine's stages.",
        subcommands: [BenchTokenizeCommand.self]
    )
}

/// `sou bench tokenize FILE...`: the analyzer's throughput on one core.
struct BenchTokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Measure the analyzer's throughput (MB/s, MB = 10^6 bytes of input text) on one core.",
        discussion: """
            Reads its inputs exactly as `sou index` does (folders, text files whole, JSON Lines
            one document per line with title + "\\n" + body). Everything is read and decoded before timing; each
            run analyzes every document once into one reused token buffer.
            """
    )

    @Argument(help: "Folders, text files or JSON Lines files (.jsonl, .jsonl.gz).")
    var files: [String]

    @Option(name: .long, help: "Number of timed runs (after one warm-up run).")
    var runs = 10

    @Flag(name: .long, help: "Do not join CJK runs across line breaks.")
    var noJoinLines = false

    @Flag(name: .long, help: "Fold Traditional Chinese to Simplified.")
    var foldVariants = false

    func validate() throws {
        if files.isEmpty { throw ValidationError("Give at least one file.") }
        if runs < 1 { throw ValidationError("--runs must be at least 1.") }
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
        func analyzeAll() -> Duration {
            tokens = 0
            invalid = 0
            let clock = ContinuousClock()
            return clock.measure {
                for document in documents {
                    buffer.removeAll()
                    let summary = document.withUnsafeBufferPointer { analyzer.analyze(utf8: $0, into: &buffer) }
                    tokens += summary.tokenCount
                    invalid += summary.invalidSequences
                }
            }
        }
        _ = analyzeAll()    // warm-up: tables, buffer growth
        var rates: [Double] = []
        for _ in 0..<runs {
            let elapsed = analyzeAll()
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            rates.append(Double(bytes) / 1e6 / max(seconds, 1e-9))
        }
        rates.sort()
        let median = rates.count % 2 == 1 ? rates[rates.count / 2]
            : (rates[rates.count / 2 - 1] + rates[rates.count / 2]) / 2
        print("documents \(documents.count), input \(Self.format(Double(bytes) / 1e6)) MB, tokens \(tokens)"
              + (invalid > 0 ? ", invalid UTF-8 sequences \(invalid)" : ""))
        print("analyzer MB/s over \(runs) runs: min \(Self.format(rates[0])), median \(Self.format(median)), "
              + "max \(Self.format(rates[rates.count - 1]))")
    }

    /// The documents' texts, read exactly as `sou index` reads them (folders, text files, JSON
    /// Lines with title + "\n" + body).
    static func documents(in paths: [String]) throws -> [[UInt8]] {
        var documents: [[UInt8]] = []
        let source = DocumentSource(warn: { printError("warning: " + $0) })
        do {
            try source.read(paths: paths) { documents.append(Array($0.text.utf8)) }
        } catch { throw CLIError("\(error)") }
        return documents
    }

    static func format(_ value: Double) -> String { String(format: "%.1f", value) }
}
