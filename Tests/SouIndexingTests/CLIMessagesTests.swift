import Foundation
import Testing

/// Small things a user reads: counts in the singular, a misplaced option's advice, the field
/// separator of JSON Lines documents kept out of `sou show`, a TSV header in `--batch`.
@Suite("What the sou executable says and prints")
struct CLIMessagesTests {
    typealias Scratch = UpdateCLITests.Scratch

    @Test("summaries count one document and one file in the singular")
    func singularCounts() throws {
        let s = try Scratch()
        defer { try? FileManager.default.removeItem(at: s.folder) }
        try s.put("docs/a.txt", "集体协商\n")
        let built = try s.run(["index", s.path("docs"), "-o", s.index])
        #expect(built.status == 0, "\(built)")
        #expect(built.err.contains("indexed 1 document ("), "\(built)")
        try s.put("docs/a.txt", "集体协商 工资\n", age: 10)
        let updated = try s.run(["index", s.path("docs"), "-o", s.index])
        #expect(updated.status == 0, "\(updated)")
        #expect(updated.err.contains("read 1 file, ") && updated.err.contains("0 files unchanged); 1 document, "), "\(updated)")
        // bad JSON lines are counted as lines
        try s.put("bad.jsonl", "{\"id\":\"a\",\"body\":\"集体协商\"}\nnot json\nnot json either\n")
        let skipped = try s.run(["index", s.path("bad.jsonl"), "-o", s.path("bad.sou")])
        #expect(skipped.err.contains("skipped 2 bad JSON lines"), "\(skipped)")
    }

    @Test("an option written after -- is a path that does not exist: the error says to put options before --, with the command")
    func optionAfterDoubleDash() throws {
        let s = try Scratch()
        defer { try? FileManager.default.removeItem(at: s.folder) }
        try s.put("docs/a.txt", "集体协商 草案\n")
        let r = try s.run(["search", "--", "-草案 协商", "-c"])
        #expect(r.status == 2, "\(r)")
        #expect(r.err.contains("-c: no such file or folder; after -- every argument is a query or a path: put options before it (sou search -c -- '-草案 协商')"), "\(r)")
        #expect(!r.err.contains("quote them"), "\(r)")
        // an exclusion is not taken for an option: it gets the quoting advice
        let words = try s.run(["search", "集体协商", "--", "-草案"])
        #expect(words.status == 2 && words.err.contains("quote them: sou search '集体协商 -草案'"), "\(words)")
    }

    @Test("sou show prints a JSON Lines document without the field separator (U+001F) that ends its title line")
    func showLeavesOutTheFieldSeparator() throws {
        let s = try Scratch()
        defer { try? FileManager.default.removeItem(at: s.folder) }
        try s.put("d.jsonl", "{\"id\":\"a\",\"title\":\"标题\",\"body\":\"集体协商\\n第二行\"}\n")
        #expect(try s.run(["index", s.path("d.jsonl"), "-o", s.index]).status == 0)
        let whole = try s.run(["show", "-i", s.index, "a"])
        #expect(whole.status == 0, "\(whole)")
        #expect(whole.out == "标题\n集体协商\n第二行\n", "\(whole)")
        let numbered = try s.run(["show", "-i", s.index, "a", "--lines", "1-2", "-N"])
        #expect(numbered.out == "1:标题\n2:集体协商\n", "\(numbered)")
    }

    @Test("--batch skips a TSV's query<TAB>… header line, as sou bench search does")
    func batchSkipsTheTSVHeader() throws {
        let s = try Scratch()
        defer { try? FileManager.default.removeItem(at: s.folder) }
        try s.put("docs/a.txt", "集体协商\n")
        #expect(try s.run(["index", s.path("docs"), "-o", s.index]).status == 0)
        try s.put("q.tsv", "query\tkind\n集体协商\tphrase\n")
        let r = try s.run(["search", "-i", s.index, "--batch", s.path("q.tsv")])
        #expect(r.status == 0, "\(r)")
        let lines = r.out.split(separator: "\n")
        #expect(lines.count == 2 && lines[0].contains("\"query\":\"集体协商\"") && lines[1].contains("\"queries\":1"), "\(r)")
    }
}
