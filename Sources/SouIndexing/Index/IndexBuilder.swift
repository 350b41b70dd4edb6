import Foundation
import SouAnalysis

/// Options of a whole build: input reading, analysis, storage, threads.
public struct IndexBuildOptions: Sendable {
    /// How files and JSON Lines are read.
    public var input = InputOptions()
    /// The analyzer configuration recorded in the index.
    public var configuration = AnalyzerConfiguration()
    /// Store document text (for snippets); `false` is `--no-store`.
    public var storesText = true
    /// Threads analyzing and inverting (the file is the same for any value); a build uses
    /// 1...``maxJobs`` of them whatever this says.
    public var jobs = min(ProcessInfo.processInfo.activeProcessorCount, IndexBuildOptions.maxJobs)

    /// The most threads a build uses (`sou index --jobs` refuses more).
    public static let maxJobs = 256
    /// Replace an existing output file that is not a Sou index (`sou index --force`). Never a
    /// symbolic link, device, FIFO, folder, or one of the inputs.
    public var replacesNonIndexFile = false
    /// Write an index of 0 documents. Off by default: a build that indexed nothing (every line
    /// skipped, an empty folder) throws ``OutputRefusal/Kind/nothingIndexed(reason:)`` and
    /// leaves the output as it was.
    public var allowsEmptyIndex = false

    /// Default options: default input fields and analyzer, text stored, all cores.
    public init() {}
}

/// Where a build is (reported on the reading thread).
public struct IndexBuildProgress: Sendable {
    /// Files opened so far.
    public var files: Int
    /// Documents read so far.
    public var documents: Int
    /// Input bytes read so far (uncompressed).
    public var inputBytes: Int
    /// Seconds since the build started.
    public var seconds: Double
}

/// What a build did: the figures `sou index` prints.
public struct IndexBuildSummary: Sendable, Codable, Hashable {
    /// Documents indexed.
    public var documents: Int
    /// Files read.
    public var files: Int
    /// Files or lines skipped with a warning.
    public var skipped: Int
    /// Tokens not indexed for being longer than ``IndexWriter/maxTermBytes`` (with a warning).
    public var skippedTokens: Int
    /// Input bytes (uncompressed).
    public var inputBytes: Int
    /// Distinct terms.
    public var terms: Int
    /// (term, document) pairs.
    public var postings: Int
    /// Stored positions.
    public var positions: Int
    /// Size of the index file.
    public var indexBytes: Int
    /// Wall-clock seconds (reading, inverting, writing).
    public var seconds: Double
    /// Input megabytes (10^6 bytes) per second.
    public var megabytesPerSecond: Double { seconds > 0 ? Double(inputBytes) / 1e6 / seconds : 0 }
}

/// Builds an index from paths (folders, files, JSON Lines, `-`): what `sou index` runs, and
/// what `sou search` calls to build the bundled corpus.
///
///     var builder = IndexBuilder(options: IndexBuildOptions())
///     builder.warn = { print("warning:", $0) }
///     let summary = try builder.build(paths: ["corpus"], to: URL(fileURLWithPath: "corpus.sou"))
public struct IndexBuilder {
    /// Build options.
    public var options: IndexBuildOptions
    /// One-line warnings (skipped files, bad JSON lines).
    public var warn: (String) -> Void = { _ in }
    /// Progress, called now and then on the reading thread.
    public var progress: ((IndexBuildProgress) -> Void)? = nil
    /// Hears of the temporary file the build writes before it is renamed over the output (for
    /// removal in a signal handler).
    public var temporaryFile: TemporaryFileHook? = nil

    /// Creates a builder.
    public init(options: IndexBuildOptions = IndexBuildOptions()) {
        self.options = options
    }

    /// Reads `paths` and writes the index to `url` atomically (the previous file stays intact
    /// until the new one is complete).
    ///
    /// Before reading anything, the output is checked (``OutputRefusal``): an existing `url`
    /// must be a regular file this user may write, not one of `paths`, and a Sou index or empty
    /// (unless ``IndexBuildOptions/replacesNonIndexFile``); its folder must exist and be
    /// writable. A build that indexed no document writes nothing (unless
    /// ``IndexBuildOptions/allowsEmptyIndex``).
    public func build(paths: [String], to url: URL) throws -> IndexBuildSummary {
        let start = Date()
        try OutputTarget.checkBeforeBuild(url.path, inputs: paths, replacesNonIndexFile: options.replacesNonIndexFile)
        let (writer, source) = try invert(paths: paths, start: start)
        if writer.documentCount == 0, !options.allowsEmptyIndex {
            throw OutputRefusal(.nothingIndexed(reason: Self.whyNothing(source, paths: paths)), path: url.path)
        }
        let inverted = Date()
        let (totals, fileBytes) = try writer.writeReturningSummary(to: url, temporaryFile: temporaryFile)
        if ProcessInfo.processInfo.environment["SOU_INDEX_TRACE"] != nil {
            FileHandle.standardError.write(Data(String(format: "sou index: read+invert %.2f s, serialize+write %.2f s; segments %.1f MB, stored %.1f MB\n",
                inverted.timeIntervalSince(start), Date().timeIntervalSince(inverted),
                Double(writer.segment.memoryBytes) / 1e6,
                Double(writer.documents.storedData.count) / 1e6).utf8))
        }
        return IndexBuildSummary(documents: writer.documentCount, files: source.filesRead, skipped: source.skipped,
                                 skippedTokens: writer.segment.skippedTokens, inputBytes: source.bytesRead, terms: totals.terms, postings: totals.postings,
                                 positions: totals.positions, indexBytes: fileBytes,
                                 seconds: Date().timeIntervalSince(start))
    }

    /// Why a build found no document.
    static func whyNothing(_ source: DocumentSource, paths: [String]) -> String {
        let n = source.skipped
        if n > 0 { return "\(n) \(n == 1 ? "line or file" : "lines or files") skipped with a warning" }
        if source.filesRead == 0 {
            return "no file to index in \(paths.joined(separator: ", ")): folders are read for .txt, .md, .html, "
                + ".jsonl and .jsonl.gz files and extensionless text files"
        }
        return "the input holds no document"
    }

    /// Reads `paths` and returns the index in memory (same format, same reader as a file).
    public func buildIndex(paths: [String]) throws -> SouIndex {
        try invert(paths: paths, start: Date()).0.makeIndex()
    }

    private func invert(paths: [String], start: Date) throws -> (IndexWriter, DocumentSource) {
        let writer = try IndexWriter(configuration: options.configuration, storesText: options.storesText)
        let source = DocumentSource(options: options.input, warn: warn)
        var documents = 0
        var lastReport = 0
        try writer.addDocuments(jobs: min(max(1, options.jobs), IndexBuildOptions.maxJobs)) { add in
            try source.read(paths: paths) { doc in
                try add(doc)
                documents += 1
                if let progress, source.bytesRead - lastReport >= 1 << 20 {
                    lastReport = source.bytesRead
                    progress(IndexBuildProgress(files: source.filesRead, documents: documents,
                                                inputBytes: source.bytesRead, seconds: Date().timeIntervalSince(start)))
                }
            }
        }
        try writer.flushPendingBatch()
        let segment = writer.segment
        if segment.skippedTokens > 0 {
            let n = segment.skippedTokens
            warn("\(n) \(n == 1 ? "token" : "tokens") longer than \(IndexWriter.maxTermBytes) bytes "
                 + "\(n == 1 ? "was" : "were") not indexed (the longest: \(segment.longestSkippedToken) bytes)")
        }
        return (writer, source)
    }
}
