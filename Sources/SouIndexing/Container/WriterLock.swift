import FoundationEssentials
import Glibc

/// The one-writer-per-file rule: an open-file-description lock (`fcntl(F_OFD_SETLK)`, Linux) on
/// the index file itself. Unlike classic POSIX record locks it belongs to the open file, not the
/// process, so two writers in one process exclude each other too, and a reader closing its own
/// descriptor of the file does not release it. The lock goes away with the descriptor (also
/// when the process dies: no stale lock files).
///
/// A merge that rewrites the file locks the new file before renaming it over the old one; a
/// writer that waited on the old file notices that the path now names another file and retries.
enum WriterLock {
    // <fcntl.h> with _GNU_SOURCE; not imported into Swift.
    private static let F_OFD_GETLK: Int32 = 36
    private static let F_OFD_SETLK: Int32 = 37
    private static let F_OFD_SETLKW: Int32 = 38

    /// Takes the write lock on `fd`; when another writer holds it, waits (`wait`) or throws
    /// ``IndexError/locked(_:)`` naming the holder when it can be found. A wait for a lock that a
    /// writer of the calling thread holds is refused with ``IndexError/locked(_:)`` too: that
    /// writer cannot let go while its thread waits, so the wait would never end.
    static func acquire(_ fd: Int32, path: String, wait: Bool) throws {
        var lock = wholeFile(F_WRLCK)
        var blocking = false
        while true {
            if fcntl(fd, blocking ? F_OFD_SETLKW : F_OFD_SETLK, &lock) == 0 {
                holders.add(fd)
                return
            }
            let e = errno
            if e == EINTR { continue }
            if e == EAGAIN || e == EACCES {
                if wait, !blocking {
                    if holders.heldByCallingThread(fd) {
                        throw IndexError.locked("\(path) is being written by a writer this thread has open: waiting for it here would never end (finish or drop that writer first)")
                    }
                    blocking = true
                    continue
                }
                throw IndexError.locked("\(path) is being written by \(holder(of: fd) ?? "another writer"); try again when it is done, or wait for it (sou: --wait; the library: IndexWriterOptions.waitsForLock)")
            }
            throw IndexError.io("cannot lock \(path): \(String(cString: strerror(e)))")
        }
    }

    /// Releases the write lock of `fd` and closes it. The lock belongs to the open file
    /// description, which a child process forked by another thread shares until it execs (when
    /// the descriptor's close-on-exec flag drops it): closing alone would leave the lock held
    /// through that window, and a writer opened right after this one (in this process or
    /// another) would be refused; unlocking first releases it for every copy at once.
    static func releaseAndClose(_ fd: Int32) {
        holders.remove(fd)
        var lock = wholeFile(F_UNLCK)
        _ = fcntl(fd, F_OFD_SETLK, &lock)
        close(fd)
    }

    /// The files this process's writers have locked (``acquire(_:path:wait:)``), by device and
    /// inode, each with the thread that locked it.
    private static let holders = Holders()

    final class Holders: @unchecked Sendable {
        /// (A list, not a dictionary: a process holds a few locks at most, and the first
        /// `Dictionary` keyed by a new type costs a scan of the binary's ~3,900 protocol
        /// conformance records for its `Hashable` one, ~250,000 instructions, at every `sou index`)
        private var owners: [(file: FileID, thread: pthread_t)] = []
        /// Guards `owners`. (A pthread mutex, not the Synchronization module's `Mutex`: that one
        /// waits on futexes in code ThreadSanitizer does not see, which reported two writers
        /// locking files on two threads as a race on `owners`.)
        private let lock = Lock()

        struct FileID: Equatable {
            let device: UInt64, inode: UInt64

            init?(_ fd: Int32) {
                var st = stat()
                guard fstat(fd, &st) == 0 else { return nil }
                device = UInt64(st.st_dev)
                inode = UInt64(st.st_ino)
            }
        }

        func add(_ fd: Int32) {
            guard let id = FileID(fd) else { return }
            lock.withLock {
                owners.removeAll { $0.file == id }
                owners.append((id, pthread_self()))
            }
        }

        func remove(_ fd: Int32) {
            guard let id = FileID(fd) else { return }
            lock.withLock { owners.removeAll { $0.file == id } }
        }

        /// Whether a writer of the calling thread holds the lock of `fd`'s file.
        func heldByCallingThread(_ fd: Int32) -> Bool {
            guard let id = FileID(fd) else { return false }
            return lock.withLock { owners.contains { $0.file == id && pthread_equal($0.thread, pthread_self()) != 0 } }
        }
    }

    /// A lock request of `type` (F_WRLCK, F_UNLCK) over the whole file (OFD locks take l_pid 0).
    private static func wholeFile(_ type: Int32) -> flock {
        var lock = flock()
        lock.l_type = Int16(type)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = 0
        lock.l_len = 0
        lock.l_pid = 0
        return lock
    }

    /// Takes the write lock on `fd` if no one holds it; false when another open file description
    /// (of any process, or of this one) does. (The lock goes with `fd`'s last descriptor.)
    static func tryAcquire(_ fd: Int32) -> Bool {
        var lock = wholeFile(F_WRLCK)
        while true {
            if fcntl(fd, F_OFD_SETLK, &lock) == 0 { return true }
            if errno != EINTR { return false }
        }
    }

    /// Whether another open file description holds a lock on the file (for tests and `stats`).
    static func isLocked(_ fd: Int32) -> Bool {
        var lock = wholeFile(F_WRLCK)
        return fcntl(fd, F_OFD_GETLK, &lock) == 0 && lock.l_type != Int16(F_UNLCK)
    }

    /// "process 1234 (sou add …)": the process that has the file open with an OFD lock on it,
    /// found through /proc (the lock itself does not record a process).
    static func holder(of fd: Int32) -> String? {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        let me = getpid()
        guard let pids = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        for p in pids {
            guard let pid = Int32(p) else { continue }
            guard let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd") else { continue }
            for f in fds {
                var o = stat()
                guard stat("/proc/\(pid)/fd/\(f)", &o) == 0, o.st_dev == st.st_dev, o.st_ino == st.st_ino else { continue }
                guard let info = try? String(contentsOfFile: "/proc/\(pid)/fdinfo/\(f)", encoding: .utf8),
                      info.contains("OFDLCK"), info.contains("WRITE") else { continue }
                if pid == me { return "another writer in this process" }
                let command = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")))
                    .map { String(decoding: $0.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self).trimmingWhitespace } ?? ""
                // (the program by its name, not its path: "sou add …")
                let words = command.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
                let shown = words.isEmpty ? "" : String(words[0].split(separator: "/").last ?? words[0]) + (words.count > 1 ? " " + words[1] : "")
                return shown.isEmpty ? "process \(pid)" : "process \(pid) (\(shown))"
            }
        }
        return nil
    }
}
