import ArgumentParser
import FoundationEssentials
import Glibc
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
                let t0 = monotonicNanoseconds()
                do { _ = try IndexReader(contentsOf: url) } catch let error as IndexError { throw CLIError(file: file, error) }
                let dt = Double(monotonicNanoseconds() - t0) / 1e3
                best = min(best, dt)
                total += dt
            }
            var st = stat()
            let size = stat(file, &st) == 0 ? Int(st.st_size) : 0
            print("\(file): \(size) bytes, open (mmap + validate the header, the latest commit and every segment's header, table and trailer): "
                  + cFormat("best %.1f µs, mean %.1f µs over %ld opens", best, total / Double(rounds), rounds))
            return
        }
        let index: IndexReader
        var stats: IndexStatistics
        do {
            index = try IndexReader(contentsOf: URL(fileURLWithPath: file))
            stats = try index.statistics()
        } catch let error as IndexError {
            throw CLIError(file: file, error)
        }
        var st = stat()
        stats.fileBytes = stat(file, &st) == 0 ? Int(st.st_size) : stats.fileBytes
        let segments = index.segmentStatistics()
        let garbage = index.garbageRatio(fileBytes: stats.fileBytes)
        if json {
            struct Output: Encodable {
                var statistics: IndexStatistics
                var segments: [SegmentStatistics]
                var deletedDocuments: Int
                var garbageRatio: Double
                var generation: UInt64
                func encode(to encoder: Encoder) throws {
                    try statistics.encode(to: encoder)
                    enum K: String, CodingKey { case segments, deletedDocuments, garbageRatio, generation }
                    var c = encoder.container(keyedBy: K.self)
                    try c.encode(segments, forKey: .segments)
                    try c.encode(deletedDocuments, forKey: .deletedDocuments)
                    try c.encode((garbageRatio * 1000).rounded() / 1000, forKey: .garbageRatio)
                    try c.encode(generation, forKey: .generation)
                }
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let output = Output(statistics: stats, segments: segments, deletedDocuments: index.deletedCount,
                                garbageRatio: garbage, generation: index.generation)
            print(String(decoding: try encoder.encode(output), as: UTF8.self))
            return
        }
        func pct(_ n: Int) -> String { cFormat("%5.1f%%", stats.fileBytes == 0 ? 0 : 100 * Double(n) / Double(stats.fileBytes)) }
        var lines: [String] = []
        lines.append("file:              \(file) (\(stats.fileBytes) bytes)")
        lines.append("format version:    \(stats.formatVersion)")
        lines.append("analyzer:          \(stats.analyzer) (flags \(stats.analyzerFlags), rules version \(stats.analyzerRulesVersion))")
        lines.append("commit:            generation \(index.generation)")
        lines.append("documents:         \(stats.documents) live, \(index.deletedCount) deleted")
        let tail = index.path == nil ? 0 : index.bytesAfterCommit
        lines.append(cFormat("garbage:           %.1f%% of the file (replaced segments, old commits, deleted documents", 100 * garbage)
                     + (tail > 0 ? "; \(tail) bytes after the last commit, of an interrupted write, which the next writer removes)" : ")"))
        lines.append("segments:          \(segments.count)")
        for s in segments {
            lines.append(cFormat("  segment %-6llu %9ld documents %9ld deleted %12ld bytes %9ld terms", s.id, s.documents, s.deleted, s.bytes, s.terms))
        }
        lines.append(cFormat("document length:   %ld tokens in all, %.1f on average", stats.totalDocumentLength, stats.averageDocumentLength))
        let kinds = ["bigram", "unigram", "word", "number"].map { "\($0) \(stats.termsByKind[$0] ?? 0)" }.joined(separator: ", ")
        lines.append("terms:             \(stats.terms) (\(kinds)\(segments.count > 1 ? "; summed over the segments" : ""))")
        lines.append("postings:          \(stats.postings)")
        lines.append("positions:         \(stats.positions) (unigrams: \(stats.unigramPositions))")
        lines.append("stored text:       \(stats.storesText ? "yes" : "no")")
        lines.append("sections:")
        var sizes: [(SectionKind, Int)] = []
        for kind in SectionKind.allCases {
            let total = index.segments.reduce(0) { sum, s in sum + (s.reader.sectionSizes.first { $0.section == kind }?.bytes ?? 0) }
            if index.segments.contains(where: { s in s.reader.sectionSizes.contains { $0.section == kind } }) { sizes.append((kind, total)) }
        }
        for (section, bytes) in sizes {
            lines.append("  \(section.description.paddedTo16)\(cFormat("%12ld", bytes)) bytes \(pct(bytes))")
        }
        let overhead = stats.fileBytes - sizes.reduce(0) { $0 + $1.1 }
        lines.append("  \("headers, commits".paddedTo16)\(cFormat("%12ld", overhead)) bytes \(pct(overhead))")
        if stats.postings > 0 {
            // postings blocks also hold first positions and (for small terms) position gaps, so
            // the two sections are reported together
            let bytes = Double((stats.sectionBytes["postings"] ?? 0) + (stats.sectionBytes["positions"] ?? 0))
            lines.append(cFormat("postings + positions sections: %.2f bytes per posting, %.2f bytes per position",
                                bytes / Double(stats.postings), bytes / Double(max(stats.positions, 1))))
        }
        print(lines.joined(separator: "\n"))
    }
}
