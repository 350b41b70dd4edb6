/// The analyzer's state machine: fed normalized characters with their class and their byte
/// range in the original input, it emits tokens and keeps the slot count.
///
/// Three states: between tokens (`idle`), inside a CJK run (`run`: each new character emits
/// the bigram it closes), inside a word or number (`word`: UAX #29 rules WB4–WB13b, as in ICU's
/// rule-based word break iterator). Positions follow the slot model of ``Token``.
struct TokenScanner: ~Copyable {
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
    /// The original input: verbatim words are copied from it in one piece.
    private let input: UnsafeBufferPointer<UInt8>
    /// Term bytes of this call's tokens (moved into the token buffer by ``finish(_:)``).
    private var terms: ScratchStorage<UInt8>
    /// This call's tokens; term offsets relative to ``terms``.
    private var entries: ScratchStorage<TokenBuffer.Entry>

    // CJK run
    private var runStart = 0            // slot of the run's first character
    private var runLength = 0           // characters so far
    private var previous: UInt32 = 0    // last character (normalized, folded)
    private var previousUTF8: UInt64 = 0 // its UTF-8 bytes, first byte lowest
    private var previousUTF8Count = 0
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
    private var midRollback = 0         // term bytes before that character (when not verbatim)
    private var midEnd = 0              // input end of that character and marks after it
    /// The word so far is exactly `input[wordStart..<wordEnd]` (its characters needed no
    /// normalization): its term is copied at the end instead of appended character by character.
    private var wordVerbatim = false

    /// A scanner writing into the storage kept by `scratch` (which gets it back from ``finish(_:returningScratchTo:)``).
    init(input: UnsafeBufferPointer<UInt8>, firstPosition: Int, joinsSoftLineBreaks: Bool, folding: VariantFolding?,
         scratch: AnalysisScratch) {
        self.input = input
        self.terms = ScratchStorage()
        self.entries = ScratchStorage()
        self.position = firstPosition
        self.joinsSoftLineBreaks = joinsSoftLineBreaks
        self.folding = folding
        // Borrow the buffer's storage; size it for typical text the first time (CJK: about 2 term
        // bytes and 1/3 token per input byte), capped so that a huge input grows by doubling.
        swap(&terms, &scratch.terms)
        swap(&entries, &scratch.entries)
        terms.removeAll()
        entries.removeAll()
        terms.reserve(min(input.count * 2, 1 << 20) + 64)
        entries.reserve(min(input.count / 3, 1 << 16) + 16)
    }

    /// The slot a following field starts at: one past the last, plus a gap when anything was emitted.
    var nextFieldPosition: Int { emittedAny ? position + 1 : position }

    /// Feeds one normalized character `c` of class `cls` that came from input bytes `start..<end`;
    /// `verbatim` when those bytes are the UTF-8 encoding of `c` itself.
    @inline(always)
    mutating func feed(_ c: UInt32, _ cls: UInt8, _ start: Int, _ end: Int, verbatim: Bool) {
        switch mode {
        case .run:
            if cls == CharacterClass.hanKana || (cls == CharacterClass.hangul && !inLineBreak) {
                extendRun(c, cls, start, end)
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
            endRun()
            idle(c, cls, start, end, verbatim)
        case .word:
            word(c, cls, start, end, verbatim)
        case .idle:
            idle(c, cls, start, end, verbatim)
        }
    }

    /// Tokens emitted and not yet moved into a buffer.
    var waitingTokenCount: Int { entries.count }

    /// Moves the tokens emitted so far into `buffer`, keeping the term bytes of the word being
    /// built (moved to the front of the storage, its offsets shifted with them).
    mutating func moveWaitingTokens(into buffer: inout TokenBuffer) {
        guard entries.count > 0 else { return }
        // term bytes are written in token order: the last token's term ends where the bytes of
        // the tokens end; what follows belongs to the open word (its offsets are after it)
        let done = entries.withElements { Int($0[$0.count - 1].termStart + $0[$0.count - 1].termLength) }
        terms.withElements { termBytes in
            entries.withElements { buffer.append(entries: $0, termBytes: UnsafeBufferPointer(rebasing: termBytes[0..<done])) }
        }
        entries.removeAll()
        terms.removeFirst(done)
        if mode == .word {
            wordTermStart -= done
            midRollback -= done
        }
    }

    /// One past the last slot the text has taken so far: the next free slot, or past the last
    /// character of the CJK run being read.
    var takenSlotsEnd: Int { mode == .run ? runStart + runLength : position }

    /// The term bytes waiting (those of the tokens not yet moved, and of the word being built).
    var termBytes: Int { terms.count }

    /// Whether the tokens emitted so far fit a ``TokenBuffer`` whose terms already take
    /// `termBase` bytes: every slot taken is at most ``Analyzer/maxPosition`` and the term
    /// bytes end within `Int32.max`. (Entries store these numbers truncated to 32 bits: a call
    /// checks this before it hands tokens over.)
    func fits(termBase: Int) -> Bool {
        takenSlotsEnd <= Analyzer.maxPosition + 1 && terms.count <= Int(Int32.max) - termBase
    }

    /// Ends whatever token is open; call once, after the last character (before ``fits(termBase:)``
    /// and ``finish(_:returningScratchTo:)``).
    mutating func endInput() {
        endOpenToken()
    }

    /// Moves the tokens into `buffer` and hands the storage back to `scratch`; call once, after
    /// ``endInput()``.
    mutating func finish(_ buffer: inout TokenBuffer, returningScratchTo scratch: AnalysisScratch) {
        terms.withElements { termBytes in
            entries.withElements { buffer.append(entries: $0, termBytes: termBytes) }
        }
        swap(&terms, &scratch.terms)
        swap(&entries, &scratch.entries)
    }

    /// Hands the storage back to `scratch` without moving any token (a call that failed).
    mutating func discard(returningScratchTo scratch: AnalysisScratch) {
        swap(&terms, &scratch.terms)
        swap(&entries, &scratch.entries)
    }

    private mutating func endOpenToken() {
        switch mode {
        case .run: endRun()
        case .word:
            dropPendingMid()
            endWord()
        case .idle: break
        }
    }

    // MARK: - States

    @inline(__always)
    private mutating func idle(_ c: UInt32, _ cls: UInt8, _ start: Int, _ end: Int, _ verbatim: Bool) {
        switch cls {
        case CharacterClass.hanKana, CharacterClass.hangul:
            takeGap()
            mode = .run
            runStart = position
            runLength = 1
            previous = fold(c, cls)
            (previousUTF8, previousUTF8Count) = UTF8Encoding.encode(previous)
            previousStart = start
            previousEnd = end
            previousIsHanKana = cls == CharacterClass.hanKana
            inLineBreak = false
        case CharacterClass.letter, CharacterClass.digit, CharacterClass.extendNumLet:
            mode = .word
            wordStart = start
            wordEnd = end
            wordTermStart = terms.count
            wordVerbatim = verbatim
            if !verbatim { terms.append(scalar: c) }
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
    private mutating func extendRun(_ c: UInt32, _ cls: UInt8, _ start: Int, _ end: Int) {
        let current = fold(c, cls)
        let (utf8, count) = UTF8Encoding.encode(current)
        let termStart = terms.count
        terms.append(bytes: previousUTF8 | utf8 << (8 * previousUTF8Count), count: previousUTF8Count + count)
        appendEntry(termStart: termStart, position: runStart + runLength - 1,
                           start: previousStart, end: end, kind: .bigram)
        tokenCount += 1
        runLength += 1
        previous = current
        previousUTF8 = utf8
        previousUTF8Count = count
        previousStart = start
        previousEnd = end
        previousIsHanKana = cls == CharacterClass.hanKana
        inLineBreak = false
    }

    private mutating func endRun() {
        if runLength == 1 {
            let termStart = terms.count
            terms.append(bytes: previousUTF8, count: previousUTF8Count)
            appendEntry(termStart: termStart, position: runStart, start: previousStart, end: previousEnd,
                               kind: .unigram)
            tokenCount += 1
        }
        position = runStart + runLength
        emittedAny = true
        inLineBreak = false
        mode = .idle
    }

    @inline(always)
    private mutating func word(_ c: UInt32, _ cls: UInt8, _ start: Int, _ end: Int, _ verbatim: Bool) {
        if pendingMid != 0 {
            // WB6/7 (letter Mid letter) and WB11/12 (digit Mid digit)
            let joins = (cls == CharacterClass.letter && lastWordClass == CharacterClass.letter
                         && pendingMid != CharacterClass.midNum)
                || (cls == CharacterClass.digit && lastWordClass == CharacterClass.digit
                    && pendingMid != CharacterClass.midLetter)
            if joins {
                pendingMid = 0
                wordEnd = midEnd
                appendWordCharacter(c, cls, start, end, verbatim)
                return
            }
            if cls == CharacterClass.mark {     // WB4: marks after the Mid character stay with it
                if wordVerbatim && verbatim && start == midEnd {
                    midEnd = end
                } else {
                    leaveVerbatim()
                    terms.append(scalar: c)
                    midEnd = end
                }
                return
            }
            if cls == CharacterClass.ignorable { return }
            dropPendingMid()
            endWord()
            pendingGap = emittedAny     // the Mid character was punctuation after all
            idle(c, cls, start, end, verbatim)
            return
        }
        switch cls {
        case CharacterClass.letter, CharacterClass.digit, CharacterClass.extendNumLet:
            appendWordCharacter(c, cls, start, end, verbatim)
        case CharacterClass.mark:
            if !(wordVerbatim && verbatim && start == wordEnd) {
                leaveVerbatim()
                terms.append(scalar: c)
            }
            wordEnd = end
        case CharacterClass.ignorable:
            break
        case CharacterClass.midLetter, CharacterClass.midNum, CharacterClass.midNumLet:
            let possible = (lastWordClass == CharacterClass.letter && cls != CharacterClass.midNum)
                || (lastWordClass == CharacterClass.digit && cls != CharacterClass.midLetter)
            if possible {
                if !(wordVerbatim && verbatim && start == wordEnd) {
                    leaveVerbatim()
                    midRollback = terms.count
                    terms.append(scalar: c)
                }
                pendingMid = cls
                midEnd = end
            } else {
                endWord()
                pendingGap = emittedAny
            }
        default:
            endWord()
            idle(c, cls, start, end, verbatim)
        }
    }

    @inline(__always)
    private mutating func appendWordCharacter(_ c: UInt32, _ cls: UInt8, _ start: Int, _ end: Int, _ verbatim: Bool) {
        if !(wordVerbatim && verbatim && start == wordEnd) {
            leaveVerbatim()
            terms.append(scalar: c)
        }
        wordEnd = end
        lastWordClass = cls
        if cls == CharacterClass.letter { wordHasLetter = true; wordHasCore = true }
        else if cls == CharacterClass.digit { wordHasCore = true }
    }

    /// Switches the current word to character-by-character terms, copying what it has so far
    /// (and a pending Mid character with its marks, keeping the rollback point before it).
    private mutating func leaveVerbatim() {
        guard wordVerbatim else { return }
        wordVerbatim = false
        terms.append(contentsOf: UnsafeBufferPointer(rebasing: input[wordStart..<wordEnd]))
        if pendingMid != 0 {
            midRollback = terms.count
            terms.append(contentsOf: UnsafeBufferPointer(rebasing: input[wordEnd..<midEnd]))
        }
    }

    /// Forgets a Mid character that found no right side.
    @inline(__always)
    private mutating func dropPendingMid() {
        guard pendingMid != 0 else { return }
        if !wordVerbatim { terms.truncate(to: midRollback) }
        pendingMid = 0
    }

    private mutating func endWord() {
        mode = .idle
        guard wordHasCore else {
            // only connector punctuation ("__"): no token, but not whitespace either
            if !wordVerbatim { terms.truncate(to: wordTermStart) }
            pendingGap = emittedAny
            return
        }
        takeGap()
        if wordVerbatim {
            wordTermStart = terms.count
            terms.append(contentsOf: UnsafeBufferPointer(rebasing: input[wordStart..<wordEnd]))
        }
        appendEntry(termStart: wordTermStart, position: position, start: wordStart, end: wordEnd,
                           kind: wordHasLetter ? .word : .number)
        tokenCount += 1
        position += 1
        emittedAny = true
    }

    @inline(__always)
    private mutating func appendEntry(termStart: Int, position: Int, start: Int, end: Int, kind: TokenKind) {
        entries.append(TokenBuffer.Entry(
            termStart: Int32(truncatingIfNeeded: termStart), termLength: Int32(truncatingIfNeeded: terms.count - termStart),
            position: Int32(truncatingIfNeeded: position), start: Int32(truncatingIfNeeded: start),
            end: Int32(truncatingIfNeeded: end), kind: kind))
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
