import Foundation
import SouTestSupport
import Testing
@testable import SouIndexing

/// The term filter of the segments updates add (FORMAT.md "Section 7: TermFilter"): it may let an
/// absent term through to the dictionary, never turn a present one away.
@Suite("Term filter of update segments")
struct TermFilterTests {
    /// An index file of two segments: a base built from `baseCount` random documents, and one an
    /// update added from `updateCount` others (other seed). Returns its path (in `folder`).
    static func twoSegments(in folder: URL, baseCount: Int = 40, updateCount: Int = 40) throws -> String {
        let path = folder.appendingPathComponent("two.sou").path
        var options = IndexWriterOptions()
        options.mergeFactor = 100
        var rng = SplitMix64(seed: 7)
        do {
            let builder = try IndexWriter(path: path, mode: .rebuild, options: options)
            for i in 0..<baseCount { try builder.add(key: "base\(i)", text: randomText(&rng, length: 300)) }
            try builder.commit()
        }
        let writer = try IndexWriter(path: path, options: options)
        for i in 0..<updateCount { try writer.add(key: "update\(i)", text: randomText(&rng, length: 300)) }
        try writer.commit()
        return path
    }

    @Test("an update's segment has a filter holding every term and the first character of every longer term; the base has none")
    func holdsEveryTerm() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let index = try IndexReader(path: try Self.twoSegments(in: folder))
        #expect(index.segments.count == 2)
        let base = index.segments[0].reader, update = index.segments[1].reader
        #expect(base.dictionaryLayout == .base && base.filterBlockCount == 0)
        #expect(update.dictionaryLayout == .update && update.filterBlockCount > 0)
        let terms = try update.terms(withPrefix: "")
        #expect(terms.count == update.termCount && terms.count > 1000)
        for info in terms {
            // the same entry as the dictionary walk's, whether the look-up carries the term's String
            // (TermKey) or only its bytes (the term then decoded from the entry)
            #expect(try update.termInfo(info.term) == info, "\(info.term)")
            #expect(try update.termInfo(utf8: Array(info.term.utf8)) == info, "\(info.term)")
            let first = String(info.term.unicodeScalars.first!)
            let starting = try update.terms(withPrefix: first)
            #expect(starting.contains { $0.term == info.term }, "\(info.term) under \(first)")
        }
        _ = try update.verify()
    }

    @Test("absent terms are turned away by the filter at about its designed rate (1% let through), and every look-up of one answers nil")
    func rejectsAbsentTerms() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let index = try IndexReader(path: try Self.twoSegments(in: folder))
        let base = index.segments[0].reader, update = index.segments[1].reader
        let present = Set(try update.terms(withPrefix: "").map(\.term))
        // the base's terms that the update lacks: same alphabet, same kinds
        let absent = try base.terms(withPrefix: "").map(\.term).filter { !present.contains($0) }
        #expect(absent.count > 1000)
        var passed = 0
        for term in absent {
            if Array(term.utf8).withUnsafeBytes({ update.mayHaveTerm(TermFilter.hash($0)) }) { passed += 1 }
            #expect(try update.termInfo(term) == nil, "\(term)")
        }
        let rate = Double(passed) / Double(absent.count)
        #expect(rate < 0.03, "\(passed) of \(absent.count) absent terms passed the filter")
        // characters the update never has: no term starts with them, and the filter says so
        let letters = Set(present.flatMap { $0.unicodeScalars.prefix(1) })
        var characters = 0, characterPassed = 0
        for scalar in (0x4E00...0x9FFF).lazy.compactMap(Unicode.Scalar.init) where !letters.contains(scalar) {
            characters += 1
            if try !update.terms(withPrefix: String(scalar)).isEmpty { Issue.record("\(scalar) has terms") }
            let key = Array(String(scalar).utf8)
            if key.withUnsafeBytes({ update.mayHaveTerm(TermFilter.hash($0)) || update.mayHaveTerm(TermFilter.hash($0, prefixKey: true)) }) {
                characterPassed += 1
            }
        }
        #expect(Double(characterPassed) < 0.05 * Double(characters), "\(characterPassed) of \(characters) absent characters passed")
    }

    @Test("the filter's hash and bit choice are those FORMAT.md specifies (check values)")
    func hashCheckValues() {
        func hash(_ s: String, prefix: Bool = false) -> UInt64 { Array(s.utf8).withUnsafeBytes { TermFilter.hash($0, prefixKey: prefix) } }
        // FNV-1a 64 of the bytes (then 0xFF for a prefix key), then fmix64
        func reference(_ bytes: [UInt8]) -> UInt64 {
            var h: UInt64 = 14_695_981_039_346_656_037
            for b in bytes { h = (h ^ UInt64(b)) &* 1_099_511_628_211 }
            h = (h ^ (h >> 33)) &* 0xFF51AFD7ED558CCD
            h = (h ^ (h >> 33)) &* 0xC4CEB9FE1A85EC53
            return h ^ (h >> 33)
        }
        #expect(hash("集体") == reference(Array("集体".utf8)))
        #expect(hash("集", prefix: true) == reference(Array("集".utf8) + [0xFF]))
        #expect(hash("") == reference([]))
        #expect(hash("集体") == 0x59A9_CF22_875A_8FBC)   // FORMAT.md's check value
        // the block: the high 32 bits scaled to the count; the bit of word i: the top 5 bits of
        // (low 32 bits × salt i)
        let h = hash("集体")
        #expect(TermFilter.block(of: h, blockCount: 3) == Int(((h >> 32) * 3) >> 32))
        #expect(TermFilter.mask(h, word: 0) == 1 << ((UInt32(truncatingIfNeeded: h) &* 0x47B6137B) >> 27))
        #expect(TermFilter.blockCount(keys: 0) == 1 && TermFilter.blockCount(keys: 26) == 2 && TermFilter.blockCount(keys: 25) == 1)
    }

    @Test("a damaged term filter is refused when its segment opens; a filter that lacks a term, under a valid checksum, fails the check")
    func damage() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let index = try IndexReader(path: try Self.twoSegments(in: folder, baseCount: 5, updateCount: 5))
        let update = index.segments[1].reader
        let bytes = Array(UnsafeRawBufferPointer(start: update.bytes.base, count: update.bytes.count))
        let filter = try #require(update.sections.first { $0.kind == .termFilter }).range
        // a flipped bit: the checksum, verified at open
        var flipped = bytes
        flipped[filter.lowerBound + TermFilter.headerSize + 5] ^= 0x10
        #expect { _ = try SegmentReader(bytes: flipped) } throws: { error in
            guard case IndexError.corrupt(let what) = error else { return false }
            return what.contains("term-filter")
        }
        // every bit cleared, checksums recomputed: opens, and the check finds the missing terms
        var cleared = bytes
        for i in (filter.lowerBound + TermFilter.headerSize)..<filter.upperBound { cleared[i] = 0 }
        let reopened = try SegmentReader(bytes: resealed(cleared))
        #expect { _ = try reopened.verify() } throws: { error in
            guard case IndexError.corrupt(let what) = error else { return false }
            return what.contains("missing from the segment's term filter")
        }
        // a block count that does not fill the section
        var miscounted = bytes
        miscounted[filter.lowerBound] &+= 1
        #expect { _ = try SegmentReader(bytes: resealed(miscounted)) } throws: { error in
            guard case IndexError.corrupt(let what) = error else { return false }
            return what.contains("term-filter")
        }
    }
}
