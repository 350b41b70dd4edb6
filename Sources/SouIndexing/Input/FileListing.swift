import Glibc

/// ``DocumentSource/listFiles(paths:)`` running on a thread of its own, so that the caller can
/// open and check an index (and decode its source table) while the folders are walked: the walk
/// (a stat per file, in the kernel) is most of an up-to-date `sou index`.
///
///     let listing = FileListing(source: source, paths: ["docs"])
///     defer { listing.end() }          // every path out joins the thread
///     let reader = try IndexReader(path: "docs.sou")
///     let files = try listing.files()  // waits for the walk
///
/// While the walk runs, the source's `warn` and `detail` messages are held back; ``files()``
/// passes them on, in their order, on the calling thread (as if the walk had run there), and
/// ``end()`` without ``files()`` drops them (the caller failed before it wanted the listing, as
/// it would have failed before walking). The source is the walk's alone until one of the two
/// returns: the caller must not use it meanwhile.
public final class FileListing: @unchecked Sendable {
    /// What the thread fills in (read by the caller only after joining it).
    private final class Job: @unchecked Sendable {
        let source: DocumentSource
        let paths: [String]
        var result: Result<[InputFile], Error>? = nil
        var messages: [(warns: Bool, text: String)] = []
        init(source: DocumentSource, paths: [String]) {
            self.source = source
            self.paths = paths
        }
        func run() { result = Result { try source.listFiles(paths: paths) } }
    }

    private let job: Job
    /// Where the walk's messages go once it is over (``files()`` passes the held ones on to
    /// them and gives them back to the source): the source's own when the listing started.
    var warn: (String) -> Void
    var detail: (String) -> Void
    /// The source that walks (for reading the files once they are listed) and the paths.
    var source: DocumentSource { job.source }
    var paths: [String] { job.paths }
    /// The walking thread, until joined (nil: none was started, the walk runs in ``files()``).
    private var thread: pthread_t?
    /// True once the walk is over and the source's messages are its own again.
    private(set) var hasEnded = false

    /// Starts listing `paths` with `source` on a new thread (when the system refuses one, the walk
    /// runs on the caller's thread in ``files()`` instead). `walkingHere`: no thread, the walk runs
    /// in ``files()`` (for a caller that is itself a thread of its own, with nothing to do
    /// meanwhile: a thread costs a folder of a few files more than its walk).
    init(source: DocumentSource, paths: [String], walkingHere: Bool = false) {
        job = Job(source: source, paths: paths)
        warn = source.warn
        detail = source.detail
        let job = self.job
        source.warn = { job.messages.append((true, $0)) }
        source.detail = { job.messages.append((false, $0)) }
        // the walk recurses once per folder level, as it would on the main thread
        if !walkingHere { thread = WorkerThread.startJoinable(stackSize: 8 << 20) { job.run() } }
    }

    /// Starts listing `paths` as a ``DocumentSource`` with `options` would (its messages dropped),
    /// for ``IndexBuilder/listing`` or ``IndexBuilder/isUpToDate(_:listing:)``. Throws what
    /// ``DocumentSource/validated(_:)`` throws.
    public convenience init(paths: [String], options: InputOptions, walkingHere: Bool = false) throws {
        self.init(source: DocumentSource(options: try DocumentSource.validated(options)), paths: paths, walkingHere: walkingHere)
    }

    deinit { end() }

    /// Waits for the walk and returns its files (or throws its error, as `listFiles` would),
    /// after passing on the messages it held back.
    public func files() throws -> [InputFile] {
        precondition(!hasEnded, "FileListing.files() after end()")
        join()
        if job.result == nil { job.run() }   // no thread: walk here
        let messages = job.messages
        job.messages = []
        restore()
        hasEnded = true
        for m in messages { if m.warns { warn(m.text) } else { detail(m.text) } }
        return try job.result!.get()
    }

    /// Waits for the walk (when it runs) and drops its result and messages; no-op after
    /// ``files()`` or a first ``end()``.
    public func end() {
        guard !hasEnded else { return }
        join()
        job.messages = []
        restore()
        hasEnded = true
    }

    private func join() {
        if let t = thread {
            pthread_join(t, nil)
            thread = nil
        }
    }

    private func restore() {
        job.source.warn = warn
        job.source.detail = detail
    }
}
