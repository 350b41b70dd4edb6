import FoundationEssentials
import Glibc
import SouAnalysis

/// One commit point of an index file (FORMAT.md "Commit records"): the segments that make up the
/// index at that moment, with their deletions, and the source table of `sou index`. Decoded by
/// this one type for opening, writing and `sou check` alike.
struct CommitRecord: Sendable, Hashable {
    /// One segment of the commit.
    struct Segment: Sendable, Hashable {
        /// Unique within the file's history (never reused), for `sou stats` and merges.
        var id: UInt64
        /// Where the segment's bytes lie in the file.
        var offset: Int
        var length: Int
        /// Documents in the segment, deleted ones included.
        var documentCount: Int
        /// Deleted documents and the sum of the lengths of the live ones.
        var deletedCount: Int
        var liveLength: Int
        /// The deletion bitmap (length 0 when nothing is deleted) and its CRC-32C.
        var deletionsOffset: Int
        var deletionsLength: Int
        var deletionsCRC: UInt32
    }

    /// Increases by one with every commit (across merges that rewrite the file too).
    var generation: UInt64
    /// Offset of the previous commit record in this file (0: none, the first of this file).
    var previousOffset: Int
    var analyzerFlags: UInt32
    var rulesVersion: UInt16
    var storesText: Bool
    /// The next segment id to hand out.
    var nextSegmentID: UInt64
    /// The source table blob (length 0: none) and its CRC-32C.
    var sourcesOffset: Int
    var sourcesLength: Int
    var sourcesCRC: UInt32
    var segments: [Segment]

    var byteCount: Int { ContainerLayout.commitHeaderSize + segments.count * ContainerLayout.segmentEntrySize + 4 }

    /// The stored form, checksum included.
    func encoded() -> [UInt8] {
        var w = ByteWriter()
        w.append(contentsOf: ContainerLayout.commitMagic)
        w.u64(generation)
        w.u64(UInt64(previousOffset))
        w.u32(analyzerFlags)
        w.u16(rulesVersion)
        w.u16(storesText ? FileLayout.flagStoresText : 0)
        w.u64(nextSegmentID)
        w.u64(UInt64(sourcesOffset))
        w.u64(UInt64(sourcesLength))
        w.u32(sourcesCRC)
        w.u32(UInt32(segments.count))
        for s in segments {
            w.u64(s.id)
            w.u64(UInt64(s.offset))
            w.u64(UInt64(s.length))
            w.u32(UInt32(s.documentCount))
            w.u32(UInt32(s.deletedCount))
            w.u64(UInt64(s.liveLength))
            w.u64(UInt64(s.deletionsOffset))
            w.u32(UInt32(s.deletionsLength))
            w.u32(s.deletionsCRC)
        }
        let crc = CRC32C.checksum(w.bytes)
        w.u32(crc)
        return w.bytes
    }

    /// Decodes the commit record at `offset`; `fileLength` bounds every range it names. Throws
    /// ``IndexError/corrupt(_:)`` naming the commit's offset for anything inconsistent.
    init(bytes b: IndexBytes, at offset: Int, fileLength: Int) throws {
        func bad(_ what: String) -> IndexError { IndexError.corrupt("commit record at byte \(offset): \(what)") }
        guard offset >= ContainerLayout.headerSize, offset <= b.count - ContainerLayout.commitHeaderSize - 4 else {
            throw bad("lies outside the file")
        }
        guard ContainerLayout.commitMagic.withUnsafeBytes({ memcmp(b.base + offset, $0.baseAddress!, 8) == 0 }) else {
            throw bad("bad magic")
        }
        var r = ByteReader(b, range: (offset + 8)..<b.count, context: "commit record")
        generation = try r.u64()
        previousOffset = Int(clamping: try r.u64())
        analyzerFlags = try r.u32()
        rulesVersion = try r.u16()
        let flags = try r.u16()
        guard flags & ~FileLayout.flagStoresText == 0 else { throw bad("unknown index flags \(flags)") }
        storesText = flags & FileLayout.flagStoresText != 0
        nextSegmentID = try r.u64()
        sourcesOffset = Int(clamping: try r.u64())
        sourcesLength = Int(clamping: try r.u64())
        sourcesCRC = try r.u32()
        let count = Int(try r.u32())
        guard count <= ContainerLayout.maxSegments,
              count <= (b.count - offset - ContainerLayout.commitHeaderSize - 4) / ContainerLayout.segmentEntrySize else {
            throw bad("segment count \(count) does not fit")
        }
        let end = offset + ContainerLayout.commitHeaderSize + count * ContainerLayout.segmentEntrySize
        let stored = b.u32(at: end)
        guard CRC32C.checksum(b.slice(offset..<end)) == stored else { throw bad("checksum mismatch") }
        guard generation >= 1 else { throw bad("generation 0") }
        guard previousOffset == 0 || (previousOffset >= ContainerLayout.headerSize && previousOffset < offset) else {
            throw bad("previous commit at byte \(previousOffset) is not before it")
        }
        guard sourcesLength == 0 || (sourcesOffset >= ContainerLayout.headerSize && sourcesOffset <= offset
                                     && sourcesLength <= offset - sourcesOffset) else {
            throw bad("source table lies outside the committed bytes")
        }
        var segments: [Segment] = []
        segments.reserveCapacity(count)
        for i in 0..<count {
            let s = Segment(id: try r.u64(), offset: Int(clamping: try r.u64()), length: Int(clamping: try r.u64()),
                            documentCount: Int(try r.u32()), deletedCount: Int(try r.u32()), liveLength: Int(clamping: try r.u64()),
                            deletionsOffset: Int(clamping: try r.u64()), deletionsLength: Int(try r.u32()), deletionsCRC: try r.u32())
            guard s.offset >= ContainerLayout.headerSize, s.offset <= offset, s.length <= offset - s.offset,
                  s.length >= FileLayout.headerSize + FileLayout.trailerSize else {
                throw bad("segment \(i) lies outside the committed bytes")
            }
            guard s.deletedCount <= s.documentCount, s.id < nextSegmentID else {
                throw bad("segment \(i): inconsistent counts or id")
            }
            guard (s.deletedCount == 0 && s.deletionsLength == 0)
                    || (s.deletionsOffset >= ContainerLayout.headerSize && s.deletionsOffset <= offset
                        && s.deletionsLength <= offset - s.deletionsOffset) else {
                throw bad("segment \(i): deletions lie outside the committed bytes")
            }
            segments.append(s)
        }
        // Segment ids are distinct: checked on the ids sorted, not with a Set<UInt64> (the first
        // use of a Set type in a process costs a scan of every protocol-conformance record).
        // The segment named is the first one whose id an earlier segment has.
        let byID = segments.indices.sorted { (segments[$0].id, $0) < (segments[$1].id, $1) }
        var repeated = Int.max
        for (a, b) in zip(byID, byID.dropFirst()) where segments[a].id == segments[b].id { repeated = min(repeated, b) }
        if repeated != Int.max { throw bad("segment \(repeated): inconsistent counts or id") }
        self.segments = segments
        _ = fileLength
    }

    init(generation: UInt64, previousOffset: Int, configuration: AnalyzerConfiguration, storesText: Bool,
         nextSegmentID: UInt64, segments: [Segment]) {
        self.generation = generation
        self.previousOffset = previousOffset
        self.analyzerFlags = configuration.flags
        self.rulesVersion = AnalyzerConfiguration.rulesVersion
        self.storesText = storesText
        self.nextSegmentID = nextSegmentID
        self.sourcesOffset = 0
        self.sourcesLength = 0
        self.sourcesCRC = 0
        self.segments = segments
    }
}

/// A commit slot of the file header: which commit record is the latest.
struct CommitSlot: Hashable {
    var generation: UInt64
    var offset: Int
    var length: Int

    func encoded() -> [UInt8] {
        var w = ByteWriter()
        w.u64(generation)
        w.u64(UInt64(offset))
        w.u32(UInt32(length))
        let crc = CRC32C.checksum(w.bytes)
        w.u32(crc)
        return w.bytes
    }

    /// The slot at `at` of a 64-byte header, or nil when empty or torn (checksum mismatch).
    static func decode(_ header: UnsafeRawBufferPointer, at: Int) -> CommitSlot? {
        guard header.count >= at + ContainerLayout.slotSize else { return nil }
        let p = UnsafeRawBufferPointer(rebasing: header[at..<(at + ContainerLayout.slotSize)])
        let generation = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        let offset = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        let length = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
        let crc = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 20, as: UInt32.self))
        guard generation != 0, CRC32C.checksum(UnsafeRawBufferPointer(rebasing: p[0..<20])) == crc,
              offset <= UInt64(Int.max) else { return nil }
        return CommitSlot(generation: generation, offset: Int(offset), length: Int(length))
    }
}
