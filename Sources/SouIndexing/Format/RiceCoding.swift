/// Bit streams with Golomb–Rice codes: how document gaps, frequencies and the last (partial)
/// run of positions are stored. Bits are written least significant first within each byte.
///
///     Rice(v, k)  --> q one-bits, a zero bit, then the k low bits of v, where q = v >> k
///                     (q ≥ 32: 32 one-bits, then v as 32 raw bits: bounded even when damaged)
///     Gamma(v ≥ 1) --> n one-bits, a zero bit, then the n low bits of v, where n = ⌊log2 v⌋
enum RiceCoding {
    static let escape = 32

    /// Bits of Rice(v, k).
    @inline(__always)
    static func cost(_ v: UInt32, _ k: Int) -> Int {
        let q = Int(v >> UInt32(k))
        return q >= escape ? escape + 32 : q + 1 + k
    }

    /// The Rice parameter of the document gaps of a term in one postings block (document
    /// frequency ≤ 128), derived instead of stored: the bit length of the mean gap
    /// documentCount / (documentFrequency + 1), minus one (0 when that mean is below 2).
    static func derivedGapParameter(documentFrequency df: Int, documentCount n: Int) -> Int {
        let mean = n / (df + 1)
        return mean < 2 ? 0 : min(24, 63 - UInt64(mean).leadingZeroBitCount)
    }

    /// The Rice parameter of the first position of a term that occurs `frequency` ≥ 2 times in a
    /// document of `slotCount` slots, derived instead of stored (postings blocks of mode
    /// "derived"): the first of f occurrences falls at about slotCount / (f + 1), and the
    /// parameter is about the bit length of that mean minus one, computed without dividing:
    /// bit length of slotCount − bit length of (f + 1), within 0...24.
    @inline(__always)
    static func firstPositionParameter(slotCount: Int, frequency f: Int) -> Int {
        let s = 64 &- UInt64(truncatingIfNeeded: max(slotCount, 0)).leadingZeroBitCount
        let d = 64 &- UInt64(truncatingIfNeeded: f &+ 1).leadingZeroBitCount
        return min(24, max(0, s &- d))
    }

    /// The Rice parameter of the position gaps of a term in one document, in a term's inline gaps
    /// of mode "per document" (K = 31): the f − 1 gaps (each minus one) of a term whose first of
    /// f ≥ 2 occurrences is at `first` in a document of `slotCount` slots sum to at most
    /// R = slotCount − first − f, so their mean is at most R / (f − 1); the parameter is the bit
    /// length of R minus that of f − 1, minus 1 (about the mean's bit length minus 2), within
    /// 0...24, computed without dividing.
    @inline(__always)
    static func documentGapParameter(slotCount: Int, first: Int, frequency f: Int) -> Int {
        let r = max(0, slotCount &- first &- f)
        let lengthR = 64 &- UInt64(truncatingIfNeeded: r).leadingZeroBitCount
        let lengthF = 64 &- UInt64(truncatingIfNeeded: max(1, f &- 1)).leadingZeroBitCount
        return min(24, max(0, lengthR &- lengthF &- 1))
    }

    /// The K of inline gaps that says "a parameter per document" (others above 24 are corrupt).
    static let perDocumentGaps = 31

    /// Bits of `v` in truncated binary over `0..<n` (see ``BitWriter/truncated(_:below:)``).
    @inline(__always)
    static func truncatedCost(_ v: UInt32, below n: Int) -> Int {
        guard n > 1 else { return 0 }
        let b = 64 - UInt64(n - 1).leadingZeroBitCount
        let u = (1 << b) - n
        return Int(v) < u ? b - 1 : b
    }

    /// The parameter minimizing the total size of `values` among the three around the mean's
    /// bit length b (b − 2 ... b, within 0...24), where the optimum of a Rice code lies for
    /// geometric-like data: three passes instead of twenty-five.
    static func bestParameter<C: Collection>(_ values: C) -> Int where C.Element == UInt32 {
        if let best = values.withContiguousStorageIfAvailable({ bestParameter(buffer: $0) }) { return best }
        return bestParameter(generic: values)
    }

    /// ``bestParameter(_:)`` over contiguous values.
    static func bestParameter(buffer values: UnsafeBufferPointer<UInt32>) -> Int {
        var sum: UInt64 = 0
        var largest: UInt32 = 0
        for v in values {
            sum &+= UInt64(v)
            largest = max(largest, v)
        }
        return bestParameterAndCost(buffer: values, sum: sum, largest: largest).parameter
    }

    /// ``bestParameter(_:)`` over contiguous values whose sum and largest value the caller has
    /// gathered (in a pass of its own), with the total bits of the values under that parameter
    /// (the sum of ``cost(_:_:)``): when no value escapes with the smallest candidate (then none
    /// does with the larger ones), cost(v, k) = (v >> k) + 1 + k for every value, and each
    /// candidate's total is a sum of shifts (no branch per value).
    @inline(__always)
    static func bestParameterAndCost(buffer values: UnsafeBufferPointer<UInt32>, sum: UInt64, largest: UInt32) -> (parameter: Int, cost: Int) {
        let n = values.count
        guard n > 0 else { return (0, 0) }
        let (k0, k1, last) = candidates(sum: sum, count: UInt64(n))
        guard Int(largest >> UInt32(k0)) < escape else {
            // some value escapes: each candidate's cost value by value (the sum is known: one pass)
            return cheapest(k0, last, costs(values, k0, k1, last))
        }
        var s0: UInt64 = 0, s1: UInt64 = 0, s2: UInt64 = 0
        for v in values {
            s0 &+= UInt64(v >> UInt32(k0))
            s1 &+= UInt64(v >> UInt32(k1))
            s2 &+= UInt64(v >> UInt32(last))
        }
        return cheapest(k0, last, (Int(s0) + n * (1 + k0), Int(s1) + n * (1 + k1), Int(s2) + n * (1 + last)))
    }

    /// ``bestParameter(_:)`` value by value (escapes included).
    static func bestParameter<C: Collection>(generic values: C) -> Int where C.Element == UInt32 {
        bestParameterAndCost(generic: values).parameter
    }

    /// ``bestParameter(generic:)`` with the total bits of the values under that parameter.
    static func bestParameterAndCost<C: Collection>(generic values: C) -> (parameter: Int, cost: Int) where C.Element == UInt32 {
        var sum: UInt64 = 0, n: UInt64 = 0
        for v in values { sum &+= UInt64(v); n &+= 1 }
        guard n > 0 else { return (0, 0) }
        let (k0, k1, last) = candidates(sum: sum, count: n)
        return cheapest(k0, last, costs(values, k0, k1, last))
    }

    /// The (up to) three candidates around the mean's bit length b: k0 = b − 2, k1 = b − 1 and
    /// last = b, clamped to 0...24 (k1 and last may repeat k0 when clamped). `n` > 0.
    @inline(__always)
    private static func candidates(sum: UInt64, count n: UInt64) -> (k0: Int, k1: Int, last: Int) {
        let b = 64 - (sum / n).leadingZeroBitCount
        let k0 = max(0, min(24, b - 2)), last = min(24, b)
        return (k0, min(k0 + 1, last), last)
    }

    /// Each candidate's total bits, value by value (escapes included), in one pass.
    @inline(__always)
    private static func costs<S: Sequence>(_ values: S, _ k0: Int, _ k1: Int, _ last: Int) -> (Int, Int, Int) where S.Element == UInt32 {
        var c0 = 0, c1 = 0, c2 = 0
        for v in values {
            c0 &+= cost(v, k0)
            c1 &+= cost(v, k1)
            c2 &+= cost(v, last)
        }
        return (c0, c1, c2)
    }

    /// The cheapest candidate and its total; ties go to the smallest k.
    @inline(__always)
    private static func cheapest(_ k0: Int, _ last: Int, _ c: (Int, Int, Int)) -> (parameter: Int, cost: Int) {
        var best = k0, bestCost = c.0
        if k0 + 1 <= last, c.1 < bestCost { best = k0 + 1; bestCost = c.1 }
        if k0 + 2 <= last, c.2 < bestCost { best = k0 + 2; bestCost = c.2 }
        return (best, bestCost)
    }
}

/// Appends bits to a byte buffer.
struct BitWriter {
    /// The complete 64-bit words written so far (little-endian: their memory is the stream's bytes).
    private var words: [UInt64] = []
    private var acc: UInt64 = 0
    private var count = 0

    /// Bytes in complete words (the stream's first bytes; the bits after them are pending).
    var completeByteCount: Int { words.count * 8 }

    /// The byte count ``finish(appendingTo:)`` would return now (the bits padded to a byte).
    var finishedByteCount: Int { words.count &* 8 &+ (count &+ 7) &>> 3 }

    /// Hands the complete words' bytes to `body` and forgets them (the stream goes on after them).
    mutating func drainCompleteBytes(_ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        try words.withUnsafeBytes { try body($0) }
        words.removeAll(keepingCapacity: true)
    }

    @inline(__always)
    mutating func write(_ value: UInt64, bits n: Int) {
        guard n > 0 else { return }
        precondition(n <= 64, "more than 64 bits in one write")
        // masking shifts and wrapping arithmetic: 0 < n ≤ 64 and 0 ≤ count < 64 here
        let v = n == 64 ? value : value & ((1 &<< UInt64(n)) &- 1)
        acc |= v &<< UInt64(count)
        let room = 64 &- count
        if n >= room {
            // acc is full: emit it, keep the rest of v
            words.append(acc.littleEndian)
            acc = room == 64 ? 0 : v &>> UInt64(room)
            count = n &- room
        } else {
            count &+= n
        }
    }

    @inline(__always)
    mutating func ones(_ n: Int) {
        var left = n
        while left > 0 {
            let m = min(left, 32)
            write((1 << UInt64(m)) - 1, bits: m)
            left -= m
        }
    }

    @inline(__always)
    mutating func rice(_ v: UInt32, _ k: Int) {
        precondition(k >= 0 && k < 32, "Rice parameter out of range")
        let q = Int(v &>> UInt32(truncatingIfNeeded: k))
        if q >= RiceCoding.escape {
            ones(RiceCoding.escape)
            write(UInt64(v), bits: 32)
        } else {
            // q one-bits, a zero bit and k bits of v in one write: q + 1 + k ≤ 31 + 1 + 31 < 64
            let low = UInt64(v) & ((1 &<< UInt64(k)) &- 1)
            write((1 &<< UInt64(q)) &- 1 | low &<< UInt64(q &+ 1), bits: q &+ 1 &+ k)
        }
    }

    /// Truncated binary code of `v` in `0..<n`, b = bit length of n − 1, u = 2^b − n:
    /// v < u takes b − 1 bits; otherwise w = v + u takes b bits, written as w >> 1 (b − 1 bits)
    /// then w & 1, so that a reader can decide after b − 1 bits. Nothing for n ≤ 1.
    @inline(__always)
    mutating func truncated(_ v: UInt32, below n: Int) {
        guard n > 1 else { return }
        let b = 64 - UInt64(n - 1).leadingZeroBitCount
        let u = (1 << b) - n
        if Int(v) < u {
            write(UInt64(v), bits: b - 1)
        } else {
            // w >> 1 in b − 1 bits, then w & 1: one write of b ≤ 64 bits
            let w = UInt64(Int(v) + u)
            write((w >> 1) & ((1 << UInt64(b - 1)) - 1) | (w & 1) << UInt64(b - 1), bits: b)
        }
    }

    @inline(__always)
    mutating func gamma(_ v: UInt32) {
        guard v > 0 else { write(0, bits: 1); return }   // (not a gamma value: a lone zero bit, as before)
        let n = 31 - v.leadingZeroBitCount
        // n one-bits, a zero bit and the n low bits of v in one write: 2n + 1 ≤ 63 bits
        let low = UInt64(v) & ((1 << UInt64(n)) - 1)
        write((1 << UInt64(n)) - 1 | low << UInt64(n + 1), bits: 2 * n + 1)
    }

    /// Pads to a byte boundary, appends the bytes to `out` and starts a new stream (keeping
    /// the buffer); returns the stream's byte count.
    @discardableResult
    mutating func finish(appendingTo out: inout [UInt8]) -> Int {
        var n = words.count * 8
        if n > 0 {
            words.withUnsafeBytes { out.append(contentsOf: $0) }
            words.removeAll(keepingCapacity: true)
        }
        var c = count
        var a = acc
        while c > 0 {
            out.append(UInt8(truncatingIfNeeded: a))
            a >>= 8
            c -= 8
            n += 1
        }
        acc = 0
        count = 0
        return n
    }

    /// Pads to a byte boundary and returns the bytes.
    mutating func finish() -> [UInt8] {
        var result: [UInt8] = []
        finish(appendingTo: &result)
        return result
    }
}

/// Reads bits from index bytes, bounds-checked: reading past `end` throws.
struct BitReader {
    let base: UnsafeRawPointer
    let end: Int
    private(set) var bitOffset: Int
    let context: StaticString

    init(_ bytes: IndexBytes, from start: Int, end: Int, context: StaticString) {
        base = bytes.base
        self.end = end
        bitOffset = start * 8
        self.context = context
    }

    /// The byte offset after the last bit read (rounded up).
    var byteOffset: Int { (bitOffset + 7) / 8 }

    func fail(_ what: String) -> IndexError {
        IndexError.corrupt("\(context): \(what) at byte \(bitOffset / 8)")
    }

    @inline(__always)
    mutating func bit() throws -> UInt64 {
        let byte = bitOffset >> 3
        guard byte < end else { throw fail("unexpected end of a bit stream") }
        let b = base.load(fromByteOffset: byte, as: UInt8.self)
        let v = UInt64((b >> UInt8(bitOffset & 7)) & 1)
        bitOffset += 1
        return v
    }

    /// The 64 bits starting at the current bit offset when 8 whole bytes are available from its
    /// byte (at least 57 of them valid), else nil: the fast path of the reads below.
    @inline(__always)
    private func window() -> UInt64? { window(at: bitOffset, lastWord: end &- 8) }

    /// ``window()`` at bit `offset`, for the loops below, which keep their offset and `lastWord`
    /// (`end` − 8, the last byte a word may be loaded from) in locals: a write through their
    /// output pointer could alias `self`, so `end` read here would be loaded again every code.
    @inline(__always)
    private func window(at offset: Int, lastWord: Int) -> UInt64? {
        let byte = offset &>> 3
        guard byte <= lastWord else { return nil }
        // bounds: byte ≤ end − 8, so byte + 8 ≤ end: inside the reader's range of the mapped bytes
        return UInt64(littleEndian: base.loadUnaligned(fromByteOffset: byte, as: UInt64.self)) &>> UInt64(offset & 7)
    }

    @inline(__always)
    mutating func read(bits n: Int) throws -> UInt64 {
        guard n > 0 else { return 0 }
        if n <= 56, let w = window() {
            bitOffset += n
            return w & ((1 << UInt64(n)) - 1)
        }
        guard (bitOffset + n + 7) / 8 <= end else { throw fail("unexpected end of a bit stream") }
        var result: UInt64 = 0
        var got = 0
        while got < n {
            let byte = base.load(fromByteOffset: bitOffset >> 3, as: UInt8.self)
            let shift = bitOffset & 7
            let take = min(8 - shift, n - got)
            let part = (UInt64(byte) >> UInt64(shift)) & ((1 << UInt64(take)) - 1)
            result |= part << UInt64(got)
            got += take
            bitOffset += take
        }
        return result
    }

    /// Counts one-bits up to the next zero bit (consumed) or `limit` ones (then no zero follows).
    @inline(__always)
    mutating func unary(limit: Int) throws -> Int {
        if let w = window() {
            let ones = (~w).trailingZeroBitCount   // ones before the first zero bit
            if ones < limit && ones < 57 {
                bitOffset += ones + 1
                return ones
            }
        }
        var n = 0
        while n < limit {
            if try bit() == 0 { return n }
            n += 1
        }
        return n
    }

    @inline(__always)
    mutating func rice(_ k: Int) throws -> UInt32 {
        let q = try unary(limit: RiceCoding.escape)
        if q == RiceCoding.escape { return UInt32(try read(bits: 32)) }
        let v = (UInt64(q) << UInt64(k)) | (try read(bits: k))
        guard v <= UInt64(UInt32.max) else { throw fail("value out of range") }
        return UInt32(v)
    }

    /// The bits from the current bit offset on, least significant first, and how many of them
    /// are the stream's (`valid`; the bits above are zero): up to 64 − (bit offset mod 8), i.e.
    /// at least 57 while 8 whole bytes remain before `end`, fewer in the last bytes, 0 at the
    /// end. A decoder parses codes from it and consumes them with ``skip(bits:)``, never using
    /// more than `valid` bits: the fast path of the block decoders.
    @inline(__always)
    func peek() -> (bits: UInt64, valid: Int) {
        let byte = bitOffset &>> 3
        let shift = bitOffset & 7
        if byte &+ 8 <= end {
            // bounds: byte + 8 ≤ end, inside the reader's range of the mapped bytes
            return (UInt64(littleEndian: base.loadUnaligned(fromByteOffset: byte, as: UInt64.self)) &>> UInt64(shift), 64 &- shift)
        }
        guard byte < end else { return (0, 0) }
        // the last 1...7 bytes, one at a time (bounds: byte + i < end)
        var w: UInt64 = 0
        for i in 0..<(end &- byte) {
            w |= UInt64(base.load(fromByteOffset: byte &+ i, as: UInt8.self)) &<< UInt64(8 &* i)
        }
        return (w &>> UInt64(shift), (end &- byte) &* 8 &- shift)
    }

    /// Consumes `n` bits that a ``peek()`` showed as valid.
    @inline(__always)
    mutating func skip(bits n: Int) { bitOffset &+= n }

    /// Reads `count` Rice(·, k) values into `out[0..<count]`: the same values and the same errors
    /// as `count` calls of ``rice(_:)`` (a block of position gaps, the hot loop of phrase
    /// matching). While 8 whole bytes remain from the current byte, each code is parsed from
    /// the 64-bit word loaded there, shifted to the current bit: at least 57 valid bits, and a
    /// code that does not escape (fewer than 32 ones, then a zero and k ≤ 24 bits) is at most
    /// 56 bits long, so it lies inside them, and its value is below 2^29 (never out of range).
    /// An escape goes through ``rice(_:)``, the codes in the stream's last 8 bytes through
    /// ``riceByWindows(_:count:into:)``.
    /// `out` must have room for `count` values; `k` ≤ 24.
    @inline(__always)
    mutating func rice(_ k: Int, count: Int, into out: UnsafeMutablePointer<UInt32>) throws {
        precondition(k >= 0 && k <= 24, "Rice parameter out of range")
        var j = 0
        while j < count {
            var sum = 0
            j &+= riceWords(k, count: count &- j, into: out + j, sums: nil, after: &sum)
            guard j < count else { break }
            if window(at: bitOffset, lastWord: end &- 8) == nil {
                // the stream's last bytes: the codes left, each from a window of its valid bits
                return try riceByWindows(k, count: count &- j, into: out + j)
            }
            out[j] = try rice(k)   // an escape
            j &+= 1
        }
    }

    /// The fast path of the Rice decoders: reads up to `count` Rice(·, k) codes into `out` (and,
    /// when `sums` is given, for each value v adds v + 1 to `p` and writes it to `sums`), and
    /// returns how many it read; it stops before an escape or a code starting in the stream's last
    /// 8 bytes (the callers read those with the checks of ``rice(_:)``). A 64-bit word is loaded
    /// at the current byte (at least 8 bytes before the end) and shifted to the current bit: at
    /// least 57 valid bits, and a code that does not escape (fewer than 32 ones, then a zero and
    /// k ≤ 24 bits) is at most 56 bits long, so it lies inside them and its value is below 2^29.
    /// Codes are parsed from the word one after the other, the word shifted past each (its bits
    /// above the valid ones are zero, so a run of ones ends inside them), until the next one does
    /// not fit in what is left: then a new word is loaded where it starts. One load a word instead
    /// of one a code takes the memory load off the chain of dependent steps from code to code (the
    /// next code's start depends on this one's length): 1.6× faster decoding in a C model of both
    /// loops. `out` (and `sums`) have room for `count` values; `k` ≤ 24.
    @inline(__always)
    mutating func riceWords(_ k: Int, count: Int, into out: UnsafeMutablePointer<UInt32>, sums: UnsafeMutablePointer<Int>?,
                            after p: inout Int) -> Int {
        precondition(k >= 0 && k <= 24, "Rice parameter out of range")
        let mask = (UInt64(1) &<< UInt64(k)) &- 1
        let shiftK = UInt64(k)
        let lastWord = end &- 8
        var offset = bitOffset
        var sum = p
        var j = 0
        words: while j < count {
            guard var w = window(at: offset, lastWord: lastWord) else { break }
            // valid bits left in w: 64 − (offset & 7) at first
            var left = 64 &- (offset & 7)
            let start = left
            while true {
                let q = (~w).trailingZeroBitCount
                let length = q &+ 1 &+ k
                // (a fresh word holds any code that does not escape: length ≤ 56 < left)
                guard length <= left else { break }
                guard q < RiceCoding.escape else { offset &+= start &- left; break words }
                let v = UInt64(q) &<< shiftK | (w &>> UInt64(q &+ 1)) & mask
                out[j] = UInt32(truncatingIfNeeded: v)
                if let sums {
                    sum &+= Int(truncatingIfNeeded: v) &+ 1
                    sums[j] = sum
                }
                j &+= 1
                left &-= length
                // length ≤ 56 here (q < 32, k ≤ 24): the shift is below 64
                w &>>= UInt64(length)
                if j == count { break }
            }
            // nothing parsed from a fresh word: a code too long for it (an escape's ones)
            guard left < start else { break }
            offset &+= start &- left
        }
        bitOffset = offset
        p = sum
        return j
    }

    /// Reads `count` Rice(·, k) codes without keeping their values: the same bits read and the
    /// same errors as `count` calls of ``rice(_:)`` (the position gaps of documents a phrase
    /// leapfrogged over, which lie before those it reads). The fast path parses a code as
    /// ``rice(_:count:into:)`` does, from a 64-bit word loaded at least 8 bytes before the end;
    /// an escape or a code in the last 8 bytes goes through ``rice(_:)``. `k` ≤ 24.
    @inline(__always)
    mutating func skipRice(_ k: Int, count: Int) throws {
        precondition(k >= 0 && k <= 24, "Rice parameter out of range")
        let lastWord = end &- 8
        var offset = bitOffset
        var j = 0
        while j < count {
            if var w = window(at: offset, lastWord: lastWord) {
                // as in riceWords(_:count:into:sums:after:): codes parsed from one word while they fit
                var left = 64 &- (offset & 7)
                let start = left
                while true {
                    let q = (~w).trailingZeroBitCount
                    let length = q &+ 1 &+ k
                    guard length <= left, q < RiceCoding.escape else { break }
                    j &+= 1
                    left &-= length
                    w &>>= UInt64(length)   // length ≤ 56
                    if j == count { break }
                }
                offset &+= start &- left
                if left < start { continue }
            }
            bitOffset = offset
            _ = try rice(k)   // an escape, or a code in the last bytes
            offset = bitOffset
            j &+= 1
        }
        bitOffset = offset
    }

    /// ``rice(_:count:into:)`` near the stream's end (fewer than 8 bytes from the current
    /// byte on): the same values and the same errors as `count` calls of ``rice(_:)``, parsing
    /// each code from one ``peek()``. A code longer than the valid bits, or an
    /// escape, goes through ``rice(_:)``. `out` must have room for `count` values; `k` ≤ 24.
    /// Several codes are parsed from one window: after a code, the window is shifted by its
    /// length and the next one is parsed from what remains, until a code no longer fits in the
    /// window's valid bits (then a new window is loaded).
    @inline(never)
    mutating func riceByWindows(_ k: Int, count: Int, into out: UnsafeMutablePointer<UInt32>) throws {
        precondition(k >= 0 && k <= 24, "Rice parameter out of range")
        let mask = (UInt64(1) &<< UInt64(k)) &- 1
        var j = 0
        while j < count {
            var (w, valid) = peek()
            var q = (~w).trailingZeroBitCount
            // q ones, a zero, k bits, all valid, and no escape: else one by one
            if q < RiceCoding.escape, q &+ 1 &+ k <= valid {
                // a code's length is below the valid bits (≤ 64) whenever another follows in
                // the window, so the shift below is < 64
                let before = valid
                repeat {
                    let length = q &+ 1 &+ k
                    out[j] = UInt32(truncatingIfNeeded: UInt64(q) &<< UInt64(k) | (w &>> UInt64(q &+ 1)) & mask)
                    j &+= 1
                    valid &-= length
                    if valid == 0 || j == count { break }
                    w &>>= UInt64(length)
                    // the bits above the valid ones are zero: a run of ones ends inside them
                    q = (~w).trailingZeroBitCount
                } while q < RiceCoding.escape && q &+ 1 &+ k <= valid
                bitOffset &+= before &- valid   // the codes parsed
            } else {
                out[j] = try rice(k)
                j &+= 1
            }
        }
    }

    /// Reads a truncated binary code over `0..<n` (values ≥ n are corrupt). `n` is a document's
    /// slot count read from the file: a build writes at most `Int32.max`, so a larger one is
    /// damage (it would also make the code wider than the `UInt32` it decodes to).
    @inline(__always)
    mutating func truncated(below n: Int) throws -> UInt32 {
        guard n > 1 else { return 0 }
        guard n <= Int(Int32.max) else { throw fail("slot count \(n) out of range") }
        let b = 64 - UInt64(n - 1).leadingZeroBitCount
        let u = (1 << b) - n
        let x = Int(try read(bits: b - 1))
        if x < u { return UInt32(x) }
        let v = (x << 1 | Int(try read(bits: 1))) - u
        guard v < n else { throw fail("value beyond its document's slots") }
        return UInt32(v)
    }

    @inline(__always)
    mutating func gamma() throws -> UInt32 {
        let n = try unary(limit: 32)
        guard n < 32 else { throw fail("gamma code too long") }
        return UInt32((UInt64(1) << UInt64(n)) | (try read(bits: n)))
    }
}
