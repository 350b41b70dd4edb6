import SouAnalysis

/// One term's postings, decoded, in document order: what ``PostingsEncoder`` encodes. Filled by
/// a term source (the in-memory segment's byte streams, or the postings cursors of the segments
/// being merged) and reused from term to term.
struct TermPostings {
    /// Document ids, increasing.
    var documents: [Int32] = []
    /// Occurrences per document (≥ 1).
    var frequencies: [Int32] = []
    /// Per document: the slot of the term's first occurrence.
    var firstPositions: [UInt32] = []
    /// Per document in order, its positions after the first as differences minus one
    /// (frequency − 1 values per document).
    var positionGaps: [UInt32] = []

    var documentFrequency: Int { documents.count }
    var totalFrequency: Int { documents.count + positionGaps.count }

    /// Empties the arrays, keeping their capacity.
    mutating func removeAll() {
        guard !documents.isEmpty else { return }
        if documents.count == 1, positionGaps.isEmpty {
            // a singleton (the most common term): removeLast is far cheaper than removeAll
            documents.removeLast(); frequencies.removeLast(); firstPositions.removeLast()
            return
        }
        documents.removeAll(keepingCapacity: true)
        frequencies.removeAll(keepingCapacity: true)
        firstPositions.removeAll(keepingCapacity: true)
        if !positionGaps.isEmpty { positionGaps.removeAll(keepingCapacity: true) }
    }
}

/// One term's postings as buffers, what ``PostingsEncoder`` reads: a view of a ``TermPostings``
/// or of a term source's own memory (the in-memory segment decodes into reused raw buffers).
struct PostingsView {
    var documents: UnsafeBufferPointer<Int32>
    var frequencies: UnsafeBufferPointer<Int32>
    var firstPositions: UnsafeBufferPointer<UInt32>
    var positionGaps: UnsafeBufferPointer<UInt32>

    var documentFrequency: Int { documents.count }
    var totalFrequency: Int { documents.count + positionGaps.count }
}

extension TermPostings {
    /// The arrays as a ``PostingsView`` during `body`.
    func withView<R>(_ body: (PostingsView) -> R) -> R {
        documents.withUnsafeBufferPointer { d in
            frequencies.withUnsafeBufferPointer { f in
                firstPositions.withUnsafeBufferPointer { p in
                    positionGaps.withUnsafeBufferPointer { g in
                        body(PostingsView(documents: d, frequencies: f, firstPositions: p, positionGaps: g))
                    }
                }
            }
        }
    }
}

/// One term's place in an ``EncodedChunk``.
struct EncodedTerm {
    /// The term's bytes in the chunk's ``EncodedChunk/keys``.
    var key: Range<Int>
    var kind: TokenKind
    var documentFrequency: Int
    var totalFrequency: Int
    /// Where the term's bytes start in the chunk's postings and positions.
    var postingsStart: Int
    var positionsStart: Int
    /// A term in one document at one position lives in its dictionary entry alone.
    var singleton: (document: Int, position: Int)?
    /// A bigram that ends a CJK run in some document (FORMAT.md "BigramEnds").
    var endsRun: Bool
}

/// The postings and positions of consecutive terms (in dictionary order), encoded together:
/// the unit a term source hands to the serializer (``TermOutput``).
struct EncodedChunk {
    var postings = ByteWriter()
    var positions = ByteWriter()
    /// The terms' bytes, back to back.
    var keys: [UInt8] = []
    var terms: [EncodedTerm] = []
}

/// Encodes one term's postings and position gaps (FORMAT.md "Postings" and "Positions") from
/// decoded arrays. Every term of every index goes through ``encode(_:key:kind:slotCounts:into:)``,
/// whether it comes from the in-memory segment of a build or from a merge of segments, so that
/// the bytes depend only on the postings. Holds buffers reused from term to term (no allocation
/// per term or block once they have grown).
struct PostingsEncoder {
    private var bits = BitWriter()
    private var skips = ByteWriter()
    private var blocks = ByteWriter()

    /// Appends the term `key` with `postings` to `chunk`: a singleton goes to its dictionary
    /// entry alone; any other term's postings (with its position gaps when they are inline) to
    /// `chunk.postings`, its other position gaps to `chunk.positions`. `slotCounts` holds every
    /// document's slot count (its count is the index's document count). `postings` must not be
    /// empty.
    mutating func encode(_ postings: TermPostings, key: UnsafeBufferPointer<UInt8>, kind: TokenKind, endsRun: Bool,
                         slotCounts: [Int32], into chunk: inout EncodedChunk) {
        postings.withView { encode($0, key: key, kind: kind, endsRun: endsRun, slotCounts: slotCounts, into: &chunk) }
    }

    /// ``encode(_:key:kind:slotCounts:into:)`` of postings given as buffers. The arrays must have
    /// the counts a ``TermPostings`` has: `documents.count` each but `positionGaps`, which holds
    /// frequency − 1 values per document.
    mutating func encode(_ postings: PostingsView, key: UnsafeBufferPointer<UInt8>, kind: TokenKind, endsRun: Bool,
                         slotCounts: [Int32], into chunk: inout EncodedChunk) {
        precondition(postings.frequencies.count == postings.documents.count
                     && postings.firstPositions.count == postings.documents.count, "postings arrays of different lengths")
        let df = postings.documentFrequency, ttf = postings.totalFrequency
        precondition(df > 0, "a term without postings")
        if df == 1, ttf == 1 {
            encodeSingleton(key: key, kind: kind, endsRun: endsRun, document: Int(postings.documents[0]),
                            position: Int(postings.firstPositions[0]), into: &chunk)
            return
        }
        let keyStart = chunk.keys.count
        chunk.keys.append(contentsOf: key)
        let term = EncodedTerm(key: keyStart..<chunk.keys.count, kind: kind, documentFrequency: df, totalFrequency: ttf,
                               postingsStart: chunk.postings.count, positionsStart: chunk.positions.count,
                               singleton: nil, endsRun: endsRun)
        let inline = FileLayout.gapsAreInline(documentFrequency: df, totalFrequency: ttf)
        encodePostings(postings, slotCounts: slotCounts, inlineGaps: inline, into: &chunk.postings)
        if !inline { encodePositions(postings.positionGaps, into: &chunk.positions) }
        chunk.terms.append(term)
    }

    /// ``encode(_:key:kind:endsRun:slotCounts:into:)`` of a singleton: the term `key` in
    /// `document` alone, once, at `position` (its dictionary entry holds both; no postings).
    @inline(__always)
    mutating func encodeSingleton(key: UnsafeBufferPointer<UInt8>, kind: TokenKind, endsRun: Bool, document: Int, position: Int,
                                  into chunk: inout EncodedChunk) {
        let keyStart = chunk.keys.count
        chunk.keys.append(contentsOf: key)
        chunk.terms.append(EncodedTerm(key: keyStart..<chunk.keys.count, kind: kind, documentFrequency: 1, totalFrequency: 1,
                                       postingsStart: chunk.postings.count, positionsStart: chunk.positions.count,
                                       singleton: (document, position), endsRun: endsRun))
    }

    /// Postings of one term (FORMAT.md "Postings"): blocks of 128 documents, each a Rice-coded
    /// bit stream of document gaps, frequencies and first positions; skip entries first when
    /// there are several blocks. A term in one block (most terms) is written straight to `out`.
    private mutating func encodePostings(_ p: PostingsView, slotCounts: [Int32], inlineGaps: Bool, into out: inout ByteWriter) {
        let n = p.documents.count
        let perBlock = FileLayout.docsPerBlock
        slotCounts.withUnsafeBufferPointer { slots in
            if n <= perBlock {
                // one block: the gap parameter is derived from the document frequency, not stored
                let k = RiceCoding.derivedGapParameter(documentFrequency: n, documentCount: slots.count)
                encodeBlock(p, 0..<n, previous: -1, gapParameter: k, storesParameter: false, slotCounts: slots)
                if inlineGaps, !p.positionGaps.isEmpty {
                    var sum: UInt64 = 0
                    var largest: UInt32 = 0
                    for g in p.positionGaps {
                        sum &+= UInt64(g)
                        largest = max(largest, g)
                    }
                    let (k, cost) = RiceCoding.bestParameterAndCost(buffer: p.positionGaps, sum: sum, largest: largest)
                    // or a parameter per document, derived from its slot count, first position
                    // and frequency (K = 31), when that is smaller by more than a bit per
                    // document with gaps (each costs the decoder a slot count and a parameter)
                    var perDocument = 0, documents = 0, g = 0
                    for j in 0..<n where p.frequencies[j] > 1 {
                        let f = Int(p.frequencies[j])
                        let kd = RiceCoding.documentGapParameter(slotCount: Int(slots[Int(p.documents[j])]),
                                                                 first: Int(p.firstPositions[j]), frequency: f)
                        for x in p.positionGaps[g..<(g + f - 1)] { perDocument += RiceCoding.cost(x, kd) }
                        g += f - 1
                        documents += 1
                    }
                    if perDocument + documents < cost {
                        bits.write(UInt64(RiceCoding.perDocumentGaps), bits: 5)
                        g = 0
                        for j in 0..<n where p.frequencies[j] > 1 {
                            let f = Int(p.frequencies[j])
                            let kd = RiceCoding.documentGapParameter(slotCount: Int(slots[Int(p.documents[j])]),
                                                                     first: Int(p.firstPositions[j]), frequency: f)
                            for x in p.positionGaps[g..<(g + f - 1)] { bits.rice(x, kd) }
                            g += f - 1
                        }
                    } else {
                        bits.write(UInt64(k), bits: 5)
                        for g in p.positionGaps { bits.rice(g, k) }
                    }
                }
                bits.finish(appendingTo: &out.bytes)
                return
            }
            let docs = p.documents
            if !blocks.bytes.isEmpty { blocks.bytes.removeAll(keepingCapacity: true) }
            if !skips.bytes.isEmpty { skips.bytes.removeAll(keepingCapacity: true) }
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: perBlock) { gaps in
                var previous: Int32 = -1
                var i = 0
                while i < n {
                    let end = min(i + perBlock, n)
                    let blockPrevious = previous
                    var positionCount = 0
                    var sum: UInt64 = 0
                    var largest: UInt32 = 0
                    for j in i..<end {
                        let g = UInt32(docs[j] - previous - 1)
                        gaps[j - i] = g
                        sum &+= UInt64(g)
                        largest = max(largest, g)
                        previous = docs[j]
                        positionCount += Int(p.frequencies[j])
                    }
                    // several blocks: each stores its gap parameter
                    let k = RiceCoding.bestParameterAndCost(buffer: UnsafeBufferPointer(rebasing: gaps[0..<(end - i)]),
                                                            sum: sum, largest: largest).parameter
                    encodeBlock(p, i..<end, previous: blockPrevious, gapParameter: k, storesParameter: true, slotCounts: slots)
                    let blockLength = bits.finish(appendingTo: &blocks.bytes)
                    skips.varint(Int(docs[end - 1] - blockPrevious))
                    skips.varint(blockLength)
                    skips.varint(positionCount)
                    i = end
                }
            }
            out.varint(skips.count)
            out.append(contentsOf: skips.bytes)
            out.append(contentsOf: blocks.bytes)
        }
    }

    /// The bits of one postings block (documents `range`, after document `previous`) into
    /// `bits`: the gap parameter `k` when `storesParameter`, the first positions' coding, then
    /// per document its gap, frequency and first position.
    @inline(__always)
    private mutating func encodeBlock(_ p: PostingsView, _ range: Range<Int>, previous: Int32, gapParameter k: Int,
                                      storesParameter: Bool, slotCounts: UnsafeBufferPointer<Int32>) {
        let docs = p.documents, freqs = p.frequencies, firsts = p.firstPositions
        // first positions in one of three codings, chosen by their sizes (FORMAT.md
        // "Postings"): derived (mode bit 1: truncated binary below the document's slot count
        // for frequency 1, else Rice with a parameter derived from the slot count and the
        // frequency), binary (bits 0, 1: truncated binary below the slot count) or Rice with
        // one stored parameter (bits 0, 0, then FirstK); one pass gathers the sizes of the first
        // two and what the Rice parameter's choice needs
        var sum: UInt64 = 0
        var largest: UInt32 = 0
        var binaryBits = 0, derivedBits = 0
        for j in range {
            let v = firsts[j]
            sum &+= UInt64(v)
            largest = max(largest, v)
            let slots = Int(slotCounts[Int(docs[j])])
            let truncated = RiceCoding.truncatedCost(v, below: slots)
            binaryBits += truncated
            let f = Int(freqs[j])
            derivedBits += f == 1 ? truncated
                : RiceCoding.cost(v, RiceCoding.firstPositionParameter(slotCount: slots, frequency: f))
        }
        let (kFirst, riceBits) = RiceCoding.bestParameterAndCost(buffer: UnsafeBufferPointer(rebasing: firsts[range]),
                                                                 sum: sum, largest: largest)
        // sizes with the mode bits: derived 1, binary 2, Rice 2 + 5. Binary when it is no larger
        // than Rice, else Rice; derived instead when it is no larger than binary, and smaller
        // than Rice by at least a bit per document (a Rice block decodes without reading the
        // documents' slot counts and deriving parameters: faster, which a bit per document pays for)
        let binaryWins = binaryBits + 2 <= riceBits + 7
        let derived = derivedBits + 1 <= binaryBits + 2 && (binaryWins || derivedBits + 1 + range.count <= riceBits + 7)
        let binary = !derived && binaryWins
        if storesParameter { bits.write(UInt64(k), bits: 5) }
        if derived {
            bits.write(1, bits: 1)
        } else if binary {
            bits.write(0b10, bits: 2)
        } else {
            bits.write(0, bits: 2)
            bits.write(UInt64(kFirst), bits: 5)
        }
        var previous = previous
        precondition(k >= 0 && k <= 24, "gap parameter out of range")
        let mask = (UInt64(1) &<< UInt64(k)) &- 1
        for j in range {
            let g = UInt32(docs[j] - previous - 1)
            previous = docs[j]
            let f = freqs[j]
            let q = Int(g &>> UInt32(k))
            if q < RiceCoding.escape {
                // Rice(g, k) and the frequency flag in one write: q + 1 + k + 1 ≤ 31 + 1 + 24 + 1 < 64
                let length = q &+ 1 &+ k
                let flag: UInt64 = f == 1 ? 1 : 0
                bits.write((1 &<< UInt64(q)) &- 1 | (UInt64(g) & mask) &<< UInt64(q &+ 1) | flag &<< UInt64(length),
                           bits: length &+ 1)
            } else {
                bits.rice(g, k)
                bits.write(f == 1 ? 1 : 0, bits: 1)
            }
            if f != 1 { bits.gamma(UInt32(f - 1)) }
            if derived {
                let slots = Int(slotCounts[Int(docs[j])])
                if f == 1 {
                    bits.truncated(firsts[j], below: slots)
                } else {
                    bits.rice(firsts[j], RiceCoding.firstPositionParameter(slotCount: slots, frequency: Int(f)))
                }
            } else if binary {
                bits.truncated(firsts[j], below: Int(slotCounts[Int(docs[j])]))
            } else {
                bits.rice(firsts[j], kFirst)
            }
        }
    }

    /// Position gaps of one term (each document's positions after its first): blocks of 128
    /// Rice-coded values with their byte length, then the rest Rice-coded.
    private mutating func encodePositions(_ values: UnsafeBufferPointer<UInt32>, into out: inout ByteWriter) {
        let size = FileLayout.positionsPerBlock
        var start = 0
        while start < values.count {
            let end = min(start + size, values.count)
            let slice = UnsafeBufferPointer(rebasing: values[start..<end])
            let k = RiceCoding.bestParameter(slice)
            bits.write(UInt64(k), bits: 5)
            for x in slice { bits.rice(x, k) }
            if end - start == size {
                // a full block carries its byte length first
                out.varint(bits.finishedByteCount)
            }
            bits.finish(appendingTo: &out.bytes)
            start = end
        }
    }
}
