import ArgumentParser
import FoundationEssentials
import Glibc
import Sou

/// `sou tokenize`: shows what the analyzer makes of a text, one token per line.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Show the tokens the analyzer makes of a text: position, term, byte range, kind.",
        discussion: """
            Reads TEXT, or the file given with --file (gzip is decompressed), or standard input. \
            Byte ranges are offsets into the UTF-8 input (start inclusive, end exclusive).
            """
    )

    @Argument(help: "The text to analyze (standard input when neither TEXT nor --file is given).")
    var text: String?

    @Option(name: .long, help: "Analyze the contents of this file instead.")
    var file: String?

    @Flag(name: .long, help: "Print one JSON object per token: {\"position\",\"term\",\"start\",\"end\",\"kind\"}.")
    var json = false

    @Flag(name: .long, help: "Do not join CJK runs across line breaks between Han/Kana characters.")
    var noJoinLines = false

    @Flag(name: .long, help: "Fold Traditional Chinese characters to Simplified (系統 → 系统).")
    var foldVariants = false

    func validate() throws {
        if text != nil && file != nil { throw ValidationError("Give either TEXT or --file, not both.") }
    }

    func run() throws {
        let input = try readInput()
        let configuration = AnalyzerConfiguration(joinsSoftLineBreaks: !noJoinLines,
                                                  foldsTraditionalToSimplified: foldVariants)
        let analyzer: Analyzer
        do { analyzer = try Analyzer(configuration: configuration) } catch {
            throw CLIError("cannot create the analyzer: \(error)")
        }
        var buffer = TokenBuffer()
        let summary = input.withUnsafeBufferPointer { analyzer.analyze(utf8: $0, into: &buffer) }
        let output = json ? Self.jsonLines(buffer) : Self.table(buffer)
        writeStdout(output)
        if summary.invalidSequences > 0 {
            printError("\(summary.invalidSequences) invalid UTF-8 sequence(s) read as U+FFFD")
        }
    }

    private func readInput() throws -> [UInt8] {
        if let text { return Array(text.utf8) }
        if let file {
            do { return try FileContents.read(file) } catch { throw CLIError("\(error)") }
        }
        guard let bytes = readToEnd(STDIN_FILENO) else { throw CLIError("cannot read stdin: \(String(cString: strerror(errno)))") }
        return bytes
    }

    /// Aligned columns: position, term, byte range, kind.
    static func table(_ buffer: TokenBuffer) -> String {
        let terms = (0..<buffer.count).map { buffer.term($0) }
        let positionWidth = (0..<buffer.count).map { String(buffer.position($0)).count }.max() ?? 1
        let termWidth = terms.map(displayWidth).max() ?? 1
        let ranges = (0..<buffer.count).map { "\(buffer.byteRange($0).lowerBound)..<\(buffer.byteRange($0).upperBound)" }
        let rangeWidth = ranges.map(\.count).max() ?? 1
        var out = ""
        for i in 0..<buffer.count {
            let position = String(buffer.position(i))
            out += String(repeating: " ", count: positionWidth - position.count) + position + "  "
            out += terms[i] + String(repeating: " ", count: termWidth - displayWidth(terms[i])) + "  "
            out += ranges[i] + String(repeating: " ", count: rangeWidth - ranges[i].count) + "  "
            out += "\(buffer.kind(i))\n"
        }
        return out
    }

    /// One JSON object per token and line.
    static func jsonLines(_ buffer: TokenBuffer) -> String {
        var out = ""
        for i in 0..<buffer.count {
            let range = buffer.byteRange(i)
            out += "{\"position\":\(buffer.position(i)),\"term\":\(JSON.string(buffer.term(i))),"
            out += "\"start\":\(range.lowerBound),\"end\":\(range.upperBound),\"kind\":\"\(buffer.kind(i))\"}\n"
        }
        return out
    }

    /// Terminal columns a term takes: East Asian wide and fullwidth characters take two.
    static func displayWidth(_ s: String) -> Int { DisplayWidth.columns(s) }
}
