import ArgumentParser
import FoundationEssentials
import Glibc
import Sou

/// `sou search [OPTIONS] QUERY [PATH...]`: runs a query against the files and folders given (an
/// index of them kept in a cache), a prebuilt index (`-i`), or the bundled corpus, and prints
/// the hits.
struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        _superCommandName: "sou",   // parsed alone: SouCommand.parseSubcommandAlone
        abstract: "Search files and folders, or an index: exact phrases, AND/OR/NOT, ranked by BM25.",
        usage: """
        sou search [<options>] <query> [<path> ...]
          sou search [<options>] -e <query> [<path> ...]
          sou search [<options>] --batch <file> [<path> ...]
        """,
        discussion: """
        The query is ONE argument: quote it when it has spaces or exclusions:

          sou search '集体协商 工资 -草案'

        For a query that starts with "-" use -e QUERY or put it after --. The arguments after \
        the query are the files and folders to search.

        QUERY LANGUAGE
          集体协商            a CJK run is an exact phrase, also across soft line breaks
          会                  a single CJK character matches wherever it occurs
          iPhone手机          several tokens in one clause: an exact phrase of them
          "iPhone 手机"       quotes make one phrase across spaces and scripts
          集体协商 工资       whitespace separates clauses: all must match (AND)
          工会 OR 职工        either may match (OR is upper case)
          集体协商 -草案      "-" excludes a clause (also: NOT 草案 集体协商)
          (工会 OR 职工) 协商 parentheses group
          title:劳动合同      the title contains the phrase (a filter)
          path:docs/*.txt     the key matches a glob, or starts with the text
          libre*              words starting with libre (at most 1024 words)

        ^ boosts, ~ fuzzy, other wildcards, + && || are errors, not text. \
        Latin words and numbers match whole normalized words. The query goes through \
        the analyzer configuration the index was built with (width, case, NFKC). \
        Punctuation is never crossed: 「工具」栏 does not match 工具栏.

        RANKING
          BM25 as Lucene: idf = ln(1 + (N - n + 0.5) / (n + 0.5)),
          score = idf * f / (f + k1 * (1 - b + b * dl / avgdl)), summed over the
          matching clauses; a phrase scores as one unit (idf = sum of its terms'
          idf, f = occurrences of the phrase). --explain shows the breakdown.

        WHAT IS SEARCHED
          PATH...  the files and folders (read as `sou index` reads them); their
                   index is kept in $SOU_CACHE, else $XDG_CACHE_HOME/sou, else
                   ~/.cache/sou, and brought up to date (only new and changed files
                   are read) before each search; hits print with the paths as
                   given. --no-cache: build it in memory and write nothing.
                   - (stdin), a pipe or a FIFO is read once and indexed in
                   memory with the other PATHs (nothing cached).
                   -t TYPE, -T TYPE, -g GLOB narrow the files found in folders
                   as in sou index and rg (a file named is always searched);
                   each set of options has a cached index of its own.
          -i FILE  a prebuilt index (sou index); keys print as stored: the paths
                   as given to sou index, relative to the folder it ran in.
          neither  $SOU_INDEX, else ./corpus.sou, built once (and refreshed) from
                   the bundled ./corpus folder when there is one.

        OUTPUT
          Per hit: KEY  TITLE  score S, then LINE:text for each matching line of
          the stored text (LINE-text for context lines, -- between groups), then
          a summary "10 of 786 matching documents". Lines wider than
          --max-columns terminal columns (a CJK character takes two) are cut
          around the match with "…". Keys and titles are escaped outside JSON
          (\\n, \\t, \\xHH, \\u{HHHH}, \\\\). --color auto colours only a terminal,
          with NO_COLOR unset and TERM not dumb. --vimgrep prints
          KEY:LINE:COLUMN:TEXT per match, COLUMN in bytes from 1 (as rg).

        EXIT STATUS
          0 something matched, 1 nothing matched, 2 error (usage errors too).
          With -q that is all a search answers: nothing goes to stdout.
        """
    )

    @Argument(help: ArgumentHelp("The query (one argument: quote it), then files or folders to search.",
                                 valueName: "QUERY> <PATH"))
    var arguments: [String] = []

    @Option(name: .customShort("e"), parsing: .unconditionalSingleValue,
            help: ArgumentHelp("The query, also one that starts with '-' (every argument is then a PATH); several -e: any of them matches (OR).",
                               valueName: "query"))
    var queryOptions: [String] = []

    @Option(name: [.customShort("i"), .long], help: "Search this index file instead of PATHs (default without PATH: $SOU_INDEX, else ./corpus.sou).")
    var index: String?

    @Flag(name: .customLong("no-cache"), help: "With PATHs: index them in memory for this search only; write no cache.")
    var noCache = false

    @Flag(help: "With PATHs: also search hidden files and folders (and .git).")
    var hidden = false

    @Option(name: [.customShort("t"), .customLong("type")],
            help: ArgumentHelp("With PATHs: only search files of this type found in folders (repeatable; --type-list lists the types).", valueName: "type"))
    var types: [String] = []

    @Option(name: [.customShort("T"), .customLong("type-not")],
            help: ArgumentHelp("With PATHs: do not search files of this type found in folders (repeatable).", valueName: "type"))
    var excludedTypes: [String] = []

    @Option(name: [.customShort("g"), .customLong("glob")],
            help: ArgumentHelp("With PATHs: only search files found in folders that match this glob; !GLOB excludes, and a folder it names is not entered (repeatable; as ripgrep: a glob without / matches the name, one with / the path below the folder given; a trailing / matches folders only).", valueName: "glob"))
    var globs: [String] = []

    @Flag(name: .customLong("type-list"), help: "List the file types of -t/-T with their globs, one per line (as rg --type-list), and exit.")
    var typeList = false

    @Option(help: "With PATHs: read text files in this charset instead of detecting it (an ICU converter name: GB18030, Big5, Shift_JIS, EUC-JP, EUC-KR, UTF-16LE, …).")
    var encoding: String?

    @Flag(name: .customLong("no-join-lines"), help: "With PATHs: do not join CJK runs across soft line breaks.")
    var noJoinLines = false

    @Flag(name: .customLong("fold-variants"), help: "With PATHs: fold Traditional Chinese to Simplified.")
    var foldVariants = false

    @Option(name: [.customShort("n", allowingJoined: true), .long], parsing: .unconditional, help: "The most hits to show.")
    var limit: Int = Self.defaultLimit

    @Option(parsing: .unconditional, help: "Skip this many of the best hits first (pagination with -n: --offset 10 -n 10 shows hits 11 to 20).")
    var offset: Int = 0

    @Flag(name: [.customShort("c"), .long], help: "Print only the number of matching documents.")
    var count = false

    @Flag(name: [.customShort("l"), .long, .customLong("files-with-matches")], help: "Print only the keys of the hits, best first.")
    var files = false

    @Flag(name: [.customShort("0"), .customLong("null")], help: "With -l: end each key with a NUL byte instead of a line feed, and print it unescaped when stdout is not a terminal (for xargs -0, as rg -l0: names with spaces and line feeds come through; a byte of a name that is not UTF-8 stays written \\xFF, as in every key).")
    var null = false

    @Flag(name: [.customShort("q"), .long], help: "Print nothing on stdout: the exit status says whether a document matched (0), none did (1) or something went wrong (2), as grep -q and rg -q (warnings and errors still go to stderr).")
    var quiet = false

    @Flag(help: "One JSON object per hit: rank, key, title, score, matches, total, snippets, and with -A/-B/-C the context lines (with -c: {\"total\":N}; with -l: rank and key).")
    var json = false

    @Flag(help: "One line per match: KEY:LINE:COLUMN:TEXT (column in bytes from 1, as ripgrep), for editors' quickfix lists.")
    var vimgrep = false

    @Option(name: [.customShort("A", allowingJoined: true), .customLong("after-context")], parsing: .unconditional,
            help: "Show NUM lines of the stored text after each matching line (human and --json output).")
    var afterContext: Int?

    @Option(name: [.customShort("B", allowingJoined: true), .customLong("before-context")], parsing: .unconditional,
            help: "Show NUM lines of the stored text before each matching line (human and --json output).")
    var beforeContext: Int?

    @Option(name: [.customShort("C", allowingJoined: true), .customLong("context")], parsing: .unconditional,
            help: "Show NUM lines before and after each matching line (-A and -B override it; human and --json output).")
    var context: Int?

    @Flag(help: "Show how each hit's score is computed.")
    var explain = false

    @Option(parsing: .unconditional, help: "BM25 term-frequency saturation k1 (non-negative, finite).")
    var k1: Double = Self.defaultK1

    @Option(parsing: .unconditional, help: "BM25 length normalization b (0 to 1).")
    var b: Double = Self.defaultB

    @Option(help: "Color: auto (stdout is a terminal, NO_COLOR unset, TERM set and not dumb), always or never.")
    var color: ColorChoice = .auto

    @Option(name: [.customShort("m", allowingJoined: true), .customLong("max-lines")], parsing: .unconditional,
            help: "The most matching lines shown per hit (default: all; -m as rg's --max-count).")
    var maxLines: Int?

    @Option(name: [.customShort("M", allowingJoined: true), .customLong("max-columns")], parsing: .unconditional,
            help: "Lines wider than this many terminal columns (a CJK character takes two) are cut around the match; 0: no limit (default 120; --vimgrep: no limit).")
    var maxColumns: Int?

    @Option(help: "Run every query of FILE (- for stdin; one per line; for a TSV the first column, a query<TAB>… header skipped; UTF-8, at most 1 MiB a line and 256 MiB in all, a NUL byte is an error) and print one JSON line per query (with -c/-l: only the counts/keys).")
    var batch: String?

    /// The defaults of `-n`, `--k1` and `--b` (also those of ``QuickParse``).
    static let defaultLimit = 10
    static let defaultK1 = BM25.standard.k1
    static let defaultB = BM25.standard.b

    // MARK: - Arguments the parser misread

    /// A usage error for a `sou search` command line the argument parser rejected, or took for
    /// a request for help, because a word of the query that starts with "-" (an exclusion, `-草案`,
    /// `-windows`, `-html`) was left outside the quoted query: such a word is an unknown option,
    /// and the message shows the quoted command. nil when `error` is something else.
    /// `arguments` are the process arguments after the program name.
    static func misreadOption(_ error: Error, arguments: [String]) -> String? {
        guard arguments.first == "search" else { return nil }
        // rg's -n is --line-number: `sou search -n 集体协商 docs` gave -n the query
        let message = SouCommand.fullMessage(for: error)
        if message.contains("is invalid for '-n <limit>'") || message.contains("is invalid for '--limit <limit>'"),
           let value = message.scalarsAfterFirst("The value '").map({ String($0.prefix { $0 != "'" }) }), Int(value) == nil,
           // (given to -n itself: not to the n of a word such as -windows, an exclusion)
           zip(arguments, arguments.dropFirst()).contains(where: { ["-n", "--limit"].contains($0.0) && $0.1 == value })
            || arguments.contains("--limit=" + value) {
            return "the value '\(value)' of -n/--limit is not a number: it is the most hits to show (as with head -n); "
                + "matching lines always show their line numbers (rg's -n)"
                + "\nUsage: sou search [<options>] <query> [<path> ...]  (see sou search --help)"
        }
        var rest = Array(arguments.dropFirst())
        guard let first = offendingArgument(error, in: rest) else { return nil }
        // more such words: take them out one by one until the rest parses
        var unknown = [first]
        var parsed: SearchCommand?
        for _ in 0..<16 {
            rest.removeAll { unknown.contains($0) }
            do {
                parsed = try SearchCommand.parse(rest)
                break
            } catch {
                guard let next = offendingArgument(error, in: rest), !unknown.contains(next) else { break }
                unknown.append(next)
            }
        }
        let original = Array(arguments.dropFirst())
        unknown.sort { (original.firstIndex(of: $0) ?? 0) < (original.firstIndex(of: $1) ?? 0) }
        // a long option (--max-count) or one ASCII letter (-w) is no word of the query: quoting
        // it would not help; what Sou has instead, or the nearest option, does
        if let option = unknown.first(where: isOptionShaped) {
            let name = option.hasPrefix("--") ? String(option.prefix { $0 != "=" }) : option
            return "unknown option '\(name)'; " + (unknownOptionAdvice(name) ?? "see sou search --help for the options")
                + "\nUsage: sou search [<options>] <query> [<path> ...]  (see sou search --help)"
        }
        let list = unknown.map { "'\($0)'" }.joined(separator: ", ")
        var text = "unknown option\(unknown.count == 1 ? "" : "s") \(list)"
        // the query itself starts with "-" when such a word comes before what the parser took
        // for the query, and that is a path (it exists) or the word has a space (a quoted query)
        let before = parsed?.query.flatMap { q in original.firstIndex(of: q) }.map { qi in
            unknown.filter { (original.firstIndex(of: $0) ?? qi) < qi }
        } ?? []
        if let parsed, let query = parsed.query, !before.isEmpty, parsed.queryOption == nil,
           before.contains(where: { $0.contains { $0.isWhitespace } }) || access(query, F_OK) == 0 {
            text += "; a query that starts with '-' goes after -e or --: sou search -e "
                + shellQuoted(before.joined(separator: " ")) + " " + ([query] + parsed.paths).map { shellWord($0) }.joined(separator: " ")
        } else if let parsed, let query = parsed.query {
            let combined = ([query] + unknown).joined(separator: " ")
            text += "; to exclude words, put them inside the quoted query: "
            if let command = commandLine(with: combined, for: query, in: original, without: unknown) {
                text += command
            } else {
                text += "sou search " + shellQuoted(combined)
                    + (parsed.paths.isEmpty ? "" : " " + parsed.paths.map { shellWord($0) }.joined(separator: " "))
            }
        } else {
            text += "; a query that starts with '-' goes after -e or --: sou search -e \(shellQuoted(unknown[0]))"
        }
        return text + "\nUsage: sou search [<options>] <query> [<path> ...]  (see sou search --help)"
    }

    /// Whether an unknown argument is shaped as an option rather than as an exclusion: a long
    /// option (`--max-count`, `--limt=3`) or a dash and one ASCII letter (`-w`, `-F`).
    static func isOptionShaped(_ argument: String) -> Bool {
        if argument.hasPrefix("--") { return argument.count > 2 }
        let letters = Array(argument.unicodeScalars)
        return letters.count == 2 && letters[0] == "-" && letters[1].isASCII && letters[1].properties.isAlphabetic
    }

    /// What Sou has for options of ripgrep (and grep) that it does not take by that name.
    static let ripgrepOptions: [String: String] = {
        var table: [String: String] = [:]
        for (names, text) in [
            (["--max-count"], "the most matching lines shown per hit is -m/--max-lines N (rg's --max-count); the most hits, -n/--limit N"),
            (["--ignore-case", "--smart-case", "-S", "--case-sensitive", "-s"],
             "matching always ignores case and width (ＡＢＣ matches abc); there is no case-sensitive search"),
            (["--word-regexp", "-w"],
             "Latin words match whole already (apt finds apt, not aptitude; apt* finds both)"),
            (["--fixed-strings", "-F", "--pcre2", "-P", "--regexp"],
             "a query is never a regular expression: its words and phrases match as written (-e QUERY for one that starts with '-'; the syntax: sou search --help)"),
            (["--line-number", "--no-line-number", "-N"],
             "matching lines always show their line numbers (--vimgrep: KEY:LINE:COLUMN:TEXT); -n is the number of hits"),
            (["--invert-match", "-v", "--files-without-match"],
             "to leave out documents with a word, write it with a minus inside the query: sou search '集体协商 -草案' PATH"),
            (["--no-ignore", "--no-ignore-vcs", "--unrestricted", "-u"],
             "sou reads no .gitignore or .ignore files; --hidden also searches hidden files and folders"),
        ] {
            for name in names { table[name] = text }
        }
        return table
    }()

    /// Advice for an unknown option: ``ripgrepOptions``, else the nearest `sou search` option
    /// (``UnknownOption/nearest(_:in:)``).
    static func unknownOptionAdvice(_ name: String) -> String? {
        if let known = ripgrepOptions[name] { return known }
        return UnknownOption.nearest(name, in: SearchCommand.self).map { "did you mean --\($0)?" }
    }

    /// The command meant: `original` without the words of `unknown`, with `combined` (the query
    /// and those words) where the query was, the other options kept in their places
    /// (`sou search '集体协商 -html' -c docs`). nil when no such place parses with `combined` as
    /// the query.
    static func commandLine(with combined: String, for query: String, in original: [String], without unknown: [String]) -> String? {
        let kept = original.filter { !unknown.contains($0) }
        for i in kept.indices where kept[i] == query {
            var candidate = kept
            candidate[i] = combined
            if let parsed = try? SearchCommand.parse(candidate), parsed.query == combined {
                return "sou search " + candidate.map { shellWord($0) }.joined(separator: " ")
            }
        }
        return nil
    }

    /// The argument of `args` (before `--`) that made the parser fail with an unknown option, or
    /// ask for help without -h/--help (the "h" of -html); nil for other errors.
    static func offendingArgument(_ error: Error, in args: [String]) -> String? {
        let options = args.prefix { $0 != "--" }
        let isWordOfLetters = { (a: String) in a.hasPrefix("-") && !a.hasPrefix("--") && a.count > 2 }
        if SouCommand.exitCode(for: error) == .success {
            if options.contains(where: { ["-h", "--help", "-help"].contains($0) }) { return nil }
            return options.first { isWordOfLetters($0) && $0.contains("h") }
        }
        let message = SouCommand.fullMessage(for: error)
        guard let after = message.scalarsAfterFirst("Unknown option '") else {
            // A word read as a cluster of short options fails otherwise: "-html" is -h -t -m -l,
            // whose -t and -m take the next arguments as values ("The value '-windows' is invalid
            // for '-m <max-lines>'"). Such a word is the offender (not -n5, -m1, -C2: a letter
            // and its joined number).
            let joinedNumber = { (a: String) in
                a.count > 2 && "nmMABC".contains(a.dropFirst().first!) && a.dropFirst(2).allSatisfy(\.isASCII) && a.dropFirst(2).allSatisfy(\.isNumber)
            }
            return options.first { isWordOfLetters($0) && !joinedNumber($0) }
        }
        let name = String(after.prefix { $0 != "'" })
        // the argument it came from: the name itself, or a word of single-letter options (-calc → -a)
        return options.first { $0 == name || $0.hasPrefix(name + "=") }
            ?? options.first { name.count == 2 && isWordOfLetters($0) && $0.contains(name.last!) }
            ?? name
    }

    // MARK: - Index

    /// The first byte that is not UTF-8 (its offset and value) in the process argument that
    /// Swift's `CommandLine.arguments` repaired into `text`; nil when no argument is both.
    static func invalidUTF8(repairedTo text: String) -> (offset: Int, value: UInt8)? {
        for i in 0..<Int(CommandLine.argc) {
            guard let raw = CommandLine.unsafeArgv[i], String(validatingCString: raw) == nil,
                  String(cString: raw) == text else { continue }
            // bounds: the argument ends at its NUL, strlen bytes from raw
            let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(raw).assumingMemoryBound(to: UInt8.self), count: strlen(raw))
            // the standard library's UTF-8 parser, scalar by scalar, to the first error
            var it = bytes.makeIterator()
            var parser = Unicode.UTF8.ForwardParser()
            var at = 0
            while true {
                switch parser.parseScalar(from: &it) {
                case .valid(let scalar): at += scalar.count
                case .error: return (at, bytes[at])
                case .emptyInput: return nil   // (not reached: the argument is not valid UTF-8)
                }
            }
        }
        return nil
    }

    /// True when the file at `p` starts with an index file's magic bytes.
    static func isIndexFile(_ p: String) -> Bool {
        readPrefix(ofFile: p, count: 8) == Array("SOUINDEX".utf8)
    }

    /// `s` as a shell word: as it is when it has only letters, digits and `-_./,:@%+=`, else quoted.
    static func shellWord(_ s: String) -> String {
        let plain = !s.isEmpty && s.unicodeScalars.allSatisfy { $0.isAlphanumeric || "-_./,:@%+=".unicodeScalars.contains($0) }
        return plain ? s : shellQuoted(s)
    }

    /// True for `--name…`, `-x` and `-x` followed by digits (`-n5`): an option, not an exclusion
    /// such as `-草案` or `-windows`.
    static func looksLikeOption(_ argument: String) -> Bool {
        let a = Array(argument.utf8)
        guard a.count >= 2, a[0] == UInt8(ascii: "-") else { return false }
        func isLetter(_ c: UInt8) -> Bool { (c | 0x20) >= UInt8(ascii: "a") && (c | 0x20) <= UInt8(ascii: "z") }
        if a[1] == UInt8(ascii: "-") { return a.count > 2 && isLetter(a[2]) }
        return isLetter(a[1]) && a.dropFirst(2).allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// `s` quoted for a POSIX shell (single quotes).
    static func shellQuoted(_ s: String) -> String {
        "'" + s.replacingScalars("'", with: "'\\''") + "'"
    }

    // MARK: - Errors

    // MARK: - Output

    // MARK: - Batch

    /// `d` in milliseconds with three decimals ("0.042"), from whole microseconds rounded half
    /// up: what `%.3f` prints of ``milliseconds(_:)``, without a printf per query of a batch.
    static func millisecondsText(_ d: Duration) -> String {
        let (seconds, attoseconds) = d.components
        guard seconds >= 0, attoseconds >= 0, seconds < Int64.max / 1_000_000 - 1 else {
            return cFormat("%.3f", milliseconds(d))
        }
        let us = seconds * 1_000_000 + (attoseconds + 500_000_000_000) / 1_000_000_000_000
        let fraction = Int(us % 1000)
        return String(us / 1000) + (fraction < 10 ? ".00" : fraction < 100 ? ".0" : ".") + String(fraction)
    }

    static func milliseconds(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }

    /// The options as plain values, for ``SearchRun``.
    var settings: SearchRun {
        var run = SearchRun(arguments: arguments, queryOptions: queryOptions, index: index, noCache: noCache, hidden: hidden, types:
                            types, excludedTypes: excludedTypes, globs: globs, typeList: typeList, encoding: encoding, noJoinLines:
                            noJoinLines, foldVariants: foldVariants, limit: limit, offset: offset, count: count, files: files, quiet:
                            quiet, json: json, vimgrep: vimgrep, afterContext: afterContext, beforeContext: beforeContext, context:
                            context, explain: explain, k1: k1, b: b, color: color, maxLines: maxLines, maxColumns: maxColumns, batch:
                            batch)
        run.nullSeparated = null
        return run
    }

    /// ``SearchRun``'s (for the messages about misread command lines).
    var query: String? { settings.query }
    var queryOption: String? { settings.queryOption }
    var paths: [String] { settings.paths }

    func validate() throws { try settings.validate() }

    func run() throws { try settings.run() }
}

/// Collects output and writes it to stdout in large chunks, or, holding, keeps all of it (and
/// the notes meant for stderr, in order) until ``release()``, for an answer that may have to be
/// thrown away (a folder search that ran on the cached index while its up-to-date check ran).
/// Held output takes as much memory as the output itself.
struct OutputBuffer {
    private var bytes: [UInt8] = []
    /// Notes for stderr, each after the first `at` bytes of stdout (holding only).
    private var notes: [(at: Int, message: String)] = []
    let holds: Bool

    init(holds: Bool = false) { self.holds = holds }

    mutating func write(_ s: String) {
        bytes.append(contentsOf: s.utf8)
        if !holds, bytes.count > 1 << 16 { flush() }
    }

    /// Writes `raw` as they are (a path's bytes, which need not be UTF-8).
    mutating func write(bytes raw: [UInt8]) {
        bytes.append(contentsOf: raw)
        if !holds, bytes.count > 1 << 16 { flush() }
    }

    /// Appends the UTF-8 of `s` (a part of a line: no flush; ``endLine()`` ends it).
    @inline(__always)
    mutating func append(_ s: String) {
        var s = s
        s.withUTF8 { bytes.append(contentsOf: $0) }   // one copy of contiguous bytes
    }

    /// Appends `s` as a JSON string literal (what ``JSON/string(_:)`` makes).
    mutating func appendJSONString(_ s: String) {
        var s = s
        let plain = s.withUTF8 { utf8 in
            // nothing to escape (the usual key or query): the bytes between quotes as they are
            if utf8.contains(where: JSON.needsEscape) { return false }
            bytes.append(UInt8(ascii: "\""))
            bytes.append(contentsOf: utf8)
            bytes.append(UInt8(ascii: "\""))
            return true
        }
        if !plain { append(JSON.string(s)) }
    }

    /// Appends `x` as a JSON number (what ``JSON/number(_:)`` makes: Swift's shortest
    /// round-trip spelling, 0 for a non-finite value).
    mutating func appendJSONNumber(_ x: Double) {
        append(JSON.number(x))
    }

    /// Ends a line begun with the `append` calls: a line feed, and a write to stdout once
    /// enough is collected (unless holding).
    mutating func endLine() {
        bytes.append(0x0A)
        if !holds, bytes.count > 1 << 16 { flush() }
    }

    /// `message` on stderr (``printError``), now, or holding, in its place among the output.
    mutating func note(_ message: String) {
        if holds { notes.append((bytes.count, message)) } else { printError(message) }
    }

    /// Writes what is collected to stdout (holding: nothing until ``release()``).
    mutating func flush() {
        guard !holds, !bytes.isEmpty else { return }
        bytes.withUnsafeBufferPointer { writeStdout($0) }
        bytes.removeAll(keepingCapacity: true)
    }

    /// Writes out what was held: the stdout bytes and stderr notes in the order they came.
    mutating func release() {
        var written = 0
        bytes.withUnsafeBufferPointer { all in
            for (at, message) in notes {
                if at > written { writeStdout(UnsafeBufferPointer(rebasing: all[written..<at])) }
                written = at
                printError(message)
            }
            if all.count > written { writeStdout(UnsafeBufferPointer(rebasing: all[written...])) }
        }
        bytes.removeAll()
        notes.removeAll()
    }
}

/// Builds the index of the bundled `corpus/` folder the first time `sou search` runs without an
/// index, with the library builder `sou index corpus -o corpus.sou` runs.
enum BundledCorpus {
    static func refresh(folder: String, index output: String) throws {
        var options = IndexBuildOptions()
        options.waitsForLock = true
        var builder = IndexBuilder(options: options)
        builder.warn = { printError("warning: " + $0) }
        let exists = FileManager.default.fileExists(atPath: output)
        var rebuild = false
        if exists {
            // refresh only an index that `sou search` (or `sou index corpus -o corpus.sou`) built
            // from this folder with default options; any other corpus.sou is used as it is, but
            // one of an older format (which no search could read) is rebuilt
            do {
                let reader = try IndexReader(path: output)
                guard reader.configuration == options.configuration,
                      reader.storesText == options.storesText, let table = try? reader.sources(),
                      table.entries.allSatisfy({ $0.path.hasPrefix(folder + "/") }) else { return }
                if (try? builder.isUpToDate(reader, paths: [folder])) == true { return }
            } catch IndexError.unsupportedVersion(let found, let supported) where found < supported {
                printError("\(output) is of an older index format (version \(found)): rebuilding it from \(folder)/")
                rebuild = true
            } catch {
                return
            }
        }
        builder.temporaryFile = TemporaryFileCleanup.hook()
        do {
            if !exists {
                printError("no index given: indexing the bundled \(folder)/ into \(output) (once; later searches reuse it)")
            }
            let summary = try builder.update(paths: [folder], atPath: output, rebuild: rebuild)
            if summary.rebuilt {
                printError("indexed \(counted(summary.documents, "document")) (\(summary.inputBytes) bytes) into \(output) in "
                           + cFormat("%.2f s", summary.seconds))
            } else {
                printError("\(folder)/ changed: updated \(output): added \(summary.added), replaced \(summary.replaced), deleted \(summary.deleted), unchanged \(summary.unchanged) in "
                           + cFormat("%.2f s", summary.seconds))
            }
        } catch IndexError.locked where FileManager.default.fileExists(atPath: output) {
            // another `sou search` built or updated it at the same time: use theirs
            return
        } catch {
            throw CLIError("building \(output) from \(folder)/ failed: \(error)")
        }
    }
}
