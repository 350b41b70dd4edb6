import CSystemShim
import FoundationEssentials
import Glibc
import Sou

/// `sou watch PATH...`: keeps the cached index of a folder search (``FolderSearch``) up to date
/// as the files change, and vouches for it, so that `sou search QUERY PATH...` skips the walk
/// of the folders (a stat of every file: most of a search of a large, unchanged folder).
///
/// How it knows (Linux inotify, in CSystemShim):
/// - Every folder the search's walk enters and every file it lists are watched (a file too, not
///   only its folder: one changed through another hard link, or reached by a symbolic link from
///   outside the folders, changes without an event in the folder).
/// - The kernel queues an event for a change before the call that made it returns. So when a
///   search asks (the sync below), the watcher reads every queued event first: no event since
///   its last update means that no watched file or folder changed since that update's walk
///   began, and the cached index mirrors the paths.
/// - Any event, or a lost one (queue overflow), makes the watcher *dirty*: the next sync, or
///   ``quietPeriod`` without events, watches the paths anew (new folders and files), then
///   updates the cache as a search would (``FolderSearch/index(useCache:knownStale:progress:)``:
///   its walk, new and changed files read, under the cache's lock), then reads the events that
///   came meanwhile (still dirty if any).
/// - Not seen: writes through a memory mapping (no inotify event) and changes on network file
///   systems made by other machines. README says so; a search without a watcher always walks.
///
/// The socket: a stream socket in the abstract namespace (no file to leave behind when the
/// watcher is killed), named after the user and the cache file (``socketName(_:)``); a search
/// trusts the process listening only when it runs as the same user (SO_PEERCRED). Protocol: the
/// search writes `sync\n`; the watcher answers `clean GENERATION\n` (the cached index's commit
/// generation it vouches for) or `unknown REASON\n` (the search then walks, as without one).
final class FolderWatcher {
    let folders: FolderSearch
    /// Logs each sync and update on stderr (`--verbose`).
    let verbose: Bool
    private var listener: Int32 = -1
    private var notifier: Int32 = -1
    /// The generation of the cached index vouched for; nil while dirty.
    private var clean: UInt64? = nil
    /// Why the watcher cannot vouch (nil: it can when clean).
    private var notVouching: String? = nil
    /// The last update failed: the next is tried on a change or a search, not after every
    /// ``quietPeriod`` (a deleted folder would otherwise be walked and reported 3 times a second).
    private var failed = false
    /// When the last event was read (for ``quietPeriod``).
    private var lastEvent = ContinuousClock.now
    private(set) var watchedFolders = 0, watchedFiles = 0

    /// Without a search asking, a dirty watcher updates the cache after this long without events
    /// (an editor's save, a `git checkout`, a copy of many files: one update, not one per event).
    static let quietPeriod = Duration.milliseconds(300)

    init(folders: FolderSearch, verbose: Bool) {
        self.folders = folders
        self.verbose = verbose
    }

    /// The socket name of a folder search's watcher: the user and the cache file's path (the same
    /// paths and options, and the same cache folder, make the same name).
    static func socketName(_ folders: FolderSearch) -> String {
        "sou-watch/\(getuid())/" + FolderSearch.nameHash(folders.cachePath)
    }

    /// Listens, watches, brings the cache up to date and then serves searches until a signal ends
    /// the process. Throws when the paths are watched already or cannot be watched.
    func run(started: (FolderWatcher) -> Void) throws -> Never {
        let name = Self.socketName(folders)
        let fd = sou_watch_listen(name)
        if fd == -EADDRINUSE {
            throw CLIError("these paths are watched already (another `sou watch` of them, with the same options, is running)")
        }
        guard fd >= 0 else { throw CLIError("cannot listen for searches: \(String(cString: strerror(-fd)))") }
        listener = fd
        try refresh()
        started(self)
        while true {
            var polls = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0), pollfd(fd: notifier, events: Int16(POLLIN), revents: 0)]
            var timeout: Int32 = -1
            if clean == nil, !failed {
                let left = Self.quietPeriod - (ContinuousClock.now - lastEvent)
                timeout = left <= .zero ? 0 : Int32(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1)
            }
            let r = poll(&polls, 2, timeout)
            if r < 0 {
                if errno == EINTR { continue }
                throw CLIError("waiting for changes and searches failed: \(String(cString: strerror(errno)))")
            }
            if polls[1].revents != 0 { try readEvents() }
            if polls[0].revents != 0 { try serve() }
            if clean == nil, !failed, ContinuousClock.now - lastEvent >= Self.quietPeriod { try refresh() }
        }
    }

    /// Reads the queued events: any makes the watcher dirty.
    private func readEvents() throws {
        var overflowed: Int32 = 0
        let n = sou_watch_drain(notifier, &overflowed)
        guard n >= 0 else { throw CLIError("reading change events failed: \(String(cString: strerror(Int32(-n))))") }
        if n > 0 || overflowed != 0 {
            if clean != nil, verbose { log("changed: \(n) event\(n == 1 ? "" : "s")\(overflowed != 0 ? " (some lost: the kernel's queue overflowed)" : "")") }
            clean = nil
            failed = false
            lastEvent = .now
        }
    }

    /// Watches the paths anew, updates the cache, and reads the events that came meanwhile.
    private func refresh() throws {
        let started = ContinuousClock.now
        let fresh = sou_watch_open()
        guard fresh >= 0 else { throw CLIError("cannot watch for changes: \(String(cString: strerror(-fresh)))") }
        do {
            try watch(into: fresh)
        } catch {
            close(fresh)
            throw error
        }
        if notifier >= 0 { close(notifier) }
        notifier = fresh
        let before = folders.cachedIndex()?.generation
        let unreadable: Int
        do {
            unreadable = try folders.index(useCache: true, progress: nil).unreadable
        } catch {
            // (the search that asks says what is wrong, as it would without a watcher)
            notVouching = "the update failed: \(error)"
            failed = true
            clean = nil
            lastEvent = .now
            log("cannot update the index: \(error)")
            return
        }
        guard let generation = folders.cachedIndex()?.generation else {
            throw CLIError("the cache \(folders.cachePath) cannot be written (set SOU_CACHE to a writable folder)")
        }
        // a path that could not be read is warned about by every search, which tries it again
        notVouching = unreadable > 0 ? "\(unreadable) file\(unreadable == 1 ? "" : "s") or folder\(unreadable == 1 ? "" : "s") could not be read" : nil
        clean = generation
        failed = false
        lastEvent = .now
        if generation != before {
            log("index updated in \(Self.seconds(ContinuousClock.now - started)) (generation \(generation))")
        } else if verbose {
            log("index up to date (generation \(generation), checked in \(Self.seconds(ContinuousClock.now - started)))")
        }
        try readEvents()
    }

    /// Adds a watch to `fd` for every folder the walk enters and every file it lists, and for the
    /// folder holding each file named as a path (renamed over, it is another file).
    private func watch(into fd: Int32) throws {
        let source = DocumentSource(options: folders.options.input)
        let files = try source.listFiles(paths: folders.canonical)
        var targets = source.walkedFolders.map { ($0, true) }
        for root in folders.canonical {
            var st = stat()
            if stat(root, &st) == 0, (st.st_mode & S_IFMT) != S_IFDIR { targets.append((PathText.deletingLastComponent(root), true)) }
        }
        watchedFolders = targets.count
        targets += files.filter(\.isRegularFile).map { ($0.path, false) }
        watchedFiles = targets.count - watchedFolders
        for (path, isFolder) in targets {
            let r = sou_watch_add(fd, PathBytes.cString(path), isFolder ? 1 : 0)
            // (gone since the walk: the update's walk sees that; its folder's watch, the next one)
            if r == 0 || r == -ENOENT || r == -ENOTDIR { continue }
            if r == -ENOSPC {
                throw CLIError("cannot watch \(targets.count) files and folders: the limit of watches (fs.inotify.max_user_watches, "
                               + "\(Self.watchLimit() ?? "?")) is reached; raise it (sysctl fs.inotify.max_user_watches=N) or watch fewer paths")
            }
            throw CLIError("cannot watch \(PathBytes.displayed(path)): \(String(cString: strerror(-r)))")
        }
    }

    /// Answers one search: reads its request, the queued events, updates when dirty, and replies.
    private func serve() throws {
        let client = sou_watch_accept(listener)
        guard client >= 0 else { return }   // (the search gave up meanwhile)
        defer { close(client) }
        guard sou_wait_readable(client, 1000) == 1 else { return }
        var request = [UInt8](repeating: 0, count: 64)
        let n = read(client, &request, request.count)
        guard n > 0, request[..<n].starts(with: Array("sync\n".utf8)) else { return }
        try readEvents()
        if clean == nil { try refresh() }
        let reply: String
        if let clean, notVouching == nil {
            reply = "clean \(clean)\n"
        } else {
            reply = "unknown \(notVouching ?? "changes are being read")\n"
        }
        _ = reply.withCString { send(client, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        if verbose { log("search answered: \(reply.dropLast())") }
    }

    private func log(_ message: String) {
        writeStderr("sou watch: " + message + "\n")
    }

    static func seconds(_ d: Duration) -> String {
        let s = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        return String(fixedPoint(s, decimals: 3)) + " s"
    }

    /// fs.inotify.max_user_watches, as the kernel reports it.
    static func watchLimit() -> String? {
        guard let text = try? String(contentsOfFile: "/proc/sys/fs/inotify/max_user_watches", encoding: .utf8) else { return nil }
        return String(text.filter { !$0.isWhitespace })
    }
}

/// A search's side of the watcher's protocol (``FolderWatcher``).
enum WatcherClient {
    /// How long a search waits for a watcher's answer (it may be updating the cache after many
    /// changes; after this the search checks the folders itself, under the cache's lock).
    static let answerTimeout: Int32 = 10_000

    /// The generation of the cached index a watcher of `folders` vouches for: nil when none
    /// listens (or it cannot vouch, or does not answer in time: the search then walks the folders).
    static func sync(_ folders: FolderSearch) -> UInt64? {
        let fd = sou_watch_connect(FolderWatcher.socketName(folders))
        guard fd >= 0 else {
            if fd == -EPERM {
                printError("warning: a process of another user listens where the watcher of these paths would: ignored")
            }
            return nil
        }
        defer { close(fd) }
        guard send(fd, "sync\n", 5, Int32(MSG_NOSIGNAL)) == 5 else { return nil }
        guard sou_wait_readable(fd, answerTimeout) == 1 else {
            printError("warning: the watcher of these paths (sou watch) did not answer in \(answerTimeout / 1000) s: checking them here")
            return nil
        }
        var reply = [UInt8](repeating: 0, count: 256)
        let n = read(fd, &reply, reply.count)
        guard n > 0 else { return nil }
        let text = String(decoding: reply[..<n], as: UTF8.self)
        guard text.hasPrefix("clean "), text.hasSuffix("\n") else { return nil }
        return UInt64(text.dropFirst(6).dropLast())
    }
}
