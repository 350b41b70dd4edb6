import SouIndexing

/// Where a phrase starts in one document, from the slots of its distinct terms: work linear in
/// the slots read, however often a term repeats in the phrase.
///
/// A phrase of n identical bigrams (啊啊啊…) asks the same term at n consecutive offsets.
/// Checking each offset on its own costs n passes over the term's slots; here each distinct term's
/// offsets are cut into arithmetic progressions (0, 1, 2, … or 0, 2, 4, … for "ABAB…"), and one
/// backward pass counts, for each slot s, how many of s, s + d, s + 2d, … follow in the list: a
/// start p then matches a progression (o, d, L) when the chain at p + o is at least L long.
enum PhraseStarts {
    /// Offsets o, o + stride, …, o + (length − 1)·stride of one term in the phrase.
    struct Progression: Sendable, Equatable {
        var offset: Int
        var stride: Int
        var length: Int
    }

    /// Cuts `offsets` (any order, duplicates allowed) into progressions, greedily from the
    /// smallest: as few as possible for evenly spaced offsets.
    static func progressions(_ offsets: [Int]) -> [Progression] {
        if offsets.count == 1 { return [Progression(offset: offsets[0], stride: 1, length: 1)] }   // most terms of a phrase
        let sorted = Array(Set(offsets)).sorted()
        var result: [Progression] = []
        var i = 0
        while i < sorted.count {
            guard i + 1 < sorted.count else {
                result.append(Progression(offset: sorted[i], stride: 1, length: 1))
                break
            }
            let stride = sorted[i + 1] - sorted[i]
            var j = i + 1
            while j + 1 < sorted.count, sorted[j + 1] - sorted[j] == stride { j += 1 }
            result.append(Progression(offset: sorted[i], stride: stride, length: j - i + 1))
            i = j + 1
        }
        return result
    }

    /// For each slot `slots[i]` (increasing, distinct), the number of slots s, s + stride, … that
    /// are all in `slots` (at least 1), into `chains`. One backward pass: the pointer looking for
    /// s + stride only moves down as s does. `work` counts the slots visited.
    static func chains(_ slots: [Int], stride: Int, into chains: inout [Int32], work: inout Int) {
        slots.withUnsafeBufferPointer { Self.chains($0, stride: stride, into: &chains, work: &work) }
    }

    static func chains(_ s: UnsafeBufferPointer<Int>, stride: Int, into chains: inout [Int32], work: inout Int) {
        let n = s.count
        work += n
        chains.removeAll(keepingCapacity: true)
        chains.append(contentsOf: repeatElement(1, count: n))
        guard n > 1, stride > 0 else { return }
        chains.withUnsafeMutableBufferPointer { c in
            var j = n - 1
            var i = n - 2
            while i >= 0 {
                let want = s[i] + stride
                while j > i, s[j] > want { j -= 1 }
                if j > i, s[j] == want { c[i] = c[j] &+ 1 }
                i -= 1
            }
        }
    }

    /// Keeps the starts p of `starts` (increasing) for which `slots` (increasing) holds
    /// p + `offset` with a chain (``chains(_:stride:into:)``) of at least `length` there; `chains`
    /// is ignored when `length` is 1. `work` counts the starts and slots visited.
    static func keepStarts(_ starts: inout [Int], matching slots: [Int], chains: [Int32], offset: Int, length: Int,
                           work: inout Int) {
        let kept = slots.withUnsafeBufferPointer { s in
            starts.withUnsafeMutableBufferPointer { c in
                keepStarts(c, matching: s, chains: chains, offset: offset, length: length, work: &work)
            }
        }
        starts.removeLast(starts.count - kept)
    }

    /// ``keepStarts(_:matching:chains:offset:length:work:)`` in place in `c`: returns how many
    /// starts are kept (moved to its front).
    static func keepStarts(_ c: UnsafeMutableBufferPointer<Int>, matching s: UnsafeBufferPointer<Int>, chains: [Int32],
                           offset: Int, length: Int, work: inout Int) -> Int {
        var kept = 0, j = 0
        work += c.count
        let n = s.count
        let needed = Int32(clamping: length)
        chains.withUnsafeBufferPointer { ch in
            for k in 0..<c.count {
                let want = c[k] + offset
                while j < n, s[j] < want { j += 1 }
                if j == n { break }
                if s[j] == want, needed <= 1 || ch[j] >= needed { c[kept] = c[k]; kept += 1; j += 1 }
            }
        }
        work += j
        return kept
    }

    /// Keeps the starts that match every progression of a term whose slots are `slots`
    /// (`chains`: reused scratch).
    /// `work` counts the slots and starts visited.
    /// ``keepStarts(_:matching:progressions:chains:work:)-([Int],_,_,_,_)`` for a phrase search's
    /// reused lists.
    static func keepStarts(_ starts: PositionList, matching slots: PositionList, progressions: [Progression], chains: inout [Int32],
                           work: inout Int) {
        var chainStride = 0
        let s = slots.values
        for p in progressions {
            if starts.isEmpty { return }
            if p.length > 1, p.stride != chainStride {
                Self.chains(s, stride: p.stride, into: &chains, work: &work)
                chainStride = p.stride
            }
            let kept = starts.withMutableValues { c in
                keepStarts(c, matching: s, chains: chains, offset: p.offset, length: p.length, work: &work)
            }
            starts.truncate(to: kept)
        }
    }

    static func keepStarts(_ starts: inout [Int], matching slots: [Int], progressions: [Progression], chains: inout [Int32],
                           work: inout Int) {
        var chainStride = 0
        for p in progressions {
            if starts.isEmpty { return }
            if p.length > 1, p.stride != chainStride {
                Self.chains(slots, stride: p.stride, into: &chains, work: &work)
                chainStride = p.stride
            }
            keepStarts(&starts, matching: slots, chains: chains, offset: p.offset, length: p.length, work: &work)
        }
    }
}
