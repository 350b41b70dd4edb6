import Foundation
import SouTestSupport
import Testing
@testable import SouIndexing

/// `storedText` inflates a stored-text block only as far as the document read and ends the zlib
/// stream; a later read past it inflates the block again from its start and keeps that stream
/// (so a block is inflated at most twice); the last document inflates the block whole at once;
/// a block larger than ``InflatedBlock/resumedAbove`` keeps its stream and resumes it. A block
/// whose end does not check (Adler-32, length) is still refused.
@Suite("Stored text read in part: as far as the document, at most twice per block, damage still refused")
struct StoredTextReadTests {
    /// `count` documents of ~200 random characters (~550 bytes: a few 16 KiB blocks), the
    /// `large`th (if any) of `largeLength` characters instead.
    static func corpus(count: Int = 120, large: Int? = nil, largeLength: Int = 0) throws -> (bytes: [UInt8], texts: [String]) {
        let writer = try SegmentWriter()
        var rng = SplitMix64(seed: 7)
        var texts: [String] = []
        for i in 0..<count {
            let length = i == large ? largeLength : 150 + Int(rng.next() % 100)
            let text = "第\(i)篇 " + randomText(&rng, length: length)
            texts.append(text)
            try writer.addDocument(key: "k\(i)", text: text)
        }
        return (try writer.serialize().bytes, texts)
    }

    @Test("the first read of a document short of its block's end inflates part of the block and keeps no stream; a read past it inflates the block again from its start and keeps that stream")
    func partialThenWhole() throws {
        let (bytes, texts) = try Self.corpus()
        let index = try SegmentReader(bytes: bytes)
        #expect(try index.storedText(0) == texts[0])
        let block = try #require(index.storedBlockCache.cached(0))
        #expect(block.rawLength <= InflatedBlock.resumedAbove)
        let first = block.inflatedBytes
        #expect(first < block.rawLength / 2, "\(first) of \(block.rawLength) bytes inflated for one document")
        #expect(!block.keepsStream)
        // a document beyond what the first read inflated: the whole block, from its start
        let documents = index.storedBlockDocuments(0)
        let later = documents.upperBound - 2
        // (its text starts after the lengths and texts of the documents before it)
        #expect(documents.lowerBound < later && first < documents[..<later].reduce(0) { $0 + texts[$1].utf8.count })
        #expect(try index.storedText(later) == texts[later])
        #expect(block.inflatedBytes < block.rawLength)
        #expect(block.inflationWork == first + block.inflatedBytes)
        #expect(block.keepsStream)
        // the stream kept is resumed: each byte inflated once more at most
        for d in documents { #expect(try index.storedText(d) == texts[d], "document \(d)") }
        #expect(block.inflatedBytes == block.rawLength)
        #expect(block.inflationWork == first + block.rawLength)
        #expect(!block.keepsStream)
    }

    @Test("the last document of a block inflates the whole block in one go, and only once")
    func lastDocumentInflatesWhole() throws {
        let (bytes, texts) = try Self.corpus()
        let index = try SegmentReader(bytes: bytes)
        let last = index.storedBlockDocuments(0).upperBound - 1
        #expect(try index.storedText(last) == texts[last])
        let block = try #require(index.storedBlockCache.cached(0))
        #expect(block.inflatedBytes == block.rawLength)
        #expect(block.inflationWork == block.rawLength)
        #expect(!block.keepsStream)
        #expect(try index.storedText(0) == texts[0])
        #expect(block.inflationWork == block.rawLength)
    }

    @Test("every text reads right in any order; each block is started once and inflated at most twice")
    func anyOrder() throws {
        let (bytes, texts) = try Self.corpus()
        let index = try SegmentReader(bytes: bytes)
        #expect(index.storedBlockCount >= 3 && index.storedBlockCount <= StoredBlockCache.capacity)
        var rng = SplitMix64(seed: 11)
        var order = Array(texts.indices)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        for d in order { #expect(try index.storedText(d) == texts[d], "document \(d)") }
        #expect(index.storedBlockCache.inflatedCount == index.storedBlockCount)
        for b in 0..<index.storedBlockCount {
            let block = try #require(index.storedBlockCache.cached(b))
            #expect(block.inflatedBytes == block.rawLength)
            #expect(block.inflationWork <= 2 * block.rawLength, "block \(b): \(block.inflationWork) bytes inflated for \(block.rawLength)")
        }
    }

    @Test("a block larger than resumedAbove (a large last document) keeps its stream and resumes it: each byte inflated once")
    func largeBlockResumes() throws {
        // 20 documents of ~550 bytes, then one of ~70 000 characters closing block 0
        let (bytes, texts) = try Self.corpus(count: 30, large: 20, largeLength: 70_000)
        let index = try SegmentReader(bytes: bytes)
        #expect(index.storedBlockDocuments(0) == 0..<21)
        #expect(try index.storedText(0) == texts[0])
        let block = try #require(index.storedBlockCache.cached(0))
        #expect(block.rawLength > InflatedBlock.resumedAbove)
        #expect(block.keepsStream)
        #expect(block.inflatedBytes < block.rawLength / 4)
        for d in [5, 12, 19] {
            #expect(try index.storedText(d) == texts[d])
            #expect(block.keepsStream)
            #expect(block.inflationWork == block.inflatedBytes)
            #expect(block.inflatedBytes < block.rawLength / 4)
        }
        #expect(try index.storedText(20) == texts[20])
        #expect(!block.keepsStream)
        #expect(block.inflatedBytes == block.rawLength)
        #expect(block.inflationWork == block.rawLength)
    }

    @Test("storedTextBytes gives the UTF-8 bytes of storedText, and nil where storedText is nil")
    func bytesMatchText() throws {
        let (bytes, texts) = try Self.corpus()
        let index = try SegmentReader(bytes: bytes)
        for d in stride(from: texts.count - 1, through: 0, by: -1) {
            #expect(try index.storedTextBytes(d) == Array(texts[d].utf8), "document \(d)")
        }
        #expect(try index.storedTextBytes(-1) == nil)
        #expect(try index.storedTextBytes(texts.count) == nil)
        // through an index file: the global document's segment
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("i.sou").path
        let writer = try IndexWriter(path: path)
        for (i, text) in texts.prefix(5).enumerated() { try writer.add(key: "k\(i)", text: text) }
        _ = try writer.commit()
        let reader = try IndexReader(path: path)
        #expect(try reader.storedTextBytes(3) == Array(texts[3].utf8))
        #expect(try reader.storedTextBytes(3) == reader.storedText(3).map { Array($0.utf8) })
        let unstored = try SegmentWriter(storesText: false)
        try unstored.addDocument(key: "a", text: "集体协商")
        #expect(try SegmentReader(bytes: unstored.serialize().bytes).storedTextBytes(0) == nil)
    }

    @Test("a block whose Adler-32 is damaged: reading to its end throws, at once or after partial reads, and every later read of it throws too")
    func damagedEndIsRefused() throws {
        let (bytes, texts) = try Self.corpus()
        let intact = try SegmentReader(bytes: bytes)
        // block 0's table entry: Offset u64 at +8 (from the first block), CompressedLength u32
        // at +16; the block's last byte is the last of its zlib trailer (Adler-32, big-endian)
        func little(_ at: Int, _ width: Int) -> Int { (0..<width).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) } }
        let entry = intact.storedTableStart
        let offset = intact.storedDataStart + little(entry + 8, 8) + little(entry + 16, 4) - 1
        var damaged = bytes
        damaged[offset] ^= 0x01
        let sealed = resealed(damaged)
        let index = try SegmentReader(bytes: sealed)
        let last = index.storedBlockDocuments(0).upperBound - 1
        #expect(throws: IndexError.self) { _ = try index.storedText(last) }
        #expect(throws: IndexError.self) { _ = try index.storedText(0) }
        #expect(throws: IndexError.self) { _ = try index.storedTextBytes(0) }
        #expect(throws: IndexError.self) { _ = try index.verify() }
        // the other blocks read as before
        let other = index.storedBlockDocuments(1).lowerBound
        #expect(try index.storedText(other) == texts[other])
        // partial reads do not reach the trailer, nor does the restarted stream short of the
        // last document; the last document's read does
        let again = try SegmentReader(bytes: sealed)
        #expect(try again.storedText(0) == texts[0])
        #expect(try again.storedText(last - 1) == texts[last - 1])
        #expect(throws: IndexError.self) { _ = try again.storedText(last) }
        #expect(throws: IndexError.self) { _ = try again.storedText(0) }
    }
}
