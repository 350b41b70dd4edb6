import CSystemShim
import FoundationEssentials
import Glibc

/// Asks the system for the next files of a build before the reading thread gets to them, once
/// reading shows that files come from the disk and not from the page cache.
///
/// A build reads its files one at a time on one thread (``DocumentSource``): a file that is not
/// in the page cache stops that thread for a disk read, and the analyzing threads wait for its
/// batch. Measured on dev-all (7,117 files, 12 MB) with the caches dropped: the reading and
/// inverting took 1.7–1.8 s against 0.6 s from the cache, with about one core busy. Here a thread
/// opens the files ahead of the reader and hands each to `posix_fadvise(POSIX_FADV_WILLNEED)`,
/// which starts its reads and returns: many reads are then in flight at once, and the reader
/// finds the bytes in the cache.
///
/// From the cache that would only cost an open, an advice and a close per file (4–5 µs, measured
/// on dev-all): the thread starts only after ``slowLoadsToStart`` files took ``slowLoad`` or more
/// to load (``noteLoad(seconds:)``), so a build of files in the cache runs as without it; it
/// advises only files whose start is not in the cache (a one-byte read that may not wait), and
/// returns after ``cachedRunToIdle`` files in a row were there already (slow loads start it
/// again). It stays at most ``aheadFiles`` files and ``aheadBytes`` bytes ahead of the reader,
/// which it wakes up for once per half of that window. What it does changes no byte read: the
/// reader opens and reads each file itself, as before.
package final class ReadAhead: @unchecked Sendable {
    /// A load slower than this (reading a file of the list) starts the thread.
    package static let slowLoad = 0.000_5
    static let aheadFiles = 64
    static let aheadBytes = 16 << 20
    /// Slow loads that start the thread.
    static let slowLoadsToStart = 4
    /// Files in a row found in the cache after which the thread returns (see ``idled``).
    static let cachedRunToIdle = 256
    /// Fewer files than this are read without a thread ahead.
    static let minimumFiles = 16

    private let paths: [String]
    private let sizes: [Int]
    private let threshold: Double
    // shared with the thread, under `condition`
    private let condition = Condition()
    private var position = -1
    private var stopped = false
    /// The thread waits for the reader to reach `wakeAt`.
    private var sleeping = false
    private var wakeAt = 0
    /// Loads of at least the threshold since the thread last started (on the reader's thread only).
    private var slowLoads = 0
    /// The thread returned after ``cachedRunToIdle`` files in a row were in the cache already
    /// (the loads that started it were not the disk's): more slow loads start it again.
    private var idled = false
    private var thread: pthread_t? = nil
    /// Files the thread advised (not counting those it found in the cache).
    private(set) var advised = 0

    /// For the files at `paths` (sizes `sizes`), read in this order. `threshold`: the load time
    /// in seconds that starts the thread (0: at the first file).
    init(paths: [String], sizes: [Int], threshold: Double = ReadAhead.slowLoad) {
        precondition(paths.count == sizes.count)
        self.paths = paths
        self.sizes = sizes
        self.threshold = threshold
    }

    deinit { stop() }

    /// The reader is about to read file `index` of the list.
    func willRead(_ index: Int) {
        condition.lock()
        position = index
        if thread == nil, !stopped, threshold == 0 { start() }
        // the thread sleeps until the reader has taken half of what it asked for: one wake-up
        // per half window, not one per file
        if sleeping, index >= wakeAt { condition.signal() }
        condition.unlock()
    }

    /// The reader loaded the file it said it would read in `seconds`: the thread starts after
    /// ``slowLoadsToStart`` loads of at least the threshold (one could be the reader's thread
    /// preempted on a busy machine, not a read from the disk).
    func noteLoad(seconds: Double) {
        guard seconds >= threshold else { return }
        slowLoads += 1
        guard slowLoads >= Self.slowLoadsToStart || threshold == 0 else { return }
        slowLoads = 0
        condition.lock()
        if let idle = thread, idled {
            // it stopped on a run of files in the cache: joined (it has returned) and started again
            condition.unlock()
            pthread_join(idle, nil)
            condition.lock()
            thread = nil
            idled = false
        }
        if thread == nil, !stopped { start() }
        condition.unlock()
    }

    /// Stops the thread (if it runs) and waits for it. Idempotent.
    func stop() {
        condition.lock()
        stopped = true
        sleeping = false
        let running = thread
        thread = nil
        condition.signal()
        condition.unlock()
        if let running { pthread_join(running, nil) }
    }

    /// Under `condition`. Without a thread (the system refuses one) nothing is read ahead.
    private func start() {
        thread = WorkerThread.startJoinable(stackSize: 1 << 18) { [self] in run() }
    }

    private func run() {
        var next = 0
        var cachedRun = 0
        while true {
            condition.lock()
            // wait while the next file is too far ahead of the reader (or behind it: skip on)
            while !stopped {
                next = max(next, position + 1)
                if next >= paths.count { stopped = true; break }
                var bytes = 0
                for k in (position + 1)..<next { bytes += sizes[k] }
                if next - position <= Self.aheadFiles, bytes <= Self.aheadBytes { break }
                sleeping = true
                wakeAt = next - Self.aheadFiles / 2
                condition.wait()
                sleeping = false
            }
            let done = stopped
            condition.unlock()
            if done { return }
            let cached = Self.advise(paths[next])
            cachedRun = cached ? cachedRun + 1 : 0
            condition.lock()
            if !cached { advised += 1 }
            if cachedRun >= Self.cachedRunToIdle {
                idled = true
                condition.unlock()
                return
            }
            condition.unlock()
            next += 1
        }
    }

    /// Starts reading the regular file at `path` into the cache unless its start is there
    /// already (true: it was; anything but a regular file, or a file that cannot be opened, is
    /// left to the reader, which reports it).
    private static func advise(_ path: String) -> Bool {
        let fd = open(PathBytes.cString(path), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return false }
        if sou_start_is_cached(fd) == 1 { return true }
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED)
        return false
    }
}
