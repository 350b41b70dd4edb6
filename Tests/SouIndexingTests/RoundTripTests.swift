import Foundation
import SouAnalysis
import SouTestSupport
import Testing
@testable import SouIndexing

@Suite("Writing and reading an index")
struct RoundTripTests {
    @Test("a run's last character is found through the bigram that ends the run, one slot after it (no unigram is indexed for it)")
    func runEndBigram() throws {
        let index = try makeIndex(["集体协商 abc。x 协商会"])
        let expected: [(String, TokenKind, [Int])] = [
            ("集体", .bigram, [0]), ("体协", .bigram, [1]), ("协商", .bigram, [2, 7]), ("商会", .bigram, [8]),
            ("abc", .word, [4]), ("x", .word, [6]),
        ]
        for (term, kind, positions) in expected {
            let info = try #require(try index.termInfo(term), "missing \(term)")
            #expect(info.kind == kind)
            let postings = try readPostings(index, info)
            #expect(postings.count == 1)
            #expect(postings.first?.positions == positions, "\(term)")
        }
        #expect(try index.termInfo("集") == nil)   // a run's first character has no unigram
        #expect(try index.termInfo("商") == nil)   // nor its last
        #expect(index.termCount == 6)
        #expect(index.documentLength(0) == 7)
        #expect(index.slotCount(0) == 10)   // the run's last character occupies its slot
        // the bigrams ending a run, by their second character: 协商 ends 集体协商, 商会 ends 协商会
        #expect(try index.bigramsEnding(with: "商").map(\.term) == ["协商"])
        #expect(try index.bigramsEnding(with: "商").map(\.characterShift) == [1])
        #expect(try index.bigramsEnding(with: "会").map(\.term) == ["商会"])
        #expect(try index.bigramsEnding(with: "体").isEmpty)   // 集体 goes on with 体协
        #expect(try index.bigramsEnding(with: "协").isEmpty)
    }

    @Test("a one-character run is the analyzer's unigram, not doubled")
    func loneCharacter() throws {
        let index = try makeIndex(["会 会议"])
        let info = try #require(try index.termInfo("会"))
        #expect(try readPostings(index, info).map(\.positions) == [[0]])
        let prefix = try index.terms(withPrefix: "会").map(\.term)
        #expect(prefix == ["会", "会议"])
        #expect(try index.termInfo("议") == nil)
        #expect(try index.bigramsEnding(with: "议").map(\.term) == ["会议"])
    }

    @Test("every term, document, frequency and position survives the round trip", arguments: [1, 7, 300])
    func randomCorpus(documents: Int) throws {
        var rng = SplitMix64(seed: UInt64(documents))
        let texts = (0..<documents).map { _ in randomText(&rng, length: Int(rng.next() % 400)) }
        let expected = try ExpectedIndex(texts: texts)
        let index = try makeIndex(texts)
        #expect(index.documentCount == documents)
        #expect(index.termCount == expected.postings.count)
        #expect(index.totalDocumentLength == expected.lengths.reduce(0, +))
        let all = try index.terms(withPrefix: "")
        #expect(all.map(\.term) == expected.sortedTerms)
        for info in all {
            let want = try #require(expected.postings[info.term])
            let got = try readPostings(index, info)
            #expect(got.map(\.doc) == want.map(\.doc), "\(info.term)")
            #expect(got.map(\.positions) == want.map(\.positions), "\(info.term)")
            #expect(info.documentFrequency == want.count)
            #expect(info.totalTermFrequency == want.reduce(0) { $0 + $1.positions.count })
            #expect(info.kind == expected.kinds[info.term])
            #expect(try index.termInfo(info.term) == info)
        }
        // the bigrams ending a run, by their second character, in dictionary order
        let byEnd = Dictionary(grouping: expected.endingRuns) { $0.unicodeScalars.last! }
        for c in Set(all.filter { $0.kind == .bigram }.map { $0.term.unicodeScalars.last! }) {
            let want = (byEnd[c] ?? []).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            #expect(try index.bigramsEnding(with: c).map(\.term) == want, "\(c)")
        }
        for d in 0..<documents {
            #expect(index.documentKey(d) == "doc\(d)")
            #expect(index.documentTitle(d) == "title \(d)")
            #expect(index.documentLength(d) == expected.lengths[d])
            #expect(try index.storedText(d) == texts[d])
        }
    }

    @Test("look-ups find exactly the dictionary's terms: each term, keys just after and before it, every prefix range",
          arguments: [7, 300])
    func lookups(documents: Int) throws {
        var rng = SplitMix64(seed: UInt64(documents) &+ 17)
        let texts = (0..<documents).map { _ in randomText(&rng, length: Int(rng.next() % 400)) }
        let terms = try ExpectedIndex(texts: texts).sortedTerms.map { Array($0.utf8) }
        let index = try makeIndex(texts)
        #expect(index.blockCount > 2 || documents < 100, "several dictionary blocks")
        let present = Set(terms)
        for t in terms {
            #expect(try index.termInfo(utf8: t)?.term == String(decoding: t, as: UTF8.self))
            // a key just after t (t followed by a 0 byte), and t cut short by a byte: absent
            // unless the dictionary holds them (checked against the oracle's terms)
            for key in [t + [0], Array(t.dropLast())] where !key.isEmpty {
                #expect((try index.termInfo(utf8: key) != nil) == present.contains(key), "\(key)")
            }
        }
        // prefix ranges: every term's first one and two characters
        var prefixes = Set<String>()
        for t in terms {
            let s = String(decoding: t, as: UTF8.self)
            prefixes.insert(String(s.prefix(1)))
            prefixes.insert(String(s.prefix(2)))
        }
        // the oracle: the terms in byte order, where those starting with a prefix are one run,
        // found by a binary search (filtering all terms per prefix took minutes in a debug build)
        let byBytes = terms.sorted { $0.lexicographicallyPrecedes($1) }
        for p in prefixes {
            let key = Array(p.utf8)
            var low = 0, high = byBytes.count
            while low < high {
                let mid = (low + high) / 2
                if byBytes[mid].lexicographicallyPrecedes(key) { low = mid + 1 } else { high = mid }
            }
            var want: [String] = []
            while low < byBytes.count, byBytes[low].starts(with: key) {
                want.append(String(decoding: byBytes[low], as: UTF8.self))
                low += 1
            }
            #expect(try index.terms(withPrefix: p).map(\.term) == want, "\(p)")
        }
    }

    @Test("the dictionary scan's bigram split answers as the general UTF-8 decoder on 6-byte sequences: lead and continuation bytes at every boundary, overlong forms, surrogates")
    func twoScalarsFastPathAgreesWithDecoder() {
        let leads: [UInt8] = [0x41, 0xC3, 0xDF, 0xE0, 0xE1, 0xE3, 0xEC, 0xED, 0xEE, 0xEF, 0xF0]
        let continuations: [UInt8] = [0x41, 0x7F, 0x80, 0x9F, 0xA0, 0xBF, 0xC0]
        var checked = 0, bigrams = 0
        for a in leads { for b in continuations { for c in continuations {
            for d in leads { for e in continuations { for f in continuations {
                let bytes = [a, b, c, d, e, f]
                let general = TermCoding.twoScalars(bytes)
                let fast = bytes.withUnsafeBufferPointer { TermCoding.twoScalars($0.baseAddress!, count: 6) }
                #expect(fast?.firstLength == general?.firstLength && fast?.second == general?.second, "\(bytes)")
                checked += 1
                if general != nil { bigrams += 1 }
            } } }
        } } }
        #expect(checked == 11 * 11 * 7 * 7 * 7 * 7)
        #expect(bigrams > 1000, "the sample holds real bigrams too")
    }

    @Test("a look-up's block scan answers as the dictionary iterator: every term, keys around it, long terms, damaged blocks")
    func lookupScanAgreesWithIterator() throws {
        var rng = SplitMix64(seed: 4711)
        // random CJK text with words, numbers, supplementary-plane characters (4-byte bigram
        // halves), Hangul and kana (other character deltas), and words longer than the scan's buffer
        let extra = ["𠀋𠀍𠀎𡈽", "한국어 검색", "ひらがなカタカナ", String(repeating: "x", count: 300),
                     String(repeating: "ab", count: 140) + "z", "αβγ", "Ωmega"]
        let texts = (0..<400).map { i in
            // (the last word: 400 terms sharing their first 8 bytes, so that runs of blocks tie
            // in the block index's key prefixes)
            randomText(&rng, length: Int(rng.next() % 300)) + " " + extra[i % extra.count] + " w\(i)x tiedprefix\(i)"
        }
        let index = try makeIndex(texts, storesText: false)
        let reader = TermDictionaryReader(index: index)
        #expect(index.blockCount > 100)
        var terms: [[UInt8]] = []
        try reader.forEach(from: []) { term, _ in terms.append(term); return true }
        #expect(terms.contains { $0.count > TermDictionaryReader.scanCapacity })
        var keys: [[UInt8]] = [[], [0], [0xFF, 0xFF]]
        for t in terms {
            keys.append(t)
            keys.append(t + [0])
            keys.append(Array(t.dropLast()))
            keys.append(Array(t.dropLast()) + [t.last! &+ 1])
        }
        var blockTerms: [[[UInt8]]] = Array(repeating: [], count: index.blockCount)
        for (i, t) in terms.enumerated() { blockTerms[i / index.termsPerBlock].append(t) }
        for key in keys {
            // the oracle: the iterator from the first term of the key's block
            let block = try reader.blockFor(key)
            #expect(try reader.blockForByComparisons(key) == block, "\(key)")
            let want = try reader.find(key, fromBlock: block)
            #expect(try reader.find(key) == want, "\(key)")
            // on undamaged bytes the scan decides alone, but in a block with a term too long for it
            if case .unsure = reader.scan(block, for: key) {
                #expect(blockTerms[block].contains { $0.count > TermDictionaryReader.scanCapacity }, "\(key)")
            }
        }
        // damaged blocks (checksums resealed, so that the bytes reach the decoders): the scan
        // and the iterator agree on every key of the damaged block and its neighbours, answer or error
        let writer = try SegmentWriter(storesText: false)
        for (i, t) in texts.enumerated() { try writer.addDocument(key: "doc\(i)", title: "", text: t) }
        let bytes = try writer.serialize().bytes
        let starts = (0..<index.blockCount).map { index.blocksStart + Int(index.bytes.u32(at: index.blockIndexStart + $0 * FileLayout.blockIndexEntrySize + 8)) }
        let byBlock = blockTerms
        var disagreements = 0, errors = 0
        for _ in 0..<400 {
            let offset = starts[0] + Int(rng.next() % UInt64(index.termsRange.upperBound - starts[0]))
            var damaged = bytes
            damaged[offset] ^= UInt8(1 + rng.next() % 255)
            guard let segment = try? SegmentReader(bytes: resealed(damaged)) else { continue }
            let r = TermDictionaryReader(index: segment)
            let block = starts.lastIndex { $0 <= offset } ?? 0
            var sample = byBlock[block] + (block + 1 < byBlock.count ? byBlock[block + 1].prefix(2) : [])
            sample += sample.map { $0 + [0] } + sample.map { Array($0.dropLast()) }
            for key in sample {
                let fast = Result { try r.find(key) }
                let slow = Result { try r.find(key, fromBlock: try r.blockFor(key)) }
                switch (fast, slow) {
                case (.success(let a), .success(let b)): if a != b { disagreements += 1 }
                case (.failure, .failure): errors += 1
                default: disagreements += 1
                }
            }
        }
        #expect(disagreements == 0)
        #expect(errors > 0, "some damage was caught")
    }

    @Test("document keys, titles, lengths and slot counts survive the packed document table, read by record or by column", arguments: [
        ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"],   // numbered: keys left out
        ["0", "1", "02", "3"],                                            // a leading zero: stored
        ["1", "2", "3"],                                                  // off by one: stored
        ["0", "1", "x/b.md", ""],
        ["", "", ""],
    ])
    func documentTable(keys: [String]) throws {
        let texts = keys.indices.map { i in String(repeating: "集体协商，工资 abc ", count: i * 37 % 11) }
        let writer = try SegmentWriter(storesText: false)
        for (i, k) in keys.enumerated() {
            try writer.addDocument(key: k, title: i % 2 == 0 ? "" : "标题 \(i)", text: texts[i])
        }
        let index = try writer.makeIndex()
        _ = try index.verify()
        #expect((0..<keys.count).map(index.documentKey) == keys)
        #expect((0..<keys.count).map(index.documentTitle) == keys.indices.map { $0 % 2 == 0 ? "" : "标题 \($0)" })
        let expected = try ExpectedIndex(texts: texts)
        #expect((0..<keys.count).map(index.documentLength) == expected.lengths)
        #expect(index.documentKey(keys.count) == "" && index.documentLength(-1) == 0)
        // the in-place column readers (ranking's lengths, decoding's slot counts) read the same
        // values, also for the last records (within the section's last 8 bytes) and 0 out of range
        let lengths = DocumentColumn.lengths(of: index), slots = DocumentColumn(index, .slotCount)
        #expect((0..<keys.count).map(lengths.value) == expected.lengths)
        #expect((0..<keys.count).map(slots.value) == (0..<keys.count).map(index.slotCount))
        #expect(lengths.value(-1) == 0 && lengths.value(keys.count) == 0 && slots.value(keys.count) == 0)
    }

    @Test("advance(to:) lands on the first document at or after the target, across skip blocks")
    func advance() throws {
        // "甲乙" in every third document of 1000: several blocks of 128
        let texts = (0..<1000).map { $0 % 3 == 0 ? "甲乙 \($0)" : "丙丁 \($0)" }
        let index = try makeIndex(texts, storesText: false)
        let info = try #require(try index.termInfo("甲乙"))
        #expect(info.documentFrequency == 334)
        for target in [0, 1, 2, 3, 4, 128 * 3, 500, 501, 997, 998, 999, 1000, 5000] {
            var cursor = try index.postings(info)
            let got = try cursor.advance(to: target)
            let want = (target...max(target, 999)).first { $0 % 3 == 0 && $0 < 1000 }
            #expect(got == want, "target \(target)")
            if got != nil { #expect(try cursor.positions() == [0]) }
        }
        // interleaved next / advance keeps positions in step
        var cursor = try index.postings(info)
        var seen: [Int] = []
        var target = 0
        while let d = try cursor.advance(to: target) {
            seen.append(d)
            #expect(try cursor.positions() == [0])
            target = d + 100
        }
        #expect(seen == stride(from: 0, to: 1000, by: 3).reduce(into: []) { acc, d in
            if acc.isEmpty || d >= acc.last! + 100 { acc.append(d) }
        })
    }

    @Test("a term with many positions per document decodes across packed blocks")
    func manyPositions() throws {
        let text = (0..<700).map { _ in "乙甲" }.joined(separator: "，") + " " + String(repeating: "x ", count: 300)
        let expected = try ExpectedIndex(texts: [text, "甲", text])
        let index = try makeIndex([text, "甲", text])
        for term in ["乙甲", "甲", "x"] {
            let got = try readPostings(index, try #require(try index.termInfo(term)))
            let want = try #require(expected.postings[term])
            #expect(got.map(\.positions) == want.map(\.positions))
        }
    }

    @Test("positions read in some documents only, or walked and left part way, are the analyzer's, across partly decoded gap blocks",
          arguments: [1, 2, 3, 5])
    func partialPositions(stride: Int) throws {
        // documents of 1...400 occurrences of the terms: blocks of 128 gaps shared by several
        // documents and documents spanning several blocks, over many skip blocks
        var rng = SplitMix64(seed: UInt64(stride))
        let texts = (0..<400).map { i -> String in
            let n = i % 9 == 0 ? 100 + Int(rng.next() % 300) : 1 + Int(rng.next() % 12)
            return (0..<n).map { _ in ["甲乙", "乙甲", "甲丙", "丁"][Int(rng.next() % 4)] }.joined(separator: "，")
        }
        let expected = try ExpectedIndex(texts: texts)
        let index = try makeIndex(texts)
        for term in ["甲乙", "乙甲", "甲丙", "丁"] {
            let want = try #require(expected.postings[term])
            var cursor = try index.postings(try #require(try index.termInfo(term)))
            var visited = 0
            var buffer: [Int] = []
            for (doc, positions) in want {
                // advance over the documents between the ones read, now and then
                let got = visited % 4 == 3 ? try cursor.advance(to: doc) : try cursor.next()
                #expect(got == doc, "\(term)")
                visited += 1
                guard visited % stride == 0 else { continue }
                if visited % 2 == 0 {
                    try cursor.positions(into: &buffer)
                    #expect(buffer == positions, "\(term) document \(doc)")
                } else {
                    // a walk that stops after its first few positions (a phrase's existence check)
                    var p = 0
                    for k in 0..<min(positions.count, 1 + visited % 5) {
                        p = try cursor.position(k, after: p)
                        #expect(p == positions[k], "\(term) document \(doc) position \(k)")
                    }
                }
            }
            #expect(try cursor.next() == nil)
        }
    }

    @Test("advance(to:) over several documents of a decoded block lands on the target's document with its positions",
          arguments: [2, 3, 7, 40])
    func advanceWithinBlocks(step: Int) throws {
        // terms in most of 600 documents (skip blocks of 128), 1 to 60 occurrences each: an
        // advance steps over step − 1 documents, of their own frequencies, inside a decoded block
        // (or across blocks), and the positions read after it must be the target document's
        var rng = SplitMix64(seed: UInt64(step))
        let texts = (0..<600).map { i -> String in
            let n = 1 + Int(rng.next() % (i % 7 == 0 ? 60 : 6))
            return (0..<n).map { _ in ["甲乙", "乙甲", "丁"][Int(rng.next() % 3)] }.joined(separator: "，")
        }
        let expected = try ExpectedIndex(texts: texts)
        let index = try makeIndex(texts)
        for term in ["甲乙", "乙甲", "丁"] {
            let want = try #require(expected.postings[term])
            var cursor = try index.postings(try #require(try index.termInfo(term)))
            var buffer: [Int] = []
            for i in stride(from: 0, to: want.count, by: step) {
                // a target between the previous document and this one, or this one itself
                let target = i > 0 && i % 2 == 1 ? want[i - 1].doc + 1 : want[i].doc
                #expect(try cursor.advance(to: target) == want[i].doc, "\(term) document \(want[i].doc)")
                try cursor.positions(into: &buffer)
                #expect(buffer == want[i].positions, "\(term) document \(want[i].doc)")
            }
            #expect(try cursor.advance(to: want[want.count - 1].doc + 1) == nil)
        }
    }

    @Test("an empty corpus makes a valid empty index")
    func empty() throws {
        let index = try makeIndex([])
        #expect(index.documentCount == 0)
        #expect(index.termCount == 0)
        #expect(index.averageDocumentLength == 0)
        #expect(try index.termInfo("a") == nil)
        #expect(try index.terms(withPrefix: "").isEmpty)
        #expect(index.documentKey(0) == "")
    }

    @Test("an index file written by IndexWriter holds the segment makeIndex builds, byte for byte")
    func fileRoundTrip() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let writer = try SegmentWriter()
        try writer.addDocument(key: "a.txt", title: "A", text: "集体协商 工资")
        try writer.addDocument(key: "b.txt", text: "集体 Swift 6")
        let url = folder.appendingPathComponent("x.sou")
        try writeIndexFile([("a.txt", "A", "集体协商 工资"), ("b.txt", "", "集体 Swift 6")], to: url)
        let index = try openSingleSegment(url)
        let inMemory = try writer.makeIndex()
        #expect(Array(UnsafeRawBufferPointer(start: index.bytes.base, count: index.bytes.count))
                == Array(UnsafeRawBufferPointer(start: inMemory.bytes.base, count: inMemory.bytes.count)))
        #expect(index.documentCount == 2)
        #expect(index.documentKey(1) == "b.txt")
        #expect(index.documentTitle(1) == "")
        #expect(try readPostings(index, try #require(try index.termInfo("集体"))).map(\.doc) == [0, 1])
        #expect(index.configuration == AnalyzerConfiguration())
        #expect(index.formatVersion == 8)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(leftovers == ["x.sou"])
    }

    @Test("--no-store leaves the text out")
    func noStore() throws {
        let index = try makeIndex(["集体协商"], storesText: false)
        #expect(index.storesText == false)
        #expect(try index.storedText(0) == nil)
    }

    @Test("the configuration is recorded in the file")
    func configuration() throws {
        let config = AnalyzerConfiguration(joinsSoftLineBreaks: false, foldsTraditionalToSimplified: true)
        let writer = try SegmentWriter(configuration: config)
        try writer.addDocument(key: "k", text: "集体")
        #expect(try writer.makeIndex().configuration == config)
    }
}

@Suite("Concurrent readers")
struct ConcurrencyTests {
    @Test("many threads reading the same index see the same postings")
    func concurrentReads() throws {
        var rng = SplitMix64(seed: 77)
        let texts = (0..<400).map { _ in randomText(&rng, length: Int(rng.next() % 300)) }
        let index = try makeIndex(texts)
        let terms = try index.terms(withPrefix: "")
        @Sendable func digest() throws -> Int {
            var h = 0
            for info in terms {
                for (doc, positions) in try readPostings(index, info) {
                    h = h &* 31 &+ doc
                    for p in positions { h = h &* 31 &+ p }
                }
            }
            return h
        }
        let expected = try digest()
        let results = UnsafeMutableBufferPointer<Int>.allocate(capacity: 8)
        defer { results.deallocate() }
        nonisolated(unsafe) let out = results
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            out[i] = (try? digest()) ?? -1
        }
        #expect(Array(results) == Array(repeating: expected, count: 8))
    }
}
