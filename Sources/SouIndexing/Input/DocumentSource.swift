import CZlib
import Foundation

/// A document read from the input: external key, display title, and the text to analyze/store.
public struct SourceDocument: Sendable, Hashable {
    /// The file's path as given (a folder's path joined with the path inside it: `docs/a/b.txt`),
    /// the JSON id for a JSON Lines file named on its own, or "folder/file.jsonl#id" inside a folder.
    public var key: String
    /// Shown in results ("" when none).
    public var title: String
    /// What is analyzed and stored.
    public var text: String
    /// The number of the input file it came from in the index's source table (0: none).
    public var source: UInt32 = 0

    /// Creates a document.
    public init(key: String, title: String, text: String, source: UInt32 = 0) {
        self.key = key
        self.title = title
        self.text = text
        self.source = source
    }
}

/// One input file found by ``DocumentSource/listFiles(paths:)``: what to read and how, and what
/// `sou index` compares with its source table to decide whether to read it again.
public struct InputFile: Sendable, Hashable {
    /// The path to open (`-`: stdin).
    public var path: String
    /// A text file's document key, or the key prefix of a JSON Lines file's documents.
    public var key: String
    /// Read as JSON Lines.
    public var isJSONLines: Bool
    /// Named on the command line (an unreadable one is an error, not a warning).
    public var isExplicit: Bool
    /// Size in bytes and modification time (nanoseconds since 1970) when listed.
    public var size: Int
    public var modificationTime: Int64
}

/// How input paths are read.
public struct InputOptions: Sendable, Hashable {
    /// Read every file given (and stdin) as JSON Lines, whatever its name.
    public var forcesJSONLines = false
    /// JSON member holding the document key.
    public var idField = "id"
    /// JSON members joined by "\n" into the document text, in this order.
    public var textFields = ["title", "body"]
    /// JSON member holding the title.
    public var titleField = "title"
    /// Walk into hidden folders (and read hidden files), `.git` included.
    public var includesHidden = false

    /// Default options: fields `id`, `title`, `body`; hidden entries skipped.
    public init() {}
}

/// Reads documents from files, folders, JSON Lines and stdin, in a deterministic order.
///
/// - Folders are walked recursively in sorted path order. Read: `.txt`, `.md`, `.markdown`,
///   `.html`/`.htm` (tags stripped), `.jsonl`/`.jsonl.gz` (one document per line, key
///   `folder/path.jsonl#id`), and extensionless files that are text. A file's key is its path:
///   the folder as given joined with the path inside it (`docs` → `docs/lo-ja/01929.txt`), so
///   keys are unique across roots and open from where the paths were given. Binary files (a NUL byte,
///   or more than 5% of bytes in invalid UTF-8) are skipped with a warning. Hidden entries and
///   `.git` are skipped unless ``InputOptions/includesHidden``. Symbolic links are followed once
///   (a folder already on the current path is not entered again, so loops end).
/// - A file named on the command line is read whatever its extension (JSON Lines when its name
///   ends in `.jsonl`/`.jsonl.gz` or with ``InputOptions/forcesJSONLines``); its key is the path as
///   given, or for JSON Lines the id alone.
/// - `-` is stdin: one document with key `-`, or JSON Lines with ``InputOptions/forcesJSONLines``.
/// - JSON Lines: a bad line is reported (`file:line: message`) and skipped; a line without the id
///   member gets its 0-based line number as key (the numbering of the shared query sets).
public final class DocumentSource {
    /// How to read.
    public var options: InputOptions
    /// Called with one-line warnings (skipped files, bad lines).
    public var warn: (String) -> Void
    /// Input bytes consumed so far (uncompressed for gzip).
    public private(set) var bytesRead = 0
    /// Files read so far.
    public private(set) var filesRead = 0
    /// Files or lines skipped with a warning.
    public private(set) var skipped = 0

    /// Creates a source.
    public init(options: InputOptions = InputOptions(), warn: @escaping (String) -> Void = { _ in }) {
        self.options = options
        self.warn = warn
    }

    /// Reads every path in order, calling `body` with each document.
    public func read(paths: [String], _ body: (SourceDocument) throws -> Void) throws {
        for file in try listFiles(paths: paths) { try read(file, body) }
    }

    /// The files `paths` name, in reading order, without reading them: folders walked (sorted,
    /// hidden entries and files of unknown extensions left out), stdin as `-`.
    public func listFiles(paths: [String]) throws -> [InputFile] {
        var files: [InputFile] = []
        for path in paths {
            if path == "-" {
                files.append(InputFile(path: "-", key: "-", isJSONLines: options.forcesJSONLines, isExplicit: true,
                                       size: 0, modificationTime: 0))
                continue
            }
            var st = stat()
            guard stat(path, &st) == 0 else {
                throw IndexError.io("cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                var visiting: Set<[UInt64]> = []
                walk(folder: path, visiting: &visiting, into: &files)
            } else {
                let jsonl = options.forcesJSONLines || Self.isJSONLines(path)
                files.append(InputFile(path: path, key: jsonl ? "" : path, isJSONLines: jsonl, isExplicit: true,
                                       size: Int(st.st_size), modificationTime: Self.modificationTime(st)))
            }
        }
        return files
    }

    /// Reads one listed file, calling `body` with each of its documents (tagged with `source`).
    public func read(_ file: InputFile, source: UInt32 = 0, _ body: (SourceDocument) throws -> Void) throws {
        try withoutActuallyEscaping(body) { body in
            let tagged: (SourceDocument) throws -> Void = source == 0 ? body : { var d = $0; d.source = source; try body(d) }
            if file.path == "-" {
                try readStdin(tagged)
            } else if file.isJSONLines {
                try readJSONLines(path: file.path, keyPrefix: file.key, tagged)
            } else {
                try readTextFile(path: file.path, key: file.key, explicit: file.isExplicit, tagged)
            }
        }
    }

    static func modificationTime(_ st: stat) -> Int64 {
        Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
    }

    static func isJSONLines(_ name: String) -> Bool {
        let bytes = name.utf8
        return bytes.elementsEqualSuffix(".jsonl") || bytes.elementsEqualSuffix(".jsonl.gz")
    }

    enum FileKind { case text, markdown, html, jsonLines, extensionless, other }

    static func kind(of name: String) -> FileKind {
        if isJSONLines(name) { return .jsonLines }
        // on the UTF-8 bytes, ASCII case folded (called for every walked file)
        let bytes = name.utf8
        guard let dot = bytes.lastIndex(of: UInt8(ascii: ".")), dot != bytes.startIndex else { return .extensionless }
        var ext: UInt64 = 0   // up to eight bytes of the extension, lower-cased, packed
        for b in bytes[bytes.index(after: dot)...] {
            guard ext >> 56 == 0 else { return .other }
            ext = ext << 8 | UInt64(b >= 0x41 && b <= 0x5A ? b | 0x20 : b)
        }
        func packed(_ s: StaticString) -> UInt64 {
            var v: UInt64 = 0
            for i in 0..<s.utf8CodeUnitCount { v = v << 8 | UInt64(s.utf8Start[i]) }
            return v
        }
        switch ext {
        case packed("txt"), packed("text"): return .text
        case packed("md"), packed("markdown"): return .markdown
        case packed("html"), packed("htm"), packed("xhtml"): return .html
        default: return .other
        }
    }

    private func walk(folder: String, visiting: inout Set<[UInt64]>, into files: inout [InputFile]) {
        var st = stat()
        guard stat(folder, &st) == 0 else { warn("skipping \(folder): \(String(cString: strerror(errno)))"); return }
        let id = [UInt64(st.st_dev), UInt64(st.st_ino)]
        guard !visiting.contains(id) else {
            warn("skipping \(folder): symbolic link loop")
            return
        }
        visiting.insert(id)
        defer { visiting.remove(id) }
        // readdir and fstatat on the folder's descriptor: listing a folder of thousands of files
        // is what an up-to-date `sou index` spends its time on
        guard let dir = opendir(folder) else {
            warn("skipping \(folder): cannot list it: \(String(cString: strerror(errno)))")
            skipped += 1
            return
        }
        defer { closedir(dir) }
        let dfd = dirfd(dir)
        var names: [String] = []
        while let e = readdir(dir) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            if !options.includesHidden, name.hasPrefix(".") { continue }
            names.append(name)
        }
        names.sortBytewise()
        for name in names {
            let path = folder.hasSuffix("/") ? folder + name : folder + "/" + name
            var entry = stat()
            guard fstatat(dfd, name, &entry, 0) == 0 else {
                warn("skipping \(path): \(String(cString: strerror(errno)))")
                skipped += 1
                continue
            }
            switch entry.st_mode & S_IFMT {
            case S_IFDIR:
                walk(folder: path, visiting: &visiting, into: &files)
            case S_IFREG:
                let kind = Self.kind(of: name)
                if kind == .other { continue }
                files.append(InputFile(path: path, key: kind == .jsonLines ? path + "#" : path, isJSONLines: kind == .jsonLines,
                                       isExplicit: false, size: Int(entry.st_size), modificationTime: Self.modificationTime(entry)))
            default:
                continue
            }
        }
    }

    /// Decodes file bytes as text; nil (with a warning) for binary content.
    func decodeText(_ bytes: [UInt8], path: String) -> String? {
        if bytes.contains(0) {
            warn("skipping \(path): binary file (NUL bytes)")
            skipped += 1
            return nil
        }
        var invalid = 0
        var it = bytes.makeIterator()
        var decoder = UTF8()
        loop: while true {
            switch decoder.decode(&it) {
            case .scalarValue: continue
            case .emptyInput: break loop
            case .error: invalid += 1
            }
        }
        if invalid > 0, invalid * 20 > bytes.count {
            warn("skipping \(path): binary or not UTF-8 (\(invalid) invalid sequences)")
            skipped += 1
            return nil
        }
        var text = String(decoding: bytes, as: UTF8.self)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        return text
    }

    private func readTextFile(path: String, key: String, explicit: Bool,
                                       _ body: (SourceDocument) throws -> Void) throws {
        let bytes: [UInt8]
        do {
            bytes = try FileContents.read(path)
        } catch {
            if explicit { throw error }
            warn("skipping \(path): \(error)")
            skipped += 1
            return
        }
        bytesRead += bytes.count
        filesRead += 1
        guard let text = decodeText(bytes, path: path) else { return }
        switch Self.kind(of: path) {
        case .html:
            let (plain, title) = HTMLText.extract(text)
            try body(SourceDocument(key: key, title: title, text: plain))
        case .markdown:
            try body(SourceDocument(key: key, title: Self.firstLine(text, stripping: "#"), text: text))
        default:
            try body(SourceDocument(key: key, title: Self.firstLine(text, stripping: nil), text: text))
        }
    }

    /// The first non-empty line, trimmed (without leading `stripping` characters), ≤ 120 characters.
    static func firstLine(_ text: String, stripping: Character?) -> String {
        for line in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            var l = Substring(line)
            if let c = stripping { while l.first == c { l.removeFirst() } }
            let t = String(l).trimmingWhitespace()
            if !t.isEmpty { return String(t.prefix(120)) }
        }
        return ""
    }

    private func readStdin(_ body: (SourceDocument) throws -> Void) throws {
        if options.forcesJSONLines {
            try readJSONLines(path: "-", keyPrefix: "", body)
            return
        }
        let data = FileHandle.standardInput.readDataToEndOfFile()
        bytesRead += data.count
        filesRead += 1
        guard let text = decodeText([UInt8](data), path: "stdin") else { return }
        try body(SourceDocument(key: "-", title: Self.firstLine(text, stripping: nil), text: text))
    }

    /// The longest JSON line read (bytes, without its newline): a longer one is an error.
    public static let maxLineBytes = 256 << 20

    /// Streams a JSON Lines file (gzip or plain; `-` = stdin) line by line.
    private func readJSONLines(path: String, keyPrefix: String, _ body: (SourceDocument) throws -> Void) throws {
        let file: gzFile?
        if path == "-" {
            file = gzdopen(dup(0), "rb")
        } else {
            file = gzopen(path, "rb")
        }
        guard let file else { throw IndexError.io("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { gzclose(file) }
        filesRead += 1
        let name = path == "-" ? "stdin" : path
        var pending: [UInt8] = []
        var lineNumber = 0
        func handle(_ line: UnsafeBufferPointer<UInt8>, _ source: DocumentSource) throws {
            defer { lineNumber += 1 }
            var l = line
            if l.last == 0x0D { l = UnsafeBufferPointer(rebasing: l.dropLast()) }
            if l.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
            do {
                let doc = try source.document(fromJSON: l, lineIndex: lineNumber, keyPrefix: keyPrefix)
                try body(doc)
            } catch let f as JSONLineParser.Failure {
                source.warn("\(name):\(lineNumber + 1): skipping bad line: \(f.message)")
                source.skipped += 1
            }
        }
        try FileContents.forEachChunk(of: file, name: name, requiresGzip: path != "-" && FileContents.isGzipName(path)) { c in
            bytesRead += c.count
            var start = 0
            for i in 0..<c.count where c[i] == 0x0A {
                if pending.isEmpty {
                    try handle(UnsafeBufferPointer(rebasing: c[start..<i]), self)
                } else {
                    pending.append(contentsOf: c[start..<i])
                    try pending.withUnsafeBufferPointer { try handle($0, self) }
                    pending.removeAll(keepingCapacity: false)
                }
                start = i + 1
            }
            // a line without end (a binary file, /dev/zero) must not fill the memory
            guard pending.count + (c.count - start) <= Self.maxLineBytes else {
                throw IndexError.io("\(name):\(lineNumber + 1): line longer than \(Self.maxLineBytes >> 20) MiB, the most one JSON Lines document may hold")
            }
            pending.append(contentsOf: c[start..<c.count])
        }
        if !pending.isEmpty {
            try pending.withUnsafeBufferPointer { try handle($0, self) }
        }
    }

    /// The document of one JSON line.
    func document(fromJSON line: UnsafeBufferPointer<UInt8>, lineIndex: Int, keyPrefix: String) throws -> SourceDocument {
        let members = try JSONLineParser.parse(line)
        func text(_ field: String) throws -> String? {
            switch members[field] {
            case .text(let s): return s
            case .null, nil: return nil
            case .nested: throw JSONLineParser.Failure(message: "member \"\(field)\" is an object or array, not text")
            }
        }
        let id = try text(options.idField) ?? String(lineIndex)
        let title = try text(options.titleField) ?? ""
        var parts: [String] = []
        var any = false
        for f in options.textFields {
            let t = try text(f)
            if t != nil { any = true }
            parts.append(t ?? "")
        }
        guard any else {
            throw JSONLineParser.Failure(message: "none of the text members (\(options.textFields.joined(separator: ", "))) is present")
        }
        return SourceDocument(key: keyPrefix + id, title: title, text: parts.joined(separator: "\n"))
    }
}
