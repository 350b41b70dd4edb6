import SouAnalysis
import SouIndexing

/// One token of a query phrase, resolved against an index.
struct PhraseToken: Sendable {
    /// The term, or the character for a lone CJK character.
    var term: String
    /// Slot relative to the phrase's first token.
    var offset: Int
    /// A lone CJK character: matches the unigram `term`, any bigram starting with it, and, one
    /// slot after it, any bigram ending with it that ends a run.
    var isCharacter: Bool
    /// Per segment of the index, the dictionary entries it matches there (one for a term; the
    /// unigram and bigrams for a character, the bigrams ending with it last, with their
    /// ``TermInfo/characterShift``; none when absent from that segment).
    var infos: SegmentEntries
    /// Number of live documents containing the token (for a character: containing the
    /// character), over all segments.
    var documentFrequency: Int
    /// BM25 idf from ``documentFrequency``.
    var idf: Double
}

/// A token's dictionary entries in each segment of an index, in one flat list (one array for all
/// segments, not one per segment: a query over many segments makes and frees these per token).
struct SegmentEntries: Sendable {
    /// The entries of segment s are `entries[ends[s - 1]..<ends[s]]` (from 0 for s = 0).
    private(set) var entries: [TermInfo] = []
    private var ends: [Int] = []

    init(capacity segments: Int) {
        entries.reserveCapacity(segments)
        ends.reserveCapacity(segments)
    }

    /// Adds the next segment's entries.
    mutating func append<S: Sequence>(segment infos: S) where S.Element == TermInfo {
        entries.append(contentsOf: infos)
        ends.append(entries.count)
    }

    /// Adds the next segment's entry, if any.
    /// (`consuming`: the look-up's result moves into the array, not a copy of it and then its
    /// release, per query term and segment)
    mutating func append(segment info: consuming TermInfo?) {
        if let info = consume info { entries.append(info) }
        ends.append(entries.count)
    }

    /// Adds `key`'s entry in every segment of `index` (none where it is absent), in order.
    mutating func lookUp(_ key: TermKey, in index: IndexReader) throws {
        // (by index: a `for segment in` copy of each SegmentView retains and releases its parts)
        for s in index.segments.indices { append(segment: try index.segments[s].reader.termInfo(key)) }
    }

    /// Whether segment s has no entry (without making its slice).
    func isEmpty(segment s: Int) -> Bool {
        ends[s] == (s == 0 ? 0 : ends[s - 1])
    }

    /// Segment s's entries.
    subscript(s: Int) -> ArraySlice<TermInfo> {
        entries[(s == 0 ? 0 : ends[s - 1])..<ends[s]]
    }

    /// Number of segments.
    var count: Int { ends.count }
}

/// A phrase clause compiled against an index: its tokens at their relative slots.
struct PhraseClause: Sendable {
    /// The clause text as written.
    var text: String
    var tokens: [PhraseToken]
    /// Sum of the tokens' idf (the phrase scores as one unit).
    var idf: Double
    /// The distinct tokens (a phrase of n identical bigrams reads the term's postings once, not
    /// n times): the index of each one's first token, and its offsets in the phrase cut into
    /// progressions (``PhraseStarts``). The same in every segment, so computed once.
    private var groupTokens: [Int] = []
    private var groupProgressions: [[PhraseStarts.Progression]] = []
    /// The group of each token.
    private var tokenGroups: [Int] = []
    /// Bit t set: token t is a two-character term between two others, one slot before and one
    /// after it, that share its first and its second character (bigrams of one CJK run of the
    /// phrase, when the segment's dictionary says they are bigrams): a token the others may
    /// cover (``dropCoveredGroups(in:infos:order:frequencies:)``). Phrases of up to 64 tokens.
    private var middleTokens: UInt64 = 0

    /// Analyzes `text` and looks its terms up. Throws ``QueryError`` when the text has no token.
    init(text: String, sourcePosition: Int?, analyzer: Analyzer, index: IndexReader, bm25: BM25) throws {
        let analyzed = try analyzer.analyze(text)
        guard let first = analyzed.first else {
            throw QueryError(.noSearchableText(text), at: sourcePosition)
        }
        var tokens: [PhraseToken] = []
        tokens.reserveCapacity(analyzed.count)
        for token in analyzed {
            let isCharacter = token.kind == .unigram
            // (bytes and filter hash computed once for all segments)
            let key = isCharacter ? nil : TermKey(token.term)
            var infos = SegmentEntries(capacity: index.segments.count)
            // (the key unwrapped once: a look-up per segment through the optional copied it, its
            // String and bytes retained and released, each time)
            if let key {
                try infos.lookUp(key, in: index)
            } else {
                for s in index.segments.indices {
                    let reader = index.segments[s].reader
                    let starting = try reader.terms(withPrefix: token.term).filter { $0.term.count <= token.term.count + 1 }
                    let ending = try token.term.unicodeScalars.first.map(reader.bigramsEnding(with:)) ?? []
                    infos.append(segment: starting + ending)
                }
            }
            tokens.append(PhraseToken(term: token.term, offset: token.position - first.position,
                                      isCharacter: isCharacter, infos: infos, documentFrequency: 0, idf: 0))
        }
        try self.init(text: text, tokens: tokens, index: index, bm25: bm25)
    }

    /// A clause of one term of the index (a word a prefix query expanded to), unanalyzed.
    init(term: String, index: IndexReader, bm25: BM25) throws {
        let key = TermKey(term)
        var infos = SegmentEntries(capacity: index.segments.count)
        try infos.lookUp(key, in: index)
        try self.init(text: term, tokens: [PhraseToken(term: term, offset: 0, isCharacter: false, infos: infos,
                                                       documentFrequency: 0, idf: 0)],
                      index: index, bm25: bm25)
    }

    /// Computes the tokens' live document frequencies and idf (a clause of one token's once
    /// matched: ``documentFrequencyFromMatches``).
    private init(text: String, tokens: [PhraseToken], index: IndexReader, bm25: BM25) throws {
        self.text = text
        var tokens = tokens
        let n = index.documentCount
        let anyMissing = tokens.contains { token in token.infos.entries.isEmpty }
        documentFrequencyFromMatches = tokens.count == 1
        // Document frequencies over the live documents (exact: a character's is the number of
        // documents containing it; a segment's deleted documents are not counted).
        for i in tokens.indices where !documentFrequencyFromMatches {
            var df = 0
            for s in index.segments.indices {
                let infos = tokens[i].infos[s]
                if infos.isEmpty { continue }
                if infos.count == 1, index.segments[s].deletions.isEmpty {
                    df += infos[infos.startIndex].documentFrequency
                } else if anyMissing {
                    df += infos.map(\.documentFrequency).max() ?? 0   // no match anyway
                } else {
                    df += try Self.countDocuments(infos, in: index.segments[s])
                }
            }
            tokens[i].documentFrequency = df
            tokens[i].idf = bm25.idf(documentFrequency: df, documentCount: n)
        }
        self.tokens = tokens
        self.idf = tokens.reduce(0) { $0 + $1.idf }
        self.cannotMatch = anyMissing
        // tokens of the same term (and kind) form one group: a short phrase compares with the
        // groups' first tokens (no hashing of every term per query), a long one looks up a table
        var groupOffsets: [[Int]] = []
        // (terms compared by their bytes, as the dictionary looks them up: String's `==` and
        // hashing go through Unicode normalization, far slower on CJK text)
        var groupOf: [[UInt8]: Int] = [:]
        let short = tokens.count <= 16
        for (t, token) in tokens.enumerated() {
            let key: [UInt8] = short ? [] : [token.isCharacter ? 1 : 0] + Array(token.term.utf8)
            let found = short ? groupTokens.firstIndex { tokens[$0].isCharacter == token.isCharacter && tokens[$0].term.utf8.elementsEqual(token.term.utf8) }
                : groupOf[key]
            if let g = found {
                groupOffsets[g].append(token.offset)
                tokenGroups.append(g)
            } else {
                tokenGroups.append(groupTokens.count)
                if !short { groupOf[key] = groupTokens.count }
                groupTokens.append(t)
                groupOffsets.append([token.offset])
            }
        }
        groupProgressions = groupOffsets.map { PhraseStarts.progressions($0) }
        if tokens.count >= 3, tokens.count <= 64 {
            func twoScalars(_ t: Int) -> (Unicode.Scalar, Unicode.Scalar)? {
                guard !tokens[t].isCharacter else { return nil }
                var scalars = tokens[t].term.unicodeScalars.makeIterator()
                guard let a = scalars.next(), let b = scalars.next(), scalars.next() == nil else { return nil }
                return (a, b)
            }
            for t in 1..<(tokens.count - 1) where tokens[t - 1].offset == tokens[t].offset - 1 && tokens[t + 1].offset == tokens[t].offset + 1 {
                guard let before = twoScalars(t - 1), let this = twoScalars(t), let after = twoScalars(t + 1),
                      before.1 == this.0, this.1 == after.0 else { continue }
                middleTokens |= 1 << UInt64(t)
            }
        }
        if middleTokens == 0 { tokenGroups = [] }   // (read only with a middle token)
    }

    /// True when some token is absent from the index (the phrase matches nothing).
    let cannotMatch: Bool

    /// A clause of one token: its document frequency (the live documents containing the token)
    /// is the number of documents it matches, counted when it is matched
    /// (``settleDocumentFrequency(matchedDocuments:documentCount:bm25:)``) instead of by a first
    /// pass over its postings: for a lone character those of its unigram and of every bigram
    /// starting with it, for a term in a segment with deletions its own (either decoded twice).
    /// Until then its ``idf`` is 0; such a clause is not ranked while matched.
    let documentFrequencyFromMatches: Bool

    /// For a clause whose ``documentFrequencyFromMatches``: sets its token's document frequency
    /// to `matchedDocuments` (the live documents ``matches(in:pruner:)`` returned) and the idf
    /// that follows.
    mutating func settleDocumentFrequency(matchedDocuments n: Int, documentCount: Int, bm25: BM25) {
        precondition(documentFrequencyFromMatches, "a clause whose document frequency was counted up front")
        tokens[0].documentFrequency = n
        tokens[0].idf = bm25.idf(documentFrequency: n, documentCount: documentCount)
        idf = tokens[0].idf
    }

    /// Number of distinct live documents in the union of `infos`' postings in `segment`.
    static func countDocuments(_ infos: ArraySlice<TermInfo>, in segment: SegmentView) throws -> Int {
        let index = segment.reader
        let deletions = segment.deletions
        if infos.count == 1 {
            let info = infos[infos.startIndex]
            var cursor = try index.postings(info)
            var count = 0
            if deletions.count <= 4 * info.documentFrequency {
                // the term's documents less the deleted ones it holds, found by advancing to each:
                // skip entries jump over the blocks between them, so this decodes at most the
                // blocks a pass over every document would (and far fewer when deletions are few)
                count = info.documentFrequency
                for d in deletions.members {
                    guard let at = try cursor.advance(to: d) else { break }
                    if at == d { count -= 1 }
                }
                return count
            }
            while let d = try cursor.next() {
                if !deletions.contains(d) { count += 1 }
            }
            return count
        }
        var seen = [UInt64](repeating: 0, count: (index.documentCount + 63) / 64)
        var count = 0
        for info in infos {
            var cursor = try index.postings(info)
            while let d = try cursor.next() {
                guard d >= 0, d < index.documentCount else { throw IndexError.corrupt("postings of \(info.term): document \(d) out of range") }
                let bit = UInt64(1) << UInt64(d & 63)
                if seen[d >> 6] & bit == 0 {
                    seen[d >> 6] |= bit
                    if !deletions.contains(d) { count += 1 }
                }
            }
        }
        return count
    }

    /// The matching live documents (global numbers, increasing), with the phrase's occurrences
    /// in each: the segments' matches, one after the other, appended straight to one pair of
    /// lists, with one set of scratch buffers for all segments.
    func matches(in index: IndexReader) throws -> (documents: [Int], frequencies: [Int]) {
        try matches(in: index, pruner: nil)
    }

    /// True when every token is a term (no lone character) at one offset of the phrase, and
    /// there are several: then a document's phrase can be checked for existence alone (the
    /// first start found), as ``matches(in:pruner:)`` does for documents that cannot rank.
    var checksExistence: Bool {
        tokens.count > 1 && !tokens.contains(where: \.isCharacter) && groupProgressions.allSatisfy { $0.count == 1 && $0[0].length == 1 }
    }

    /// ``matches(in:)``, ranking as it goes when `pruner` is given (only for a clause that
    /// ``checksExistence``): a document whose score, at the most occurrences its terms allow,
    /// could not enter `pruner`'s best is only checked for one occurrence (its frequency is
    /// then given as 1); every other matching live document is scored into `pruner` with its
    /// exact frequency. The documents are the same either way (the total is exact); so are the
    /// best hits and their scores and frequencies.
    func matches(in index: IndexReader, pruner: TopPruner?) throws -> (documents: [Int], frequencies: [Int]) {
        precondition(pruner == nil || checksExistence, "a pruner for a clause that cannot check existence alone")
        if cannotMatch { return ([], []) }
        var out = Matches()
        if tokens.count == 1, !tokens[0].isCharacter {
            // a term's documents: at most its document frequencies (reserved once, not per segment)
            let n = tokens[0].infos.entries.reduce(0) { $0 + $1.documentFrequency }
            out.documents.reserveCapacity(n)
            out.frequencies.reserveCapacity(n)
        } else if tokens.count > 1, !tokens.contains(where: \.isCharacter) {
            // a phrase's documents: at most its rarest term's (reserved once, not grown by doubling)
            let n = tokens.map { $0.infos.entries.reduce(0) { $0 + $1.documentFrequency } }.min() ?? 0
            out.documents.reserveCapacity(n)
            out.frequencies.reserveCapacity(n)
        }
        if tokens.count == 1 {
            // one cursor for every segment, reset to the token's entries in each (its buffers
            // kept); a local, not an optional in Scratch, which costs a one-segment index more
            // than the allocation it saves (measured: +0.4–0.9% instructions of a query batch)
            guard let first = index.segments.first else { return ([], []) }
            var cursor = PostingsCursor(idleIn: first.reader)
            for s in index.segments.indices where !tokens[0].infos.isEmpty(segment: s) {
                let deletions = index.segments[s].deletions   // (fields read one by one, as below)
                try appendSingleTokenMatches(tokens[0].infos[s], in: index.segments[s].reader, base: index.segments[s].base,
                                             deletions: deletions.isEmpty ? nil : deletions, to: &out, cursor: &cursor)
            }
            return (out.documents, out.frequencies)
        }
        var scratch = Scratch()
        var work = 0
        // (the closure below takes the tokens alone: one that reads `tokens` from self holds a
        // copy of the whole clause, retained and released once per segment)
        let tokens = self.tokens
        for s in index.segments.indices {
            if tokens.contains(where: { $0.infos.isEmpty(segment: s) }) { continue }
            // (the view's fields read one by one: a copy of the whole SegmentView retained and
            // released all its parts, once per phrase and segment)
            let deletions = index.segments[s].deletions
            try appendMatches(in: index.segments[s].reader, infos: { tokens[$0].infos[s] }, base: index.segments[s].base,
                              deletions: deletions.isEmpty ? nil : deletions,
                              to: &out, scratch: &scratch, work: &work, pruner: pruner)
        }
        return (out.documents, out.frequencies)
    }

    /// The matching documents of one segment (local numbers, deleted ones included), with the
    /// phrase's occurrences in each; `infos` are the tokens' entries in that segment.
    func matches(in index: SegmentReader, infos: [ArraySlice<TermInfo>]) throws -> (documents: [Int], frequencies: [Int]) {
        var work = 0
        return try matches(in: index, infos: infos, work: &work)
    }

    /// ``matches(in:infos:)``, adding to `work` the positions read and the slots compared (linear
    /// in the positions of the phrase's distinct terms in the documents holding them all).
    func matches(in index: SegmentReader, infos: [ArraySlice<TermInfo>], work: inout Int) throws -> (documents: [Int], frequencies: [Int]) {
        var out = Matches()
        var scratch = Scratch()
        try appendMatches(in: index, infos: { infos[$0] }, base: 0, deletions: nil, to: &out, scratch: &scratch, work: &work)
        return (out.documents, out.frequencies)
    }

    /// Matching documents with the phrase's occurrences in each.
    struct Matches {
        var documents: [Int] = []
        var frequencies: [Int] = []

        /// Appends local document `d` of a segment starting at global `base` unless `deletions` holds it.
        @inline(__always)
        mutating func append(_ d: Int, _ frequency: Int, base: Int, deletions: DeletionSet?) {
            if let deletions, deletions.contains(d) { return }
            documents.append(base + d)
            frequencies.append(frequency)
        }
    }

    /// Buffers reused from document to document and from segment to segment: no allocation per
    /// document or per segment once grown.
    struct Scratch {
        let candidates = PositionList()     // phrase starts p still possible
        let list = PositionList()
        let scratch = PositionList()
        var chains: [Int32] = []
        /// The distinct tokens in leapfrog order (indices into the groups), and their cursors.
        var order: [Int] = []
        var frequencies: [Int] = []
        /// Cursors of the distinct tokens (the first ones are the current segment's; those of an
        /// earlier segment are reset to the next one's terms, keeping their buffers).
        var cursors: [TokenCursor] = []
        /// The existence check's offsets and walk (``PhraseClause/phraseExists(_:walk:work:)``).
        var walk: [Int] = []
    }

    /// Appends to `out` the matching documents of one segment as global numbers (`base` + local),
    /// leaving out those `deletions` holds; `infos` are the tokens' entries in that segment.
    /// `infos(t)`: token t's entries in that segment.
    func appendMatches(in index: SegmentReader, infos: (Int) -> ArraySlice<TermInfo>, base: Int, deletions: DeletionSet?,
                       to out: inout Matches, scratch buffers: inout Scratch, work: inout Int, pruner: TopPruner? = nil) throws {
        if tokens.count == 1 {
            var cursor = PostingsCursor(idleIn: index)
            return try appendSingleTokenMatches(infos(0), in: index, base: base, deletions: deletions, to: &out, cursor: &cursor)
        }

        // One cursor per distinct token (group g: token groupTokens[g]), with the token's offsets
        // in the phrase as progressions. Leapfrog over the distinct tokens' cursors, the rarest
        // first, then check the slots. The order and cursors live in `buffers` (reused from
        // segment to segment, as the cursors' decoding buffers are).
        buffers.order.removeAll(keepingCapacity: true)
        buffers.order.append(contentsOf: groupTokens.indices)
        if buffers.order.count > 1 {
            buffers.frequencies.removeAll(keepingCapacity: true)
            for g in groupTokens.indices { buffers.frequencies.append(infos(groupTokens[g]).reduce(0) { $0 + $1.documentFrequency }) }
            // rarest first, ties by group: an insertion sort (a phrase has a few groups; the
            // library's sort with a closure cost ~140 instructions per segment for 2 or 3)
            let f = buffers.frequencies
            buffers.order.withUnsafeMutableBufferPointer { order in
                for i in 1..<order.count {
                    let g = order[i]
                    var j = i
                    while j > 0, f[order[j - 1]] > f[g] || (f[order[j - 1]] == f[g] && order[j - 1] > g) {
                        order[j] = order[j - 1]
                        j -= 1
                    }
                    order[j] = g
                }
            }
        }
        if middleTokens != 0, buffers.order.count > 2 {
            try dropCoveredGroups(in: index, infos: infos, order: &buffers.order, frequencies: buffers.frequencies)
        }
        let order = buffers.order
        // cursors[i] for order[i]: an earlier segment's cursors are reset in place (they keep
        // their buffers), new ones are made when this phrase needs more
        var cursors: [TokenCursor] = []
        swap(&cursors, &buffers.cursors)
        defer { swap(&cursors, &buffers.cursors) }
        cursors.reserveCapacity(order.count)
        for (i, g) in order.enumerated() {
            if i < cursors.count {
                try cursors[i].reset(infos(groupTokens[g]), in: index)
            } else {
                cursors.append(try TokenCursor(infos(groupTokens[g]), in: index))
            }
        }
        let n = order.count
        // the reused lists and the tokens' progressions in cursor order, taken once per segment
        // (read inside the loop below, each was retained and released once per matching document)
        let list = buffers.list, candidates = buffers.candidates, scratch = buffers.scratch
        let progressions = order.map { groupProgressions[$0] }
        if pruner != nil {
            // for existence checks: the tokens' offsets in this segment's cursor order, and
            // room for the walk's state
            // (phraseExists sets the rest of the walk's state itself: only the size is kept)
            if buffers.walk.count != 3 * n {
                buffers.walk.removeAll(keepingCapacity: true)
                buffers.walk.append(contentsOf: repeatElement(0, count: 3 * n))
            }
            for i in 0..<n { buffers.walk[i] = progressions[i][0].offset }
        }
        // The cursors are used through a buffer pointer from here on: an array element's
        // computed property (``TokenCursor/termFrequency``) read through the array's subscript
        // copies the whole cursor first, once per read. Bounds: every index below is < n, the
        // buffer's count (one cursor per distinct token read in this segment; an earlier
        // segment that left fewer groups unread made more, kept after these for a later one).
        try cursors.withUnsafeMutableBufferPointer { all in
            precondition(all.count >= n)
            let cursors = UnsafeMutableBufferPointer(rebasing: all[0..<n])
            var target = 0
            search: while true {
                guard let lead = try cursors[0].advance(to: target) else { break }
                var agreed = true
                for i in 1..<n {
                    guard let d = try cursors[i].advance(to: lead) else { break search }
                    if d > lead { target = d; agreed = false; break }
                }
                guard agreed else { continue }
                target = lead + 1
                if let pruner {
                    // at most as many occurrences as the token with the fewest here has slots
                    var bound = Int.max
                    for i in 0..<n { bound = min(bound, cursors[i].termFrequency) }
                    if try !pruner.mayEnter(base + lead, frequencyAtMost: bound) {
                        if try Self.phraseExists(cursors, walk: &buffers.walk, work: &work) {
                            out.append(lead, 1, base: base, deletions: deletions)
                        }
                        continue
                    }
                }
                // Check slots, the token with the fewest occurrences here first, then the others
                // rarest first; stop decoding positions as soon as no phrase start is left.
                var first = 0, fewest = Int.max
                for i in 0..<n {
                    let f = cursors[i].termFrequency
                    if f < fewest { fewest = f; first = i }
                }
                try cursors[first].positions(into: list, scratch: scratch)
                work += list.count
                let firstOffset = progressions[first][0].offset
                candidates.removeAll()
                candidates.append(count: list.count) { out in
                    for (k, p) in list.values.enumerated() { out[k] = p - firstOffset }
                }
                PhraseStarts.keepStarts(candidates, matching: list, progressions: progressions[first],
                                        chains: &buffers.chains, work: &work)
                for i in 0..<n where i != first {
                    if candidates.isEmpty { break }
                    try cursors[i].positions(into: list, scratch: scratch)
                    work += list.count
                    PhraseStarts.keepStarts(candidates, matching: list, progressions: progressions[i],
                                            chains: &buffers.chains, work: &work)
                }
                if !candidates.isEmpty {
                    out.append(lead, candidates.count, base: base, deletions: deletions)
                    if let pruner, deletions?.contains(lead) != true { try pruner.insert(base + lead, frequency: candidates.count) }
                }
            }
        }
    }

    /// Takes out of `order` (groups, rarest first) the groups whose every token the others cover
    /// in this segment: a bigram b of a CJK run of the phrase between the bigrams a (one slot
    /// before) and c (one slot after), where a ends no run anywhere in the segment
    /// (``SegmentReader/endsRun(_:)``). Then wherever a stands at slot p and c at p + 2, a bigram
    /// of a's run stands at p + 1 (a's second character is not its run's last), and it starts
    /// with the character c starts with at p + 2, its second: that bigram is b. So the phrase
    /// matches at the same starts with b's positions unread, and its documents, counts and
    /// scores are the same (b's idf still counts: it is the clause's, not the segment's).
    /// A dropped token's neighbours are kept, and so is the rarest group (the leapfrog's lead:
    /// without it, a more frequent one would lead); the most frequent tokens go first (they
    /// cost the most to decode), and only those with 128 occurrences or more in the segment:
    /// reading a rarer one costs about what asking BigramEnds does, and it filters documents
    /// cheaply. Instructions of the 200-query batches against the same code reading every token
    /// (d48fc1c): manpages-ja −8.5%, manpages-zh −4.2%, debref-ja −5.0%, fortunes-zh −1.9%,
    /// gimp-ko −0.2% (dropping every such token whatever its count: fortunes-zh +0.4%; only
    /// those twice as frequent as the lead: manpages-ja −5.9%).
    private func dropCoveredGroups(in index: SegmentReader, infos: (Int) -> ArraySlice<TermInfo>, order: inout [Int],
                                   frequencies: [Int]) throws {
        let lead = order[0]
        // whether a token's entries in this segment are one bigram (read in place: no copy of a
        // TermInfo, whose term a copy retains)
        func isBigram(_ entries: ArraySlice<TermInfo>) -> Bool {
            entries.count == 1 && entries[entries.startIndex].kind == .bigram && entries[entries.startIndex].characterShift == 0
        }
        var candidates: UInt64 = 0   // tokens that may go
        var rest = middleTokens
        while rest != 0 {
            let t = rest.trailingZeroBitCount
            rest &= rest &- 1
            let this = infos(t)
            guard tokenGroups[t] != lead, isBigram(this), this[this.startIndex].totalTermFrequency >= 128 else { continue }
            let before = infos(t - 1)
            guard isBigram(before), isBigram(infos(t + 1)), try !index.endsRun(before[before.startIndex]) else { continue }
            candidates |= 1 << UInt64(t)
        }
        guard candidates != 0 else { return }
        // the most frequent candidate first, while its neighbours are kept
        var dropped: UInt64 = 0
        while candidates != 0 {
            var best = -1
            var c = candidates
            while c != 0 {
                let t = c.trailingZeroBitCount
                c &= c &- 1
                if best < 0 || frequencies[tokenGroups[t]] > frequencies[tokenGroups[best]] { best = t }
            }
            dropped |= 1 << UInt64(best)
            // its neighbours stay (they cover it)
            candidates &= ~(UInt64(7) << UInt64(best - 1))
        }
        // a group goes when all its tokens do
        var kept: UInt64 = 0   // groups (by index, up to 64) with a token not dropped
        for t in tokenGroups.indices where dropped & (1 << UInt64(t)) == 0 { kept |= 1 << UInt64(tokenGroups[t]) }
        order.removeAll { kept & (1 << UInt64($0)) == 0 }
    }

    /// Whether the current document holds the phrase once: a leapfrog over the tokens' slots
    /// (token i at `offsets(i)` of the phrase, one offset each, single terms), walking each
    /// token's positions one at a time and stopping at the first start they all agree on.
    /// `work` counts the positions read.
    /// `walk`: 3n values, the tokens' offsets first (kept), then scratch for the walk.
    static func phraseExists(_ cursors: UnsafeMutableBufferPointer<TokenCursor>, walk: inout [Int], work: inout Int) throws -> Bool {
        let n = cursors.count
        precondition(walk.count == 3 * n)
        // walk[0..<n]: offsets; walk[n + i]: index k of token i's current slot; walk[2n + i]: the slot
        // (bounds: i < n and walk has 3n values, checked above)
        return try walk.withUnsafeMutableBufferPointer { walk in
            for i in 0..<n {
                walk[n + i] = 0
                walk[2 * n + i] = try cursors[i].position(0, after: 0)
            }
            work += n
            var start = walk[2 * n] - walk[0]
            while true {
                var agreed = true
                for i in 0..<n {
                    let want = start + walk[i]
                    if walk[2 * n + i] < want {
                        let frequency = cursors[i].termFrequency
                        repeat {
                            walk[n + i] += 1
                            if walk[n + i] == frequency { return false }
                            walk[2 * n + i] = try cursors[i].position(walk[n + i], after: walk[2 * n + i])
                            work += 1
                        } while walk[2 * n + i] < want
                    }
                    if walk[2 * n + i] > want {
                        start = walk[2 * n + i] - walk[i]   // larger than before: the walk only moves forward
                        agreed = false
                        break
                    }
                }
                if agreed { return true }
            }
        }
    }

    /// `cursor`: reset to each entry (a query over many segments passes the same one for all).
    private func appendSingleTokenMatches(_ infos: ArraySlice<TermInfo>, in index: SegmentReader, base: Int, deletions: DeletionSet?,
                                          to out: inout Matches, cursor: inout PostingsCursor) throws {
        if infos.count == 1 {
            try cursor.reset(to: infos[infos.startIndex], in: index)
            if let deletions {
                try cursor.forEachDocument { d, f in out.append(d, f, base: base, deletions: deletions) }
            } else {
                // room for every document of the term first, then filled in place (no append
                // per document)
                let start = out.documents.count, n = cursor.documentFrequency
                out.documents.append(contentsOf: repeatElement(0, count: n))
                out.frequencies.append(contentsOf: repeatElement(0, count: n))
                var k = start
                try out.documents.withUnsafeMutableBufferPointer { documents in
                    try out.frequencies.withUnsafeMutableBufferPointer { frequencies in
                        try cursor.forEachDocument { d, f in
                            // the cursor gives documentFrequency documents (bounds: k < start + n)
                            guard k < documents.count else {
                                throw IndexError.corrupt("postings: more documents than the term's document frequency")
                            }
                            documents[k] = base + d
                            frequencies[k] = f
                            k += 1
                        }
                    }
                }
                guard k == start + n else { throw IndexError.corrupt("postings: fewer documents than the term's document frequency") }
            }
            return
        }
        // A character: add up the occurrences of its unigram and of the bigrams starting or
        // ending with it per document. Inside a run the character is the second of one bigram
        // and the first of the next, so where both kinds are in a document, the slots the
        // bigrams ending with it give it (one after theirs) are kept, and looked up for each slot
        // the others give: one found is counted once. Those ending with it come last in `infos`,
        // and are read first. A document's kept slots become bits (one word per 64 slots, up to
        // the largest kept) where that is at most 64 words and 8 a slot, else stay a sorted
        // list searched: memory follows the occurrences read, never a slot count or a
        // position alone, which a damaged file could make huge.
        var counts = [Int32](repeating: 0, count: index.documentCount)
        var documents: [Int] = []
        var ends = [Int32](repeating: -1, count: index.documentCount)   // a document's entry in `kept`
        var kept: [(slots: [Int32], first: Int, words: Int)] = []       // sorted slots, or bits[first..<first + words]
        var bits: [UInt64] = []
        let list = PositionList(capacity: 64)
        let ending = infos.firstIndex { $0.characterShift != 0 } ?? infos.endIndex
        for (k, info) in zip(0..., infos[ending...] + infos[..<ending]) {
            if k == infos.endIndex - ending {   // (indices of a slice: one segment's entries)
                // every ending bigram read: each document's slots as bits where dense (set in any
                // order), else sorted
                for i in kept.indices {
                    let last = Int(kept[i].slots.max()!), n = kept[i].slots.count
                    guard last / 64 < 8 * n + 64 else {   // at most 64 + 8 words a slot
                        kept[i].slots.sort()
                        continue
                    }
                    let first = bits.count, slots = kept[i].slots
                    kept[i].first = first
                    kept[i].words = last / 64 + 1
                    bits.append(contentsOf: repeatElement(0, count: kept[i].words))
                    // in bounds: every slot q is in 0...last (checked when kept), so first + q / 64
                    // < first + words = bits.count
                    bits.withUnsafeMutableBufferPointer { b in
                        for q in slots { b[first + Int(q) / 64] |= 1 << UInt64(q & 63) }
                    }
                    kept[i].slots = []
                }
            }
            let shift = info.characterShift
            try cursor.reset(to: info, in: index)
            while let d = try cursor.next() {
                guard d >= 0, d < counts.count else { throw IndexError.corrupt("postings of \(info.term): document \(d) out of range") }
                if counts[d] == 0 { documents.append(d) }
                counts[d] &+= Int32(truncatingIfNeeded: cursor.termFrequency)
                if shift == 0, ends[d] < 0 { continue }
                // the character's slots here: kept (ending bigrams), or looked up (the others)
                try cursor.positions(into: list)
                if shift != 0 {
                    if ends[d] < 0 {
                        ends[d] = Int32(truncatingIfNeeded: kept.count)
                        kept.append(([], 0, 0))
                    }
                    let i = Int(ends[d])
                    let values = list.values
                    for p in values where p < 0 || p + shift >= Int(Int32.max) {
                        throw IndexError.corrupt("positions of \(info.term): slot \(p) out of range")
                    }
                    // (checked above: each fits) appended to the list taken out of `kept` meanwhile
                    var slots: [Int32] = []
                    swap(&slots, &kept[i].slots)
                    for p in values { slots.append(Int32(truncatingIfNeeded: p + shift)) }
                    swap(&slots, &kept[i].slots)
                    continue
                }
                let e = kept[Int(ends[d])]
                if e.words > 0 {
                    for p in list.values where p / 64 < e.words && bits[e.first + p / 64] & (1 << UInt64(p & 63)) != 0 {
                        counts[d] &-= 1   // counted from a bigram ending with it
                    }
                } else {
                    var lo = 0   // the positions increase: so does the first kept slot ≥ each
                    for p in list.values {
                        var hi = e.slots.count
                        while lo < hi {
                            let mid = (lo + hi) / 2
                            if Int(e.slots[mid]) < p { lo = mid + 1 } else { hi = mid }
                        }
                        if lo < e.slots.count, Int(e.slots[lo]) == p { counts[d] &-= 1 }
                    }
                }
            }
        }
        documents.sort()
        for d in documents { out.append(d, Int(counts[d]), base: base, deletions: deletions) }
    }
}

/// The best hits of a one-clause query, scored while the clause is matched
/// (``PhraseClause/matches(in:pruner:)``): says which documents could still enter them.
final class TopPruner {
    /// (no dynamic exclusivity check per insert: only this class mutates it, and a pruner serves
    /// one search on one thread, so no access to it overlaps another)
    @exclusivity(unchecked) private(set) var top: TopHits
    let idf: Double
    let bm25: BM25
    let averageDocumentLength: Double
    let index: IndexReader

    /// `k1 · (1 − b)`: the least length normalization BM25 applies (a document of length 0).
    private let leastNorm: Double
    /// `k1 · b` and `1 / avgdl`: BM25's length normalization without its division
    /// (``approximateNorm(_:)``), for the rejection test alone.
    private let lengthWeight: Double, inverseAverage: Double
    /// True when idf > 0 (scores are positive) and avgdl > 0 (BM25 divides by it): then the
    /// division-free rejection test holds; else every document goes through the exact one.
    private let rejectsWithoutDivision: Bool
    /// The lengths of a one-segment index, read in place (no call per document); nil with several
    /// segments (then ``lengths`` and ``bases``).
    private let single: DocumentColumn?
    /// The segments' lengths, read in place, and where each segment's documents start (global
    /// numbers); the segment of the last document read, where the next one mostly is (documents
    /// come in increasing order).
    private let lengths: [DocumentColumn], bases: [Int]
    @exclusivity(unchecked) private var lastSegment = 0

    init(top: TopHits, idf: Double, bm25: BM25, averageDocumentLength: Double, index: IndexReader) {
        self.top = top
        self.idf = idf
        self.bm25 = bm25
        self.averageDocumentLength = averageDocumentLength
        self.index = index
        leastNorm = bm25.k1 * (1 - bm25.b)
        lengthWeight = bm25.k1 * bm25.b
        inverseAverage = averageDocumentLength > 0 ? 1 / averageDocumentLength : 0
        rejectsWithoutDivision = idf > 0 && idf.isFinite && averageDocumentLength > 0
        // (no arrays for one segment: a pruner is made per query)
        let several = index.segments.count > 1
        single = several || index.segments.isEmpty ? nil : index.lengthColumn(segment: 0)
        lengths = several ? index.segments.indices.map { index.lengthColumn(segment: $0) } : []
        bases = several ? index.segments.map(\.base) : []
    }

    /// The relative margin of the division-free tests: far above their rounding (a few units in
    /// the last place, ~1e-16) and above the 1e-9 of ``stays(_:below:)``, so that a document they
    /// reject is one the exact test rejects too (the exact test decides the others).
    private static let margin = 1e-7

    /// True when a document with `f` occurrences and normalization `norm` (at most its
    /// `k1 · (1 − b + b · dl / avgdl)`, up to rounding) scores below `entry` by the margin:
    /// `idf · f · (1 + margin) < entry · (f + norm)`, BM25's `idf · f / (f + norm) < entry`
    /// without its division. Then its exact score `s` has `s · (1 + margin) < entry`, so `s`
    /// stays below `entry` as ``stays(_:below:)`` asks. Only for a positive idf (scores ≥ 0).
    @inline(__always)
    private func rejects(_ entry: Double, frequency f: Int, norm: Double) -> Bool {
        let ff = Double(f)
        return idf * ff * (1 + Self.margin) < entry * (ff + norm)
    }

    /// `k1 · (1 − b + b · dl / avgdl)` with the division replaced by a product with `1 / avgdl`:
    /// within a few units in the last place of BM25's (for the rejection test alone).
    @inline(__always)
    private func approximateNorm(_ dl: Int) -> Double {
        leastNorm + lengthWeight * (Double(dl) * inverseAverage)
    }

    /// True when a document with `f` occurrences scores below `entry` whatever its length: its
    /// score is at most `idf · f / (f + k1 · (1 − b))` (BM25 at length 0; the normalization
    /// `k1 · (1 − b + b · dl / avgdl)`, or `k1` when avgdl is 0, is never smaller), and that bound,
    /// with a margin far above rounding, is below `entry`. Then no document length is read.
    @inline(__always)
    private func below(_ entry: Double, frequency f: Int) -> Bool {
        if rejectsWithoutDivision { return rejects(entry, frequency: f, norm: leastNorm) }
        let ff = Double(f)
        return Self.stays(idf * ff / (ff + leastNorm), below: entry)
    }

    /// True when a score of at most `most` stays below `entry` by a margin far above rounding
    /// (a score that rounding could bring to a tie is kept).
    @inline(__always)
    private static func stays(_ most: Double, below entry: Double) -> Bool { most + abs(most) * 1e-9 < entry }

    /// The length of document `d` (global number), read in place from its segment's column:
    /// ``IndexReader/documentLength(_:)`` read here, without its call into SouIndexing per
    /// document scored (~40 instructions of a one-term query's ~400 a document).
    @inline(__always)
    private func documentLength(_ d: Int) throws -> Int {
        if let single {
            guard d >= 0, d < single.count else {
                throw IndexError.corrupt("documents: document \(d) out of range (\(single.count) documents)")
            }
            return single.value(d)
        }
        guard !bases.isEmpty else { return try index.documentLength(d) }   // (an index of no segments)
        var s = lastSegment   // (below bases.count: 0, or what locate gave)
        if d < bases[s] || (s + 1 < bases.count && d >= bases[s + 1]) {
            s = index.locate(d).segment
            lastSegment = s
        }
        let local = d - bases[s]
        guard local >= 0, local < lengths[s].count else {
            throw IndexError.corrupt("documents: document \(d) out of range (\(lengths[s].count) documents in its segment)")
        }
        return lengths[s].value(local)
    }

    /// The clause's BM25 score of document `d` (global number) with `f` occurrences.
    func score(_ d: Int, frequency f: Int) throws -> Double {
        bm25.score(idf: idf, frequency: f, documentLength: try documentLength(d), averageDocumentLength: averageDocumentLength)
    }

    /// False when document `d` scores below the entry score of full best hits even with `f`
    /// occurrences, the most it can have (BM25 grows with the frequency); always false when no
    /// hit is kept. The margin keeps a score that rounding could bring to a tie.
    func mayEnter(_ d: Int, frequencyAtMost f: Int) throws -> Bool {
        if top.capacity == 0 { return false }
        guard let entry = top.entryScore else { return true }
        if below(entry, frequency: f) { return false }
        let dl = try documentLength(d)
        if rejectsWithoutDivision, rejects(entry, frequency: f, norm: approximateNorm(dl)) { return false }
        return !Self.stays(bm25.score(idf: idf, frequency: f, documentLength: dl, averageDocumentLength: averageDocumentLength),
                           below: entry)
    }

    /// Scores live document `d` with its exact frequency into the best hits (the one way a
    /// one-clause query's documents are scored, pruned or not). A document the division-free
    /// test rejects is not scored: its exact score is below the entry score (see
    /// ``rejects(_:frequency:norm:)``), where ``TopHits/insert(score:document:)`` would drop it.
    @inline(__always)
    func insert(_ d: Int, frequency f: Int) throws {
        guard top.capacity > 0 else { return }
        // (a document that cannot enter full best hits whatever its length is not scored)
        if let entry = top.entryScore {
            if below(entry, frequency: f) { return }
            let dl = try documentLength(d)
            if rejectsWithoutDivision, rejects(entry, frequency: f, norm: approximateNorm(dl)) { return }
            try top.insert(score: bm25.score(idf: idf, frequency: f, documentLength: dl, averageDocumentLength: averageDocumentLength),
                           document: d)
            return
        }
        try top.insert(score: try score(d, frequency: f), document: d)
    }
}
