import ArgumentParser
import Foundation
import Sou

/// `sou stats FILE`: what an index holds.
struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show an index's documents, terms by kind, postings, positions, section sizes and configuration."
    )

    @Argument(help: "The index file.")
    var file: String

    @Flag(help: "Print the statistics as JSON.")
    var json = false

    @Flag(name: .customLong("open-time"), help: "Only open the index (map + validate) repeatedly and print the time per open.")
    var openTime = false

    func run() throws {
        if openTime {
            let url = URL(fileURLWithPath: file)
            let rounds = 200
            var best = Double.infinity, total = 0.0
            for _ in 0..<rounds {
                let t0 = DispatchTime.now().uptimeNanoseconds
                do { _ = try SouIndex(contentsOf: url) } catch let error as IndexError { throw CLIError("\(file): \(error.description)") }
                let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e3
                best = min(best, dt)
                total += dt
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
            print(String(format: "%@: %d bytes, open (mmap + validate header, table, trailer): best %.1f µs, mean %.1f µs over %d opens", file, size, best, total / Double(rounds), rounds))
            return
        }
        let index: SouIndex
        let stats: IndexStatistics
        do {
            index = try SouIndex(contentsOf: URL(fileURLWithPath: file))
            stats = try index.statistics()
        } catch let error as IndexError {
            throw CLIError("\(file): \(error.description)")
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(stats), as: UTF8.self))
            return
        }
        func pct(_ n: Int) -> String { String(format: "%5.1f%%", stats.fileBytes == 0 ? 0 : 100 * Double(n) / Double(stats.fileBytes)) }
        var lines: [String] = []
        lines.append("file:              \(file) (\(stats.fileBytes) bytes)")
        lines.append("format version:    \(stats.formatVersion)")
        lines.append("analyzer:          \(stats.analyzer) (flags \(stats.analyzerFlags), rules version \(stats.analyzerRulesVersion))")
        lines.append("documents:         \(stats.documents)")
        lines.append(String(format: "document length:   %d tokens in all, %.1f on average", stats.totalDocumentLength, stats.averageDocumentLength))
        let kinds = ["bigram", "unigram", "word", "number"].map { "\($0) \(stats.termsByKind[$0] ?? 0)" }.joined(separator: ", ")
        lines.append("terms:             \(stats.terms) (\(kinds))")
        lines.append("postings:          \(stats.postings)")
        lines.append("positions:         \(stats.positions) (unigrams: \(stats.unigramPositions))")
        lines.append("stored text:       \(stats.storesText ? "yes" : "no")")
        lines.append("sections:")
        for (section, bytes) in index.sectionSizes {
            lines.append("  \(section.description.padding(toLength: 16, withPad: " ", startingAt: 0))\(String(format: "%12d", bytes)) bytes \(pct(bytes))")
        }
        let overhead = stats.sectionBytes["header+footer"] ?? 0
        lines.append("  \("header+footer".padding(toLength: 16, withPad: " ", startingAt: 0))\(String(format: "%12d", overhead)) bytes \(pct(overhead))")
        if stats.postings > 0 {
            // postings blocks also hold first positions and (for small terms) position gaps, so
            // the two sections are reported together
            let bytes = Double((stats.sectionBytes["postings"] ?? 0) + (stats.sectionBytes["positions"] ?? 0))
            lines.append(String(format: "postings + positions sections: %.2f bytes per posting, %.2f bytes per position",
                                bytes / Double(stats.postings), bytes / Double(max(stats.positions, 1))))
        }
        print(lines.joined(separator: "\n"))
    }
}
