import CSystemShim
import Dispatch
import FoundationEssentials
import Glibc

/// The terms of a build's in-memory ``InvertedSegment`` as a ``TermSource``: sorted by bytes,
/// each term's byte streams decoded into ``DecodedPostings`` and encoded in chunks of
/// ``IndexSerializer/chunkTerms`` terms on `jobs` threads (``ChunkStream``), handed over in order
/// (the bytes do not depend on the number of threads).
struct SegmentTerms: TermSource {
    let segment: InvertedSegment
    var jobs = 1
    var timings: IndexBuildTimings? = nil

    func writeTerms(slotCounts: [Int32], into output: inout TermOutput) throws {
        let order = segment.sortedTermIDs(jobs: jobs)
        let chunkTerms = IndexSerializer.chunkTerms(forTerms: order.count, jobs: jobs)
        let chunkCount = (order.count + chunkTerms - 1) / chunkTerms
        guard jobs > 1 else {
            for start in stride(from: 0, to: order.count, by: chunkTerms) {
                let ids = order[start..<min(start + chunkTerms, order.count)]
                try output.append(Self.encode(ids, segment: segment, slotCounts: slotCounts))
            }
            return
        }
        // chunks encoded on `jobs` threads, each taking the next chunk as it finishes one (no
        // thread waits for the slowest of a group), at most `window` ahead of this thread, which
        // appends them in order (the dictionary, the positions written, the postings spilled:
        // serial work) while the following ones are being encoded
        let stream = ChunkStream(segment: segment, slotCounts: slotCounts, order: order, chunkTerms: chunkTerms,
                                 chunkCount: chunkCount, window: 4 * jobs, timings: timings)
        let group = DispatchGroup(), jobs = jobs
        // (concurrentPerform, as before the stream: the thread running the block encodes too,
        // and others join it up to `jobs`, however slowly the pool grows)
        DispatchQueue.global().async(group: group) {
            DispatchQueue.concurrentPerform(iterations: jobs) { _ in stream.encode() }
        }
        defer { group.wait() }
        for c in 0..<chunkCount {
            do {
                try output.append(stream.take(c))
            } catch {
                stream.cancel()
                throw error
            }
        }
    }

    /// Encodes the postings and positions of the terms `ids` (consecutive in dictionary order).
    static func encode(_ ids: ArraySlice<Int32>, segment: InvertedSegment, slotCounts: [Int32]) -> EncodedChunk {
        var chunk = EncodedChunk()
        chunk.terms.reserveCapacity(ids.count)
        var encoder = PostingsEncoder()
        var scratch = DecodedPostings()
        var k = ids.startIndex
        for id32 in ids {
            // hints (what is encoded does not depend on them): terms come in dictionary order,
            // their entries, keys and streams lie at random places in memory
            if k + entryDistance < ids.endIndex { segment.prefetchEntry(Int(ids[k + entryDistance])) }
            if k + streamDistance < ids.endIndex { segment.prefetchKeyAndStreams(Int(ids[k + streamDistance])) }
            k += 1
            let id = Int(id32)
            let stream = segment.documentStream(id)
            var documents = stream
            // a singleton (one document, one occurrence: most terms of a small segment): its
            // document stream is one varint with the frequency-1 flag, its position stream one
            // position, and it goes to the dictionary alone (what ``DecodedPostings`` and
            // ``PostingsEncoder/encode(_:key:kind:endsRun:slotCounts:into:)`` would make of it)
            // (every term has a posting; an empty stream would take the general path)
            let code = documents.isAtEnd ? 0 : documents.varint()
            if code & 1 == 1, documents.isAtEnd {
                var positions = segment.positionStream(id)
                let position = positions.varint()
                segment.withKey(id) { key in
                    encoder.encodeSingleton(key: key, kind: segment.kind(id), endsRun: segment.endsRun(id),
                                            document: Int(code >> 1) - 1, position: Int(position), into: &chunk)
                }
                continue
            }
            scratch.decode(documents: stream, positions: segment.positionStream(id))
            let view = scratch.view
            segment.withKey(id) { key in
                encoder.encode(view, key: key, kind: segment.kind(id), endsRun: segment.endsRun(id), slotCounts: slotCounts, into: &chunk)
            }
        }
        return chunk
    }
}

/// Terms between the prefetch of a term's entry and its use, and between the prefetch of its
/// key and stream heads (found through its entry, by then in the cache) and their use.
private let entryDistance = 8
private let streamDistance = 4

extension InvertedSegment {
    /// Prefetches the entry of term `id` (a valid id).
    @inline(__always)
    func prefetchEntry(_ id: Int) {
        sou_prefetch_read(states + id)
    }

    /// Prefetches the first bytes of the key and of both streams of term `id` (a valid id: its
    /// stream starts are addresses the pool handed out).
    @inline(__always)
    func prefetchKeyAndStreams(_ id: Int) {
        let st = states[id]
        sou_prefetch_read(pool.page(st.docStart) + Int(st.docStart & 0xFFFF))
        sou_prefetch_read(pool.page(st.posStart) + Int(st.posStart & 0xFFFF))
        withKey(id) { if let b = $0.baseAddress { sou_prefetch_read(b) } }
    }
}

/// One term's postings decoded from the in-memory segment's byte streams into raw buffers reused
/// from term to term (grown by doubling; no array bookkeeping per value): document ids,
/// frequencies, first positions, and the position gaps (each ≥ 1, stored minus 1).
struct DecodedPostings: ~Copyable {
    private var documents: UnsafeMutablePointer<Int32>
    private var frequencies: UnsafeMutablePointer<Int32>
    private var firsts: UnsafeMutablePointer<UInt32>
    private var capacity = 256
    private var gaps: UnsafeMutablePointer<UInt32>
    private var gapCapacity = 1024
    private var count = 0
    private var gapCount = 0

    init() {
        documents = .allocate(capacity: capacity)
        frequencies = .allocate(capacity: capacity)
        firsts = .allocate(capacity: capacity)
        gaps = .allocate(capacity: gapCapacity)
    }

    deinit {
        documents.deallocate(); frequencies.deallocate(); firsts.deallocate(); gaps.deallocate()
    }

    /// The postings decoded last (valid until the next ``decode(documents:positions:)``).
    var view: PostingsView {
        PostingsView(documents: UnsafeBufferPointer(start: documents, count: count),
                     frequencies: UnsafeBufferPointer(start: frequencies, count: count),
                     firstPositions: UnsafeBufferPointer(start: firsts, count: count),
                     positionGaps: UnsafeBufferPointer(start: gaps, count: gapCount))
    }

    /// Decodes a term's streams: per document (varint delta << 1 | frequency == 1, then the
    /// frequency when not 1) and its positions (the first, then deltas ≥ 1).
    mutating func decode(documents ds: ByteSlicePool.Reader, positions ps: ByteSlicePool.Reader) {
        var ds = ds, ps = ps
        count = 0
        gapCount = 0
        var doc: Int32 = -1
        while !ds.isAtEnd {
            let code = ds.varint()
            doc += Int32(bitPattern: code >> 1)
            let f = code & 1 == 1 ? 1 : max(1, Int(ds.varint()))
            if count == capacity { grow() }
            // in bounds: count < capacity, and gapCount + f - 1 ≤ gapCapacity after growGaps
            documents[count] = doc
            frequencies[count] = Int32(truncatingIfNeeded: f)
            firsts[count] = ps.varint()
            count += 1
            if f > 1 {
                if gapCount + f - 1 > gapCapacity { growGaps(gapCount + f - 1) }
                for _ in 1..<f {
                    gaps[gapCount] = ps.varint() &- 1
                    gapCount += 1
                }
            }
        }
    }

    private mutating func grow() {
        let c = capacity * 2, n = count
        documents = Self.moved(documents, count: n, into: c)
        frequencies = Self.moved(frequencies, count: n, into: c)
        firsts = Self.moved(firsts, count: n, into: c)
        capacity = c
    }

    /// `p`'s first `count` values moved into a new buffer of `capacity`; `p` deallocated.
    private static func moved<T>(_ p: UnsafeMutablePointer<T>, count: Int, into capacity: Int) -> UnsafeMutablePointer<T> {
        let q = UnsafeMutablePointer<T>.allocate(capacity: capacity)
        q.moveInitialize(from: p, count: count)
        p.deallocate()
        return q
    }

    private mutating func growGaps(_ needed: Int) {
        var c = gapCapacity * 2
        while c < needed { c *= 2 }
        let q = UnsafeMutablePointer<UInt32>.allocate(capacity: c)
        q.moveInitialize(from: gaps, count: gapCount)
        gaps.deallocate()
        gaps = q
        gapCapacity = c
    }
}

/// The chunks of a segment's terms encoded by concurrent workers (``encode()`` on each) and
/// taken in order by one consumer (``take(_:)``); a worker encodes at most `window` chunks
/// ahead of the consumer, so that memory holds a bounded number of encoded chunks. The segment
/// is only read; the chunks are handed over under the lock.
final class ChunkStream: @unchecked Sendable {
    private let segment: InvertedSegment
    private let slotCounts: [Int32]
    private let order: [Int32]
    private let chunkTerms: Int
    private let chunkCount: Int
    private let window: Int
    private let timings: IndexBuildTimings?
    private let condition = Condition()
    private var results: [EncodedChunk?]
    /// The next chunk to encode, the chunks taken so far, and whether the consumer gave up.
    private var next = 0
    private var taken = 0
    private var cancelled = false

    init(segment: InvertedSegment, slotCounts: [Int32], order: [Int32], chunkTerms: Int, chunkCount: Int, window: Int,
         timings: IndexBuildTimings?) {
        self.segment = segment
        self.slotCounts = slotCounts
        self.order = order
        self.chunkTerms = chunkTerms
        self.chunkCount = chunkCount
        self.window = max(1, window)
        self.timings = timings
        results = [EncodedChunk?](repeating: nil, count: chunkCount)
    }

    /// Encodes chunks, the next one not taken by another worker each time, until none is left
    /// (or the consumer cancelled).
    func encode() {
        while true {
            condition.lock()
            while next < chunkCount && next >= taken + window && !cancelled { condition.wait() }
            guard next < chunkCount && !cancelled else {
                condition.unlock()
                return
            }
            let c = next
            next += 1
            condition.unlock()
            let chunk = IndexBuildTimings.measure(timings, .serialize) { encodeChunk(c) }
            condition.lock()
            results[c] = chunk
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Waits for chunk `c` (taken in order: 0, 1, ...) and hands it over. While it is not ready,
    /// the calling thread encodes the next chunk no worker has claimed (within the window)
    /// instead of waiting: the pool's threads start lazily, and the first one could otherwise
    /// encode a small segment's chunks alone while this thread waits (a 1% update of dev-all:
    /// 11.5 M of the 12.2 M instructions of its encoding on one worker, callgrind).
    func take(_ c: Int) -> EncodedChunk {
        condition.lock()
        defer { condition.unlock() }
        while results[c] == nil {
            guard next < chunkCount && next < taken + window && !cancelled else {
                condition.wait()
                continue
            }
            let k = next
            next += 1
            condition.unlock()
            // (not measured here: the caller measures its own thread's serialize time)
            let chunk = encodeChunk(k)
            condition.lock()
            results[k] = chunk
            condition.broadcast()
        }
        let chunk = results[c]!
        results[c] = nil
        taken = c + 1
        condition.broadcast()
        return chunk
    }

    /// Encodes chunk `c` (claimed by the caller under the lock).
    private func encodeChunk(_ c: Int) -> EncodedChunk {
        let start = c * chunkTerms
        return SegmentTerms.encode(order[start..<min(start + chunkTerms, order.count)], segment: segment, slotCounts: slotCounts)
    }

    /// Stops the workers after the chunks they are encoding.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}
