import Foundation
import SouTestSupport
import Testing
@testable import SouIndexing

/// `storedText` inflates a stored-text block only as far as the document read, resumes the same
/// zlib stream for later documents of the block, and still refuses a block whose end does not
/// check (Adler-32, length).
@Suite("Stored text read in part: as far as the document, resumed, damage still refused")
struct StoredTextReadTests {
    /// 400 documents of ~200 random characters: a few 64 KiB blocks.
    static func corpus() throws -> (bytes: [UInt8], texts: [String]) {
        let writer = try SegmentWriter()
        var rng = SplitMix64(seed: 7)
        var texts: [String] = []
        for i in 0..<400 {
            let text = "第\(i)篇 " + randomText(&rng, length: 150 + Int(rng.next() % 100))
            texts.append(text)
            try writer.addDocument(key: "k\(i)", text: text)
        }
        return (try writer.serialize().bytes, texts)
    }

    @Test("the first document of a block inflates a small part of it; every text reads right in any order, each block started once")
    func partialAndResumed() throws {
        let (bytes, texts) = try Self.corpus()
        let index = try SegmentReader(bytes: bytes)
        #expect(index.storedBlockCount >= 2 && index.storedBlockCount <= StoredBlockCache.capacity)
        #expect(try index.storedText(0) == texts[0])
        let block = try #require(index.storedBlockCache.cached(0))
        #expect(block.inflatedBytes < block.rawLength / 4, "\(block.inflatedBytes) of \(block.rawLength) bytes inflated for one document")
        // the last document of block 0 resumes the stream to the block's end
        let last = index.storedBlockDocuments(0).upperBound - 1
        #expect(try index.storedText(last) == texts[last])
        #expect(block.inflatedBytes == block.rawLength)
        var rng = SplitMix64(seed: 11)
        var order = Array(texts.indices)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        for d in order { #expect(try index.storedText(d) == texts[d], "document \(d)") }
        #expect(index.storedBlockCache.inflatedCount == index.storedBlockCount)
    }

    @Test("a block whose Adler-32 is damaged: reading to its end throws, and every later read of it throws too")
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
        let index = try SegmentReader(bytes: resealed(damaged))
        let last = index.storedBlockDocuments(0).upperBound - 1
        #expect(throws: IndexError.self) { _ = try index.storedText(last) }
        #expect(throws: IndexError.self) { _ = try index.storedText(0) }
        #expect(throws: IndexError.self) { _ = try index.verify() }
        // the other blocks read as before
        let other = index.storedBlockDocuments(1).lowerBound
        #expect(try index.storedText(other) == texts[other])
    }
}
