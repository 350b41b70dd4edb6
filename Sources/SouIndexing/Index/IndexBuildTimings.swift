import FoundationEssentials
import Glibc

/// Where a build spends its time, phase by phase (what `sou bench index` and `SOU_INDEX_TRACE`
/// print). Give one to ``IndexBuildOptions/timings`` or ``IndexWriterOptions/timings``; without
/// one (the default) nothing is measured and nothing costs.
///
/// Analysis and inversion run interleaved on several threads, so a phase is measured on the
/// thread that runs it, with that thread's CPU clock (`CLOCK_THREAD_CPUTIME_ID`) and with the
/// wall clock, and summed over threads: ``Measure/cpuSeconds`` is CPU time, ``Measure/wallSeconds``
/// the time threads spent inside the phase (which includes waiting for the disk, and for a core
/// on a loaded machine). Measures are *exclusive*: a phase that runs inside another on the same
/// thread (analysis inside reading when one thread does everything, writing inside serializing)
/// is taken out of the outer phase, so the phases of one thread add up to its time.
///
/// Thread-safe; measures are taken per batch of documents (~16 KiB of text) or per segment,
/// never per token.
public final class IndexBuildTimings: @unchecked Sendable {
    /// The phases of a build.
    public enum Phase: String, CaseIterable, Sendable, Codable {
        /// Reading input files and parsing them into documents (JSON, HTML, gzip), and handing
        /// them to the analyzers.
        case read
        /// The reading thread waiting for a free slot in the queue of batches (the analyzing
        /// threads are behind; builds with more than one job).
        case readerWaiting
        /// Worker threads waiting for work: no batch read yet to analyze, and the next batch to
        /// invert not analyzed yet or being inverted by another worker (builds with more than
        /// one job).
        case workersWaiting
        /// Tokenizing: normalization, script runs, bigrams, positions.
        case analyze
        /// Compressing the stored text of each batch (zlib).
        case compress
        /// Inverting analyzed batches into the in-memory segment (one thread at a time, batch order).
        case invert
        /// Encoding an in-memory segment into the file format (postings, positions, dictionary,
        /// document table), at each flush of the buffer and at the commit.
        case serialize
        /// Merging segments (the merge policy, a purge of deleted documents, `sou merge`), not
        /// counting the writes. Measured on the merging thread only.
        case merge
        /// Writing bytes to the file (`pwrite`), `fsync` (also the early syncs of the writer's
        /// ``BackgroundSync`` thread, beside the writes), and renaming a rebuilt file into place.
        case write

        /// What the phase is, for people.
        public var label: String {
            switch self {
            case .read: "read and parse"
            case .readerWaiting: "reader waiting"
            case .workersWaiting: "workers waiting"
            case .analyze: "analyze"
            case .compress: "compress text"
            case .invert: "invert"
            case .serialize: "serialize"
            case .merge: "merge"
            case .write: "write"
            }
        }
    }

    /// The time of one phase, summed over the threads that ran it.
    public struct Measure: Sendable, Hashable, Codable {
        /// CPU seconds (per-thread CPU clocks).
        public var cpuSeconds: Double = 0
        /// Seconds of the wall clock the threads spent in the phase.
        public var wallSeconds: Double = 0
        /// How many times the phase was entered.
        public var count = 0

        public init(cpuSeconds: Double = 0, wallSeconds: Double = 0, count: Int = 0) {
            self.cpuSeconds = cpuSeconds
            self.wallSeconds = wallSeconds
            self.count = count
        }
    }

    private let lock = Lock()
    private var measures: [Phase: Measure] = [:]
    /// Per thread: the exclusive time recorded so far (to take nested phases out of outer ones).
    private var recordedByThread: [UInt: (cpu: Double, wall: Double)] = [:]
    private var flushes = 0
    private var merges = 0

    /// An empty collector.
    public init() {}

    /// The time of every phase entered at least once.
    public var phases: [Phase: Measure] {
        lock.lock(); defer { lock.unlock() }
        return measures
    }

    /// In-memory buffers written as segments (each flush, and the commit's).
    public var segmentFlushes: Int {
        lock.lock(); defer { lock.unlock() }
        return flushes
    }

    /// Merges of segments.
    public var segmentMerges: Int {
        lock.lock(); defer { lock.unlock() }
        return merges
    }

    /// Runs `body` and adds its time, less that of the phases measured inside it on this
    /// thread, to `phase`.
    public func measure<T>(_ phase: Phase, _ body: () throws -> T) rethrows -> T {
        let thread = Self.currentThread()
        let nestedBefore = recorded(thread)
        let cpu0 = Self.threadCPUSeconds(), wall0 = Self.wallSeconds()
        defer {
            let cpu = Self.threadCPUSeconds() - cpu0, wall = Self.wallSeconds() - wall0
            lock.lock()
            let nested = recordedByThread[thread] ?? (0, 0)
            let own = (cpu: max(0, cpu - (nested.cpu - nestedBefore.cpu)), wall: max(0, wall - (nested.wall - nestedBefore.wall)))
            measures[phase, default: Measure()].cpuSeconds += own.cpu
            measures[phase, default: Measure()].wallSeconds += own.wall
            measures[phase, default: Measure()].count += 1
            recordedByThread[thread] = (nested.cpu + own.cpu, nested.wall + own.wall)
            lock.unlock()
        }
        return try body()
    }

    /// `timings.measure(phase, body)`, or just `body()` when there is no collector.
    @inline(__always)
    static func measure<T>(_ timings: IndexBuildTimings?, _ phase: Phase, _ body: () throws -> T) rethrows -> T {
        guard let timings else { return try body() }
        return try timings.measure(phase, body)
    }

    func countFlush() { lock.lock(); flushes += 1; lock.unlock() }
    func countMerge() { lock.lock(); merges += 1; lock.unlock() }

    private func recorded(_ thread: UInt) -> (cpu: Double, wall: Double) {
        lock.lock(); defer { lock.unlock() }
        return recordedByThread[thread] ?? (0, 0)
    }

    private static func currentThread() -> UInt {
        #if canImport(Darwin)
        UInt(bitPattern: pthread_self())
        #else
        UInt(pthread_self())
        #endif
    }

    /// The calling thread's CPU time in seconds (`CLOCK_THREAD_CPUTIME_ID`).
    public static func threadCPUSeconds() -> Double {
        var t = timespec()
        guard clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) == 0 else { return 0 }
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    /// The CPU time of the whole process in seconds: user and system, every thread
    /// (`getrusage(RUSAGE_SELF)`).
    public static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6
    }

    /// Seconds of the monotonic clock (also what ``ReadAhead`` times a file's load with).
    static func wallSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    /// One line per phase entered ("analyze 0.412 s CPU, 0.430 s wall"), for traces.
    public func report() -> String {
        let p = phases
        return Phase.allCases.compactMap { phase in
            p[phase].map { phase.label + cFormat(" %.3f s CPU, %.3f s wall", $0.cpuSeconds, $0.wallSeconds) }
        }.joined(separator: "; ")
    }
}
