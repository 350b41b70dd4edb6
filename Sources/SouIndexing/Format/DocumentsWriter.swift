/// Writes the sections about documents (FORMAT.md "Documents" and "StoredText") from a
/// ``DocumentTable``.
enum DocumentsWriter {
    /// The Documents section: a fixed-width bit-packed record per document (length, slot count,
    /// key and title lengths, strings offset), then the strings. Keys that are the documents'
    /// own numbers ("0", "1", …: JSON Lines ids that are line numbers) are not stored at all.
    static func writeDocuments(_ d: DocumentTable, into sink: OutputSink) throws {
        var keysAreNumbers = true
        for i in 0..<d.count where !isDecimal(d.keys[i], i) { keysAreNumbers = false; break }
        var maxLength: UInt64 = 0, maxSlots: UInt64 = 0, maxKey: UInt64 = 0, maxTitle: UInt64 = 0
        var stringsLength: UInt64 = 0
        for i in 0..<d.count {
            let k = keysAreNumbers ? 0 : UInt64(d.keys[i].utf8.count), t = UInt64(d.titles[i].utf8.count)
            maxLength = max(maxLength, UInt64(UInt32(bitPattern: d.lengths[i])))
            maxSlots = max(maxSlots, UInt64(UInt32(bitPattern: d.slotCounts[i])))
            maxKey = max(maxKey, k)
            maxTitle = max(maxTitle, t)
            if i + 1 < d.count { stringsLength += k + t }   // the largest offset is the last one
        }
        func width(_ v: UInt64) -> Int { 64 - v.leadingZeroBitCount }
        let widths = [width(maxLength), width(maxSlots), width(maxKey), width(maxTitle), width(stringsLength)]
        var out = ByteWriter()
        out.u64(UInt64(d.count))
        out.u64(UInt64(d.totalLength))
        out.u8(keysAreNumbers ? 1 : 0)
        for w in widths { out.u8(UInt8(w)) }
        out.u8(0); out.u8(0)
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

    /// Whether `key` is the decimal spelling of `n` (no sign, no leading zero).
    static func isDecimal(_ key: String, _ n: Int) -> Bool {
        key.utf8.count <= 10 && key == String(n)
    }

    /// The StoredText section: the block table, then the compressed blocks.
    static func writeStoredText(_ d: DocumentTable, into sink: OutputSink) throws {
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
