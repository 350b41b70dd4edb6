/// Keeps the best `capacity` (score, document) pairs seen: a bounded min-heap whose root is the
/// worst kept pair. Better = higher score, then the index's document order (``IndexReader/precedes(_:_:)``:
/// by key, so that ties rank the same whatever the segments).
/// - Complexity: O(log capacity) per insertion.
struct TopHits {
    struct Entry {
        var score: Double
        var document: Int
    }

    let capacity: Int
    private(set) var heap: [Entry] = []
    /// The tie-breaking document order.
    let precedes: (Int, Int) throws -> Bool

    init(capacity: Int, precedes: @escaping (Int, Int) throws -> Bool = { $0 < $1 }) {
        self.capacity = max(0, capacity)
        self.precedes = precedes
        heap.reserveCapacity(min(self.capacity, 1024))
    }

    /// True when `a` ranks before `b`.
    @inline(__always)
    func ranksBefore(_ a: Entry, _ b: Entry) throws -> Bool {
        a.score != b.score ? a.score > b.score : try precedes(a.document, b.document)
    }

    /// The score a document must exceed to enter, once the heap holds `capacity` entries (nil
    /// before: any document enters).
    var entryScore: Double? { capacity > 0 && heap.count == capacity ? heap[0].score : nil }

    mutating func insert(score: Double, document: Int) throws {
        guard capacity > 0 else { return }
        let entry = Entry(score: score, document: document)
        if heap.count < capacity {
            heap.append(entry)
            try siftUp(heap.count - 1)
        } else if try ranksBefore(entry, heap[0]) {
            heap[0] = entry
            try siftDown(0)
        }
    }

    /// The kept entries, best first.
    func sorted() throws -> [Entry] { try heap.sorted { try ranksBefore($0, $1) } }

    // The root is the entry that ranks last ("worst").
    private func worse(_ a: Int, _ b: Int) throws -> Bool { try ranksBefore(heap[b], heap[a]) }

    private mutating func siftUp(_ start: Int) throws {
        var i = start
        while i > 0 {
            let parent = (i - 1) / 2
            guard try worse(i, parent) else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    private mutating func siftDown(_ start: Int) throws {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < heap.count, try worse(l, m) { m = l }
            if r < heap.count, try worse(r, m) { m = r }
            if m == i { return }
            heap.swapAt(i, m)
            i = m
        }
    }
}
