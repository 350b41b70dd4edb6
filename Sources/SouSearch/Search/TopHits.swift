/// Keeps the best `capacity` (score, document) pairs seen: a bounded min-heap whose root is the
/// worst kept pair. Better = higher score, then lower document number (deterministic ties).
/// - Complexity: O(log capacity) per insertion.
struct TopHits {
    struct Entry {
        var score: Double
        var document: Int
        /// True when `self` ranks before `other`.
        func ranksBefore(_ other: Entry) -> Bool {
            score != other.score ? score > other.score : document < other.document
        }
    }

    let capacity: Int
    private(set) var heap: [Entry] = []

    init(capacity: Int) {
        self.capacity = max(0, capacity)
        heap.reserveCapacity(min(self.capacity, 1024))
    }

    mutating func insert(score: Double, document: Int) {
        guard capacity > 0 else { return }
        let entry = Entry(score: score, document: document)
        if heap.count < capacity {
            heap.append(entry)
            siftUp(heap.count - 1)
        } else if entry.ranksBefore(heap[0]) {
            heap[0] = entry
            siftDown(0)
        }
    }

    /// The kept entries, best first.
    func sorted() -> [Entry] { heap.sorted { $0.ranksBefore($1) } }

    // The root is the entry that ranks last ("worst").
    private func worse(_ a: Int, _ b: Int) -> Bool { heap[b].ranksBefore(heap[a]) }

    private mutating func siftUp(_ start: Int) {
        var i = start
        while i > 0 {
            let parent = (i - 1) / 2
            guard worse(i, parent) else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < heap.count, worse(l, m) { m = l }
            if r < heap.count, worse(r, m) { m = r }
            if m == i { return }
            heap.swapAt(i, m)
            i = m
        }
    }
}
