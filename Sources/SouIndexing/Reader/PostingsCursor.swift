/// A forward-only cursor over one term's postings: documents in increasing order, each with
/// its term frequency and positions. Reads straight from the index bytes; every read is
/// bounds-checked, and damaged bytes throw ``IndexError/corrupt(_:)`` instead of trapping.
///
/// Postings come in blocks of 128 documents; for terms in more than 128 documents a skip entry
/// per block (last document, byte length, position count) lets ``advance(to:)`` jump over
/// whole blocks without decoding them.
public struct PostingsCursor: @unchecked Sendable {
    /// The current document, or `nil` before the first ``next()`` and after the last.
    public private(set) var document: Int? = nil
    /// Occurrences of the term in the current document.
    public private(set) var termFrequency: Int = 0
    /// Number of documents containing the term.
    public let documentFrequency: Int

    private let index: SouIndex
    private let totalFrequency: Int
    private let hasSkips: Bool
    /// A term in one document at one position lives in its dictionary entry alone.
    private let singleton: (document: Int, position: Int)?
    private var docs: ByteReader
    private var skips: ByteReader
    private var docsLeft: Int
    private var inBlockLeft = 0
    private var previousDoc = -1
    private var blockLastDoc = Int.max
    private var blockEnd = 0
    private var blockPositionEnd = 0
    private var nextPositionIndex = 0
    private var positionIndex = 0

    // positions: blocks of 128 values, the last partial block as varints
    private let positionsStart: Int
    private var positionsReader: ByteReader
    private var decodedBlock = -1
    private var values = [UInt32](repeating: 0, count: PackedBlock.size)

    init(index: SouIndex, term: TermInfo) throws {
        self.index = index
        documentFrequency = term.documentFrequency
        totalFrequency = term.totalTermFrequency
        docsLeft = term.documentFrequency
        hasSkips = term.documentFrequency > FileLayout.docsPerBlock
        let b = index.bytes
        if term.postingsOffset < 0 {
            let doc = -1 - term.postingsOffset
            guard doc < index.documentCount, term.documentFrequency == 1, term.totalTermFrequency == 1 else {
                throw IndexError.corrupt("terms: singleton entry out of range")
            }
            singleton = (doc, term.positionsOffset)
            docs = ByteReader(b, range: 0..<0, context: "postings")
            skips = docs
            positionsStart = 0
            positionsReader = docs
            return
        }
        singleton = nil
        let start = index.postingsRange.lowerBound + term.postingsOffset
        guard start <= index.postingsRange.upperBound else { throw IndexError.corrupt("postings: offset out of range") }
        docs = ByteReader(b, range: start..<index.postingsRange.upperBound, context: "postings")
        skips = docs
        if hasSkips {
            let skipLength = try docs.varint(max: docs.remaining)
            skips = ByteReader(b, range: docs.offset..<(docs.offset + skipLength), context: "postings skip data")
            try docs.skip(skipLength)
        }
        positionsStart = index.positionsRange.lowerBound + term.positionsOffset
        guard positionsStart <= index.positionsRange.upperBound else { throw IndexError.corrupt("positions: offset out of range") }
        positionsReader = ByteReader(b, range: positionsStart..<index.positionsRange.upperBound, context: "positions")
    }

    private mutating func startBlock() throws {
        inBlockLeft = min(FileLayout.docsPerBlock, docsLeft)
        if hasSkips {
            let lastDelta = try skips.varint(max: index.documentCount)
            let length = try skips.varint(max: docs.remaining)
            let positionCount = try skips.varint(max: totalFrequency)
            blockLastDoc = previousDoc + lastDelta
            blockEnd = docs.offset + length
            blockPositionEnd = nextPositionIndex + positionCount
        } else {
            blockLastDoc = Int.max
        }
    }

    /// Moves to the next document and returns it, or `nil` at the end.
    public mutating func next() throws -> Int? {
        guard docsLeft > 0 else { document = nil; return nil }
        if let singleton {
            docsLeft = 0
            document = singleton.document
            termFrequency = 1
            return singleton.document
        }
        if inBlockLeft == 0 { try startBlock() }
        let code = try docs.varint()
        let delta = Int(code >> 1)
        let freq = code & 1 == 1 ? 1 : try docs.varint(max: totalFrequency)
        let doc = previousDoc + delta
        guard delta >= 1, doc < index.documentCount else { throw docs.fail("document id out of range") }
        guard freq >= 1, nextPositionIndex + freq <= totalFrequency else { throw docs.fail("term frequency out of range") }
        previousDoc = doc
        positionIndex = nextPositionIndex
        nextPositionIndex += freq
        docsLeft -= 1
        inBlockLeft -= 1
        document = doc
        termFrequency = freq
        return doc
    }

    /// Moves to the first document ≥ `target` and returns it, or `nil` at the end. Returns the
    /// current document when it is already ≥ `target`.
    public mutating func advance(to target: Int) throws -> Int? {
        if let d = document, d >= target { return d }
        if hasSkips {
            while docsLeft > 0 {
                if inBlockLeft == 0 { try startBlock() }
                if blockLastDoc >= target { break }
                // the whole rest of this block is below target: jump over it
                guard blockEnd <= docs.end, blockLastDoc < index.documentCount else {
                    throw docs.fail("skip entry out of range")
                }
                docs.offset = blockEnd
                docsLeft -= inBlockLeft
                inBlockLeft = 0
                previousDoc = blockLastDoc
                nextPositionIndex = blockPositionEnd
            }
        }
        while let d = try next() {
            if d >= target { return d }
        }
        return nil
    }

    /// The positions (slots) of the term in the current document, increasing.
    public mutating func positions() throws -> [Int] {
        var result: [Int] = []
        result.reserveCapacity(termFrequency)
        try forEachPosition { result.append($0) }
        return result
    }

    /// Calls `body` with each position (slot) of the term in the current document, increasing,
    /// without allocating.
    public mutating func forEachPosition(_ body: (Int) throws -> Void) throws {
        guard document != nil else { return }
        if let singleton {
            try body(singleton.position)
            return
        }
        var p = 0
        for k in 0..<termFrequency {
            let v = Int(try positionValue(positionIndex + k))
            p = k == 0 ? v : p + v
            try body(p)
        }
    }

    private mutating func positionValue(_ i: Int) throws -> UInt32 {
        let block = i / PackedBlock.size
        if block != decodedBlock {
            if block < decodedBlock {
                positionsReader.offset = positionsStart
                decodedBlock = -1
            }
            while decodedBlock + 1 < block {
                try PackedBlock.skip(&positionsReader)
                decodedBlock += 1
            }
            let fullBlocks = totalFrequency / PackedBlock.size
            if block < fullBlocks {
                try values.withUnsafeMutableBufferPointer { try PackedBlock.decode(&positionsReader, into: $0) }
            } else {
                for j in 0..<(totalFrequency - fullBlocks * PackedBlock.size) {
                    let v = try positionsReader.varint()
                    guard v <= UInt64(UInt32.max) else { throw positionsReader.fail("position out of range") }
                    values[j] = UInt32(v)
                }
            }
            decodedBlock = block
        }
        return values[i % PackedBlock.size]
    }
}
