import Foundation
import SouTestSupport
import Testing
@testable import SouIndexing

/// Runs `sou` with `arguments` and `TMPDIR` set to `temporary`; returns exit status, stdout, stderr.
private func runSou(_ sou: URL, _ arguments: [String], temporary: URL) throws -> (status: Int32, out: String, err: String) {
    let p = Process()
    p.executableURL = sou
    p.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment["TMPDIR"] = temporary.path
    p.environment = environment
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

/// A JSON Lines file of `count` documents of random CJK and Latin text.
private func corpus(_ count: Int, in folder: URL, seed: UInt64 = 9) throws -> String {
    var rng = SplitMix64(seed: seed)
    var lines = ""
    for i in 0..<count {
        let body = randomText(&rng, length: 200 + Int(rng.next() % 400)).replacingOccurrences(of: "\n", with: "\\n")
        lines += "{\"id\":\"d\(i)\",\"title\":\"第\(i)篇\",\"body\":\"\(body)\"}\n"
    }
    let path = folder.appendingPathComponent("c.jsonl").path
    try write(lines, to: path)
    return path
}

private func json(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text.prefix(300))")
}

private func number(_ object: [String: Any], _ key: String) -> Double {
    (object[key] as? NSNumber)?.doubleValue ?? .nan
}

private func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-9 * max(1, abs(a), abs(b)) }

@Suite("sou bench index and sou bench search", .serialized)
struct BenchCLITests {
    @Test("bench index --json: one row per jobs and scale, consistent figures, the temporary files removed")
    func benchIndexJSON() throws {
        let sou = try #require(souExecutable(), "the sou executable is not built next to the tests")
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let temporary = folder.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        let input = try corpus(120, in: folder)
        let r = try runSou(sou, ["bench", "index", input, "--runs", "3", "--jobs", "1,2", "--scale", "1,3", "--json"], temporary: temporary)
        #expect(r.status == 0, "\(r.err)")
        let report = try json(r.out)
        #expect(report["runs"] as? Int == 3)
        let results = try #require(report["results"] as? [[String: Any]])
        #expect(results.map { [$0["jobs"] as? Int ?? 0, $0["scale"] as? Int ?? 0] } == [[1, 1], [2, 1], [1, 3], [2, 3]])
        // the oracle: the same documents built in this process
        let reference = folder.appendingPathComponent("reference.sou")
        _ = try IndexBuilder().build(paths: [input], to: reference)
        let built = try IndexReader(contentsOf: reference)
        let tokens = built.segments.reduce(0) { $0 + $1.reader.totalDocumentLength }
        let inputBytes = try Data(contentsOf: URL(fileURLWithPath: input)).count
        for row in results {
            let k = row["scale"] as? Int ?? 0
            #expect(row["documents"] as? Int == 120 * k)
            #expect(row["tokens"] as? Int == tokens * k)
            // the input bytes read: the documents' text (title + "\n" + body), at most the file's bytes
            let bytes = number(row, "inputBytes")
            #expect(bytes > 0 && bytes <= Double(inputBytes * k))
            let seconds = try #require(row["seconds"] as? [String: Any])
            let runs = try #require(seconds["runs"] as? [Double])
            #expect(runs.count == 3)
            let sorted = runs.sorted()
            #expect(number(seconds, "min") == sorted[0] && number(seconds, "max") == sorted[2] && number(seconds, "median") == sorted[1])
            let median = number(seconds, "median")
            #expect(median > 0)
            #expect(close(number(row, "megabytesPerSecond"), bytes / 1e6 / median))
            #expect(close(number(row, "documentsPerSecond"), Double(120 * k) / median))
            #expect(close(number(row, "tokensPerSecond"), Double(tokens * k) / median))
            let rss = try #require(row["peakRSSBytesRuns"] as? [Int])
            #expect(rss.count == 3 && rss.allSatisfy { $0 > 1 << 20 && $0 < 1 << 32 })
            #expect(row["peakRSSBytes"] as? Int == rss.max())
            #expect(number(row, "cpuSeconds") > 0)
            #expect(row["segments"] as? Int == 1 && row["segmentFlushes"] as? Int == 1 && row["segmentMerges"] as? Int == 0)
            let phases = try #require(row["phases"] as? [String: [String: Any]])
            for phase in ["read", "analyze", "compress", "invert", "serialize", "write"] {
                let p = try #require(phases[phase], "no \(phase) phase")
                #expect(number(p, "cpuSeconds") >= 0 && number(p, "wallSeconds") >= 0 && (p["count"] as? Int ?? 0) > 0)
            }
            // (the phases' CPU against the process's CPU is checked on one run, in `baseline()`:
            // here each figure is a median over the runs, and a sum of medians may exceed the
            // median of the sums)
        }
        // the file is the same for any number of jobs
        #expect(results[0]["indexBytes"] as? Int == results[1]["indexBytes"] as? Int)
        #expect(results[2]["indexBytes"] as? Int == results[3]["indexBytes"] as? Int)
        #expect((results[2]["indexBytes"] as? Int ?? 0) > (results[0]["indexBytes"] as? Int ?? 0))
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.path) == [])
    }

    @Test("bench index prints a table whose rows agree with themselves")
    func benchIndexText() throws {
        let sou = try #require(souExecutable(), "the sou executable is not built next to the tests")
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = try corpus(80, in: folder)
        let r = try runSou(sou, ["bench", "index", input, "--runs", "2", "--jobs", "1,2"], temporary: folder)
        #expect(r.status == 0, "\(r.err)")
        let lines = r.out.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("sou bench index \(input): 80 documents") == true)
        let header = try #require(lines.firstIndex { $0.hasPrefix("jobs  scale  documents") })
        #expect(lines[header].hasSuffix("CPU s  speed-up"))
        let cells = lines[header + 1].split(separator: " ").map(String.init)
        #expect(cells.count == 14)
        #expect(cells[0] == "1" && cells[1] == "1" && cells[2] == "80")
        // the speed-up is the one-job row's median seconds over the row's: 1 for that row itself,
        // the ratio of the printed medians (each rounded to 3 decimals) for the two-job row
        #expect(cells[13] == "1.00")
        let two = lines[header + 2].split(separator: " ").map(String.init)
        #expect(two.count == 14 && two[0] == "2")
        if let m1 = Double(cells[5]), let m2 = Double(two[5]), let speedUp = Double(two[13]), m2 > 0.0005 {
            let h = 0.0005   // (half a unit of the medians' last digit; the speed-up's is 0.005)
            #expect(speedUp >= (m1 - h) / (m2 + h) - 0.005 && speedUp <= (m1 + h) / (m2 - h) + 0.005,
                    "\(cells[5]) / \(two[5]) vs \(two[13])")
        } else {
            Issue.record("unreadable medians or speed-up: \(cells[5]), \(two[5]), \(two[13])")
        }
        let mb = Double(cells[3]) ?? .nan, minimum = Double(cells[4]) ?? .nan, median = Double(cells[5]) ?? .nan
        let maximum = Double(cells[6]) ?? .nan, rate = Double(cells[7]) ?? .nan
        #expect(minimum <= median && median <= maximum)
        // MB/s is the input over the median seconds: all three are printed rounded, so the check
        // allows half a unit of the last printed digit of each
        func halfUnit(_ cell: String) -> Double {
            guard let dot = cell.firstIndex(of: ".") else { return 0.5 }
            return 0.5 * pow(10, -Double(cell.distance(from: cell.index(after: dot), to: cell.endIndex)))
        }
        let (dm, ds, dr) = (halfUnit(cells[3]), halfUnit(cells[5]), halfUnit(cells[7]))
        #expect(rate + dr >= (mb - dm) / (median + ds) && rate - dr <= (mb + dm) / max(median - ds, 1e-9),
                "\(cells[3]) MB / \(cells[5]) s vs \(cells[7]) MB/s")
        #expect(r.out.contains("CPU seconds (per-thread CPU clocks summed over threads"))
        let phases = try #require(lines.firstIndex { $0.contains("read and parse") && $0.contains("analyze") })
        #expect(lines[phases + 1].split(separator: " ").prefix(2) == ["1", "1"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["c.jsonl"])
    }

    @Test("--baseline prints the ratios to a saved result, and exits 1 when slower than --max-regression")
    func baseline() throws {
        let sou = try #require(souExecutable(), "the sou executable is not built next to the tests")
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = try corpus(60, in: folder)
        let first = try runSou(sou, ["bench", "index", input, "--runs", "1", "--jobs", "1", "--json"], temporary: folder)
        #expect(first.status == 0, "\(first.err)")
        var saved = try json(first.out)
        var rows = try #require(saved["results"] as? [[String: Any]])
        // one run: CPU spent in the phases is CPU the build's process spent
        let phases = try #require(rows.first?["phases"] as? [String: [String: Any]])
        let phaseCPU = phases.values.reduce(0) { $0 + number($1, "cpuSeconds") }
        #expect(phaseCPU > 0 && phaseCPU <= number(rows[0], "cpuSeconds") * 1.05 + 0.01)
        // a baseline 1000 times faster than anything: a regression
        rows[0]["megabytesPerSecond"] = number(rows[0], "megabytesPerSecond") * 1000
        saved["results"] = rows
        let fast = folder.appendingPathComponent("fast.json")
        try JSONSerialization.data(withJSONObject: saved).write(to: fast)
        let slower = try runSou(sou, ["bench", "index", input, "--runs", "1", "--jobs", "1", "--json",
                                      "--baseline", fast.path, "--max-regression", "10"], temporary: folder)
        #expect(slower.status == 1)
        #expect(slower.err.contains("slower than the baseline by more than 10.0%: jobs 1 scale 1"))
        let report = try json(slower.out)
        let now = try #require((report["results"] as? [[String: Any]])?.first)
        let comparison = try #require((report["comparisons"] as? [[String: Any]])?.first)
        let ratio = number(now, "megabytesPerSecond") / number(rows[0], "megabytesPerSecond")
        #expect(close(number(comparison, "megabytesPerSecondRatio"), ratio))
        #expect(close(number(comparison, "slowdownPercent"), (1 / ratio - 1) * 100))
        #expect(comparison["sameInput"] as? Bool == true)

        // a baseline a million times slower than the first run (the row holds 1000 times its
        // speed now): exit 0, the ratio printed in the table is over 1000 however loaded the
        // machine is (unless this run is a thousand times slower than the first)
        rows[0]["megabytesPerSecond"] = number(rows[0], "megabytesPerSecond") / 1e9
        saved["results"] = rows
        let slow = folder.appendingPathComponent("slow.json")
        try JSONSerialization.data(withJSONObject: saved).write(to: slow)
        let faster = try runSou(sou, ["bench", "index", input, "--runs", "1", "--jobs", "1",
                                      "--baseline", slow.path, "--max-regression", "10"], temporary: folder)
        #expect(faster.status == 0, "\(faster.err)")
        let lines = faster.out.split(separator: "\n").map(String.init)
        let compared = try #require(lines.firstIndex { $0.hasPrefix("Compared with \(slow.path)") })
        #expect(lines[compared + 1].split(separator: " ").prefix(3) == ["jobs", "scale", "MB/s"])
        let cells = lines[compared + 2].split(separator: " ").map(String.init)
        #expect(cells.count == 9 && cells[0] == "1" && cells[1] == "1")
        #expect((Double(cells[4]) ?? 0) > 1000)          // MB/s ratio, now ÷ then
        #expect(cells[8].hasPrefix("-") && cells[8].hasSuffix("%"))   // faster: negative slowdown

        // a baseline without the row, and one that is not a result: errors, exit 2, nothing built
        rows[0]["jobs"] = 7
        saved["results"] = rows
        let other = folder.appendingPathComponent("other.json")
        try JSONSerialization.data(withJSONObject: saved).write(to: other)
        let missing = try runSou(sou, ["bench", "index", input, "--runs", "1", "--jobs", "1", "--baseline", other.path], temporary: folder)
        #expect(missing.status == 2)
        #expect(missing.err.contains("has no row with these --jobs and --scale values (it has jobs 7 scale 1)"))
        let junk = folder.appendingPathComponent("junk.json")
        try write("{\"results\": 3}", to: junk.path)
        let bad = try runSou(sou, ["bench", "index", input, "--baseline", junk.path], temporary: folder)
        #expect(bad.status == 2)
        #expect(bad.err.contains("is not a `sou bench index --json` output"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sou") || $0.contains("tmp") } == [])
    }

    @Test("bench index refuses bad lists and stdin with a message")
    func badArguments() throws {
        let sou = try #require(souExecutable(), "the sou executable is not built next to the tests")
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for (arguments, message) in [(["--jobs", "1,x"], "--jobs: \"x\" is not a number from 1 to 256"),
                                     (["--scale", "0"], "--scale: \"0\" is not a number from 1 to 1000"),
                                     (["--runs", "0"], "--runs must be between 1 and 1000"),
                                     (["--max-regression", "5"], "--max-regression needs --baseline FILE")] {
            let r = try runSou(sou, ["bench", "index", folder.path] + arguments, temporary: folder)
            #expect(r.status != 0)
            #expect(r.err.contains(message), "\(r.err)")
        }
        let stdin = try runSou(sou, ["bench", "index", "-"], temporary: folder)
        #expect(stdin.status != 0)
        #expect(stdin.err.contains("stdin (-) cannot be read several times"))
        let inputs = folder.appendingPathComponent("empty"), temporary = folder.appendingPathComponent("tmp")
        for f in [inputs, temporary] { try FileManager.default.createDirectory(at: f, withIntermediateDirectories: true) }
        let empty = try runSou(sou, ["bench", "index", inputs.path, "--runs", "1", "--jobs", "1"], temporary: temporary)
        #expect(empty.status == 2)
        #expect(empty.err.contains("nothing to index"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.path) == [])
    }

    @Test("SIGINT to bench index ends its build and removes every temporary file")
    func interrupted() throws {
        let sou = try #require(souExecutable(), "the sou executable is not built next to the tests")
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let temporary = folder.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        let input = try corpus(300, in: folder)
        let p = Process()
        p.executableURL = sou
        p.arguments = ["bench", "index", input, "--runs", "1000", "--jobs", "1", "--scale", "20"]
        var environment = ProcessInfo.processInfo.environment
        environment["TMPDIR"] = temporary.path
        p.environment = environment
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try runWithTerminationSignalsUnblocked(p)
        // wait until a build is writing its temporary file (".sou-bench-XXXXXX.sou.tmp-…")
        let deadline = Date().addingTimeInterval(120)
        var writing = false
        while Date() < deadline, p.isRunning {
            if try FileManager.default.contentsOfDirectory(atPath: temporary.path).contains(where: { $0.contains(".tmp-") }) {
                writing = true
                break
            }
            usleep(20_000)
        }
        #expect(writing)
        kill(p.processIdentifier, SIGINT)
        let stop = Date().addingTimeInterval(60)
        while p.isRunning, Date() < stop { usleep(5_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL); Issue.record("SIGINT did not end sou bench index") }
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal && p.terminationStatus == SIGINT)
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.path) == [])
    }

    @Test("bench search: latency figures in order, the header line skipped, matches as sou search counts them")
    func benchSearch() throws {
        let sou = try #require(souExecutable(), "the sou executable is not built next to the tests")
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = try corpus(100, in: folder)
        let index = folder.appendingPathComponent("i.sou").path
        #expect(try runSou(sou, ["index", input, "-o", index, "--quiet"], temporary: folder).status == 0)
        let queries = ["的一", "是不 了人", "index", "swift OR apple", "\"the index\"", "不存在的词语"]
        let tsv = folder.appendingPathComponent("q.tsv")
        try write("query\tkind\tn\n" + queries.enumerated().map { "\($0.element)\tphrase\t\($0.offset)" }.joined(separator: "\n")
                  + "\n\n", to: tsv.path)
        let r = try runSou(sou, ["bench", "search", index, "--queries", tsv.path, "--runs", "4", "--json"], temporary: folder)
        #expect(r.status == 0, "\(r.err)")
        let report = try json(r.out)
        #expect(report["queries"] as? Int == queries.count)
        #expect(report["documents"] as? Int == 100)
        var expected = 0
        for q in queries {
            let c = try runSou(sou, ["search", "-c", "-i", index, q], temporary: folder)
            expected += Int(c.out.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1_000_000
        }
        #expect(report["totalMatches"] as? Int == expected)
        #expect(expected > 0)
        for (name, count) in [("cold", queries.count), ("warm", 4 * queries.count)] {
            let s = try #require(report[name] as? [String: Any])
            #expect(s["queries"] as? Int == count)
            let minimum = number(s, "minMilliseconds"), p50 = number(s, "p50Milliseconds"), p99 = number(s, "p99Milliseconds")
            let maximum = number(s, "maxMilliseconds"), mean = number(s, "meanMilliseconds"), qps = number(s, "queriesPerSecond")
            #expect(minimum > 0 && minimum <= p50 && p50 <= p99 && p99 <= maximum, "\(s)")
            #expect(minimum <= mean && mean <= maximum)
            // the passes take at least the queries' time: queries/s at most 1000 / mean ms
            #expect(qps > 0 && qps <= 1000 / mean * (1 + 1e-9))
        }
        #expect(number(report, "openMilliseconds") > 0 && number(report, "searcherMilliseconds") > 0)

        // text output; a plain list of queries (no header)
        let plain = folder.appendingPathComponent("q.txt")
        try write(queries.joined(separator: "\n"), to: plain.path)
        let t = try runSou(sou, ["bench", "search", index, "--queries", plain.path, "--runs", "2"], temporary: folder)
        #expect(t.status == 0, "\(t.err)")
        #expect(t.out.contains("\(queries.count) queries from \(plain.path)"))
        #expect(t.out.contains("\(expected) matching documents per pass"))
        let cold = try #require(t.out.split(separator: "\n").first { $0.hasPrefix("cold (first pass)") })
        #expect(cold.split(separator: " ").dropFirst(3).first == "\(queries.count)")

        // a malformed query is an error naming its line; so is a file without queries
        try write("query\tkind\n集体\n(工会\n", to: tsv.path)
        let bad = try runSou(sou, ["bench", "search", index, "--queries", tsv.path], temporary: folder)
        #expect(bad.status == 2)
        #expect(bad.err.contains("q.tsv line 3:"), "\(bad.err)")
        try write("query\tkind\n\n", to: tsv.path)
        let none = try runSou(sou, ["bench", "search", index, "--queries", tsv.path], temporary: folder)
        #expect(none.status == 2 && none.err.contains("holds no query"))
    }
}
