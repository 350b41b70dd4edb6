import SouAnalysis

/// Builds the term dictionary section: front-coded blocks of `termsPerBlock` terms (the
/// segment's TermsPerBlock field) and a fixed-width block index (8 key-prefix bytes + block
/// offset) for binary search; and, for a layout with one, the TermFilter section.
struct DictionaryWriter {
    /// The index's document count (the radix of singleton entries).
    let documentCount: Int
    /// Terms per block (``FileLayout/DictionaryLayout``).
    let termsPerBlock: Int
    /// The term filter's keys, for a layout with a filter.
    private(set) var filter: TermFilter.Writer?
    /// The run-ending bigrams (FORMAT.md "BigramEnds").
    private(set) var bigramEnds = BigramEnds.Writer()
    init(documentCount: Int, layout: FileLayout.DictionaryLayout) {
        precondition(layout.termsPerBlock >= 1 && layout.termsPerBlock <= 4096, "terms per block out of the readers' range")
        self.documentCount = documentCount
        self.termsPerBlock = layout.termsPerBlock
        filter = layout.hasTermFilter ? TermFilter.Writer() : nil
    }
    private var index = ByteWriter()
    private var blocks = ByteWriter()
    private var termCount = 0
    private var blockCount = 0
    /// Terms until the next block starts (0: the next term starts one).
    private var untilBlock = 0
    /// The previous term of the block: its first `previousCount` bytes (the array is not
    /// resized from term to term; it grows only for a term longer than any before).
    private var previous = [UInt8](repeating: 0, count: 64)
    private var previousCount = 0
    /// ``TermCoding/twoScalars(_:)`` of `previous`.
    private var previousTwo: (firstLength: Int, second: UInt32)? = nil
    /// The kind of the previous term of the block (a character-delta entry takes it).
    private var previousKind = TokenKind.bigram
    private var previousPostings = 0
    private var previousPositions = 0
    /// Whether the block's previous non-singleton term has position gaps (nil: none yet).
    private var previousHadGaps: Bool? = nil

    mutating func add(term: UnsafeBufferPointer<UInt8>, kind: TokenKind, documentFrequency: Int, totalFrequency: Int,
                      postingsOffset: Int, positionsOffset: Int, singleton: (document: Int, position: Int)?, endsRun: Bool) {
        filter?.add(term: term)
        // (a count down to the next block, not termCount % termsPerBlock: a division a term)
        if untilBlock == 0 {
            untilBlock = termsPerBlock
            // the key's first 8 bytes, zero-padded (little-endian: the first byte lowest)
            var prefix: UInt64 = 0
            for i in 0..<min(8, term.count) { prefix |= UInt64(term[i]) << UInt64(8 * i) }
            index.u64(prefix)
            index.u32(UInt32(blocks.count))
            blocks.varint(postingsOffset)
            blocks.varint(positionsOffset)
            previousCount = 0
            previousTwo = nil
            previousPostings = postingsOffset
            previousPositions = positionsOffset
            previousHadGaps = nil
            blockCount += 1
        }
        untilBlock -= 1
        // (the pointer form's fast path: most terms are bigrams of two 3-byte characters)
        let two = term.baseAddress.flatMap { TermCoding.twoScalars($0, count: term.count) }
        defer { previousTwo = two; previousKind = kind }
        if endsRun, kind == .bigram, let two { bigramEnds.add(ordinal: termCount, character: two.second) }
        if let p = previousTwo, let t = two, kind == previousKind,
           p.firstLength == t.firstLength, sharedLength(term, upTo: t.firstLength) == t.firstLength,
           t.second > p.second {
            // two-character term of the previous one's kind, after one with the same first
            // character: the distance d between the second characters' code points − 1, its low
            // 4 bits in the header (SuffixLength field 0), bit 4 set when d >> 4 follows as a vint
            let d = Int(t.second - p.second - 1)
            if d < 16 {
                blocks.u8(UInt8(d))
            } else {
                blocks.u8(UInt8(d & 15) | 16)
                blocks.varint(d >> 4)
            }
        } else {
            let shared = sharedLength(term, upTo: term.count)
            let suffix = term.count - shared
            // entry header: kind (bits 0-1), shared length (bits 2-4), suffix length (bits 5-7);
            // 7 in a length field means "a varint follows"
            blocks.u8(UInt8(kind.rawValue) | UInt8(min(shared, 7)) << 2 | UInt8(min(suffix, 7)) << 5)
            if shared >= 7 { blocks.varint(shared) }
            if suffix >= 7 { blocks.varint(suffix) }
            blocks.append(contentsOf: term[shared...])
        }
        if let singleton {
            // one varint, low bit 1: (position × DocumentCount + document) << 1 | 1
            blocks.varint((UInt64(singleton.position) * UInt64(documentCount) + UInt64(singleton.document)) << 1 | 1)
        } else {
            // low bit 0: (DocumentFrequency << 1 | ttf == df) << 1
            let sameFrequency = totalFrequency == documentFrequency
            blocks.varint((documentFrequency << 1 | (sameFrequency ? 1 : 0)) << 1)
            if !sameFrequency { blocks.varint(totalFrequency - documentFrequency - 1) }
            // the first non-singleton of a block starts at the block's bases; a term after one
            // without position gaps starts where that one started in the positions section
            if let hadGaps = previousHadGaps {
                blocks.varint(postingsOffset - previousPostings)
                if hadGaps { blocks.varint(positionsOffset - previousPositions) }
            }
            previousPostings = postingsOffset
            previousPositions = positionsOffset
            previousHadGaps = totalFrequency > documentFrequency
                && !FileLayout.gapsAreInline(documentFrequency: documentFrequency, totalFrequency: totalFrequency)
        }
        if term.count > previous.count { previous.append(contentsOf: repeatElement(0, count: term.count - previous.count)) }
        previous.withUnsafeMutableBufferPointer { p in
            // in bounds: term.count ≤ p.count (grown just above)
            if let from = term.baseAddress, term.count > 0 { p.baseAddress!.update(from: from, count: term.count) }
        }
        previousCount = term.count
        termCount += 1
    }

    /// How many of the first `limit` bytes of `term` (limit ≤ term.count) the previous term
    /// shares with it.
    private func sharedLength(_ term: UnsafeBufferPointer<UInt8>, upTo limit: Int) -> Int {
        previous.withUnsafeBufferPointer { p in
            // in bounds: n ≤ previousCount ≤ p.count, and n ≤ limit ≤ term.count
            let n = min(previousCount, limit)
            var k = 0
            while k < n, p[k] == term[k] { k += 1 }
            return k
        }
    }

    func finish(into sink: OutputSink) throws {
        var out = ByteWriter()
        out.u64(UInt64(termCount))
        out.u32(UInt32(blockCount))
        out.u32(UInt32(termsPerBlock))
        try sink.write(out)
        try sink.write(index)
        try sink.write(blocks)
    }
}
