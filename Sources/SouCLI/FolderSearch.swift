import FoundationEssentials
import Glibc
import Sou

/// `sou search QUERY PATH...`: the index of the given files and folders, kept in a cache folder
/// and brought up to date before each search (like `rg PATTERN PATH`, with an index).
///
/// - Where: `$SOU_CACHE`, else `$XDG_CACHE_HOME/sou`, else `~/.cache/sou`.
/// - One index file per set of roots and options: `NAME-HASH.sou`, HASH over the canonical
///   absolute paths (symbolic links resolved, sorted) and the analyzer and input options, NAME
///   the last component of the first root (for people who look in the folder).
/// - The roots are indexed by their canonical absolute paths, so the same folder given as `.`,
///   `docs` or `~/x/docs` shares one index; hits are printed with the path as it was given.
/// - Up to date = every file listed with the size and modification time the index recorded (no
///   file is read: the cost of a walk of the folder, as `rg` pays). Otherwise the index is
///   updated incrementally (`IndexBuilder.update`: new and changed files read, vanished ones'
///   documents deleted), under a lock file so that concurrent searches update once and the
///   others wait and then find it up to date.
/// - A cache that cannot be written: a warning, and the search runs on an index built in memory
///   (as `--no-cache` does, silently).
struct FolderSearch {
    /// The paths as given, and their canonical absolute forms (same order).
    var given: [String]
    var canonical: [String]
    var options: IndexBuildOptions

    /// Whether a path is a stream (stdin as `-`, a pipe such as /dev/stdin or /dev/fd/N of a
    /// shell's `<(…)`, a FIFO, a device): read once, its content has no name or time that a
    /// cached index could be checked against, so the search indexes everything in memory (as
    /// `--no-cache`).
    var hasStreams = false

    /// Resolves `paths` (each must exist) and the options.
    init(paths: [String], options: IndexBuildOptions) throws {
        given = []
        self.options = options
        canonical = []
        for p in paths {
            if p == "-" {
                if !canonical.contains(p) { canonical.append(p); given.append(p) }
                hasStreams = true
                continue
            }
            var st = stat()
            guard stat(p, &st) == 0 else { throw CLIError("\(p): \(String(cString: strerror(errno)))") }
            let kind = st.st_mode & S_IFMT
            if kind != S_IFREG && kind != S_IFDIR { hasStreams = true }
            guard let resolved = realpath(p, nil) else {
                // a pipe's /dev/fd/N names no file ("pipe:[…]"): read through the name given
                guard kind != S_IFREG && kind != S_IFDIR else { throw CLIError("\(p): \(String(cString: strerror(errno)))") }
                canonical.append(p)
                given.append(p)
                continue
            }
            let c = String(cString: resolved)
            free(resolved)
            // the same file or folder named twice is searched once
            if canonical.contains(c) { continue }
            canonical.append(c)
            given.append(p)
        }
    }

    /// The build options of a folder search's flags (shared by `sou search PATH...` and `sou
    /// watch`: the cached index is named after them). Checked before anything is read (an unknown
    /// type or charset, a malformed glob), the charset's canonical name kept.
    static func options(hidden: Bool, types: [String], excludedTypes: [String], globs: [String], encoding: String?,
                        noJoinLines: Bool, foldVariants: Bool) throws -> IndexBuildOptions {
        var options = IndexBuildOptions()
        options.input.includesHidden = hidden
        options.input.types = types
        options.input.excludedTypes = excludedTypes
        options.input.globs = globs
        options.input.encoding = encoding
        do { options.input = try DocumentSource.validated(options.input) } catch { throw CLIError("\(error)") }
        options.configuration = AnalyzerConfiguration(joinsSoftLineBreaks: !noJoinLines, foldsTraditionalToSimplified: foldVariants)
        return options
    }

    /// The cache folder: `$SOU_CACHE`, else `$XDG_CACHE_HOME/sou`, else `~/.cache/sou`.
    static func cacheFolder() -> String {
        // getenv, not ProcessInfo's environment (which copies all of it)
        let variable = { (name: String) in getenv(name).map { String(cString: $0) } }
        if let s = variable("SOU_CACHE"), !s.isEmpty { return s }
        if let x = variable("XDG_CACHE_HOME"), x.hasPrefix("/") { return x + "/sou" }
        let home = variable("HOME").flatMap { $0.isEmpty ? nil : $0 } ?? homeFolder()
        return home + "/.cache/sou"
    }

    /// The cached index file's path.
    var cachePath: String { Self.cacheFolder() + "/" + cacheFileName }

    /// The cached index when there is one built with this search's options, opened as it is
    /// (nil: absent, damaged, or of other options; whether it is up to date is not checked).
    func cachedIndex() -> IndexReader? {
        guard let reader = try? IndexReader(path: cachePath), isOfTheseOptions(reader) else { return nil }
        return reader
    }

    func isOfTheseOptions(_ reader: IndexReader) -> Bool {
        reader.configuration == options.configuration && reader.storesText == options.storesText
    }

    /// Whether `reader` mirrors the roots as they are now (a failing check: no). The roots are
    /// walked on the calling thread (the reader is open already: nothing to overlap the walk with).
    func isUpToDate(_ reader: IndexReader) -> Bool {
        (try? builder(progress: nil).isUpToDate(reader, paths: canonical, walkingHere: true)) == true
    }

    /// What the cached index is named after: the roots and every option that changes its content.
    var identity: String {
        let roots = Set(canonical).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        // (appended, not `joined`, and `description` called, not interpolated: the same text
        // without a runtime look-up of an associated type or of how to print a type)
        var text = ""
        for (i, root) in roots.enumerated() { text += i == 0 ? root : "\u{0}" + root }
        return text + "\u{0}" + options.configuration.description + "\u{0}" + options.input.fieldsDescription
            + "\u{0}store=" + (options.storesText ? "true" : "false")
    }

    /// FNV-1a, 64 bits, of `text`'s UTF-8: what the cache file and the watcher's socket are
    /// named by.
    static func nameHash(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return String(hash, radix: 16)
    }

    /// The cache file's name: `NAME-HASH.sou` (``nameHash(_:)`` of ``identity``).
    var cacheFileName: String {
        var name = canonical.first.map { PathText.lastComponent($0) } ?? "index"
        var kept = String.UnicodeScalarView()
        for c in name.unicodeScalars.prefix(40) {
            kept.append(c.isAlphanumeric || c == "-" || c == "_" || c == "." ? c : "_")
        }
        name = String(kept)
        if name.isEmpty || name.hasPrefix(".") { name = "root" + name }
        return name + "-" + Self.nameHash(identity) + ".sou"
    }

    /// The index to search: the cached one, brought up to date (`useCache` false: built in
    /// memory), and how many files and folders under the roots could not be read (each warned
    /// about on stderr as it was met: `sou search` then exits 2 when nothing matched, as
    /// ripgrep does). An index found up to date had none: ``isUpToDate(_:)`` is false while
    /// anything unreadable is there, so that every search tries it again and says so.
    /// `knownStale`: the cached index was just found out of date (or absent), so the check
    /// before taking the lock is skipped.
    func index(useCache: Bool, knownStale: Bool = false, progress: BuildProgress?) throws -> (reader: IndexReader, unreadable: Int) {
        guard useCache else { return try inMemory() }
        let folder = Self.cacheFolder()
        let path = folder + "/" + cacheFileName
        // fast path: an index that mirrors the roots as they are now is searched as it is
        if !knownStale, let reader = try? IndexReader(path: path), isOfTheseOptions(reader), isUpToDate(reader) {
            return (reader, 0)
        }
        if let failure = Self.makeFolder(folder) {
            printError("warning: cannot use the cache folder \(folder) (\(failure)): searching without a cache "
                       + "(set SOU_CACHE to a writable folder, or pass --no-cache)")
            return try inMemory()
        }
        // stale or absent: update it under the cache's lock file (another search may be doing it)
        let lockPath = path + ".lock"
        let lockFD = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lockFD >= 0 else {
            printError("warning: cannot write the cache \(lockPath) (\(String(cString: strerror(errno)))): searching without a cache "
                       + "(set SOU_CACHE to a writable folder, or pass --no-cache)")
            return try inMemory()
        }
        defer { close(lockFD) }
        while flock(lockFD, LOCK_EX) != 0 {
            if errno != EINTR { throw CLIError("cannot lock \(lockPath): \(String(cString: strerror(errno)))") }
        }
        defer { flock(lockFD, LOCK_UN) }
        // another search may have brought it up to date while this one waited
        if let reader = try? IndexReader(path: path), isOfTheseOptions(reader), isUpToDate(reader) {
            return (reader, 0)
        }
        var b = builder(progress: progress)
        b.temporaryFile = TemporaryFileCleanup.hook()
        let unreadable: Int
        do {
            // rebuild when the cached file is not one this search can update (damaged, other options)
            var rebuild = false
            if FileManager.default.fileExists(atPath: path) {
                if let r = try? IndexReader(path: path) {
                    rebuild = !isOfTheseOptions(r)
                } else {
                    rebuild = true
                }
            }
            let summary = try b.update(paths: canonical, atPath: path, rebuild: rebuild)
            unreadable = summary.skippedByReason[SkipReason.unreadable.rawValue] ?? 0
            progress?.finish()
        } catch {
            progress?.finish()
            if error is OutputRefusal || (error as? IndexError).map({ if case .io = $0 { true } else { false } }) == true {
                printError("warning: cannot write the cache \(path) (\(error)): searching without a cache")
                return try inMemory()
            }
            throw CLIError("indexing \(given.joined(separator: " ")) into the cache \(path) failed: \(error)")
        }
        do {
            return (try IndexReader(path: path), unreadable)
        } catch {
            throw CLIError(file: path, error)
        }
    }

    func builder(progress: BuildProgress?) -> IndexBuilder {
        var o = options
        o.allowsEmptyIndex = true
        o.waitsForLock = true
        var b = IndexBuilder(options: o)
        b.warn = { [self] message in
            progress?.clear()
            printError("warning: " + displayPaths(in: message))
        }
        if let progress { b.progress = { progress.show($0) } }
        return b
    }

    /// An index of the roots built in memory (nothing written), and how many files and folders
    /// could not be read.
    func inMemory() throws -> (reader: IndexReader, unreadable: Int) {
        do {
            var skipped: [SkipReason: Int] = [:]
            let reader = try builder(progress: nil).buildIndex(paths: canonical, skipped: &skipped)
            return (reader, skipped[.unreadable] ?? 0)
        } catch {
            throw CLIError("indexing \(given.joined(separator: " ")) failed: \(error)")
        }
    }

    /// `message` (a warning of the build, which names files by the canonical paths the cache
    /// indexes) with each path under a canonical root written as the user named it: "skipping
    /// d/broken.txt: …" for `sou search QUERY d`, not the absolute path of d.
    func displayPaths(in message: String) -> String {
        var message = message
        for (root, as_) in zip(canonical, given) where root != as_ {
            let from = root.hasSuffix("/") ? root : root + "/"
            let to = as_.hasSuffix("/") ? as_ : as_ + "/"
            message = message.replacing(from, with: to)
        }
        return message
    }

    /// `key` as the user named it: a key under a canonical root starts with the path as given.
    func display(_ key: String) -> String {
        for (root, as_) in zip(canonical, given) {
            guard key.hasPrefix(root) else { continue }
            let rest = key.dropFirst(root.count)
            if rest.isEmpty || rest.hasPrefix("#") { return as_ + rest }
            if rest.hasPrefix("/") {
                return as_.hasSuffix("/") ? as_ + rest.dropFirst() : as_ + rest
            }
        }
        return key
    }

    /// Creates `folder` and its missing parents (new ones 0700); the reason when that fails.
    /// The reason names the path at fault when it is not `folder` itself (a parent that is a file).
    static func makeFolder(_ folder: String) -> String? {
        makeFolder(folder, asked: folder)
    }

    private static func makeFolder(_ folder: String, asked: String) -> String? {
        var st = stat()
        if stat(folder, &st) == 0 {
            if (st.st_mode & S_IFMT) == S_IFDIR { return nil }
            return folder == asked ? "not a folder" : "\(folder) is not a folder"
        }
        let parent = PathText.deletingLastComponent(folder)
        if !parent.isEmpty, parent != folder, let failure = makeFolder(parent, asked: asked) { return failure }
        if mkdir(folder, 0o700) != 0, errno != EEXIST {
            let reason = String(cString: strerror(errno))
            return folder == asked ? reason : "\(folder): \(reason)"
        }
        return nil
    }
}

/// The up-to-date check of a cached index (``FolderSearch/isUpToDate(_:)``: a walk of the roots
/// and a stat of every file) on a thread of its own, so that the search of the cached index
/// runs meanwhile on the calling thread. For an index of few files (at most
/// ``inlineFileCount``), or when no thread can be started, the check runs in ``init``, before
/// the search: starting a thread costs more than their walk.
final class UpToDateCheck: @unchecked Sendable {
    private let work: () -> Bool
    // written by the thread before it ends and read after pthread_join, which orders the two
    private var result = false
    private var thread: pthread_t?

    /// Folders of at most this many files are checked on the calling thread: a thread's start
    /// and end (its stack, its allocator arena, the kernel's work for a process of several
    /// threads) cost about a millisecond on a 2-core VM, a stat 1.5 µs (measured: 30 files
    /// 4.2 ms checked here against 4.9 ms with a thread, `sou search -i` of the same index
    /// 3.3-3.7 ms; from about 700 to 1,500 files either way costs the same).
    static let inlineFileCount = 256

    init(_ folders: FolderSearch, _ reader: IndexReader) {
        work = { folders.isUpToDate(reader) }
        if let count = try? reader.sourceFileCount(), count <= Self.inlineFileCount {
            result = work()
            return
        }
        // the thread holds a reference to self until it ends
        if let t = WorkerThread.startJoinable({ [self] in result = work() }) {
            thread = t
        } else {
            result = work()
        }
    }

    /// Waits for the check's end: true when the index is up to date.
    func wait() -> Bool {
        if let t = thread {
            pthread_join(t, nil)
            thread = nil
        }
        return result
    }
}
