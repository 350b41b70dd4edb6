import Foundation
import SouTestSupport
import Testing
@testable import SouIndexing

/// Huge inputs through the executable, memory measured by the kernel (wait4's peak RSS): one document of many
/// megabytes on one line, a long run of one character, many tiny documents. Each is indexed and
/// searched correctly (counts checked against ones computed here) in memory proportional to the
/// input: the memory a document adds is at most 3 times its size (before, 16 to 24 times, all
/// its tokens held at once). Sizes are scaled down for the debug build of `swift test`;
/// `scripts/huge-inputs.sh` runs the full sizes (200 MB, 50 MB, 1,000,000 documents) on a
/// release build.
@Suite("The sou executable: huge inputs in bounded memory", .serialized)
struct HugeInputTests: ExecutableFolder {
    let sou: URL
    let folder: URL

    init() throws {
        sou = try #require(souExecutable(), "the sou executable is not built next to the tests")
        folder = try temporaryFolder()
    }

    /// Under a sanitizer (`scripts/sanitize.sh` sets these) memory figures are not the program's:
    /// AddressSanitizer keeps up to 256 MB of freed memory in quarantine. The answers are still checked.
    static let measuresMemory = ProcessInfo.processInfo.environment["ASAN_OPTIONS"] == nil
        && ProcessInfo.processInfo.environment["TSAN_OPTIONS"] == nil

    func cleanUp() { try? FileManager.default.removeItem(at: folder) }

    /// The statistics of an index (`sou stats --json`).
    func stats(_ index: String) throws -> [String: Any] {
        let r = try runSou(sou, ["stats", "--json", index])
        #expect(r.status == 0, "\(r.err)")
        return try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
    }

    /// Builds `input` into `index` (`--jobs 2`); the index passes `sou check`.
    func build(_ input: String, _ index: String, _ extra: [String] = []) throws {
        try? FileManager.default.removeItem(atPath: index)
        let r = try runSou(sou, ["index", input, "-o", index, "--quiet", "--jobs", "2"] + extra)
        #expect(r.status == 0, "\(r.err)")
        #expect(try runSou(sou, ["check", index]).status == 0)
    }

    /// The peak RSS of a build of `input` (`--jobs 2`), as `sou bench index` measures it: the build
    /// runs in a child of the small `sou bench` process, which reads its wait4 `ru_maxrss`. (A
    /// child this test process started itself would report this process's peak instead: Linux
    /// records the peak of the memory a process had before exec, the parent's for posix_spawn.)
    func peakRSS(_ input: String) throws -> Int {
        let r = try runSou(sou, ["bench", "index", input, "--runs", "1", "--jobs", "2", "--json"])
        #expect(r.status == 0, "\(r.err)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        let row = try #require((json["results"] as? [[String: Any]])?.first)
        return try #require(row["peakRSSBytes"] as? Int)
    }

    /// The bundled corpus's text files, each on one line (line breaks as spaces), joined by " 。 "
    /// (punctuation: no token spans two of them).
    static func corpusParts() throws -> [String] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let corpus = root.appendingPathComponent("corpus")
        return try FileManager.default.contentsOfDirectory(atPath: corpus.path).sorted().filter { $0.hasSuffix(".txt") }.map {
            try String(contentsOf: corpus.appendingPathComponent($0), encoding: .utf8)
                .replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        }
    }

    @Test("a one-line document of 6 MB is indexed with memory growing by at most 3 times its size, and its tokens are those of its parts indexed apart")
    func oneLineDocument() throws {
        defer { cleanUp() }
        let parts = try Self.corpusParts()
        let unit = parts.joined(separator: " 。 ") + " 。 "
        // the same parts repeated: documents of 3 and 6 MB with the same vocabulary
        func document(_ bytes: Int) -> String {
            String(repeating: unit, count: bytes / unit.utf8.count + 1)
        }
        let small = document(3 << 20), large = document(6 << 20)
        try write(small, to: path("small.txt"))
        try write(large, to: path("large.txt"))
        #expect(!large.contains("\n"))
        let smallRSS = try peakRSS(path("small.txt"))
        let largeRSS = try peakRSS(path("large.txt"))
        try build(path("large.txt"), path("large.sou"))
        let added = large.utf8.count - small.utf8.count
        #expect(!Self.measuresMemory || largeRSS - smallRSS <= 3 * added,
                "peak RSS \(smallRSS >> 20) MB for \(small.utf8.count >> 20) MB, \(largeRSS >> 20) MB for \(large.utf8.count >> 20) MB")

        // oracle: the same text as separate documents (each analyzed at once, in parallel) has the
        // same terms of each kind, the same positions and the same total length
        let copies = large.utf8.count / unit.utf8.count
        let escaped = parts.map {
            $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\t", with: "\\t")
        }
        var lines = ""
        var n = 0
        for _ in 0..<copies {
            for part in escaped {
                lines += "{\"id\":\"\(n)\",\"body\":\"\(part)\"}\n"
                n += 1
            }
        }
        try write(lines, to: path("parts.jsonl"))
        try build(path("parts.jsonl"), path("parts.sou"), ["--text-field", "body"])
        let one = try stats(path("large.sou")), apart = try stats(path("parts.sou"))
        #expect(one["documents"] as? Int == 1)
        #expect(apart["documents"] as? Int == n)
        for field in ["terms", "positions", "unigramPositions", "totalDocumentLength"] {
            #expect(one[field] as? Int == apart[field] as? Int, "\(field): \(one[field] ?? "none") vs \(apart[field] ?? "none")")
        }
        #expect(one["termsByKind"] as? [String: Int] == apart["termsByKind"] as? [String: Int])

        // the stored text comes back whole, and a phrase of its last part is found
        let shown = try runSou(sou, ["show", "-i", path("large.sou"), path("large.txt")])
        #expect(shown.status == 0, "\(shown.err)")
        #expect(shown.out.utf8.count >= large.utf8.count && shown.out.contains(String(large.suffix(200))))
        // the last run of 6 or more Han characters of the last part
        let runs = try #require(parts.last).unicodeScalars.split { !(0x4E00...0x9FFF).contains($0.value) }
        let lastPhrase = String(String.UnicodeScalarView(try #require(runs.last { $0.count >= 6 })))
        let found = try runSou(sou, ["search", "-c", "-i", path("large.sou"), "\"\(lastPhrase)\""])
        #expect(found.out.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix("1"), "\(found.out) \(found.err)")
    }

    @Test("a run of 2,000,000 times 啊 (6 MB) is indexed with memory growing by at most 3 times its size: 1 bigram term, N − 1 positions")
    func runOfOneCharacter() throws {
        defer { cleanUp() }
        var rss: [Int: Int] = [:]
        for count in [1_000_000, 2_000_000] {
            let input = path("run-\(count).txt"), index = path("run-\(count).sou")
            try write(String(repeating: "啊", count: count), to: input)
            rss[count] = try peakRSS(input)
            try build(input, index)
            // oracle: a run of N characters has N − 1 bigrams (one term, which ends the run)
            let s = try stats(index)
            #expect(s["documents"] as? Int == 1)
            #expect(s["totalDocumentLength"] as? Int == count - 1)
            #expect(s["positions"] as? Int == count - 1)
            #expect(s["unigramPositions"] as? Int == 0)
            #expect(s["termsByKind"] as? [String: Int] == ["bigram": 1, "unigram": 0, "word": 0, "number": 0])
            let found = try runSou(sou, ["search", "-c", "-i", index, String(repeating: "啊", count: 50)])
            #expect(found.status == 0 && found.out.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix("1"), "\(found.out) \(found.err)")
        }
        let added = 1_000_000 * 3
        let small = try #require(rss[1_000_000]), large = try #require(rss[2_000_000])
        #expect(!Self.measuresMemory || large - small <= 3 * added, "peak RSS \(small >> 20) MB for 3 MB, \(large >> 20) MB for 6 MB")
    }

    @Test("100,000 tiny documents are indexed and counted exactly (-c against counts computed here); each document adds at most 1 KB of memory")
    func manyTinyDocuments() throws {
        defer { cleanUp() }
        func lines(_ range: Range<Int>) -> String {
            var lines = ""
            lines.reserveCapacity(range.count * 40)
            for i in range {
                lines += "{\"id\":\"\(i)\",\"body\":\"协商\(i % 7 == 0 ? "甲乙" : "")\(i % 11 == 0 ? " 丙丁" : "") n\(i)\"}\n"
            }
            return lines
        }
        let n = 100_000
        try write(lines(0..<n / 2), to: path("half.jsonl"))
        try write(lines(0..<n), to: path("tiny.jsonl"))
        // the memory the second half adds (a sanitizer's or allocator's fixed costs cancel out)
        let halfRSS = try peakRSS(path("half.jsonl")), rss = try peakRSS(path("tiny.jsonl"))
        #expect(!Self.measuresMemory || rss - halfRSS <= n / 2 * 1024, "peak RSS \(halfRSS >> 20) MB for \(n / 2) documents, \(rss >> 20) MB for \(n)")
        try build(path("tiny.jsonl"), path("tiny.sou"))
        let index = path("tiny.sou")
        #expect(try stats(index)["documents"] as? Int == n)
        func count(_ query: String) throws -> Int {
            let r = try runSou(sou, ["search", "-c", "-i", index, query])
            return Int(r.out.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? "") ?? -1
        }
        #expect(try count("甲乙") == (0..<n).filter { $0 % 7 == 0 }.count)
        #expect(try count("丙丁") == (0..<n).filter { $0 % 11 == 0 }.count)
        #expect(try count("甲乙 丙丁") == (0..<n).filter { $0 % 77 == 0 }.count)
        #expect(try count("协商") == n)
        let listed = try runSou(sou, ["search", "-l", "-i", index, "n99999"])
        #expect(listed.out.split(separator: "\n").map(String.init) == ["99999"], "\(listed.out) \(listed.err)")
    }
}
