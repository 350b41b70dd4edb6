/// A growable list of slots reused from document to document by a phrase search: a term's
/// positions in the current document, a phrase's candidate starts. Emptying it sets its count,
/// and a cursor writes decoded positions straight into its storage, so that the many short
/// lists of a phrase search cost no array bookkeeping (an `[Int]` emptied with
/// `removeAll(keepingCapacity:)` and refilled with appends cost about 150 instructions a
/// document in that loop).
///
/// One search's scratch, used by one thread: not `Sendable`.
package final class PositionList {
    /// Number of values (the first `count` of the storage).
    @exclusivity(unchecked) package private(set) var count = 0
    @exclusivity(unchecked) private var capacity: Int
    @exclusivity(unchecked) private var storage: UnsafeMutablePointer<Int>

    package init(capacity: Int = 64) {
        self.capacity = max(capacity, 1)
        storage = .allocate(capacity: self.capacity)
    }

    deinit { storage.deallocate() }

    package var isEmpty: Bool { count == 0 }

    /// The values, valid until the list next changes.
    package var values: UnsafeBufferPointer<Int> { UnsafeBufferPointer(start: storage, count: count) }

    @inline(__always)
    package subscript(i: Int) -> Int {
        precondition(i >= 0 && i < count, "PositionList index out of range")
        return storage[i]
    }

    /// Empties the list (keeps the storage).
    @inline(__always)
    package func removeAll() { count = 0 }

    /// Keeps the first `n` values (n ≤ count).
    @inline(__always)
    package func truncate(to n: Int) {
        precondition(n >= 0 && n <= count, "PositionList truncated beyond its count")
        count = n
    }

    @inline(__always)
    package func append(_ value: Int) {
        if count == capacity { grow(toAtLeast: count + 1) }
        // count < capacity
        storage[count] = value
        count &+= 1
    }

    /// Appends `n` values written by `body` into uninitialized room for them (an Int is a trivial
    /// type: nothing to initialize or deinitialize). `body` must write all n; when it throws,
    /// the list keeps its previous values.
    @inline(__always)
    package func append(count n: Int, _ body: (UnsafeMutablePointer<Int>) throws -> Void) rethrows {
        precondition(n >= 0)
        if capacity - count < n { grow(toAtLeast: count + n) }
        // room for n values from storage + count
        try body(storage + count)
        count &+= n
    }

    /// Appends `values`.
    package func append(contentsOf values: UnsafeBufferPointer<Int>) {
        guard let source = values.baseAddress, values.count > 0 else { return }
        append(count: values.count) { $0.update(from: source, count: values.count) }
    }

    /// Removes repeated values (the list sorted: keeps each value's first copy).
    package func removeAdjacentDuplicates() {
        guard count > 1 else { return }
        // in bounds: k ≤ i < count
        var k = 1
        for i in 1..<count where storage[i] != storage[k - 1] {
            storage[k] = storage[i]
            k += 1
        }
        count = k
    }

    /// Sorts the values in increasing order.
    package func sort() {
        var values = UnsafeMutableBufferPointer(start: storage, count: count)
        values.sort()
    }

    /// Calls `body` with the values as a mutable buffer (its count cannot change).
    @inline(__always)
    package func withMutableValues<R>(_ body: (UnsafeMutableBufferPointer<Int>) throws -> R) rethrows -> R {
        try body(UnsafeMutableBufferPointer(start: storage, count: count))
    }

    private func grow(toAtLeast needed: Int) {
        let newCapacity = max(needed, 2 * capacity)
        let grown = UnsafeMutablePointer<Int>.allocate(capacity: newCapacity)
        grown.update(from: storage, count: count)
        storage.deallocate()
        storage = grown
        capacity = newCapacity
    }
}
