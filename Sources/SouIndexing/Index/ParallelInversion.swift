import Foundation

/// A bounded queue of batches between the reading thread and the inverting threads, and the
/// results in batch order.
final class BatchPipeline: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [(Int, DocumentBatch)] = []
    private var closed = false
    private let capacity: Int
    private(set) var results: [Int: BatchResult] = [:]
    private(set) var failure: Error?
    private var running = 0

    init(capacity: Int) { self.capacity = capacity }

    /// Enqueues batch number `n`; blocks while the queue is full. Throws a worker's error.
    func push(_ n: Int, _ batch: DocumentBatch) throws {
        condition.lock()
        defer { condition.unlock() }
        while queue.count >= capacity && failure == nil { condition.wait() }
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

    func finish(_ n: Int, _ result: BatchResult) {
        condition.lock()
        results[n] = result
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

    /// Closes the queue and waits until every worker has stopped.
    func closeAndWait() {
        condition.lock()
        closed = true
        condition.broadcast()
        while running > 0 { condition.wait() }
        condition.unlock()
    }
}

extension IndexWriter {
    /// Adds the documents `produce` hands over (on this thread), analyzing and inverting them on
    /// `jobs` threads. Batches are cut exactly as ``addDocument(key:title:text:)`` cuts them, and
    /// the serializer re-sorts postings by document, so the file is the same for any `jobs`.
    func addDocuments(jobs: Int, _ produce: (_ add: (SourceDocument) throws -> Void) throws -> Void) throws {
        guard jobs > 1 else {
            try produce { try addDocument(key: $0.key, title: $0.title, text: $0.text) }
            return
        }
        try flushPendingBatch()
        while inverters.count < jobs { inverters.append(BatchInverter(analyzer: analyzer, storesText: storesText)) }
        let pipeline = BatchPipeline(capacity: 2 * jobs)
        let group = inverters
        for w in 0..<jobs {
            let inverter = group[w]
            pipeline.started()
            let thread = Thread {
                defer { pipeline.stopped() }
                while let (n, batch) = pipeline.pop() {
                    do {
                        var result = try inverter.process(batch)
                        result.batch.texts = []
                        pipeline.finish(n, result)
                    } catch {
                        pipeline.fail(error)
                        return
                    }
                }
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        var batch = DocumentBatch(firstDocument: documents.count)
        var batchNumber = 0
        var producerError: Error? = nil
        do {
            try produce { doc in
                guard batch.firstDocument + batch.count < Int(UInt32.max) else {
                    throw IndexError.io("too many documents for one index")
                }
                batch.append(key: doc.key, title: doc.title, text: doc.text)
                if batch.isFull {
                    let next = DocumentBatch(firstDocument: batch.firstDocument + batch.count)
                    try pipeline.push(batchNumber, batch)
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
        for n in 0..<batchNumber {
            guard let r = pipeline.results[n] else { throw IndexError.io("internal error: batch \(n) was not inverted") }
            documents.append(r)
        }
    }
}
