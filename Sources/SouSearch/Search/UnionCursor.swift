import SouIndexing

/// The documents of several terms as one stream: used for a lone CJK character, which matches
/// the unigram `c`, every bigram starting with `c`, and (one slot after their positions) the
/// bigrams ending with `c` that end a run. A min-heap of the terms' cursors, keyed by their
/// current document.
/// - Complexity: O(log k) per cursor move for k terms.
struct UnionCursor {
    private var cursors: [PostingsCursor]
    private var shifts: [Int]             // slot of the character relative to cursors[i]'s positions
    private var documents: [Int]          // current document of cursors[i]
    private var heap: [Int]               // indices into cursors, min document at the root

    /// `sources`: each term's cursor and where the character stands relative to its positions
    /// (``TermInfo/characterShift``).
    init(_ sources: [(cursor: PostingsCursor, shift: Int)]) throws {
        cursors = []
        shifts = []
        documents = []
        for (source, shift) in sources {
            var cursor = source
            if let d = try cursor.next() {
                cursors.append(cursor)
                shifts.append(shift)
                documents.append(d)
            }
        }
        heap = Array(cursors.indices)
        heap.sort { documents[$0] < documents[$1] }   // a sorted array is a valid heap
    }

    /// The current document, or nil when exhausted.
    var document: Int? { heap.isEmpty ? nil : documents[heap[0]] }

    /// Moves to the first document ≥ `target` (never backwards) and returns it, or nil.
    mutating func advance(to target: Int) throws -> Int? {
        while let root = heap.first, documents[root] < target {
            if let d = try cursors[root].advance(to: target) {
                documents[root] = d
            } else {
                heap[0] = heap[heap.count - 1]
                heap.removeLast()
            }
            siftDown(0)
        }
        return document
    }

    /// Occurrences in the current document, at most: the sum of the terms' frequencies, exact
    /// unless a bigram ending with the character and one starting with it are both here (a
    /// character inside a run is the second of one and the first of the other: the distinct
    /// slots of ``positions(into:scratch:)`` count it once).
    func termFrequency() -> Int {
        guard let d = document else { return 0 }
        var f = 0
        visit(0, d) { f += cursors[$0].termFrequency }
        return f
    }

    /// Replaces `list` with the slots of the character in the current document, increasing and
    /// distinct (each term's positions moved by its shift); `scratch` is a second reusable list.
    mutating func positions(into list: PositionList, scratch: PositionList) throws {
        list.removeAll()
        guard let d = document else { return }
        var at: [Int] = []
        visit(0, d) { at.append($0) }
        if at.count == 1, shifts[at[0]] == 0 { return try cursors[at[0]].positions(into: list) }
        var shifted = false
        for i in at {
            try cursors[i].positions(into: scratch)
            let shift = shifts[i]
            if shift == 0 {
                list.append(contentsOf: scratch.values)
            } else {
                shifted = true
                list.append(count: scratch.count) { out in
                    for (k, p) in scratch.values.enumerated() { out[k] = p + shift }
                }
            }
        }
        if at.count > 1 { list.sort() }
        if shifted && at.count > 1 { list.removeAdjacentDuplicates() }
    }

    /// Calls `body` with every cursor on document `d` (those form a subtree at the heap's root).
    private func visit(_ node: Int, _ d: Int, _ body: (Int) -> Void) {
        guard node < heap.count, documents[heap[node]] == d else { return }
        body(heap[node])
        visit(2 * node + 1, d, body)
        visit(2 * node + 2, d, body)
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < heap.count, documents[heap[l]] < documents[heap[m]] { m = l }
            if r < heap.count, documents[heap[r]] < documents[heap[m]] { m = r }
            if m == i { return }
            heap.swapAt(i, m)
            i = m
        }
    }
}

/// One query token's documents: a single term's postings, or a union for a lone character.
/// The single cursor is stored unwrapped (not as an optional) so that it is read and advanced
/// in place, never copied.
struct TokenCursor {
    /// The term's cursor (for a union: the first term's, unused).
    private var single: PostingsCursor
    private var union: UnionCursor?
    private var exhausted = false
    /// Occurrences of the token in the current document (0 when there is none), at most (a
    /// character's count may hold an occurrence twice: ``UnionCursor/termFrequency()``), kept by
    /// ``advance(to:)``: a stored value, read without copying the cursor (a computed property
    /// of this large struct, read through an array or a buffer pointer, copies it first).
    private(set) var termFrequency = 0

    init(_ infos: ArraySlice<TermInfo>, in index: SegmentReader) throws {
        guard let first = infos.first else { throw IndexError.corrupt("a query token without terms") }
        single = try index.postings(first)
        if Self.needsUnion(infos) { union = try UnionCursor(infos.map { (try index.postings($0), $0.characterShift) }) }
        termFrequency = union?.termFrequency() ?? 0
    }

    /// Several terms, or a bigram read as its second character: positions go through a union.
    private static func needsUnion(_ infos: ArraySlice<TermInfo>) -> Bool {
        infos.count > 1 || infos.first?.characterShift != 0
    }

    /// Moves the cursor to `infos` in `index` (another segment's entries of the token), as
    /// ``init(_:in:)`` would make it but keeping the term cursor's decoding buffers.
    mutating func reset(_ infos: ArraySlice<TermInfo>, in index: SegmentReader) throws {
        guard let first = infos.first else { throw IndexError.corrupt("a query token without terms") }
        exhausted = false
        union = nil
        try single.reset(to: first, in: index)
        if Self.needsUnion(infos) { union = try UnionCursor(infos.map { (try index.postings($0), $0.characterShift) }) }
        termFrequency = union?.termFrequency() ?? 0
    }

    /// Moves to the first document ≥ `target` (never backwards) and returns it, or nil.
    mutating func advance(to target: Int) throws -> Int? {
        if exhausted { return nil }
        let d: Int?
        if union == nil {
            if let current = single.document, current >= target { return current }
            d = try single.advance(to: target)
            termFrequency = d == nil ? 0 : single.termFrequency
        } else {
            d = try union!.advance(to: target)
            termFrequency = union!.termFrequency()
        }
        if d == nil { exhausted = true }
        return d
    }

    /// Position `k` of a single term in the current document (``PostingsCursor/position(_:after:)``).
    mutating func position(_ k: Int, after previous: Int) throws -> Int {
        precondition(union == nil, "positions one at a time of a single term")
        return try single.position(k, after: previous)
    }

    /// Replaces `list` with the slots of the token in the current document, increasing
    /// (`scratch`: a second reusable list, for a character's several terms).
    mutating func positions(into list: PositionList, scratch: PositionList) throws {
        if union == nil { return try single.positions(into: list) }
        try union!.positions(into: list, scratch: scratch)
    }
}
