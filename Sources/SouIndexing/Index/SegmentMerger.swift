import Dispatch
import FoundationEssentials
import Glibc
import SouAnalysis

/// Writes one new segment holding the live documents of several segments, without analyzing any
/// text again: the bytes are those of a fresh build of the live documents in the same order.
///
/// - Documents: the live documents of source 0 in order, then those of source 1, and so on; a
///   document's new id is the number of live documents before it. Keys, titles, lengths, slot
///   counts and sources are copied.
/// - Postings: a k-way merge of the sources' sorted dictionaries; each term's postings are
///   decoded with ``PostingsCursor`` (documents, frequencies, positions), deleted documents
///   dropped, ids renumbered, and encoded again by the ``PostingsEncoder`` a build uses. A term
///   left without a live posting is dropped.
/// - Stored text: inflated and cut into blocks by the rule of a fresh build (a block closes once
///   its text reaches ``FileLayout/storedBlockTarget``), then compressed; a source block that
///   becomes an output block unchanged keeps its compressed bytes.
///
/// Memory holds the dictionary being written, the documents' keys, titles and a few numbers per
/// document, and the chunks of terms being encoded; positions stream into the sink, postings and
/// compressed text through ``SpillBuffer``s, as in a build: it does not grow with the size of
/// the postings. With `jobs` > 1, chunks of terms are encoded on several threads and the stored
/// text is re-cut on a thread of its own; the bytes are the same for any `jobs`.
public struct SegmentMerger {
    /// The analyzer configuration of the segments (every source must have it).
    public let configuration: AnalyzerConfiguration
    /// Whether the new segment stores text (every source must then store it).
    public let storesText: Bool
    /// Threads merging postings (the bytes are the same for any value).
    public var jobs = activeProcessorCount
    /// The new segment's dictionary layout: ``FileLayout/DictionaryLayout/base`` for a segment
    /// that is an index's base, ``FileLayout/DictionaryLayout/update`` for one that joins others
    /// (see ``IndexWriter``).
    var dictionaryLayout = FileLayout.DictionaryLayout.base
    /// Where each source lies in its index file (the id and byte offset of its segment), so that
    /// damage found in one names it as `sou check` does ("segment 2 at byte 4096: terms section
    /// checksum mismatch …"). Empty (a merge of segments that are not in a file): a source is
    /// named by its position among the sources.
    var sourceLocations: [(id: UInt64, offset: Int)] = []

    /// One segment to merge and which of its documents are deleted (local ids).
    public typealias Source = (segment: SegmentReader, isDeleted: (Int) -> Bool)

    /// A merger writing segments of `configuration`, with stored text or not.
    public init(configuration: AnalyzerConfiguration = AnalyzerConfiguration(), storesText: Bool = true) {
        self.configuration = configuration
        self.storesText = storesText
    }

    /// Merges `sources` in memory and opens the result (the same reader as a file).
    public func mergedIndex(_ sources: [Source]) throws -> SegmentReader {
        try SegmentReader(bytes: mergedBytes(sources))
    }

    /// Merges `sources` into bytes held in memory.
    func mergedBytes(_ sources: [Source]) throws -> [UInt8] {
        let sink = OutputSink()
        _ = try merge(sources, into: sink)
        return sink.bytes
    }

    /// Writes the new segment into `sink` (from its offset 0 on); returns what the serializer
    /// counted.
    @discardableResult
    func merge(_ sources: [Source], into sink: OutputSink) throws -> IndexSerializer.Totals {
        for (i, s) in sources.enumerated() {
            guard s.segment.configuration == configuration else {
                throw IndexError.incompatibleAnalyzer("segment \(i) was built with \(s.segment.configuration), the merge writes \(configuration)")
            }
            guard !storesText || s.segment.storesText else {
                throw IndexError.io("segment \(i) has no stored text: cannot merge it into a segment that stores text")
            }
            // damage must not pass into the new segment under fresh checksums
            do {
                try s.segment.verifyChecksums()
            } catch let error as IndexError {
                throw naming(error, source: i)
            }
        }
        // new ids: −1 for a deleted document
        var newIDs: [[Int32]] = []
        var live = 0
        for s in sources {
            var ids = [Int32](repeating: -1, count: s.segment.documentCount)
            for d in 0..<s.segment.documentCount where !s.isDeleted(d) {
                guard live < Int(Int32.max) else { throw IndexError.io("too many documents for one index") }
                ids[d] = Int32(live)
                live += 1
            }
            newIDs.append(ids)
        }
        let start = Date()
        let documents = try mergeDocuments(sources, newIDs)
        let documentsDone = Date()
        let terms = MergedTerms(segments: sources.map(\.segment), newIDs: newIDs, jobs: max(1, jobs))
        var serializer = IndexSerializer(configuration: configuration, storesText: storesText)
        serializer.dictionaryLayout = dictionaryLayout
        let totals = try serializer.serialize(terms: terms, documents: documents, into: sink)
        if getenv("SOU_MERGE_TRACE") != nil {   // (ProcessInfo's environment copies all of it)
            writeAll(cFormat("sou merge: documents %.3f s, terms and writing %.3f s",
                             documentsDone.timeIntervalSince(start), Date().timeIntervalSince(documentsDone))
                     + (storesText && jobs > 1 ? " (stored text alongside)\n" : "\n"), to: STDERR_FILENO)
        }
        return totals
    }

    /// `error`, found in the bytes of source `i`, naming that source: its segment id and offset
    /// in the file (``sourceLocations``), or else its position among the sources.
    private func naming(_ error: IndexError, source i: Int) -> IndexError {
        if i < sourceLocations.count { return error.inSegment(sourceLocations[i].id, at: sourceLocations[i].offset) }
        guard case .corrupt(let what) = error else { return error }
        return .corrupt("segment \(i) of the merge: \(what)")
    }

    // MARK: documents

    /// The document table of the live documents, stored text re-cut and compressed.
    private func mergeDocuments(_ sources: [Source], _ newIDs: [[Int32]]) throws -> DocumentTable {
        let table = DocumentTable()
        for (s, ids) in zip(sources, newIDs) {
            let segment = s.segment
            for d in 0..<segment.documentCount where ids[d] >= 0 {
                let e = try segment.checkedDocumentEntry(d)
                guard let length = Int32(exactly: e.length), let slots = Int32(exactly: segment.slotCount(d)),
                      let source = UInt32(exactly: try segment.documentSource(d)) else {
                    throw IndexError.corrupt("documents: a field of document \(d) is out of range")
                }
                table.keys.append(segment.keysAreNumbers ? String(d) : segment.string(e.key))
                table.titles.append(segment.string(e.title))
                table.lengths.append(length)
                table.slotCounts.append(slots)
                table.sources.append(source)
                table.totalLength += e.length
            }
        }
        guard storesText else { return table }
        let segments = sources.map(\.segment)
        let regroup: @Sendable () throws -> DocumentTable = {
            let stored = DocumentTable()
            var blocks = StoredTextRegrouper(table: stored)
            for (segment, ids) in zip(segments, newIDs) { try blocks.add(segment, newIDs: ids) }
            try blocks.finish()
            return stored
        }
        func install(_ stored: DocumentTable, into table: DocumentTable) {
            table.storedBlocks = stored.storedBlocks
            table.storedData = stored.storedData
        }
        if jobs > 1 {
            // compressed on its own thread while the postings are merged
            let task = BackgroundTask(regroup)
            table.pendingStoredText = { install(try task.wait(), into: $0) }
        } else {
            install(try regroup(), into: table)
        }
        return table
    }
}

/// Runs a closure on a thread of its own; ``wait()`` returns its result or throws its error.
private final class BackgroundTask<T>: @unchecked Sendable {
    private let done = Condition()
    private var result: Result<T, Error>? = nil

    /// Starts `body` on a thread of its own; when the system refuses a thread, runs it here.
    init(_ body: @escaping @Sendable () throws -> T) {
        let run: @Sendable () -> Void = { [self] in
            let r = Result { try body() }
            done.lock()
            result = r
            done.broadcast()
            done.unlock()
        }
        do {
            try WorkerThread.start(run)
        } catch {
            run()
        }
    }

    func wait() throws -> T {
        done.lock()
        defer { done.unlock() }
        while result == nil { done.wait() }
        return try result!.get()
    }
}

/// Cuts the live documents' stored text into blocks exactly as a build does (``DocumentBatch``:
/// consecutive documents until their text reaches ``FileLayout/storedBlockTarget``; the last
/// block takes the rest) and compresses them into the table.
private struct StoredTextRegrouper {
    let table: DocumentTable
    /// The open block: raw bytes (varint length + text per document), its first document, its
    /// document count and text bytes.
    private var raw = ByteWriter()
    private var first = 0
    private var count = 0
    private var textBytes = 0

    init(table: DocumentTable) { self.table = table }

    mutating func add(_ segment: SegmentReader, newIDs: [Int32]) throws {
        var next = 0   // the blocks must hold every document once, in order
        for b in 0..<segment.storedBlockCount {
            let documents = segment.storedBlockDocuments(b)
            guard documents.lowerBound == next, documents.upperBound <= newIDs.count else {
                throw IndexError.corrupt("stored-text: block \(b) does not start at document \(next)")
            }
            next = documents.upperBound
            guard newIDs[documents].contains(where: { $0 >= 0 }) else { continue }   // all deleted: not inflated
            let block = try segment.storedBlock(b)
            let end = block.firstDocument + block.documentCount
            // Whether the open block holds exactly this source block's documents so far: then,
            // when the rule closes it at the source block's last document, the raw bytes are the
            // source block's and its compressed bytes are kept instead of compressing again.
            var sameBlock = count == 0
            try block.raw.withUnsafeBytes { buffer in
                var r = ByteReader(IndexBytes(base: buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, count: buffer.count),
                                   range: 0..<buffer.count, context: "stored-text block")
                for d in block.firstDocument..<end {
                    let length = try r.varint(max: r.remaining)
                    let text = try r.bytes(length)
                    let id = newIDs[d]
                    guard id >= 0 else { sameBlock = false; continue }
                    if count == 0 { first = Int(id) }
                    raw.varint(length)
                    raw.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[text]))
                    count += 1
                    textBytes += length
                    if textBytes >= FileLayout.storedBlockTarget {
                        if sameBlock, d == end - 1, raw.count == block.raw.count {
                            try close(compressed: Array(try segment.compressedStoredBlock(b)))
                        } else {
                            try close(compressed: nil)
                        }
                        sameBlock = false
                    }
                }
                guard r.isAtEnd else { throw IndexError.corrupt("stored-text: block \(b) has trailing bytes") }
            }
        }
        guard next == newIDs.count else { throw IndexError.corrupt("stored-text: blocks hold \(next) of \(newIDs.count) documents") }
    }

    /// Closes the open block into the table: `compressed`, or the raw bytes compressed now.
    private mutating func close(compressed: [UInt8]?) throws {
        try table.appendStoredBlock(StoredBlock(firstDocument: first, documentCount: count, rawLength: raw.count,
                                                compressed: try compressed ?? Deflate.compress(raw.bytes)))
        raw.bytes.removeAll(keepingCapacity: true)
        count = 0
        textBytes = 0
    }

    /// Closes the last block.
    mutating func finish() throws {
        if count > 0 { try close(compressed: nil) }
    }
}

/// The terms of several segments merged as a ``TermSource``: the dictionaries walked in step
/// (a k-way merge by term bytes, on the calling thread) into chunks of terms, each term with the
/// dictionary entries of the sources holding it; then, a wave of chunks at a time on `jobs`
/// threads, each term's live postings gathered from its sources in order with their ids
/// renumbered, and encoded. Chunks are handed over in order: the bytes do not depend on `jobs`.
struct MergedTerms: TermSource {
    let segments: [SegmentReader]
    /// Per source: each local document's new id, −1 when deleted.
    let newIDs: [[Int32]]
    /// Threads encoding chunks.
    var jobs = 1

    /// One source's dictionary entry of a term being merged.
    struct Entry {
        var source: Int
        var kind: TokenKind
        var documentFrequency: Int
        var totalFrequency: Int
        var postingsOffset: Int
        var positionsOffset: Int
        /// A bigram that ends a run in the source (so, in the merged segment: a bigram listed
        /// for a deleted document's run is harmless, see FORMAT.md "BigramEnds").
        var endsRun: Bool
    }

    /// Consecutive terms to merge, in dictionary order: their bytes and their sources' entries.
    struct PendingChunk {
        var keys: [UInt8] = []
        var terms: [(key: Range<Int>, entries: Range<Int>)] = []
        var entries: [Entry] = []
        /// Postings of the entries (bounds the chunk's size).
        var postings = 0
    }

    func writeTerms(slotCounts: [Int32], into output: inout TermOutput) throws {
        var gatherer = try Gatherer(segments: segments, newIDs: newIDs)
        let wave = jobs > 1 ? 2 * jobs : 1
        var chunks = try gatherer.next(wave)
        while !chunks.isEmpty {
            guard jobs > 1 else {
                for c in chunks { try output.append(try Self.encode(c, segments: segments, newIDs: newIDs, slotCounts: slotCounts)) }
                chunks = try gatherer.next(wave)
                continue
            }
            // encode this wave on `jobs` threads while this thread gathers the next one
            let job = MergeChunkJob(chunks: chunks, segments: segments, newIDs: newIDs, slotCounts: slotCounts)
            let group = DispatchGroup()
            DispatchQueue.global().async(group: group) {
                DispatchQueue.concurrentPerform(iterations: job.count) { job.run($0) }
            }
            let next = Result { try gatherer.next(wave) }
            group.wait()
            for result in job.take() { try output.append(try result.get()) }
            chunks = try next.get()
        }
    }

    /// The k-way merge of the sources' dictionaries into chunks of terms with their entries.
    struct Gatherer {
        /// Sources with a live document, each with its dictionary iterator on its current term,
        /// that term's ordinal, and the source's run-ending bigrams (ordinals, increasing) with
        /// the index of the first not below it.
        private var heads: [Head] = []
        /// A source's place in the merge. (A struct, not a tuple: an array of tuples holding a
        /// dictionary iterator was copied element by element through the runtime's generic tuple
        /// witnesses, 14% of a merge's instructions.)
        private struct Head {
            let source: Int
            var terms: TermDictionaryReader.Terms
            var ordinal: Int
            let ends: [Int]
            var nextEnd: Int
        }
        /// Positions in `heads` of the sources holding the smallest term.
        private var matching: [Int] = []
        /// The smallest term.
        private var current: [UInt8] = []

        init(segments: [SegmentReader], newIDs: [[Int32]]) throws {
            for (i, segment) in segments.enumerated() where newIDs[i].contains(where: { $0 >= 0 }) {
                var t = try TermDictionaryReader.Terms(index: segment)
                var ends: [Int] = []
                try segment.bigramEnds.forEach { _, ordinals in ends.append(contentsOf: ordinals) }
                ends.sort()
                if try t.next() { heads.append(Head(source: i, terms: t, ordinal: 0, ends: ends, nextEnd: 0)) }
            }
        }

        /// The next chunks (at most `count`; none at the end): ``IndexSerializer/chunkTerms`` terms
        /// each, fewer when their postings add up to 2^20 or at the end.
        mutating func next(_ count: Int) throws -> [PendingChunk] {
            var chunks: [PendingChunk] = []
            var chunk = PendingChunk()
            while !heads.isEmpty, chunks.count < count {
                // the smallest current term, and every head on it (in source order)
                matching.removeAll(keepingCapacity: true)
                matching.append(0)
                for h in 1..<heads.count {
                    let c = MergedTerms.compare(heads[h].terms.term, heads[matching[0]].terms.term)
                    if c < 0 {
                        matching.removeAll(keepingCapacity: true)
                        matching.append(h)
                    } else if c == 0 {
                        matching.append(h)
                    }
                }
                current.removeAll(keepingCapacity: true)
                current.append(contentsOf: heads[matching[0]].terms.term)
                let keyStart = chunk.keys.count, entriesStart = chunk.entries.count
                chunk.keys.append(contentsOf: current)
                for h in matching {
                    // (fields read in place: no copy of the iterator)
                    let ordinal = heads[h].ordinal
                    var nextEnd = heads[h].nextEnd
                    let endsRun = heads[h].ends.withUnsafeBufferPointer { ends in
                        while nextEnd < ends.count, ends[nextEnd] < ordinal { nextEnd += 1 }
                        return nextEnd < ends.count && ends[nextEnd] == ordinal
                    }
                    heads[h].nextEnd = nextEnd
                    let documentFrequency = heads[h].terms.documentFrequency
                    chunk.entries.append(Entry(source: heads[h].source, kind: heads[h].terms.kind, documentFrequency: documentFrequency,
                                               totalFrequency: heads[h].terms.totalFrequency, postingsOffset: heads[h].terms.postingsOffset,
                                               positionsOffset: heads[h].terms.positionsOffset, endsRun: endsRun))
                    chunk.postings += documentFrequency
                }
                chunk.terms.append((keyStart..<chunk.keys.count, entriesStart..<chunk.entries.count))
                if chunk.terms.count >= IndexSerializer.chunkTerms || chunk.postings >= 1 << 20 {
                    chunks.append(chunk)
                    chunk = PendingChunk()
                }
                // advance the heads on the term (each dictionary strictly increasing, else the
                // merged one would not be); drop the exhausted ones
                for h in matching.reversed() {
                    heads[h].ordinal += 1
                    if try !heads[h].terms.next() {
                        heads.remove(at: h)
                    } else if MergedTerms.compare(heads[h].terms.term, current) <= 0 {
                        throw IndexError.corrupt("terms: the dictionary of segment \(heads[h].source) is not sorted")
                    }
                }
            }
            if !chunk.terms.isEmpty { chunks.append(chunk) }
            return chunks
        }
    }

    /// Gathers and encodes the live postings of a chunk's terms; a term without any is left out.
    static func encode(_ chunk: PendingChunk, segments: [SegmentReader], newIDs: [[Int32]], slotCounts: [Int32]) throws -> EncodedChunk {
        var encoded = EncodedChunk()
        encoded.terms.reserveCapacity(chunk.terms.count)
        var encoder = PostingsEncoder()
        var postings = TermPostings()
        // one cursor per source, moved from term to term (its buffers are reused)
        var cursors = segments.map { PostingsCursor(index: $0) }
        for term in chunk.terms {
            postings.removeAll()
            var kind: TokenKind? = nil
            for e in chunk.entries[term.entries] {
                let before = postings.documents.count
                try cursors[e.source].reset(documentFrequency: e.documentFrequency, totalFrequency: e.totalFrequency,
                                            postingsOffset: e.postingsOffset, positionsOffset: e.positionsOffset)
                try newIDs[e.source].withUnsafeBufferPointer { try cursors[e.source].appendPostings(renumberedBy: $0, to: &postings) }
                if kind == nil, postings.documents.count > before { kind = e.kind }
            }
            guard let kind else { continue }
            chunk.keys.withUnsafeBufferPointer { keys in
                encoder.encode(postings, key: UnsafeBufferPointer(rebasing: keys[term.key]), kind: kind,
                               endsRun: chunk.entries[term.entries].contains { $0.endsRun },
                               slotCounts: slotCounts, into: &encoded)
            }
        }
        return encoded
    }

    /// Bytewise comparison: negative, 0 or positive.
    @inline(__always)
    static func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
        a.withUnsafeBytes { x in b.withUnsafeBytes { y in SegmentReader.compareBytes(x, y) } }
    }
}

/// One wave of merge chunks encoded by concurrent workers, each into its own result slot (raw
/// memory, so no Swift array is mutated from several threads); the segments are only read.
private final class MergeChunkJob: @unchecked Sendable {
    private let chunks: [MergedTerms.PendingChunk]
    private let segments: [SegmentReader]
    private let newIDs: [[Int32]]
    private let slotCounts: [Int32]
    private let slots: UnsafeMutablePointer<Result<EncodedChunk, Error>>
    var count: Int { chunks.count }

    init(chunks: [MergedTerms.PendingChunk], segments: [SegmentReader], newIDs: [[Int32]], slotCounts: [Int32]) {
        self.chunks = chunks
        self.segments = segments
        self.newIDs = newIDs
        self.slotCounts = slotCounts
        slots = .allocate(capacity: chunks.count)
    }

    /// Encodes chunk `i` into its slot.
    func run(_ i: Int) {
        (slots + i).initialize(to: Result {
            try MergedTerms.encode(chunks[i], segments: segments, newIDs: newIDs, slotCounts: slotCounts)
        })
    }

    /// The results, once every slot is set (moves them out).
    func take() -> [Result<EncodedChunk, Error>] {
        (0..<chunks.count).map { (slots + $0).move() }
    }

    deinit { slots.deallocate() }
}
