/// One field of a segment's document records (FORMAT.md "Documents": fixed-width records,
/// bit-packed) read in place, with the record layout loaded once instead of once per document:
/// the slot counts that decoding first positions reads for every posting, the lengths that
/// ranking reads for every document it scores. The same value as
/// ``SegmentReader/documentField(_:_:)`` for any document in range.
/// The column does not keep its segment alive (no reference counting on the hot paths): its
/// users hold the segment's reader for as long as they read it (a postings cursor its segment,
/// an index reader its segments). Sendable: it only reads the segment's bytes, which are
/// immutable while the segment is open.
package struct DocumentColumn: @unchecked Sendable {
    unowned(unsafe) let index: SegmentReader
    let base: UnsafeRawPointer
    /// The field's width in bits, its first bit in a record, the record's width in bits.
    let width: Int, start: Int, recordWidth: Int
    /// Where the records start and the Documents section ends, in the segment's bytes.
    let recordsStart: Int, end: Int
    let field: Int
    /// The segment's documents.
    package let count: Int

    /// The documents' lengths in tokens (what BM25 reads).
    package static func lengths(of index: SegmentReader) -> DocumentColumn { DocumentColumn(index, .length) }

    init(_ index: SegmentReader, _ field: FileLayout.DocumentField) {
        self.index = index
        self.field = field.rawValue
        base = index.bytes.base
        width = index.fieldWidths[field.rawValue]
        start = index.fieldStarts[field.rawValue]
        recordWidth = index.recordWidth
        recordsStart = index.recordsStart
        end = index.documentsRange.upperBound
        count = index.documentCount
    }

    /// The field of document `id` (0 when `id` is out of range).
    /// Bounds: the 8-byte word is loaded only when it ends inside the Documents section; a record
    /// in its last 7 bytes (or an id out of range, or a field of no bits) goes through
    /// ``slowValue(_:)``.
    /// (The rare cases outlined, so that it inlines where it is read per posting: decoding first
    /// positions, the segment merger.)
    @inline(__always)
    package func value(_ id: Int) -> Int {
        let bit = id &* recordWidth &+ start
        let byte = recordsStart &+ bit &>> 3
        guard width > 0, id >= 0, id < count, byte &+ 8 <= end else { return slowValue(id) }
        let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: byte, as: UInt64.self))
        return Int(truncatingIfNeeded: (word &>> UInt64(bit & 7)) & ((1 &<< UInt64(width)) &- 1))
    }

    /// ``value(_:)`` through the segment's checked reader (0 for a field of no bits or an id out
    /// of range).
    @inline(never)
    func slowValue(_ id: Int) -> Int {
        guard width > 0, id >= 0, id < count else { return 0 }
        return index.documentField(id, field)
    }
}
