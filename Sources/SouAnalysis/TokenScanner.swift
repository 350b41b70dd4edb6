/// The analyzer's state machine: fed normalized characters with their class and their byte
/// range in the original input, it emits tokens and keeps the slot count.
///
/// Three states: between tokens (`idle`), inside a CJK run (`run`: each new character emits
/// the bigram it closes), inside a word or number (`word`: UAX #29 rules WB4–WB13b, as in ICU's
/// rule-based word break iterator). Positions follow the slot model of ``Token``.
struct TokenScanner {
    private enum Mode { case idle, run, word }

    /// The next free slot.
    private(set) var position: Int
    /// Tokens emitted so far.
    private(set) var tokenCount = 0
    /// True once a token took a slot: a gap is only left between tokens.
    private var emittedAny = false
    /// Something other than whitespace was seen since the last token.
    private var pendingGap = false
    private var mode = Mode.idle
    private let joinsSoftLineBreaks: Bool
    private let folding: VariantFolding?

    // CJK run
    private var runStart = 0            // slot of the run's first character
    private var runLength = 0           // characters so far
    private var previous: UInt32 = 0    // last character (normalized, folded)
    private var previousStart = 0       // its byte range in the input
    private var previousEnd = 0
    private var previousIsHanKana = false
    private var inLineBreak = false     // saw \n/\r right after a Han/Kana character

    // word
    private var wordStart = 0
    private var wordEnd = 0
    private var wordTermStart = 0
    private var wordHasLetter = false
    private var wordHasCore = false     // a letter or digit, not only '_'
    private var lastWordClass: UInt8 = 0
    private var pendingMid: UInt8 = 0   // class of a Mid* character waiting for its right side
    private var midRollback = 0         // term bytes before that character

    init(firstPosition: Int, joinsSoftLineBreaks: Bool, folding: VariantFolding?) {
        self.position = firstPosition
        self.joinsSoftLineBreaks = joinsSoftLineBreaks
        self.folding = folding
    }

    /// The slot a following field starts at: one past the last, plus a gap when anything was emitted.
    var nextFieldPosition: Int { emittedAny ? position + 1 : position }

    /// Feeds one normalized character `c` of class `cls` that came from input bytes `start..<end`.
    @inline(__always)
    mutating func feed(_ c: UInt32, _ cls: UInt8, _ start: Int, _ end: Int, _ buffer: inout TokenBuffer) {
        switch mode {
        case .run:
            if cls == CharacterClass.hanKana || (cls == CharacterClass.hangul && !inLineBreak) {
                extendRun(c, cls, start, end, &buffer)
                return
            }
            if inLineBreak {
                if cls == CharacterClass.newline || cls == CharacterClass.ignorable || cls == CharacterClass.mark { return }
            } else if cls == CharacterClass.newline && joinsSoftLineBreaks && previousIsHanKana {
                inLineBreak = true
                return
            } else if cls == CharacterClass.mark || cls == CharacterClass.ignorable {
                return
            }
            endRun(&buffer)
            idle(c, cls, start, end, &buffer)
        case .word:
            word(c, cls, start, end, &buffer)
        case .idle:
            idle(c, cls, start, end, &buffer)
        }
    }

    /// Ends whatever is open; call once after the last character.
    mutating func finish(_ buffer: inout TokenBuffer) {
        switch mode {
        case .run: endRun(&buffer)
        case .word:
            if pendingMid != 0 {
                buffer.truncateTermBytes(to: midRollback)
                pendingMid = 0
            }
            endWord(&buffer)
        case .idle: break
        }
    }

    // MARK: - States

    @inline(__always)
    private mutating func idle(_ c: UInt32, _ cls: UInt8, _ start: Int, _ end: Int, _ buffer: inout TokenBuffer) {
        switch cls {
        case CharacterClass.hanKana, CharacterClass.hangul:
            takeGap()
            mode = .run
            runStart = position
            runLength = 1
            previous = fold(c, cls)
            previousStart = start
            previousEnd = end
            previousIsHanKana = cls == CharacterClass.hanKana
            inLineBreak = false
        case CharacterClass.letter, CharacterClass.digit, CharacterClass.extendNumLet:
            mode = .word
            wordStart = start
            wordEnd = end
            wordTermStart = buffer.termByteCount
            buffer.appendTermScalar(c)
            lastWordClass = cls
            wordHasLetter = cls == CharacterClass.letter
            wordHasCore = cls != CharacterClass.extendNumLet
            pendingMid = 0
        case CharacterClass.space, CharacterClass.newline, CharacterClass.mark, CharacterClass.ignorable:
            break
        default:
            // punctuation and symbols, Mid* characters outside words
            pendingGap = emittedAny
        }
    }

    @inline(__always)
    private mutating func extendRun(_ c: UInt32, _ cls: UInt8, _ start: Int, _ end: Int, _ buffer: inout TokenBuffer) {
        let current = fold(c, cls)
        let termStart = buffer.termByteCount
        buffer.appendTermScalar(previous)
        buffer.appendTermScalar(current)
        buffer.appendEntry(termStart: termStart, position: runStart + runLength - 1,
                           start: previousStart, end: end, kind: .bigram)
        tokenCount += 1
        runLength += 1
        previous = current
        previousStart = start
        previousEnd = end
        previousIsHanKana = cls == CharacterClass.hanKana
        inLineBreak = false
    }

    private mutating func endRun(_ buffer: inout TokenBuffer) {
        if runLength == 1 {
            let termStart = buffer.termByteCount
            buffer.appendTermScalar(previous)
            buffer.appendEntry(termStart: termStart, position: runStart, start: previousStart, end: previousEnd,
                               kind: .unigram)
            tokenCount += 1
        }
        position = runStart + runLength
        emittedAny = true
        inLineBreak = false
        mode = .idle
    }

    @inline(__always)
    private mutating func word(_ c: UInt32, _ cls: UInt8, _ start: Int, _ end: Int, _ buffer: inout TokenBuffer) {
        if pendingMid != 0 {
            // WB6/7 (letter Mid letter) and WB11/12 (digit Mid digit)
            let joins = (cls == CharacterClass.letter && lastWordClass == CharacterClass.letter
                         && pendingMid != CharacterClass.midNum)
                || (cls == CharacterClass.digit && lastWordClass == CharacterClass.digit
                    && pendingMid != CharacterClass.midLetter)
            if joins {
                pendingMid = 0
                appendWordCharacter(c, cls, end, &buffer)
                return
            }
            if cls == CharacterClass.mark { buffer.appendTermScalar(c); return }   // WB4
            if cls == CharacterClass.ignorable { return }
            buffer.truncateTermBytes(to: midRollback)
            pendingMid = 0
            endWord(&buffer)
            pendingGap = emittedAny     // the Mid character was punctuation after all
            idle(c, cls, start, end, &buffer)
            return
        }
        switch cls {
        case CharacterClass.letter, CharacterClass.digit, CharacterClass.extendNumLet:
            appendWordCharacter(c, cls, end, &buffer)
        case CharacterClass.mark:
            buffer.appendTermScalar(c)
            wordEnd = end
        case CharacterClass.ignorable:
            break
        case CharacterClass.midLetter, CharacterClass.midNum, CharacterClass.midNumLet:
            let possible = (lastWordClass == CharacterClass.letter && cls != CharacterClass.midNum)
                || (lastWordClass == CharacterClass.digit && cls != CharacterClass.midLetter)
            if possible {
                midRollback = buffer.termByteCount
                buffer.appendTermScalar(c)
                pendingMid = cls
            } else {
                endWord(&buffer)
                pendingGap = emittedAny
            }
        default:
            endWord(&buffer)
            idle(c, cls, start, end, &buffer)
        }
    }

    @inline(__always)
    private mutating func appendWordCharacter(_ c: UInt32, _ cls: UInt8, _ end: Int, _ buffer: inout TokenBuffer) {
        buffer.appendTermScalar(c)
        wordEnd = end
        lastWordClass = cls
        if cls == CharacterClass.letter { wordHasLetter = true; wordHasCore = true }
        else if cls == CharacterClass.digit { wordHasCore = true }
    }

    private mutating func endWord(_ buffer: inout TokenBuffer) {
        mode = .idle
        guard wordHasCore else {
            // only connector punctuation ("__"): no token, but not whitespace either
            buffer.truncateTermBytes(to: wordTermStart)
            pendingGap = emittedAny
            return
        }
        takeGap()
        buffer.appendEntry(termStart: wordTermStart, position: position, start: wordStart, end: wordEnd,
                           kind: wordHasLetter ? .word : .number)
        tokenCount += 1
        position += 1
        emittedAny = true
    }

    @inline(__always)
    private mutating func takeGap() {
        if pendingGap {
            position += 1
            pendingGap = false
        }
    }

    @inline(__always)
    private func fold(_ c: UInt32, _ cls: UInt8) -> UInt32 {
        guard let folding, cls == CharacterClass.hanKana else { return c }
        return folding.fold(c)
    }
}
