import FoundationEssentials
import Glibc
import SouAnalysis

/// What `sou check` verified in an index file.
public struct IndexCheckReport: Sendable, Hashable, Codable {
    /// Commit records walked back from the latest (each checksum verified).
    public var commits: Int
    /// Segments verified completely (every section checksum and structure).
    public var segments: Int
    /// Sections verified over all segments.
    public var sectionsVerified: Int
    /// Live documents, deleted documents.
    public var documents: Int
    public var deletedDocuments: Int
    /// Totals over the segments (deleted documents' postings included).
    public var terms: Int
    public var postings: Int
    public var positions: Int
    /// What the file holds besides the commit opened, which readers ignore and the next writer
    /// removes or overwrites: a newer commit the end of the file cuts off (a power loss, a
    /// truncated copy), a commit slot whose checksum fails (a header write cut short, or
    /// damage), bytes after the commit opened (an interrupted write). Not errors (a crash at
    /// any moment leaves such a file, which opens at its last complete commit), but worth saying:
    /// with a truncated copy, the newer commit is lost.
    public var notes: [String] = []
}

/// One segment as `sou stats` shows it.
public struct SegmentStatistics: Sendable, Hashable, Codable {
    public var id: UInt64
    public var documents: Int
    public var deleted: Int
    public var bytes: Int
    public var terms: Int
}

extension IndexReader {
    /// Verifies the whole commit: every segment completely (``SegmentReader/verify()``), each deletion
    /// bitmap and live length against its segment, and the chain of earlier commit records in
    /// the file (each must decode with a valid checksum, older than the next), the source table
    /// (checksum, structure, and the Source field of every live document), and that no key is
    /// live twice. Throws
    /// ``IndexError/corrupt(_:)`` naming what is wrong and where.
    public func verify() throws -> IndexCheckReport {
        var report = IndexCheckReport(commits: 0, segments: 0, sectionsVerified: 0, documents: documentCount,
                                      deletedDocuments: deletedCount, terms: 0, postings: 0, positions: 0)
        for s in segments {
            let r: VerificationReport
            do {
                r = try s.reader.verify()
            } catch let e as IndexError {
                throw e.inSegment(s.id, at: s.entry.offset)
            }
            report.segments += 1
            report.sectionsVerified += r.sectionsVerified
            report.terms += r.terms
            report.postings += r.postings
            report.positions += r.positions
            var live = 0
            for d in 0..<s.documentCount where !s.deletions.contains(d) { live += try s.reader.checkedDocumentLength(d) }
            guard live == s.entry.liveLength else {
                throw IndexError.corrupt("segment \(s.id): the commit records a live length of \(s.entry.liveLength), its live documents have \(live)")
            }
        }
        // the source table: its checksum and structure, and every live document's Source field
        // names a file of it (or none, 0): the next `sou index` finds a file's documents by it
        let ids = try sources().map { Set($0.entries.map { Int($0.file.id) }) }
        // live keys are unique (a writer deletes the old document of a key it adds): a deletion
        // bitmap that revived a replaced document shows as a key live twice. Key hashes first;
        // a key whose hash was seen is looked up in every segment.
        var hashes = Set<Int>()
        for s in segments {
            for d in 0..<s.documentCount where !s.deletions.contains(d) {
                if let ids {
                    let source = try s.reader.documentSource(d)
                    guard source == 0 || ids.contains(source) else {
                        throw IndexError.corrupt("segment \(s.id): document \(d) comes from source \(source), which the source table does not list")
                    }
                }
                let hash = try s.reader.withKeyBytes(d) { k in var h = Hasher(); h.combine(bytes: k); return h.finalize() }
                if !hashes.insert(hash).inserted {
                    let key = try s.reader.checkedDocumentKey(d)
                    guard try documents(withKey: key).count == 1 else {
                        throw IndexError.corrupt("segment \(s.id): document \(d) has the key \(key), which another live document has")
                    }
                }
            }
        }
        // the commit chain
        if path != nil {
            var offset = commitOffset
            var generation = commit.generation
            var seen = 0
            while offset != 0 {
                let c = try CommitRecord(bytes: storage.bytes, at: offset, fileLength: storage.count)
                guard c.generation == generation else {
                    throw IndexError.corrupt("commit record at byte \(offset): generation \(c.generation), expected \(generation)")
                }
                seen += 1
                generation -= 1
                offset = c.previousOffset
            }
            report.commits = seen
            report.notes = commitNotes()
        } else {
            report.commits = 1
        }
        return report
    }

    /// ``IndexCheckReport/notes``: the header's commit slots and the bytes after the commit
    /// opened, against it.
    func commitNotes() -> [String] {
        var notes: [String] = []
        var lost = false
        let b = storage.bytes
        guard b.count >= ContainerLayout.headerSize else { return notes }
        let header = UnsafeRawBufferPointer(start: b.base, count: ContainerLayout.headerSize)
        for at in ContainerLayout.slotOffsets {
            let raw = UnsafeRawBufferPointer(rebasing: header[at..<(at + ContainerLayout.slotSize)])
            if raw.allSatisfy({ $0 == 0 }) { continue }   // never written
            guard let slot = CommitSlot.decode(header, at: at) else {
                notes.append("the commit slot at header byte \(at) does not hold (its checksum fails: a header write cut short, or damage); it is ignored")
                continue
            }
            if slot.generation > commit.generation {
                lost = true
                notes.append("commit \(slot.generation) (the slot at header byte \(at)) reaches past the end of the file (a power loss, or a truncated copy): "
                             + "it is lost, and the index opens at commit \(commit.generation)")
            }
        }
        if bytesAfterCommit > 0 {
            notes.append("\(bytesAfterCommit) bytes after commit \(commit.generation) belong to no complete commit "
                         + (lost ? "(what is left of the lost one)" : "(an interrupted write)") + "; readers ignore them and the next writer removes them")
        }
        return notes
    }

    /// Per-segment figures, in segment order.
    public func segmentStatistics() -> [SegmentStatistics] {
        segments.map { SegmentStatistics(id: $0.id, documents: $0.documentCount, deleted: $0.deletions.count,
                                         bytes: $0.byteCount, terms: $0.reader.termCount) }
    }

    /// The share of the file that holds nothing the current commit needs (replaced segments,
    /// old bitmaps, old commits) or deleted documents' share of their segments, estimated by
    /// documents: (file bytes − live bytes) / file bytes.
    public func garbageRatio(fileBytes: Int) -> Double {
        guard fileBytes > 0 else { return 0 }
        let sources = commit.sourcesOffset..<(commit.sourcesOffset + commit.sourcesLength)
        var live = Double(ContainerLayout.headerSize + commit.byteCount + commit.sourcesLength
                          + (commit.sourcesLength > 0 ? SourceTable.baseLength(bytes: storage.bytes, range: sources) : 0))
        for s in segments {
            let fraction = s.documentCount == 0 ? 1 : Double(s.liveDocumentCount) / Double(s.documentCount)
            live += Double(s.byteCount) * fraction
        }
        return max(0, 1 - live / Double(fileBytes))
    }

    /// Bytes of the file after the commit this snapshot is (an interrupted write, or a newer
    /// commit cut off): part of ``garbageRatio(fileBytes:)``, removed by the next writer.
    public var bytesAfterCommit: Int {
        max(0, storage.count - (commitOffset + commit.byteCount))
    }

    /// Statistics of the whole index: the segments' figures added up (terms counted per segment).
    public func statistics() throws -> IndexStatistics {
        var total: IndexStatistics? = nil
        for s in segments {
            let st = try s.reader.statistics()
            if var t = total {
                t.terms += st.terms
                for (k, v) in st.termsByKind { t.termsByKind[k, default: 0] += v }
                t.postings += st.postings
                t.positions += st.positions
                t.unigramPositions += st.unigramPositions
                t.unigramPostings += st.unigramPostings
                for (k, v) in st.sectionBytes { t.sectionBytes[k, default: 0] += v }
                total = t
            } else {
                total = st
            }
        }
        var t = total ?? IndexStatistics(formatVersion: formatVersion, analyzerFlags: configuration.flags,
                                         analyzerRulesVersion: Int(AnalyzerConfiguration.rulesVersion),
                                         analyzer: configuration.description, documents: 0, totalDocumentLength: 0,
                                         averageDocumentLength: 0, terms: 0, termsByKind: [:], postings: 0, positions: 0,
                                         unigramPositions: 0, unigramPostings: 0, storesText: storesText,
                                         sectionBytes: [:], fileBytes: 0)
        t.documents = documentCount
        t.totalDocumentLength = totalDocumentLength
        t.averageDocumentLength = averageDocumentLength
        t.fileBytes = storage.count
        return t
    }
}
