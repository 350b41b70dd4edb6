import Glibc

/// The answers of ``IndexReader/entries(of:)`` for one snapshot: a term's dictionary entries in
/// every segment. A snapshot never changes, so an answer stays true as long as it: a batch of
/// queries, or a program that keeps a reader open, asks for the same terms again (a quarter of
/// the terms of each shared query set recur), and over many segments a look-up costs one
/// dictionary search per segment. Only answers are kept: a look-up that throws (damaged bytes)
/// throws again every time.
///
/// Direct-mapped by the key's filter hash (``TermKey/filterHash``, already computed per query
/// term; the key's bytes are compared on a hit): a term replaces the one in its slot. Bounded:
/// at most ``slotCount`` terms, fewer the more segments (about 65,536 segment entries in all,
/// some 5 MB). Shared between threads under one lock (two threads missing the same term both
/// look it up, and either answer is the same). The slots are allocated on the first answer kept.
final class TermLookupCache: @unchecked Sendable {
    // @unchecked: `hashes` and `slots` are read and written only with `lock` held.
    private struct Slot {
        /// The key: up to 16 bytes in `head` (zero-padded, little-endian words) with `length`,
        /// longer ones in `long` (a short key kept inline holds no array alive).
        let head: (UInt64, UInt64)
        let length: Int
        let long: [UInt8]?
        let entries: SegmentEntries

        init(key: [UInt8], entries: SegmentEntries) {
            head = Self.head(of: key)
            length = key.count
            long = key.count > 16 ? key : nil
            self.entries = entries
        }

        func holds(_ key: [UInt8]) -> Bool {
            guard key.count == length else { return false }
            if let long { return long == key }
            let h = Self.head(of: key)
            return h.0 == head.0 && h.1 == head.1
        }

        /// The first 16 bytes of `key`, zero-padded, as two little-endian words.
        static func head(of key: [UInt8]) -> (UInt64, UInt64) {
            var words: (UInt64, UInt64) = (0, 0)
            withUnsafeMutableBytes(of: &words) { w in
                key.withUnsafeBytes { k in
                    // min(count, 16) bytes into the 16 bytes of `words`
                    if let from = k.baseAddress { w.baseAddress!.copyMemory(from: from, byteCount: min(k.count, 16)) }
                }
            }
            return (UInt64(littleEndian: words.0), UInt64(littleEndian: words.1))
        }
    }

    private let lock: UnsafeMutablePointer<pthread_mutex_t>
    /// Per slot, the hash of the key it holds, 0 for an empty slot (whose `slots` memory is not
    /// initialized). A key whose hash is 0 is not kept.
    private var hashes: UnsafeMutablePointer<UInt64>? = nil
    private var slots: UnsafeMutablePointer<Slot>? = nil
    /// A power of two: slot = hash & (slotCount − 1).
    let slotCount: Int

    init(segments: Int) {
        var n = 64
        while n < 4_096, n * 2 * max(1, segments) <= 65_536 { n *= 2 }
        slotCount = n
        lock = .allocate(capacity: 1)
        pthread_mutex_init(lock, nil)
    }

    deinit {
        if let hashes, let slots {
            for i in 0..<slotCount where hashes[i] != 0 { (slots + i).deinitialize(count: 1) }
            slots.deallocate()
            free(hashes)
        }
        pthread_mutex_destroy(lock)
        lock.deallocate()
    }

    /// The entries kept for `key`, if any.
    func entries(of key: TermKey) -> SegmentEntries? {
        let h = key.filterHash, i = Int(truncatingIfNeeded: h) & (slotCount - 1)
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        // (i < slotCount: the buffers' size; slot i is initialized when its hash is not 0)
        guard h != 0, let hashes, let slots, hashes[i] == h, slots[i].holds(key.bytes) else { return nil }
        return slots[i].entries
    }

    /// Keeps `entries` as the answer for `key`, in place of what its slot held.
    func keep(_ entries: SegmentEntries, for key: TermKey) {
        let h = key.filterHash, i = Int(truncatingIfNeeded: h) & (slotCount - 1)
        guard h != 0 else { return }
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        if hashes == nil {
            // zeroed: every slot empty
            guard let zeroed = calloc(slotCount, MemoryLayout<UInt64>.stride) else { return }
            hashes = zeroed.assumingMemoryBound(to: UInt64.self)
            slots = .allocate(capacity: slotCount)
        }
        guard let hashes, let slots else { return }
        if hashes[i] != 0 { (slots + i).deinitialize(count: 1) }
        (slots + i).initialize(to: Slot(key: key.bytes, entries: entries))
        hashes[i] = h
    }

    /// Terms kept (for tests).
    var count: Int {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        guard let hashes else { return 0 }
        return (0..<slotCount).reduce(0) { $0 + (hashes[$1] != 0 ? 1 : 0) }
    }
}
