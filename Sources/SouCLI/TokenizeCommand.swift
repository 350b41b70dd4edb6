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
            Reads TEXT, or the file given with --file, or standard input (TEXT or --file `-`, or \
            neither given). A file and standard input are read as `sou index` reads a text file: \
            gzip is decompressed, and text in UTF-16/32 or a legacy charset ICU recognizes \
            (GB18030/GBK, Big5, Shift_JIS, EUC-JP, EUC-KR, …) is converted to UTF-8 (a note on \
            stderr says which), --encoding NAME forces one; binary data (NUL bytes) and text in \
            no charset recognized are errors, and standard input may hold at most 256 MiB. \
            Byte ranges are offsets into the UTF-8 text (start inclusive, end exclusive).
            """
    )

    @Argument(help: "The text to analyze; - reads standard input (as does giving neither TEXT nor --file).")
    var text: String?

    @Option(name: .long, help: "Analyze the contents of this file instead (- for standard input).")
    var file: String?

    @Option(help: "Read the file or standard input in this charset instead of detecting it (an ICU converter name: GB18030, GBK, Big5, Shift_JIS, EUC-JP, EUC-KR, UTF-16LE, …).")
    var encoding: String?

    @Flag(name: .long, help: "Print one JSON object per token: {\"position\",\"term\",\"start\",\"end\",\"kind\"}.")
    var json = false

    @Flag(name: .long, help: "Do not join CJK runs across line breaks between Han/Kana characters.")
    var noJoinLines = false

    @Flag(name: .long, help: "Fold Traditional Chinese characters to Simplified (系統 → 系统).")
    var foldVariants = false

    func validate() throws {
        if text != nil && file != nil { throw ValidationError("Give either TEXT or --file, not both.") }
        if encoding != nil, let text, text != "-" {
            throw ValidationError("--encoding reads --file or standard input, not TEXT")
        }
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
        let summary: AnalysisSummary
        do {
            summary = try input.withUnsafeBufferPointer { try analyzer.analyze(utf8: $0, into: &buffer) }
        } catch {
            throw CLIError("cannot analyze the text: \(error)")
        }
        let output = json ? Self.jsonLines(buffer) : Self.table(buffer)
        writeStdout(output)
        if summary.invalidSequences > 0 {
            printError("\(summary.invalidSequences) invalid UTF-8 sequence(s) read as U+FFFD")
        }
    }

    /// TEXT's bytes, or the text of --file or stdin decoded as `sou index` decodes a file (with
    /// a note on stderr when it was not UTF-8, a warning when sequences were replaced).
    private func readInput() throws -> [UInt8] {
        if let text, text != "-" { return Array(text.utf8) }
        let path = file ?? "-"
        let decoded: DecodedText
        do { decoded = try FileContents.text(path, encoding: encoding) } catch { throw CLIError("\(error)") }
        let name = path == "-" ? "stdin" : path
        if decoded.charset != "UTF-8" {
            printError("note: \(name): read as \(decoded.charset) (\(decoded.how))")
        } else if decoded.replaced > 0 {
            printError("warning: \(name): \(decoded.how)")
        }
        return Array(decoded.text.utf8)
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
