import CSystemShim
import CZlib
import FoundationEssentials
import Glibc

/// A document read from the input: external key, display title, and the text to analyze/store.
public struct SourceDocument: Sendable, Hashable {
    /// The file's path as given (a folder's path joined with the path inside it: `docs/a/b.txt`),
    /// the JSON id for a JSON Lines file named on its own, or "folder/file.jsonl#id" inside a folder.
    public var key: String
    /// Shown in results ("" when none).
    public var title: String
    /// What is analyzed and stored.
    public var text: String {
        get { body.string }
        set { body = .string(newValue) }
    }
    /// ``text`` as read: the text members of a JSON line stay UTF-8 bytes until analyzed (a
    /// build that stores no text never makes a String of them).
    var body: DocumentText
    /// The number of the input file it came from in the index's source table (0: none).
    public var source: UInt32 = 0
    /// Where it was read, for messages: "file.jsonl:12" for a JSON line, the path for a file.
    public var origin: String = ""

    /// Creates a document.
    public init(key: String, title: String, text: String, source: UInt32 = 0) {
        self.init(key: key, title: title, body: .string(text), source: source)
    }

    init(key: String, title: String, body: DocumentText, source: UInt32 = 0) {
        self.key = key
        self.title = title
        self.body = body
        self.source = source
    }

    /// Equal when keys, titles, texts, sources and origins are (a text still in bytes compares as
    /// the String it makes).
    public static func == (a: SourceDocument, b: SourceDocument) -> Bool {
        a.key == b.key && a.title == b.title && a.text == b.text && a.source == b.source && a.origin == b.origin
    }

    /// Hashes what ``==`` compares.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(key)
        hasher.combine(title)
        hasher.combine(text)
        hasher.combine(source)
        hasher.combine(origin)
    }

    /// What separates the text fields of a JSON line (and an HTML title from its body) in the
    /// stored text: U+001F (the unit separator) and a line break. The analyzer leaves an empty
    /// slot at U+001F, so no phrase and no CJK bigram spans two fields; the line break keeps
    /// each field on its own lines in snippets.
    public static let fieldSeparator = "\u{1F}\n"
}

/// Why an input file or line was not indexed (``DocumentSource/skippedByReason``).
public enum SkipReason: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    /// NUL bytes, and not UTF-16/32.
    case binary
    /// Not UTF-8, and in no charset recognized with enough confidence.
    case notText = "not text in a known encoding"
    /// 0 bytes (after a byte order mark).
    case empty
    /// A FIFO, device or socket met in a folder, or one that had nothing to read.
    case notRegularFile = "not a regular file"
    /// Left out by `--type`, `--type-not` or `--glob`.
    case excluded = "excluded by --type/--glob"
    /// Could not be opened, listed or read (permissions, vanished during the walk, a symbolic
    /// link loop or a dangling link).
    case unreadable
    /// A JSON line that is not a document (bad JSON, no text member, a null or nested id).
    case badLine = "bad JSON line"

    /// True for the reasons that are errors in the input (a build that indexed nothing because
    /// of them fails with exit 2; otherwise there was just nothing to index: exit 1).
    public var isError: Bool { self == .unreadable || self == .badLine }

    /// "2 bad JSON lines", "1 not a regular file", "3 binary": `n` files or lines skipped for this reason.
    public func counted(_ n: Int) -> String {
        switch self {
        case .badLine: "\(n) bad JSON line\(n == 1 ? "" : "s")"
        case .notRegularFile: n == 1 ? "1 not a regular file" : "\(n) not regular files"
        default: "\(n) \(rawValue)"
        }
    }

    public static func < (a: SkipReason, b: SkipReason) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
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
    /// False for stdin, a FIFO or a device named on the command line: read on every run (their
    /// size and time say nothing about their content).
    public var isRegularFile = true
}

/// How input paths are read.
public struct InputOptions: Sendable, Hashable {
    /// Read every file given (and stdin) as JSON Lines, whatever its name.
    public var forcesJSONLines = false
    /// JSON member holding the document key.
    public var idField = "id"
    /// The id member was chosen by the user (`--id-field`): a JSON Lines file in which no line
    /// has it is an error (with the default, such a file's documents are keyed by line number).
    public var requiresIDField = false
    /// JSON members joined by ``SourceDocument/fieldSeparator`` into the document text, in this order.
    public var textFields = ["title", "body"]
    /// JSON member holding the title.
    public var titleField = "title"
    /// Walk into hidden folders (and read hidden files), `.git` included.
    public var includesHidden = false
    /// Read text files in this charset (an ICU converter name, e.g. "GB18030", "Shift_JIS")
    /// instead of detecting it. Not for JSON Lines (always UTF-8).
    public var encoding: String? = nil
    /// Only files of these types (``FileTypes``) are read from folders (empty: every type).
    public var types: [String] = []
    /// Files of these types are not read from folders.
    public var excludedTypes: [String] = []
    /// Globs over the files found in folders, as ripgrep's `--glob`: a file is read when it
    /// matches one of the globs without "!" (when there are any) and none of the globs with "!".
    /// A glob without "/" is matched against the file name, one with "/" against the path
    /// relative to the folder given. Files named on the command line are always read.
    public var globs: [String] = []

    /// Default options: fields `id`, `title`, `body`; hidden entries skipped; every file type.
    public init() {}

    /// Whether ``DocumentSource/listFiles(paths:)`` lists the same files with `other` (the
    /// options it reads: JSON Lines forced, hidden entries, types and globs).
    func listsTheSameFiles(as other: InputOptions) -> Bool {
        forcesJSONLines == other.forcesJSONLines && includesHidden == other.includesHidden && types == other.types
            && excludedTypes == other.excludedTypes && globs == other.globs
    }

    /// The options spelled as Swift prints the struct (`"\(options)"`, which source tables
    /// record, see `IndexBuilder.fingerprint`), without the reflection that costs an up-to-date
    /// `sou index` a millisecond. A test holds the two equal. Built by appending, not with
    /// `joined(separator:)` and interpolations: the first generic `joined` of a process looks up
    /// an associated type witness by its mangled name (~180,000 instructions, 11% of an
    /// up-to-date `sou index` of debref-ja's 30 files, callgrind); plain option values (printable
    /// ASCII without quotes or backslashes, as field names, types and globs are) are quoted as
    /// they are, others as `debugDescription` escapes them.
    public var fieldsDescription: String {
        func quote(_ s: String, into out: inout String) {
            if s.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "'") && $0 != UInt8(ascii: "\\") }) {
                out += "\""
                out += s
                out += "\""
            } else {
                out += s.debugDescription
            }
        }
        func list(_ a: [String], into out: inout String) {
            out += "["
            for (i, s) in a.enumerated() {
                if i > 0 { out += ", " }
                quote(s, into: &out)
            }
            out += "]"
        }
        func flag(_ b: Bool) -> String { b ? "true" : "false" }
        var out = "InputOptions(forcesJSONLines: " + flag(forcesJSONLines) + ", idField: "
        quote(idField, into: &out)
        out += ", requiresIDField: " + flag(requiresIDField) + ", textFields: "
        list(textFields, into: &out)
        out += ", titleField: "
        quote(titleField, into: &out)
        out += ", includesHidden: " + flag(includesHidden) + ", encoding: "
        if let encoding {
            out += "Optional("
            quote(encoding, into: &out)
            out += ")"
        } else {
            out += "nil"
        }
        out += ", types: "
        list(types, into: &out)
        out += ", excludedTypes: "
        list(excludedTypes, into: &out)
        out += ", globs: "
        list(globs, into: &out)
        out += ")"
        return out
    }
}

/// File types for `--type` and `--type-not`: names and the file name patterns they cover.
public enum FileTypes {
    /// Type name → globs (file names).
    public static let all: [(name: String, globs: [String])] = [
        ("txt", ["*.txt", "*.text"]),
        ("md", ["*.md", "*.markdown", "*.mdown", "*.mkd"]),
        ("html", ["*.html", "*.htm", "*.xhtml"]),
        ("jsonl", ["*.jsonl", "*.jsonl.gz", "*.ndjson"]),
        ("json", ["*.json"]),
        ("csv", ["*.csv", "*.tsv"]),
        ("xml", ["*.xml", "*.xsl", "*.svg"]),
        ("log", ["*.log"]),
        ("subtitle", ["*.srt", "*.ass", "*.ssa", "*.vtt"]),
        ("rst", ["*.rst"]),
        ("tex", ["*.tex", "*.bib", "*.sty", "*.cls"]),
        ("org", ["*.org"]),
        ("yaml", ["*.yaml", "*.yml"]),
        ("toml", ["*.toml", "*.ini", "*.cfg", "*.conf"]),
        ("py", ["*.py", "*.pyi"]),
        ("c", ["*.c", "*.h"]),
        ("cpp", ["*.cpp", "*.cc", "*.cxx", "*.hpp", "*.hh", "*.hxx"]),
        ("swift", ["*.swift"]),
        ("js", ["*.js", "*.mjs", "*.cjs", "*.jsx", "*.ts", "*.tsx"]),
        ("java", ["*.java", "*.kt"]),
        ("go", ["*.go"]),
        ("rust", ["*.rs"]),
        ("sh", ["*.sh", "*.bash", "*.zsh"]),
        ("man", ["*.[0-9]", "*.man"]),
    ]

    /// Every type with its globs, a line each, as `rg --type-list` prints them (`txt: *.text, *.txt`):
    /// what `--type-list` prints.
    public static var listing: String {
        var out = ""
        for (name, globs) in all { out += name + ": " + globs.joined(separator: ", ") + "\n" }
        return out
    }

    /// The globs of type `name`, or nil for an unknown type.
    public static func globs(of name: String) -> [String]? {
        all.first { $0.name == name }?.globs
    }
}

/// Matches ripgrep-style globs with `fnmatch(3)`: `*` stays within a folder unless the glob has
/// `**` (then `*` crosses folders too, and `**/` also matches no folder).
enum GlobMatcher {
    static func matches(_ glob: String, name: String, relative: String) -> Bool {
        if glob.contains("/") {
            var g = glob
            if g.hasPrefix("/") { g.removeFirst() }
            let flags = g.contains("**") ? 0 : FNM_PATHNAME
            if fnmatch(g, relative, flags) == 0 { return true }
            // "**/x" also matches "x" at the top; "a/**/b" also matches "a/b"
            if g.hasPrefix("**/"), fnmatch(String(g.dropFirst(3)), relative, flags) == 0 { return true }
            if g.contains("/**/"), fnmatch(g.replacingScalars("/**/", with: "/"), relative, flags) == 0 { return true }
            return false
        }
        return fnmatch(glob, name, 0) == 0
    }
}

/// Reads documents from files, folders, JSON Lines and stdin, in a deterministic order.
///
/// - Folders are walked recursively in sorted path order. Every regular file is a candidate,
///   whatever its name; its content decides (as ripgrep does): text in UTF-8, UTF-16/32 (by byte
///   order mark or detection) or a legacy charset ICU recognizes (GB18030/GBK, Big5, Shift_JIS,
///   EUC-JP, EUC-KR, …) is converted to UTF-8 and indexed; files with NUL bytes are binary and
///   skipped, as are empty files and text in no recognizable charset (``TextDecoding``).
///   `.html`/`.htm` have their tags stripped; `.jsonl`/`.jsonl.gz`/`.ndjson` are JSON Lines
///   (one document per line, key `folder/path.jsonl#id`; a file's key is its path: the folder as
///   given joined with the path inside it, `docs` → `docs/lo-ja/01929.txt`). ``InputOptions/types`` and
///   ``InputOptions/globs`` narrow the files read. Hidden entries and `.git` are skipped unless
///   ``InputOptions/includesHidden``. Symbolic links are followed once (a folder already on the
///   current path is not entered again, so loops end). FIFOs, devices and sockets inside folders
///   are skipped. Every skip is counted by reason (``skippedByReason``).
/// - A file named on the command line is read whatever its type (JSON Lines when its name ends
///   in `.jsonl`/`.jsonl.gz`/`.ndjson` or with ``InputOptions/forcesJSONLines``); its key is the
///   path as given, or for JSON Lines the id alone. A FIFO named there is read (a FIFO without
///   a writer is empty); a device is read only when it has input at once (`/dev/null` is empty,
///   a terminal with nothing typed is skipped, never waited for).
/// - `-` is stdin: JSON Lines when its first non-blank line is a JSON object (or with
///   ``InputOptions/forcesJSONLines``), otherwise one document with key `-` (a note says which),
///   of at most ``StreamedText/maxBytes``; NUL bytes in it (not UTF-16/32 text) are an error,
///   thrown as soon as they are read. A FIFO or device named is bounded alike.
/// - JSON Lines (UTF-8, a byte order mark at the start is ignored, CRLF accepted): a bad line is
///   reported (`file:line: message`) and skipped. Members that are `null` are empty text; a text
///   member that is an object or array makes the line bad; a line with none of the text members
///   is bad. The key is the id member (a string, or a number or boolean as written): an id that
///   is `null`, an object or an array makes the line bad. A line without the id member gets its
///   0-based line number as key (the numbering of the shared query sets), with a warning when
///   other lines of the file have ids; with ``InputOptions/requiresIDField``, a file in which no
///   line has it is an error.
public final class DocumentSource {
    /// How to read.
    public var options: InputOptions
    /// Called with one-line warnings (unreadable files, bad lines, text in no known charset).
    public var warn: (String) -> Void
    /// Called with what `--verbose` lists: every file skipped and why, every file read in a
    /// charset other than UTF-8 and how it was chosen.
    public var detail: (String) -> Void = { _ in }
    /// Called with notes on how input was understood (stdin read as JSON Lines or as one text; a
    /// JSON Lines file keyed by line numbers).
    public var note: (String) -> Void = { _ in }
    /// Input bytes consumed so far (uncompressed for gzip).
    public private(set) var bytesRead = 0
    /// Files read so far.
    public private(set) var filesRead = 0
    /// Seconds the last file read as text took to load (open, read, decompress), what
    /// ``ReadAhead`` watches for reads from the disk.
    var lastLoadSeconds = 0.0
    /// Files, folders and lines skipped, by reason.
    public internal(set) var skippedByReason: [SkipReason: Int] = [:]
    /// Files read in each charset other than UTF-8.
    public private(set) var charsets: [String: Int] = [:]
    /// Files or lines skipped (all reasons).
    public var skipped: Int { skippedByReason.values.reduce(0, +) }
    /// The paths skipped as ``SkipReason/unreadable`` (files that could not be opened or read,
    /// folders that could not be listed, dangling or looping links), in the order met: an update
    /// leaves such a file out of its source table, so that the next run tries it again.
    public private(set) var unreadablePaths: [String] = []
    /// The folders the walks of ``listFiles(paths:)`` listed and entered, in the order entered
    /// (a folder pruned by an exclusion glob, hidden, unreadable or reached again through a
    /// link loop is not one): what a watcher of the paths watches (`sou watch`).
    public private(set) var walkedFolders: [String] = []

    /// Creates a source.
    public init(options: InputOptions = InputOptions(), warn: @escaping (String) -> Void = { _ in }) {
        self.options = options
        self.warn = warn
    }

    /// Counts a skip; warns (always shown) or details (`--verbose`) with the path and reason.
    func skip(_ reason: SkipReason, _ path: String, _ why: String, warns: Bool) {
        skippedByReason[reason, default: 0] += 1
        if reason == .unreadable { unreadablePaths.append(path) }
        let message = "skipping \(PathBytes.displayed(path)): \(why)"
        if warns { warn(message) } else { detail(message) }
    }

    /// Reads every path in order, calling `body` with each document.
    public func read(paths: [String], _ body: (SourceDocument) throws -> Void) throws {
        for file in try listFiles(paths: paths) { try read(file, body) }
    }

    /// Checks the options that can be wrong (an unknown `--encoding`, `--type`, a malformed
    /// `--glob`); throws
    /// ``IndexError/io(_:)`` saying what is wrong. Returns the options with the charset's
    /// canonical name.
    public static func validated(_ options: InputOptions) throws -> InputOptions {
        var o = options
        if let name = options.encoding {
            guard let canonical = TextDecoding.canonicalName(name) else {
                throw IndexError.io("unknown encoding \"\(name)\" (an ICU converter name, e.g. GB18030, Big5, Shift_JIS, EUC-JP, EUC-KR, UTF-16LE)")
            }
            o.encoding = canonical
        }
        for t in options.types + options.excludedTypes where FileTypes.globs(of: t) == nil {
            throw IndexError.io("unknown file type \"\(t)\" (known: \(FileTypes.all.map(\.name).joined(separator: ", ")))")
        }
        for g in options.globs {
            if g.isEmpty || g == "!" || g == "!/" || g == "/" { throw IndexError.io("empty --glob") }
            if g.hasSuffix("/"), !g.hasPrefix("!") {
                // (a folder is always walked: only files are included)
                throw IndexError.io("--glob \"\(g)\" names folders (it ends with /): exclude one with \"!\(g)\", "
                                    + "or include the files below it with \"\(g)**\"")
            }
            // fnmatch takes a malformed glob as matching nothing (or a "[" itself): say what is wrong
            if let problem = GlobSyntax.problem(g.hasPrefix("!") ? String(g.dropFirst()) : g) {
                throw IndexError.io("invalid --glob \"\(g)\": \(problem)")
            }
        }
        return o
    }

    /// The files `paths` name, in reading order, without reading them: folders walked (sorted,
    /// hidden entries, non-regular files and files the filters exclude left out and counted),
    /// stdin as `-`.
    public func listFiles(paths: [String]) throws -> [InputFile] {
        var files: [InputFile] = []
        for path in paths {
            if path == "-" {
                files.append(InputFile(path: "-", key: "-", isJSONLines: options.forcesJSONLines, isExplicit: true,
                                       size: 0, modificationTime: 0, isRegularFile: false))
                continue
            }
            var st = stat()
            let shown = PathBytes.displayed(path)
            guard stat(PathBytes.cString(path), &st) == 0 else {
                let e = errno
                var l = stat()
                if e == ENOENT, lstat(PathBytes.cString(path), &l) == 0, (l.st_mode & S_IFMT) == S_IFLNK {
                    throw IndexError.io("cannot read \(shown): a symbolic link to nothing (its target does not exist)")
                }
                if e == ELOOP { throw IndexError.io("cannot read \(shown): a symbolic link loop") }
                throw IndexError.io("cannot read \(shown): \(String(cString: strerror(e)))")
            }
            switch st.st_mode & S_IFMT {
            case S_IFDIR:
                var visiting: [FolderID] = []
                let o = options
                walk(WalkedFolder(path: path, bytes: PathBytes.bytes(path), isPlain: !PathBytes.hasRawBytes(path), relative: ""),
                     filtered: !o.types.isEmpty || !o.excludedTypes.isEmpty || !o.globs.isEmpty, visiting: &visiting, into: &files)
            case S_IFSOCK:
                skip(.notRegularFile, path, "a socket", warns: true)
            default:
                let jsonl = options.forcesJSONLines || Self.isJSONLines(path)
                files.append(InputFile(path: path, key: jsonl ? "" : shown, isJSONLines: jsonl, isExplicit: true,
                                       size: Int(st.st_size), modificationTime: Self.modificationTime(st),
                                       isRegularFile: (st.st_mode & S_IFMT) == S_IFREG))
            }
        }
        if paths.count > 1 {
            // a file reached through two of the paths (a folder and a folder or file inside it:
            // `sou index docs docs/sub`) is the same file under the same path: read once, without
            // the duplicate-key warnings reading it twice gave
            // (by bytes: two names that are canonically equivalent Strings are two files)
            var seen = Set<ByteKey>()
            seen.reserveCapacity(files.count)
            let before = files.count
            files.removeAll { $0.path != "-" && !seen.insert(ByteKey($0.path)).inserted }
            if files.count < before {
                detail("\(before - files.count) file\(before - files.count == 1 ? "" : "s") reached through two of the paths given: read once")
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
                try readJSONLines(path: file.path, keyPrefix: file.key, explicit: file.isExplicit, tagged)
            } else {
                try readTextFile(path: file.path, key: file.key, explicit: file.isExplicit, tagged)
            }
        }
    }

    static func modificationTime(_ st: stat) -> Int64 {
        Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
    }

    /// Entries of one folder from which ``walk(_:filtered:visiting:into:)`` makes its InputFiles in
    /// two halves at once (on two threads): below it, a thread costs more than it saves.
    static let splitListing = 2048

    /// The InputFiles of a second thread's half of a folder, read after it is joined.
    private final class MadeFiles: @unchecked Sendable {
        var files: [InputFile] = []
    }

    /// `prefix` (a folder's path and a slash) and a name's bytes (``PathBytes/isPlain(_:)``) in one
    /// String, without a String of the name between.
    @inline(__always)
    private static func joined(_ prefix: inout String, _ raw: UnsafeBufferPointer<UInt8>) -> String {
        prefix.withUTF8 { p in
            String(unsafeUninitializedCapacity: p.count + raw.count) { out in
                // bounds: `out` holds p.count + raw.count bytes
                let base = UnsafeMutableRawPointer(out.baseAddress!)
                base.copyMemory(from: p.baseAddress!, byteCount: p.count)
                if raw.count > 0 { (base + p.count).copyMemory(from: raw.baseAddress!, byteCount: raw.count) }
                return p.count + raw.count
            }
        }
    }

    /// The InputFile of a listed regular file named `raw` at `path`.
    @inline(__always)
    private static func inputFile(_ e: sou_folder_entry, _ raw: UnsafeBufferPointer<UInt8>, path: String, plain: Bool,
                                  folderIsPlain: Bool) -> InputFile {
        let jsonl = isJSONLines(raw)
        let key = folderIsPlain && plain ? path : PathBytes.displayed(path)
        return InputFile(path: path, key: jsonl ? key + "#" : key, isJSONLines: jsonl, isExplicit: false,
                         size: Int(e.size), modificationTime: Int64(e.mtime_ns))
    }

    /// The InputFiles of `entries` (regular files and hidden entries, which are left out), in
    /// order: names at `names` + their offsets (the C listing's, alive while this runs).
    private static func inputFiles(_ entries: UnsafeBufferPointer<sou_folder_entry>, names: UnsafePointer<UInt8>, prefix: String,
                                   folderIsPlain: Bool) -> [InputFile] {
        var out: [InputFile] = []
        out.reserveCapacity(entries.count)
        var prefixUTF8 = prefix
        for e in entries where e.kind == Int32(SOU_ENTRY_FILE) {
            // bounds: each entry names `name_length` bytes at `name_offset` of the listing's names
            let raw = UnsafeBufferPointer(start: names + e.name_offset, count: e.name_length)
            let plain = PathBytes.isPlain(raw)
            let path = plain ? joined(&prefixUTF8, raw) : prefix + PathBytes.string(raw)
            out.append(inputFile(e, raw, path: path, plain: plain, folderIsPlain: folderIsPlain))
        }
        return out
    }

    /// ``isJSONLines(_:)`` on a name's bytes.
    static func isJSONLines(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        func hasSuffix(_ suffix: StaticString) -> Bool {
            let n = suffix.utf8CodeUnitCount
            guard name.count > n else { return false }   // a name that is only the suffix has no stem
            for k in 0..<n {
                let b = name[name.count - n + k]
                guard (b >= 0x41 && b <= 0x5A ? b | 0x20 : b) == suffix.utf8Start[k] else { return false }
            }
            return true
        }
        return hasSuffix(".jsonl") || hasSuffix(".jsonl.gz") || hasSuffix(".ndjson")
    }

    static func isJSONLines(_ name: String) -> Bool {
        // on the UTF-8 bytes, ASCII case folded (called for every walked file)
        let bytes = name.utf8
        return bytes.hasASCIISuffixIgnoringCase(".jsonl") || bytes.hasASCIISuffixIgnoringCase(".jsonl.gz")
            || bytes.hasASCIISuffixIgnoringCase(".ndjson")
    }

    enum FileKind { case markdown, html, jsonLines, plain }

    static func kind(of name: String) -> FileKind {
        if isJSONLines(name) { return .jsonLines }
        let bytes = name.utf8
        if bytes.hasASCIISuffixIgnoringCase(".md") || bytes.hasASCIISuffixIgnoringCase(".markdown") { return .markdown }
        if bytes.hasASCIISuffixIgnoringCase(".html") || bytes.hasASCIISuffixIgnoringCase(".htm")
            || bytes.hasASCIISuffixIgnoringCase(".xhtml") { return .html }
        return .plain
    }

    /// Whether the filters (types, globs) let a file found in a folder be read.
    func isIncluded(name: String, relative: String) -> Bool {
        let o = options
        if !o.types.isEmpty {
            let globs = o.types.flatMap { FileTypes.globs(of: $0) ?? [] }
            guard globs.contains(where: { GlobMatcher.matches($0, name: name, relative: relative) }) else { return false }
        }
        if !o.excludedTypes.isEmpty {
            let globs = o.excludedTypes.flatMap { FileTypes.globs(of: $0) ?? [] }
            if globs.contains(where: { GlobMatcher.matches($0, name: name, relative: relative) }) { return false }
        }
        let including = o.globs.filter { !$0.hasPrefix("!") }
        if !including.isEmpty, !including.contains(where: { GlobMatcher.matches($0, name: name, relative: relative) }) {
            return false
        }
        // (an exclusion that ends with "/" names folders only: isExcludedFolder)
        for g in o.globs where g.hasPrefix("!") && !g.hasSuffix("/") {
            if GlobMatcher.matches(String(g.dropFirst()), name: name, relative: relative) { return false }
        }
        return true
    }

    /// Whether an exclusion glob (`!GLOB`, `!GLOB/`) names a folder found in a folder: it is not
    /// entered, as ripgrep prunes it (`-g '!node_modules'`, `-g '!build/'`, `-g '!docs/old'`).
    /// Without `/` a glob matches the folder's name at any depth, with one its path below the
    /// folder given; a trailing `/` makes a glob match folders only. Inclusion globs and types
    /// select files: every folder they do not exclude is walked.
    func isExcludedFolder(name: String, relative: String) -> Bool {
        for g in options.globs where g.hasPrefix("!") {
            var pattern = g.dropFirst()
            if pattern.hasSuffix("/") { pattern = pattern.dropLast() }
            if GlobMatcher.matches(String(pattern), name: name, relative: relative) { return true }
        }
        return false
    }

    /// A folder being walked: its path as a ``PathBytes`` String and as the bytes it stands for,
    /// and whether the two spell the same bytes (no byte that is not UTF-8: keys equal paths).
    struct WalkedFolder {
        var path: String
        var bytes: [UInt8]
        var isPlain: Bool
        /// The path inside the folder given on the command line ("" at the top); kept only when
        /// `--glob`/`--type` filters need it.
        var relative: String
    }

    /// Lists `folder` (sorted by the bytes of the names; entries stat'ed relative to the folder's
    /// descriptor, on two threads for a large folder: `sou_list_folder` in CSystemShim), appends
    /// its files to `files` and walks its subfolders, depth first. No String is made for a
    /// name beyond the one its path needs.
    /// A folder's device and inode: what a symbolic link loop revisits.
    private struct FolderID: Equatable {
        var device: UInt64
        var inode: UInt64
    }

    /// `visiting`: the folders being walked, from the root down to `folder`'s parent (a list, not
    /// a Set: it is as long as the path is deep, and the first use of a Set type in a process
    /// costs a scan of every protocol-conformance record, ~0.5 M instructions of an up-to-date
    /// `sou index`).
    private func walk(_ folder: WalkedFolder, filtered: Bool, visiting: inout [FolderID], into files: inout [InputFile]) {
        var listing = sou_folder_listing()
        var stage: Int32 = 0
        let error = folder.bytes.withUnsafeBufferPointer { b -> Int32 in
            // the path's bytes and a NUL (a name with a NUL byte cannot reach here: argv and
            // directory entries end at their NUL)
            var c = [CChar](repeating: 0, count: b.count + 1)
            c.withUnsafeMutableBytes { m in m.copyMemory(from: UnsafeRawBufferPointer(b)) }
            return sou_list_folder(c, options.includesHidden ? 1 : 0, &listing, &stage)
        }
        guard error == 0 else {
            let reason = String(cString: strerror(error))
            skip(.unreadable, folder.path, stage == 1 ? reason : "cannot list it: \(reason)", warns: true)
            return
        }
        defer { sou_folder_listing_free(&listing) }
        let id = FolderID(device: UInt64(listing.device), inode: UInt64(listing.inode))
        guard !visiting.contains(id) else {
            // a link back to a folder being walked: its files are listed once already
            detail("skipping \(PathBytes.displayed(folder.path)): symbolic link loop (the folder is already being read)")
            return
        }
        visiting.append(id)
        defer { visiting.removeLast() }
        walkedFolders.append(folder.path)
        guard listing.count > 0, let entries = listing.entries, let names = listing.names else { return }
        let prefix = folder.path.hasSuffix("/") ? folder.path : folder.path + "/"
        let prefixBytes = folder.bytes.last == UInt8(ascii: "/") ? folder.bytes : folder.bytes + [UInt8(ascii: "/")]
        // bounds: sou_list_folder returned `count` entries, each naming `name_length` bytes at
        // `name_offset` of `names`
        let all = UnsafeBufferPointer(start: entries, count: listing.count)
        let nameBase = UnsafeRawPointer(names).assumingMemoryBound(to: UInt8.self)
        func nameBytes(_ e: sou_folder_entry) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(start: nameBase + e.name_offset, count: e.name_length)
        }
        // hidden entries: not counted (as ripgrep; a writer's own lock file is hidden too), only listed
        for e in all where e.kind == Int32(SOU_ENTRY_HIDDEN) {
            detail("skipping \(PathBytes.displayed(prefix + PathBytes.string(nameBytes(e)))): hidden (--hidden reads it)")
        }
        // room for every entry being a file (grown once per folder, not by doubling through a
        // large listing; at least doubled, so that many small folders cost no copy each)
        if files.capacity < files.count + all.count { files.reserveCapacity(max(files.count + all.count, files.capacity * 2)) }
        let folderIsPlain = folder.isPlain
        if !filtered, all.count >= Self.splitListing,
           all.allSatisfy({ $0.kind == Int32(SOU_ENTRY_FILE) || $0.kind == Int32(SOU_ENTRY_HIDDEN) }) {
            // A large folder of files alone, unfiltered (the shared sets' per-document folders):
            // nothing to report on the way, so its entries become InputFiles in two halves at once,
            // the second on a thread of its own. Every run waits for this step at the end of the
            // walk, when the stat thread has ended (7,117 files: ~2.9 M instructions, ~1 ms of one
            // core). Same files, same order as the loop below.
            let half = all.count / 2
            // (both alive until this function returns: the listing is freed by its defer, after the join)
            nonisolated(unsafe) let second = UnsafeBufferPointer(rebasing: all[half...]), names = nameBase
            let made = MadeFiles()
            if let thread = WorkerThread.startJoinable({ made.files = Self.inputFiles(second, names: names, prefix: prefix, folderIsPlain: folderIsPlain) }) {
                files.append(contentsOf: Self.inputFiles(UnsafeBufferPointer(rebasing: all[..<half]), names: nameBase, prefix: prefix,
                                                         folderIsPlain: folderIsPlain))
                pthread_join(thread, nil)
                files.append(contentsOf: made.files)
            } else {
                files.append(contentsOf: Self.inputFiles(all, names: nameBase, prefix: prefix, folderIsPlain: folderIsPlain))
            }
            return
        }
        var prefixUTF8 = prefix
        for e in all where e.kind != Int32(SOU_ENTRY_HIDDEN) {
            let raw = nameBytes(e)
            let plain = PathBytes.isPlain(raw)
            let path = plain ? Self.joined(&prefixUTF8, raw) : prefix + PathBytes.string(raw)
            // a String of the name only for what needs one (filters, relative paths)
            var name: String { plain ? String(decoding: raw, as: UTF8.self) : PathBytes.string(raw) }
            let relative = filtered ? (folder.relative.isEmpty ? name : folder.relative + "/" + name) : ""
            switch Int(e.kind) {
            case Int(SOU_ENTRY_FOLDER):
                if filtered, isExcludedFolder(name: name, relative: relative) {
                    skip(.excluded, path, "folder excluded by --glob (not entered)", warns: false)
                    continue
                }
                walk(WalkedFolder(path: path, bytes: prefixBytes + Array(raw), isPlain: folder.isPlain && plain, relative: relative),
                     filtered: filtered, visiting: &visiting, into: &files)
            case Int(SOU_ENTRY_FILE):
                if filtered, !isIncluded(name: name, relative: relative) {
                    skip(.excluded, path, "excluded by --type/--glob", warns: false)
                    continue
                }
                files.append(Self.inputFile(e, raw, path: path, plain: plain, folderIsPlain: folderIsPlain))
            case Int(SOU_ENTRY_UNREADABLE):
                if e.dangling != 0 {
                    skip(.unreadable, path, "a symbolic link to nothing", warns: true)
                } else if e.error == ELOOP {
                    skip(.unreadable, path, "a symbolic link loop", warns: true)
                } else {
                    skip(.unreadable, path, String(cString: strerror(e.error)), warns: true)
                }
            default:
                let what: String
                switch Int(e.kind) {
                case Int(SOU_ENTRY_FIFO): what = "a FIFO"
                case Int(SOU_ENTRY_CHARACTER_DEVICE): what = "a character device"
                case Int(SOU_ENTRY_BLOCK_DEVICE): what = "a block device"
                case Int(SOU_ENTRY_SOCKET): what = "a socket"
                default: what = "not a regular file"
                }
                skip(.notRegularFile, path, "\(what) (only regular files are read from folders)", warns: false)
            }
        }
    }

    /// The text of a file's bytes (decoded as ``TextDecoding`` says), or nil after counting the
    /// skip. `explicit`: named on the command line (a skip is then a warning).
    func decodeText(_ bytes: [UInt8], path: String, explicit: Bool = true) -> String? {
        switch TextDecoding.decode(bytes, forced: options.encoding) {
        case .binary(let why):
            skip(.binary, path, why, warns: explicit)
            return nil
        case .undecodable(let why):
            skip(.notText, path, why, warns: true)
            return nil
        case .text(let text, let charset, let how, let replaced):
            if charset != "UTF-8" {
                charsets[charset, default: 0] += 1
                detail("\(PathBytes.displayed(path)): read as \(charset) (\(how))")
            } else if replaced > 0 {
                warn("\(PathBytes.displayed(path)): \(how)")
            }
            if text.isEmpty {
                skip(.empty, path, "empty", warns: false)
                return nil
            }
            return text
        }
    }

    private func readTextFile(path: String, key: String, explicit: Bool,
                              _ body: (SourceDocument) throws -> Void) throws {
        let loaded: FileContents.Loaded
        let started = IndexBuildTimings.wallSeconds()
        do {
            loaded = try FileContents.load(path, checksBinary: options.encoding == nil)
            lastLoadSeconds = IndexBuildTimings.wallSeconds() - started
        } catch {
            if explicit { throw error }
            skip(.unreadable, path, "\(error)", warns: true)
            return
        }
        filesRead += 1
        let bytes: [UInt8]
        switch loaded {
        case .bytes(let b):
            bytes = b
        case .binary(let seen):
            bytesRead += seen
            skip(.binary, path, "binary file (NUL bytes)", warns: explicit)
            return
        case .wouldBlock(let what):
            skip(.notRegularFile, path, "\(what) with no input ready (not waited for)", warns: true)
            return
        }
        bytesRead += bytes.count
        guard let text = decodeText(bytes, path: path, explicit: explicit) else { return }
        var doc: SourceDocument
        switch Self.kind(of: path) {
        case .html:
            let (plain, title) = HTMLText.extract(text)
            doc = SourceDocument(key: key, title: title, text: plain)
        case .markdown:
            doc = SourceDocument(key: key, title: Self.firstLine(text, stripping: "#"), text: text)
        default:
            doc = SourceDocument(key: key, title: Self.firstLine(text, stripping: nil), text: text)
        }
        doc.origin = PathBytes.displayed(path)
        try body(doc)
    }

    /// The first non-empty line, trimmed (without leading `stripping` characters), ≤ 120 characters.
    ///
    /// Lines end at LF, CR or CR LF, found in the UTF-8 bytes (a line break is always a
    /// Character of its own: grapheme clusters break before and after CR and LF), and only as
    /// far as the first line with text: splitting the whole text into Characters first cost a
    /// 71-file update more than all of its analysis.
    static func firstLine(_ text: String, stripping: Character?) -> String {
        var rest = Substring(text)
        while !rest.isEmpty {
            let end = rest.utf8.firstIndex { $0 == 0x0A || $0 == 0x0D } ?? rest.endIndex
            var l = rest[rest.startIndex..<end]
            rest = end == rest.endIndex ? rest[end...] : rest[rest.utf8.index(after: end)...]
            if l.isEmpty { continue }
            if let c = stripping { while l.first == c { l.removeFirst() } }
            let scalars = l.unicodeScalars
            guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { continue }
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
            return String(Substring(scalars[first...last]).prefix(120))
        }
        return ""
    }

    /// Stdin: JSON Lines (forced, or when its first non-blank line is a JSON object) or one text
    /// document. gzip data is decompressed.
    private func readStdin(_ body: (SourceDocument) throws -> Void) throws {
        guard let file = gzdopen(dup(0), "rb") else { throw IndexError.io("cannot read stdin: \(String(cString: strerror(errno)))") }
        defer { gzclose(file) }
        filesRead += 1
        try withoutActuallyEscaping(body) { body in try readStdin(file, body) }
    }

    private func readStdin(_ file: gzFile, _ body: @escaping (SourceDocument) throws -> Void) throws {
        let lines = JSONLinesReader(source: self, name: "stdin", keyPrefix: "", body: body)
        var mode: Bool? = options.forcesJSONLines ? true : nil   // true: JSON Lines
        // the text until JSON Lines are recognized, or all of it: bounded, and refused as binary
        // at the first NUL byte that is not UTF-16/32 text (a NUL byte before the first line
        // ends means that line is no JSON object)
        var head = StreamedText(name: "stdin", checksBinary: options.encoding == nil)
        var jsonCheck = StdinJSONCheck()
        try FileContents.forEachChunk(of: file, name: "stdin") { c in
            bytesRead += c.count
            if mode == true {
                try lines.feed(c)
                return
            }
            try head.append(c)
            if mode == nil, let decided = jsonCheck.looksLikeJSONLines(head.bytes, complete: false) {
                mode = decided
                if decided {
                    try head.bytes.withUnsafeBufferPointer { try lines.feed($0) }
                    head = StreamedText(name: "stdin", checksBinary: options.encoding == nil)
                    return
                }
            }
            try head.check()
        }
        if mode == nil { mode = jsonCheck.looksLikeJSONLines(head.bytes, complete: true) ?? false }
        if mode == true {
            if !head.bytes.isEmpty { try head.bytes.withUnsafeBufferPointer { try lines.feed($0) } }
            try lines.finish()
            if !options.forcesJSONLines {
                note("stdin: read as JSON Lines, one document per line (its first line is a JSON object)")
            }
            return
        }
        try head.finish()
        guard let text = decodeText(head.bytes, path: "stdin") else { return }
        // a first line that starts like JSON but does not parse: say how to read it as JSON Lines
        let startsLikeJSON = head.bytes.drop(while: { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }).first == UInt8(ascii: "{")
        note("stdin: read as one text document (its first line is not a JSON object" + (startsLikeJSON ? "; --jsonl reads it as JSON Lines)" : ")"))
        var doc = SourceDocument(key: "-", title: Self.firstLine(text, stripping: nil), text: text)
        doc.origin = "stdin"
        try body(doc)
    }

    /// Whether the start of stdin is JSON Lines, looked at as it grows: ``FirstLineScan`` over its
    /// bytes, or, when its first four bytes are UTF-16/32 (``WideJSONDecoder``), over their UTF-8,
    /// each byte converted once.
    private struct StdinJSONCheck {
        private var scan = FirstLineScan()
        private var decided = false
        private var decoder: WideJSONDecoder?
        private var converted: [UInt8] = []
        /// Bytes of the head converted so far (with the byte order mark's).
        private var consumed = 0

        /// ``FirstLineScan/looksLikeJSONLines(_:complete:)`` of `head`, the start of the stream
        /// (grown since the last call), in its encoding.
        mutating func looksLikeJSONLines(_ head: [UInt8], complete: Bool) -> Bool? {
            if !decided, head.count >= 4 || complete {
                decided = true
                if let (form, mark) = head.withUnsafeBufferPointer({ WideJSONDecoder.form(of: $0) }) {
                    decoder = WideJSONDecoder(form)
                    consumed = mark
                    scan = FirstLineScan()   // (it may have looked at the first bytes as UTF-8)
                }
            }
            guard decoder != nil else { return scan.looksLikeJSONLines(head, complete: complete) }
            head.withUnsafeBufferPointer { decoder!.decode(UnsafeBufferPointer(rebasing: $0[consumed...]), into: &converted) }
            consumed = head.count
            return scan.looksLikeJSONLines(converted, complete: complete)
        }
    }

    /// The longest JSON line read (bytes, without its newline): a longer one is an error.
    public static let maxLineBytes = 256 << 20

    /// Streams a JSON Lines file (gzip or plain) line by line.
    private func readJSONLines(path: String, keyPrefix: String, explicit: Bool, _ body: (SourceDocument) throws -> Void) throws {
        var st = stat()
        if stat(PathBytes.cString(path), &st) == 0, (st.st_mode & S_IFMT) == S_IFCHR || (st.st_mode & S_IFMT) == S_IFBLK {
            // a device: zlib would block on a terminal and never end on /dev/zero
            skip(.notRegularFile, path, "a device (JSON Lines are read from files, FIFOs and stdin)", warns: true)
            return
        }
        guard let file = gzopen(PathBytes.cString(path), "rb") else {
            let error = IndexError.io("cannot open \(PathBytes.displayed(path)): \(String(cString: strerror(errno)))")
            if explicit { throw error }
            skip(.unreadable, path, "\(error)", warns: true)
            return
        }
        defer { gzclose(file) }
        filesRead += 1
        try withoutActuallyEscaping(body) { body in
            let lines = JSONLinesReader(source: self, name: PathBytes.displayed(path), keyPrefix: keyPrefix, body: body)
            try FileContents.forEachChunk(of: file, name: PathBytes.displayed(path), requiresGzip: FileContents.isGzipName(path)) { c in
                bytesRead += c.count
                try lines.feed(c)
            }
            try lines.finish()
        }
    }

    /// Splits a JSON Lines stream into lines and turns each into a document.
    final class JSONLinesReader {
        let source: DocumentSource
        let name: String
        let keyPrefix: String
        let body: (SourceDocument) throws -> Void
        var pending: [UInt8] = []
        var lineNumber = 0
        /// Lines with the id member; 1-based numbers of lines without it not yet warned about
        /// (they are, once a line with an id shows the file has ids).
        var withID = 0
        var withoutID: [Int] = []
        /// The stream's first bytes, until there are four: they say whether it is UTF-8 or
        /// UTF-16/32 (``WideJSONDecoder/form(of:)``).
        private var head: [UInt8] = []
        private var decided = false
        /// For JSON Lines in UTF-16/32: the decoder, and the UTF-8 of each chunk (reused).
        private var wide: WideJSONDecoder?
        private var converted: [UInt8] = []

        init(source: DocumentSource, name: String, keyPrefix: String, body: @escaping (SourceDocument) throws -> Void) {
            self.source = source
            self.name = name
            self.keyPrefix = keyPrefix
            self.body = body
        }

        /// The next bytes of the stream.
        func feed(_ c: UnsafeBufferPointer<UInt8>) throws {
            if decided { return try feedDecided(c) }
            head.append(contentsOf: c)
            if head.count >= 4 { try decide() }
        }

        /// Takes the encoding the first bytes show (UTF-8 unless they are UTF-16/32), then reads them.
        private func decide() throws {
            decided = true
            let first = head
            head = []
            try first.withUnsafeBufferPointer { b in
                guard let (form, mark) = WideJSONDecoder.form(of: b) else { return try feedUTF8(b) }
                wide = WideJSONDecoder(form)
                source.note("\(name): JSON Lines in \(form.name), converted to UTF-8 as read")
                try feedDecided(UnsafeBufferPointer(rebasing: b[mark...]))
            }
        }

        private func feedDecided(_ c: UnsafeBufferPointer<UInt8>) throws {
            guard wide != nil else { return try feedUTF8(c) }
            converted.removeAll(keepingCapacity: true)
            wide!.decode(c, into: &converted)
            try converted.withUnsafeBufferPointer { try feedUTF8($0) }
        }

        private func feedUTF8(_ c: UnsafeBufferPointer<UInt8>) throws {
            var start = 0
            // each line end found with memchr, over the c.count − start bytes of the chunk left
            while start < c.count, let base = c.baseAddress,
                  let hit = memchr(base + start, 0x0A, c.count - start) {
                let i = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(hit))
                if pending.isEmpty {
                    try handle(UnsafeBufferPointer(rebasing: c[start..<i]))
                } else {
                    pending.append(contentsOf: c[start..<i])
                    try pending.withUnsafeBufferPointer { try handle($0) }
                    pending.removeAll(keepingCapacity: false)
                }
                start = i + 1
            }
            // a line without end (a binary file, /dev/zero) must not fill the memory
            guard pending.count + (c.count - start) <= DocumentSource.maxLineBytes else {
                throw IndexError.io("\(name):\(lineNumber + 1): line longer than \(DocumentSource.maxLineBytes >> 20) MiB, the most one JSON Lines document may hold")
            }
            pending.append(contentsOf: c[start..<c.count])
        }

        func finish() throws {
            if !decided { try decide() }
            if wide != nil {
                converted.removeAll(keepingCapacity: true)
                wide!.finish(into: &converted)
                try converted.withUnsafeBufferPointer { try feedUTF8($0) }
                if wide!.replaced > 0 {
                    let n = wide!.replaced
                    source.warn("\(name): \(n) \(n == 1 ? "code unit that is" : "code units that are") not \(wide!.form.name) text, replaced by U+FFFD")
                }
            }
            if !pending.isEmpty {
                try pending.withUnsafeBufferPointer { try handle($0) }
                pending = []
            }
            let o = source.options
            if withID == 0, !withoutID.isEmpty {
                if o.requiresIDField {
                    throw IndexError.io("\(name): no line has the member \"\(o.idField)\" given by --id-field (\(withoutID.count) \(withoutID.count == 1 ? "line" : "lines") read)")
                }
                source.note("\(name): no line has an \"\(o.idField)\" member: documents are keyed by their 0-based line number")
            }
        }

        private func missingID(_ line: Int) {
            source.warn("\(name):\(line): no \"\(source.options.idField)\" member: keyed by its 0-based line number \(line - 1)")
        }

        private func handle(_ line: UnsafeBufferPointer<UInt8>) throws {
            defer { lineNumber += 1 }
            var l = line
            if lineNumber == 0, l.count >= 3, l[0] == 0xEF, l[1] == 0xBB, l[2] == 0xBF {
                l = UnsafeBufferPointer(rebasing: l.dropFirst(3))   // a byte order mark, as in a .txt
            }
            if l.last == 0x0D { l = UnsafeBufferPointer(rebasing: l.dropLast()) }
            if l.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
            do {
                var (doc, hasID) = try source.document(fromJSON: l, lineIndex: lineNumber, keyPrefix: keyPrefix)
                doc.origin = "\(name):\(lineNumber + 1)"
                if hasID {
                    withID += 1
                    for n in withoutID { missingID(n) }
                    withoutID = []
                } else if withID > 0 {
                    missingID(lineNumber + 1)
                } else {
                    withoutID.append(lineNumber + 1)
                }
                try body(doc)
            } catch let f as JSONLineParser.Failure {
                source.skippedByReason[.badLine, default: 0] += 1
                source.warn("\(name):\(lineNumber + 1): skipping bad line: \(f.message)")
            }
        }
    }

    /// The document of one JSON line, and whether the line had the id member.
    func document(fromJSON line: UnsafeBufferPointer<UInt8>, lineIndex: Int, keyPrefix: String) throws -> (SourceDocument, Bool) {
        // the text members' strings come as bytes: joined, not made Strings (``DocumentText``)
        let members = try JSONLineParser.parse(line, utf8Members: options.textFields)
        func text(_ field: String) throws -> String? {
            switch members[field] {
            case .text(let s): return s
            case .utf8(let b): return String(decoding: b, as: UTF8.self)
            case .null: return ""
            case nil: return nil
            case .nested: throw JSONLineParser.Failure(message: "member \"\(field)\" is an object or array, not text")
            }
        }
        func bytes(_ field: String) throws -> [UInt8]? {
            switch members[field] {
            case .utf8(let b): return b
            case .text(let s): return Array(s.utf8)   // a number or true/false, as written
            case .null: return []
            case nil: return nil
            case .nested: throw JSONLineParser.Failure(message: "member \"\(field)\" is an object or array, not text")
            }
        }
        let id: String
        let hasID: Bool
        switch members[options.idField] {
        case .text(let s):
            id = s
            hasID = true
        case .utf8(let b):   // an id member that is also a text member
            id = String(decoding: b, as: UTF8.self)
            hasID = true
        case .null:
            throw JSONLineParser.Failure(message: "member \"\(options.idField)\" is null: no key (give an id, or leave the member out to key the line by its number)")
        case .nested:
            throw JSONLineParser.Failure(message: "member \"\(options.idField)\" is an object or array, not a key")
        case nil:
            id = String(lineIndex)
            hasID = false
        }
        let title = try text(options.titleField) ?? ""
        var parts: [[UInt8]] = []
        var any = false
        for f in options.textFields {
            let t = try bytes(f)
            if t != nil { any = true }
            parts.append(t ?? [])
        }
        guard any else {
            throw JSONLineParser.Failure(message: "none of the text members (\(options.textFields.joined(separator: ", "))) is present")
        }
        // the parts joined by the field separator (an ASCII pair: invalid sequences of one part
        // are replaced alike, joined or not)
        guard parts.count > 1 else { return (SourceDocument(key: keyPrefix + id, title: title, body: .utf8(parts[0])), hasID) }
        let separator = Array(SourceDocument.fieldSeparator.utf8)
        var joined: [UInt8] = []
        joined.reserveCapacity(parts.reduce(separator.count * (parts.count - 1)) { $0 + $1.count })
        for (k, part) in parts.enumerated() {
            if k > 0 { joined.append(contentsOf: separator) }
            joined.append(contentsOf: part)
        }
        return (SourceDocument(key: keyPrefix + id, title: title, body: .utf8(joined)), hasID)
    }
}
