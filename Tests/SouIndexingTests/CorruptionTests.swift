import Foundation
import SouAnalysis
import SouTestSupport
import Testing
@testable import SouIndexing

/// Bytes of a small index with every section present (several postings blocks, packed positions).
func smallIndexBytes() throws -> [UInt8] {
    let writer = try SegmentWriter()
    var rng = SplitMix64(seed: 42)
    for i in 0..<160 {
        // "集体协商" twice in every document: terms in > 128 documents, gaps out of line
        try writer.addDocument(key: "k\(i)", title: "t\(i)", text: "集体协商，集体协商 " + (i % 2 == 0 ? randomText(&rng, length: 30) : randomText(&rng, length: 20)))
    }
    return try writer.serialize().bytes
}

/// Recomputes every section checksum and the header/table checksum, so that damage inside a
/// section reaches the structural checks instead of stopping at the checksum.
func resealed(_ bytes: [UInt8]) -> [UInt8] {
    var b = bytes
    let n = b.count
    let t = n - FileLayout.trailerSize
    func u32(_ o: Int) -> Int { Int(b[o]) | Int(b[o + 1]) << 8 | Int(b[o + 2]) << 16 | Int(b[o + 3]) << 24 }
    func u64(_ o: Int) -> Int { u32(o) | u32(o + 4) << 32 }
    func put32(_ o: Int, _ v: UInt32) { for k in 0..<4 { b[o + k] = UInt8((v >> UInt32(8 * k)) & 0xFF) } }
    let count = u32(t)
    let tableStart = t - count * FileLayout.sectionEntrySize
    for i in 0..<count {
        let e = tableStart + i * FileLayout.sectionEntrySize
        let range = u64(e + 8)..<(u64(e + 8) + u64(e + 16))
        put32(e + 4, CRC32C.checksum(b[range]))
    }
    let meta = CRC32C.checksum(Array(b[0..<FileLayout.headerSize]) + Array(b[tableStart..<t]))
    put32(t + 4, meta)
    return b
}

/// Reads everything an index offers, swallowing thrown errors: must never trap.
func exerciseReader(_ index: SegmentReader) {
    for info in (try? index.terms(withPrefix: "")) ?? [] {
        _ = try? index.termInfo(info.term)
        if var c = try? index.postings(info) {
            var steps = 0
            while let _ = try? c.next(), steps < 100_000 {
                _ = try? c.positions()
                steps += 1
            }
        }
        if var c = try? index.postings(info) { _ = try? c.advance(to: 100) ; _ = try? c.advance(to: 150) }
    }
    _ = try? index.terms(withPrefix: "集")
    for d in 0..<min(index.documentCount, 1000) {
        _ = index.documentKey(d); _ = index.documentTitle(d); _ = index.documentLength(d)
        _ = try? index.storedText(d)
    }
    _ = try? index.statistics()
}

@Suite("Damaged index files")
struct CorruptionTests {
    @Test("truncation at every offset is refused at open with a clear error")
    func truncation() throws {
        let bytes = try smallIndexBytes()
        #expect(bytes.count > 1000)
        for length in 0..<bytes.count {
            do {
                _ = try SegmentReader(bytes: Array(bytes[0..<length]))
                Issue.record("truncation to \(length) bytes was accepted")
            } catch let error as IndexError {
                switch error {
                case .corrupt, .notAnIndex: break
                default: Issue.record("truncation to \(length): unexpected \(error)")
                }
            }
        }
        #expect(try SegmentReader(bytes: bytes).documentCount == 160)
    }

    @Test("a byte flip in any section, the header, the table or the trailer is caught by open or verify")
    func byteFlips() throws {
        let bytes = try smallIndexBytes()
        let index = try SegmentReader(bytes: bytes)
        _ = try index.verify()
        #expect(index.sections.count == 7 && index.sections.allSatisfy { !$0.range.isEmpty })
        var regions: [(String, Range<Int>)] = index.sections.map { ("\($0.kind)", $0.range) }
        let tableStart = index.sections.map(\.range.upperBound).max()!
        regions.append(("header", 0..<FileLayout.headerSize))
        regions.append(("section table + trailer", tableStart..<bytes.count))
        var rng = SplitMix64(seed: 7)
        for (name, range) in regions {
            for _ in 0..<(range.isEmpty ? 0 : 40) {
                var damaged = bytes
                let at = range.lowerBound + Int(rng.next() % UInt64(range.count))
                damaged[at] ^= UInt8(1 + rng.next() % 255)
                do {
                    let opened = try SegmentReader(bytes: damaged)
                    exerciseReader(opened)
                    #expect(throws: IndexError.self, "flip at \(at) in \(name) not detected") { try opened.verify() }
                } catch is IndexError {
                    // refused at open: fine
                }
            }
        }
    }

    @Test("structural damage behind valid checksums never traps, and verify names most of it")
    func resealedDamage() throws {
        let bytes = try smallIndexBytes()
        let index = try SegmentReader(bytes: bytes)
        var rng = SplitMix64(seed: 99)
        var detected = 0, total = 0
        for s in index.sections {
            for _ in 0..<(s.range.isEmpty ? 0 : 60) {
                var damaged = bytes
                let at = s.range.lowerBound + Int(rng.next() % UInt64(s.range.count))
                damaged[at] ^= UInt8(1 + rng.next() % 255)
                damaged = resealed(damaged)
                total += 1
                guard let opened = try? SegmentReader(bytes: damaged) else { detected += 1; continue }
                exerciseReader(opened)
                if (try? opened.verify()) == nil { detected += 1 }
            }
        }
        // Some flips are legitimately undetectable (a letter of a title, a stored character);
        // most change the structure.
        #expect(detected * 2 > total, "only \(detected) of \(total) structural flips detected")
    }

    @Test("a skip entry that disagrees with its block is caught by verify and by search, through the one decoder")
    func skipEntryMismatch() throws {
        let bytes = try smallIndexBytes()
        let index = try SegmentReader(bytes: bytes)
        let info = try #require(try index.termInfo("集体"))
        #expect(info.documentFrequency == 160)   // two postings blocks: skip entries
        // SkipLength, then block 0's entry: LastDocDelta, BlockByteLength, BlockPositionCount
        guard case .postings(let offset, _) = info.location else { Issue.record("集体 is not a singleton"); return }
        var at = index.postingsRange.lowerBound + offset
        func varintEnd(_ i: Int) -> Int { var j = i; while bytes[j] & 0x80 != 0 { j += 1 }; return j + 1 }
        at = varintEnd(varintEnd(at))
        for change: UInt8 in [1, 0xFF] {   // block length one byte too long, one byte too short
            var damaged = bytes
            #expect(damaged[at] < 0x7F && damaged[at] > 1)
            damaged[at] &+= change
            let opened = try SegmentReader(bytes: resealed(damaged))
            #expect(throws: IndexError.self) { try opened.verify() }
            #expect(throws: IndexError.self) { _ = try readPostings(opened, info) }
        }
    }

    @Test("a file from a newer format version says so")
    func newerVersion() throws {
        var bytes = try smallIndexBytes()
        bytes[FileLayout.Header.version] = UInt8(FileLayout.formatVersion + 1)
        #expect {
            _ = try SegmentReader(bytes: bytes)
        } throws: { error in
            guard case IndexError.unsupportedVersion(found: Int(FileLayout.formatVersion) + 1, supported: Int(FileLayout.formatVersion)) = error else { return false }
            return "\(error)".contains("newer")
        }
        bytes[FileLayout.Header.version] = 1
        #expect {
            _ = try SegmentReader(bytes: bytes)
        } throws: { error in
            "\(error)".contains("older") && "\(error)".contains("rebuild")
        }
    }

    @Test("an index built by other analysis rules is refused")
    func otherRules() throws {
        var bytes = try smallIndexBytes()
        bytes[FileLayout.Header.rulesVersion] &+= 1
        bytes = resealed(bytes)
        #expect {
            _ = try SegmentReader(bytes: bytes)
        } throws: { error in
            guard case IndexError.incompatibleAnalyzer = error else { return false }
            return true
        }
    }

    @Test("a file that is not an index is named as such", arguments: [
        Array("hello world, this is not an index at all, but long enough to have a header and a trailer!".utf8),
        [UInt8](repeating: 0, count: 10),
        [],
    ])
    func notAnIndex(bytes: [UInt8]) {
        #expect {
            _ = try SegmentReader(bytes: bytes)
        } throws: { error in
            guard case IndexError.notAnIndex = error else { return false }
            return true
        }
    }

    @Test("damaged dictionary bytes make term lookups throw, not read as an absent term")
    func damagedLookups() throws {
        var bytes = try smallIndexBytes()
        let intact = try SegmentReader(bytes: bytes)
        #expect(try intact.termInfo("集体") != nil)
        #expect(try intact.terms(withPrefix: "集").count == 1)
        // every block's offset (u32 at +8 of its block index entry) points past the section;
        // open reads only fixed headers, so the damage shows at the first lookup
        for block in 0..<intact.blockCount {
            let entry = intact.blockIndexStart + block * FileLayout.blockIndexEntrySize + 8
            for k in 0..<4 { bytes[entry + k] = 0xFF }
        }
        let damaged = try SegmentReader(bytes: bytes)
        for term in ["集体", "协商", "the", "zzz"] {
            #expect(throws: IndexError.self, "\(term)") { _ = try damaged.termInfo(term) }
        }
        #expect(throws: IndexError.self) { _ = try damaged.terms(withPrefix: "集") }
        #expect(throws: IndexError.self) { _ = try damaged.terms(withPrefix: "") }
    }

    @Test("a block index entry whose key prefix is not its block's first term's is caught by verify (found by fuzz/index)")
    func blockKeyPrefix() throws {
        let bytes = try smallIndexBytes()
        let intact = try SegmentReader(bytes: bytes)
        #expect(intact.blockCount > 2)
        _ = try intact.verify()
        let terms = try intact.terms(withPrefix: "").map(\.term)
        // the binary search of a look-up compares these 8 bytes: a block's made smaller than the
        // block before it sends look-ups of the terms in between to it, where they read as absent
        for block in [1, intact.blockCount / 2, intact.blockCount - 1] {
            var damaged = bytes
            let entry = intact.blockIndexStart + block * FileLayout.blockIndexEntrySize
            for k in 0..<8 { damaged[entry + k] = 0 }
            let opened = try SegmentReader(bytes: resealed(damaged))
            let lost = try terms.filter { try opened.termInfo($0) == nil }
            #expect(!lost.isEmpty, "block \(block): every term still found")
            #expect(throws: IndexError.self, "block \(block)") { try opened.verify() }
        }
    }

    @Test("a stored-text block claiming more inflated bytes than deflate can give is refused before inflating (found by fuzz/index)")
    func implausibleRawLength() throws {
        let bytes = try smallIndexBytes()
        let intact = try SegmentReader(bytes: bytes)
        #expect(try intact.storedText(0) != nil)
        // block 0's RawLength (u32 at +20 of its table entry) set to 1 GiB, behind fresh checksums:
        // inflating it would allocate and zero 1 GiB for every stored-text read and for check
        var damaged = bytes
        let field = intact.storedTableStart + 20
        for k in 0..<4 { damaged[field + k] = UInt8(truncatingIfNeeded: (1 << 30) >> (8 * k)) }
        let opened = try SegmentReader(bytes: resealed(damaged))
        func claimsTooMuch(_ error: any Error) -> Bool {
            "\(error)".contains("more than deflate can give")
        }
        #expect(performing: { _ = try opened.storedText(0) }, throws: claimsTooMuch)
        #expect(performing: { _ = try opened.verify() }, throws: claimsTooMuch)
    }

    @Test("verify accepts an intact index")
    func intact() throws {
        let report = try SegmentReader(bytes: try smallIndexBytes()).verify()
        #expect(report.documents == 160)
        #expect(report.sectionsVerified == 7)
    }
}
