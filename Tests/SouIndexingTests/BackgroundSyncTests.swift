import Foundation
import Testing
@testable import SouIndexing

/// The thread that syncs an index file while its segments are written (``BackgroundSync``).
@Suite struct BackgroundSyncTests {
    /// Waits (up to 20 s) until `sync` has run at least one sync.
    private func waitForASync(_ sync: BackgroundSync) {
        let deadline = Date().addingTimeInterval(20)
        while sync.completedSyncs == 0 && Date() < deadline { usleep(1_000) }
    }

    @Test("a file written through a sink that syncs early holds exactly the bytes written, and syncs ran while it was written")
    func syncsWhileWriting() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("x.sou").path
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o644)
        #expect(fd >= 0)
        defer { close(fd) }
        // (a pattern that repeats nowhere near a write's size: a misplaced piece shows)
        let count = 2 * BackgroundSync.interval + 12_345
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count { buffer[i] = UInt8(truncatingIfNeeded: (UInt64(i) &* 0x9E37_79B9_7F4A_7C15) >> 56) }
            initialized = count
        }
        let sync = BackgroundSync(fd: fd)
        let sink = OutputSink(fileDescriptor: fd, path: path)
        sink.backgroundSync = sync
        for start in stride(from: 0, to: bytes.count, by: 100_000) {
            try sink.write(Array(bytes[start..<min(start + 100_000, bytes.count)]))
        }
        try sink.flush()
        #expect(sync.startedThread)
        waitForASync(sync)
        #expect(sync.completedSyncs >= 1)
        #expect(sync.finish() == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(bytes))
    }

    @Test("a sync that fails on the thread is returned by finish(), since the kernel reports a failed writeback to one sync only")
    func failedSyncIsKept() {
        let sync = BackgroundSync(fd: -1)
        sync.wrote(BackgroundSync.interval)
        waitForASync(sync)
        #expect(sync.completedSyncs >= 1)
        #expect(sync.finish() == EBADF)
        // later writes ask for nothing; the error stays
        sync.wrote(2 * BackgroundSync.interval)
        #expect(!sync.startedThread)
        #expect(sync.finish() == EBADF)
    }

    @Test("the thread's syncs are measured as the write phase of the build's timings")
    func syncsAreTimedAsWrites() {
        let timings = IndexBuildTimings()
        let sync = BackgroundSync(fd: -1, timings: timings)
        sync.wrote(BackgroundSync.interval)
        waitForASync(sync)
        _ = sync.finish()
        #expect((timings.phases[.write]?.count ?? 0) == sync.completedSyncs)
        #expect(sync.completedSyncs >= 1)
    }

    @Test("writes below the interval start no thread (a small update costs nothing more)")
    func smallWritesStartNoThread() {
        let sync = BackgroundSync(fd: -1)
        sync.wrote(BackgroundSync.interval - 1)
        #expect(!sync.startedThread)
        #expect(sync.completedSyncs == 0)
        #expect(sync.finish() == 0)
    }
}
