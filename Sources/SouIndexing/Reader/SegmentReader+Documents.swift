import FoundationEssentials
import Glibc

/// Document records read with every damage reported (FORMAT.md "Documents"), the Source column,
/// and key lookups through the KeyOrder section.
extension SegmentReader {
    // MARK: checked records

    /// The entry of document `id` (key range, title range, length); throws when `id` is out of
    /// range or the entry points outside its section.
    func checkedDocumentEntry(_ id: Int) throws -> (key: Range<Int>, title: Range<Int>, length: Int) {
        guard id >= 0, id < documentCount else {
            throw IndexError.corrupt("documents: document \(id) out of range (\(documentCount) documents)")
        }
        guard let e = documentEntry(id) else {
            throw IndexError.corrupt("documents: the strings of document \(id) lie outside the section")
        }
        return e
    }

    /// The external key of document `id`, like ``documentKey(_:)`` but throwing
    /// ``IndexError/corrupt(_:)`` when `id` is out of range or its entry is damaged (instead of
    /// returning "").
    public func checkedDocumentKey(_ id: Int) throws -> String {
        let e = try checkedDocumentEntry(id)
        return keysAreNumbers ? String(id) : string(e.key)
    }

    /// The title of document `id` ("" when it has none), like ``documentTitle(_:)`` but throwing
    /// when `id` is out of range or its entry is damaged.
    public func checkedDocumentTitle(_ id: Int) throws -> String {
        string(try checkedDocumentEntry(id).title)
    }

    /// The length of document `id` in tokens, like ``documentLength(_:)`` but throwing when `id`
    /// is out of range (instead of returning 0). Reads one record field.
    public func checkedDocumentLength(_ id: Int) throws -> Int {
        guard id >= 0, id < documentCount else {
            throw IndexError.corrupt("documents: document \(id) out of range (\(documentCount) documents)")
        }
        return documentField(id, FileLayout.DocumentField.length.rawValue)
    }

    /// Which input file document `id` came from, as given to ``IndexWriter/addDocument(key:title:text:source:)``
    /// (0: none or unknown). Throws when `id` is out of range.
    public func documentSource(_ id: Int) throws -> Int {
        guard id >= 0, id < documentCount else {
            throw IndexError.corrupt("documents: document \(id) out of range (\(documentCount) documents)")
        }
        return documentField(id, FileLayout.DocumentField.source.rawValue)
    }

    // MARK: keys

    /// Calls `body` with the UTF-8 bytes of document `id`'s key, without making a String: the
    /// stored bytes in place, or for numbered keys (KeyMode 1) the decimal rendered into a small
    /// temporary buffer. Do not let the pointer escape `body`. Throws when `id` is out of range or
    /// its entry is damaged.
    public func withKeyBytes<R>(_ id: Int, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let e = try checkedDocumentEntry(id)
        guard keysAreNumbers else { return try body(bytes.slice(e.key)) }
        return try withUnsafeTemporaryAllocation(byteCount: 20, alignment: 1) { buffer in
            var n = UInt64(id), end = 20
            repeat {
                end -= 1
                buffer[end] = UInt8(ascii: "0") + UInt8(n % 10)
                n /= 10
            } while n > 0
            return try body(UnsafeRawBufferPointer(rebasing: buffer[end...]))
        }
    }

    /// Compares the keys of documents `a` and `b` bytewise (unsigned, a shorter key before its
    /// extensions): negative, 0 or positive. Allocates nothing.
    public func compareKeys(_ a: Int, _ b: Int) throws -> Int {
        try withKeyBytes(a) { ka in -(try compareKey(b, to: ka)) }
    }

    /// Compares document `id`'s key with `key` bytewise: negative when the document's key comes
    /// first, 0 when equal, positive after. With another index's key:
    /// `try other.withKeyBytes(j) { try index.compareKey(i, to: $0) }`.
    public func compareKey(_ id: Int, to key: UnsafeRawBufferPointer) throws -> Int {
        try withKeyBytes(id) { Self.compareBytes($0, key) }
    }

    /// Bytewise comparison of two byte strings: negative, 0 or positive.
    static func compareBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let m = min(a.count, b.count)
        if m > 0 {
            let c = memcmp(a.baseAddress!, b.baseAddress!, m)
            if c != 0 { return c < 0 ? -1 : 1 }
        }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }

    /// The document at `rank` in key order (KeyOrder section: ids sorted by key bytes, equal keys
    /// by id). Throws when `rank` is out of range or the entry is damaged.
    public func document(atKeyRank rank: Int) throws -> Int {
        guard rank >= 0, rank < documentCount else {
            throw IndexError.corrupt("key-order: rank \(rank) out of range (\(documentCount) documents)")
        }
        let width = keyOrderWidth
        guard width > 0 else { return 0 }
        let bit = rank * width
        let byte = keyOrderRange.lowerBound + bit >> 3
        var word: UInt64 = 0
        if byte + 8 <= keyOrderRange.upperBound {
            word = UInt64(littleEndian: bytes.base.loadUnaligned(fromByteOffset: byte, as: UInt64.self))
        } else {
            for k in 0..<(keyOrderRange.upperBound - byte) {
                word |= UInt64(bytes.base.load(fromByteOffset: byte + k, as: UInt8.self)) << UInt64(8 * k)
            }
        }
        let id = Int((word >> UInt64(bit & 7)) & ((1 << UInt64(width)) - 1))
        guard id < documentCount else { throw IndexError.corrupt("key-order: document \(id) out of range at rank \(rank)") }
        return id
    }

    /// The first rank of the key order whose key is ≥ `key` (`documentCount` when none is): a
    /// binary search of the KeyOrder section.
    private func firstKeyRank(atLeast key: UnsafeRawBufferPointer) throws -> Int {
        var lo = 0, hi = documentCount
        while lo < hi {
            let mid = (lo + hi) / 2
            if try compareKey(try document(atKeyRank: mid), to: key) < 0 { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Whether document `id`'s key starts with the bytes of `prefix`.
    private func key(of id: Int, startsWith prefix: UnsafeRawBufferPointer) throws -> Bool {
        try withKeyBytes(id) { key in
            key.count >= prefix.count && (prefix.isEmpty || memcmp(key.baseAddress!, prefix.baseAddress!, prefix.count) == 0)
        }
    }

    /// Whether some document's key starts with `prefix` (deleted documents included).
    public func hasKey(withPrefix prefix: String) throws -> Bool {
        try firstDocument(withKeyPrefix: prefix) { _ in true } != nil
    }

    /// The documents whose keys start with `prefix`, in key order (deleted ones included), at most
    /// `limit` of them: the run of the key order that starts at the first key ≥ `prefix`.
    public func documents(withKeyPrefix prefix: String, limit: Int = .max) throws -> [Int] {
        var result: [Int] = []
        _ = try firstDocument(withKeyPrefix: prefix) { id in
            if result.count < limit { result.append(id) }
            return result.count >= limit
        }
        return result
    }

    /// The first document, in key order, whose key starts with `prefix` and that `accepts`
    /// (deleted documents are offered too): the run of the key order that starts at the first
    /// key ≥ `prefix`, read until a document is accepted.
    public func firstDocument(withKeyPrefix prefix: String, where accepts: (Int) throws -> Bool) throws -> Int? {
        var p = prefix
        return try p.withUTF8 { utf8 in
            let prefix = UnsafeRawBufferPointer(utf8)
            var rank = try firstKeyRank(atLeast: prefix)
            while rank < documentCount {
                let id = try document(atKeyRank: rank)
                guard try key(of: id, startsWith: prefix) else { return nil }
                if try accepts(id) { return id }
                rank += 1
            }
            return nil
        }
    }

    /// Whether some document's key does not start with `prefix` (deleted documents included): the
    /// keys with the prefix are a run of the key order, so one without it is first or last.
    public func hasKey(notWithPrefix prefix: String) throws -> Bool {
        guard documentCount > 0 else { return false }
        var p = prefix
        return try p.withUTF8 { utf8 in
            let prefix = UnsafeRawBufferPointer(utf8)
            for rank in [0, documentCount - 1] where try !key(of: try document(atKeyRank: rank), startsWith: prefix) { return true }
            return false
        }
    }

    /// Every document whose key is exactly `key`, increasing: a binary search of the KeyOrder
    /// section.
    ///
    /// - Complexity: O(log n) key comparisons, plus one per match.
    public func documents(withKey key: String) throws -> [Int] {
        var k = key
        return try k.withUTF8 { utf8 in
            let key = UnsafeRawBufferPointer(utf8)
            var result: [Int] = []
            var rank = try firstKeyRank(atLeast: key)
            while rank < documentCount {
                let id = try document(atKeyRank: rank)
                guard try compareKey(id, to: key) == 0 else { break }
                if let last = result.last, last >= id { throw IndexError.corrupt("key-order: equal keys out of id order") }
                result.append(id)
                rank += 1
            }
            return result
        }
    }
}
