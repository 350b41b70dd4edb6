import SouAnalysis
import SouIndexing

/// One token of a query phrase, resolved against an index.
struct PhraseToken: Sendable {
    /// The term, or the character for a lone CJK character.
    var term: String
    /// Slot relative to the phrase's first token.
    var offset: Int
    /// A lone CJK character: matches the unigram `term` or any bigram starting with it.
    var isCharacter: Bool
    /// The dictionary entries it matches (one for a term; the unigram and bigrams for a character).
    var infos: [TermInfo]
    /// Number of documents containing the token (for a character: containing the character).
    var documentFrequency: Int
    /// BM25 idf from ``documentFrequency``.
    var idf: Double
}

/// A phrase clause compiled against an index: its tokens at their relative slots.
struct PhraseClause: Sendable {
    /// The clause text as written.
    var text: String
    var tokens: [PhraseToken]
    /// Sum of the tokens' idf (the phrase scores as one unit).
    var idf: Double

    /// Analyzes `text` and looks its terms up. Throws ``QueryError`` when the text has no token.
    init(text: String, sourcePosition: Int?, analyzer: Analyzer, index: SouIndex, bm25: BM25) throws {
        self.text = text
        let analyzed = analyzer.analyze(text)
        guard let first = analyzed.first else {
            throw QueryError(.noSearchableText(text), at: sourcePosition)
        }
        let n = index.documentCount
        var tokens: [PhraseToken] = []
        var anyMissing = false
        for token in analyzed {
            let isCharacter = token.kind == .unigram
            let infos: [TermInfo]
            if isCharacter {
                infos = try index.terms(withPrefix: token.term).filter { $0.term.count <= token.term.count + 1 }
            } else {
                infos = try index.termInfo(token.term).map { [$0] } ?? []
            }
            if infos.isEmpty { anyMissing = true }
            tokens.append(PhraseToken(term: token.term, offset: token.position - first.position,
                                      isCharacter: isCharacter, infos: infos, documentFrequency: 0, idf: 0))
        }
        // Document frequencies (exact: a character's is the number of documents containing it).
        for i in tokens.indices {
            let df: Int
            if tokens[i].infos.isEmpty {
                df = 0
            } else if tokens[i].infos.count == 1 {
                df = tokens[i].infos[0].documentFrequency
            } else if anyMissing {
                df = tokens[i].infos.map(\.documentFrequency).max() ?? 0   // no match anyway
            } else {
                df = try Self.countDocuments(tokens[i].infos, in: index)
            }
            tokens[i].documentFrequency = df
            tokens[i].idf = bm25.idf(documentFrequency: df, documentCount: n)
        }
        self.tokens = tokens
        self.idf = tokens.reduce(0) { $0 + $1.idf }
    }

    /// True when some token is absent from the index (the phrase matches nothing).
    var cannotMatch: Bool { tokens.contains { $0.infos.isEmpty } }

    /// Number of distinct documents in the union of `infos`' postings.
    static func countDocuments(_ infos: [TermInfo], in index: SouIndex) throws -> Int {
        var seen = [UInt64](repeating: 0, count: (index.documentCount + 63) / 64)
        var count = 0
        for info in infos {
            var cursor = try index.postings(info)
            while let d = try cursor.next() {
                guard d >= 0, d < index.documentCount else { throw IndexError.corrupt("postings of \(info.term): document \(d) out of range") }
                let bit = UInt64(1) << UInt64(d & 63)
                if seen[d >> 6] & bit == 0 { seen[d >> 6] |= bit; count += 1 }
            }
        }
        return count
    }

    /// The matching documents, increasing, with the phrase's occurrences in each.
    func matches(in index: SouIndex) throws -> (documents: [Int], frequencies: [Int]) {
        if cannotMatch { return ([], []) }
        if tokens.count == 1 { return try singleTokenMatches(tokens[0], in: index) }

        // Leapfrog over the tokens' cursors, the rarest first, then check the slots.
        let order = tokens.indices.sorted {
            let a = tokens[$0].infos.reduce(0) { $0 + $1.documentFrequency }
            let b = tokens[$1].infos.reduce(0) { $0 + $1.documentFrequency }
            return a != b ? a < b : $0 < $1
        }
        var cursors = try order.map { try TokenCursor(tokens[$0].infos, in: index) }
        let offsets = order.map { tokens[$0].offset }
        var documents: [Int] = []
        var frequencies: [Int] = []
        // Reused from document to document: no allocation per document once grown.
        var candidates: [Int] = []      // phrase starts p still possible
        var list: [Int] = []
        var scratch: [Int] = []
        var target = 0
        search: while true {
            guard let lead = try cursors[0].advance(to: target) else { break }
            var agreed = true
            for i in 1..<cursors.count {
                guard let d = try cursors[i].advance(to: lead) else { break search }
                if d > lead { target = d; agreed = false; break }
            }
            guard agreed else { continue }
            target = lead + 1
            // Check slots, the token with the fewest occurrences here first, then the others
            // rarest first; stop decoding positions as soon as no phrase start is left.
            var first = 0, fewest = Int.max
            for i in cursors.indices {
                let f = cursors[i].termFrequency
                if f < fewest { fewest = f; first = i }
            }
            try cursors[first].positions(into: &candidates, scratch: &scratch)
            let firstOffset = offsets[first]
            for k in candidates.indices { candidates[k] -= firstOffset }
            for i in cursors.indices where i != first {
                try cursors[i].positions(into: &list, scratch: &scratch)
                Self.keepStarts(&candidates, matching: list, offset: offsets[i])
                if candidates.isEmpty { break }
            }
            if !candidates.isEmpty { documents.append(lead); frequencies.append(candidates.count) }
        }
        return (documents, frequencies)
    }

    /// Keeps the phrase starts p of `starts` (increasing) for which `slots` (increasing) contains
    /// p + `offset`.
    static func keepStarts(_ starts: inout [Int], matching slots: [Int], offset: Int) {
        var kept = 0, j = 0
        let n = slots.count
        slots.withUnsafeBufferPointer { s in
            starts.withUnsafeMutableBufferPointer { c in
                for k in 0..<c.count {
                    let want = c[k] + offset
                    while j < n, s[j] < want { j += 1 }
                    if j == n { break }
                    if s[j] == want { c[kept] = c[k]; kept += 1; j += 1 }
                }
            }
        }
        starts.removeLast(starts.count - kept)
    }

    private func singleTokenMatches(_ token: PhraseToken, in index: SouIndex) throws -> (documents: [Int], frequencies: [Int]) {
        if token.infos.count == 1 {
            var cursor = try index.postings(token.infos[0])
            var documents: [Int] = []
            var frequencies: [Int] = []
            documents.reserveCapacity(token.infos[0].documentFrequency)
            frequencies.reserveCapacity(token.infos[0].documentFrequency)
            while let d = try cursor.next() {
                documents.append(d)
                frequencies.append(cursor.termFrequency)
            }
            return (documents, frequencies)
        }
        // A character: add up the occurrences of its unigram and bigrams per document.
        var counts = [Int32](repeating: 0, count: index.documentCount)
        var documents: [Int] = []
        documents.reserveCapacity(token.documentFrequency)
        for info in token.infos {
            var cursor = try index.postings(info)
            while let d = try cursor.next() {
                guard d >= 0, d < counts.count else { throw IndexError.corrupt("postings of \(info.term): document \(d) out of range") }
                if counts[d] == 0 { documents.append(d) }
                counts[d] &+= Int32(truncatingIfNeeded: cursor.termFrequency)
            }
        }
        documents.sort()
        return (documents, documents.map { Int(counts[$0]) })
    }
}
