/// Patched frame-of-reference blocks of 128 unsigned 32-bit values: how position deltas are stored.
///
///     Block := bitWidth:u8 exceptionCount:u8 Packed Exception^exceptionCount
///     Packed := 16 * bitWidth bytes: value i occupies bits [i*bitWidth, (i+1)*bitWidth) of the
///               little-endian bit stream (bit 0 = least significant bit of the first byte)
///     Exception := index:u8 high:varint   (value[index] |= high << bitWidth)
///
/// The writer picks the bit width that minimizes the block's size, so a few large values (a
/// document's first, absolute position) cost an exception each instead of widening every value.
enum PackedBlock {
    static let size = 128

    /// Appends the block of exactly 128 `values` to `out`.
    static func encode(_ values: UnsafeBufferPointer<UInt32>, into out: inout ByteWriter) {
        precondition(values.count == size)
        // cost[w] = packed bytes + exception bytes when values are cut at w bits
        var bitsHistogram = [Int](repeating: 0, count: 33)
        for v in values { bitsHistogram[v == 0 ? 0 : 32 - v.leadingZeroBitCount] += 1 }
        var best = 32, bestCost = Int.max
        for w in 0...32 {
            var cost = 16 * w
            var exceptions = 0
            for b in (w + 1)..<33 where bitsHistogram[b] > 0 {
                // the high part has b - w bits: varint of ceil((b-w)/7) bytes, plus the index byte
                cost += bitsHistogram[b] * (1 + (b - w + 6) / 7)
                exceptions += bitsHistogram[b]
            }
            if exceptions <= 255, cost < bestCost { bestCost = cost; best = w }
        }
        let w = best
        let mask: UInt64 = w == 0 ? 0 : (w == 32 ? 0xFFFF_FFFF : (UInt64(1) << UInt64(w)) - 1)
        var exceptionCount = 0
        for v in values where UInt64(v) > mask { exceptionCount += 1 }
        out.u8(UInt8(w))
        out.u8(UInt8(exceptionCount))
        if w > 0 {
            var acc: UInt64 = 0
            var bits = 0
            for v in values {
                acc |= (UInt64(v) & mask) << UInt64(bits)
                bits += w
                while bits >= 8 {
                    out.u8(UInt8(acc & 0xFF))
                    acc >>= 8
                    bits -= 8
                }
            }
            if bits > 0 { out.u8(UInt8(acc & 0xFF)) }
        }
        if exceptionCount > 0 {
            for (i, v) in values.enumerated() where UInt64(v) > mask {
                out.u8(UInt8(i))
                out.varint(UInt64(v) >> UInt64(w))
            }
        }
    }

    /// Decodes one block at `reader`'s offset into `values` (128 entries).
    static func decode(_ reader: inout ByteReader, into values: UnsafeMutableBufferPointer<UInt32>) throws {
        let w = Int(try reader.u8())
        guard w <= 32 else { throw reader.fail("bit width \(w) > 32") }
        let exceptionCount = Int(try reader.u8())
        let packed = try reader.bytes(16 * w)
        if w == 0 {
            for i in 0..<size { values[i] = 0 }
        } else {
            let mask: UInt64 = w == 32 ? 0xFFFF_FFFF : (UInt64(1) << UInt64(w)) - 1
            var acc: UInt64 = 0
            var bits = 0
            var p = packed.lowerBound
            let base = reader.base
            for i in 0..<size {
                while bits < w {
                    acc |= UInt64(base.load(fromByteOffset: p, as: UInt8.self)) << UInt64(bits)
                    p += 1
                    bits += 8
                }
                values[i] = UInt32(acc & mask)
                acc >>= UInt64(w)
                bits -= w
            }
        }
        for _ in 0..<exceptionCount {
            let i = Int(try reader.u8())
            guard i < size else { throw reader.fail("exception index \(i) out of block") }
            let high = try reader.varint()
            let v = UInt64(values[i]) | (high << UInt64(w))
            guard v <= UInt64(UInt32.max) else { throw reader.fail("position value overflows 32 bits") }
            values[i] = UInt32(v)
        }
    }

    /// Skips one block without decoding its values.
    static func skip(_ reader: inout ByteReader) throws {
        let w = Int(try reader.u8())
        guard w <= 32 else { throw reader.fail("bit width \(w) > 32") }
        let exceptionCount = Int(try reader.u8())
        try reader.skip(16 * w)
        for _ in 0..<exceptionCount {
            _ = try reader.u8()
            _ = try reader.varint()
        }
    }
}
