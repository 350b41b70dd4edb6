import Foundation
import SouAnalysis
import SouTestSupport
import Testing
@testable import SouIndexing

/// The codings of format version 5 that save bytes over version 4: character-delta dictionary
/// entries of one or two bytes, and postings blocks whose first positions are "derived": truncated
/// binary for a term once in a document, Rice with a parameter derived from the document's slot
/// count and the frequency for a term several times in it (FORMAT.md "Terms", "Postings").
@Suite("Compact dictionary entries and derived first positions")
struct CompactCodingTests {
    /// A segment of `texts` (keys doc0, doc1, …) and its bytes.
    static func segment(_ texts: [String]) throws -> (reader: SegmentReader, bytes: [UInt8]) {
        let writer = try SegmentWriter(storesText: false)
        for (i, t) in texts.enumerated() { try writer.addDocument(key: "doc\(i)", title: "", text: t) }
        let bytes = try writer.serialize().bytes
        return (try SegmentReader(bytes: bytes), bytes)
    }

    /// Every term of `index` as the dictionary iterator, the look-up and the prefix ranges give
    /// it, against the analyzer's own postings (the oracle).
    static func expectRoundTrip(_ index: SegmentReader, _ texts: [String]) throws {
        let expected = try ExpectedIndex(texts: texts)
        var iterated: [String] = []
        try TermDictionaryReader(index: index).forEach(from: []) { term, _ in
            iterated.append(String(decoding: term, as: UTF8.self))
            return true
        }
        #expect(iterated == expected.sortedTerms)
        for term in expected.sortedTerms {
            let info = try #require(try index.termInfo(term), "\(term) not found")
            #expect(info.kind == expected.kinds[term], "\(term)")
            let want = try #require(expected.postings[term])
            let got = try readPostings(index, info)
            #expect(got.map(\.doc) == want.map(\.doc), "\(term)")
            #expect(got.map(\.positions) == want.map(\.positions), "\(term)")
        }
        _ = try index.verify()
    }

    @Test("skipping varints lands where decoding them would, for values of 1 to 9 bytes, at every count and across 8-byte words")
    func skipVarints() throws {
        var random = SplitMix64(seed: 12)
        var writer = ByteWriter()
        var values: [UInt64] = []
        for i in 0..<400 {
            // lengths 1 to 9 bytes, mostly short (as ordinal gaps are)
            let bits = i % 7 == 0 ? Int(random.next() % 63) : Int(random.next() % 14)
            let v = bits == 0 ? 0 : random.next() & ((1 << UInt64(bits)) - 1)
            values.append(v)
            writer.varint(v)
        }
        let bytes = writer.bytes
        try bytes.withUnsafeBytes { raw in
            let index = IndexBytes(base: raw.baseAddress!, count: raw.count)
            for start in [0, 1, 5, 17] {
                for count in [0, 1, 2, 7, 8, 9, 63, 200, values.count - start - 1] where start + count < values.count {
                    var decoded = ByteReader(index, range: 0..<raw.count, context: "test")
                    for _ in 0..<start { _ = try decoded.varint() }
                    var skipped = decoded
                    for _ in 0..<count { _ = try decoded.varint() }
                    try skipped.skipVarints(count)
                    #expect(skipped.offset == decoded.offset, "start \(start), count \(count)")
                    #expect(try skipped.varint() == values[start + count])
                }
            }
            // past the end: an error, not a read beyond it
            var r = ByteReader(index, range: 0..<raw.count, context: "test")
            #expect(throws: IndexError.self) { try r.skipVarints(values.count + 1) }
        }
    }

    @Test("a character-delta entry is its header byte alone for a distance below 16, the header and a vint of distance >> 4 above (the bytes FORMAT.md gives)")
    func characterDeltaBytes() throws {
        // 中一 中丁: terms 中一 中丁, singletons of document 0: Code = position << 1 | 1. 中丁
        // follows 中一 at distance 0x4E01 − 0x4E00 − 1 = 0.
        let (small, smallBytes) = try Self.segment(["中一 中丁"])
        let block = Array(smallBytes[small.blocksStart..<small.termsRange.upperBound])
        #expect(block == [0x00, 0x00,                                  // PostingsBase, PositionsBase
                          0xC0, 0xE4, 0xB8, 0xAD, 0xE4, 0xB8, 0x80,    // 中一: bigram, shared 0, suffix 6
                          0x01,                                        //   slot 0
                          0x00, 0x05])                                 // 中丁: distance 0; slot 2
        // 中一 中丒: distance 0x4E12 − 0x4E00 − 1 = 17 = 1 + 16 × 1: header 0x11 (low bits 1, bit 4), vint 1
        let (large, largeBytes) = try Self.segment(["中一 中丒"])
        let tail = Array(largeBytes[large.blocksStart..<large.termsRange.upperBound].suffix(3))
        #expect(tail == [0x11, 0x01, 0x05])
    }

    @Test("bigrams read back at every distance class of their character deltas (0, 15, 16, 2,047, 2,048, into the supplementary plane), and two-character terms of different kinds after one another keep their kinds")
    func characterDeltaRoundTrip() throws {
        // second characters at code point distances − 1 of 0, 15, 16, 2,047, 2,048 and more
        // after 一 (U+4E00); then supplementary-plane ones (4-byte second character)
        let seconds: [UInt32] = [0x4E00, 0x4E01, 0x4E11, 0x4E22, 0x5622, 0x5E23, 0x9FA0, 0x2000B, 0x2000C, 0x2A6D6]
        let runs = seconds.map { "中" + String(Character(Unicode.Scalar($0)!)) }
        // "12" (a number) then "1a" (a word): same first character, another kind
        let texts = [runs.joined(separator: " "), "12 1a 1b 19", runs.reversed().joined(separator: "。") + " 1a"]
        let (index, _) = try Self.segment(texts)
        try Self.expectRoundTrip(index, texts)
        #expect(try index.termInfo("12")?.kind == .number)
        #expect(try index.termInfo("1a")?.kind == .word)
        #expect(try index.terms(withPrefix: "中").map(\.term) == runs)
    }

    /// The first bit of a one-block term's postings: 1 when its first positions use the
    /// derived coding (FORMAT.md "Postings": no GapK for one block, then the mode).
    static func firstModeBit(_ index: SegmentReader, _ term: String) throws -> UInt8 {
        let info = try #require(try index.termInfo(term))
        guard case .postings(let offset, _) = info.location else { Issue.record("\(term) is a singleton"); return 0 }
        #expect(info.documentFrequency <= FileLayout.docsPerBlock)
        return index.bytes.base.load(fromByteOffset: index.postingsRange.lowerBound + offset, as: UInt8.self) & 1
    }

    @Test("first positions in derived coding read back: frequency 1, frequency 15 early in long documents, a late first occurrence whose Rice code escapes, a document of one slot, 4,000 occurrences in a document")
    func derivedFirstPositions() throws {
        var rng = SplitMix64(seed: 99)
        func filler(_ n: Int) -> String { String(repeating: "w ", count: n) }
        var texts: [String] = ["甲"]   // one slot: truncated binary below 1 takes no bits
        // frequency 1 at uniformly random slots of 2,000-slot documents: derived = binary
        for _ in 0..<60 {
            let p = Int(rng.next() % 1999)
            texts.append(filler(p) + "甲 " + filler(1999 - p))
        }
        // frequency 15 from an early slot: Rice with parameter 11 − 5 = 6 beats 11 bits of binary
        for _ in 0..<40 {
            let p = Int(rng.next() % 64)
            texts.append(filler(p) + String(repeating: "甲 ", count: 15) + filler(1985 - p))
        }
        // frequency 100 from slot 1,000 of 1,100: parameter 11 − 7 = 4, quotient 62 ≥ 32: an escape
        texts.append(filler(1000) + String(repeating: "甲 ", count: 100))
        // 4,000 occurrences from slot 0 (gaps go to the Positions section)
        texts.append(String(repeating: "甲 ", count: 4000) + filler(10))
        let (index, _) = try Self.segment(texts)
        #expect(try Self.firstModeBit(index, "甲") == 1, "the block did not take the derived coding")
        let postings = try readPostings(index, try #require(try index.termInfo("甲")))
        #expect(postings.count == texts.count)
        #expect(postings[0].positions == [0])
        #expect(postings[texts.count - 2].positions == Array(1000..<1100))
        #expect(postings[texts.count - 1].positions == Array(0..<4000))
        try Self.expectRoundTrip(index, texts)
    }

    @Test("the derived parameter is the bit length of the slot count minus that of frequency + 1, within 0...24")
    func derivedParameter() {
        #expect(RiceCoding.firstPositionParameter(slotCount: 2000, frequency: 15) == 6)
        #expect(RiceCoding.firstPositionParameter(slotCount: 1100, frequency: 100) == 4)
        #expect(RiceCoding.firstPositionParameter(slotCount: 7, frequency: 2) == 1)
        #expect(RiceCoding.firstPositionParameter(slotCount: 2, frequency: 2) == 0)
        #expect(RiceCoding.firstPositionParameter(slotCount: 0, frequency: 5) == 0)
        #expect(RiceCoding.firstPositionParameter(slotCount: Int(Int32.max), frequency: 2) == 24)
        #expect(RiceCoding.firstPositionParameter(slotCount: 4000, frequency: 4000) == 0)
    }

    /// The InlineGaps K of a one-block term, read by following FORMAT.md "Postings" bit by bit
    /// (mode, then each document's gap, frequency and first position), not by the cursor.
    static func inlineGapsK(_ index: SegmentReader, _ term: String) throws -> Int {
        let info = try #require(try index.termInfo(term))
        guard case .postings(let offset, _) = info.location else { Issue.record("\(term) is a singleton"); return -1 }
        let df = info.documentFrequency
        #expect(df <= FileLayout.docsPerBlock && info.totalTermFrequency - df < FileLayout.positionsPerBlock)
        var r = BitReader(index.bytes, from: index.postingsRange.lowerBound + offset, end: index.postingsRange.upperBound,
                          context: "test")
        let gapK = RiceCoding.derivedGapParameter(documentFrequency: df, documentCount: index.documentCount)
        let derived = try r.bit() == 1
        let binary = try !derived && r.bit() == 1
        let firstK = derived || binary ? 0 : Int(try r.read(bits: 5))
        var doc = -1
        for _ in 0..<df {
            doc += Int(try r.rice(gapK)) + 1
            let f = try r.bit() == 1 ? 1 : Int(try r.gamma()) + 1
            let slots = index.slotCount(doc)
            if derived && f > 1 {
                _ = try r.rice(RiceCoding.firstPositionParameter(slotCount: slots, frequency: f))
            } else if derived || binary {
                _ = try r.truncated(below: slots)
            } else {
                _ = try r.rice(firstK)
            }
        }
        return Int(try r.read(bits: 5))
    }

    @Test("inline position gaps with a parameter per document (K = 31) read back: short and long documents, adjacent occurrences at a document's end, a gap whose Rice code escapes")
    func perDocumentInlineGaps() throws {
        func filler(_ n: Int) -> String { String(repeating: "w ", count: n) }
        var texts: [String] = []
        // 丙 five times a few slots apart in short documents, five times 900 slots apart in long
        // ones: one parameter for all fits neither
        for i in 0..<8 {
            texts.append(filler(i) + String(repeating: "丙 w w ", count: 5) + filler(3))
            texts.append(filler(i) + String(repeating: "丙 " + filler(899), count: 5))
        }
        // twice at the last two slots (R = 0: parameter 0)
        texts.append(filler(50) + "丙 丙")
        // 30 adjacent occurrences, then one 4,000 slots later (4,100 slots): parameter
        // bitlength(4,100 − 0 − 31) − bitlength(30) − 1 = 12 − 5 − 1 = 6, the last gap 3,999 ≥ 32 · 2^6
        texts.append(String(repeating: "丙 ", count: 30) + filler(3999) + "丙 " + filler(70))
        let (index, _) = try Self.segment(texts)
        #expect(try Self.inlineGapsK(index, "丙") == RiceCoding.perDocumentGaps)
        let postings = try readPostings(index, try #require(try index.termInfo("丙")))
        #expect(postings[texts.count - 2].positions == [50, 51])
        #expect(postings[texts.count - 1].positions == Array(0..<30) + [4029])
        try Self.expectRoundTrip(index, texts)
        // one parameter for the term where the documents are alike
        let alike = (0..<20).map { filler($0) + String(repeating: "丁 w ", count: 4) }
        let (same, _) = try Self.segment(alike)
        #expect(try Self.inlineGapsK(same, "丁") <= 24)
        try Self.expectRoundTrip(same, alike)
    }

    @Test("the per-document gap parameter is bitlength(slots − first − f) − bitlength(f − 1) − 1, within 0...24")
    func documentGapParameter() {
        #expect(RiceCoding.documentGapParameter(slotCount: 4100, first: 0, frequency: 31) == 6)
        #expect(RiceCoding.documentGapParameter(slotCount: 52, first: 50, frequency: 2) == 0)
        #expect(RiceCoding.documentGapParameter(slotCount: 4500, first: 0, frequency: 5) == 9)
        #expect(RiceCoding.documentGapParameter(slotCount: 10, first: 20, frequency: 3) == 0)
        #expect(RiceCoding.documentGapParameter(slotCount: Int(Int32.max), first: 0, frequency: 2) == 24)
    }

    @Test("a term in several postings blocks reads back whichever coding each block takes, and a merge of segments writes the bytes of a fresh build")
    func severalBlocks() throws {
        var rng = SplitMix64(seed: 7)
        func filler(_ n: Int) -> String { String(repeating: "w ", count: n) }
        // 300 documents: blocks of early repeated occurrences (derived), of uniform single
        // ones (binary or derived) and of late single ones in short documents (Rice may win)
        let texts: [String] = (0..<300).map { i in
            switch i / 100 {
            case 0: return filler(Int(rng.next() % 8)) + String(repeating: "乙 ", count: 2 + Int(rng.next() % 20)) + filler(500)
            case 1: let p = Int(rng.next() % 700); return filler(p) + "乙 " + filler(700 - p)
            default: return filler(3) + "乙"
            }
        }
        let (index, _) = try Self.segment(texts)
        try Self.expectRoundTrip(index, texts)
        #expect(try #require(try index.termInfo("乙")).documentFrequency == 300)
        // the merger re-encodes through the same encoder: segments merged, some documents
        // deleted, are the bytes of a fresh build of the live ones
        let documents = texts.enumerated().map { MergeDocument(key: "doc\($0.offset)", title: "", text: $0.element, source: 0) }
        try expectMergeMatchesFreshBuild(documents, cuts: [90, 210], deleted: [5, 130, 131, 299], storesText: false)
    }
}
