import Foundation
import SouAnalysis
import SouIndexing
import SouTestSupport
import Testing

/// `sou` loads FoundationEssentials, not full Foundation (whose internationalization library and
/// ICU copy were a third of a search's start-up), loads ICU only when it analyzes text, and the
/// C-library replacements of what the package took from full Foundation behave as Foundation
/// does (Foundation is the oracle here).
@Suite("Start-up: no full Foundation, and its replacements agree with it")
struct StartupTests {
    @Test("the sou executable does not load libFoundation, FoundationInternationalization or Foundation's ICU")
    func executableLoadsNoFullFoundation() throws {
        let sou = try #require(souExecutable(), "the sou executable is not built next to the tests")
        // the dynamic loader lists what it loads and stops (what ldd does)
        let run = try runSouBounded(sou, [], environment: ["LD_TRACE_LOADED_OBJECTS": "1"])
        #expect(run.status == 0, "\(run)")
        let listing = run.out
        #expect(listing.contains("libc.so"), "\(listing)")
        for library in ["libFoundation.so", "libFoundationInternationalization.so", "lib_FoundationICU.so"] {
            #expect(!listing.contains(library), "sou loads \(library):\n\(listing)")
        }
    }

    @Test("the processor count the builds default to is Foundation's activeProcessorCount (affinity mask capped by a cgroup CPU quota)")
    func processorCountAgreesWithFoundation() {
        #expect(activeProcessorCount == ProcessInfo.processInfo.activeProcessorCount)
        #expect(activeProcessorCount >= 1)
    }

    @Test("the summaries of index, index --json and stats --open-time give the file's real size and formatted numbers")
    func summariesWithoutFoundationFormatting() throws {
        let sou = try #require(souExecutable(), "the sou executable is not built next to the tests")
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try write("集体协商 工资", to: folder.appendingPathComponent("in/a.txt").path)
        try write("职工代表", to: folder.appendingPathComponent("in/b.txt").path)
        let out = folder.appendingPathComponent("x.sou").path
        let built = try runSouBounded(sou, ["index", folder.appendingPathComponent("in").path, "-o", out])
        #expect(built.status == 0, "\(built)")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: out)[.size] as? NSNumber).intValue
        let line = built.err.trimmingCharacters(in: .newlines)
        #expect(line.wholeMatch(of: /indexed 2 documents \(0\.00 MB\) in \d+\.\d\d s \(\d+\.\d MB\/s\): \d+ terms, \d+ postings, \d+ positions; (.+): (\d+) bytes/)
            .map { ($0.1 == out, Int($0.2) == size) } ?? (false, false) == (true, true), "\(built)")

        let json = try runSouBounded(sou, ["index", folder.appendingPathComponent("in").path, "-o", out, "--json", "--rebuild"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any], "\(json)")
        #expect(object["index"] as? String == out)
        #expect(object["documents"] as? Int == 2)
        let speed = try #require(object["megabytesPerSecond"] as? Double)
        #expect((speed * 100).rounded() / 100 == speed)
        #expect(!json.out.contains("\\/"), "slashes are not escaped: \(json.out)")

        let opened = try runSouBounded(sou, ["stats", "--open-time", out])
        #expect(opened.status == 0, "\(opened)")
        #expect(opened.out.hasPrefix("\(out): \(size) bytes, open "), "\(opened)")
        #expect(opened.out.contains(/best \d+\.\d µs, mean \d+\.\d µs over 200 opens/), "\(opened)")
    }

    @Test("the sou executable has the Swift runtime and FoundationEssentials linked in: it loads none of their shared libraries")
    func executableLinksSwiftStatically() throws {
        let sou = try #require(souExecutable(), "the sou executable is not built next to the tests")
        let run = try runSouBounded(sou, [], environment: ["LD_TRACE_LOADED_OBJECTS": "1"])
        #expect(run.status == 0, "\(run)")
        for library in ["libswiftCore.so", "libFoundationEssentials.so", "libswift_Concurrency.so", "libdispatch.so"] {
            #expect(!run.out.contains(library), "sou loads \(library):\n\(run.out)")
        }
    }

    @Test("ICU is loaded when text is analyzed, not at start: --version, stats and an index run that reads nothing do not load it, nor a search once the character data file is written; libicui18n only for variant folding and charset detection")
    func icuLoadedOnFirstUse() throws {
        let sou = try #require(souExecutable(), "the sou executable is not built next to the tests")
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("in").path
        try write("集体协商 工资", to: input + "/a.txt")
        let out = folder.appendingPathComponent("x.sou").path
        // the dynamic loader names every library it loads, at start or by dlopen, on stderr; the
        // character data file goes to a folder of this test's
        let cache = folder.appendingPathComponent("cache").path
        let trace = ["LD_DEBUG": "files", "SOU_CACHE": cache]
        let listing = try runSouBounded(sou, [], environment: ["LD_TRACE_LOADED_OBJECTS": "1"])
        #expect(listing.status == 0 && !listing.out.contains("libicu"), "sou links ICU:\n\(listing)")

        let built = try runSouBounded(sou, ["index", input, "-o", out], environment: trace)
        #expect(built.status == 0, "\(built)")
        #expect(built.err.contains("libicuuc.so"), "building analyzes text, yet ICU was not loaded:\n\(built.err)")
        // UTF-8 text without variant folding needs neither the transliterator nor the charset
        // detector: libicui18n stays unloaded
        #expect(!built.err.contains("libicui18n.so"), "building UTF-8 text loads libicui18n:\n\(built.err)")
        for arguments in [["--version"], ["index", input, "-o", out], ["stats", out]] {
            let run = try runSouBounded(sou, arguments, environment: trace)
            #expect(run.status == 0, "\(arguments): \(run)")
            #expect(!run.err.contains("libicu"), "sou \(arguments.joined(separator: " ")) loads ICU:\n\(run.err)")
        }
        // with the character data file, text whose only normalization segments are a character
        // followed by ones NFKC_Casefold removes (groff's soft hyphens, zero-width spaces) is
        // analyzed without ICU; a combining mark that composes with its base needs it
        try write("co\u{AD}operate 集体\u{200B}协商 パイプ\u{FE0F}", to: input + "/b.txt")
        let removed = try runSouBounded(sou, ["index", input, "-o", out], environment: trace)
        #expect(removed.status == 0 && !removed.err.contains("libicu"), "text with only removed characters loads ICU:\n\(removed)")
        try write("caf\u{65}\u{301}", to: input + "/c.txt")
        let combined = try runSouBounded(sou, ["index", input, "-o", out], environment: trace)
        #expect(combined.status == 0 && combined.err.contains("libicuuc.so"), "a combining mark normalized without ICU:\n\(combined)")
        let found = try runSouBounded(sou, ["search", "-i", out, "cooperate", "-c"], environment: trace)
        #expect(found.status == 0 && found.out == "1\n", "\(found)")
        // the first build wrote the character data file: a search reads its characters from it
        #expect(FileManager.default.fileExists(atPath: cache + "/" + CharacterDataFile.fileName), "no character data file in \(cache)")
        let searched = try runSouBounded(sou, ["search", "-i", out, "工资", "-c"], environment: trace)
        #expect(searched.status == 0 && searched.out == "1\n", "\(searched)")
        #expect(!searched.err.contains("libicu"), "a search with the character data file loads ICU:\n\(searched.err)")
        // without it (a cache folder that cannot be created) the search derives its characters from ICU
        try write("x", to: folder.appendingPathComponent("plain").path)
        let noFile = ["LD_DEBUG": "files", "SOU_CACHE": folder.appendingPathComponent("plain/cache").path]
        let derived = try runSouBounded(sou, ["search", "-i", out, "工资", "-c"], environment: noFile)
        #expect(derived.status == 0 && derived.out == "1\n", "\(derived)")
        #expect(derived.err.contains("libicuuc.so"), "a search analyzes its query, yet ICU was not loaded:\n\(derived.err)")
        #expect(!derived.err.contains("libicui18n.so"), "a search loads libicui18n:\n\(derived.err)")
        // the transliterator (--fold-variants) and the charset detector (text that is not UTF-8) load it
        let folded = try runSouBounded(sou, ["index", input, "-o", folder.appendingPathComponent("f.sou").path, "--fold-variants"], environment: trace)
        #expect(folded.status == 0 && folded.err.contains("libicui18n.so"), "--fold-variants without libicui18n:\n\(folded)")
        let latin1 = folder.appendingPathComponent("latin1").path
        try FileManager.default.createDirectory(atPath: latin1, withIntermediateDirectories: true)
        try Data("caf\u{E9} cr\u{E8}me br\u{FB}l\u{E9}e, d\u{E9}j\u{E0} vu, na\u{EF}ve fa\u{E7}ade. Le caf\u{E9} de la r\u{E9}publique fran\u{E7}aise est tr\u{E8}s c\u{E9}l\u{E8}bre pour son cr\u{E8}me br\u{FB}l\u{E9}e et ses g\u{E2}teaux.\n".unicodeScalars.map { UInt8($0.value) })
            .write(to: URL(fileURLWithPath: latin1 + "/a.txt"))
        let detected = try runSouBounded(sou, ["index", latin1, "-o", folder.appendingPathComponent("l.sou").path], environment: trace)
        #expect(detected.status == 0 && detected.err.contains("libicui18n.so"), "text that is not UTF-8 indexed without libicui18n:\n\(detected)")
    }

    @Test("cFormat writes what String(format:) writes for the conversions the package uses")
    func cFormatAgreesWithFoundation() {
        var rng = SplitMix64(seed: 9)
        for _ in 0..<2000 {
            let bits = rng.next()
            let x = Double(Int64(bitPattern: bits) % 10_000_000_000) / Double(1 << (rng.next() % 40))
            let n = Int(Int64(bitPattern: rng.next()) >> Int64(rng.next() % 64))
            let u = UInt32(truncatingIfNeeded: rng.next() >> (rng.next() % 32))
            let digits = Int(rng.next() % 7)
            #expect(cFormat("%.1f", x) == String(format: "%.1f", x))
            #expect(cFormat("%.3f s", x) == String(format: "%.3f s", x))
            #expect(cFormat("%5.1f%%", x) == String(format: "%5.1f%%", x))
            #expect(cFormat("%.*f", Int32(digits), x) == String(format: "%.\(digits)f", x))
            #expect(cFormat("%12ld|%-6ld|%3ld%%", n, n, n) == String(format: "%12ld|%-6ld|%3ld%%", n, n, n))
            #expect(cFormat("(stored %08x, computed %08x)", u, u &+ 1) == String(format: "(stored %08x, computed %08x)", u, u &+ 1))
            #expect(cFormat("\\u%04x", u % 0x20) == String(format: "\\u%04x", u % 0x20))
        }
        #expect(cFormat("best %.1f µs over %ld opens", 12.25, 200) == "best 12.2 µs over 200 opens")
        #expect(cFormat("") == "")
    }

    @Test("PathText.deletingLastComponent gives what NSString.deletingLastPathComponent gives for ordinary paths")
    func deletingLastComponentOfOrdinaryPaths() {
        // the expected values are Foundation's (taken from a program calling it on each path
        // as a process argument: called on a string literal such as "a", this Foundation crashes)
        let expected = ["a": "", "/a": "/", "a/b": "a", "/a/b": "/a", "a/b/": "a", "a//b": "a", "/a//b/": "/a", "./x": ".",
                        "../x/y": "../x", "目录/文件.sou": "目录", "\u{E9}/x": "\u{E9}", "/": "/", "": "", "x.sou": "",
                        "/tmp/startup/x.sou": "/tmp/startup", "a/b/c/d.txt": "a/b/c", "/a/b/c/": "/a/b", "..": "", "../": ""]
        for (path, folder) in expected {
            #expect(PathText.deletingLastComponent(path) == folder, "\(path.debugDescription)")
        }
    }

    @Test("PathText.deletingLastComponent cuts at a slash also before a combining mark")
    func deletingLastComponentBeforeCombiningMarks() {
        #expect(PathText.deletingLastComponent("/\u{301}") == "/")
        #expect(PathText.deletingLastComponent("a/\u{301}x") == "a")
        #expect(PathText.deletingLastComponent("a\u{301}/b") == "a\u{301}")
        #expect(PathText.deletingLastComponent("//") == "/")
        #expect(PathText.deletingLastComponent("//a") == "/")
    }

    @Test("trimmingWhitespace agrees with trimmingCharacters(in: .whitespaces)")
    func trimmingAgreesWithFoundation() {
        let alphabet: [Unicode.Scalar] = [" ", "\t", "\n", "\r", "\u{A0}", "\u{3000}", "\u{2003}", "\u{200B}", "\u{FEFF}", "a", "7", "工", "\u{301}", "-"]
        var rng = SplitMix64(seed: 91)
        for _ in 0..<3000 {
            var s = String.UnicodeScalarView()
            for _ in 0..<Int(rng.next() % 8) { s.append(alphabet[Int(rng.next() % UInt64(alphabet.count))]) }
            let text = String(s)
            #expect(text.trimmingWhitespace == text.trimmingCharacters(in: .whitespaces), "\(text.debugDescription)")
            #expect(text[...].trimmingWhitespace == text.trimmingCharacters(in: .whitespaces), "\(text.debugDescription)")
        }
    }

    @Test("replacingScalars agrees with replacingOccurrences(of:with:) on text without combining marks")
    func replacingAgreesWithFoundation() {
        let alphabet: [Unicode.Scalar] = ["'", "/", "*", "a", "工", "\\", " "]
        let cases: [(String, String)] = [("'", "'\\''"), ("/**/", "/"), ("rebuild it to change", "use --rebuild to change"), ("a", "")]
        var rng = SplitMix64(seed: 92)
        for _ in 0..<3000 {
            var s = String.UnicodeScalarView()
            for _ in 0..<Int(rng.next() % 12) { s.append(alphabet[Int(rng.next() % UInt64(alphabet.count))]) }
            let text = String(s)
            for (target, replacement) in cases {
                #expect(text.replacingScalars(target, with: replacement) == text.replacingOccurrences(of: target, with: replacement),
                        "\(text.debugDescription) \(target)")
            }
        }
    }

    @Test("replacingScalars replaces a quote also before a combining mark (Foundation compares Characters and leaves it)")
    func replacingBeforeCombiningMarks() {
        // the shell quoting of `sou search`'s usage hints must escape every quote: a quote that
        // begins a Character with a combining mark is still a quote to the shell
        #expect("x'\u{301}y".replacingScalars("'", with: "'\\''") == "x'\\''\u{301}y")
        #expect("a\u{301}a".replacingScalars("a", with: "b") == "b\u{301}b")
        #expect("''".replacingScalars("'", with: "") == "")
        #expect("abc".replacingScalars("", with: "x") == "abc")
    }

    @Test("isAlphanumeric holds every scalar CharacterSet.alphanumerics holds, and only those up to Unicode 8")
    func alphanumericAgreesWithFoundation() {
        // Foundation's set lags the stdlib's Unicode data (Tangut, Unicode 9, is not in it): the
        // letters and digits assigned since are alphanumeric to the stdlib only
        let set = CharacterSet.alphanumerics
        var differences: [String] = []
        for value in UInt32(0)..<0x110000 {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let inFoundation = set.contains(scalar)
            if inFoundation, !scalar.isAlphanumeric { differences.append("U+" + String(value, radix: 16) + " (not alphanumeric)") }
            if let age = scalar.properties.age, age.major > 8 { continue }
            if scalar.isAlphanumeric, !inFoundation { differences.append("U+" + String(value, radix: 16)) }
        }
        #expect(differences.isEmpty, "\(differences.prefix(20))")
    }

    @Test("scalarsAfterFirst finds the marker scalar by scalar, also before a combining mark")
    func scalarsAfterFirst() {
        #expect("Error: Unknown option '-x'".scalarsAfterFirst("Unknown option '").map(String.init) == "-x'")
        #expect("Unknown option '\u{301}z'".scalarsAfterFirst("Unknown option '").map(String.init) == "\u{301}z'")
        #expect("no such thing".scalarsAfterFirst("Unknown option '") == nil)
        #expect("ab".scalarsAfterFirst("ab").map(String.init) == "")
    }

    @Test("readPrefix reads the first bytes; nil with errno for a missing file; none for a folder")
    func readPrefixOfFiles() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("f")
        try Data("SOUINDEX and more".utf8).write(to: file)
        #expect(readPrefix(ofFile: file.path, count: 8) == Array("SOUINDEX".utf8))
        #expect(readPrefix(ofFile: file.path, count: 100) == Array("SOUINDEX and more".utf8))
        #expect(readPrefix(ofFile: folder.appendingPathComponent("missing").path, count: 8) == nil)
        #expect(errno == ENOENT)
        #expect(readPrefix(ofFile: folder.path, count: 8) == [])
    }
}
