import Glibc

extension String {
    /// True when the UTF-8 bytes of `self` sort before those of `other` (unsigned bytes, a
    /// prefix first): the order of keys, paths in the source table and walked folder entries.
    ///
    /// `memcmp` on the contiguous UTF-8 storage (`withUTF8` makes it contiguous first when it is
    /// not); the generic `utf8.lexicographicallyPrecedes` it replaces cost a third of an
    /// up-to-date `sou index` of 7,117 files (callgrind).
    @inline(__always)
    func bytewisePrecedes(_ other: String) -> Bool {
        var a = self, b = other
        let fast = a.withUTF8 { x in
            b.withUTF8 { y -> Bool in
                let n = min(x.count, y.count)
                let c = n == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, n)
                return c != 0 ? c < 0 : x.count < y.count
            }
        }
        return fast
    }
}

extension String {
    /// The order of the UTF-8 bytes of `self` and `other` (as ``bytewisePrecedes(_:)``): negative,
    /// zero or positive.
    @inline(__always)
    func bytewiseCompare(_ other: String) -> Int {
        // native Strings (all that Sou makes) have contiguous UTF-8: no copy
        if let c = utf8.withContiguousStorageIfAvailable({ x in
            other.utf8.withContiguousStorageIfAvailable { y in Self.compare(x, y) }
        }), let c {
            return c
        }
        var a = self, b = other
        return a.withUTF8 { x in b.withUTF8 { y in Self.compare(x, y) } }
    }

    @inline(__always)
    static func compare(_ x: UnsafeBufferPointer<UInt8>, _ y: UnsafeBufferPointer<UInt8>) -> Int {
        let n = Swift.min(x.count, y.count)
        let c = n == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, n)
        return c != 0 ? Int(c) : x.count - y.count
    }
}

/// Sorting by bytes, eight at a time.
enum BytewiseSort {
    /// The indices of `count` byte strings in increasing byte order (unsigned bytes, a prefix
    /// first; equal strings in any order). `bytes(i, body)` calls `body` with the bytes of string i.
    ///
    /// A most-significant-digit sort on eight-byte digits: the strings are sorted by their first
    /// eight bytes packed big-endian into an integer (with the number of bytes there, so that a
    /// prefix sorts first), and each run of equal digits by its next eight bytes, and so on. Paths
    /// that share a long prefix (`dev-all/00001.txt`, …) cost a few integer sorts, not a string
    /// comparison per step.
    static func order(count: Int, bytes: (Int, (UnsafeBufferPointer<UInt8>) -> Void) -> Void) -> [Int] {
        var order = Array(0..<count)
        guard count > 1 else { return order }
        var keys = [UInt128](repeating: 0, count: count)
        // (range of `order`, byte offset) still to sort
        var work: [(Range<Int>, Int)] = [(0..<count, 0)]
        while let (range, offset) = work.popLast() {
            for k in range {
                let i = order[k]
                var digit: UInt64 = 0
                var length: UInt64 = 0
                bytes(i) { b in
                    let n = Swift.max(0, Swift.min(8, b.count - offset))
                    for j in 0..<n { digit |= UInt64(b[offset + j]) << (56 - 8 * UInt64(j)) }
                    length = UInt64(n)
                }
                // digit, then the bytes in it (0…8: a shorter string first), then the index
                keys[k] = UInt128(digit) << 64 | UInt128(length) << 60 | UInt128(i)
            }
            keys[range].sort()
            let low: UInt128 = (1 << 60) - 1
            var start = range.lowerBound
            while start < range.upperBound {
                var end = start + 1
                while end < range.upperBound, keys[end] & ~low == keys[start] & ~low { end += 1 }
                for k in start..<end { order[k] = Int(truncatingIfNeeded: keys[k] & low) }
                // a run of eight equal bytes: the strings go on (or end there, equal)
                if end - start > 1, (keys[start] >> 60) & 0xF == 8 { work.append((start..<end, offset + 8)) }
                start = end
            }
        }
        return order
    }

    /// Of an `order` (``order(count:bytes:)``), in which equal strings are adjacent, the last
    /// given (the largest index) of each run of strings that `equal` says are the same.
    static func keepingLastOfEqual(_ order: [Int], equal: (Int, Int) -> Bool) -> [Int] {
        var kept: [Int] = []
        kept.reserveCapacity(order.count)
        var k = 0
        while k < order.count {
            var last = order[k]
            var j = k + 1
            while j < order.count, equal(order[j], last) {
                last = Swift.max(last, order[j])
                j += 1
            }
            kept.append(last)
            k = j
        }
        return kept
    }
}

extension Array where Element == String {
    /// The indices of the strings in increasing order of their UTF-8 bytes
    /// (``String/bytewisePrecedes(_:)``), eight bytes at a time (``BytewiseSort``); equal
    /// strings in any order. (Mutating only to read each string's bytes in place.)
    mutating func bytewiseOrder() -> [Int] {
        withUnsafeMutableBufferPointer { strings in
            BytewiseSort.order(count: strings.count) { i, body in strings[i].withUTF8 { body($0) } }
        }
    }

    /// Sorts strings by their UTF-8 bytes (``bytewiseOrder()``).
    mutating func sortBytewise() {
        guard count > 1 else { return }
        self = bytewiseOrder().map { self[$0] }
    }
}

extension String.UTF8View {
    /// True when the bytes end with those of `suffix`, ASCII letters compared case-insensitively
    /// (`suffix` is lower-case ASCII). Unlike `String.hasSuffix`, no Unicode normalization.
    func hasASCIISuffixIgnoringCase(_ suffix: StaticString) -> Bool {
        let n = suffix.utf8CodeUnitCount
        guard count > n else { return false }   // a name that is only the suffix has no stem
        var i = index(endIndex, offsetBy: -n)
        for k in 0..<n {
            let b = self[i]
            guard (b >= 0x41 && b <= 0x5A ? b | 0x20 : b) == suffix.utf8Start[k] else { return false }
            i = index(after: i)
        }
        return true
    }
}

/// A String compared and hashed by its UTF-8 bytes, for sets and dictionaries of keys and paths.
///
/// Swift's `String ==` (and so `Set<String>` and `[String: …]`) compares by canonical equivalence:
/// "é" (U+00E9) and "e" + U+0301 are equal Strings, though a file system (ext4) keeps them as two
/// names and the index finds, orders and deletes keys by their bytes. A set of Strings made two
/// such files one document ("duplicate key"), and an update then kept the document of a file
/// that was gone; these compare as the index does.
package struct ByteKey: Hashable {
    package let string: String

    package init(_ string: String) { self.string = string }

    package static func == (a: ByteKey, b: ByteKey) -> Bool { a.string.bytewiseCompare(b.string) == 0 }

    package func hash(into hasher: inout Hasher) {
        // native Strings (all that Sou makes) have contiguous UTF-8: no copy
        if let done: Void = string.utf8.withContiguousStorageIfAvailable({ hasher.combine(bytes: UnsafeRawBufferPointer($0)) }) {
            return done
        }
        var copy = string
        copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
