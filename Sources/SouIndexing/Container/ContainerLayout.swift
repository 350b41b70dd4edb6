/// Constants of the index *file* (FORMAT.md "File"): a 64-byte file header with two commit
/// slots, then immutable blobs appended one after the other — segments (each laid out as
/// ``FileLayout`` describes), deletion bitmaps, source tables and commit records.
enum ContainerLayout {
    /// The file header: magic, format version, reserved, two commit slots.
    static let headerSize = 64
    /// Where the two commit slots start (24 bytes each).
    static let slotOffsets = [16, 40]
    static let slotSize = 24
    /// "SOUCOMIT": the first 8 bytes of every commit record.
    static let commitMagic: [UInt8] = Array("SOUCOMIT".utf8)
    /// Commit record: everything before the segment entries.
    static let commitHeaderSize = 64
    /// One segment entry of a commit record.
    static let segmentEntrySize = 56
    /// Commit records hold at most this many segments (a merge policy keeps far fewer).
    static let maxSegments = 100_000
}
