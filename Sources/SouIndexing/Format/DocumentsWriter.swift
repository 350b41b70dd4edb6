import FoundationEssentials
import Glibc

/// Writes the sections about documents (FORMAT.md "Documents", "KeyOrder" and "StoredText")
/// from a ``DocumentTable``.
enum DocumentsWriter {
    /// The Documents section: a fixed-width bit-packed record per document (length, slot count,
    /// key and title lengths, strings offset, source), then the strings. Keys that are the
    /// documents' own numbers ("0", "1", …: JSON Lines ids that are line numbers) are not stored
    /// at all.
    static func writeDocuments(_ d: DocumentTable, into sink: OutputSink) throws {
        var keysAreNumbers = true
        for i in 0..<d.count where !isDecimal(d.keys[i], i) { keysAreNumbers = false; break }
        var maxLength: UInt64 = 0, maxSlots: UInt64 = 0, maxKey: UInt64 = 0, maxTitle: UInt64 = 0
        var stringsLength: UInt64 = 0, maxSource: UInt64 = 0
        for i in 0..<d.count {
            let k = keysAreNumbers ? 0 : UInt64(d.keys[i].utf8.count), t = UInt64(d.titles[i].utf8.count)
            maxLength = max(maxLength, UInt64(UInt32(bitPattern: d.lengths[i])))
            maxSlots = max(maxSlots, UInt64(UInt32(bitPattern: d.slotCounts[i])))
            maxKey = max(maxKey, k)
            maxTitle = max(maxTitle, t)
            maxSource = max(maxSource, UInt64(d.sources[i]))
            if i + 1 < d.count { stringsLength += k + t }   // the largest offset is the last one
        }
        func width(_ v: UInt64) -> Int { 64 - v.leadingZeroBitCount }
        let widths = [width(maxLength), width(maxSlots), width(maxKey), width(maxTitle), width(stringsLength),
                      width(maxSource)]
        var out = ByteWriter()
        out.u64(UInt64(d.count))
        out.u64(UInt64(d.totalLength))
        out.u8(keysAreNumbers ? 1 : 0)
        for w in widths { out.u8(UInt8(w)) }
        out.u8(0)
        try sink.write(out)
        out.bytes.removeAll(keepingCapacity: true)
        var bits = BitWriter()
        var offset: UInt64 = 0
        for i in 0..<d.count {
            let k = keysAreNumbers ? 0 : UInt64(d.keys[i].utf8.count), t = UInt64(d.titles[i].utf8.count)
            bits.write(UInt64(UInt32(bitPattern: d.lengths[i])), bits: widths[0])
            bits.write(UInt64(UInt32(bitPattern: d.slotCounts[i])), bits: widths[1])
            bits.write(k, bits: widths[2])
            bits.write(t, bits: widths[3])
            bits.write(offset, bits: widths[4])
            bits.write(UInt64(d.sources[i]), bits: widths[5])
            offset += k + t
        }
        try sink.write(bits.finish())
        for i in 0..<d.count {
            if !keysAreNumbers { out.append(contentsOf: d.keys[i].utf8) }
            out.append(contentsOf: d.titles[i].utf8)
            if out.count >= 1 << 20 { try sink.write(out); out.bytes.removeAll(keepingCapacity: true) }
        }
        try sink.write(out)
    }

    /// The KeyOrder section: the document ids sorted by key bytes (unsigned; equal keys by id),
    /// bit-packed at ``FileLayout/keyOrderWidth(documentCount:)`` bits each.
    static func writeKeyOrder(_ d: DocumentTable, into sink: OutputSink) throws {
        let width = FileLayout.keyOrderWidth(documentCount: d.count)
        var bits = BitWriter()
        for id in sortedByKey(d.keys) {
            bits.write(UInt64(id), bits: width)
            if bits.completeByteCount >= 1 << 20 { try bits.drainCompleteBytes { try sink.write($0) } }
        }
        try sink.write(bits.finish())
    }

    /// Indices of `keys` sorted by the keys' UTF-8 bytes (unsigned), equal keys by index: by
    /// the first 8 bytes as one big-endian integer first, then by the rest.
    static func sortedByKey(_ keys: [String]) -> [Int32] {
        var bytes: [UInt8] = []
        var starts: [Int] = [0]
        starts.reserveCapacity(keys.count + 1)
        var items: [(prefix: UInt64, id: Int32)] = []
        items.reserveCapacity(keys.count)
        for (i, k) in keys.enumerated() {
            var v: UInt64 = 0
            for (j, b) in k.utf8.prefix(8).enumerated() { v |= UInt64(b) << UInt64(56 - 8 * j) }
            bytes.append(contentsOf: k.utf8)
            starts.append(bytes.count)
            items.append((v, Int32(i)))
        }
        bytes.withUnsafeBufferPointer { b in
            items.sort { x, y in
                if x.prefix != y.prefix { return x.prefix < y.prefix }
                let sa = starts[Int(x.id)], sb = starts[Int(y.id)]
                let la = starts[Int(x.id) + 1] - sa, lb = starts[Int(y.id) + 1] - sb
                let m = min(la, lb)
                if m > 8 {
                    let c = memcmp(b.baseAddress! + sa + 8, b.baseAddress! + sb + 8, m - 8)
                    if c != 0 { return c < 0 }
                }
                return la != lb ? la < lb : x.id < y.id
            }
        }
        return items.map(\.id)
    }

    /// Whether `key` is the decimal spelling of `n` (no sign, no leading zero).
    static func isDecimal(_ key: String, _ n: Int) -> Bool {
        key.utf8.count <= 10 && key == String(n)
    }

    /// The StoredText section: the block table, then the compressed blocks.
    static func writeStoredText(_ d: DocumentTable, into sink: OutputSink) throws {
        if let pending = d.pendingStoredText {
            d.pendingStoredText = nil
            try pending(d)
        }
        var out = ByteWriter()
        out.u32(UInt32(d.storedBlocks.count))
        out.u32(0)
        var offset = 0
        for b in d.storedBlocks {
            out.u32(UInt32(b.firstDocument))
            out.u32(UInt32(b.documentCount))
            out.u64(UInt64(offset))
            out.u32(UInt32(b.compressedLength))
            out.u32(UInt32(b.rawLength))
            offset += b.compressedLength
        }
        try sink.write(out)
        try d.storedData.drain(into: sink)
    }
}
