import FoundationEssentials
import Glibc
import SouAnalysis

/// A bounded queue of batches between the reading thread and the worker threads, the analyzed
/// batches waiting to be inverted, and which batch is inverted next.
///
/// The bound is a window of batches read and not yet inverted. Batches are inverted in order, so
/// one slow batch (a long document) holds back the analyzed ones behind it: with a window of two
/// batches a worker, the two workers of a 1.7 s build of dev-x3 (38 MB) waited 0.25–0.33 s in
/// all, with sixteen 0.005–0.012 s; hence ``window(jobs:)``. A window is also bounded by the
/// bytes it holds (``footprint(of:)``: a batch of long documents holds more than ~16 KiB of text,
/// one of tiny documents many keys and titles), beyond two batches a worker.
///
/// Any worker inverts: the one that finds the next batch in order analyzed while no other worker
/// inverts takes the turn (``next()``) and keeps it while the following batches are ready
/// (``inverted()`` hands it back). Inversion is the one serial part of a build: no thread is
/// set aside for it, which would sit idle while the batch it needs is analyzed, or leave the
/// analyzing threads idle when the queue is full while it runs on a core shared with them.
final class BatchPipeline: @unchecked Sendable {
    /// What ``next()`` hands a worker.
    enum Work {
        /// Analyze batch number n.
        case analyze(Int, DocumentBatch)
        /// Invert this analyzed batch (the next in order); call ``inverted()`` after.
        case invert(AnalyzedBatch)
    }

    /// One lock; the reader (``push(_:_:)``, ``closeAndWait()``) and the workers (``next()``)
    /// wait on condition variables of their own, and each is woken only when it can go on: with
    /// one variable broadcast at every change, the reader woke up for every batch inverted and
    /// every batch analyzed, while the window was still full (a dev-x3 build at --jobs 2: 9,300
    /// context switches, the reader taking a core from a worker each time).
    private let condition = Condition(count: 2)
    private static let readerWaits = 0, workersWait = 1
    private var readerWaiting = false
    private var workersWaiting = 0
    private var queue: [(Int, DocumentBatch)] = []
    private var closed = false
    private let capacity: Int
    /// Batches always let in (even over ``byteLimit``), and the bytes in the window beyond them.
    private let minimum: Int
    private let byteLimit: Int
    /// ``footprint(of:)`` of the batches read and not yet inverted, and of the one being inverted.
    private var windowBytes = 0
    private var invertingBytes = 0
    private var results: [Int: AnalyzedBatch] = [:]
    private(set) var failure: Error?
    private var running = 0
    /// Batches being analyzed, and whether a worker holds the turn to invert.
    private var analyzing = 0
    private var inverting = false
    /// Batches inverted so far: the number of the next one to invert.
    private(set) var invertedCount = 0

    /// A window of at most `capacity` batches, and of `byteLimit` bytes (``footprint(of:)``) once
    /// it holds `minimum` batches.
    init(capacity: Int, minimum: Int? = nil, byteLimit: Int = Int.max) {
        self.capacity = capacity
        self.minimum = minimum ?? capacity
        self.byteLimit = byteLimit
    }

    /// The window of a build on `jobs` threads: 16 batches a thread (~16 KiB of text each: ~4 MB
    /// of tokens a thread for CJK text), at most 512 KiB a thread beyond 2 batches a thread.
    static func window(jobs: Int) -> BatchPipeline {
        BatchPipeline(capacity: 16 * jobs, minimum: 2 * jobs, byteLimit: jobs << 19)
    }

    /// What a batch counts in the window: its text, and 256 bytes a document for its key, title
    /// and bookkeeping (1,000,000 documents of ~40 bytes: a window of text alone held ~20 MB more
    /// at the peak of their build).
    static func footprint(of batch: DocumentBatch) -> Int {
        batch.textBytes + 256 * batch.count
    }

    /// Batches waiting in the window: read and not yet analyzed, or analyzed and not yet inverted.
    private var held: Int { queue.count + results.count }

    /// Whether the window lets in a batch of `bytes` (``footprint(of:)``).
    private func admits(_ bytes: Int) -> Bool {
        held < capacity && (held < minimum || windowBytes + bytes <= byteLimit)
    }

    /// Enqueues batch number `n`; blocks while the window is full. Throws a worker's error.
    func push(_ n: Int, _ batch: DocumentBatch) throws {
        condition.lock()
        defer { condition.unlock() }
        let bytes = Self.footprint(of: batch)
        while failure == nil && !admits(bytes) {
            readerWaiting = true
            condition.wait(Self.readerWaits)
            readerWaiting = false
        }
        if let failure { throw failure }
        queue.append((n, batch))
        windowBytes += bytes
        if workersWaiting > 0 { condition.signal(Self.workersWait) }
    }

    /// The next work for a worker: the next batch in order to invert, when it is analyzed and no
    /// other worker inverts (the serial part of a build comes first), else a batch to analyze;
    /// waits while there is neither. Nil once the pipeline failed, or when the queue is closed
    /// and every batch is inverted.
    func next() -> Work? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if failure != nil { return nil }
            if !inverting, let r = results.removeValue(forKey: invertedCount) {
                inverting = true
                invertingBytes = Self.footprint(of: r.batch)
                return .invert(r)
            }
            if !queue.isEmpty {
                let (n, batch) = queue.removeFirst()
                analyzing += 1
                return .analyze(n, batch)
            }
            if closed && analyzing == 0 && !inverting && results.isEmpty { return nil }
            workersWaiting += 1
            condition.wait(Self.workersWait)
            workersWaiting -= 1
        }
    }

    /// Hands in the result of batch `n` (given by ``next()``).
    func finish(_ n: Int, _ result: AnalyzedBatch) {
        condition.lock()
        results[n] = result
        analyzing -= 1
        // a waiting worker can invert it now (the worker handing it in asks for work next, and
        // takes it itself when no other one waits)
        if n == invertedCount && !inverting && workersWaiting > 0 { condition.signal(Self.workersWait) }
        condition.unlock()
    }

    /// Gives the turn back after inverting the batch ``next()`` handed over.
    func inverted() {
        condition.lock()
        invertedCount += 1
        inverting = false
        windowBytes -= invertingBytes
        invertingBytes = 0
        // the reader when the window has room again for half of it (it then reads batches until
        // the window is full, instead of waking up for each one); a worker when the next batch
        // is analyzed (this one asks for work next), or when all is done (they stop)
        if readerWaiting && (held <= capacity / 2 || held < minimum) { condition.signal(Self.readerWaits) }
        if workersWaiting > 0 {
            if closed && queue.isEmpty && analyzing == 0 && results.isEmpty {
                condition.broadcast(Self.workersWait)
            } else if results[invertedCount] != nil {
                condition.signal(Self.workersWait)
            }
        }
        condition.unlock()
    }

    func fail(_ error: Error) {
        condition.lock()
        if failure == nil { failure = error }
        condition.broadcastAll()
        condition.unlock()
    }

    func started() {
        condition.lock(); running += 1; condition.unlock()
    }

    func stopped() {
        condition.lock(); running -= 1; condition.broadcastAll(); condition.unlock()
    }

    /// Closes the queue (no more batches) and waits until every worker has stopped.
    func closeAndWait() {
        condition.lock()
        closed = true
        condition.broadcast(Self.workersWait)
        while running > 0 { condition.wait(Self.readerWaits) }
        condition.unlock()
    }
}

extension SegmentWriter {
    /// Adds the documents `produce` hands over (on this thread), analyzing them (and compressing
    /// their stored text) on `jobs` threads, which also invert the analyzed batches in order,
    /// one at a time, into the one segment. Batches are cut exactly as ``addDocument(key:title:text:)`` cuts
    /// them, so the file is the same for any `jobs`, and memory holds one term table.
    func addDocuments(jobs: Int, _ produce: (_ add: (SourceDocument) throws -> Void) throws -> Void) throws {
        serializationJobs = max(1, jobs)
        guard jobs > 1 else {
            try produce { try addDocument($0) }
            return
        }
        try flushPendingBatch()
        try InversionPipeline.run(jobs: jobs, analyzer: analyzer, storesText: storesText, firstDocument: documents.count,
                                  timings: timings, invert: { try self.invert($0) }, produce: produce)
    }
}

/// Reading on the calling thread, analysis on `jobs` threads, inversion in batch order by one of
/// them at a time: what a parallel build runs, for a one-shot ``SegmentWriter`` and an
/// ``IndexWriter`` alike.
enum InversionPipeline {
    /// Cuts the produced documents into batches (``DocumentBatch/isFull``, numbered from
    /// `firstDocument`), analyzes them on `jobs` threads and hands them to `invert` in order, one
    /// call at a time (on whichever of the threads has the turn: ``BatchPipeline/next()``).
    /// Returns when every batch is inverted; rethrows the first error.
    static func run(jobs: Int, analyzer: Analyzer, storesText: Bool, firstDocument: Int, timings: IndexBuildTimings? = nil,
                    invert: @escaping (AnalyzedBatch) throws -> Void,
                    produce: (_ add: (SourceDocument) throws -> Void) throws -> Void) throws {
        let jobs = min(max(1, jobs), IndexBuildOptions.maxJobs)
        let pipeline = BatchPipeline.window(jobs: jobs)
        // called by one worker at a time, the turns ordered by the pipeline's lock
        nonisolated(unsafe) let invert = invert
        // a thread the system refuses (ulimit -u, memory) fails the build: the threads already
        // started are stopped and waited for, so nothing waits on a thread that never ran
        for _ in 0..<jobs {
            let worker = BatchAnalyzer(analyzer: analyzer, storesText: storesText, timings: timings)
            worker.computesKeys = true
            pipeline.started()
            do {
                try WorkerThread.start {
                    defer { pipeline.stopped() }
                    while let work = IndexBuildTimings.measure(timings, .workersWaiting, { pipeline.next() }) {
                        do {
                            switch work {
                            case .analyze(let n, let batch):
                                pipeline.finish(n, try worker.analyze(batch))
                            case .invert(let analyzed):
                                try invert(analyzed)
                                pipeline.inverted()
                            }
                        } catch {
                            pipeline.fail(error)
                            return
                        }
                    }
                }
            } catch {
                pipeline.stopped()
                pipeline.fail(error)
                pipeline.closeAndWait()
                throw error
            }
        }
        var batch = DocumentBatch(firstDocument: firstDocument)
        var batchNumber = 0
        var producerError: Error? = nil
        do {
            try produce { doc in
                guard batch.firstDocument + batch.count < Int(Int32.max) else {
                    throw IndexError.capacity("too many documents for one index")
                }
                try SegmentWriter.checkTextSize(doc)
                batch.append(doc)
                if batch.isFull {
                    let next = DocumentBatch(firstDocument: batch.firstDocument + batch.count)
                    try IndexBuildTimings.measure(timings, .readerWaiting) { try pipeline.push(batchNumber, batch) }
                    batchNumber += 1
                    batch = next
                }
            }
            if batch.count > 0 {
                try pipeline.push(batchNumber, batch)
                batchNumber += 1
            }
        } catch {
            producerError = error
            pipeline.fail(error)
        }
        pipeline.closeAndWait()
        if let producerError { throw producerError }
        if let failure = pipeline.failure { throw failure }
        guard pipeline.invertedCount == batchNumber else {
            throw IndexError.io("internal error: \(batchNumber) batches read, \(pipeline.invertedCount) inverted")
        }
    }
}
