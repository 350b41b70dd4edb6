import Foundation
import SouTestSupport
import Testing
@testable import SouIndexing

/// The `sou` executable built next to this test bundle (swift test builds every product), or the
/// one `$SOU_TEST_EXECUTABLE` names (to run these tests against another build).
func souExecutable() -> URL? {
    if let path = ProcessInfo.processInfo.environment["SOU_TEST_EXECUTABLE"], !path.isEmpty {
        return URL(fileURLWithPath: path)
    }
    var candidates: [URL] = [Bundle.module.bundleURL.deletingLastPathComponent()]
    candidates.append(Bundle.main.bundleURL)
    candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
    for c in candidates {
        let url = c.appendingPathComponent("sou")
        if FileManager.default.isExecutableFile(atPath: url.path) { return url }
    }
    return nil
}

/// Runs `sou` with `arguments`; returns exit status, stdout, stderr.
func runSou(_ sou: URL, _ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
    let p = Process()
    p.executableURL = sou
    p.arguments = arguments
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

@Suite("The sou executable: index, check, stats, interrupted builds", .serialized)
struct CLITests {
    @Test("index, check and stats report on a folder; check names the damaged section and exits 2")
    func indexCheckStats() throws {
        let sou = try #require(souExecutable(), "the sou executable is not built next to the tests")
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try write("集体协商 工资", to: folder.appendingPathComponent("in/a.txt").path)
        try write("<p>集体</p>", to: folder.appendingPathComponent("in/b.html").path)
        let out = folder.appendingPathComponent("x.sou").path
        let built = try runSou(sou, ["index", folder.appendingPathComponent("in").path, "-o", out, "--json"])
        #expect(built.status == 0)
        let summary = try JSONSerialization.jsonObject(with: Data(built.out.utf8)) as? [String: Any]
        #expect(summary?["documents"] as? Int == 2)
        let checked = try runSou(sou, ["check", out])
        #expect(checked.status == 0)
        #expect(checked.out.hasPrefix("ok"))
        let stats = try runSou(sou, ["stats", out, "--json"])
        #expect(stats.status == 0)
        let s = try JSONSerialization.jsonObject(with: Data(stats.out.utf8)) as? [String: Any]
        #expect(s?["documents"] as? Int == 2)
        #expect(s?["formatVersion"] as? Int == 8)
        // damage one byte of the postings section
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: out)))
        let reader = try IndexReader(bytes: bytes)
        let segment = reader.segments[0]
        let postings = try #require(segment.reader.sections.first { $0.kind == .postings })
        bytes[segment.entry.offset + postings.range.lowerBound] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: out))
        let damaged = try runSou(sou, ["check", out])
        #expect(damaged.status == 2)
        #expect(damaged.err.contains("postings"))
    }

    @Test("kill -9 of `sou index` at any moment leaves the previous index intact")
    func killNine() throws {
        let sou = try #require(souExecutable(), "the sou executable is not built next to the tests")
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // input: ~2 MB of JSON Lines
        var rng = SplitMix64(seed: 5)
        var distinct: [String] = []
        for i in 0..<200 {
            let body = randomText(&rng, length: 300).replacingOccurrences(of: "\n", with: "\\n")
            distinct.append("{\"id\":\"X\(i)\",\"body\":\"\(body)\"}")
        }
        var lines = ""
        for i in 0..<2_400 { lines += distinct[i % 200].replacingOccurrences(of: "\"X", with: "\"\(i)-") + "\n" }
        let input = folder.appendingPathComponent("big.jsonl").path
        try write(lines, to: input)
        // the previous index
        let out = folder.appendingPathComponent("index.sou")
        try writeIndexFile([("previous", "", "以前的索引")], to: out)
        let previous = try Data(contentsOf: out)

        func run() throws -> Process {
            let p = Process()
            p.executableURL = sou
            p.arguments = ["index", input, "-o", out.path, "--quiet", "--jobs", "2"]
            p.standardError = FileHandle.nullDevice
            try p.run()
            return p
        }
        // how long a full build takes here: the faster of two, so that on a loaded machine the
        // early kills still land before the build ends
        var duration = Double.infinity
        for _ in 0..<2 {
            let t0 = Date()
            let full = try run()
            full.waitUntilExit()
            #expect(full.terminationStatus == 0)
            duration = min(duration, Date().timeIntervalSince(t0))
        }
        let built = try Data(contentsOf: out)
        #expect(try IndexReader(contentsOf: out).documentCount == 2_400)
        try previous.write(to: out)

        var interrupted = 0
        for fraction in [0.05, 0.2, 0.4, 0.6, 0.75, 0.85, 0.9, 0.95, 0.98, 1.0] {
            let p = try run()
            Thread.sleep(forTimeInterval: duration * fraction)
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let killed = p.terminationReason == .uncaughtSignal
            if killed { interrupted += 1 }
            let now = try Data(contentsOf: out)
            // the target is either the previous index (killed before the rename) or the complete new one
            #expect(now == previous || now == built, "after a kill at \(fraction) of the build the index is neither old nor new")
            #expect(throws: Never.self) { _ = try IndexReader(contentsOf: out).verify() }
            try previous.write(to: out)
        }
        #expect(interrupted >= 5, "only \(interrupted) runs were killed before finishing")
    }
}
