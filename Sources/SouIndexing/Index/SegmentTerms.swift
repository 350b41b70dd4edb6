import CSystemShim
import Dispatch
import FoundationEssentials
import Glibc

/// The terms of a build's in-memory ``InvertedSegment`` as a ``TermSource``: sorted by bytes,
/// each term's byte streams decoded into ``DecodedPostings`` and encoded in chunks of
/// ``IndexSerializer/chunkTerms`` terms, several chunks at a time on `jobs` threads, handed over
/// in order (the bytes do not depend on the number of threads).
struct SegmentTerms: TermSource {
    let segment: InvertedSegment
    var jobs = 1
    var timings: IndexBuildTimings? = nil

    func writeTerms(slotCounts: [Int32], into output: inout TermOutput) throws {
        let order = segment.sortedTermIDs()
        let chunkCount = (order.count + IndexSerializer.chunkTerms - 1) / IndexSerializer.chunkTerms
        guard jobs > 1 else {
            for c in 0..<chunkCount {
                let job = ChunkJob(segment: segment, slotCounts: slotCounts, order: order, firstChunk: c, count: 1)
                job.run(0)
                for chunk in job.take() { try output.append(chunk) }
            }
            return
        }
        // waves of 2 × jobs chunks encoded on `jobs` threads; this thread appends a wave (the
        // dictionary, the positions written, the postings spilled: serial work) while the
        // next wave is being encoded
        let wave = 2 * jobs
        let timings = timings
        var previous: ChunkJob? = nil
        var c = 0
        while c < chunkCount || previous != nil {
            let n = min(wave, chunkCount - c)
            let job = n > 0 ? ChunkJob(segment: segment, slotCounts: slotCounts, order: order, firstChunk: c, count: n) : nil
            let group = DispatchGroup()
            if let job {
                DispatchQueue.global().async(group: group) {
                    DispatchQueue.concurrentPerform(iterations: job.count) { i in
                        IndexBuildTimings.measure(timings, .serialize) { job.run(i) }
                    }
                }
            }
            var failure: Error? = nil
            if let previous {
                do {
                    for chunk in previous.take() { try output.append(chunk) }
                } catch {
                    failure = error
                }
            }
            group.wait()
            if let failure { throw failure }
            previous = job
            c += n
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
            scratch.decode(documents: segment.documentStream(id), positions: segment.positionStream(id))
            let view = scratch.view
            segment.withKey(id) { key in
                encoder.encode(view, key: key, kind: segment.kind(id), slotCounts: slotCounts, into: &chunk)
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

/// One wave of chunks encoded by concurrent workers. The segment is only read; each worker
/// initializes only its own result slot (raw memory, so no Swift array is mutated from several
/// threads).
final class ChunkJob: @unchecked Sendable {
    private let segment: InvertedSegment
    private let slotCounts: [Int32]
    private let order: [Int32]
    private let firstChunk: Int
    private let slots: UnsafeMutablePointer<EncodedChunk>
    let count: Int

    init(segment: InvertedSegment, slotCounts: [Int32], order: [Int32], firstChunk: Int, count: Int) {
        self.segment = segment
        self.slotCounts = slotCounts
        self.order = order
        self.firstChunk = firstChunk
        self.count = count
        slots = .allocate(capacity: count)
    }

    /// Encodes chunk `i` of the wave into its slot.
    func run(_ i: Int) {
        let start = (firstChunk + i) * IndexSerializer.chunkTerms
        let ids = order[start..<min(start + IndexSerializer.chunkTerms, order.count)]
        (slots + i).initialize(to: SegmentTerms.encode(ids, segment: segment, slotCounts: slotCounts))
    }

    /// The chunks, once every slot is set (moves them out).
    func take() -> [EncodedChunk] {
        (0..<count).map { (slots + $0).move() }
    }

    deinit { slots.deallocate() }
}
