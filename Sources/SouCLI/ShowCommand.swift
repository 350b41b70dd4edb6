import ArgumentParser
import FoundationEssentials
import Glibc
import Sou

/// `sou show KEY`: prints a document's stored text (all of it, or a range of lines), the copy the
/// index holds (for JSON Lines documents the only convenient one).
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print a document's stored text, or some of its lines, from an index.",
        discussion: """
        KEY is a key as `sou search` prints it (a path, or path#id for JSON Lines). Lines are \
        numbered as in search results (from 1, split at line feeds).

        The document comes from the index given with --index (or SOU_INDEX), else from \
        ./corpus.sou; without one of those, or when ./corpus.sou has no such key, a KEY that \
        a folder search printed (`sou search QUERY PATH...`: a file's path, or path#id of a \
        JSON Lines file, from the current folder) is read from that file, as sou index reads \
        it (charset, HTML text, JSON Lines members).

        EXIT STATUS
          0 printed, 1 no document has KEY, 2 error (no stored text, lines out of
            range, bad index).
        """
    )

    @Argument(help: "The document's key.")
    var key: String

    @Option(name: [.customShort("i"), .long], help: "The index file (default: $SOU_INDEX, else ./corpus.sou).")
    var index: String?

    @Option(parsing: .unconditional, help: "Only lines A to B (\"12-20\", \"12-\" to the end, \"-20\" from the start, \"12\" one line).")
    var lines: LineRange?

    @Flag(name: [.customShort("N"), .customLong("line-number")], help: "Prefix each line with its number (LINE:text).")
    var lineNumber = false

    /// `A-B`, `A-`, `-B` or `A`, 1-based and inclusive.
    struct LineRange: ExpressibleByArgument {
        var first: Int
        var last: Int?

        init?(argument: String) {
            let parts = argument.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            func number(_ s: String) -> Int?? { s.isEmpty ? .some(nil) : Int(s).map { .some($0) } }
            guard (1...2).contains(parts.count), let a = number(parts[0]) else { return nil }
            if parts.count == 1 {
                guard let a else { return nil }
                first = a; last = a
            } else {
                guard let b = number(parts[1]), a != nil || b != nil else { return nil }
                first = a ?? 1; last = b
            }
            guard first >= 1, last.map({ $0 >= first }) ?? true else { return nil }
        }
    }

    func run() throws {
        let path: String
        if let index {
            path = index
        } else if let fromEnvironment = ProcessInfo.processInfo.environment["SOU_INDEX"], !fromEnvironment.isEmpty {
            path = fromEnvironment
        } else if FileManager.default.fileExists(atPath: "corpus.sou") {
            path = "corpus.sou"
        } else {
            // a key a folder search printed: the file it names
            guard let texts = try textsFromFile() else {
                throw CLIError("no index (pass --index FILE or set SOU_INDEX), and \(Escaping.printable(key)) names no file "
                               + "(a folder search's keys are paths from the folder it ran in)")
            }
            guard !texts.isEmpty else {
                throw CLIError("no document has the key \(Escaping.printable(key)) in \(Escaping.printable(Self.file(of: key) ?? key))", code: 1)
            }
            try show(texts)
            return
        }
        let reader: IndexReader
        do { reader = try IndexReader(contentsOf: URL(fileURLWithPath: path)) } catch { throw CLIError(file: path, error) }
        guard reader.storesText else {
            throw CLIError("\(path) stores no text (built with --no-store): rebuild it without --no-store to show documents")
        }
        let documents: [Int]
        do { documents = try reader.documents(withKey: key) } catch { throw CLIError(file: path, error) }
        guard !documents.isEmpty else {
            // ./corpus.sou, not asked for: a folder search's key is read from its file
            if index == nil, path == "corpus.sou", let texts = try textsFromFile(), !texts.isEmpty {
                try show(texts)
                return
            }
            // a path the index holds under another spelling says which
            var other: String? = nil
            if let cwd = PathText.currentDirectory() {
                do { other = try PathSpellings.indexedSpelling(of: key, in: reader, cwd: cwd) } catch { throw CLIError(file: path, error) }
            }
            if let other {
                throw CLIError("no document has the key \(Escaping.printable(key)) in \(path); it has this path as "
                               + "\(Escaping.printable(other)) (keys are paths as they were indexed)", code: 1)
            }
            throw CLIError("no document has the key \(Escaping.printable(key)) in \(path) (keys are printed by sou search -l)", code: 1)
        }
        var texts: [String] = []
        for d in documents {
            do {
                guard let stored = try reader.storedText(d) else { throw CLIError("\(path): document \(d) has no stored text") }
                texts.append(stored)
            } catch let error as CLIError { throw error } catch { throw CLIError(file: path, error) }
        }
        try show(texts)
    }

    /// The file a key names: the key itself when it is a regular file, else the part before a
    /// "#" that is one (a JSON Lines file's path, the id after it). nil when neither is.
    static func file(of key: String) -> String? {
        func isFile(_ p: String) -> Bool {
            var st = stat()
            return !p.isEmpty && stat(p, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
        }
        if isFile(key) { return key }
        var i = key.startIndex
        while let hash = key[i...].firstIndex(of: "#") {
            if isFile(String(key[..<hash])) { return String(key[..<hash]) }
            i = key.index(after: hash)
        }
        return nil
    }

    /// The texts of the documents with the key read from the file it names (``file(of:)``), as
    /// `sou index FILE` reads it; nil when the key names no file. A JSON Lines file named on its
    /// own gives its documents their ids as keys: the key's "#id" is matched against those.
    func textsFromFile() throws -> [String]? {
        guard let file = Self.file(of: key) else { return nil }
        let id = file == key ? nil : String(key.dropFirst(file.count + 1))
        let source = DocumentSource(options: InputOptions())
        var texts: [String] = []
        do {
            try source.read(paths: [file]) { document in
                if document.key == key || (id != nil && document.key == id) { texts.append(document.text) }
            }
        } catch {
            throw CLIError("\(Escaping.printable(file)): \(error)")
        }
        if let reason = source.skippedByReason.first(where: { $0.value > 0 })?.key, texts.isEmpty {
            throw CLIError("\(Escaping.printable(file)) is not read as text (\(reason.rawValue))")
        }
        return texts
    }

    /// Prints the documents' texts (several with one key: each, in order, after a warning).
    func show(_ texts: [String]) throws {
        if texts.count > 1 {
            printError("warning: \(texts.count) documents have the key \(Escaping.printable(key)); showing each, in index order")
        }
        var out = OutputBuffer()
        for text in texts {
            let stored = StoredLines(text)
            let first = lines?.first ?? 1
            let last = min(stored.count, lines?.last ?? stored.count)
            guard first <= stored.count else {
                throw CLIError("--lines \(first)…: \(Escaping.printable(key)) has \(stored.count) line\(stored.count == 1 ? "" : "s")")
            }
            // (the field separator U+001F that ends each text member's last line in a JSON
            // Lines document is left out, as in search snippets)
            if lines == nil, !lineNumber {
                let shown = text.replacing("\u{1F}\n", with: "\n")
                out.write(shown)
                if !shown.isEmpty, !shown.hasSuffix("\n") { out.write("\n") }
                continue
            }
            for n in first...last {
                if lineNumber { out.write("\(n):") }
                var line = stored.line(n)
                if line.hasSuffix("\u{1F}") { line.removeLast() }
                out.write(line + "\n")
            }
        }
        out.flush()
    }
}
