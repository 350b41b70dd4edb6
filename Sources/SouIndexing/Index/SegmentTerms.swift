import Dispatch
import FoundationEssentials
import Glibc

/// The terms of a build's in-memory ``InvertedSegment`` as a ``TermSource``: sorted by bytes,
/// each term's byte streams decoded into ``TermPostings`` and encoded in chunks of
/// ``IndexSerializer/chunkTerms`` terms, several chunks at a time on `jobs` threads, handed over
/// in order (the bytes do not depend on the number of threads).
struct SegmentTerms: TermSource {
    let segment: InvertedSegment
    var jobs = 1
    var timings: IndexBuildTimings? = nil

    func writeTerms(slotCounts: [Int32], into output: inout TermOutput) throws {
        let order = segment.sortedTermIDs()
        let chunkCount = (order.count + IndexSerializer.chunkTerms - 1) / IndexSerializer.chunkTerms
        let wave = jobs > 1 ? 2 * jobs : 1
        var c = 0
        while c < chunkCount {
            let n = min(wave, chunkCount - c)
            let job = ChunkJob(segment: segment, slotCounts: slotCounts, order: order, firstChunk: c, count: n)
            if n == 1 {
                job.run(0)
            } else {
                let timings = timings
                DispatchQueue.concurrentPerform(iterations: n) { i in
                    IndexBuildTimings.measure(timings, .serialize) { job.run(i) }
                }
            }
            for chunk in job.take() { try output.append(chunk) }
            c += n
        }
    }

    /// Encodes the postings and positions of the terms `ids` (consecutive in dictionary order).
    static func encode(_ ids: ArraySlice<Int32>, segment: InvertedSegment, slotCounts: [Int32]) -> EncodedChunk {
        var chunk = EncodedChunk()
        chunk.terms.reserveCapacity(ids.count)
        var postings = TermPostings()
        var encoder = PostingsEncoder()
        for id32 in ids {
            let id = Int(id32)
            postings.removeAll()
            // the term's postings in document order: document deltas and frequencies, and per
            // document its first position then position deltas (each ≥ 1, stored minus 1)
            var ds = segment.documentStream(id)
            var ps = segment.positionStream(id)
            var doc: Int32 = -1
            while !ds.isAtEnd {
                let code = ds.varint()
                doc += Int32(bitPattern: code >> 1)
                let f = code & 1 == 1 ? 1 : Int(ds.varint())
                postings.documents.append(doc)
                postings.frequencies.append(Int32(f))
                postings.firstPositions.append(ps.varint())
                for _ in 1..<max(f, 1) { postings.positionGaps.append(ps.varint() &- 1) }
            }
            segment.withKey(id) { key in
                encoder.encode(postings, key: key, kind: segment.kind(id), slotCounts: slotCounts, into: &chunk)
            }
        }
        return chunk
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
