import Foundation
import SouTestSupport
import Testing
@testable import SouIndexing

/// Bytewise comparison of two strings' UTF-8, as -1, 0, 1.
func byteOrder(_ a: String, _ b: String) -> Int {
    let x = Array(a.utf8), y = Array(b.utf8)
    return x == y ? 0 : (x.lexicographicallyPrecedes(y) ? -1 : 1)
}

@Suite("Document keys, sources and the KeyOrder section")
struct DocumentKeyTests {
    static func index(keys: [String], sources: [UInt32]? = nil, storesText: Bool = false) throws -> SegmentReader {
        let writer = try SegmentWriter(storesText: storesText)
        for (i, k) in keys.enumerated() {
            try writer.addDocument(key: k, title: "t\(i)", text: "集体协商 \(i)", source: sources?[i] ?? 0)
        }
        return try writer.makeIndex()
    }

    /// Keys with duplicates, prefixes of each other, an empty key, a NUL byte, long shared
    /// prefixes (beyond the 8 bytes compared at once) and multi-byte characters.
    static func awkwardKeys(count: Int, seed: UInt64) -> [String] {
        var rng = SplitMix64(seed: seed)
        let pool = ["", "a", "ab", "a\u{0}", "a\u{0}b", "b", "é", "中", "中文", "doc/12345678", "doc/12345678/x",
                    "doc/123456789", "doc/12345679", "10", "9", "0", "Z", "z"]
        return (0..<count).map { _ in
            rng.next() % 3 == 0 ? "k\(rng.next() % 50)" : pool[Int(rng.next() % UInt64(pool.count))]
        }
    }

    @Test("documents(withKey:) returns every document with exactly that key, increasing", arguments: [1, 2, 17, 300])
    func lookup(count: Int) throws {
        let keys = Self.awkwardKeys(count: count, seed: UInt64(count))
        let index = try Self.index(keys: keys)
        _ = try index.verify()
        var probes = Set(keys)
        probes.formUnion(["absent", "a\u{1}", "中文字", "k", "k99"])
        for key in probes {
            let want = keys.indices.filter { keys[$0] == key }
            #expect(try index.documents(withKey: key) == want, "key \(key.debugDescription)")
        }
    }

    @Test("hasKey(withPrefix:), hasKey(notWithPrefix:) and documents(withKeyPrefix:limit:) agree with a scan of the keys' bytes", arguments: [1, 2, 17, 300])
    func prefixes(count: Int) throws {
        let keys = Self.awkwardKeys(count: count, seed: UInt64(count) + 100)
        let index = try Self.index(keys: keys)
        var probes = Set(keys.flatMap { key in (0...key.utf8.count).map { String(decoding: Array(key.utf8).prefix($0), as: UTF8.self) } })
        probes.formUnion(["./", "/", "absent", "a\u{1}", "中文字", "k9", "doc/1234567", "doc/123456780", "zz"])
        for prefix in probes {
            let p = Array(prefix.utf8)
            #expect(try index.hasKey(withPrefix: prefix) == keys.contains { Array($0.utf8).starts(with: p) }, "prefix \(prefix.debugDescription)")
            #expect(try index.hasKey(notWithPrefix: prefix) == keys.contains { !Array($0.utf8).starts(with: p) },
                    "not prefix \(prefix.debugDescription)")
            // the documents with the prefix, in key order (equal keys by id), and the first few of them
            let want = keys.indices.filter { Array(keys[$0].utf8).starts(with: p) }.sorted { a, b in
                let c = byteOrder(keys[a], keys[b])
                return c != 0 ? c < 0 : a < b
            }
            #expect(try index.documents(withKeyPrefix: prefix) == want, "documents with prefix \(prefix.debugDescription)")
            #expect(try index.documents(withKeyPrefix: prefix, limit: 2) == Array(want.prefix(2)))
        }
    }

    @Test("the key order is the documents sorted by key bytes, equal keys by id")
    func keyOrder() throws {
        let keys = Self.awkwardKeys(count: 200, seed: 9)
        let index = try Self.index(keys: keys)
        let want = keys.indices.sorted { a, b in
            let c = byteOrder(keys[a], keys[b])
            return c != 0 ? c < 0 : a < b
        }
        #expect(try (0..<keys.count).map { try index.document(atKeyRank: $0) } == want)
        #expect(throws: IndexError.self) { try index.document(atKeyRank: keys.count) }
        #expect(throws: IndexError.self) { try index.document(atKeyRank: -1) }
    }

    @Test("compareKeys and compareKey(_:to:) agree with bytewise comparison, also across indexes")
    func comparison() throws {
        let keys = Self.awkwardKeys(count: 40, seed: 3)
        let other = Self.awkwardKeys(count: 30, seed: 4)
        let a = try Self.index(keys: keys), b = try Self.index(keys: other)
        for i in keys.indices {
            for j in keys.indices { #expect(try a.compareKeys(i, j).signum() == byteOrder(keys[i], keys[j])) }
            for j in other.indices {
                let c = try b.withKeyBytes(j) { try a.compareKey(i, to: $0) }
                #expect(c.signum() == byteOrder(keys[i], other[j]))
            }
            #expect(try a.withKeyBytes(i) { Array($0) } == Array(keys[i].utf8))
        }
        #expect(throws: IndexError.self) { try a.withKeyBytes(keys.count) { _ in () } }
    }

    @Test("numbered keys (not stored) are rendered for comparison and lookup")
    func numberedKeys() throws {
        let keys = (0..<1234).map(String.init)
        let index = try Self.index(keys: keys)
        #expect(index.keysAreNumbers)
        _ = try index.verify()
        for id in [0, 1, 9, 10, 99, 100, 1000, 1233] {
            #expect(try index.withKeyBytes(id) { String(decoding: $0, as: UTF8.self) } == String(id))
            #expect(try index.documents(withKey: String(id)) == [id])
        }
        #expect(try index.documents(withKey: "1234").isEmpty)
        #expect(try index.documents(withKey: "01").isEmpty)
        #expect(try index.compareKeys(10, 9) < 0)      // "10" < "9" bytewise
        #expect(try index.compareKeys(100, 100) == 0)
        let order = try (0..<20).map { try index.document(atKeyRank: $0) }
        #expect(order == [0, 1, 10, 100, 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 101, 1010, 1011, 1012, 1013, 1014])
    }

    @Test("the Source column round-trips and costs no bits when every source is 0")
    func sources() throws {
        let keys = (0..<50).map { "d\($0)" }
        let none = try Self.index(keys: keys)
        #expect(none.fieldWidths[FileLayout.DocumentField.source.rawValue] == 0)
        #expect(try (0..<50).map { try none.documentSource($0) } == Array(repeating: 0, count: 50))
        let sources: [UInt32] = (0..<50).map { $0 == 7 ? UInt32.max : UInt32($0 % 4) }
        let some = try Self.index(keys: keys, sources: sources, storesText: true)
        _ = try some.verify()
        #expect(some.fieldWidths[FileLayout.DocumentField.source.rawValue] == 32)
        #expect(try (0..<50).map { try some.documentSource($0) } == sources.map(Int.init))
        #expect((0..<50).map(some.documentKey) == keys)
        #expect((0..<50).map(some.documentTitle) == (0..<50).map { "t\($0)" })
        #expect(throws: IndexError.self) { try some.documentSource(50) }
    }

    @Test("the checked record readers throw where the plain ones return \"\" or 0")
    func checkedReaders() throws {
        let index = try Self.index(keys: ["x", "y"])
        #expect(try index.checkedDocumentKey(1) == "y")
        #expect(try index.checkedDocumentTitle(1) == "t1")
        #expect(try index.checkedDocumentLength(1) == index.documentLength(1))
        for bad in [-1, 2, Int.max] {
            #expect(index.documentKey(bad) == "" && index.documentLength(bad) == 0)
            #expect(throws: IndexError.self) { try index.checkedDocumentKey(bad) }
            #expect(throws: IndexError.self) { try index.checkedDocumentTitle(bad) }
            #expect(throws: IndexError.self) { try index.checkedDocumentLength(bad) }
        }
    }

    @Test("an empty index has an empty key order")
    func empty() throws {
        let index = try Self.index(keys: [])
        #expect(try index.documents(withKey: "").isEmpty)
        #expect(index.keyOrderRange.isEmpty)
        _ = try index.verify()
    }
}
