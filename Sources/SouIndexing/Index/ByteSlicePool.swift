import CSystemShim

/// Growable byte streams for many terms in a few large pages, after Lucene's `ByteBlockPool`.
///
/// Each stream is a chain of slices of growing size (8, 16, 24, ... 256 bytes); the last 4 bytes
/// of a full slice hold the address of the next one. A stream costs its bytes plus 4 bytes per
/// slice, instead of a Swift array (header + malloc rounding + doubling slack) per term.
/// Addresses are 32-bit: one pool holds up to 4 GiB (a build that would overflow it throws).
///
/// Storage is manual (a page table of raw pages): the inversion loop reads and writes it without
/// Swift's per-access exclusivity and uniqueness checks. Not thread-safe.
final class ByteSlicePool {
    static let pageShift = 16
    static let pageSize = 1 << pageShift
    static let maxPages = 1 << (32 - pageShift)
    static let levelSizes: [UInt32] = [8, 16, 24, 32, 48, 64, 96, 128, 192, 256]
    static let lastLevel = UInt8(levelSizes.count - 1)

    private let pages: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>
    private(set) var pageCount = 0
    private var used = ByteSlicePool.pageSize   // bytes used in the last page

    init() {
        // (not initialized: only the first `pageCount` entries are ever read, each written when
        // its page is allocated; the untouched rest of the 512 KB costs no page of memory)
        pages = .allocate(capacity: Self.maxPages)
    }

    deinit {
        for i in 0..<pageCount { pages[i]?.deallocate() }
        pages.deallocate()
    }

    /// Bytes allocated in pages.
    var allocatedBytes: Int { pageCount * Self.pageSize }

    /// A stream's write state.
    struct Cursor {
        /// Address of the next byte to write.
        var write: UInt32
        /// Address where the current slice's next-slice pointer goes (end of its usable bytes).
        var limit: UInt32
        var level: UInt8
    }

    /// Allocates a slice of `size` bytes and returns its address.
    @inline(__always)
    private func allocate(_ size: UInt32) throws -> UInt32 {
        if used + Int(size) > Self.pageSize {
            guard pageCount < Self.maxPages else {
                throw IndexError.io("the in-memory index exceeds 4 GiB of postings; index fewer documents at a time")
            }
            (pages + pageCount).initialize(to: .allocate(capacity: Self.pageSize))
            pageCount += 1
            used = 0
        }
        let address = UInt32((pageCount - 1) << Self.pageShift + used)
        used += Int(size)
        return address
    }

    /// Starts a new stream; its first address identifies it.
    func newStream() throws -> Cursor {
        let a = try allocate(Self.levelSizes[0])
        return Cursor(write: a, limit: a + Self.levelSizes[0] - 4, level: 0)
    }

    @inline(__always)
    private func store(_ byte: UInt8, at address: UInt32) {
        pages[Int(address >> UInt32(Self.pageShift))].unsafelyUnwrapped[Int(address & 0xFFFF)] = byte
    }

    @inline(__always)
    func load(_ address: UInt32) -> UInt8 {
        pages[Int(address >> UInt32(Self.pageShift))].unsafelyUnwrapped[Int(address & 0xFFFF)]
    }

    @inline(__always)
    func append(_ byte: UInt8, to c: inout Cursor) throws {
        if c.write == c.limit {
            let level = min(c.level + 1, Self.lastLevel)
            let size = Self.levelSizes[Int(level)]
            let next = try allocate(size)
            for k in 0..<4 { store(UInt8(truncatingIfNeeded: next >> UInt32(8 * k)), at: c.limit + UInt32(k)) }
            c = Cursor(write: next, limit: next + size - 4, level: level)
        }
        store(byte, at: c.write)
        c.write += 1
    }

    @inline(__always)
    func appendVarint(_ value: UInt32, to c: inout Cursor) throws {
        var v = value
        while v >= 0x80 {
            try append(UInt8(truncatingIfNeeded: v) | 0x80, to: &c)
            v >>= 7
        }
        try append(UInt8(v), to: &c)
    }

    /// The page holding `address` (an address the pool handed out: its page exists).
    @inline(__always)
    func page(_ address: UInt32) -> UnsafeMutablePointer<UInt8> {
        pages[Int(address >> UInt32(Self.pageShift))].unsafelyUnwrapped
    }

    /// Reads a stream back from its first address up to `end` (its cursor's write address).
    /// A slice never crosses a page (``allocate(_:)``), so the reader keeps the current slice's
    /// page and reads its bytes without looking up the page table each time.
    ///
    /// The reader borrows the pool (`unowned(unsafe)`: no reference counting when a reader is
    /// made or copied, once per term and stream when a segment is serialized): it must be used
    /// while the pool lives, as the in-memory segment that owns the pool hands its readers out.
    struct Reader {
        unowned(unsafe) let pool: ByteSlicePool
        var address: UInt32
        var limit: UInt32
        var level: Int
        let end: UInt32
        private var page: UnsafeMutablePointer<UInt8>

        init(pool: ByteSlicePool, start: UInt32, end: UInt32) {
            self.pool = pool
            self.address = start
            self.limit = start + ByteSlicePool.levelSizes[0] - 4
            self.level = 0
            self.end = end
            page = pool.page(start)
        }

        var isAtEnd: Bool { address == end }

        /// Moves to the next slice, whose address is in the last 4 bytes of this one (same page).
        private mutating func nextSlice() {
            address = nextSliceAddress()
            level = min(level + 1, ByteSlicePool.levelSizes.count - 1)
            limit = address + ByteSlicePool.levelSizes[level] - 4
            page = pool.page(address)
            if !(address <= end && end <= limit) {
                // the stream goes on past this slice, so its next-slice address was written: a
                // hint to bring that slice into the cache while this one is read
                let after = nextSliceAddress()
                sou_prefetch_read(pool.page(after) + Int(after & 0xFFFF))
            }
        }

        /// The address in the last 4 bytes of the current slice (written once the stream went on).
        @inline(__always)
        private func nextSliceAddress() -> UInt32 {
            var next: UInt32 = 0
            for k in 0..<4 { next |= UInt32(page[Int((limit + UInt32(k)) & 0xFFFF)]) << UInt32(8 * k) }
            return next
        }

        @inline(__always)
        mutating func byte() -> UInt8 {
            if address == limit { nextSlice() }
            let b = page[Int(address & 0xFFFF)]
            address += 1
            return b
        }

        /// The next varint (at most 5 bytes: the pool's varints are ``appendVarint(_:to:)``'s
        /// UInt32s), with one boundary check for the varint instead of one per byte when it lies
        /// whole in the current slice: a one-byte varint before the slice's next-slice address
        /// (most of them: document gaps and position deltas), or any varint when at least 5
        /// bytes of the slice remain (the writer too moved to the next slice only at `limit`).
        /// Otherwise byte by byte across the slices (``varintByBytes()``).
        @inline(__always)
        mutating func varint() -> UInt32 {
            if address != limit {
                // in bounds: address < limit, inside this slice, which lies in `page`; the stream
                // is not at its end (callers check), so this byte was written
                let p = page + Int(address & 0xFFFF)
                var b = p[0]
                if b < 0x80 {
                    address += 1
                    return UInt32(b)
                }
                if limit &- address >= 5 {
                    // in bounds: address ..< address + 5 lies in this slice; the varint's bytes
                    // up to its last one were written (it ends at or before `end`)
                    var result = UInt32(b & 0x7F)
                    var n: UInt32 = 1
                    repeat {
                        b = p[Int(n)]
                        result |= UInt32(b & 0x7F) << (7 * n)
                        n += 1
                    } while b >= 0x80 && n < 5
                    address += n
                    return result
                }
            }
            return varintByBytes()
        }

        /// ``varint()`` one byte at a time, crossing slices (the reference of the fast paths).
        @inline(never)
        mutating func varintByBytes() -> UInt32 {
            var result: UInt32 = 0
            var shift: UInt32 = 0
            while true {
                let b = byte()
                result |= UInt32(b & 0x7F) << shift
                if b < 0x80 { return result }
                shift += 7
            }
        }
    }
}
