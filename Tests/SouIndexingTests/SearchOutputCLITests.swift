import Foundation
import Testing

/// Runs `sou` with `arguments` and `environment` changes (nil removes a variable), stdout a pipe.
func runSou(_ sou: URL, _ arguments: [String], environment changes: [String: String?]) throws -> (status: Int32, out: String, err: String) {
    let p = Process()
    p.executableURL = sou
    p.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    for (name, value) in changes { environment[name] = value }
    p.environment = environment
    p.standardInput = FileHandle.nullDevice
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

/// Runs `sou` with its stdout on a pseudo-terminal (as in an interactive shell); returns what it
/// wrote there. Killed after 60 s.
func runSouOnTerminal(_ sou: URL, _ arguments: [String], environment changes: [String: String?]) throws -> String {
    // posix_openpt, grantpt, unlockpt and ptsname sit behind _XOPEN_SOURCE in glibc's headers, so
    // Swift does not see them: look them up in libc.
    func libc<F>(_ name: String, as type: F.Type) -> F? {
        dlsym(UnsafeMutableRawPointer(bitPattern: 0), name).map { unsafeBitCast($0, to: type) }
    }
    typealias IntOfInt = @convention(c) (Int32) -> Int32
    guard let openpt = libc("posix_openpt", as: IntOfInt.self), let grantpt = libc("grantpt", as: IntOfInt.self),
          let unlockpt = libc("unlockpt", as: IntOfInt.self),
          let ptsname = libc("ptsname", as: (@convention(c) (Int32) -> UnsafeMutablePointer<CChar>?).self) else {
        throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "no pseudo-terminal functions"])
    }
    let master = openpt(O_RDWR | O_NOCTTY)
    guard master >= 0, grantpt(master) == 0, unlockpt(master) == 0, let name = ptsname(master).map({ String(cString: $0) }) else {
        throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "no pseudo-terminal"])
    }
    defer { close(master) }
    let slave = open(name, O_RDWR | O_NOCTTY)
    guard slave >= 0 else { throw CocoaError(.fileReadUnknown) }
    let p = Process()
    p.executableURL = sou
    p.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    for (name, value) in changes { environment[name] = value }
    p.environment = environment
    p.standardInput = FileHandle.nullDevice
    let terminal = FileHandle(fileDescriptor: slave, closeOnDealloc: false)
    p.standardOutput = terminal
    p.standardError = FileHandle.nullDevice
    try p.run()
    close(slave)
    var data = Data()
    var buffer = [UInt8](repeating: 0, count: 4096)
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline {
        var fds = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        let ready = poll(&fds, 1, 100)
        if ready > 0 {
            let n = read(master, &buffer, buffer.count)
            if n <= 0 { break } // EIO: the child closed the terminal
            data.append(buffer, count: n)
        } else if !p.isRunning {
            break
        }
    }
    if p.isRunning { kill(p.processIdentifier, SIGKILL) }
    p.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

/// Terminal columns of text made only of ASCII, CJK Unified Ideographs, CJK punctuation and "…"
/// (the test texts): the oracle for cuts, independent of Sou's width table.
func simpleColumns(_ s: Substring) -> Int {
    s.unicodeScalars.reduce(0) { width, c in
        switch c.value {
        case 0x20..<0x7F, 0x2026: return width + 1
        case 0x3000...0x303F, 0x4E00...0x9FFF, 0xFF01...0xFF60: return width + 2
        default:
            Issue.record("unexpected character U+\(String(c.value, radix: 16)) in \(s)")
            return width + 1
        }
    }
}

/// `sou search` output and terminal manners (issue 8 defect 8, features; issue 10 D23, D25, D29).
/// Each test says what happened before.
@Suite("sou search output: colour, widths, totals, escaping, context, vimgrep, show, offset", .serialized)
struct SearchOutputCLITests {
    let sou: URL
    let folder: URL
    let index: String
    /// The text files of the fixture, by name.
    let files: [String: String]
    static let phrase = "集体协商"

    init() throws {
        sou = try #require(souExecutable(), "the sou executable is not built next to the tests")
        folder = try temporaryFolder()
        let filler = Array("甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥")
        func run(_ n: Int, from k: Int) -> String { String((0..<n).map { filler[($0 + k) % filler.count] }) }
        var files = [
            "law.txt": "第一章 总则\n本法规定集体协商的程序。\n工资由双方商定。\n其他事项。\n附则\n集体协商应当公开，集体协商每年一次。\n结束。\n",
            "long.txt": run(150, from: 0) + Self.phrase + run(150, from: 3) + "\n第二行\n",
            "other.txt": "没有相关内容。\n",
        ]
        // documents 1…10 hold the phrase k times: the ranking and the total are known
        for k in 1...10 { files["many/\(k).txt"] = Array(repeating: "会议" + Self.phrase + "。", count: k).joined(separator: "\n") + "\n" }
        self.files = files
        for (name, text) in files { try write(text, to: folder.appendingPathComponent("in/" + name).path) }
        index = folder.appendingPathComponent("x.sou").path
        let built = try runSou(sou, ["index", folder.appendingPathComponent("in").path, "-o", index, "--quiet"])
        #expect(built.status == 0, "\(built)")
    }

    func search(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        try runSou(sou, ["search", "-i", index] + arguments)
    }

    /// The key under which `name` was indexed (as `-l` prints it).
    func key(_ name: String) throws -> String {
        let r = try search(["-l", "-n", "100", Self.phrase])
        return try #require(r.out.split(separator: "\n").first { $0.hasSuffix(name) }.map(String.init), "\(name) in \(r.out)")
    }

    /// The files holding the phrase.
    var matchingFiles: [String] { files.filter { $0.value.contains(Self.phrase) }.map(\.key) }

    /// The lines of the fixture holding the phrase.
    var matchingLineCount: Int { files.values.flatMap { $0.split(separator: "\n") }.filter { $0.contains(Self.phrase) }.count }

    // MARK: terminal manners

    /// Before: colour whenever stdout was a terminal, whatever NO_COLOR and TERM said.
    @Test("on a terminal, NO_COLOR and TERM=dumb turn colour off; --color always forces it; a pipe gets none")
    func colour() throws {
        let arguments = ["search", "-i", index, "-n", "1", Self.phrase]
        let escape = "\u{1B}["
        let capable = try runSouOnTerminal(sou, arguments, environment: ["TERM": "xterm-256color", "NO_COLOR": nil])
        #expect(capable.contains(escape), "a capable terminal gets colour: \(capable)")
        #expect(capable.contains(Self.phrase))
        let noColor = try runSouOnTerminal(sou, arguments, environment: ["TERM": "xterm-256color", "NO_COLOR": "1"])
        #expect(!noColor.contains(escape), "\(noColor)")
        #expect(noColor.contains(Self.phrase))
        let dumb = try runSouOnTerminal(sou, arguments, environment: ["TERM": "dumb", "NO_COLOR": nil])
        #expect(!dumb.contains(escape), "\(dumb)")
        let emptyNoColor = try runSouOnTerminal(sou, arguments, environment: ["TERM": "xterm", "NO_COLOR": ""])
        #expect(emptyNoColor.contains(escape), "an empty NO_COLOR does not count")
        let forced = try runSouOnTerminal(sou, arguments + ["--color", "always"], environment: ["TERM": "dumb", "NO_COLOR": "1"])
        #expect(forced.contains(escape))
        let never = try runSouOnTerminal(sou, arguments + ["--color", "never"], environment: ["TERM": "xterm", "NO_COLOR": nil])
        #expect(!never.contains(escape))
        #expect(!(try runSou(sou, arguments, environment: ["TERM": "xterm", "NO_COLOR": nil]).out.contains(escape)))
        #expect(try runSou(sou, arguments + ["--color", "always"], environment: [:]).out.contains(escape))
    }

    /// Before: cut at 120 characters (~240 columns of CJK); `--max-columns 0` meant 8.
    @Test("long CJK lines are cut to --max-columns display columns around the match; 0 means no limit; negative is an error")
    func displayWidthCut() throws {
        let longLine = try #require(files["long.txt"]?.split(separator: "\n").first)
        for columns in [20, 40, 121] {
            let r = try search(["--max-columns", String(columns), "--color", "never", "-n", "100", Self.phrase])
            #expect(r.status == 0)
            let lines = r.out.split(separator: "\n").filter { $0.contains(Self.phrase) && $0.first?.isNumber == true }
            #expect(lines.count == matchingLineCount, "\(r.out)")
            for line in lines {
                let text = line.drop { $0 != ":" }.dropFirst()
                #expect(simpleColumns(text) <= columns, "\(columns): \(text)")
            }
            let cut = try #require(lines.first { $0.contains(":…") }).drop { $0 != ":" }.dropFirst()
            #expect(cut.hasPrefix("…") && cut.hasSuffix("…"))
            #expect(simpleColumns(cut) >= columns - 2, "the cut uses the columns it has: \(cut)")
        }
        let whole = try search(["--max-columns", "0", "--color", "never", "-n", "100", Self.phrase])
        #expect(whole.out.split(separator: "\n").contains { $0.hasSuffix(":" + longLine) })
        let negative = try search(["--max-columns", "-5", Self.phrase])
        #expect(negative.status == 2)
        #expect(negative.err.contains("--max-columns must be 0 or more"), "\(negative.err)")
    }

    /// Before: "-n1" took the query as its value; "-n -1", "--k1 -1" and "--b -0" were "Missing value".
    @Test("-n1 is -n 1; negative or non-finite values are range errors (exit 2); --b -0 is 0")
    func numericOptions() throws {
        let one = try search(["-n1", "-l", Self.phrase])
        #expect(one.status == 0, "\(one)")
        #expect(one.out.split(separator: "\n").count == 1)
        // -m and -M are rg's short names of --max-count and --max-columns (here --max-lines, --max-columns)
        let short = try search(["-m1", "-M", "12", "-n", "3", Self.phrase])
        let long = try search(["--max-lines", "1", "--max-columns", "12", "-n", "3", Self.phrase])
        #expect(short.status == 0 && short.out == long.out && short.out.contains("…"), "\(short)\n\(long)")
        let negative = try search(["-n", "-1", Self.phrase])
        #expect(negative.status == 2)
        #expect(negative.err.contains("-n/--limit must be 0 or more (got -1)"), "\(negative.err)")
        for (option, value, message) in [("--k1", "-1", "illegal k1 value: -1.0"), ("--k1", "nan", "illegal k1 value: nan"),
                                         ("--k1", "inf", "illegal k1 value: inf"), ("--b", "-0.5", "illegal b value: -0.5"),
                                         ("--b", "nan", "illegal b value: nan"), ("--offset", "-3", "--offset must be 0 or more"),
                                         ("-C", "-1", "-C/--context must be 0 or more"), ("--max-lines", "-2", "--max-lines must be 0 or more"),
                                         ("-m", "-2", "-m/--max-lines must be 0 or more"), ("-M", "-1", "-M/--max-columns must be 0 or more")] {
            let r = try search([option, value, Self.phrase])
            #expect(r.status == 2, "\(option) \(value): \(r)")
            #expect(r.err.contains(message), "\(option) \(value): \(r.err)")
        }
        let minusZero = try search(["--b", "-0", "--json", "-n", "100", Self.phrase])
        let zero = try search(["--b", "0", "--json", "-n", "100", Self.phrase])
        #expect(minusZero.status == 0 && minusZero.out == zero.out, "\(minusZero.err)")
    }

    /// Before: both printed plain text.
    /// Before: "cannot open nosuch.sou: No such file or directory", with nothing on the command
    /// line naming nosuch.sou.
    @Test("SOU_INDEX names the index when no -i does; one that cannot be opened is an error that says SOU_INDEX named it; a file given with -i that is no index is shown how to search it")
    func indexFromTheEnvironment() throws {
        let found = try runSou(sou, ["search", "-c", Self.phrase], environment: ["SOU_INDEX": index])
        #expect(found.status == 0 && found.out == "\(matchingFiles.count)\n", "\(found)")
        let notAnIndex = folder.appendingPathComponent("in/law.txt").path
        for (named, reason) in [(folder.appendingPathComponent("nosuch.sou").path, "No such file or directory"),
                                (notAnIndex, "not a Sou index")] {
            let r = try runSou(sou, ["search", Self.phrase], environment: ["SOU_INDEX": named])
            #expect(r.status == 2 && r.out.isEmpty && r.err.contains(named) && r.err.contains(reason)
                    && r.err.contains("(the index SOU_INDEX names; unset it, or give -i FILE, to search another)"), "\(r)")
        }
        // -i wins over SOU_INDEX, and its error does not mention it; a file that is no index is
        // shown how to search it as it is
        let given = try runSou(sou, ["search", "-i", notAnIndex, Self.phrase], environment: ["SOU_INDEX": index])
        #expect(given.status == 2 && !given.err.contains("SOU_INDEX"), "\(given)")
        #expect(given.err.contains("not a Sou index") && given.err.contains("; to search the file as it is: sou search '\(Self.phrase)' \(notAnIndex) (or index it first: sou index \(notAnIndex) -o FILE.sou)"), "\(given)")
    }

    @Test("--json -c prints {\"total\":N}; --json -l prints one {\"rank\",\"key\"} object per hit")
    func jsonCountAndFiles() throws {
        let count = try search(["--json", "-c", Self.phrase])
        #expect(count.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(count.out.utf8)) as? [String: Any])
        #expect(object["total"] as? Int == matchingFiles.count)
        let list = try search(["--json", "-l", "-n", "100", Self.phrase])
        let objects = try list.out.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(objects.compactMap { $0["rank"] as? Int } == Array(1...matchingFiles.count))
        let plain = try search(["-l", "-n", "100", Self.phrase]).out.split(separator: "\n").map(String.init)
        #expect(objects.compactMap { $0["key"] as? String } == plain)
    }

    /// Before: exit 0 with the help on stdout.
    @Test("bare `sou` prints the help on stderr and exits 2; `sou --help` exits 0")
    func bareSou() throws {
        let bare = try runSou(sou, [])
        #expect(bare.status == 2)
        #expect(bare.out.isEmpty)
        #expect(bare.err.contains("USAGE: sou <subcommand>"))
        let help = try runSou(sou, ["--help"])
        #expect(help.status == 0)
        #expect(help.out.contains("USAGE: sou <subcommand>"))
    }

    /// Before: "2 unexpected arguments: 'serach', '集体协商'" and "Unexpected argument '集体协商'".
    @Test("a first word that is no command: a misspelt one names the command meant with the rest of the line, another how to search for it, an option of sou search the search; exit 2, nothing on stdout")
    func unknownCommand() throws {
        let commands = "(commands: search, show, index, add, delete, merge, tokenize, stats, check, bench, watch; sou --help says more)"
        for (arguments, message) in [
            (["serach", Self.phrase, "docs"], "sou: unknown command 'serach'; did you mean: sou search \(Self.phrase) docs? \(commands)"),
            (["idnex", "docs", "-o", "x.sou"], "sou: unknown command 'idnex'; did you mean: sou index docs -o x.sou? \(commands)"),
            (["shwo"], "sou: unknown command 'shwo'; did you mean: sou show? \(commands)"),
            ([Self.phrase], "sou: '\(Self.phrase)' is not a command; to search for it: sou search '\(Self.phrase)' \(commands)"),
            (["two words"], "sou: 'two words' is not a command; to search for it: sou search 'two words' \(commands)"),
            (["-l", Self.phrase, "docs"], "sou: no command given: -l is an option of sou search; did you mean: sou search -l \(Self.phrase) docs? \(commands)"),
            (["-i", "x.sou", "--json", Self.phrase], "sou: no command given: -i is an option of sou search; did you mean: sou search -i x.sou --json \(Self.phrase)? \(commands)"),
        ] {
            let r = try runSou(sou, arguments)
            #expect(r.status == 2 && r.out.isEmpty && r.err == message + "\n", "\(arguments): \(r)")
        }
        // commands, help and options are not taken for one
        #expect(try runSou(sou, ["help", "search"]).status == 0)
        #expect(try runSou(sou, ["--versoin"]).err.contains("Unknown option '--versoin'"))
        #expect(try runSou(sou, ["--bogus", Self.phrase]).err.contains("Unknown option '--bogus'"))
        #expect(try runSou(sou, ["--version"]).status == 0)
        // `sou index PATH` without -o: the command with an output named after the first path
        for (arguments, line) in [
            (["index", "docs"], "sou index docs -o docs.sou"),
            (["index", "--encoding", "GBK", "-t", "md", "notes/", "b"], "sou index --encoding GBK -t md notes/ b -o notes.sou"),
            (["index", "lines.jsonl.gz"], "sou index lines.jsonl.gz -o lines.sou"),
            (["index", "."], "sou index . -o index.sou"),
        ] {
            let r = try runSou(sou, arguments)
            #expect(r.status == 2 && r.out.isEmpty && r.err == "sou: sou index writes an index file: name it with -o FILE (\(line))\n", "\(arguments): \(r)")
        }
        #expect(try runSou(sou, ["index", "--help"]).status == 0)
        #expect(try runSou(sou, ["index", "docs", "-o"]).err.contains("Missing value for '-o <output>'"))
    }

    /// Before: the total was only in -c.
    @Test("human output ends with \"N of TOTAL matching documents\"; every JSON hit holds the total")
    func totals() throws {
        let total = matchingFiles.count
        let human = try search(["-n", "3", Self.phrase])
        #expect(human.out.hasSuffix("\n\n3 of \(total) matching documents\n"), "\(human.out)")
        let paged = try search(["-n", "3", "--offset", "3", Self.phrase])
        #expect(paged.out.hasSuffix("\n\n4–6 of \(total) matching documents\n"), "\(paged.out)")
        let json = try search(["--json", "-n", "2", Self.phrase])
        for line in json.out.split(separator: "\n") {
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(o["total"] as? Int == total)
        }
    }

    /// Before: -l printed the raw newline and escape sequence (a forged line, a red terminal).
    @Test("keys with newlines, escapes and bidi overrides are escaped in -l, headings and --vimgrep; JSON round-trips them; -l -0 prints them as they are, each ended by a NUL byte (escaped still on a terminal)")
    func oddKeys() throws {
        let ids = ["a\nforged.txt", "b\u{1B}[31mred", "c\\d\te", "f\u{202E}txt.exe"]
        let lines = try ids.map { id -> String in
            let object: [String: Any] = ["id": id, "body": "会议" + Self.phrase]
            return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        }
        try write(lines.joined(separator: "\n") + "\n", to: folder.appendingPathComponent("odd/docs.jsonl").path)
        let odd = folder.appendingPathComponent("odd.sou").path
        #expect(try runSou(sou, ["index", folder.appendingPathComponent("odd").path, "-o", odd, "--quiet"]).status == 0)
        let json = try runSou(sou, ["search", "-i", odd, "--json", Self.phrase])
        let keys = try json.out.split(separator: "\n").map {
            try #require((try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["key"] as? String)
        }
        #expect(keys.count == ids.count)
        for id in ids { #expect(keys.contains { $0.hasSuffix("#" + id) }, "\(id) in \(keys)") }
        let escaped = ["a\\nforged.txt", "b\\x1B[31mred", "c\\\\d\\te", "f\\u{202E}txt.exe"]
        let files = try runSou(sou, ["search", "-i", odd, "-l", Self.phrase])
        let listed = files.out.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(listed.count == ids.count, "one line per key: \(files.out)")
        for e in escaped { #expect(listed.contains { $0.hasSuffix("#" + e) }, "\(e) in \(listed)") }
        for output in [files.out, try runSou(sou, ["search", "-i", odd, Self.phrase]).out,
                       try runSou(sou, ["search", "-i", odd, "--vimgrep", Self.phrase]).out] {
            #expect(!output.contains("\u{1B}") && !output.contains("\u{202E}") && !output.contains("\t"))
            #expect(!output.contains("\nforged"))
        }
        // -l -0 (for xargs -0): each key as it is, then a NUL byte; on a terminal still escaped
        for arguments in [["-l", "-0"], ["-l0"], ["--files", "--null"]] {
            let nul = try runSou(sou, ["search", "-i", odd] + arguments + [Self.phrase])
            let raw = nul.out.split(separator: "\0", omittingEmptySubsequences: false)
            #expect(nul.status == 0 && raw.last == "" && raw.count == ids.count + 1, "\(arguments): \(nul)")
            for id in ids { #expect(raw.contains { $0.hasSuffix("#" + id) }, "\(arguments): \(id) in \(raw)") }
        }
        let onTerminal = try runSouOnTerminal(sou, ["search", "-i", odd, "-l", "-0", Self.phrase], environment: [:])
        #expect(onTerminal.contains("\0") && onTerminal.contains("b\\x1B[31mred") && !onTerminal.contains("\u{1B}")
                && !onTerminal.contains("\u{202E}"), "\(onTerminal)")
        for arguments in [["-0"], ["-l", "-0", "--json"], ["-c", "-0"]] {
            let r = try runSou(sou, ["search", "-i", odd] + arguments + [Self.phrase])
            #expect(r.status == 2 && r.out.isEmpty && r.err.contains("-0/--null ends each key that -l prints with a NUL byte"), "\(arguments): \(r)")
        }
    }

    /// The lines of fixture file `name`, numbered from 1.
    func fixtureLines(_ name: String) throws -> [String] {
        try #require(files[name]).split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    /// The output lines of hit `key` in human output (between its heading and the next blank line).
    func hitLines(_ output: String, key: String) throws -> [String] {
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let start = try #require(lines.firstIndex { $0.hasPrefix(key + "  ") }, "\(key) in \(output)")
        return Array(lines[(start + 1)...].prefix { !$0.isEmpty })
    }

    /// New: -A/-B/-C. The expected lines are made from the file: rg's format, `--` between groups.
    @Test("-A, -B and -C show stored lines around each matching line (LINE-text), with -- between groups")
    func context() throws {
        let lines = try fixtureLines("law.txt")
        let matching = lines.indices.filter { lines[$0].contains(Self.phrase) }.map { $0 + 1 }
        let key = try key("law.txt")
        for (options, before, after) in [(["-C", "1"], 1, 1), (["-A", "2"], 0, 2), (["-B1"], 1, 0), (["-C", "5", "-A", "0"], 5, 0), (["-C", "0"], 0, 0)] {
            var expected: [String] = []
            var printed = 0
            for m in matching {
                let from = max(1, m - before, printed + 1), to = min(lines.count, m + after)
                if before + after > 0, printed > 0, from > printed + 1 { expected.append("--") }
                if from <= to {
                    for n in from...to { expected.append("\(n)\(matching.contains(n) ? ":" : "-")\(lines[n - 1])") }
                }
                printed = max(printed, to)
            }
            let r = try search(options + ["-n", "100", "--color", "never", Self.phrase])
            #expect(r.status == 0)
            #expect(try hitLines(r.out, key: key) == expected, "\(options)")
        }
    }

    /// New: context lines in --json. The expected context is made from the file: every line within
    /// the window of a matching line that does not match itself, in line order.
    @Test("--json with -A/-B/-C gives each hit a \"context\" array of the whole lines around its matching lines")
    func jsonContext() throws {
        let lines = try fixtureLines("law.txt")
        let matching = Set(lines.indices.filter { lines[$0].contains(Self.phrase) }.map { $0 + 1 })
        let key = try key("law.txt")
        func hit(_ out: String) throws -> [String: Any] {
            let objects = try out.split(separator: "\n").map {
                try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
            }
            return try #require(objects.first { $0["key"] as? String == key }, "\(key) in \(out)")
        }
        for (options, before, after) in [(["-C", "1"], 1, 1), (["-A", "2"], 0, 2), (["-B1"], 1, 0), (["-C", "9"], 9, 9)] {
            let window = matching.flatMap { m in max(1, m - before)...min(lines.count, m + after) }
            let expected = Set(window).subtracting(matching).sorted()
            let r = try search(options + ["--json", "-n", "100", Self.phrase])
            #expect(r.status == 0, "\(r)")
            let context = try #require(try hit(r.out)["context"] as? [[String: Any]], "\(options): \(r.out)")
            #expect(context.map { $0["line"] as? Int } == expected.map { $0 }, "\(options)")
            #expect(context.map { $0["text"] as? String } == expected.map { lines[$0 - 1] }, "\(options)")
        }
        // without context options there is no "context" member
        let plain = try search(["--json", "-n", "100", Self.phrase])
        #expect(try hit(plain.out)["context"] == nil)
        // context with an output that prints no lines is a usage error, not silently ignored
        for other in [["-c"], ["-l"], ["--vimgrep"]] {
            let r = try search(other + ["-C", "1", Self.phrase])
            #expect(r.status == 2 && r.err.contains("-A/-B/-C"), "\(other): \(r)")
        }
    }

    /// New: --vimgrep. Columns from the file's bytes (1-based), one line per occurrence.
    @Test("--vimgrep prints KEY:LINE:COLUMN:TEXT per match, the column in bytes from 1, whole lines")
    func vimgrep() throws {
        let r = try search(["--vimgrep", "-n", "100", Self.phrase])
        #expect(r.status == 0)
        var expected: [String] = []
        for name in matchingFiles {
            let key = try key(name)
            for (i, line) in try fixtureLines(name).enumerated() {
                var from = line.startIndex
                while let found = line.range(of: Self.phrase, range: from..<line.endIndex) {
                    let column = line.utf8.distance(from: line.startIndex, to: found.lowerBound) + 1
                    expected.append("\(key):\(i + 1):\(column):\(line)")
                    from = found.upperBound
                }
            }
        }
        let got = r.out.split(separator: "\n").map(String.init)
        #expect(got.sorted() == expected.sorted())
        #expect(got.count == expected.count)
    }

    /// New: sou show.
    @Test("sou show KEY prints the stored text; --lines A-B a range; unknown key exit 1; --no-store exit 2")
    func show() throws {
        let key = try key("law.txt")
        let text = try #require(files["law.txt"])
        let whole = try runSou(sou, ["show", "-i", index, key])
        #expect(whole.status == 0)
        #expect(whole.out == text)
        let lines = try fixtureLines("law.txt")
        for (range, slice) in [("2-3", lines[1...2]), ("6", lines[5...5]), ("-2", lines[0...1]), ("6-", lines[5...]), ("5-99", lines[4...])] {
            let r = try runSou(sou, ["show", "-i", index, key, "--lines", range])
            #expect(r.status == 0, "\(range): \(r.err)")
            #expect(r.out == slice.map { $0 + "\n" }.joined(), "\(range)")
        }
        let numbered = try runSou(sou, ["show", "-i", index, key, "--lines", "2-3", "-N"])
        #expect(numbered.out == "2:\(lines[1])\n3:\(lines[2])\n")
        let past = try runSou(sou, ["show", "-i", index, key, "--lines", "99-"])
        #expect(past.status == 2 && past.err.contains("has \(lines.count) lines"), "\(past)")
        #expect(try runSou(sou, ["show", "-i", index, key, "--lines", "3-2"]).status == 2)
        let unknown = try runSou(sou, ["show", "-i", index, "no/such/key.txt"])
        #expect(unknown.status == 1)
        #expect(unknown.err.contains("no document has the key no/such/key.txt"))
        let bare = folder.appendingPathComponent("bare.sou").path
        #expect(try runSou(sou, ["index", folder.appendingPathComponent("in").path, "-o", bare, "--no-store", "--quiet"]).status == 0)
        let noText = try runSou(sou, ["show", "-i", bare, key])
        #expect(noText.status == 2)
        #expect(noText.err.contains("stores no text"))
    }

    /// New: --offset.
    @Test("--offset N -n M shows the hits ranked N+1 to N+M of the whole list, with their ranks")
    func offset() throws {
        let all = try search(["-l", "-n", "100", Self.phrase]).out.split(separator: "\n").map(String.init)
        #expect(all.count == matchingFiles.count)
        for (offset, limit) in [(0, 3), (3, 4), (10, 5), (20, 5), (2, 0)] {
            let r = try search(["-l", "--offset", String(offset), "-n", String(limit), Self.phrase])
            #expect(r.status == 0)
            #expect(r.out.split(separator: "\n").map(String.init) == Array(all.dropFirst(offset).prefix(limit)), "\(offset) \(limit)")
        }
        let json = try search(["--json", "--offset", "4", "-n", "2", Self.phrase])
        let ranks = try json.out.split(separator: "\n").map {
            try #require((try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["rank"] as? Int)
        }
        #expect(ranks == [5, 6])
    }
}
