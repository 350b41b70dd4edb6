import SouAnalysis

/// Finds where a hit's phrases occur in its stored text and cuts the matching lines into
/// ``Snippet``s. Works on the analyzer's output for the stored text (terms, slots and byte
/// ranges), so a match is exactly what the index matched: the same phrase at the same slots.
///
/// The text is analyzed in pieces (``Analyzer/analyze(utf8:into:firstPosition:pieceTokens:_:)``)
/// and matched as it streams: only the occurrences of the phrases' own tokens are kept, and only
/// until no later match can need them. Matches come out in text order, so the work stops as soon
/// as the lines shown are complete: the first `maxLines` matching lines, and on each line only
/// the highlights inside the columns that ``LineCutter`` can show. Memory is one piece of tokens
/// plus what is shown, whatever the document's length (a 72 MB document matching everywhere took
/// 2 GB and 22 s when the whole text was analyzed at once).
struct SnippetBuilder {
    let bytes: [UInt8]
    let analyzer: Analyzer
    /// Tokens per analyzed piece (tests make it tiny to put piece boundaries everywhere).
    let pieceTokens: Int

    init(text: String, analyzer: Analyzer, pieceTokens: Int = 65_536) {
        self.init(bytes: Array(text.utf8), analyzer: analyzer, pieceTokens: pieceTokens)
    }

    /// A builder over the text's UTF-8 bytes (``IndexReader/storedTextBytes(_:)``: no String is
    /// made of a stored text only to be taken apart again).
    init(bytes: [UInt8], analyzer: Analyzer, pieceTokens: Int = 65_536) {
        self.bytes = bytes
        self.analyzer = analyzer
        self.pieceTokens = max(1, pieceTokens)
    }

    static func scalarLength(_ lead: UInt8) -> Int {
        lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
    }

    // MARK: - Snippets

    /// One snippet per line holding a match (a match across a line break highlights its part
    /// on each line), in line order, at most `options.maxLines`.
    func snippets(for phrases: [[PhraseToken]], options: SnippetOptions) -> [Snippet] {
        var work = 0
        return snippets(for: phrases, options: options, work: &work)
    }

    /// ``snippets(for:options:)``, adding to `work` the tokens, slots and starts visited.
    func snippets(for phrases: [[PhraseToken]], options: SnippetOptions, work: inout Int) -> [Snippet] {
        let empty = LineCollector(bytes: bytes, maxLines: options.maxLines, maxColumns: options.maxLineLength)
        var lines = empty
        scanMatches(phrases, merging: false, work: &work, restart: { lines = empty }) { lines.add($0) }
        return lines.lines.map { line in
            let (text, clipped) = LineCutter.cut(Array(bytes[line.start..<line.end]),
                                                 highlights: line.highlights.map { ($0.lowerBound - line.start)..<($0.upperBound - line.start) },
                                                 maxColumns: options.maxLineLength)
            return Snippet(line: line.number, text: text, highlights: clipped)
        }
    }

    /// Byte ranges of every occurrence of the phrases, merged where they overlap or touch. Linear
    /// in the text's tokens however often a token repeats in a phrase (``PhraseStarts``).
    func matchRanges(for phrases: [[PhraseToken]]) -> [Range<Int>] {
        var work = 0
        return matchRanges(for: phrases, work: &work)
    }

    /// ``matchRanges(for:)``, adding to `work` the tokens, slots and starts visited.
    func matchRanges(for phrases: [[PhraseToken]], work: inout Int) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        scanMatches(phrases, merging: true, work: &work, restart: { ranges.removeAll() }) { ranges.append($0); return true }
        return ranges
    }

    /// The lines shown, collected from merged match ranges in text order.
    private struct LineCollector {
        struct Line {
            var number: Int
            var start: Int
            /// The line's end without its terminator ("\n", "\r\n") and without a field
            /// separator (U+001F) ending it.
            var end: Int
            var highlights: [Range<Int>]
            /// Highlights starting here or later cannot be shown (``LineCutter`` keeps fewer
            /// columns after the first highlight than lie between it and `visibleEnd`).
            var visibleEnd: Int
            /// No line after this one holds text (the text ends here, or after one "\n").
            var isFinal: Bool
        }
        let bytes: [UInt8]
        let maxLines: Int?
        let maxColumns: Int
        private(set) var lines: [Line] = []
        /// The line the cursor is on: its number (0-based), start, and the offset of its "\n"
        /// (or the text's end).
        private var cursorLine = 0, cursorStart = 0, cursorBreak: Int

        init(bytes: [UInt8], maxLines: Int?, maxColumns: Int) {
            self.bytes = bytes
            self.maxLines = maxLines
            self.maxColumns = max(3, maxColumns)
            cursorBreak = Self.lineBreak(in: bytes, from: 0)
        }

        static func lineBreak(in bytes: [UInt8], from start: Int) -> Int {
            bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
        }

        /// Moves the cursor forward to the line holding byte `offset` (ranges come in text
        /// order, so the cursor never moves back: linear in the text).
        private mutating func moveCursor(to offset: Int) {
            while cursorBreak < bytes.count, offset > cursorBreak {
                cursorLine += 1
                cursorStart = cursorBreak + 1
                cursorBreak = Self.lineBreak(in: bytes, from: cursorStart)
            }
        }

        private var cursorEnd: Int {
            var end = cursorBreak
            if end > cursorStart, bytes[end - 1] == 0x0D { end -= 1 }
            if end > cursorStart, bytes[end - 1] == 0x1F { end -= 1 }
            return end
        }

        /// Adds a match range (ranges come in order of their starts and may overlap or touch: they
        /// are merged on each line); false when the lines shown are complete (no later range can
        /// add to them).
        mutating func add(_ range: Range<Int>) -> Bool {
            if let limit = maxLines {
                if limit <= 0 { return false }
                if lines.count == limit, range.lowerBound >= lines[limit - 1].visibleEnd { return false }
            }
            // past what the text's last line can show: nothing more to add anywhere
            if let last = lines.last, last.isFinal, range.lowerBound >= last.visibleEnd { return false }
            moveCursor(to: range.lowerBound)
            while true {
                let lo = max(range.lowerBound, cursorStart), hi = min(range.upperBound, cursorEnd)
                if lo < hi {
                    if lines.last?.number != cursorLine + 1 {
                        if let limit = maxLines, lines.count == limit { return false }
                        lines.append(Line(number: cursorLine + 1, start: cursorStart, end: cursorEnd, highlights: [],
                                          visibleEnd: visibleEnd(from: lo, lineEnd: cursorEnd),
                                          isFinal: cursorBreak >= bytes.count - 1))
                    }
                    let last = lines.count - 1
                    if lo < lines[last].visibleEnd {
                        // ranges come unmerged, in order of their starts: merge what overlaps or touches
                        if let h = lines[last].highlights.last, lo <= h.upperBound {
                            lines[last].highlights[lines[last].highlights.count - 1] = h.lowerBound..<max(h.upperBound, hi)
                        } else {
                            lines[last].highlights.append(lo..<hi)
                        }
                    }
                }
                guard range.upperBound > cursorBreak + 1, cursorBreak < bytes.count else { break }
                moveCursor(to: cursorBreak + 1)
            }
            return true
        }

        /// Where, after the first highlight at `anchor`, the text grows wider than the columns
        /// kept: ``LineCutter`` keeps at most `maxColumns` columns from the anchor on (with
        /// their zero-width marks), so no byte from here on is shown. The line's end when the
        /// rest fits.
        private func visibleEnd(from anchor: Int, lineEnd: Int) -> Int {
            var width = 0, i = anchor
            while i < lineEnd {
                // (a line ends before "\n", "\r" or U+001F: no scalar crosses its end)
                let (scalar, length) = LineCutter.decode(bytes, at: i)
                width += DisplayWidth.columns(scalar)
                if width > maxColumns { return i }
                i += length
            }
            return lineEnd
        }
    }

    // MARK: - Matching in pieces

    /// The distinct tokens of the phrases, numbered: a term (compared by its bytes) or a lone
    /// CJK character (found in the unigrams and bigrams holding it).
    private struct Wanted {
        var bytes: [[UInt8]] = []
        var isCharacter: [Bool] = []
        var hasTerms = false, hasCharacters = false
        /// (hash, token number) of the terms and of the characters, sorted: searched by binary
        /// search (a query has a few tokens; and the first use of a `Dictionary` type in a
        /// process costs a scan of every protocol-conformance record, ~0.1 ms of a search).
        private var termsByHash: [(hash: UInt64, token: Int)] = []
        private var charactersByHash: [(hash: UInt64, token: Int)] = []
        /// Bit `hash >> 58` (the top six bits) of every wanted term's (character's) hash: most tokens of a text are
        /// not wanted, and one test of the bit turns them away without a dictionary look-up.
        private var termBits: UInt64 = 0
        private var characterBits: UInt64 = 0

        /// The number of the token, adding it when new.
        mutating func number(_ token: PhraseToken) -> Int {
            let b = Array(token.term.utf8)
            let h = Self.hash(b[...])
            if let k = Self.find(b[...], h, in: token.isCharacter ? charactersByHash : termsByHash, bytes) { return k }
            bytes.append(b)
            isCharacter.append(token.isCharacter)
            let entry = (hash: h, token: bytes.count - 1)
            if token.isCharacter {
                charactersByHash.insert(entry, at: Self.lowerBound(h, in: charactersByHash))
                characterBits |= Self.bit(h)
                hasCharacters = true
            } else {
                termsByHash.insert(entry, at: Self.lowerBound(h, in: termsByHash))
                termBits |= Self.bit(h)
                hasTerms = true
            }
            return bytes.count - 1
        }

        func term(_ b: ArraySlice<UInt8>) -> Int? {
            let h = Self.hash(b)
            guard termBits & Self.bit(h) != 0 else { return nil }
            return Self.find(b, h, in: termsByHash, bytes)
        }

        func character(_ b: ArraySlice<UInt8>) -> Int? {
            let h = Self.hash(b)
            guard characterBits & Self.bit(h) != 0 else { return nil }
            return Self.find(b, h, in: charactersByHash, bytes)
        }

        /// The first index of `entries` whose hash is not below `h`.
        static func lowerBound(_ h: UInt64, in entries: [(hash: UInt64, token: Int)]) -> Int {
            var low = 0, high = entries.count
            while low < high {
                let mid = (low + high) / 2
                if entries[mid].hash < h { low = mid + 1 } else { high = mid }
            }
            return low
        }

        /// The token whose bytes are `b` (hash `h`) among `entries`, if any.
        static func find(_ b: ArraySlice<UInt8>, _ h: UInt64, in entries: [(hash: UInt64, token: Int)], _ bytes: [[UInt8]]) -> Int? {
            var i = lowerBound(h, in: entries)
            while i < entries.count, entries[i].hash == h {
                if bytes[entries[i].token].elementsEqual(b) { return entries[i].token }
                i += 1
            }
            return nil
        }

        @inline(__always)
        static func bit(_ hash: UInt64) -> UInt64 { 1 << (hash >> 58) }

        /// FNV-1a.
        static func hash(_ b: ArraySlice<UInt8>) -> UInt64 {
            var h: UInt64 = 0xcbf29ce484222325
            for x in b { h = (h ^ UInt64(x)) &* 0x100000001b3 }
            return h
        }
    }

    /// The slots of one wanted token in the text, increasing, each with the byte range of the
    /// element there; only those a later match may still need are kept.
    private struct Occurrences {
        var slots: [Int] = []
        var lower: [Int] = []
        var upper: [Int] = []
        var sorted = true

        mutating func add(_ slot: Int, _ range: Range<Int>, replacing: Bool) {
            if let last = slots.last {
                if slot == last {
                    if replacing { lower[lower.count - 1] = range.lowerBound; upper[upper.count - 1] = range.upperBound }
                    return
                }
                if slot < last { sorted = false }
            }
            slots.append(slot); lower.append(range.lowerBound); upper.append(range.upperBound)
        }

        /// Sorts by slot (keeping the first of equal slots) when tokens came out of order.
        mutating func finish() {
            guard !sorted else { return }
            let order = slots.indices.sorted { slots[$0] != slots[$1] ? slots[$0] < slots[$1] : $0 < $1 }
            var s: [Int] = [], lo: [Int] = [], hi: [Int] = []
            for i in order where s.last != slots[i] { s.append(slots[i]); lo.append(lower[i]); hi.append(upper[i]) }
            slots = s; lower = lo; upper = hi; sorted = true
        }

        /// Drops the slots below `slot` (after ``finish()``: a prefix).
        mutating func drop(below slot: Int) {
            var n = 0
            while n < slots.count, slots[n] < slot { n += 1 }
            guard n > 0 else { return }
            slots.removeFirst(n); lower.removeFirst(n); upper.removeFirst(n)
        }
    }

    /// One phrase as wanted-token numbers: each distinct token's offsets as progressions.
    private struct Plan {
        var tokens: [Int]
        var progressions: [[PhraseStarts.Progression]]
        var lowTokens: [Int], highTokens: [Int]
        var low: Int, high: Int
        /// Per token, its smallest offset in the phrase.
        var firstOffset: [Int]
        /// Starts below this were matched in an earlier round.
        var nextStart = Int.min
    }

    /// Tokens arrived out of the order the piecewise matching relies on (slots already settled,
    /// or a match before one already given out): the text is matched again in one piece.
    private struct OutOfOrder: Error {}
    /// The caller needs no more ranges.
    private struct Stop: Error {}

    /// Calls `sink` with the match ranges of `phrases` in text order until it returns
    /// false. Matches are settled piece by piece: slots below the highest slot analyzed so far
    /// get no more tokens (the analyzer emits slots in increasing order), so a phrase start whose
    /// last slot lies below it is final.
    /// When tokens come out of order (never seen from this analyzer; the check is there so that
    /// a change there costs speed, not exactness), `restart` is called and the whole text is
    /// matched again as one piece.
    /// `merging`: ranges that overlap or touch are merged before `sink` sees them (a merged range
    /// is held back until no later match can extend it); otherwise each round's ranges go out at
    /// once, in order of their starts, and the sink merges them, so that a run of overlapping
    /// matches as long as the text does not hold back the line it starts on.
    private func scanMatches(_ phrases: [[PhraseToken]], merging: Bool, work: inout Int, restart: () -> Void,
                             _ sink: (Range<Int>) -> Bool) {
        do {
            try scanMatches(phrases, pieceTokens: pieceTokens, merging: merging, work: &work, sink)
        } catch is OutOfOrder {
            restart()
            // one piece: nothing is settled before the end, so nothing can come out of order
            try? scanMatches(phrases, pieceTokens: Int.max, merging: merging, work: &work, sink)
        } catch {
            // Stop: the sink has what it needs
        }
    }

    private func scanMatches(_ phrases: [[PhraseToken]], pieceTokens: Int, merging: Bool, work: inout Int,
                             _ sink: (Range<Int>) -> Bool) throws {
        var wanted = Wanted()
        var plans: [Plan] = []
        for phrase in phrases where !phrase.isEmpty {
            // the distinct tokens in order of first appearance, each with its offsets in the phrase
            var order: [Int] = []
            var offsets: [[Int]] = []
            for token in phrase {
                let k = wanted.number(token)
                if let i = order.firstIndex(of: k) {
                    offsets[i].append(token.offset)
                } else {
                    order.append(k)
                    offsets.append([token.offset])
                }
            }
            let low = phrase.map(\.offset).min()!, high = phrase.map(\.offset).max()!
            plans.append(Plan(tokens: order, progressions: offsets.map { PhraseStarts.progressions($0) },
                              lowTokens: order.indices.filter { offsets[$0].contains(low) }.map { order[$0] },
                              highTokens: order.indices.filter { offsets[$0].contains(high) }.map { order[$0] },
                              low: low, high: high, firstOffset: offsets.map { $0.min()! }))
        }
        guard !plans.isEmpty else { return }
        var found = [Occurrences](repeating: Occurrences(), count: wanted.bytes.count)
        var settled = Int.min   // slots below are final
        var highestSlot = Int.min
        var pending: Range<Int>? = nil   // merging: the last merged range, which a later match may extend
        var lastStart = Int.min   // not merging: the start of the last range given out
        var chains: [Int32] = []
        var round: [Range<Int>] = []

        func add(_ k: Int, _ slot: Int, _ range: Range<Int>, replacing: Bool) throws {
            if slot < settled { throw OutOfOrder() }
            found[k].add(slot, range, replacing: replacing)
        }

        /// Matches the phrase starts that are final below `horizon` (all of them when nil),
        /// hands the merged ranges on, and drops the occurrences no later start needs.
        func settle(below horizon: Int?, work: inout Int) throws {
            for k in found.indices { found[k].finish() }
            round.removeAll(keepingCapacity: true)
            for p in plans.indices {
                let plan = plans[p]
                let end = horizon.map { $0 - plan.high } ?? Int.max
                guard end > plan.nextStart else { continue }
                // phrase starts: from the rarest token's slots, kept where every token is in place
                let byCount = plan.tokens.indices.sorted { (found[plan.tokens[$0]].slots.count, $0) < (found[plan.tokens[$1]].slots.count, $1) }
                let rarest = byCount[0]
                let shift = plan.progressions[rarest][0].offset
                var starts: [Int] = []
                for s in found[plan.tokens[rarest]].slots {
                    let start = s - shift
                    if start >= end { break }
                    if start >= plan.nextStart { starts.append(start) }
                }
                plans[p].nextStart = end
                for i in byCount {
                    PhraseStarts.keepStarts(&starts, matching: found[plan.tokens[i]].slots, progressions: plan.progressions[i],
                                            chains: &chains, work: &work)
                }
                guard !starts.isEmpty else { continue }
                // a match spans from its first slot's element to its last slot's (the text's byte
                // ranges grow with the slots)
                var lowest = [Int](repeating: Int.max, count: starts.count)
                var highest = [Int](repeating: Int.min, count: starts.count)
                for (tokens, offset, isLow) in [(plan.lowTokens, plan.low, true), (plan.highTokens, plan.high, false)] {
                    for k in tokens {
                        let o = found[k]
                        var i = 0
                        for (s, p) in starts.enumerated() {
                            let want = p + offset
                            while i < o.slots.count, o.slots[i] < want { i += 1 }
                            guard i < o.slots.count, o.slots[i] == want else { continue }
                            if isLow { lowest[s] = min(lowest[s], o.lower[i]) } else { highest[s] = max(highest[s], o.upper[i]) }
                        }
                        work += starts.count + i
                    }
                }
                for s in starts.indices where lowest[s] < highest[s] { round.append(lowest[s]..<highest[s]) }
            }
            round.sort { $0.lowerBound < $1.lowerBound }
            for r in round {
                if !merging {
                    if r.lowerBound < lastStart { throw OutOfOrder() }
                    lastStart = r.lowerBound
                    if !sink(r) { throw Stop() }
                    continue
                }
                if let last = pending {
                    if r.lowerBound < last.lowerBound { throw OutOfOrder() }
                    if r.lowerBound <= last.upperBound {
                        pending = last.lowerBound..<max(last.upperBound, r.upperBound)
                        continue
                    }
                    if !sink(last) { throw Stop() }
                }
                pending = r
            }
            if horizon == nil {
                if let last = pending, !sink(last) { throw Stop() }
                return
            }
            // a later start is at least its plan's nextStart: its tokens are at nextStart + offset
            var needed = [Int](repeating: Int.max, count: found.count)
            for plan in plans {
                guard plan.nextStart != Int.min else { needed = needed.map { _ in Int.min }; break }
                for (i, k) in plan.tokens.enumerated() { needed[k] = min(needed[k], plan.nextStart + plan.firstOffset[i]) }
            }
            for k in found.indices { found[k].drop(below: needed[k]) }
        }

        var buffer = TokenBuffer()
        try bytes.withUnsafeBufferPointer { input in
            _ = try analyzer.analyze(utf8: input, into: &buffer, pieceTokens: pieceTokens) { tokens, isLast in
                work += tokens.count
                let termBytes = tokens.termBytes
                for i in 0..<tokens.count {
                    let slot = tokens.position(i)
                    highestSlot = max(highestSlot, slot)
                    let term = termBytes[tokens.termRange(i)]
                    if wanted.hasTerms, let k = wanted.term(term) { try add(k, slot, tokens.byteRange(i), replacing: false) }
                    guard wanted.hasCharacters else { continue }
                    let kind = tokens.kind(i)
                    guard kind == .unigram || kind == .bigram, let first = term.first else { continue }
                    let firstLength = min(Self.scalarLength(first), term.count)
                    let head = term.prefix(firstLength), tail = term.dropFirst(firstLength)
                    let headWanted = wanted.character(head)
                    let tailWanted = tail.isEmpty ? nil : wanted.character(tail)
                    guard headWanted != nil || tailWanted != nil else { continue }
                    // the normalized CJK character at a slot, with its byte range in the text
                    // (from the bigrams and unigrams covering the slot, including a run's last
                    // character); characters are grapheme clusters, as the index counts them
                    let characters = String(decoding: term, as: UTF8.self).count
                    let range = tokens.byteRange(i)
                    if kind == .unigram, characters == 1, let k = headWanted {
                        try add(k, slot, range, replacing: true)
                    } else if kind == .bigram, characters == 2, range.count >= 2 {
                        let firstEnd = min(range.upperBound, range.lowerBound + Self.scalarLength(bytes[range.lowerBound]))
                        var secondStart = range.upperBound - 1
                        while secondStart > firstEnd, bytes[secondStart] & 0xC0 == 0x80 { secondStart -= 1 }
                        if let k = headWanted { try add(k, slot, range.lowerBound..<firstEnd, replacing: false) }
                        if let k = tailWanted { try add(k, slot + 1, secondStart..<range.upperBound, replacing: true) }
                    }
                }
                if isLast {
                    try settle(below: nil, work: &work)
                } else if highestSlot > settled {
                    settled = highestSlot
                    try settle(below: settled, work: &work)
                }
            }
        }
    }
}
