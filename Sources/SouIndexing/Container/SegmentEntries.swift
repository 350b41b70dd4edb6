/// A token's dictionary entries in each segment of an index, in one flat list (one array for all
/// segments, not one per segment: a query over many segments makes and frees these per token).
/// ``IndexReader/entries(of:)`` looks a term up in every segment of a snapshot once and keeps the
/// answer. Inlinable: queries read these per segment in their inner loops.
public struct SegmentEntries: Sendable {
    /// The entries of segment s are `storage[ends[s - 1]..<ends[s]]` (from 0 for s = 0), or,
    /// while `ends` is empty, `storage[s]`: every segment so far has exactly one entry (a term
    /// present in each segment, the common case, needs no second array).
    @usableFromInline var storage: [TermInfo] = []
    @usableFromInline var ends: [Int] = []
    @usableFromInline var segments = 0

    @inlinable
    public init(capacity segments: Int) {
        storage.reserveCapacity(segments)
    }

    /// Every segment's entries, in segment order.
    @inlinable
    public var entries: [TermInfo] { storage }

    /// Makes `ends` hold every segment's end (before a segment without exactly one entry).
    @inlinable
    mutating func spellOutEnds() {
        guard ends.isEmpty else { return }
        // (room for every segment: `storage` was reserved for as many)
        ends.reserveCapacity(max(storage.capacity, segments + 1))
        if segments > 0 { ends.append(contentsOf: 1...segments) }
    }

    /// Adds the next segment's entries.
    @inlinable
    public mutating func append<S: Sequence>(segment infos: S) where S.Element == TermInfo {
        let before = storage.count
        storage.append(contentsOf: infos)
        if !(ends.isEmpty && storage.count == before + 1) {
            // (while `ends` is empty, the entries before `before` are one per segment)
            spellOutEnds()
            ends.append(storage.count)
        }
        segments += 1
    }

    /// Adds the next segment's entry, if any.
    @inlinable @inline(__always)
    public mutating func append(segment info: TermInfo?) {
        if ends.isEmpty, let info {
            storage.append(info)
        } else {
            spellOutEnds()
            if let info { storage.append(info) }
            ends.append(storage.count)
        }
        segments += 1
    }

    /// Segment s's entries.
    @inlinable
    public subscript(s: Int) -> ArraySlice<TermInfo> {
        ends.isEmpty ? storage[s..<(s + 1)] : storage[(s == 0 ? 0 : ends[s - 1])..<ends[s]]
    }

    /// Number of segments.
    @inlinable
    public var count: Int { segments }
}
