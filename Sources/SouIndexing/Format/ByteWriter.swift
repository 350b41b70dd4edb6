/// An append-only little-endian byte buffer with LEB128 varints: how every section is written.
struct ByteWriter {
    var bytes: [UInt8] = []

    var count: Int { bytes.count }

    mutating func u8(_ v: UInt8) { bytes.append(v) }

    mutating func u16(_ v: UInt16) {
        bytes.append(UInt8(v & 0xFF)); bytes.append(UInt8(v >> 8))
    }

    mutating func u32(_ v: UInt32) {
        for s in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8((v >> UInt32(s)) & 0xFF)) }
    }

    mutating func u64(_ v: UInt64) {
        for s in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8((v >> UInt64(s)) & 0xFF)) }
    }

    /// Unsigned LEB128: 7 bits per byte, low groups first, high bit = "more follows".
    @inline(__always)
    mutating func varint(_ value: UInt64) {
        if value < 0x80 { bytes.append(UInt8(value)) } else { multiByteVarint(value) }
    }

    /// ``varint(_:)`` of a value of two bytes or more.
    private mutating func multiByteVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    @inline(__always)
    mutating func varint(_ value: Int) { varint(UInt64(value)) }

    mutating func append<C: Collection>(contentsOf c: C) where C.Element == UInt8 { bytes.append(contentsOf: c) }

    /// Overwrites 4 bytes at `offset` with `v` (little-endian).
    mutating func patchU32(at offset: Int, _ v: UInt32) {
        for k in 0..<4 { bytes[offset + k] = UInt8((v >> UInt32(8 * k)) & 0xFF) }
    }
}
