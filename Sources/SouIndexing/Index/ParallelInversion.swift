import FoundationEssentials
import Glibc
import SouAnalysis

/// A bounded queue of batches between the reading thread and the inverting threads, and the
/// results in batch order.
final class BatchPipeline: @unchecked Sendable {
    private let condition = Condition()
    private var queue: [(Int, DocumentBatch)] = []
    private var closed = false
    private let capacity: Int
    private(set) var results: [Int: AnalyzedBatch] = [:]
    private(set) var failure: Error?
    private var running = 0

    init(capacity: Int) { self.capacity = capacity }

    /// Enqueues batch number `n`; blocks while the queue is full. Throws a worker's error.
    func push(_ n: Int, _ batch: DocumentBatch) throws {
        condition.lock()
        defer { condition.unlock() }
        while queue.count + results.count >= capacity && failure == nil { condition.wait() }
        if let failure { throw failure }
        queue.append((n, batch))
        condition.broadcast()
    }

    func pop() -> (Int, DocumentBatch)? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && !closed && failure == nil { condition.wait() }
        if failure != nil || queue.isEmpty { return nil }
        let item = queue.removeFirst()
        condition.broadcast()
        return item
    }

    /// Removes and returns the result of batch `n` if it is ready.
    func take(_ n: Int) -> AnalyzedBatch? {
        condition.lock()
        defer { condition.unlock() }
        return results.removeValue(forKey: n)
    }

    /// Waits for the result of batch `n`; nil once the pipeline failed or batch `n` will never come.
    func waitFor(_ n: Int) -> AnalyzedBatch? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if failure != nil { return nil }
            if let r = results.removeValue(forKey: n) {
                condition.broadcast()
                return r
            }
            if closed && running == 0 && queue.isEmpty { return nil }
            condition.wait()
        }
    }

    /// Results waiting for the inverter (bounded, so that analysis cannot run far ahead).
    var backlog: Int { results.count }

    func finish(_ n: Int, _ result: AnalyzedBatch) {
        condition.lock()
        results[n] = result
        condition.broadcast()
        condition.unlock()
    }

    func fail(_ error: Error) {
        condition.lock()
        if failure == nil { failure = error }
        condition.broadcast()
        condition.unlock()
    }

    func started() {
        condition.lock(); running += 1; condition.unlock()
    }

    func stopped() {
        condition.lock(); running -= 1; condition.broadcast(); condition.unlock()
    }

    /// Closes the queue (no more batches) and waits until every worker has stopped.
    func closeAndWait() {
        condition.lock()
        closed = true
        condition.broadcast()
        while running > 0 { condition.wait() }
        condition.unlock()
    }

    /// Closes the queue without waiting.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}

extension SegmentWriter {
    /// Adds the documents `produce` hands over (on this thread), analyzing them (and compressing
    /// their stored text) on `jobs` threads; this thread inverts the analyzed batches in order
    /// into the one segment. Batches are cut exactly as ``addDocument(key:title:text:)`` cuts
    /// them, so the file is the same for any `jobs`, and memory holds one term table.
    func addDocuments(jobs: Int, _ produce: (_ add: (SourceDocument) throws -> Void) throws -> Void) throws {
        serializationJobs = max(1, jobs)
        guard jobs > 1 else {
            try produce { try addDocument(key: $0.key, title: $0.title, text: $0.text, source: $0.source) }
            return
        }
        try flushPendingBatch()
        try InversionPipeline.run(jobs: jobs, analyzer: analyzer, storesText: storesText, firstDocument: documents.count,
                                  timings: timings, invert: { try self.invert($0) }, produce: produce)
    }
}

/// Reading on the calling thread, analysis on `jobs` threads, inversion on one thread in batch
/// order: what a parallel build runs, for a one-shot ``SegmentWriter`` and an ``IndexWriter`` alike.
enum InversionPipeline {
    /// Cuts the produced documents into batches (``DocumentBatch/isFull``, numbered from
    /// `firstDocument`), analyzes them on `jobs` threads and hands them to `invert` in order on
    /// one thread. Returns when every batch is inverted; rethrows the first error.
    static func run(jobs: Int, analyzer: Analyzer, storesText: Bool, firstDocument: Int, timings: IndexBuildTimings? = nil,
                    invert: @escaping (AnalyzedBatch) throws -> Void,
                    produce: (_ add: (SourceDocument) throws -> Void) throws -> Void) throws {
        let jobs = min(max(1, jobs), IndexBuildOptions.maxJobs)
        let pipeline = BatchPipeline(capacity: 2 * jobs)
        // a thread the system refuses (ulimit -u, memory) fails the build: the threads already
        // started are stopped and waited for, so nothing waits on a thread that never ran
        for _ in 0..<jobs {
            let worker = BatchAnalyzer(analyzer: analyzer, storesText: storesText, timings: timings)
            worker.computesKeys = true
            pipeline.started()
            do {
                try WorkerThread.start {
                    defer { pipeline.stopped() }
                    while let (n, batch) = pipeline.pop() {
                        do {
                            pipeline.finish(n, try worker.analyze(batch))
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
        // the inverter: one thread, batches in order
        let inversion = InversionThread(invert: invert, pipeline: pipeline)
        do {
            try inversion.start()
        } catch {
            pipeline.fail(error)
            pipeline.closeAndWait()
            throw error
        }
        var batch = DocumentBatch(firstDocument: firstDocument)
        var batchNumber = 0
        var producerError: Error? = nil
        do {
            try produce { doc in
                guard batch.firstDocument + batch.count < Int(Int32.max) else {
                    throw IndexError.capacity("too many documents for one index")
                }
                batch.append(key: doc.key, title: doc.title, text: doc.text, source: doc.source)
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
        pipeline.close()
        inversion.wait()
        pipeline.closeAndWait()
        if let producerError { throw producerError }
        if let failure = pipeline.failure { throw failure }
        if let failure = inversion.failure { throw failure }
        guard inversion.inverted == batchNumber else {
            throw IndexError.io("internal error: \(batchNumber) batches read, \(inversion.inverted) inverted")
        }
    }
}

/// The thread inverting analyzed batches in order into the writer's segment.
final class InversionThread: @unchecked Sendable {
    private let invert: (AnalyzedBatch) throws -> Void
    private let pipeline: BatchPipeline
    private let done = Condition()
    private var finished = false
    private(set) var inverted = 0
    private(set) var failure: Error?

    init(invert: @escaping (AnalyzedBatch) throws -> Void, pipeline: BatchPipeline) {
        self.invert = invert
        self.pipeline = pipeline
    }

    /// Starts the thread; throws when the system refuses it (nothing runs then).
    func start() throws {
        try WorkerThread.start { [self] in
            while let r = pipeline.waitFor(inverted) {
                do {
                    try invert(r)
                    inverted += 1
                } catch {
                    failure = error
                    pipeline.fail(error)
                    break
                }
            }
            done.lock(); finished = true; done.broadcast(); done.unlock()
        }
    }

    func wait() {
        done.lock()
        while !finished { done.wait() }
        done.unlock()
    }
}
