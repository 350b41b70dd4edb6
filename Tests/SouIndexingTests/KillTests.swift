import Foundation
import Testing
@testable import SouIndexing

/// The `sou` executable built next to this test bundle (swift test builds every product).
func souExecutable() -> URL? {
    var candidates: [URL] = [Bundle.module.bundleURL.deletingLastPathComponent()]
    candidates.append(Bundle.main.bundleURL)
    candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
    for c in candidates {
        let url = c.appendingPathComponent("sou")
        if FileManager.default.isExecutableFile(atPath: url.path) { return url }
    }
    return nil
}

@Suite("Interrupted builds", .serialized)
struct KillTests {
    @Test("kill -9 of `sou index` at any moment leaves the previous index intact")
    func killNine() throws {
        let sou = try #require(souExecutable(), "the sou executable is not built next to the tests")
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // input: ~2 MB of JSON Lines
        var rng = SplitMix(state: 5)
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
        let writer = try IndexWriter()
        try writer.addDocument(key: "previous", text: "以前的索引")
        try writer.write(to: out)
        let previous = try Data(contentsOf: out)

        func run() throws -> Process {
            let p = Process()
            p.executableURL = sou
            p.arguments = ["index", input, "-o", out.path, "--quiet", "--jobs", "2"]
            p.standardError = FileHandle.nullDevice
            try p.run()
            return p
        }
        // how long a full build takes here
        let t0 = Date()
        let full = try run()
        full.waitUntilExit()
        #expect(full.terminationStatus == 0)
        let duration = Date().timeIntervalSince(t0)
        let built = try Data(contentsOf: out)
        #expect(try SouIndex(contentsOf: out).documentCount == 2_400)
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
            #expect(throws: Never.self) { _ = try SouIndex(contentsOf: out).verify() }
            try previous.write(to: out)
        }
        #expect(interrupted >= 5, "only \(interrupted) runs were killed before finishing")
    }
}
