/// A forward-only cursor over one term's postings: documents in increasing order, each with
/// its term frequency and positions. Reads straight from the index bytes; every read is
/// bounds-checked, and damaged bytes throw ``IndexError/corrupt(_:)`` instead of trapping.
///
/// Postings come in blocks of 128 documents (Rice-coded gaps and frequencies), decoded a block at
/// a time; for terms in more than 128 documents a skip entry per block (last document, byte
/// length, position count) lets ``advance(to:)`` jump over whole blocks without decoding them.
public struct PostingsCursor: @unchecked Sendable {
    /// The current document, or `nil` before the first ``next()`` and after the last.
    public private(set) var document: Int? = nil
    /// Occurrences of the term in the current document.
    public private(set) var termFrequency: Int = 0
    /// Number of documents containing the term.
    public private(set) var documentFrequency = 0

    private var index: SegmentReader
    private var totalFrequency = 0
    private var hasSkips = false
    /// A term in one document at one position lives in its dictionary entry alone.
    private var singleton: (document: Int, position: Int)? = nil
    private var skips: ByteReader
    private var docsOffset = 0
    private var docsEnd: Int
    /// Documents not yet decoded or skipped.
    private var undecoded = 0
    private var entry: (last: Int, end: Int, positions: Int)? = nil
    private var previousDoc = -1
    /// The decoded block's documents, frequencies and first positions: document i's three values
    /// at 3i, 3i + 1 and 3i + 2 (one store pointer for the decoder), for ``blockStride``
    /// documents, allocated by the first block decoded (a singleton or an unread cursor needs
    /// none), as large as that block (a term's first block is its largest), grown when a
    /// ``reset(documentFrequency:totalFrequency:postingsOffset:positionsOffset:)`` term needs more.
    /// One allocation per cursor: a query over many segments makes many cursors.
    private var block: [Int32] = []
    private var blockStride = 0
    @inline(__always) private func blockDoc(_ i: Int) -> Int { Int(block[3 * i]) }
    @inline(__always) private func blockFreq(_ i: Int) -> Int { Int(block[3 * i + 1]) }
    @inline(__always) private func blockFirst(_ i: Int) -> Int { Int(block[3 * i + 2]) }
    private var blockSize = 0
    private var blockPosition = 0
    /// Positions of the term before the current block position (the skip entries' unit).
    private var nextPositionIndex = 0
    /// Position gaps (positions after a document's first) before the next document, and the
    /// index of the current document's first gap.
    private var nextGapIndex = 0
    private var gapIndex = 0
    private var firstPosition = 0

    // position gaps: blocks of 128 Rice-coded values with their byte length, then the rest
    private var positionsStart = 0
    private var positionsReader: ByteReader
    private var decodedBlock = -1
    /// Decoded gaps of block ``decodedBlock``; allocated when positions are first read. Only
    /// the first ``decodedGaps`` of its ``blockGaps`` are decoded: a block is decoded as far as
    /// the gaps read (a phrase reads a frequent term's gaps in few of its documents), the rest
    /// when a later gap of the block is read, from ``gapReader`` (which stands after the last
    /// decoded gap).
    private var values: [UInt32] = []
    private var decodedGaps = 0
    /// The gaps of the open block before this one were read without being kept (those of
    /// documents before the current one): ``values`` holds gaps `skippedGaps..<decodedGaps`.
    private var skippedGaps = 0
    private var blockGaps = 0
    private var gapParameter = 0
    private var gapReader: BitReader
    /// Where the term's inline gaps start (a term in one block with fewer than 128 gaps stores
    /// them after its documents), nil for a term whose gaps are in the positions section. They
    /// are decoded when a gap is first read, not with the documents: a query that reads only
    /// the documents, or the positions of a few of them, decodes none or fewer. With one Rice
    /// parameter they are read as far as asked, as a positions-section block is; with a
    /// parameter per document (``RiceCoding/perDocumentGaps``: ``gapParameter`` is
    /// ``perDocumentPending`` until then) all at once.
    private var inlineGaps: BitReader? = nil
    private var inlineGapParameter = 0
    private static let perDocumentPending = -1

    init(index: SegmentReader, term: TermInfo) throws {
        let (postingsOffset, positionsOffset) = Self.offsets(term)
        try self.init(index: index, documentFrequency: term.documentFrequency, totalFrequency: term.totalTermFrequency,
                      postingsOffset: postingsOffset, positionsOffset: positionsOffset)
    }

    /// A term's offsets as ``reset(documentFrequency:totalFrequency:postingsOffset:positionsOffset:)``
    /// takes them (for a singleton: −1 − document, and its position).
    private static func offsets(_ term: TermInfo) -> (postings: Int, positions: Int) {
        switch term.location {
        case .singleton(let document, let position): (-1 - document, position)
        case .postings(let offset, let positions): (offset, positions)
        }
    }

    /// Moves the cursor to the start of `term`'s postings in `segment` (the segment whose
    /// dictionary gave `term`; another throws ``IndexError/foreignTerm(_:)``), keeping the buffers
    /// it has allocated: a query over many segments reuses its cursors from segment to segment
    /// instead of allocating new ones in each. The cursor is then as ``SegmentReader/postings(_:)``
    /// makes it.
    public mutating func reset(to term: TermInfo, in segment: SegmentReader) throws {
        try segment.checkOwns(term)
        if segment !== index {
            index = segment
            docsEnd = segment.postingsRange.upperBound
            skips = ByteReader(segment.bytes, range: 0..<0, context: "postings skip data")
            positionsReader = ByteReader(segment.bytes, range: 0..<0, context: "positions")
        }
        let (postingsOffset, positionsOffset) = Self.offsets(term)
        try reset(documentFrequency: term.documentFrequency, totalFrequency: term.totalTermFrequency,
                  postingsOffset: postingsOffset, positionsOffset: positionsOffset)
    }

    /// A cursor over the postings of the dictionary entry the iterator `terms` is on.
    init(index: SegmentReader, entry terms: TermDictionaryReader.Terms) throws {
        try self.init(index: index, documentFrequency: terms.documentFrequency, totalFrequency: terms.totalFrequency,
                      postingsOffset: terms.postingsOffset, positionsOffset: terms.positionsOffset)
    }

    /// A cursor over a term's postings as its dictionary entry gives them (offsets: see ``TermInfo``).
    init(index: SegmentReader, documentFrequency: Int, totalFrequency: Int, postingsOffset: Int, positionsOffset: Int) throws {
        self.init(index: index)
        try reset(documentFrequency: documentFrequency, totalFrequency: totalFrequency,
                  postingsOffset: postingsOffset, positionsOffset: positionsOffset)
    }

    /// A cursor on no term of `segment` (``next()`` returns nil) until ``reset(to:in:)``: one
    /// cursor, reset from segment to segment, decodes a term's postings in every segment of an
    /// index with the same buffers.
    public init(idleIn segment: SegmentReader) {
        self.init(index: segment)
    }

    /// A cursor on no term (``next()`` returns nil) until ``reset(documentFrequency:totalFrequency:postingsOffset:positionsOffset:)``.
    init(index: SegmentReader) {
        self.index = index
        docsEnd = index.postingsRange.upperBound
        skips = ByteReader(index.bytes, range: 0..<0, context: "postings skip data")
        positionsReader = ByteReader(index.bytes, range: 0..<0, context: "positions")
        gapReader = BitReader(index.bytes, from: 0, end: 0, context: "positions")
    }

    /// Moves the cursor to the start of another term of the same index (as its dictionary entry
    /// gives it), keeping the buffers it has allocated: the segment merger reuses one cursor per
    /// segment for every term.
    mutating func reset(documentFrequency: Int, totalFrequency: Int, postingsOffset: Int, positionsOffset: Int) throws {
        document = nil
        termFrequency = 0
        self.documentFrequency = documentFrequency
        self.totalFrequency = totalFrequency
        undecoded = documentFrequency
        hasSkips = documentFrequency > FileLayout.docsPerBlock
        entry = nil
        previousDoc = -1
        blockSize = 0
        blockPosition = 0
        nextPositionIndex = 0
        nextGapIndex = 0
        gapIndex = 0
        firstPosition = 0
        decodedBlock = -1
        decodedGaps = 0
        skippedGaps = 0
        blockGaps = 0
        inlineGaps = nil
        let b = index.bytes
        if postingsOffset < 0 {
            let doc = -1 - postingsOffset
            guard doc < index.documentCount, documentFrequency == 1, totalFrequency == 1 else {
                undecoded = 0
                throw IndexError.corrupt("terms: singleton entry out of range")
            }
            singleton = (doc, positionsOffset)
            return
        }
        singleton = nil
        let start = index.postingsRange.lowerBound + postingsOffset
        guard start <= docsEnd else { undecoded = 0; throw IndexError.corrupt("postings: offset out of range") }
        var r = ByteReader(b, range: start..<docsEnd, context: "postings")
        if hasSkips {
            let skipLength: Int
            do { skipLength = try r.varint(max: r.remaining) } catch { undecoded = 0; throw error }
            skips = ByteReader(b, range: r.offset..<(r.offset + skipLength), context: "postings skip data")
            r.offset += skipLength
        }
        docsOffset = r.offset
        positionsStart = index.positionsRange.lowerBound + positionsOffset
        guard positionsStart <= index.positionsRange.upperBound else {
            undecoded = 0
            throw IndexError.corrupt("positions: offset out of range")
        }
        positionsReader = ByteReader(b, range: positionsStart..<index.positionsRange.upperBound, context: "positions")
    }

    /// Reads the skip entry of the next block.
    private mutating func readEntry() throws {
        let lastDelta = try skips.varint(max: index.documentCount)
        let length = try skips.varint(max: docsEnd - docsOffset)
        let positions = try skips.varint(max: totalFrequency)
        guard lastDelta >= 1, previousDoc + lastDelta < index.documentCount else { throw skips.fail("skip entry out of range") }
        entry = (previousDoc + lastDelta, docsOffset + length, positions)
    }

    /// Decodes the next block of documents and frequencies.
    private mutating func decodeBlock() throws {
        let n = min(FileLayout.docsPerBlock, undecoded)
        if blockStride < n {
            blockStride = n
            block = [Int32](repeating: 0, count: 3 * n)
        }
        var r = BitReader(index.bytes, from: docsOffset, end: entry?.end ?? docsEnd, context: "postings")
        let k = hasSkips ? Int(try r.read(bits: 5))
            : RiceCoding.derivedGapParameter(documentFrequency: documentFrequency, documentCount: index.documentCount)
        // first positions: derived (1), binary (0 1) or Rice with a stored parameter (0 0, FirstK)
        let derived = try r.bit() == 1
        let binary = try !derived && r.bit() == 1
        let kFirst = derived || binary ? 0 : Int(try r.read(bits: 5))
        guard k <= 24, kFirst <= 24 else { throw r.fail("bad Rice parameter") }
        let index = self.index
        var doc = previousDoc
        let limit = index.documentCount, total = totalFrequency
        let slots = DocumentColumn(index, .slotCount)
        let codes = BlockCodes(k: k, kFirst: kFirst, limit: limit, total: total, slots: slots, streamEnd: r.end)
        try block.withUnsafeMutableBufferPointer { buffer in
            // (document, frequency, first position) of document i at 3i, 3i + 1, 3i + 2:
            // buffer.count = 3 · blockStride ≥ 3n
            let out = buffer.baseAddress!
            var i = 0
            while i < n {
                // as many documents as the fast path takes, then one through the checked reads
                var offset = r.bitOffset
                i = derived ? Self.decodeDerivedFirsts(codes, r.base, &offset, &doc, from: i, to: n, into: out)
                    : binary ? Self.decodeBinaryFirsts(codes, r.base, &offset, &doc, from: i, to: n, into: out)
                    : Self.decodeRiceFirsts(codes, r.base, &offset, &doc, from: i, to: n, into: out)
                r.skip(bits: offset &- r.bitOffset)
                if i == n { break }
                doc += Int(try r.rice(k)) + 1
                guard doc < limit else { throw r.fail("document id out of range") }
                let f = try r.bit() == 1 ? 1 : Int(try r.gamma()) + 1
                guard f <= total, f <= Int(Int32.max) else { throw r.fail("term frequency out of range") }
                let first: UInt32
                if derived {
                    let m = slots.value(doc)
                    first = f == 1 ? try r.truncated(below: m)
                        : try r.rice(RiceCoding.firstPositionParameter(slotCount: m, frequency: f))
                } else {
                    first = binary ? try r.truncated(below: slots.value(doc)) : try r.rice(kFirst)
                }
                guard first <= UInt32(Int32.max) else { throw r.fail("position out of range") }
                out[3 * i] = Int32(doc)
                out[3 * i + 1] = Int32(f)
                out[3 * i + 2] = Int32(first)
                i += 1
            }
        }
        var positions = 0
        for i in 0..<n { positions += blockFreq(i) }   // ≤ 128 · Int32.max: no overflow
        let gapCount = totalFrequency - documentFrequency
        if !hasSkips, gapCount > 0, FileLayout.gapsAreInline(documentFrequency: documentFrequency, totalFrequency: totalFrequency) {
            // the term's position gaps follow its documents in this block: decoded when first read
            let kGaps = Int(try r.read(bits: 5))
            guard kGaps <= 24 || kGaps == RiceCoding.perDocumentGaps else { throw r.fail("bad Rice parameter") }
            if values.isEmpty { values = [UInt32](repeating: 0, count: FileLayout.positionsPerBlock) }
            // gapsAreInline: gapCount ≤ positionsPerBlock, the buffer's size
            guard gapCount <= values.count else { throw r.fail("too many inline position gaps") }
            inlineGaps = r
            inlineGapParameter = kGaps
            openInlineGaps()
        }
        if let e = entry {
            // the entry summarizes the block exactly: last document, position count, byte length
            guard doc == e.last, positions == e.positions, r.byteOffset == e.end else {
                throw r.fail("block disagrees with its skip entry")
            }
            docsOffset = e.end
        } else {
            docsOffset = r.byteOffset
        }
        entry = nil
        previousDoc = doc
        undecoded -= n
        if hasSkips, undecoded == 0, !skips.isAtEnd { throw skips.fail("skip data after the last block's entry") }
        blockSize = n
        blockPosition = 0
    }

    /// Moves to the next document and returns it, or `nil` at the end.
    public mutating func next() throws -> Int? {
        if let singleton {
            guard undecoded > 0 else { document = nil; return nil }
            undecoded = 0
            document = singleton.document
            termFrequency = 1
            return singleton.document
        }
        if blockPosition == blockSize {
            guard undecoded > 0 else { document = nil; return nil }
            if hasSkips, entry == nil { try readEntry() }
            try decodeBlock()
        }
        let doc = blockDoc(blockPosition)
        let freq = blockFreq(blockPosition)
        firstPosition = blockFirst(blockPosition)
        blockPosition += 1
        guard nextPositionIndex + freq <= totalFrequency else {
            throw IndexError.corrupt("postings: frequencies exceed the term's total")
        }
        nextPositionIndex += freq
        gapIndex = nextGapIndex
        nextGapIndex += freq - 1
        document = doc
        termFrequency = freq
        return doc
    }

    /// Calls `body` with each remaining document and its term frequency, in order, then leaves
    /// the cursor at the end (``document`` nil): ``next()`` for every document, a decoded block at
    /// a time, for a reader of documents and frequencies alone (a term's count and scores). The
    /// frequencies are checked against the term's total once per block, as ``next()`` checks
    /// them one by one.
    package mutating func forEachDocument(_ body: (_ document: Int, _ frequency: Int) throws -> Void) throws {
        if singleton != nil {
            while let d = try next() { try body(d, termFrequency) }
            return
        }
        while true {
            if blockPosition == blockSize {
                guard undecoded > 0 else { break }
                if hasSkips, entry == nil { try readEntry() }
                try decodeBlock()
            }
            var frequencies = 0
            for i in blockPosition..<blockSize { frequencies += blockFreq(i) }   // ≤ 128 · Int32.max
            guard nextPositionIndex + frequencies <= totalFrequency else {
                throw IndexError.corrupt("postings: frequencies exceed the term's total")
            }
            let start = blockPosition, stop = blockSize
            try block.withUnsafeBufferPointer { b in
                // bounds: i < blockSize ≤ blockStride, so 3i + 1 < b.count
                for i in start..<stop { try body(Int(b[3 &* i]), Int(b[3 &* i &+ 1])) }
            }
            nextPositionIndex += frequencies
            nextGapIndex += frequencies - (stop - start)
            gapIndex = nextGapIndex
            blockPosition = stop
        }
        document = nil
        termFrequency = 0
    }

    /// Moves to the first document ≥ `target` and returns it, or `nil` at the end. Returns the
    /// current document when it is already ≥ `target`.
    public mutating func advance(to target: Int) throws -> Int? {
        if let d = document, d >= target { return d }
        if hasSkips {
            if blockPosition < blockSize, blockDoc(blockSize - 1) < target {
                // the rest of the decoded block is below target
                for i in blockPosition..<blockSize {
                    nextPositionIndex += blockFreq(i)
                    nextGapIndex += blockFreq(i) - 1
                }
                blockPosition = blockSize
            }
            while blockPosition == blockSize, undecoded > 0 {
                if entry == nil { try readEntry() }
                guard let e = entry, e.last < target else { break }
                // jump over a whole block without decoding it
                let n = min(FileLayout.docsPerBlock, undecoded)
                nextPositionIndex += e.positions
                nextGapIndex += e.positions - n
                guard nextPositionIndex <= totalFrequency, e.positions >= n, e.end <= docsEnd else {
                    throw IndexError.corrupt("postings: skip entry out of range")
                }
                docsOffset = e.end
                previousDoc = e.last
                undecoded -= n
                entry = nil
            }
        }
        while true {
            if blockPosition < blockSize, blockDoc(blockPosition) < target {
                // the decoded block's documents from blockPosition on: step over those below
                // target in one loop (their frequencies summed) instead of a next() each
                var j = blockPosition &+ 1, frequencies = blockFreq(blockPosition)
                let stop = blockSize
                block.withUnsafeBufferPointer { b in
                    // bounds: j < blockSize ≤ blockStride, so 3j + 1 < b.count
                    while j < stop, Int(b[3 &* j]) < target {
                        frequencies &+= Int(b[3 &* j &+ 1])
                        j &+= 1
                    }
                }
                // (frequencies ≥ 1 each: the sum is checked once for all, as next() checks each)
                guard nextPositionIndex + frequencies <= totalFrequency else {
                    throw IndexError.corrupt("postings: frequencies exceed the term's total")
                }
                nextPositionIndex += frequencies
                nextGapIndex += frequencies - (j - blockPosition)
                blockPosition = j
            }
            guard let d = try next() else { return nil }
            if d >= target { return d }
        }
    }

    /// The positions (slots) of the term in the current document, increasing.
    public mutating func positions() throws -> [Int] {
        var result: [Int] = []
        result.reserveCapacity(termFrequency)
        try forEachPosition { result.append($0) }
        return result
    }

    /// Replaces the contents of `buffer` with the positions (slots) of the term in the current
    /// document, increasing (empty when there is no current document). Reusing one buffer from
    /// document to document allocates nothing once it has grown; gaps are summed into a stack
    /// buffer a decoded block at a time, then appended.
    public mutating func positions(into buffer: inout [Int]) throws {
        buffer.removeAll(keepingCapacity: true)
        guard document != nil else { return }
        if let singleton {
            buffer.append(singleton.position)
            return
        }
        if buffer.capacity < termFrequency { buffer.reserveCapacity(max(termFrequency, 2 * buffer.capacity)) }
        buffer.append(firstPosition)
        let size = FileLayout.positionsPerBlock
        var p = firstPosition
        var i = gapIndex
        let end = gapIndex + termFrequency - 1
        guard i < end else { return }
        try withUnsafeTemporaryAllocation(of: Int.self, capacity: size) { chunk in
            while i < end {
                let stop = min(end, i + size)
                // stop − i ≤ size: the chunk's count
                p = try sumPositions(gaps: i..<stop, after: p, into: chunk.baseAddress!)
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[0..<(stop - i)]))
                i = stop
            }
        }
    }

    /// Replaces the contents of `list` with the positions (slots) of the term in the current
    /// document, increasing (empty when there is no current document): ``positions(into:)-([Int])``
    /// for a phrase search's reused ``PositionList``, summed straight into its storage.
    package mutating func positions(into list: PositionList) throws {
        list.removeAll()
        guard document != nil else { return }
        if let singleton {
            list.append(singleton.position)
            return
        }
        let first = firstPosition, gaps = gapIndex..<(gapIndex + termFrequency - 1)
        try list.append(count: termFrequency) { out in
            // room for termFrequency values: the first position, then one per gap
            out[0] = first
            _ = try sumPositions(gaps: gaps, after: first, into: out + 1)
        }
    }

    /// Writes to `out[0..<gaps.count]` the positions that the term's gaps `gaps` (indices over
    /// all its gaps) lead to from position `p`, and returns the last (`p` when there are none):
    /// a gap block at a time (``sumGaps(block:from:to:after:into:)``).
    private mutating func sumPositions(gaps: Range<Int>, after p: Int, into out: UnsafeMutablePointer<Int>) throws -> Int {
        let size = FileLayout.positionsPerBlock
        var p = p, i = gaps.lowerBound
        while i < gaps.upperBound {
            let blockStart = i / size * size
            let stop = min(gaps.upperBound, blockStart + size)
            // out + (i − gaps.lowerBound) has room for stop − i values (stop ≤ gaps.upperBound)
            p = try sumGaps(block: blockStart / size, from: i - blockStart, to: stop - blockStart, after: p,
                            into: out + (i - gaps.lowerBound))
            i = stop
        }
        return p
    }

    /// Position `k` (0-based, below ``termFrequency``) of the term in the current document,
    /// given position k − 1 as `previous` (ignored for k = 0): a walk over the positions that
    /// decodes a block of gaps only when it reaches it, and can stop anywhere (a phrase's
    /// existence check stops at its first occurrence).
    public mutating func position(_ k: Int, after previous: Int) throws -> Int {
        precondition(document != nil && k >= 0 && k < termFrequency, "a position of the current document")
        if let singleton { return singleton.position }
        if k == 0 { return firstPosition }
        return previous + Int(try gapValue(gapIndex + k - 1)) + 1
    }

    /// Walks the term's postings from the start to the end (a fresh cursor) and appends those
    /// of the documents that `newIDs` maps to an id (≥ 0; −1 drops the document) to `out`, with
    /// the new ids: what the segment merger re-encodes. Decodes a block at a time with the
    /// checks of ``next()``; position gaps are copied as stored (differences minus one). Every
    /// copied document's last position must lie below its slot count (else the copy could not be
    /// encoded): damaged postings throw here.
    mutating func appendPostings(renumberedBy newIDs: UnsafeBufferPointer<Int32>, to out: inout TermPostings) throws {
        precondition(document == nil && nextPositionIndex == 0, "appendPostings starts on a fresh cursor")
        precondition(newIDs.count == index.documentCount, "a renumbering of another segment")
        let slots = DocumentColumn(index, .slotCount)
        if let singleton {
            undecoded = 0
            let id = newIDs[singleton.document]
            guard id >= 0 else { return }
            guard singleton.position < slots.value(singleton.document) else {
                throw IndexError.corrupt("terms: singleton position beyond the slots of document \(singleton.document)")
            }
            out.documents.append(id)
            out.frequencies.append(1)
            out.firstPositions.append(UInt32(singleton.position))
            return
        }
        let size = FileLayout.positionsPerBlock
        // a block's kept documents, frequencies and first positions are gathered on the stack
        // and appended three arrays at a time (not an append per document to each)
        try withUnsafeTemporaryAllocation(of: Int32.self, capacity: 2 * FileLayout.docsPerBlock) { kept in
            try withUnsafeTemporaryAllocation(of: UInt32.self, capacity: FileLayout.docsPerBlock) { keptFirsts in
                let ids = kept.baseAddress!, frequencies = ids + FileLayout.docsPerBlock, firsts = keptFirsts.baseAddress!
                while undecoded > 0 {
                    if hasSkips, entry == nil { try readEntry() }
                    try decodeBlock()
                    // blockSize ≤ docsPerBlock: n stays within the buffers
                    var n = 0
                    for i in 0..<blockSize {
                        let freq = blockFreq(i)
                        guard nextPositionIndex + freq <= totalFrequency else {
                            throw IndexError.corrupt("postings: frequencies exceed the term's total")
                        }
                        nextPositionIndex += freq
                        var g = nextGapIndex
                        nextGapIndex += freq - 1
                        let doc = blockDoc(i)
                        let id = newIDs[doc]
                        guard id >= 0 else { continue }
                        let first = blockFirst(i)
                        ids[n] = id
                        frequencies[n] = Int32(freq)
                        firsts[n] = UInt32(first)
                        n += 1
                        var last = first
                        while g < nextGapIndex {
                            let blockStart = g / size * size
                            let stop = min(nextGapIndex, blockStart + size)
                            _ = try gapValue(stop - 1)   // decodes the block holding gaps g..<stop as far as stop − 1
                            values.withUnsafeBufferPointer { v in
                                // g − blockStart < stop − blockStart ≤ size, the buffer's count
                                let gaps = UnsafeBufferPointer(rebasing: v[(g - blockStart)..<(stop - blockStart)])
                                for x in gaps { last += Int(x) + 1 }
                                out.positionGaps.append(contentsOf: gaps)
                            }
                            g = stop
                        }
                        guard last < slots.value(doc) else {
                            throw IndexError.corrupt("positions: position beyond the slots of document \(doc)")
                        }
                    }
                    out.documents.append(contentsOf: UnsafeBufferPointer(start: ids, count: n))
                    out.frequencies.append(contentsOf: UnsafeBufferPointer(start: frequencies, count: n))
                    out.firstPositions.append(contentsOf: UnsafeBufferPointer(start: firsts, count: n))
                    blockPosition = blockSize
                }
            }
        }
    }

    /// Calls `body` with each position (slot) of the term in the current document, increasing,
    /// without allocating.
    public mutating func forEachPosition(_ body: (Int) throws -> Void) throws {
        guard document != nil else { return }
        if let singleton {
            try body(singleton.position)
            return
        }
        var p = firstPosition
        try body(p)
        for k in 1..<max(termFrequency, 1) {
            p += Int(try gapValue(gapIndex + k - 1)) + 1
            try body(p)
        }
    }

    /// Position gap `i` of the term (0-based over all its documents), minus one. Decodes the
    /// block holding it as far as gap `i` (at least a few more, when there are: a walk reads
    /// them one at a time); the gaps before it in the block are decoded too, those after it are
    /// left for a later read.
    @inline(__always)
    private mutating func gapValue(_ i: Int) throws -> UInt32 {
        let size = FileLayout.positionsPerBlock
        let block = i / size, j = i % size
        if block != decodedBlock || j >= decodedGaps || j < skippedGaps { try decodeGaps(block: block, through: j) }
        return values[j]
    }

    /// Decodes gap block `block` as far as its gap `j` (0-based in the block): opens the block
    /// when it is not the open one, then decodes from the last decoded gap on. A block's length
    /// is checked against its contents when its last gap is decoded (a block left before that is
    /// skipped by its stored length, as one never read is).
    private mutating func decodeGaps(block: Int, through j: Int) throws {
        let size = FileLayout.positionsPerBlock
        guard block * size + j < totalFrequency - documentFrequency else { throw IndexError.corrupt("positions: gap index out of range") }
        try open(block: block, from: j)
        guard j < blockGaps else { throw IndexError.corrupt("positions: gap index out of range") }
        // the gaps before the current document's are never read again: passed over unkept
        let current = gapIndex - block * size
        if decodedGaps < min(current, j) { try skipGaps(to: min(current, j)) }
        // up to gap j, and 16 more when the block has them (one call for a walk's next reads)
        let stop = min(blockGaps, max(j + 1, decodedGaps + 16))
        var r = gapReader
        let from = decodedGaps
        // from < stop ≤ blockGaps ≤ size, the buffer's size
        try values.withUnsafeMutableBufferPointer { try r.rice(gapParameter, count: stop - from, into: $0.baseAddress! + from) }
        gapReader = r
        decodedGaps = stop
        try finishGaps()
    }

    /// Makes gap block `block` the open one with its gap `j` still readable (opened again when a
    /// gap before those it kept is asked for), inline gaps with a parameter per document decoded:
    /// what a read of its gaps from `j` on needs first.
    @inline(__always)
    private mutating func open(block: Int, from j: Int) throws {
        if block != decodedBlock || j < skippedGaps { try openGapBlock(block) }
        if gapParameter == Self.perDocumentPending { try decodePerDocumentGaps() }
    }

    /// Makes gap block `block` (below the term's gap count's blocks) the open one, none of its
    /// gaps decoded: from the start of the term's positions when it lies before the open one,
    /// whole blocks skipped by their byte length.
    private mutating func openGapBlock(_ block: Int) throws {
        if inlineGaps != nil {
            // (inline gaps are one block: gap indices are checked against the term's gap count)
            openInlineGaps()
            return
        }
        let size = FileLayout.positionsPerBlock
        let gapCount = totalFrequency - documentFrequency
        let fullBlocks = gapCount / size
        if block <= decodedBlock {
            // (the open block itself when gaps before those it kept are asked for)
            positionsReader.offset = positionsStart
            decodedBlock = -1
        }
        // skip whole blocks by their byte length (the open block's reader offset is already
        // past it when it is a full block: its end)
        while decodedBlock + 1 < block {
            let length = try positionsReader.varint(max: positionsReader.remaining)
            try positionsReader.skip(length)
            decodedBlock += 1
        }
        var end = positionsReader.end
        if block < fullBlocks {
            let length = try positionsReader.varint(max: positionsReader.remaining)
            end = positionsReader.offset + length
        }
        let count = block < fullBlocks ? size : gapCount - fullBlocks * size
        guard count > 0 else { throw IndexError.corrupt("positions: gap index out of range") }
        if values.isEmpty { values = [UInt32](repeating: 0, count: size) }
        var r = BitReader(index.bytes, from: positionsReader.offset, end: end, context: "positions")
        let k = Int(try r.read(bits: 5))
        guard k <= 24 else { throw r.fail("bad Rice parameter \(k)") }
        // a full block is followed by the next one's length at its end; the last block's end
        // is known once it is decoded
        if block < fullBlocks { positionsReader.offset = end }
        gapReader = r
        gapParameter = k
        blockGaps = count
        decodedGaps = 0
        skippedGaps = 0
        decodedBlock = block
    }

    /// Makes the term's inline gaps the open gap block (block 0), none of them decoded.
    private mutating func openInlineGaps() {
        gapReader = inlineGaps!
        gapParameter = inlineGapParameter == RiceCoding.perDocumentGaps ? Self.perDocumentPending : inlineGapParameter
        blockGaps = totalFrequency - documentFrequency
        decodedGaps = 0
        skippedGaps = 0
        decodedBlock = 0
    }

    /// Decodes all the open inline gaps that have a Rice parameter per document (FORMAT.md
    /// "Postings": each document's f − 1 gaps with the parameter its slot count, first position
    /// and frequency give), from the decoded block's documents.
    private mutating func decodePerDocumentGaps() throws {
        let gapCount = blockGaps
        let slots = DocumentColumn(index, .slotCount)
        var r = gapReader
        let decoded = block, n = blockSize   // (the closure below holds `values`: no access to self inside)
        try values.withUnsafeMutableBufferPointer { v in
            var at = 0
            for i in 0..<n {
                let f = Int(decoded[3 * i + 1])
                guard f > 1 else { continue }
                // bounds: at + f − 1 ≤ gapCount ≤ the buffer's count
                guard f - 1 <= gapCount - at else { throw r.fail("frequencies exceed the term's total") }
                let kd = RiceCoding.documentGapParameter(slotCount: slots.value(Int(decoded[3 * i])), first: Int(decoded[3 * i + 2]),
                                                         frequency: f)
                try r.rice(kd, count: f - 1, into: v.baseAddress! + at)
                at += f - 1
            }
            guard at == gapCount else { throw r.fail("frequencies disagree with the term's total") }
        }
        gapReader = r
        gapParameter = 0   // (all decoded: no more codes are read)
        decodedGaps = gapCount
    }

    /// Passes over the open block's gaps from the last decoded one to gap `j` (excluded, below
    /// the block's gap count) without keeping them: the gaps of documents before the current one.
    private mutating func skipGaps(to j: Int) throws {
        var r = gapReader
        try r.skipRice(gapParameter, count: j - decodedGaps)
        gapReader = r
        decodedGaps = j
        skippedGaps = j
    }

    /// After gaps of the open block were decoded: once its last gap is, checks a full block's
    /// stored length against where its codes end (the last block's end becomes the positions'
    /// reader offset).
    @inline(__always)
    private mutating func finishGaps() throws {
        // (inline gaps end where the verifier asks: ``verifyingWalk()``)
        guard decodedGaps == blockGaps, inlineGaps == nil else { return }
        let fullBlocks = (totalFrequency - documentFrequency) / FileLayout.positionsPerBlock
        if decodedBlock < fullBlocks {
            if gapReader.byteOffset != positionsReader.offset { throw gapReader.fail("block length disagrees with its contents") }
        } else {
            positionsReader.offset = gapReader.byteOffset
        }
    }

    /// Writes to `out[0..<(stop − from)]` the positions that gaps `from..<stop` of gap block
    /// `block` lead to from position `p` (each gap adds its value + 1), and returns the last:
    /// gaps already decoded are read from the decoded block, the others are decoded straight
    /// into sums (and kept in the block, as ``decodeGaps(block:through:)`` keeps them), through
    /// the checked decoder for what its fast path does not take.
    /// `from < stop ≤` the block's gap count; `out` has room for `stop − from` values.
    private mutating func sumGaps(block: Int, from: Int, to stop: Int, after p: Int, into out: UnsafeMutablePointer<Int>) throws -> Int {
        try open(block: block, from: from)
        guard stop <= blockGaps else { throw IndexError.corrupt("positions: gap index out of range") }
        // the gaps of documents leapfrogged over, before `from`: passed over unkept
        if decodedGaps < from { try skipGaps(to: from) }
        var p = p
        var j = from
        var summed = false   // gaps decoded here (not already decoded: read before, or inline gaps with a parameter per document)
        // bounds: j < stop ≤ blockGaps ≤ the buffer's size; out[j − from] for j < stop
        values.withUnsafeMutableBufferPointer { v in
            let gaps = v.baseAddress!
            while j < min(decodedGaps, stop) {
                p &+= Int(gaps[j]) &+ 1
                out[j &- from] = p
                j &+= 1
            }
            if j < stop {
                // j == decodedGaps: decode the rest, summing as the codes are read
                var r = gapReader
                let fast = r.riceWords(gapParameter, count: stop &- j, into: gaps + j, sums: out + (j &- from), after: &p)
                gapReader = r
                decodedGaps = j &+ fast
                j = decodedGaps
                summed = true
            }
        }
        if j < stop {
            // an escape or the block's last bytes: the checked decoder, then the sums
            try decodeGaps(block: block, through: stop - 1)
            values.withUnsafeBufferPointer { v in
                for i in j..<stop {
                    p &+= Int(v[i]) &+ 1
                    out[i &- from] = p
                }
            }
        } else if summed {
            try finishGaps()
        }
        return p
    }
}

// MARK: block decoding, fast path

/// `x` (≥ 0 where it is used: shift counts and bit patterns) as a `UInt64`, without the check
/// of `UInt64(_:)` (a branch per shift in the decoders' loops).
@inline(__always)
private func bits(_ x: Int) -> UInt64 { UInt64(truncatingIfNeeded: x) }

/// What the fast decoders of a postings block need, fixed for the block: its Rice parameters,
/// the checks of every document, and where documents' slot counts are (for binary-coded
/// first positions).
private struct BlockCodes {
    let k: Int, kFirst: Int
    let maskK: UInt64, maskFirst: UInt64
    /// Documents are below `limit` (the segment's document count), frequencies at most `total`.
    let limit: Int, total: Int
    /// The stream's end − 8: the last byte a 64-bit window may be loaded from.
    let lastWord: Int
    /// The documents' records, from the first one's byte, and the slot count's place in them.
    let records: UnsafeRawPointer
    let recordWidth: Int, slotStart: Int, slotMask: UInt64
    /// The last byte from `records` a 64-bit word may be loaded from (the section's end − 8).
    let lastRecordWord: Int

    init(k: Int, kFirst: Int, limit: Int, total: Int, slots: DocumentColumn, streamEnd: Int) {
        self.k = k
        self.kFirst = kFirst
        maskK = (UInt64(1) &<< bits(k)) &- 1
        maskFirst = (UInt64(1) &<< bits(kFirst)) &- 1
        self.limit = limit
        self.total = total
        lastWord = streamEnd &- 8
        records = slots.base + slots.recordsStart
        recordWidth = slots.recordWidth
        slotStart = slots.start
        slotMask = (UInt64(1) &<< bits(slots.width)) &- 1
        lastRecordWord = slots.end &- slots.recordsStart &- 8
    }
}

extension PostingsCursor {
    /// The bits of the stream from bit `bit` on (least significant first) and how many of them are
    /// the stream's, as ``BitReader/peek()`` gives them: 64 − bit mod 8 when 8 whole bytes are
    /// left from its byte (≤ `lastWord`, the stream's end − 8), fewer in the last 7 bytes, 0 at
    /// the end. Bounds: only bytes below `lastWord` + 8 are loaded.
    @inline(__always)
    private static func window(_ base: UnsafeRawPointer, _ bit: Int, _ lastWord: Int) -> (bits: UInt64, valid: Int) {
        let byte = bit &>> 3, shift = bit & 7
        if byte <= lastWord {
            return (UInt64(littleEndian: base.loadUnaligned(fromByteOffset: byte, as: UInt64.self)) &>> bits(shift), 64 &- shift)
        }
        let left = lastWord &+ 8 &- byte
        guard left > 0 else { return (0, 0) }
        var w: UInt64 = 0
        for i in 0..<left { w |= UInt64(base.load(fromByteOffset: byte &+ i, as: UInt8.self)) &<< bits(8 &* i) }
        return (w &>> bits(shift), left &* 8 &- shift)
    }

    /// The fast path of ``decodeBlock()`` for a block whose first positions are truncated binary
    /// codes below their documents' slot counts: decodes documents `start`, `start + 1`, …
    /// into `out` (document i's document, frequency and first position at 3i, 3i + 1, 3i + 2)
    /// while each document's three codes lie in the 64-bit window loaded at its first bit and
    /// pass every check of the checked reads; stops at `end` or at the first document that does
    /// not (which the caller then reads with the checked reads: damage throws there). Returns
    /// the index of that document; `offset` (bits from the mapped bytes' start) and `doc` (the
    /// last document decoded) move past the documents decoded. Calls nothing: the block's state
    /// stays in registers.
    /// Bounds: windows hold bytes of the stream alone (``window(_:_:_:)``), a record word is
    /// loaded from a byte ≤ `codes.lastRecordWord`; `out` holds 3 · `end` values.
    @inline(never)
    fileprivate static func decodeBinaryFirsts(_ codes: BlockCodes, _ base: UnsafeRawPointer, _ offset: inout Int, _ doc: inout Int,
                                               from start: Int, to end: Int, into out: UnsafeMutablePointer<Int32>) -> Int {
        decodeSlotCountFirsts(codes, base, &offset, &doc, from: start, to: end, into: out, derived: false)
    }

    /// ``decodeBinaryFirsts(_:_:_:_:from:to:into:)`` for a block whose first positions are
    /// derived codes: truncated binary below the document's slot count m for a frequency f of 1,
    /// else Rice(·, ``RiceCoding/firstPositionParameter(slotCount:frequency:)`` of m and f).
    @inline(never)
    fileprivate static func decodeDerivedFirsts(_ codes: BlockCodes, _ base: UnsafeRawPointer, _ offset: inout Int, _ doc: inout Int,
                                                from start: Int, to end: Int, into out: UnsafeMutablePointer<Int32>) -> Int {
        decodeSlotCountFirsts(codes, base, &offset, &doc, from: start, to: end, into: out, derived: true)
    }

    /// The loop of both: `derived` is a constant in each (this is inlined into them), so each
    /// compiles to its own loop without the other's branch.
    @inline(__always)
    private static func decodeSlotCountFirsts(_ codes: BlockCodes, _ base: UnsafeRawPointer, _ offset: inout Int, _ doc: inout Int,
                                              from start: Int, to end: Int, into out: UnsafeMutablePointer<Int32>, derived: Bool) -> Int {
        let k = codes.k, maskK = codes.maskK, limit = codes.limit, total = codes.total, lastWord = codes.lastWord
        let records = codes.records, recordWidth = codes.recordWidth, slotStart = codes.slotStart
        let slotMask = codes.slotMask, lastRecordWord = codes.lastRecordWord
        var bit = offset, previous = doc, i = start
        while i < end {
            let (w, valid) = window(base, bit, lastWord)
            let q = (~w).trailingZeroBitCount
            guard q < RiceCoding.escape, q &+ 2 &+ k <= valid else { break }
            let d = previous &+ Int(truncatingIfNeeded: bits(q) &<< bits(k) | (w &>> bits(q &+ 1)) & maskK) &+ 1
            guard d < limit else { break }
            var used = q &+ 2 &+ k
            var f = 1
            if (w &>> bits(used &- 1)) & 1 == 0 {
                let g = (~(w &>> bits(used))).trailingZeroBitCount   // gamma: g ones, a zero, g bits
                guard g < 32, used &+ 2 &* g &+ 1 <= valid else { break }
                f = Int(truncatingIfNeeded: UInt64(1) &<< bits(g) | (w &>> bits(used &+ g &+ 1)) & ((UInt64(1) &<< bits(g)) &- 1)) &+ 1
                used &+= 2 &* g &+ 1
                guard f <= total, f <= Int(Int32.max) else { break }
            }
            // the slot count of document d (0 ≤ d < limit), as ``DocumentColumn/value(_:)`` reads it
            let slotBit = d &* recordWidth &+ slotStart
            let slotByte = slotBit &>> 3
            guard slotByte <= lastRecordWord else { break }
            let m = Int(truncatingIfNeeded: (UInt64(littleEndian: records.loadUnaligned(fromByteOffset: slotByte, as: UInt64.self))
                &>> bits(slotBit & 7)) & slotMask)
            var first = 0
            if derived && f != 1 {
                // Rice(first, kd): qf ones, a zero, kd bits; kd is
                // RiceCoding.firstPositionParameter(slotCount: m, frequency: f) for m ≥ 0 (the
                // difference of the bit lengths as one of leading zero counts), ≤ 24
                let kd = min(24, max(0, bits(f &+ 1).leadingZeroBitCount &- bits(m).leadingZeroBitCount))
                let qf = (~(w &>> bits(used))).trailingZeroBitCount
                guard qf < RiceCoding.escape, used &+ qf &+ 1 &+ kd <= valid else { break }
                // (below 32 · 2^24: no check against Int32.max needed)
                first = Int(truncatingIfNeeded: bits(qf) &<< bits(kd) | (w &>> bits(used &+ qf &+ 1)) & ((UInt64(1) &<< bits(kd)) &- 1))
                used &+= qf &+ 1 &+ kd
            } else if m > 1 {
                guard m <= Int(Int32.max) else { break }
                let b = 64 &- bits(m &- 1).leadingZeroBitCount
                guard used &+ b <= valid else { break }
                let u = (1 &<< b) &- m
                let x = Int(truncatingIfNeeded: (w &>> bits(used)) & ((UInt64(1) &<< bits(b &- 1)) &- 1))
                if x < u {
                    first = x
                    used &+= b &- 1
                } else {
                    first = (x &<< 1 | Int(truncatingIfNeeded: (w &>> bits(used &+ b &- 1)) & 1)) &- u
                    guard first < m else { break }
                    used &+= b
                }
            }
            bit &+= used
            previous = d
            out[3 &* i] = Int32(truncatingIfNeeded: d)
            out[3 &* i &+ 1] = Int32(truncatingIfNeeded: f)
            out[3 &* i &+ 2] = Int32(truncatingIfNeeded: first)
            i &+= 1
        }
        offset = bit
        doc = previous
        return i
    }

    /// ``decodeBinaryFirsts(_:_:_:_:from:to:into:)`` for a block whose first positions are
    /// Rice(·, kFirst) codes.
    @inline(never)
    fileprivate static func decodeRiceFirsts(_ codes: BlockCodes, _ base: UnsafeRawPointer, _ offset: inout Int, _ doc: inout Int,
                                             from start: Int, to end: Int, into out: UnsafeMutablePointer<Int32>) -> Int {
        let k = codes.k, maskK = codes.maskK, kFirst = codes.kFirst, maskFirst = codes.maskFirst
        let limit = codes.limit, total = codes.total, lastWord = codes.lastWord
        var bit = offset, previous = doc, i = start
        while i < end {
            let (w, valid) = window(base, bit, lastWord)
            let q = (~w).trailingZeroBitCount
            guard q < RiceCoding.escape, q &+ 2 &+ k <= valid else { break }
            let d = previous &+ Int(truncatingIfNeeded: bits(q) &<< bits(k) | (w &>> bits(q &+ 1)) & maskK) &+ 1
            guard d < limit else { break }
            var used = q &+ 2 &+ k
            var f = 1
            if (w &>> bits(used &- 1)) & 1 == 0 {
                let g = (~(w &>> bits(used))).trailingZeroBitCount   // gamma: g ones, a zero, g bits
                guard g < 32, used &+ 2 &* g &+ 1 <= valid else { break }
                f = Int(truncatingIfNeeded: UInt64(1) &<< bits(g) | (w &>> bits(used &+ g &+ 1)) & ((UInt64(1) &<< bits(g)) &- 1)) &+ 1
                used &+= 2 &* g &+ 1
                guard f <= total, f <= Int(Int32.max) else { break }
            }
            let qf = (~(w &>> bits(used))).trailingZeroBitCount
            guard qf < RiceCoding.escape, used &+ qf &+ 1 &+ kFirst <= valid else { break }
            // (qf < 32 and kFirst ≤ 24: below 2^29, no check against Int32.max needed)
            let first = Int(truncatingIfNeeded: bits(qf) &<< bits(kFirst) | (w &>> bits(used &+ qf &+ 1)) & maskFirst)
            bit &+= used &+ qf &+ 1 &+ kFirst
            previous = d
            out[3 &* i] = Int32(truncatingIfNeeded: d)
            out[3 &* i &+ 1] = Int32(truncatingIfNeeded: f)
            out[3 &* i &+ 2] = Int32(truncatingIfNeeded: first)
            i &+= 1
        }
        offset = bit
        doc = previous
        return i
    }
}

// MARK: verification

extension PostingsCursor {
    /// Where a term's bytes end, relative to the Postings and Positions sections (what the next
    /// term's dictionary offsets must be).
    struct Extent {
        var postingsEnd: Int
        var positionsEnd: Int
    }

    /// Walks every document and position of the term from the start (what `sou check` does with
    /// each term, through the decoder search uses), checking beyond what every read checks:
    /// frequencies summing to the term's total and every position below its document's slot
    /// count. Returns where the term's bytes end (nil for a singleton, which has none).
    /// Throws ``IndexError/corrupt(_:)`` naming the problem.
    mutating func verifyingWalk() throws -> Extent? {
        precondition(document == nil && nextPositionIndex == 0, "verifyingWalk() starts on a fresh cursor")
        var buffer: [Int] = []
        while let d = try next() {
            try positions(into: &buffer)
            guard let last = buffer.last, last < index.slotCount(d) else {
                throw IndexError.corrupt("positions: position beyond the slots of document \(d)")
            }
        }
        guard singleton == nil else { return nil }
        guard nextPositionIndex == totalFrequency else {
            throw IndexError.corrupt("postings: frequencies sum to \(nextPositionIndex), the dictionary says \(totalFrequency)")
        }
        // inline gaps end the term's postings (every one was read by the walk)
        var postingsEnd = docsOffset
        if inlineGaps != nil {
            guard decodedGaps == blockGaps else { throw IndexError.corrupt("positions: inline gaps not all read") }
            postingsEnd = gapReader.byteOffset
        }
        return Extent(postingsEnd: postingsEnd - index.postingsRange.lowerBound,
                      positionsEnd: positionsReader.offset - index.positionsRange.lowerBound)
    }
}
