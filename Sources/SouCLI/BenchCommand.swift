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
            Reads .txt files whole and JSON Lines files (.jsonl, optionally .gz) one document per
            line, analyzing title + "\\n" + body. Everything is read and decoded before timing; each
            run analyzes every document once into one reused token buffer.
            """
    )

    @Argument(help: "Text or JSON Lines files (.txt, .jsonl, .jsonl.gz).")
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
        var documents: [[UInt8]] = []
        for file in files { documents += try Self.documents(in: file) }
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

    /// The documents of one file: JSON Lines (by extension) → title + "\n" + body per line;
    /// anything else → the whole file.
    static func documents(in path: String) throws -> [[UInt8]] {
        let bytes: [UInt8]
        do { bytes = try FileContents.read(path) } catch { throw CLIError("\(error)") }
        let name = path.hasSuffix(".gz") ? String(path.dropLast(3)) : path
        guard name.hasSuffix(".jsonl") || name.hasSuffix(".ndjson") else { return [bytes] }
        var documents: [[UInt8]] = []
        var lineNumber = 0
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                throw CLIError("\(path):\(lineNumber): not a JSON object")
            }
            let title = object["title"] as? String ?? ""
            let body = object["body"] as? String ?? ""
            documents.append(Array((title + "\n" + body).utf8))
        }
        return documents
    }

    static func format(_ value: Double) -> String { String(format: "%.1f", value) }
}
