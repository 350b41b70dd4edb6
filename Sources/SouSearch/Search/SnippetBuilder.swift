import SouAnalysis

/// Finds where a hit's phrases occur in its stored text and cuts the matching lines into
/// ``Snippet``s. Works on the analyzer's output for the stored text (terms, slots and byte
/// ranges), so a match is exactly what the index matched: the same phrase at the same slots.
struct SnippetBuilder {
    let bytes: [UInt8]
    private var tokens = TokenBuffer()
    /// Token indices by slot.
    private var tokensAt: [Int: [Int]] = [:]
    /// The normalized CJK character at a slot, with its byte range in the text (from the bigrams
    /// and unigrams covering the slot, including a run's last character).
    private var characterAt: [Int: (character: Character, range: Range<Int>)] = [:]

    init(text: String, analyzer: Analyzer) {
        bytes = Array(text.utf8)
        var buffer = TokenBuffer()
        bytes.withUnsafeBufferPointer { _ = analyzer.analyze(utf8: $0, into: &buffer) }
        tokens = buffer
        for i in 0..<buffer.count {
            let slot = buffer.position(i)
            tokensAt[slot, default: []].append(i)
            let range = buffer.byteRange(i)
            let term = Array(buffer.term(i))
            switch buffer.kind(i) {
            case .unigram where term.count == 1:
                characterAt[slot] = (term[0], range)
            case .bigram where term.count == 2 && range.count >= 2:
                let firstEnd = min(range.upperBound, range.lowerBound + Self.scalarLength(bytes[range.lowerBound]))
                var secondStart = range.upperBound - 1
                while secondStart > firstEnd, bytes[secondStart] & 0xC0 == 0x80 { secondStart -= 1 }
                if characterAt[slot] == nil { characterAt[slot] = (term[0], range.lowerBound..<firstEnd) }
                characterAt[slot + 1] = (term[1], secondStart..<range.upperBound)
            default:
                break
            }
        }
    }

    static func scalarLength(_ lead: UInt8) -> Int {
        lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
    }

    /// Byte range of the element matching `token` at `slot`, or nil.
    private func match(_ token: PhraseToken, at slot: Int) -> Range<Int>? {
        if token.isCharacter {
            guard let c = characterAt[slot], String(c.character) == token.term else { return nil }
            return c.range
        }
        guard let candidates = tokensAt[slot] else { return nil }
        for i in candidates {
            let range = tokens.termRange(i)
            if tokens.termBytes[range].elementsEqual(token.term.utf8) { return tokens.byteRange(i) }
        }
        return nil
    }

    /// Byte ranges of every occurrence of the phrases, merged where they overlap or touch.
    func matchRanges(for phrases: [[PhraseToken]]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        for phrase in phrases {
            guard let first = phrase.first else { continue }
            var starts: [Int] = []
            if first.isCharacter {
                starts = characterAt.compactMap { String($0.value.character) == first.term ? $0.key : nil }
            } else {
                for (slot, indices) in tokensAt where indices.contains(where: {
                    tokens.termBytes[tokens.termRange($0)].elementsEqual(first.term.utf8)
                }) { starts.append(slot) }
            }
            for start in starts {
                var lower = Int.max, upper = Int.min
                var matched = true
                for token in phrase {
                    guard let r = match(token, at: start + token.offset - first.offset) else { matched = false; break }
                    lower = min(lower, r.lowerBound)
                    upper = max(upper, r.upperBound)
                }
                if matched, lower < upper { ranges.append(lower..<upper) }
            }
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
            return cut(Array(bytes[start..<lineEnd(line)]), line: line + 1,
                       highlights: (pieces[line] ?? []).map { ($0.lowerBound - start)..<($0.upperBound - start) },
                       maxLength: options.maxLineLength)
        }
    }

    /// Cuts a long line around its first highlight, marking cuts with "…".
    func cut(_ line: [UInt8], line number: Int, highlights: [Range<Int>], maxLength: Int) -> Snippet {
        // Scalar boundaries of the line.
        var boundaries: [Int] = []
        var i = 0
        while i < line.count {
            boundaries.append(i)
            i += Self.scalarLength(line[i])
        }
        let scalarCount = boundaries.count
        boundaries.append(line.count)
        guard scalarCount > maxLength, let first = highlights.first else {
            return Snippet(line: number, text: String(decoding: line, as: UTF8.self), highlights: highlights)
        }
        func scalarIndex(_ byte: Int) -> Int {
            var lo = 0, hi = boundaries.count - 1
            while lo < hi {
                let mid = (lo + hi + 1) / 2
                if boundaries[mid] <= byte { lo = mid } else { hi = mid - 1 }
            }
            return lo
        }
        let matchStart = scalarIndex(first.lowerBound)
        let from = max(0, min(matchStart - maxLength / 3, scalarCount - maxLength))
        let to = min(scalarCount, from + maxLength)
        let lowerByte = boundaries[from], upperByte = boundaries[to]
        let prefix = from > 0 ? "…" : "", suffix = to < scalarCount ? "…" : ""
        let shift = prefix.utf8.count - lowerByte
        let text = prefix + String(decoding: line[lowerByte..<upperByte], as: UTF8.self) + suffix
        let clipped = highlights.compactMap { r -> Range<Int>? in
            let lo = max(r.lowerBound, lowerByte), hi = min(r.upperBound, upperByte)
            return lo < hi ? (lo + shift)..<(hi + shift) : nil
        }
        return Snippet(line: number, text: text, highlights: clipped)
    }
}
