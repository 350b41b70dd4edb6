import SouAnalysis
import Testing
@testable import SouSearch

/// The snippet builder as it was before it worked in pieces (commit 30c433a): the whole stored
/// text analyzed at once, every occurrence of every phrase found, then the lines cut. Kept as the
/// oracle the piecewise ``SnippetBuilder`` is checked against (same snippets, same ranges).
struct ReferenceSnippetBuilder {
    let bytes: [UInt8]
    private var tokens = TokenBuffer()

    init(text: String, analyzer: Analyzer) {
        bytes = Array(text.utf8)
        var buffer = TokenBuffer()
        do { try bytes.withUnsafeBufferPointer { _ = try analyzer.analyze(utf8: $0, into: &buffer) } } catch { Issue.record(error) }
        tokens = buffer
    }

    static func scalarLength(_ lead: UInt8) -> Int {
        lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
    }

    /// The slots of one distinct phrase token in the text, increasing, each with the byte range
    /// of the element there.
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
    }

    /// The occurrences of each distinct token of `phrases` (keyed "t" + term, or "c" + character
    /// for a lone CJK character), from one pass over the text's tokens.
    private func occurrences(of phrases: [[PhraseToken]]) -> [String: Occurrences] {
        var found: [String: Occurrences] = [:]
        var wantsTerms = false, wantsCharacters = false
        for phrase in phrases {
            for token in phrase {
                found[Self.key(token)] = Occurrences()
                if token.isCharacter { wantsCharacters = true } else { wantsTerms = true }
            }
        }
        // the wanted terms' and characters' bytes: a token is compared bytewise first, and only a
        // token holding one of them makes Strings
        let wantedTerms = Set(phrases.joined().filter { !$0.isCharacter }.map { Array($0.term.utf8) })
        let wantedCharacters = Set(phrases.joined().filter(\.isCharacter).map { Array($0.term.utf8) })
        let termBytes = tokens.termBytes
        for i in 0..<tokens.count {
            let termRange = tokens.termRange(i)
            let term = termBytes[termRange]
            let isWantedTerm = wantsTerms && wantedTerms.contains { $0.count == term.count && $0.elementsEqual(term) }
            let mayHoldCharacter = wantsCharacters && wantedCharacters.contains {
                $0.count <= term.count && (term.starts(with: $0) || term.reversed().starts(with: $0.reversed()))
            }
            guard isWantedTerm || mayHoldCharacter else { continue }
            let slot = tokens.position(i)
            let range = tokens.byteRange(i)
            if isWantedTerm { found["t" + tokens.term(i)]!.add(slot, range, replacing: false) }
            guard mayHoldCharacter else { continue }
            // the normalized CJK character at a slot, with its byte range in the text (from the
            // bigrams and unigrams covering the slot, including a run's last character)
            let characters = Array(tokens.term(i))
            switch tokens.kind(i) {
            case .unigram where characters.count == 1:
                let key = "c" + String(characters[0])
                if found[key] != nil { found[key]!.add(slot, range, replacing: true) }
            case .bigram where characters.count == 2 && range.count >= 2:
                let firstEnd = min(range.upperBound, range.lowerBound + Self.scalarLength(bytes[range.lowerBound]))
                var secondStart = range.upperBound - 1
                while secondStart > firstEnd, bytes[secondStart] & 0xC0 == 0x80 { secondStart -= 1 }
                let first = "c" + String(characters[0]), second = "c" + String(characters[1])
                if found[first] != nil { found[first]!.add(slot, range.lowerBound..<firstEnd, replacing: false) }
                if found[second] != nil { found[second]!.add(slot + 1, secondStart..<range.upperBound, replacing: true) }
            default:
                break
            }
        }
        for key in Array(found.keys) { found[key]!.finish() }
        return found
    }

    private static func key(_ token: PhraseToken) -> String { (token.isCharacter ? "c" : "t") + token.term }

    /// Byte ranges of every occurrence of the phrases, merged where they overlap or touch. Linear
    /// in the text's tokens however often a token repeats in a phrase (``PhraseStarts``).
    func matchRanges(for phrases: [[PhraseToken]]) -> [Range<Int>] {
        var work = 0
        return matchRanges(for: phrases, work: &work)
    }

    /// ``matchRanges(for:)``, adding to `work` the slots and starts visited.
    func matchRanges(for phrases: [[PhraseToken]], work: inout Int) -> [Range<Int>] {
        let found = occurrences(of: phrases)
        work += tokens.count
        var ranges: [Range<Int>] = []
        var chains: [Int32] = []
        for phrase in phrases where !phrase.isEmpty {
            var offsets: [String: [Int]] = [:]
            for token in phrase { offsets[Self.key(token), default: []].append(token.offset) }
            let keys = offsets.keys.sorted { (found[$0]?.slots.count ?? 0, $0) < (found[$1]?.slots.count ?? 0, $1) }
            let progressions = keys.map { PhraseStarts.progressions(offsets[$0]!) }
            // phrase starts: from the rarest token's slots, kept where every token is in place
            let rarest = found[keys[0]]!.slots
            let shift = progressions[0][0].offset
            var starts = rarest.map { $0 - shift }
            for (k, key) in keys.enumerated() {
                PhraseStarts.keepStarts(&starts, matching: found[key]!.slots, progressions: progressions[k], chains: &chains, work: &work)
            }
            guard !starts.isEmpty else { continue }
            // a match spans from its first slot's element to its last slot's (the text's byte
            // ranges grow with the slots)
            let low = phrase.map(\.offset).min()!, high = phrase.map(\.offset).max()!
            let lowKeys = Set(phrase.filter { $0.offset == low }.map(Self.key))
            let highKeys = Set(phrase.filter { $0.offset == high }.map(Self.key))
            var lowest = [Int](repeating: Int.max, count: starts.count)
            var highest = [Int](repeating: Int.min, count: starts.count)
            for (keys, offset, isLow) in [(lowKeys, low, true), (highKeys, high, false)] {
                for key in keys {
                    let o = found[key]!
                    var i = 0
                    for (k, p) in starts.enumerated() {
                        let want = p + offset
                        while i < o.slots.count, o.slots[i] < want { i += 1 }
                        guard i < o.slots.count, o.slots[i] == want else { continue }
                        if isLow { lowest[k] = min(lowest[k], o.lower[i]) } else { highest[k] = max(highest[k], o.upper[i]) }
                    }
                    work += starts.count + i
                }
            }
            for k in starts.indices where lowest[k] < highest[k] { ranges.append(lowest[k]..<highest[k]) }
        }
        ranges.sort { $0.lowerBound < $1.lowerBound }
        var merged: [Range<Int>] = []
        for r in ranges {
            if let last = merged.last, r.lowerBound <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
            } else {
                merged.append(r)
            }
        }
        return merged
    }

    /// One snippet per line holding a match (a match across a line break highlights its part
    /// on each line), in line order.
    func snippets(for phrases: [[PhraseToken]], options: SnippetOptions) -> [Snippet] {
        let ranges = matchRanges(for: phrases)
        guard !ranges.isEmpty else { return [] }
        // Line starts (after each "\n").
        var lineStarts = [0]
        for (i, b) in bytes.enumerated() where b == 0x0A { lineStarts.append(i + 1) }
        func lineIndex(_ offset: Int) -> Int {
            var lo = 0, hi = lineStarts.count
            while hi - lo > 1 {
                let mid = (lo + hi) / 2
                if lineStarts[mid] <= offset { lo = mid } else { hi = mid }
            }
            return lo
        }
        func lineEnd(_ line: Int) -> Int {
            var end = line + 1 < lineStarts.count ? lineStarts[line + 1] - 1 : bytes.count
            if end > lineStarts[line], bytes[end - 1] == 0x0D { end -= 1 }
            // the field separator (U+001F) ending a JSON Lines title or other field is not shown
            if end > lineStarts[line], bytes[end - 1] == 0x1F { end -= 1 }
            return end
        }
        var pieces: [Int: [Range<Int>]] = [:]
        var lineOrder: [Int] = []
        for r in ranges {
            for line in lineIndex(r.lowerBound)...lineIndex(r.upperBound - 1) {
                let lo = max(r.lowerBound, lineStarts[line]), hi = min(r.upperBound, lineEnd(line))
                guard lo < hi else { continue }
                if pieces[line] == nil { lineOrder.append(line) }
                pieces[line, default: []].append(lo..<hi)
            }
        }
        lineOrder.sort()
        if let maxLines = options.maxLines { lineOrder = Array(lineOrder.prefix(max(0, maxLines))) }
        return lineOrder.map { line in
            let start = lineStarts[line]
            return cut(bytes[start..<lineEnd(line)], line: line + 1,
                       highlights: (pieces[line] ?? []).map { ($0.lowerBound - start)..<($0.upperBound - start) },
                       maxLength: options.maxLineLength)
        }
    }

    /// Cuts a long line around its first highlight to `maxLength` terminal columns (a CJK
    /// character takes two), marking cuts with "…": see ``LineCutter``.
    func cut(_ line: ArraySlice<UInt8>, line number: Int, highlights: [Range<Int>], maxLength: Int) -> Snippet {
        let (text, clipped) = LineCutter.cut(Array(line), highlights: highlights, maxColumns: maxLength)
        return Snippet(line: number, text: text, highlights: clipped)
    }
}
