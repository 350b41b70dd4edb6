// TEMPORARY naive analyzer: correct API, simplified rules (no ICU normalization, no ICU word
// breaks). It exists so that the index and search layers can be built against the real API
// while the ICU-backed analyzer is written. Replace wholesale.

/// What one call of the analyzer saw besides its tokens.
public struct AnalysisSummary: Sendable, Hashable {
    /// Tokens emitted.
    public var tokenCount: Int
    /// Invalid UTF-8 sequences replaced by U+FFFD.
    public var invalidSequences: Int
    /// The slot at which a following field should start (includes a field-change gap).
    public var nextPosition: Int
}

/// Turns UTF-8 text into tokens: CJK runs into overlapping bigrams, other scripts into words.
public struct Analyzer: Sendable {
    /// The rules this analyzer applies.
    public let configuration: AnalyzerConfiguration

    /// Creates an analyzer; throws when ICU cannot provide what the configuration needs.
    public init(configuration: AnalyzerConfiguration = AnalyzerConfiguration()) throws {
        self.configuration = configuration
    }

    /// Analyzes `text` into an array of tokens (convenient; allocates per token).
    public func analyze(_ text: String, firstPosition: Int = 0) -> [Token] {
        var buffer = TokenBuffer()
        var utf8 = Array(text.utf8)
        _ = utf8.withUnsafeMutableBufferPointer { analyze(utf8: UnsafeBufferPointer($0), into: &buffer, firstPosition: firstPosition) }
        return buffer.tokens
    }

    /// Analyzes UTF-8 bytes, appending tokens to `buffer`. Positions start at `firstPosition`.
    public func analyze(utf8 input: UnsafeBufferPointer<UInt8>, into buffer: inout TokenBuffer,
                        firstPosition: Int = 0) -> AnalysisSummary {
        var summary = AnalysisSummary(tokenCount: 0, invalidSequences: 0, nextPosition: firstPosition)
        var scalars: [(Unicode.Scalar, Int, Int)] = []   // scalar, start, end
        var i = 0
        while i < input.count {
            let (s, len, ok) = Self.decode(input, i)
            if !ok { summary.invalidSequences += 1 }
            scalars.append((s, i, i + len))
            i += len
        }
        var position = firstPosition
        var pendingGap = false
        var emittedAny = false
        var k = 0
        func advanceGap() { if emittedAny { pendingGap = true } }
        while k < scalars.count {
            let (s, _, _) = scalars[k]
            if Self.isCJK(s) {
                // collect the run, joining soft line breaks between Han/Kana
                var run: [(Unicode.Scalar, Int, Int)] = [scalars[k]]
                var j = k + 1
                while j < scalars.count {
                    if Self.isCJK(scalars[j].0) { run.append(scalars[j]); j += 1; continue }
                    if configuration.joinsSoftLineBreaks, Self.isHanKana(run.last!.0) {
                        var m = j
                        while m < scalars.count, scalars[m].0 == "\n" || scalars[m].0 == "\r" { m += 1 }
                        if m > j, m < scalars.count, Self.isHanKana(scalars[m].0) { j = m; continue }
                    }
                    break
                }
                if pendingGap { position += 1; pendingGap = false }
                if run.count == 1 {
                    buffer.append(term: String(Self.fold(run[0].0)).utf8, position: position, byteRange: run[0].1..<run[0].2, kind: .unigram)
                    position += 1
                    summary.tokenCount += 1
                } else {
                    for r in 0..<(run.count - 1) {
                        let term = String(Self.fold(run[r].0)) + String(Self.fold(run[r + 1].0))
                        buffer.append(term: term.utf8, position: position + r, byteRange: run[r].1..<run[r + 1].2, kind: .bigram)
                        summary.tokenCount += 1
                    }
                    position += run.count
                }
                emittedAny = true
                k = j
            } else if s.properties.isAlphabetic || s.properties.numericType != nil {
                var j = k
                var word = ""
                var digitsOnly = true
                while j < scalars.count, !Self.isCJK(scalars[j].0),
                      scalars[j].0.properties.isAlphabetic || scalars[j].0.properties.numericType != nil
                        || (scalars[j].0 == "." && j + 1 < scalars.count && scalars[j + 1].0.properties.numericType != nil && digitsOnly && !word.isEmpty) {
                    if scalars[j].0.properties.numericType == nil && scalars[j].0 != "." { digitsOnly = false }
                    word += scalars[j].0.properties.lowercaseMapping
                    j += 1
                }
                if pendingGap { position += 1; pendingGap = false }
                buffer.append(term: word.utf8, position: position, byteRange: scalars[k].1..<scalars[j - 1].2, kind: digitsOnly ? .number : .word)
                position += 1
                summary.tokenCount += 1
                emittedAny = true
                k = j
            } else {
                if !s.properties.isWhitespace { advanceGap() }
                k += 1
            }
        }
        summary.nextPosition = emittedAny ? position + 1 : position
        return summary
    }

    static func fold(_ s: Unicode.Scalar) -> Unicode.Scalar {
        s.properties.lowercaseMapping.unicodeScalars.first ?? s
    }

    static func isHanKana(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x3005, 0x3007, 0x3040...0x30FF, 0x31F0...0x31FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
             0xF900...0xFAFF, 0xFF66...0xFF9F, 0x20000...0x3FFFF: return true
        default: return false
        }
    }

    static func isCJK(_ s: Unicode.Scalar) -> Bool {
        if isHanKana(s) { return true }
        switch s.value {
        case 0x1100...0x11FF, 0x3130...0x318F, 0xAC00...0xD7AF: return true
        default: return false
        }
    }

    static func decode(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> (Unicode.Scalar, Int, Bool) {
        let b0 = p[i]
        if b0 < 0x80 { return (Unicode.Scalar(b0), 1, true) }
        var need = 0, v: UInt32 = 0
        if b0 & 0xE0 == 0xC0 { need = 1; v = UInt32(b0 & 0x1F) }
        else if b0 & 0xF0 == 0xE0 { need = 2; v = UInt32(b0 & 0x0F) }
        else if b0 & 0xF8 == 0xF0 { need = 3; v = UInt32(b0 & 0x07) }
        else { return ("\u{FFFD}", 1, false) }
        guard i + need < p.count else { return ("\u{FFFD}", 1, false) }
        for j in 1...need {
            let b = p[i + j]
            guard b & 0xC0 == 0x80 else { return ("\u{FFFD}", 1, false) }
            v = v << 6 | UInt32(b & 0x3F)
        }
        guard let s = Unicode.Scalar(v) else { return ("\u{FFFD}", need + 1, false) }
        return (s, need + 1, true)
    }
}
