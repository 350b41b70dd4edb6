import FoundationEssentials
import Glibc
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

extension SegmentReader {
    /// Verifies the whole file: every section's CRC-32C, then the structure: terms strictly
    /// sorted and valid UTF-8 (and held by the term filter, when there is one), each term's
    /// postings and positions exactly where the dictionary says and nowhere else, documents
    /// increasing and in range, frequencies and skip entries consistent, positions increasing
    /// within each document, document table and stored text consistent. Throws ``IndexError/corrupt(_:)`` naming the first problem.
    ///
    /// Postings and positions are read through ``PostingsCursor`` (``PostingsCursor/verifyingWalk()``),
    /// the decoder search uses: one decoder for both, so what `sou check` accepts, search reads.
    ///
    /// - Complexity: reads every byte of the file once.
    public func verify() throws -> VerificationReport {
        try verifyChecksums()
        var report = VerificationReport(sectionsVerified: sections.count, terms: 0, postings: 0, positions: 0, documents: 0)
        try verifyTerms(&report)
        try verifyDocuments()
        try verifyKeyOrder()
        try verifyStoredText()
        report.documents = documentCount
        return report
    }

    /// Verifies every section's CRC-32C (what a merge checks before reading a segment).
    func verifyChecksums() throws {
        for s in sections {
            let crc = CRC32C.checksum(bytes.slice(s.range))
            guard crc == s.crc else {
                throw IndexError.corrupt("\(s.kind) section checksum mismatch " + cFormat("(stored %08x, computed %08x)", s.crc, crc))
            }
        }
    }

    private func verifyTerms(_ report: inout VerificationReport) throws {
        var previous: [UInt8]? = nil
        var expectedPostings = 0, expectedPositions = 0
        // the run-ending bigrams: each listed ordinal must be a bigram ending with its character
        var ends: [Int: UInt32] = [:]
        var listed = 0
        try bigramEnds.forEach { c, ordinals in
            for o in ordinals {
                guard ends.updateValue(c, forKey: o) == nil else { throw IndexError.corrupt("bigram-ends: term \(o) listed twice") }
            }
            listed += ordinals.count
        }
        guard listed == bigramEnds.ordinalCount else {
            throw IndexError.corrupt("bigram-ends: \(listed) bigrams listed, the header says \(bigramEnds.ordinalCount)")
        }
        let dictionary = TermDictionaryReader(index: self)
        try dictionary.forEach(from: []) { term, makeInfo in
            let info = makeInfo()
            let name = "term \"\(info.term)\""
            let ordinal = info.ordinal
            if ordinal % termsPerBlock == 0 {
                // the block index's key prefix is what a look-up's binary search compares: a wrong
                // one sends it to another block, and the term would be "absent"
                let block = ordinal / termsPerBlock
                guard dictionary.keyPrefix(ofBlock: block) == TermDictionaryReader.prefix(of: term) else {
                    throw IndexError.corrupt("terms: block \(block)'s index entry does not start like its first term, \(name)")
                }
            }
            if let c = ends[ordinal] {
                guard info.kind == .bigram, let two = TermCoding.twoScalars(term), two.second == c else {
                    throw IndexError.corrupt("bigram-ends: \(name) is listed under U+\(String(c, radix: 16, uppercase: true)) but is not a bigram ending with it")
                }
            }
            if let p = previous, !p.lexicographicallyPrecedes(term) {
                throw IndexError.corrupt("terms: \(name) is not after \"\(String(decoding: p, as: UTF8.self))\": dictionary not sorted")
            }
            guard String(validating: term, as: UTF8.self) != nil else { throw IndexError.corrupt("terms: \(name) is not valid UTF-8") }
            guard !term.isEmpty else { throw IndexError.corrupt("terms: empty term") }
            previous = term
            if filterBlockCount > 0 {
                // the filter must hold every key of every term: one it lacks would be "absent"
                let keys = term.withUnsafeBytes(TermFilter.keyHashes(of:))
                let held = mayHaveTerm(keys.term) && keys.prefix.map(mayHaveTerm) ?? true
                guard held else { throw IndexError.corrupt("term-filter: \(name) is missing from the segment's term filter") }
            }
            guard info.documentFrequency >= 1, info.totalTermFrequency >= info.documentFrequency else {
                throw IndexError.corrupt("terms: \(name) has document frequency \(info.documentFrequency)")
            }
            if case .postings(let offset, let positionsOffset) = info.location {
                guard offset == expectedPostings else {
                    throw IndexError.corrupt("postings: \(name) starts at \(offset), expected \(expectedPostings)")
                }
                guard positionsOffset == expectedPositions else {
                    throw IndexError.corrupt("positions: \(name) starts at \(positionsOffset), expected \(expectedPositions)")
                }
            }
            // every posting and position, through the decoder search uses
            let extent: PostingsCursor.Extent?
            do {
                var cursor = try PostingsCursor(index: self, term: info)
                extent = try cursor.verifyingWalk()
            } catch IndexError.corrupt(let what) {
                throw IndexError.corrupt("\(what) (\(name))")
            }
            if let extent {
                expectedPostings = extent.postingsEnd
                expectedPositions = extent.positionsEnd
            }
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

    /// Every document exactly once, in key order (equal keys by id).
    private func verifyKeyOrder() throws {
        var seen = [Bool](repeating: false, count: documentCount)
        var previous = -1
        for rank in 0..<documentCount {
            let id = try document(atKeyRank: rank)
            guard !seen[id] else { throw IndexError.corrupt("key-order: document \(id) listed twice") }
            seen[id] = true
            if previous >= 0 {
                let c = try compareKeys(previous, id)
                guard c < 0 || (c == 0 && previous < id) else {
                    throw IndexError.corrupt("key-order: documents \(previous) and \(id) out of key order at rank \(rank)")
                }
            }
            previous = id
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
