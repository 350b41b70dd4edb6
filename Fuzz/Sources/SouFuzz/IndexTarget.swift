import Foundation
@testable import SouIndexing
import Sou

/// Index bytes: the first byte is a mode, the rest a file. Mode bit 0 clear: an index file
/// (``IndexReader``); set: a bare segment (``SegmentReader``). Mode bit 1: before opening,
/// recompute every checksum the bytes name (commit slots, commit records and the bitmaps and
/// source tables they list, each segment's section and meta checksums), so that mutations reach
/// the structural checks behind the checksums. The seeds are valid small indexes, so libFuzzer
/// mutates real files.
///
/// What opens is verified (`sou check`), searched with snippets and explanations, and read
/// through every public accessor. Damaged bytes must throw, never trap, hang or read out of
/// bounds. Checked: what ``IndexReader/verify()`` accepts reads without errors (FORMAT.md: "what
/// check accepts, search reads").
enum IndexTarget {
    static let queries = ["集体协商", "集体 OR 工会 -手机", "\"abc def\"", "的", "啊啊啊", "café", "(天気 OR 검색) 東京"]

    static func run(_ data: UnsafeBufferPointer<UInt8>) {
        guard let mode = data.first else { return }
        var bytes = Array(data[1...])
        let isSegment = mode & 1 != 0
        if mode & 2 != 0 {
            if isSegment { Reseal.segment(&bytes, 0..<bytes.count) } else { Reseal.container(&bytes) }
        }
        if isSegment {
            guard let segment = try? SegmentReader(bytes: bytes) else { return }
            let verified = (try? segment.verify()) != nil
            exercise(segment, verified: verified)
            if let index = try? IndexReader(segment: segment) { search(index, verified: verified) }
        } else {
            guard let index = try? IndexReader(bytes: bytes) else { return }
            let verified = (try? index.verify()) != nil
            for s in index.segments { exercise(s.reader, verified: verified) }
            search(index, verified: verified)
            do {
                for d in 0..<min(index.maxDocument, 64) {
                    _ = index.isDeleted(d)
                    _ = try index.documentKey(d)
                    _ = try index.documentTitle(d)
                    _ = try index.documentLength(d)
                    _ = try index.storedText(d)
                    _ = try index.documents(withKey: index.documentKey(d))
                }
                _ = try index.sources()
                _ = try index.statistics()
                _ = index.segmentStatistics()
            } catch {
                require(!verified, "the index verifies, then reading it throws \(error)")
            }
        }
    }

    static func search(_ index: IndexReader, verified: Bool) {
        for q in queries {
            do {
                let r = try index.search(q, options: SearchOptions(limit: 3, explains: true))
                require(r.hits.count <= r.total, "\(r.hits.count) hits of \(r.total)")
            } catch {
                require(!verified, "the index verifies, then searching \(q) throws \(error)")
            }
        }
    }

    /// Reads every term's postings and positions, every document, the dictionary by prefix.
    static func exercise(_ index: SegmentReader, verified: Bool) {
        do {
            for (rank, info) in try index.terms(withPrefix: "").enumerated() {
                let found = try index.termInfo(info.term)
                require(!verified || (found?.ordinal == info.ordinal && info.ordinal == rank),
                        "the segment verifies, and \(info.term)'s ordinal is \(info.ordinal) walking, \(found?.ordinal ?? -1) looked up, its rank \(rank)")
                if info.kind == .bigram, let second = info.term.unicodeScalars.last {
                    // what a phrase asks (does it end a run?) and what a character query reads agree
                    let ends = try index.endsRun(info)
                    let listed = try index.bigramsEnding(with: second).contains { $0.term == info.term }
                    require(!verified || ends == listed, "the segment verifies, and endsRun(\(info.term)) is \(ends), the character's list says \(listed)")
                }
                var c = try index.postings(info)
                var steps = 0
                while let _ = try c.next(), steps < 10_000 {
                    _ = try c.positions()
                    steps += 1
                }
                var d = try index.postings(info)
                _ = try d.advance(to: 3)
                _ = try d.advance(to: 9)
            }
            _ = try index.terms(withPrefix: "集")
            for d in 0..<min(index.documentCount, 64) {
                _ = index.documentKey(d)
                _ = index.documentTitle(d)
                _ = index.documentLength(d)
                _ = try index.storedText(d)
            }
            _ = try index.statistics()
        } catch {
            require(!verified, "the segment verifies, then reading it throws \(error)")
        }
    }
}

/// Recomputes the checksums of possibly damaged index bytes, as far as they can be located:
/// every read is bounds-checked, ranges out of the file are left alone.
enum Reseal {
    static func u32(_ b: [UInt8], _ o: Int) -> Int? {
        guard o >= 0, o <= b.count - 4 else { return nil }
        return Int(b[o]) | Int(b[o + 1]) << 8 | Int(b[o + 2]) << 16 | Int(b[o + 3]) << 24
    }

    static func u64(_ b: [UInt8], _ o: Int) -> Int? {
        guard let lo = u32(b, o), let hi = u32(b, o + 4), hi < 1 << 30 else { return nil }
        return lo | hi << 32
    }

    static func put32(_ b: inout [UInt8], _ o: Int, _ v: UInt32) {
        guard o >= 0, o <= b.count - 4 else { return }
        for k in 0..<4 { b[o + k] = UInt8(truncatingIfNeeded: v >> UInt32(8 * k)) }
    }

    /// The range `offset..<offset+length` when it lies inside `b`.
    static func range(_ b: [UInt8], _ offset: Int?, _ length: Int?) -> Range<Int>? {
        guard let offset, let length, offset >= 0, length >= 0, offset <= b.count, length <= b.count - offset else { return nil }
        return offset..<(offset + length)
    }

    static func crc(_ b: [UInt8], _ r: Range<Int>) -> UInt32 { CRC32C.checksum(b[r]) }

    /// A segment in `r`: its section checksums, then its meta checksum.
    static func segment(_ b: inout [UInt8], _ r: Range<Int>) {
        let n = r.count
        guard n >= FileLayout.headerSize + FileLayout.trailerSize else { return }
        let t = r.lowerBound + n - FileLayout.trailerSize
        guard let count = u32(b, t), count <= 32 else { return }
        let tableStart = t - count * FileLayout.sectionEntrySize
        guard tableStart >= r.lowerBound + FileLayout.headerSize else { return }
        for i in 0..<count {
            let e = tableStart + i * FileLayout.sectionEntrySize
            guard let s = range(b, u64(b, e + 8), u64(b, e + 16)), s.upperBound <= n else { continue }
            put32(&b, e + 4, crc(b, (r.lowerBound + s.lowerBound)..<(r.lowerBound + s.upperBound)))
        }
        let meta = CRC32C.checksum(Array(b[r.lowerBound..<(r.lowerBound + FileLayout.headerSize)]) + Array(b[tableStart..<t]))
        put32(&b, t + 4, meta)
    }

    /// An index file: each commit record the slots name and the chain of previous commits (the
    /// segments, bitmaps and source tables it lists, a table of changes' base checksum first,
    /// then its own checksum), then the slots.
    static func container(_ b: inout [UInt8]) {
        var done = Set<Int>()
        for slot in [16, 40] {
            var offset = u64(b, slot + 8)
            var length = u32(b, slot + 16)
            var steps = 0
            while let r = range(b, offset, length), r.count >= 68, !done.contains(r.lowerBound), steps < 8 {
                done.insert(r.lowerBound)
                steps += 1
                let o = r.lowerBound
                if let s = range(b, u64(b, o + 40), u64(b, o + 48)), !s.isEmpty {
                    // a table of changes (kind 1) names its base's checksum first
                    if s.count >= 21, b[s.lowerBound] == 1, let base = range(b, u64(b, s.lowerBound + 1), u64(b, s.lowerBound + 9)) {
                        put32(&b, s.lowerBound + 17, crc(b, base))
                    }
                    put32(&b, o + 56, crc(b, s))
                }
                let count = u32(b, o + 60) ?? 0
                for i in 0..<min(count, (r.count - 68) / 56) {
                    let e = o + 64 + i * 56
                    if let s = range(b, u64(b, e + 8), u64(b, e + 16)) { segment(&b, s) }
                    if let d = range(b, u64(b, e + 40), u32(b, e + 48)), !d.isEmpty { put32(&b, e + 52, crc(b, d)) }
                }
                put32(&b, r.upperBound - 4, crc(b, o..<(r.upperBound - 4)))
                // the previous commit: its length is its fixed part and its entries
                guard let previous = u64(b, o + 16), previous > 0, let c = u32(b, previous + 60), c < 1 << 16 else { break }
                offset = previous
                length = 68 + c * 56
            }
            if b.count >= slot + 24 { put32(&b, slot + 20, crc(b, slot..<(slot + 20))) }
        }
    }
}
