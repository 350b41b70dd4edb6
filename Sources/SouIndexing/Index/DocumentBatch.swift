import CZlib
import FoundationEssentials
import Glibc
import SouAnalysis

/// Consecutive documents handed to one inverter: also exactly one stored-text block, so that the
/// written file does not depend on how batches are spread over threads.
struct DocumentBatch: Sendable {
    var firstDocument: Int
    var keys: [String] = []
    var titles: [String] = []
    var texts: [String] = []
    /// Per document: which input file it came from (0 = none or unknown).
    var sources: [UInt32] = []
    var textBytes = 0

    var count: Int { keys.count }
    /// A batch is full (and its stored block closed) once its text reaches the block target.
    var isFull: Bool { textBytes >= FileLayout.storedBlockTarget }

    mutating func append(key: String, title: String, text: String, source: UInt32 = 0) {
        keys.append(key); titles.append(title); texts.append(text); sources.append(source)
        textBytes += text.utf8.count
    }
}

/// One compressed block of stored text: the documents' texts, each as varint length + UTF-8.
struct StoredBlock: Sendable {
    var firstDocument: Int
    var documentCount: Int
    var rawLength: Int
    var compressed: [UInt8]
}

/// A batch after analysis: its documents' tokens back to back (positions restart at 0 for each
/// document), where each document's tokens end, lengths, and the compressed stored block.
struct AnalyzedBatch: @unchecked Sendable {
    var batch: DocumentBatch
    var tokens: TokenBuffer
    var tokenEnds: [Int]
    var lengths: [Int32]
    var stored: StoredBlock?
}

/// Analyzes batches (and compresses their stored text). One per thread; the inversion that
/// follows runs on one thread, in batch order, into the writer's single segment.
final class BatchAnalyzer: @unchecked Sendable {
    let analyzer: Analyzer
    let storesText: Bool
    /// Measures analysis and compression (nil: not measured).
    var timings: IndexBuildTimings?

    init(analyzer: Analyzer, storesText: Bool, timings: IndexBuildTimings? = nil) {
        self.analyzer = analyzer
        self.storesText = storesText
        self.timings = timings
    }

    func analyze(_ batch: DocumentBatch) throws -> AnalyzedBatch {
        var tokens = TokenBuffer()
        var ends: [Int] = []
        var lengths = [Int32]()
        lengths.reserveCapacity(batch.count)
        ends.reserveCapacity(batch.count)
        var raw = ByteWriter()
        IndexBuildTimings.measure(timings, .analyze) {
            for text in batch.texts {
                var t = text
                let summary = t.withUTF8 { analyzer.analyze(utf8: $0, into: &tokens, firstPosition: 0) }
                ends.append(tokens.count)
                lengths.append(Int32(clamping: summary.tokenCount))
                if storesText {
                    raw.varint(t.utf8.count)
                    raw.append(contentsOf: t.utf8)
                }
            }
        }
        var stored: StoredBlock? = nil
        if storesText, batch.count > 0 {
            let compressed = try IndexBuildTimings.measure(timings, .compress) { try Deflate.compress(raw.bytes) }
            stored = StoredBlock(firstDocument: batch.firstDocument, documentCount: batch.count,
                                 rawLength: raw.count, compressed: compressed)
        }
        var b = batch
        b.texts = []
        return AnalyzedBatch(batch: b, tokens: tokens, tokenEnds: ends, lengths: lengths, stored: stored)
    }
}

/// zlib's deflate (zlib format) for stored-text blocks.
enum Deflate {
    static func compress(_ input: [UInt8]) throws -> [UInt8] {
        var destLength = compressBound(uLong(input.count))
        var out = [UInt8](repeating: 0, count: Int(destLength))
        let status = out.withUnsafeMutableBufferPointer { o in
            input.withUnsafeBufferPointer { i in
                compress2(o.baseAddress, &destLength, i.baseAddress, uLong(i.count), FileLayout.storedCompressionLevel)
            }
        }
        guard status == Z_OK else { throw IndexError.io("zlib compress failed (\(status))") }
        out.removeSubrange(Int(destLength)...)
        return out
    }

    /// The most bytes one compressed byte can inflate to: deflate's limit is 1032:1.
    static let maxExpansion = 1032

    /// Inflates `input` into exactly `rawLength` bytes; anything else is corruption.
    static func decompress(_ input: UnsafeRawBufferPointer, rawLength: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: rawLength)
        var destLength = uLong(rawLength)
        let status = out.withUnsafeMutableBufferPointer { o in
            uncompress(o.baseAddress, &destLength, input.baseAddress?.assumingMemoryBound(to: UInt8.self), uLong(input.count))
        }
        guard status == Z_OK, Int(destLength) == rawLength else {
            throw IndexError.corrupt("stored-text: a compressed block does not inflate (zlib status \(status))")
        }
        return out
    }
}
