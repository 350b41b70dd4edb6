import Foundation
import Testing

/// The generated files under completions/ and man/ match what the executable generates now
/// (scripts/generate-completions.sh regenerates them after a change of options or help).
@Suite("Shell completions and the man page")
struct CompletionsTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("completions for bash, zsh and fish and the help behind the man page are current", arguments: [
        (["--generate-completion-script", "bash"], "completions/sou.bash"),
        (["--generate-completion-script", "zsh"], "completions/_sou"),
        (["--generate-completion-script", "fish"], "completions/sou.fish"),
        (["--experimental-dump-help"], "man/sou.help.json"),
    ])
    func generatedFilesAreCurrent(arguments: [String], file: String) throws {
        let sou = try #require(souExecutable(), "the sou executable is not built next to the tests")
        let committed = try String(contentsOf: Self.repository.appendingPathComponent(file), encoding: .utf8)
        let now = try runSouBounded(sou, arguments)
        #expect(now.status == 0, "\(now)")
        #expect(now.out == committed, "\(file) is out of date: run scripts/generate-completions.sh")
    }

    @Test("every help text reads well on an 80-column terminal: no line of a discussion wider than 80 columns continues on the next line")
    func helpFitsEightyColumns() throws {
        // swift-argument-parser wraps a line wider than the terminal and keeps the line breaks
        // written in a discussion: a hand-wrapped line a few columns too wide leaves its last
        // words alone on a line. A line wider than 80 columns must therefore be a whole paragraph
        // (the parser wraps it): followed by an empty line or the end, or ending a sentence.
        let data = try Data(contentsOf: Self.repository.appendingPathComponent("man/sou.help.json"))
        let root = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        var commands: [(String, [String: Any])] = []
        func walk(_ command: [String: Any], _ path: String) {
            commands.append((path, command))
            for sub in command["subcommands"] as? [[String: Any]] ?? [] {
                walk(sub, path + " " + (sub["commandName"] as? String ?? "?"))
            }
        }
        walk(try #require(root["command"] as? [String: Any]), "sou")
        #expect(commands.count > 10)
        var checked = 0
        for (path, command) in commands {
            let lines = (command["discussion"] as? String ?? "").split(separator: "\n", omittingEmptySubsequences: false)
            for (i, line) in lines.enumerated() {
                checked += 1
                guard Self.columns(line) > 80, i + 1 < lines.count, !lines[i + 1].isEmpty else { continue }
                let endsSentence = line.hasSuffix(".") || line.hasSuffix(":") || line.hasSuffix(".)")
                #expect(endsSentence, "\(path) --help: a line of \(Self.columns(line)) columns continues on the next line: \(line)")
            }
        }
        #expect(checked > 50)
    }

    /// Terminal columns of `text`: two for a wide (CJK) character.
    static func columns(_ text: Substring) -> Int {
        text.unicodeScalars.reduce(0) { n, s in
            let v = s.value
            let wide = (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
                || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
                || (0xFFE0...0xFFE6).contains(v) || (0x20000...0x3FFFD).contains(v)
            return n + (wide ? 2 : 1)
        }
    }

    @Test("the man page has no empty input line (mdoc warns about each; paragraphs are .Pp)")
    func manPageHasNoEmptyLines() throws {
        let page = try String(contentsOf: Self.repository.appendingPathComponent("man/sou.1"), encoding: .utf8)
        let empty = page.split(separator: "\n", omittingEmptySubsequences: false).dropLast().enumerated().filter { $0.element.isEmpty }.map { $0.offset + 1 }
        #expect(empty.isEmpty, "man/sou.1: empty lines \(empty): run scripts/generate-completions.sh")
    }

    @Test("the man page documents every command and the search options")
    func manPage() throws {
        let page = try String(contentsOf: Self.repository.appendingPathComponent("man/sou.1"), encoding: .utf8)
        for command in ["search", "index", "add", "delete", "merge", "tokenize", "stats", "check", "bench"] {
            #expect(page.contains(command), "man/sou.1 does not mention \(command)")
        }
        for option in ["batch", "no-cache", "index"] {
            #expect(page.contains(option), "man/sou.1 does not mention --\(option)")
        }
    }
}

/// What the repository ships besides code: the bundled corpus holds documents only, and the
/// README's query file for --batch parses.
@Suite("The bundled corpus and the example queries")
struct ShippedExamplesTests {
    @Test("corpus/ holds only documents: no README or notes that a search of the bundled corpus would find")
    func corpusHoldsDocumentsOnly() throws {
        let corpus = CompletionsTests.repository.appendingPathComponent("corpus")
        let names = try FileManager.default.contentsOfDirectory(atPath: corpus.path).filter { !$0.hasPrefix(".") }
        #expect(!names.isEmpty)
        for name in names {
            // the seed page's articles (00-… to 09-….txt) and the JSON Lines corpora
            let document = (name.hasSuffix(".txt") && name.first?.isNumber == true) || name.hasSuffix(".jsonl.gz")
            #expect(document, "corpus/\(name) is not a document of the bundled corpus (describe the corpus in CORPUS.md)")
        }
    }

    @Test("examples/queries.txt runs through --batch: every query parses and matches something in the seed page")
    func exampleQueries() throws {
        let sou = try #require(souExecutable(), "the sou executable is not built next to the tests")
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let index = folder.appendingPathComponent("seed.sou").path
        let seed = try FileManager.default.contentsOfDirectory(atPath: CompletionsTests.repository.appendingPathComponent("corpus").path)
            .filter { $0.hasSuffix(".txt") }.sorted().map { CompletionsTests.repository.appendingPathComponent("corpus/" + $0).path }
        #expect(try runSouBounded(sou, ["index"] + seed + ["-o", index]).status == 0)
        let queries = CompletionsTests.repository.appendingPathComponent("examples/queries.txt").path
        let r = try runSouBounded(sou, ["search", "-i", index, "--batch", queries, "-c"])
        #expect(r.status == 0, "\(r)")
        let lines = try r.out.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(lines.count >= 4, "\(r)")
        for line in lines.dropLast() {
            #expect(line["error"] == nil && (line["total"] as? Int ?? 0) > 0, "\(line)")
        }
    }
}
