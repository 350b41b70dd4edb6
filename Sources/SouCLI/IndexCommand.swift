import ArgumentParser
import FoundationEssentials
import Glibc

import CSystemShim
import Sou

/// `sou index PATH... -o FILE`: builds an index file.
struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        _superCommandName: "sou",   // parsed alone: SouCommand.parseSubcommandAlone
        abstract: "Build an index file from folders, text/HTML files, JSON Lines or stdin, or bring it up to date.",
        discussion: """
        Folders are walked recursively in sorted order and every file that is text is indexed, \
        whatever its name: the content decides, as in ripgrep. Text in UTF-8, UTF-16/32 or a \
        legacy charset ICU recognizes (GB18030/GBK, Big5, Shift_JIS, EUC-JP, EUC-KR, …) is \
        converted to UTF-8; --encoding NAME forces one. Binary files (NUL bytes), empty files, \
        text in no recognizable charset, FIFOs and devices inside folders are skipped; hidden \
        entries and .git only with --hidden; --type, --type-not and --glob narrow the files read \
        from folders (a file named on the command line is always read). The summary counts what \
        was skipped and why; --verbose lists each file. .html/.htm have their tags stripped. A \
        JSON Lines file (.jsonl, .jsonl.gz, .ndjson) holds one document per line (fields id, \
        title, body by default); keys are paths as given: a file's key is its path \
        ("sou index docs" → "docs/a/b.txt"), a JSON Lines file's documents are "docs/c.jsonl#id" \
        (the bare id when the file is named on its own). `-` reads stdin: JSON Lines when its first line is a JSON \
        object (or with --jsonl), otherwise one document of at most 256 MiB (NUL bytes in it are an \
        error, unless it is UTF-16/32 text).
        Exit status: 0 when documents were indexed; 1 when there was nothing to index (no file, \
        or only skipped ones) and nothing went wrong; 2 on errors (including a build that indexed \
        nothing because every line or file was bad or unreadable). The output is not touched \
        unless documents were indexed.
        File types (--type, --type-not): \(fileTypeList).
        When FILE exists it is brought up to date instead of rebuilt: it then mirrors the paths. \
        Files whose size and modification time have not changed since the last run are not read \
        again; changed files replace their documents (keys gone from a changed JSON Lines file are \
        deleted); documents of files that are gone are deleted. --rebuild builds from scratch. \
        Every change is one atomic commit: an interrupted run leaves the previous commit intact. \
        The output is checked before any input is read: it may not be a symbolic link, device, \
        FIFO or folder, nor one of the inputs (a file inside a folder being indexed is one); an \
        existing file that is not a Sou index is replaced only with --force. A replaced index keeps its permissions (and its owner, as \
        root). A build that indexes no document fails and writes nothing; on SIGINT, SIGTERM or \
        SIGHUP a temporary file being written is removed.
        Set SOU_INDEX_TRACE=1 to print the time spent reading+inverting and serializing+writing, \
        and the in-memory index size, on stderr (for profiling builds).
        """
    )

    /// "txt (*.txt *.text), md (*.md …), …" for the discussion: built with appends, not with
    /// `map` and the generic `joined(separator:)` (25 calls of it cost ~0.26 M instructions, and
    /// every `sou` command line computes the configurations of all subcommands).
    static var fileTypeList: String {
        var list = ""
        for (name, globs) in FileTypes.all {
            if !list.isEmpty { list += ", " }
            list += name
            list += " ("
            for (i, glob) in globs.enumerated() {
                if i > 0 { list += " " }
                list += glob
            }
            list += ")"
        }
        return list
    }

    @Argument(help: "Folders, files, or - for stdin.")
    var paths: [String]

    @Option(name: .shortAndLong, help: "The index file to write.")
    var output: String

    @Flag(help: "Read the given files (and stdin) as JSON Lines whatever their names.")
    var jsonl = false

    @Option(name: .customLong("id-field"), help: "JSON member holding the document key (default: id; lines without it are keyed by their 0-based line number; when given, a file in which no line has it is an error).")
    var idField: String?

    @Option(name: .customLong("text-field"), help: "JSON member(s) joined into the text, each on its own lines with a gap no phrase spans (repeatable; default: title, body).")
    var textFields: [String] = []

    @Option(name: .customLong("title-field"), help: "JSON member holding the title.")
    var titleField = Self.defaultTitleField

    /// `--title-field`'s default (also that of ``QuickParse``).
    static let defaultTitleField = "title"

    @Option(parsing: .unconditional, help: "Threads analyzing documents, 1 to \(IndexBuildOptions.maxJobs) (default: all cores, at most \(IndexBuildOptions.maxJobs)). The file is identical for any value.")
    var jobs: Int?

    @Flag(help: "Build a new index from scratch even when FILE exists (needed to change analyzer options or --no-store).")
    var rebuild = false

    @OptionGroup var buffer: MemoryBudgetOption

    @Flag(help: "Wait for another writer of FILE to finish instead of failing.")
    var wait = false

    @Option(name: .customLong("merge-factor"), parsing: .unconditional, help: "Segments of similar size are merged this many at a time (default 8; larger keeps more, smaller segments).")
    var mergeFactor: Int?

    @Flag(name: .customLong("no-store"), help: "Do not store document text (no snippets).")
    var noStore = false

    @Flag(help: "Replace an existing output file even if it is not a Sou index (never a link, device, folder or input, nor a file inside a folder being indexed).")
    var force = false

    @Flag(help: "No progress line and no summary.")
    var quiet = false

    @Flag(help: "Print the summary as JSON on stdout.")
    var json = false

    @Flag(help: "Also walk hidden folders and files (and .git).")
    var hidden = false

    @Option(help: "Read text files in this charset instead of detecting it (an ICU converter name: GB18030, GBK, Big5, Shift_JIS, EUC-JP, EUC-KR, UTF-16LE, …).")
    var encoding: String?

    @Option(name: [.customShort("t"), .customLong("type")], help: ArgumentHelp("Only read files of this type from folders (repeatable; the types are listed below).", valueName: "type"))
    var types: [String] = []

    @Option(name: [.customShort("T"), .customLong("type-not")], help: ArgumentHelp("Do not read files of this type from folders (repeatable).", valueName: "type"))
    var excludedTypes: [String] = []

    @Option(name: [.customShort("g"), .customLong("glob")], help: ArgumentHelp("Only read files from folders that match this glob; !GLOB excludes, and a folder it names is not entered (repeatable; as ripgrep: a glob without / matches the name, one with / the path below the folder given; a trailing / matches folders only).", valueName: "glob"))
    var globs: [String] = []

    @Flag(name: .shortAndLong, help: "List every file skipped and why, and the charset of every file not in UTF-8.")
    var verbose = false

    @Flag(name: .customLong("no-join-lines"), help: "Do not join CJK runs across soft line breaks.")
    var noJoinLines = false

    @Flag(name: .customLong("fold-variants"), help: "Fold Traditional Chinese to Simplified.")
    var foldVariants = false

    /// The options as plain values, for ``IndexRun``.
    var settings: IndexRun {
        IndexRun(paths: paths, output: output, jsonl: jsonl, idField: idField, textFields: textFields, titleField: titleField,
                 jobs: jobs, rebuild: rebuild, memory: buffer.memory, wait: wait, mergeFactor: mergeFactor, noStore: noStore,
                 force: force, quiet: quiet, json: json, hidden: hidden, encoding: encoding, types: types,
                 excludedTypes: excludedTypes, globs: globs, verbose: verbose, noJoinLines: noJoinLines,
                 foldVariants: foldVariants)
    }

    func validate() throws { try settings.validate() }

    func run() throws { try settings.run() }

    /// The walk of `sou index`'s folders, started by ``startEarlyListing(_:)`` before the command
    /// line is parsed.
    nonisolated(unsafe) static var earlyListing: FileListing? = nil

    /// Starts listing the paths of an `sou index` command line before ArgumentParser parses it:
    /// its first parse (protocol conformance look-ups) costs ~3 ms, a tenth of an up-to-date run,
    /// which the walk (a stat per file) can use. The arguments are read only as far as is safe:
    /// the paths, `-o`, the options that change what is listed (`--hidden`, `--jsonl`, `-t`,
    /// `-T`, `-g`), the other options of `sou index` with their values; anything else (`-`,
    /// `--`, `--name=value`, short options together, help) starts nothing. The walk only lists
    /// and stats; the update uses it only when the parsed paths and options list the same files
    /// (else it walks again), and only after it has checked the output. Errors before then
    /// (a usage error, a refused output) exit without waiting for it.
    static func startEarlyListing(_ arguments: [String]) {
        guard arguments.count > 3, arguments[1] == "index" else { return }
        var paths: [String] = []
        var options = InputOptions()
        var hasOutput = false
        // arrays, not Set<String> literals: the first use of a Set type costs a scan of every
        // protocol-conformance record (~250,000 instructions of an up-to-date `sou index`)
        let valued = ["-o", "--output", "--id-field", "--text-field", "--title-field", "--jobs", "--memory",
                      "--merge-factor", "--encoding"]
        let flags = ["--rebuild", "--wait", "--no-store", "--force", "--quiet", "--json", "-v", "--verbose",
                     "--no-join-lines", "--fold-variants"]
        var i = 2
        while i < arguments.count {
            let a = arguments[i]
            if a == "--jsonl" {
                options.forcesJSONLines = true
            } else if a == "--hidden" {
                options.includesHidden = true
            } else if ["-t", "--type", "-T", "--type-not", "-g", "--glob"].contains(a) || valued.contains(a) {
                guard i + 1 < arguments.count else { return }
                let value = arguments[i + 1]
                switch a {
                case "-t", "--type": options.types.append(value)
                case "-T", "--type-not": options.excludedTypes.append(value)
                case "-g", "--glob": options.globs.append(value)
                case "-o", "--output": hasOutput = true
                default: break
                }
                i += 1
            } else if flags.contains(a) {
            } else if a.hasPrefix("-") {
                return
            } else {
                paths.append(RawArguments.exact(a))
            }
            i += 1
        }
        guard hasOutput, !paths.isEmpty else { return }
        earlyListing = try? FileListing(paths: paths, options: options)
    }

    /// `value` with `decimals` digits after the point, as printf's `%.Nf` writes it (``fixedPoint(_:decimals:)``;
    /// Foundation's String(format:) cost an up-to-date run a millisecond).
    static func fixed(_ value: Double, _ decimals: Int) -> String { fixedPoint(value, decimals: decimals) }

}

/// `--memory MB`, the in-memory buffer budget of the commands that write documents (`sou index`,
/// `sou add`): one definition, so that both take it with the same default, meaning and help.
struct MemoryBudgetOption: ParsableArguments {
    @Option(parsing: .unconditional, help: "In-memory buffer budget in MB: when reached, the buffered documents are written as a segment and the memory is released (default 80).")
    var memory: Int?

    /// The budget in bytes (``IndexWriterOptions/memoryBudget``); nil: the default.
    var bytes: Int? { memory.map { $0 << 20 } }

    func validate() throws { try Self.check(memory) }

    /// Throws unless `memory` (MB) is nil or in range.
    static func check(_ memory: Int?) throws {
        if let memory, memory < 1 || memory > 1 << 20 { throw ValidationError("--memory must be between 1 and 1048576 MB (got \(memory))") }
    }
}

/// The command line's arguments as the bytes they are. `CommandLine.arguments` decodes each with
/// replacement (a byte that is not UTF-8 becomes U+FFFD), which loses a file name such as
/// `bad_\xff.txt`; ``exact(_:)`` finds the argument again among the raw ones and returns it as a
/// ``PathBytes`` String (which system calls turn back into the same bytes).
enum RawArguments {
    static func exact(_ argument: String) -> String {
        guard argument.unicodeScalars.contains("\u{FFFD}") else { return argument }
        for i in 1..<Int(CommandLine.argc) {
            guard let pointer = CommandLine.unsafeArgv[i] else { continue }
            // bounds: strlen stops at the NUL every argv string ends with
            let raw = UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: strlen(pointer))
            if String(decoding: raw, as: UTF8.self) == argument { return PathBytes.string(raw) }
        }
        return argument
    }
}

/// `sou index --json`: the build summary's members, with the index file and the speed in MB/s
/// (rounded to two decimals) beside them.
struct SummaryJSON: Encodable {
    var summary: IndexBuildSummary
    var index: String
    var megabytesPerSecond: Double

    private enum Key: String, CodingKey { case index, megabytesPerSecond }

    func encode(to encoder: Encoder) throws {
        try summary.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(index, forKey: .index)
        try container.encode(megabytesPerSecond, forKey: .megabytesPerSecond)
    }
}
