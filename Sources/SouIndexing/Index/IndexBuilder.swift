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
    /// Threads analyzing and inverting (the file is the same for any value).
    public var jobs = ProcessInfo.processInfo.activeProcessorCount
    /// The in-memory buffer budget in bytes (see ``IndexWriterOptions/memoryBudget``).
    public var memoryBudget = IndexWriterOptions().memoryBudget

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

    /// Creates a builder.
    public init(options: IndexBuildOptions = IndexBuildOptions()) {
        self.options = options
    }

    /// Reads `paths` and writes a new index to `url` (replacing it atomically at the end: the
    /// previous file stays intact until the new one is committed).
    public func build(paths: [String], to url: URL) throws -> IndexBuildSummary {
        let start = Date()
        var writerOptions = IndexWriterOptions()
        writerOptions.configuration = options.configuration
        writerOptions.storesText = options.storesText
        writerOptions.jobs = max(1, options.jobs)
        writerOptions.memoryBudget = options.memoryBudget
        let writer = try IndexWriter(path: url.path, mode: .rebuild, options: writerOptions)
        let source = DocumentSource(options: options.input, warn: warn)
        var documents = 0
        var lastReport = 0
        try writer.addDocuments { add in
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
        try writer.commit()
        let reader = try IndexReader(contentsOf: url)
        var terms = 0, postings = 0, positions = 0
        for s in reader.segments {
            terms += s.reader.termCount
            postings += s.reader.postingCount
            positions += s.reader.positionCount
        }
        var st = stat()
        let fileBytes = stat(url.path, &st) == 0 ? Int(st.st_size) : 0
        return IndexBuildSummary(documents: reader.documentCount, files: source.filesRead, skipped: source.skipped,
                                 inputBytes: source.bytesRead, terms: terms, postings: postings,
                                 positions: positions, indexBytes: fileBytes,
                                 seconds: Date().timeIntervalSince(start))
    }

    /// Reads `paths` into one segment in memory (same format, same reader as a file).
    public func buildIndex(paths: [String]) throws -> IndexReader {
        let writer = try SegmentWriter(configuration: options.configuration, storesText: options.storesText)
        let source = DocumentSource(options: options.input, warn: warn)
        try writer.addDocuments(jobs: max(1, options.jobs)) { add in
            try source.read(paths: paths) { try add($0) }
        }
        return try IndexReader(segment: writer.makeIndex())
    }
}
