/// A bounds-checked little-endian reader over index bytes. Every read checks its range and throws
/// ``IndexError/corrupt(_:)`` (naming `context`) instead of reading out of bounds or trapping.
///
/// The bytes are borrowed (a memory-mapped file or a buffer owned by ``SegmentReader``): do not let a
/// reader outlive them.
struct ByteReader {
    let base: UnsafeRawPointer
    /// End of the readable range (absolute offset from `base`).
    let end: Int
    /// The next offset to read (absolute offset from `base`).
    var offset: Int
    /// Names the structure being read, for error messages.
    let context: StaticString

    init(_ bytes: IndexBytes, range: Range<Int>, context: StaticString) {
        self.base = bytes.base
        self.offset = range.lowerBound
        self.end = range.upperBound
        self.context = context
    }

    var isAtEnd: Bool { offset >= end }
    var remaining: Int { end - offset }

    @inline(__always)
    func fail(_ what: String) -> IndexError {
        IndexError.corrupt("\(context): \(what) at byte \(offset)")
    }

    @inline(__always)
    mutating func u8() throws -> UInt8 {
        guard offset < end else { throw fail("unexpected end") }
        let v = base.load(fromByteOffset: offset, as: UInt8.self)
        offset += 1
        return v
    }

    mutating func u16() throws -> UInt16 { try fixedWidth() }
    mutating func u32() throws -> UInt32 { try fixedWidth() }
    mutating func u64() throws -> UInt64 { try fixedWidth() }

    /// A little-endian integer of `T`'s width.
    @inline(__always)
    private mutating func fixedWidth<T: FixedWidthInteger>() throws -> T {
        let width = MemoryLayout<T>.size
        guard end - offset >= width else { throw fail("unexpected end") }
        let v = T(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += width
        return v
    }

    /// An unsigned LEB128 varint of at most 9 bytes (63 bits): longer ones are corrupt.
    @inline(__always)
    mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < end else { throw fail("unexpected end in a varint") }
            let b = base.load(fromByteOffset: offset, as: UInt8.self)
            offset += 1
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
            guard shift < 63 else { throw fail("overlong varint") }
        }
    }

    /// A varint that must fit in `0...limit` (and so in an Int).
    @inline(__always)
    mutating func varint(max limit: Int) throws -> Int {
        let v = try varint()
        guard v <= UInt64(limit) else { throw fail("value \(v) out of range (max \(limit))") }
        return Int(v)
    }

    /// `n` bytes as a range (absolute offsets), skipping over them.
    mutating func bytes(_ n: Int) throws -> Range<Int> {
        guard n >= 0, end - offset >= n else { throw fail("unexpected end (need \(n) bytes)") }
        defer { offset += n }
        return offset..<(offset + n)
    }

    mutating func skip(_ n: Int) throws { _ = try bytes(n) }

    /// Passes over `count` varints without decoding them (their values go unchecked: a reader
    /// of what it skips): each ends at a byte below 0x80, counted 8 bytes at a time.
    /// Bounds: a word is loaded only when 8 bytes are left before `end`.
    mutating func skipVarints(_ count: Int) throws {
        var left = count
        while left > 0 {
            if end - offset >= 8 {
                let w = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                var stops = ~w & 0x8080_8080_8080_8080   // the last byte of each varint
                let n = stops.nonzeroBitCount
                if n < left {
                    left -= n
                    offset += 8
                    continue
                }
                // the left-th stop of this word
                for _ in 1..<left { stops &= stops &- 1 }
                offset += (stops.trailingZeroBitCount + 1) >> 3
                return
            }
            guard offset < end else { throw fail("unexpected end in a varint") }
            if base.load(fromByteOffset: offset, as: UInt8.self) < 0x80 { left -= 1 }
            offset += 1
        }
    }
}
