import CZlib
import Foundation
import SouTestSupport
import Testing
@testable import SouAnalysis
@testable import SouIndexing

/// A document longer than ``BatchAnalyzer/streamedDocumentBytes`` is analyzed and inverted piece
/// by piece (its tokens would take ten times its size), and stored text is deflated without
/// joining the texts first: neither changes a byte of the index.
@Suite("Building: long documents in pieces")
struct LongDocumentTests {
    /// The bundled corpus's text files and short texts whose CJK runs, words and gaps end
    /// anywhere (a piece of one token ends after every token).
    static func documents() throws -> [(key: String, text: String)] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let corpus = root.appendingPathComponent("corpus")
        var docs: [(String, String)] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: corpus.path).sorted() where name.hasSuffix(".txt") {
            docs.append((name, try String(contentsOf: corpus.appendingPathComponent(name), encoding: .utf8)))
        }
        for (i, text) in ["中", "", "。。。", "集体协商", "集体 协商 中 国", "iPhone手机 Don't 3.14 集", "a", "协商\n工资\n\n中",
                          String(repeating: "啊", count: 1000), String(repeating: "集体协商。", count: 300)].enumerated() {
            docs.append(("edge-\(i)", text))
        }
        return docs
    }

    /// The index file of `documents` written by a writer prepared by `configure`.
    static func bytes(_ documents: [(key: String, text: String)], storesText: Bool = true,
                      _ configure: (SegmentWriter) -> Void = { _ in }) throws -> [UInt8] {
        let writer = try SegmentWriter(storesText: storesText)
        configure(writer)
        for d in documents { try writer.addDocument(key: d.key, title: "", text: d.text) }
        return try writer.serialize().bytes
    }

    @Test("documents analyzed and inverted in pieces of any size write the bytes of documents analyzed at once",
          arguments: [1, 2, 3, 7, 100])
    func piecesWriteTheSameBytes(_ pieceTokens: Int) throws {
        let documents = try Self.documents()
        let whole = try Self.bytes(documents) { $0.streamedDocumentBytes = Int.max }
        let pieces = try Self.bytes(documents) {
            $0.streamedDocumentBytes = 0
            $0.pieceTokens = pieceTokens
        }
        #expect(pieces == whole)
        // the file opens
        let index = try SegmentReader(bytes: pieces)
        #expect(index.documentCount == documents.count)
    }

    @Test("a document over the threshold, in a build on several threads, writes the bytes of one analyzed at once")
    func longDocumentOnThreads() throws {
        // 1.2 MB: over the default threshold, so the parallel build streams it
        let corpus = try Self.documents().map(\.text).joined(separator: " 。 ")
        var long = ""
        while long.utf8.count <= BatchAnalyzer.streamedDocumentBytes { long += corpus + " 。 " }
        let documents = [("before", "集体协商"), ("long", long), ("after", "工资协商")]
        let whole = try Self.bytes(documents) { $0.streamedDocumentBytes = Int.max }
        let writer = try SegmentWriter()
        try writer.addDocuments(jobs: 2) { add in
            for d in documents { try add(SourceDocument(key: d.0, title: "", text: d.1)) }
        }
        #expect(try writer.serialize().bytes == whole)
    }

    @Test("a file's title is its first non-empty line, trimmed, at most 120 characters, taken without copying the text")
    func firstLineTitle() throws {
        // the definition, the direct way (the whole text split into lines, each line copied)
        func reference(_ text: String, _ stripping: Character?) -> String {
            for line in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
                var l = Substring(line)
                if let c = stripping { while l.first == c { l.removeFirst() } }
                let t = String(l).trimmingWhitespace()
                if !t.isEmpty { return String(t.prefix(120)) }
            }
            return ""
        }
        let long = String(repeating: "集体协商 ", count: 100)
        let texts = ["", "\n\n", "  \n\t\n 标题  \n正文", "# 标题\n正文", "##  \n# 第二行", "\r\n\r\n 一\r二", "e\u{301}x",
                     "   ", "\u{3000}全角空格\u{3000}\n", long, "  " + long + "  \n", "a\rb", "#", "###\n###x"]
        for text in texts {
            for stripping in [nil, "#" as Character] {
                #expect(DocumentSource.firstLine(text, stripping: stripping) == reference(text, stripping), "\(text.debugDescription)")
            }
        }
    }

    @Test("stored text deflated piece by piece is the bytes Deflate.compress makes of the joined text, on both sides of the 1 MiB that libdeflate compresses whole",
          arguments: [0, 1, 100, 70_000, Deflate.wholeBlockLimit, Deflate.wholeBlockLimit + 1, 3_000_000])
    func deflaterMatchesCompress(_ size: Int) throws {
        var rng = SplitMix64(seed: UInt64(size) &+ 17)
        let alphabet = Array("集体协商工资合同劳动者 abc\n".utf8)
        // random text (compresses little) and one repeated byte (compresses ~1000:1)
        for input in [(0..<size).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] },
                      [UInt8](repeating: 0x61, count: size)] {
            var deflater = try Deflater(expectedInput: input.count / 3)
            var offset = 0
            while offset < input.count {
                let n = min(input.count - offset, 1 + Int(rng.next() % 100_000))
                try input.withUnsafeBufferPointer { try deflater.feed(UnsafeBufferPointer(rebasing: $0[offset..<offset + n])) }
                offset += n
            }
            let streamed = try deflater.finish()
            #expect(streamed == (try Deflate.compress(input)))
            let back = try streamed.withUnsafeBytes { try Deflate.decompress($0, rawLength: input.count) }
            #expect(back == input)
        }
    }
}

extension LongDocumentTests {
    /// Before: a document of 1.2 GB (`"集体" + 1.2 G newlines + "协商"`) was committed without a
    /// word, and then every search that showed it and `verify()` said "corrupt index: stored-text:
    /// block 0 has implausible sizes" (a reader refuses a block over 1 GiB); one over 2 GiB
    /// trapped in the analyzer (32-bit byte offsets), and over 4 GiB in the block table.
    @Test("a document whose text is over maxTextBytes is refused with a capacity error naming it, before anything is written, and the writer stays usable")
    func textTooLong() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // one string shared by every document below (1 GiB less 1 MiB, plus one byte)
        // (filled by memset: String(repeating:) takes half a minute in a debug build)
        let huge = String(unsafeUninitializedCapacity: SegmentWriter.maxTextBytes + 1) {
            _ = memset($0.baseAddress!, 0x61, $0.count)
            return $0.count
        }
        func isTooLong(_ error: any Error) -> Bool {
            guard case IndexError.capacity(let message) = error else { return false }
            return message.contains("document \"big\"") && message.contains("more than the 1023 MiB")
        }
        for jobs in [1, 2] {
            let path = folder.appendingPathComponent("x\(jobs).sou").path
            var options = IndexWriterOptions()
            options.jobs = jobs
            let writer = try IndexWriter(path: path, options: options)
            try writer.add(key: "a", text: "集体协商")
            #expect(performing: { try writer.add(key: "big", text: huge) }, throws: isTooLong)
            #expect(performing: {
                try writer.addDocuments { add in
                    try add(SourceDocument(key: "b", title: "", text: "工资集体协商"))
                    try add(SourceDocument(key: "big", title: "", text: huge))
                }
            }, throws: isTooLong)
            try writer.add(key: "c", text: "集体")
            #expect(try writer.commit())
            let reader = try IndexReader(path: path)
            #expect(try (0..<reader.maxDocument).map { try reader.documentKey($0) }.sorted() == ["a", "b", "c"], "jobs \(jobs)")
            _ = try reader.verify()
        }
        let segment = try SegmentWriter()
        #expect(performing: { try segment.addDocument(key: "big", text: huge) }, throws: isTooLong)
        #expect(performing: {
            try segment.addDocuments(jobs: 2) { add in try add(SourceDocument(key: "big", title: "", text: huge)) }
        }, throws: isTooLong)
    }
}
