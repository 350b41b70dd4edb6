/// A growable run of trivial values the analyzer writes tokens into: appends are a bounds check
/// and a store (no uniqueness checks, no per-token allocation); a call's result is moved into
/// its ``TokenBuffer`` with one copy at the end, and the memory is kept for the next call
/// (``AnalysisScratch``).
///
/// Non-copyable: exactly one owner frees the memory (`deinit`).
struct ScratchStorage<Element: BitwiseCopyable>: ~Copyable {
    private var base: UnsafeMutablePointer<Element>
    private var capacity: Int
    /// Number of elements written.
    private(set) var count = 0

    /// Empty storage; nothing is allocated until the first append.
    init() {
        // A well-aligned dangling pointer, never dereferenced while the capacity is 0.
        self.base = UnsafeMutablePointer(bitPattern: MemoryLayout<Element>.alignment)!
        self.capacity = 0
    }

    deinit { if capacity > 0 { base.deallocate() } }

    /// Makes room for `n` more elements.
    @inline(__always)
    mutating func reserve(_ n: Int) {
        if count + n > capacity { grow(to: count + n) }
    }

    @inline(never)
    private mutating func grow(to minimum: Int) {
        let newCapacity = max(minimum, capacity * 2)
        let newBase = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        if capacity > 0 {
            newBase.initialize(from: base, count: count)
            base.deallocate()
        }
        base = newBase
        capacity = newCapacity
    }

    /// Appends one element.
    @inline(__always)
    mutating func append(_ element: Element) {
        reserve(1)
        base[count] = element
        count += 1
    }

    /// Forgets all elements, keeping the memory.
    @inline(__always)
    mutating func removeAll() { count = 0 }

    /// Drops the elements from `newCount` on.
    @inline(__always)
    mutating func truncate(to newCount: Int) {
        count = min(count, max(0, newCount))
    }

    /// Drops the first `n` elements, moving the others to the front.
    mutating func removeFirst(_ n: Int) {
        let n = min(max(0, n), count)
        guard n > 0 else { return }
        // the regions overlap: copyMemory is memmove; elements are trivial (BitwiseCopyable)
        UnsafeMutableRawPointer(base).copyMemory(from: base + n, byteCount: (count - n) * MemoryLayout<Element>.stride)
        count -= n
    }

    /// The elements written, valid until the next mutation. Do not escape the pointer.
    func withElements<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: base, count: count))
    }
}

extension ScratchStorage where Element == UInt8 {
    /// Appends the low `n` bytes (at most 8) of `bytes`, lowest first.
    @inline(__always)
    mutating func append(bytes: UInt64, count n: Int) {
        reserve(8)
        UnsafeMutableRawPointer(base + count).storeBytes(of: bytes.littleEndian, as: UInt64.self)
        count += n
    }

    /// Appends a copy of `source`.
    @inline(__always)
    mutating func append(contentsOf source: UnsafeBufferPointer<UInt8>) {
        guard let start = source.baseAddress, !source.isEmpty else { return }
        reserve(source.count)
        (base + count).update(from: start, count: source.count)
        count += source.count
    }

    /// Appends the UTF-8 encoding of scalar value `c`.
    @inline(__always)
    mutating func append(scalar c: UInt32) {
        let (bytes, n) = UTF8Encoding.encode(c)
        append(bytes: bytes, count: n)
    }
}

/// The analyzer's scratch memory, kept by a ``TokenBuffer`` between calls so that analyzing
/// document after document into one buffer allocates nothing once it has grown.
///
/// Only an analyzer call holding the *only* reference touches it (``TokenBuffer/takeScratch()``
/// checks `isKnownUniquelyReferenced`; a copied buffer gets its own); hence `@unchecked Sendable`.
final class AnalysisScratch: @unchecked Sendable {
    /// Term bytes of the tokens of one call.
    var terms = ScratchStorage<UInt8>()
    /// Tokens of one call, term offsets relative to ``terms``.
    var entries = ScratchStorage<TokenBuffer.Entry>()
}
