import Foundation
import SouAnalysis

/// What a full verification found (everything consistent).
public struct VerificationReport: Sendable, Hashable {
    /// Sections whose checksum was verified.
    public var sectionsVerified: Int
    /// Terms checked.
    public var terms: Int
    /// Postings checked.
    public var postings: Int
    /// Positions checked.
    public var positions: Int
    /// Documents checked.
    public var documents: Int
}

extension SouIndex {
    /// Verifies the whole file: every section's CRC-32C, then the structure: terms strictly
    /// sorted and valid UTF-8, each term's postings and positions exactly where the dictionary
    /// says and nowhere else, documents increasing and in range, frequencies and skip entries
    /// consistent, positions increasing within each document, document table and stored text
    /// consistent. Throws ``IndexError/corrupt(_:)`` naming the first problem.
    ///
    /// - Complexity: reads every byte of the file once.
    public func verify() throws -> VerificationReport {
        for s in sections {
            let crc = CRC32C.checksum(bytes.slice(s.range))
            guard crc == s.crc else {
                throw IndexError.corrupt(String(format: "\(s.kind) section checksum mismatch (stored %08x, computed %08x)", s.crc, crc))
            }
        }
        var report = VerificationReport(sectionsVerified: sections.count, terms: 0, postings: 0, positions: 0, documents: 0)
        try verifyTerms(&report)
        try verifyDocuments()
        try verifyStoredText()
        report.documents = documentCount
        return report
    }

    private func verifyTerms(_ report: inout VerificationReport) throws {
        var previous: [UInt8]? = nil
        var expectedPostings = 0, expectedPositions = 0
        try TermDictionaryReader(index: self).forEach(from: []) { term, makeInfo in
            let info = makeInfo()
            let name = "term \"\(info.term)\""
            if let p = previous, !p.lexicographicallyPrecedes(term) {
                throw IndexError.corrupt("terms: \(name) is not after \"\(String(decoding: p, as: UTF8.self))\": dictionary not sorted")
            }
            guard String(validating: term, as: UTF8.self) != nil else { throw IndexError.corrupt("terms: \(name) is not valid UTF-8") }
            guard !term.isEmpty else { throw IndexError.corrupt("terms: empty term") }
            previous = term
            if info.postingsOffset < 0 {
                // a singleton: document and position in the entry
                guard -1 - info.postingsOffset < documentCount else {
                    throw IndexError.corrupt("terms: \(name): document id out of range")
                }
                guard info.positionsOffset < slotCount(-1 - info.postingsOffset) else {
                    throw IndexError.corrupt("terms: \(name): position beyond its document's slots")
                }
                report.terms += 1
                report.postings += 1
                report.positions += 1
                return true
            }
            guard info.postingsOffset == expectedPostings else {
                throw IndexError.corrupt("postings: \(name) starts at \(info.postingsOffset), expected \(expectedPostings)")
            }
            guard info.positionsOffset == expectedPositions else {
                throw IndexError.corrupt("positions: \(name) starts at \(info.positionsOffset), expected \(expectedPositions)")
            }
            guard info.documentFrequency >= 1, info.totalTermFrequency >= info.documentFrequency else {
                throw IndexError.corrupt("terms: \(name) has document frequency \(info.documentFrequency)")
            }
            // postings
            let (freqs, firsts, docs, inlineGaps, postingsEnd) = try verifyPostings(info, name: name)
            expectedPostings = postingsEnd - postingsRange.lowerBound
            // position gaps: every document's positions after its first, gap − 1 each
            var r = ByteReader(bytes, range: (positionsRange.lowerBound + info.positionsOffset)..<positionsRange.upperBound, context: "positions")
            let size = FileLayout.positionsPerBlock
            let gapCount = info.totalTermFrequency - info.documentFrequency
            var gaps: [UInt32] = inlineGaps ?? []
            gaps.reserveCapacity(gapCount)
            var start = inlineGaps == nil ? 0 : gapCount
            while start < gapCount {
                let count = min(size, gapCount - start)
                var end = positionsRange.upperBound
                if count == size {
                    let length = try r.varint(max: r.remaining)
                    end = r.offset + length
                }
                var bits = BitReader(bytes, from: r.offset, end: end, context: "positions")
                let k = Int(try bits.read(bits: 5))
                guard k <= 24 else { throw IndexError.corrupt("positions: \(name): bad Rice parameter") }
                for _ in 0..<count { gaps.append(try bits.rice(k)) }
                if count == size, bits.byteOffset != end {
                    throw IndexError.corrupt("positions: \(name): block length disagrees with its contents")
                }
                r.offset = bits.byteOffset
                start += count
            }
            var g = 0
            for (d, f) in freqs.enumerated() {
                var p = Int(firsts[d])
                for _ in 1..<max(f, 1) { p += Int(gaps[g]) + 1; g += 1 }
                guard p < slotCount(docs[d]) else {
                    throw IndexError.corrupt("positions: \(name): position out of range in its document #\(d + 1)")
                }
            }
            expectedPositions = r.offset - positionsRange.lowerBound
            report.terms += 1
            report.postings += info.documentFrequency
            report.positions += info.totalTermFrequency
            return true
        }
        guard report.terms == termCount else {
            throw IndexError.corrupt("terms: \(report.terms) terms read, header says \(termCount)")
        }
        guard expectedPostings == postingsRange.count else {
            throw IndexError.corrupt("postings: \(postingsRange.count - expectedPostings) bytes after the last term's postings")
        }
        guard expectedPositions == positionsRange.count else {
            throw IndexError.corrupt("positions: \(positionsRange.count - expectedPositions) bytes after the last term's positions")
        }
        guard report.postings == postingCount, report.positions == positionCount else {
            throw IndexError.corrupt("terms: posting/position totals disagree with the header")
        }
    }

    /// Decodes one term's postings completely; returns the frequencies and the end offset.
    private func verifyPostings(_ info: TermInfo, name: String) throws -> ([Int], [UInt32], [Int], [UInt32]?, Int) {
        var r = ByteReader(bytes, range: (postingsRange.lowerBound + info.postingsOffset)..<postingsRange.upperBound, context: "postings")
        let df = info.documentFrequency
        let perBlock = FileLayout.docsPerBlock
        var skips: ByteReader? = nil
        if df > perBlock {
            let length = try r.varint(max: r.remaining)
            skips = ByteReader(bytes, range: r.offset..<(r.offset + length), context: "postings skip data")
            try r.skip(length)
        }
        var offset = r.offset
        var inlineGaps: [UInt32]? = nil
        var freqs: [Int] = []
        var firsts: [UInt32] = []
        var docs: [Int] = []
        freqs.reserveCapacity(df)
        firsts.reserveCapacity(df)
        var previous = -1
        var total = 0
        var i = 0
        while i < df {
            let end = min(i + perBlock, df)
            let blockPrevious = previous
            var blockPositions = 0
            var bits = BitReader(bytes, from: offset, end: postingsRange.upperBound, context: "postings")
            let k = skips != nil ? Int(try bits.read(bits: 5))
                : RiceCoding.derivedGapParameter(documentFrequency: df, documentCount: documentCount)
            let binary = try bits.bit() == 1
            let kFirst = binary ? 0 : Int(try bits.read(bits: 5))
            guard k <= 24, kFirst <= 24 else { throw IndexError.corrupt("postings: \(name): bad Rice parameter") }
            for _ in i..<end {
                let gap = Int(try bits.rice(k))
                guard previous + gap + 1 < documentCount else {
                    throw IndexError.corrupt("postings: \(name): document id out of range")
                }
                previous += gap + 1
                docs.append(previous)
                let f = try bits.bit() == 1 ? 1 : Int(try bits.gamma()) + 1
                guard f <= info.totalTermFrequency else { throw IndexError.corrupt("postings: \(name): frequency out of range") }
                freqs.append(f)
                firsts.append(binary ? try bits.truncated(below: slotCount(previous)) : try bits.rice(kFirst))
                total += f
                blockPositions += f
            }
            let gapCount = info.totalTermFrequency - df
            if skips == nil, gapCount > 0, FileLayout.gapsAreInline(documentFrequency: df, totalFrequency: info.totalTermFrequency) {
                let kGaps = Int(try bits.read(bits: 5))
                guard kGaps <= 24 else { throw IndexError.corrupt("postings: \(name): bad Rice parameter") }
                var g: [UInt32] = []
                for _ in 0..<gapCount { g.append(try bits.rice(kGaps)) }
                inlineGaps = g
            }
            if var s = skips {
                let lastDelta = try s.varint(max: documentCount)
                let length = try s.varint(max: Int(UInt32.max))
                let count = try s.varint(max: info.totalTermFrequency)
                guard blockPrevious + lastDelta == previous, length == bits.byteOffset - offset, count == blockPositions else {
                    throw IndexError.corrupt("postings: \(name): skip entry of block \(i / perBlock) disagrees with the block")
                }
                skips = s
            }
            offset = bits.byteOffset
            i = end
        }
        if let s = skips, !s.isAtEnd { throw IndexError.corrupt("postings: \(name): extra skip data") }
        guard total == info.totalTermFrequency else {
            throw IndexError.corrupt("postings: \(name): frequencies sum to \(total), dictionary says \(info.totalTermFrequency)")
        }
        return (freqs, firsts, docs, inlineGaps, offset)
    }

    private func verifyDocuments() throws {
        var running = 0
        var totalLength = 0
        for id in 0..<documentCount {
            guard documentField(id, 4) == running else {
                throw IndexError.corrupt("documents: entry \(id) points to the wrong strings offset")
            }
            guard let entry = documentEntry(id) else { throw IndexError.corrupt("documents: entry \(id) out of range") }
            guard String(validating: bytes.slice(entry.key), as: UTF8.self) != nil,
                  String(validating: bytes.slice(entry.title), as: UTF8.self) != nil else {
                throw IndexError.corrupt("documents: key or title of document \(id) is not valid UTF-8")
            }
            running += entry.key.count + entry.title.count
            totalLength += entry.length
            guard slotCount(id) >= entry.length else {
                throw IndexError.corrupt("documents: document \(id) has fewer slots than tokens")
            }
        }
        guard stringsStart + running == documentsRange.upperBound else {
            throw IndexError.corrupt("documents: strings area size disagrees with the entries")
        }
        guard totalLength == totalDocumentLength else {
            throw IndexError.corrupt("documents: lengths sum to \(totalLength), header says \(totalDocumentLength)")
        }
    }

    private func verifyStoredText() throws {
        guard let r = storedRange else { return }
        var nextDoc = 0
        var running = 0
        for i in 0..<storedBlockCount {
            let e = storedTableStart + i * FileLayout.storedBlockEntrySize
            guard bytes.u64(at: e + 8) == UInt64(running) else {
                throw IndexError.corrupt("stored-text: block \(i) is not where the previous one ends")
            }
            let block = try storedBlock(i)
            guard block.firstDocument == nextDoc, block.documentCount >= 1 else {
                throw IndexError.corrupt("stored-text: block \(i) does not start at document \(nextDoc)")
            }
            try block.raw.withUnsafeBytes { raw in
                guard let base = raw.baseAddress else { throw IndexError.corrupt("stored-text: block \(i) is empty") }
                var reader = ByteReader(IndexBytes(base: base, count: raw.count), range: 0..<raw.count, context: "stored-text block")
                for _ in 0..<block.documentCount {
                    let n = try reader.varint(max: reader.remaining)
                    let range = try reader.bytes(n)
                    guard String(validating: UnsafeRawBufferPointer(rebasing: raw[range]), as: UTF8.self) != nil else {
                        throw IndexError.corrupt("stored-text: block \(i) holds invalid UTF-8")
                    }
                }
                guard reader.isAtEnd else { throw IndexError.corrupt("stored-text: block \(i) has trailing bytes") }
            }
            nextDoc += block.documentCount
            running += Int(bytes.u32(at: e + 16))
        }
        guard nextDoc == documentCount else {
            throw IndexError.corrupt("stored-text: blocks hold \(nextDoc) documents, the index has \(documentCount)")
        }
        guard storedDataStart + running == r.upperBound else {
            throw IndexError.corrupt("stored-text: data size disagrees with the block table")
        }
    }
}
