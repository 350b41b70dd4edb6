import Glibc

/// Syncs a file's data to the disk on a thread of its own while its writer goes on writing, so
/// that the commit's own `fdatasync` finds little left to do.
///
/// On these virtual disks an `fdatasync` costs about 2 ms per MB written since the last one, and
/// starting the writeback early (`sync_file_range`, which ``OutputSink`` does for every MiB) does
/// not lower it: 11 MiB written over 150–500 ms, each MiB's writeback started at once, still
/// took 20–27 ms to sync. An `fdatasync` every 2 MiB on another thread brought the last one to
/// 1.8–3.2 ms, and no write waited for it longer than 0.8 ms (`scripts/sync-probe.c`, 7 files a
/// run).
///
/// This changes nothing about durability: only the writer's own `fdatasync` (``finish()`` first)
/// makes a commit durable. An error met here is kept and returned by ``finish()``, because the
/// kernel reports a failed writeback to one `fsync` of the file description only: the writer's
/// own would then succeed.
final class BackgroundSync {
    /// Bytes written between two requests.
    static let interval = 2 << 20

    private let state: State
    /// The thread, started by the first request (a small update never starts one).
    private var thread: pthread_t?
    /// Bytes written since the last request; whether ``finish()`` was called, or the system
    /// refused the thread (nothing is synced early then: the writer's own sync does it all).
    private var unsynced = 0
    private var ended = false

    /// Syncs `fd`, which must stay open until ``finish()``; its syncs are measured as
    /// ``IndexBuildTimings/Phase/write`` in `timings`.
    init(fd: Int32, timings: IndexBuildTimings? = nil) {
        state = State(fd: fd, timings: timings)
    }

    deinit {
        // (a writer that failed before its sync: the thread must not outlive the descriptor)
        _ = finish()
    }

    /// Counts `bytes` just written to the file; every ``interval`` bytes, asks for a sync.
    func wrote(_ bytes: Int) {
        unsynced += bytes
        guard unsynced >= Self.interval, !ended else { return }
        unsynced = 0
        if thread == nil {
            let state = state
            thread = WorkerThread.startJoinable(stackSize: 256 << 10) { state.run() }
            guard thread != nil else {
                ended = true
                return
            }
        }
        state.request()
    }

    /// Stops the thread after the sync it is running (one asked for and not started is dropped:
    /// the caller syncs next) and returns the errno of the first sync that failed, or 0. Later
    /// writes ask for nothing.
    func finish() -> Int32 {
        ended = true
        if let t = thread {
            state.stop()
            pthread_join(t, nil)
            thread = nil
        }
        return state.error
    }

    /// Whether the thread was started (for the tests).
    var startedThread: Bool { thread != nil }

    /// Syncs run so far, failed or not (for the tests).
    var completedSyncs: Int {
        state.condition.lock()
        defer { state.condition.unlock() }
        return state.completed
    }

    /// What the thread and the writer share, under the lock.
    private final class State: @unchecked Sendable {
        let fd: Int32
        let timings: IndexBuildTimings?
        let condition = Condition()
        /// A sync asked for and not yet started; the thread told to stop; the first errno of a
        /// sync (read by the writer after the join).
        var requested = false
        var stopping = false
        var error: Int32 = 0
        /// Syncs run so far, failed or not (for the tests).
        var completed = 0

        init(fd: Int32, timings: IndexBuildTimings?) {
            self.fd = fd
            self.timings = timings
        }

        func request() {
            condition.lock()
            requested = true
            condition.signal()
            condition.unlock()
        }

        func stop() {
            condition.lock()
            stopping = true
            requested = false
            condition.signal()
            condition.unlock()
        }

        func run() {
            condition.lock()
            while true {
                while !requested && !stopping { condition.wait() }
                guard !stopping else { break }
                requested = false
                condition.unlock()
                let failed = IndexBuildTimings.measure(timings, .write) { fdatasync(fd) == 0 ? 0 : errno }
                condition.lock()
                if failed != 0 && error == 0 { error = failed }
                completed += 1
            }
            condition.unlock()
        }
    }
}
