import CZlib
import FoundationEssentials
import Glibc
import SouAnalysis

/// A document's text as it reaches a batch: a String, or UTF-8 bytes as read (the text members
/// of a JSON line, unescaped and joined), which may hold invalid sequences. The analyzer reads an
/// invalid sequence as U+FFFD by the same maximal subparts that making a String replaces, so both
/// forms analyze alike, and stored text is the String (repaired) either way: bytes skip only the
/// validating pass of a String that a build storing no text never needs.
enum DocumentText: Sendable {
    case string(String)
    case utf8([UInt8])

    /// Its UTF-8 bytes (as read, for ``utf8(_:)``).
    var count: Int {
        switch self {
        case .string(let s): return s.utf8.count
        case .utf8(let b): return b.count
        }
    }

    func withUTF8<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        switch self {
        case .string(var s): return try s.withUTF8(body)
        case .utf8(let b): return try b.withUnsafeBufferPointer(body)
        }
    }

    /// As a String (bytes decoded, invalid sequences replaced by U+FFFD).
    var string: String {
        switch self {
        case .string(let s): return s
        case .utf8(let b): return String(decoding: b, as: UTF8.self)
        }
    }
}

/// Consecutive documents handed to one inverter: also exactly one stored-text block, so that the
/// written file does not depend on how batches are spread over threads.
struct DocumentBatch: Sendable {
    var firstDocument: Int
    var keys: [String] = []
    var titles: [String] = []
    var texts: [DocumentText] = []
    /// Per document: which input file it came from (0 = none or unknown).
    var sources: [UInt32] = []
    var textBytes = 0

    var count: Int { keys.count }
    /// A batch is full (and its stored block closed) once its text reaches the block target.
    var isFull: Bool { textBytes >= FileLayout.storedBlockTarget }

    mutating func append(_ document: SourceDocument) {
        keys.append(document.key); titles.append(document.title); texts.append(document.body); sources.append(document.source)
        textBytes += document.body.count
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
/// A document longer than ``BatchAnalyzer/streamedDocumentBytes`` is not analyzed here: its text
/// waits in `streamed` (by its index in the batch; it has no tokens and length 0 here), and the
/// inverter analyzes it piece by piece (``SegmentWriter``), so that its tokens never all lie in
/// memory at once.
struct AnalyzedBatch: @unchecked Sendable {
    var batch: DocumentBatch
    var tokens: TokenBuffer
    var tokenEnds: [Int]
    var lengths: [Int32]
    var stored: StoredBlock?
    var streamed: [Int: String] = [:]
    /// The tokens' packed keys and hashes, when the analyzing thread computed them
    /// (``BatchAnalyzer/computesKeys``).
    var keys: InvertedSegment.TokenKeys? = nil
}

/// Analyzes batches (and compresses their stored text). One per thread; the inversion that
/// follows runs one batch at a time, in batch order, into the writer's single segment.
final class BatchAnalyzer: @unchecked Sendable {
    let analyzer: Analyzer
    let storesText: Bool
    /// Measures analysis and compression (nil: not measured).
    var timings: IndexBuildTimings?

    /// Documents longer than this (UTF-8 bytes) are analyzed by the inverter, piece by piece
    /// (``AnalyzedBatch/streamed``): their tokens (~30 bytes per CJK character) would take ten
    /// times their size. Shorter ones are analyzed here, in parallel.
    static let streamedDocumentBytes = 1 << 20
    /// This analyzer's threshold (``streamedDocumentBytes``; tests lower it).
    var streamedDocumentBytes = BatchAnalyzer.streamedDocumentBytes
    /// Whether ``analyze(_:)`` also computes the tokens' ``InvertedSegment/TokenKeys`` (12 bytes a
    /// token): set on the analyzing threads of a parallel build, whose one inverting thread is
    /// then left only the work that needs the term table.
    var computesKeys = false

    init(analyzer: Analyzer, storesText: Bool, timings: IndexBuildTimings? = nil) {
        self.analyzer = analyzer
        self.storesText = storesText
        self.timings = timings
    }

    func analyze(_ batch: DocumentBatch) throws -> AnalyzedBatch {
        var tokens = TokenBuffer()
        // room for the tokens of the text analyzed here (streamed documents are not): in CJK
        // text about one token per character of 3 bytes, and a bigram of 6 bytes for each; fewer
        // in other text. (A buffer grown by doubling copied itself ~10 times per batch.)
        var analyzedBytes = 0
        for text in batch.texts where text.count <= streamedDocumentBytes { analyzedBytes += text.count }
        tokens.reserveCapacity(tokens: analyzedBytes / 3 + 64, termBytes: 2 * analyzedBytes + 64)
        var ends: [Int] = []
        var lengths = [Int32]()
        lengths.reserveCapacity(batch.count)
        ends.reserveCapacity(batch.count)
        // per document: the analyzer read its bytes and found no invalid sequence (then they are
        // what making a String of them gives, and are stored as they are)
        var validUTF8: [Bool] = []
        validUTF8.reserveCapacity(batch.count)
        var streamed: [Int: String] = [:]
        var keys: InvertedSegment.TokenKeys? = nil
        try IndexBuildTimings.measure(timings, .analyze) {
            for (k, text) in batch.texts.enumerated() {
                if text.count > streamedDocumentBytes {
                    streamed[k] = text.string
                    ends.append(tokens.count)
                    lengths.append(0)
                    validUTF8.append(false)
                    continue
                }
                let summary: AnalysisSummary
                do {
                    summary = try text.withUTF8 { try analyzer.analyze(utf8: $0, into: &tokens, firstPosition: 0) }
                } catch let error as AnalyzerError {
                    throw SegmentWriter.capacityError(error, key: batch.keys[k])
                }
                ends.append(tokens.count)
                lengths.append(Int32(clamping: summary.tokenCount))
                validUTF8.append(summary.invalidSequences == 0)
            }
            if computesKeys { keys = InvertedSegment.TokenKeys(of: tokens) }
        }
        var stored: StoredBlock? = nil
        if storesText, batch.count > 0 {
            stored = try IndexBuildTimings.measure(timings, .compress) { try Self.storedBlock(batch, validUTF8: validUTF8) }
        }
        var b = batch
        b.texts = []
        return AnalyzedBatch(batch: b, tokens: tokens, tokenEnds: ends, lengths: lengths, stored: stored, streamed: streamed,
                             keys: keys)
    }

    /// The batch's stored-text block: each text as varint length + UTF-8, deflated as one stream
    /// (the texts are fed to zlib in place, not copied into one buffer first). `validUTF8[i]`:
    /// text i is bytes that hold no invalid sequence (the analyzer counted none), stored as they
    /// are; other bytes are made a String first, which repairs them (stored text is valid UTF-8).
    /// Making a String of valid bytes validated and copied them again: a dev-all build took
    /// 3,772 M instructions with it, 3,641 M without (callgrind, one job).
    static func storedBlock(_ batch: DocumentBatch, validUTF8: [Bool]) throws -> StoredBlock {
        precondition(validUTF8.count == batch.count, "a validity flag per document")
        var deflater = try Deflater(expectedInput: batch.textBytes + 10 * batch.count)
        var rawLength = 0
        for (i, document) in batch.texts.enumerated() {
            if validUTF8[i], case .utf8(let bytes) = document {
                var header = ByteWriter()
                header.varint(bytes.count)
                try header.bytes.withUnsafeBufferPointer { try deflater.feed($0) }
                try bytes.withUnsafeBufferPointer { try deflater.feed($0) }
                rawLength += header.count + bytes.count
                continue
            }
            // stored text is valid UTF-8: bytes as read are made a String (repaired) here
            var text = document.string
            var header = ByteWriter()
            header.varint(text.utf8.count)
            try header.bytes.withUnsafeBufferPointer { try deflater.feed($0) }
            try text.withUTF8 { try deflater.feed($0) }
            rawLength += header.count + text.utf8.count
        }
        return StoredBlock(firstDocument: batch.firstDocument, documentCount: batch.count, rawLength: rawLength,
                           compressed: try deflater.finish())
    }
}

/// A stored-text block's zlib stream (FORMAT.md "StoredText") made from its pieces as they come:
/// the same bytes as ``Deflate/compress(_:)`` of the pieces joined. Up to
/// ``Deflate/wholeBlockLimit`` bytes (every block but one holding a huge document) the pieces are
/// gathered and compressed whole by libdeflate; past it, they go to zlib's streaming deflate
/// (deflate's output does not depend on how its input is cut when nothing is flushed), which
/// never holds the joined input, and whose output grows as it is written, so a huge, very
/// compressible input does not reserve its own size.
struct Deflater: ~Copyable {
    /// The input so far, while it fits in ``Deflate/wholeBlockLimit``.
    private var pending: [UInt8] = []
    /// zlib's stream, once the input outgrew ``pending``.
    private var stream: UnsafeMutablePointer<z_stream>? = nil
    private var output: [UInt8] = []
    private var written = 0
    private let initialOutput: Int

    /// `expectedInput`: about how many bytes will be fed (sizes the first buffers).
    init(expectedInput: Int) throws {
        initialOutput = min(max(expectedInput + expectedInput / 500 + 64, 1 << 10), 1 << 20)
        pending.reserveCapacity(min(max(expectedInput, 0), Deflate.wholeBlockLimit))
    }

    deinit {
        if let stream {
            deflateEnd(stream)
            stream.deallocate()
        }
    }

    /// Compresses `input` (nothing is flushed).
    mutating func feed(_ input: UnsafeBufferPointer<UInt8>) throws {
        guard input.count > 0 else { return }
        if stream == nil {
            if input.count <= Deflate.wholeBlockLimit - pending.count {
                pending.append(contentsOf: input)
                return
            }
            try startStream()
            let gathered = pending
            pending = []
            try gathered.withUnsafeBufferPointer { try streamFeed($0) }
        }
        try streamFeed(input)
    }

    /// Ends the stream and returns the compressed bytes.
    mutating func finish() throws -> [UInt8] {
        guard let stream else { return try pending.withUnsafeBufferPointer { try Deflate.wholeBlock($0) } }
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        try run(Z_FINISH)
        output.removeSubrange(written...)
        return output
    }

    private mutating func startStream() throws {
        let s = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        s.initialize(to: z_stream())
        let status = deflateInit_(s, FileLayout.storedCompressionLevel, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            s.deallocate()
            throw IndexError.io("zlib deflateInit failed (\(status))")
        }
        stream = s
    }

    private mutating func streamFeed(_ input: UnsafeBufferPointer<UInt8>) throws {
        guard let base = input.baseAddress, let stream else { return }
        var offset = 0
        while offset < input.count {
            // avail_in is 32-bit: feed at most 1 GiB at a time
            let n = min(input.count - offset, 1 << 30)
            stream.pointee.next_in = UnsafeMutablePointer(mutating: base + offset)
            stream.pointee.avail_in = uInt(n)
            try run(Z_NO_FLUSH)
            offset += n
        }
    }

    /// Runs deflate until it has taken all input (and, with Z_FINISH, written the end).
    private mutating func run(_ flush: Int32) throws {
        guard let stream else { return }
        while true {
            if written == output.count {
                // the first buffer holds a block that does not compress (up to 1 MiB); then the
                // output grows by half
                output.append(contentsOf: repeatElement(0, count: max(initialOutput, output.count / 2)))
            }
            let status = output.withUnsafeMutableBufferPointer { o -> Int32 in
                stream.pointee.next_out = o.baseAddress! + written
                stream.pointee.avail_out = uInt(o.count - written)
                let status = deflate(stream, flush)
                written = o.count - Int(stream.pointee.avail_out)
                return status
            }
            if flush == Z_FINISH {
                if status == Z_STREAM_END { return }
                guard status == Z_OK || status == Z_BUF_ERROR else { throw IndexError.io("zlib deflate failed (\(status))") }
            } else {
                guard status == Z_OK || status == Z_BUF_ERROR else { throw IndexError.io("zlib deflate failed (\(status))") }
                if stream.pointee.avail_in == 0 && written < output.count { return }
            }
        }
    }
}

/// Stored-text blocks as zlib streams (FORMAT.md "StoredText"), at
/// ``FileLayout/storedCompressionLevel``: a block of at most ``wholeBlockLimit`` bytes by
/// libdeflate (whole, in one call), a larger one by zlib. Both write the zlib format, which any
/// inflater reads; libdeflate is about twice as fast at the same size (dev-all's text in 16 KiB
/// blocks, one thread: zlib level 4 39.46% of the text in 0.41 s, libdeflate level 4 39.34% in
/// 0.19 s), and zlib streams a block too large to hold twice (the joined text and its output).
enum Deflate {
    /// The largest block compressed whole by libdeflate (1 MiB; blocks end once their text
    /// reaches 16 KiB, so only a block holding a larger document passes it).
    static let wholeBlockLimit = 1 << 20

    static func compress(_ input: [UInt8]) throws -> [UInt8] {
        try input.withUnsafeBufferPointer { input in
            input.count <= wholeBlockLimit ? try wholeBlock(input) : try zlibCompress(input)
        }
    }

    /// `input` (at most ``wholeBlockLimit`` bytes) compressed by libdeflate.
    static func wholeBlock(_ input: UnsafeBufferPointer<UInt8>) throws -> [UInt8] {
        precondition(input.count <= wholeBlockLimit)
        return try compressors.withCompressor { compressor in
            let bound = libdeflate_zlib_compress_bound(compressor, input.count)
            // (libdeflate reads no byte of an empty input: any pointer will do)
            let from = UnsafeRawPointer(input.baseAddress) ?? UnsafeRawPointer(bitPattern: 1)!
            let out = [UInt8](unsafeUninitializedCapacity: bound) { buffer, count in
                count = libdeflate_zlib_compress(compressor, from, input.count, buffer.baseAddress, bound)
            }
            // 0: the output did not fit in its bound, which libdeflate rules out
            guard !out.isEmpty else { throw IndexError.io("libdeflate compress failed") }
            return out
        }
    }

    /// `input` compressed by zlib (the bytes ``Deflater`` streams for it).
    private static func zlibCompress(_ input: UnsafeBufferPointer<UInt8>) throws -> [UInt8] {
        var destLength = compressBound(uLong(input.count))
        var out = [UInt8](repeating: 0, count: Int(destLength))
        let status = out.withUnsafeMutableBufferPointer { o in
            compress2(o.baseAddress, &destLength, input.baseAddress, uLong(input.count), FileLayout.storedCompressionLevel)
        }
        guard status == Z_OK else { throw IndexError.io("zlib compress failed (\(status))") }
        out.removeSubrange(Int(destLength)...)
        return out
    }

    /// libdeflate's compressors, kept for the next block (one is ~650 KB, allocated and set up
    /// once per thread that compresses instead of once per 16 KiB block).
    private static let compressors = CompressorPool()

    private final class CompressorPool: @unchecked Sendable {
        // `idle` only under `lock`
        private let lock = Lock()
        private var idle: [OpaquePointer] = []

        func withCompressor<R>(_ body: (OpaquePointer) throws -> R) throws -> R {
            var compressor = lock.withLock { idle.popLast() }
            if compressor == nil { compressor = libdeflate_alloc_compressor(FileLayout.storedCompressionLevel) }
            guard let compressor else { throw IndexError.io("libdeflate: cannot allocate a compressor") }
            defer { lock.withLock { idle.append(compressor) } }
            return try body(compressor)
        }
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
