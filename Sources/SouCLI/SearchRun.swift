import ArgumentParser
import FoundationEssentials
import Glibc
import Sou

/// What `sou search` runs, its options as plain values: ``SearchCommand`` (ArgumentParser's
/// parse) and ``QuickParse`` (the commonest command lines) both make one. The quick path makes
/// no `SearchCommand`: creating one (its property wrappers: generic metadata and protocol
/// conformance look-ups) and setting its options cost ~0.59 M of the 13.56 M instructions of
/// `sou search 文件系统 -i dev-all.sou` (callgrind).
struct SearchRun {
    var arguments: [String]
    var queryOptions: [String]
    var index: String?
    var noCache: Bool
    var hidden: Bool
    var types: [String]
    var excludedTypes: [String]
    var globs: [String]
    var typeList: Bool
    var encoding: String?
    var noJoinLines: Bool
    var foldVariants: Bool
    var limit: Int
    var offset: Int
    var count: Bool
    var files: Bool
    /// `-0/--null`: -l ends each key with a NUL byte instead of a line feed, unescaped.
    var nullSeparated = false
    var quiet: Bool
    var json: Bool
    var vimgrep: Bool
    var afterContext: Int?
    var beforeContext: Int?
    var context: Int?
    var explain: Bool
    var k1: Double
    var b: Double
    var color: ColorChoice
    var maxLines: Int?
    var maxColumns: Int?
    var batch: String?
}

extension SearchRun {
    /// The query given with -e: one as it is; several joined with OR, each in parentheses
    /// (as grep and rg take several -e: a document matches any of them). nil without -e.
    var queryOption: String? {
        switch queryOptions.count {
        case 0: nil
        case 1: queryOptions[0]
        default: queryOptions.map { "(" + $0 + ")" }.joined(separator: " OR ")
        }
    }

    /// The query (nil with --batch) and the paths to search.
    var query: String? {
        if batch != nil { return nil }
        return queryOption ?? arguments.first
    }

    var paths: [String] {
        batch != nil || queryOption != nil ? arguments : Array(arguments.dropFirst())
    }

    func validate() throws {
        if typeList { return }
        if let batch {
            if queryOption != nil { throw ValidationError("--batch FILE takes its queries from FILE: give no -e QUERY with it") }
            if batch.isEmpty { throw ValidationError("--batch needs a file (or - for stdin)") }
        } else {
            guard let query else {
                // (a word that starts with "-" and is no option, e.g. '-集体', may reach here unparsed)
                let dashed = CommandLine.arguments.dropFirst().first {
                    $0.hasPrefix("-") && $0.count > 1 && $0.unicodeScalars.contains { !$0.isASCII || $0 == " " }
                }
                throw ValidationError("missing QUERY: sou search [OPTIONS] QUERY [PATH...] (or --batch FILE)"
                    + (dashed.map { "; a query that starts with '-' goes after -e or --: sou search -e \(SearchCommand.shellQuoted($0))" } ?? ""))
            }
            if query.allSatisfy(\.isWhitespace) { throw ValidationError("the query is empty") }
            if query.unicodeScalars.contains("\u{FFFD}"), let byte = SearchCommand.invalidUTF8(repairedTo: query) {
                // (Swift repairs argv's bytes into U+FFFD: the search would silently drop them)
                throw ValidationError("the query is not valid UTF-8 (byte \(byte.offset) is 0x\(String(byte.value, radix: 16, uppercase: true))); "
                                      + "give it in UTF-8")
            }
        }
        if index != nil, !paths.isEmpty {
            throw ValidationError("give either -i INDEX or PATHs to search, not both (PATHs: \(paths.joined(separator: " ")))")
        }
        if index != nil || paths.isEmpty {
            for (set, name) in [(noCache, "--no-cache"), (hidden, "--hidden"), (noJoinLines, "--no-join-lines"), (foldVariants, "--fold-variants"),
                                (!types.isEmpty, "-t/--type"), (!excludedTypes.isEmpty, "-T/--type-not"), (!globs.isEmpty, "-g/--glob"),
                                (encoding != nil, "--encoding")] where set {
                throw ValidationError("\(name) applies to PATHs searched directly (an index keeps the options it was built with)"
                                      + (name.hasPrefix("-g") || name.hasPrefix("-t") ? "; to narrow an index's hits by path, put path:GLOB in the query" : ""))
            }
        }
        for (name, value) in [("-n/--limit", limit), ("--offset", offset), ("-m/--max-lines", maxLines), ("-M/--max-columns", maxColumns),
                              ("-A/--after-context", afterContext), ("-B/--before-context", beforeContext), ("-C/--context", context)] {
            if let value, value < 0 { throw ValidationError("\(name) must be 0 or more (got \(value))") }
        }
        if vimgrep, json || count || files { throw ValidationError("--vimgrep cannot be combined with --json, -c or -l") }
        if nullSeparated, !files || json || batch != nil {
            throw ValidationError("-0/--null ends each key that -l prints with a NUL byte (for xargs -0): give it with -l, without --json or --batch")
        }
        if quiet {
            for (set, name) in [(count, "-c"), (files, "-l"), (json, "--json"), (vimgrep, "--vimgrep"), (explain, "--explain"),
                                (batch != nil, "--batch"), (afterContext != nil || beforeContext != nil || context != nil, "-A/-B/-C")] where set {
                throw ValidationError("-q prints nothing (the exit status answers): give no \(name) with it")
            }
        }
        if afterContext != nil || beforeContext != nil || context != nil {
            for (set, name) in [(count, "-c"), (files, "-l"), (vimgrep, "--vimgrep"), (batch != nil, "--batch")] where set {
                throw ValidationError("-A/-B/-C show lines around matches, which \(name) does not print (they apply to the normal and --json output)")
            }
        }
    }

    func run() throws {
        if typeList { return writeStdout(FileTypes.listing) }
        let bm25: BM25
        do { bm25 = try BM25(k1: k1, b: b) } catch { throw CLIError(error.description) }
        let folders = try folderSearch()
        // read before the search: stdin cannot be read twice, and a search may run twice (below)
        let queries = try batch.map { file in
            let queries = try LineFile.queries(file, option: "--batch").map(\.text)
            if queries.isEmpty { throw CLIError("\(file == "-" ? "stdin" : file): no queries (one per line; for a TSV the first column)") }
            return queries
        }
        var knownStale = false
        if let folders, !noCache {
            // A watcher of these paths (`sou watch`) that vouches for the cached index: searched
            // as it is, without walking the folders
            if !folders.hasStreams, let vouched = WatcherClient.sync(folders), let cached = folders.cachedIndex(),
               cached.generation == vouched {
                var out = OutputBuffer()
                return try answer(index: cached, folders: folders, queries: queries, bm25: bm25, to: &out)
            }
            // A cached index of these options: searched while a thread checks that it is up to
            // date, the output held back. Up to date: the output is written; not: it is thrown
            // away unseen, and the search runs again on the updated index. Every output mode is
            // held (its size bounds the memory): a search of a stale index prints nothing.
            if !folders.hasStreams, let cached = folders.cachedIndex() {
                let check = UpToDateCheck(folders, cached)
                var held = OutputBuffer(holds: true)
                let outcome = Result { try answer(index: cached, folders: folders, queries: queries, bm25: bm25, to: &held) }
                if check.wait() {
                    held.release()
                    return try outcome.get()
                }
            }
            knownStale = true
        }
        let (index, unreadable) = try folders?.index(useCache: !noCache && folders?.hasStreams == false, knownStale: knownStale,
                                                     progress: BuildProgress.onTerminal()) ?? (openIndex(), 0)
        var out = OutputBuffer()
        try answer(index: index, folders: folders, unreadable: unreadable, queries: queries, bm25: bm25, to: &out)
    }

    /// Runs the query (or the batch's `queries`) on `index` and writes the output to `out`.
    /// Throws ``ExitStatus`` 1 when nothing matched, a ``CLIError`` for a bad query.
    /// `unreadable`: files and folders of the PATHs searched that could not be read (each warned
    /// about already). As in ripgrep, such errors make the exit status 2 when nothing matched
    /// (not 1: "no match" would hide them); a match still exits 0.
    func answer(index: IndexReader, folders: FolderSearch?, unreadable: Int = 0, queries: [String]?, bm25: BM25,
                to out: inout OutputBuffer) throws {
        /// The end of a search that matched nothing: 1, or 2 after saying what could not be read.
        func nothingMatched(_ out: inout OutputBuffer) -> ExitStatus {
            guard unreadable > 0 else { return ExitStatus(code: 1) }
            out.note("nothing matched, and \(counted(unreadable, "file or folder", "files or folders")) "
                     + "could not be read (see the warnings above)")
            return ExitStatus(code: 2)
        }
        let display: (String) -> String = folders.map { f in { f.display($0) } } ?? { $0 }
        let searcher: Searcher
        do { searcher = try Searcher(index: index) } catch { throw CLIError("\(error)") }

        if let queries {
            let matched = try runBatch(queries: queries, searcher: searcher, bm25: bm25, display: display, to: &out)
            if matched == 0, unreadable > 0 { throw nothingMatched(&out) }
            return
        }

        let text = query ?? ""
        let parsed: Query
        do { parsed = try QueryParser.parse(text) } catch { throw queryError(error, in: text) }
        let printer = hitPrinter()
        let showsSnippets = !(count || files || quiet) && index.storesText
        var options = SearchOptions(
            // (-q and -c need the total only, which every search counts exactly)
            limit: count || quiet ? 0 : limit, bm25: bm25,
            // --vimgrep needs whole lines (a match's column is its byte offset in the line): its printer cuts them
            snippets: SnippetOptions(isEnabled: showsSnippets, maxLines: maxLines,
                                     maxLineLength: printer.format == .vimgrep ? Int.max : printer.maxColumns),
            explains: explain)
        options.offset = offset
        var results: SearchResults
        do { results = try searcher.search(parsed, options: options) } catch let error as QueryError {
            throw queryError(error, in: text)
        } catch { throw CLIError("\(error)") }
        for i in results.hits.indices { results.hits[i].key = display(results.hits[i].key) }
        if folders != nil, index.documentCount == 0, unreadable == 0 {
            out.note("note: no text files to search in \(paths.joined(separator: " "))")
        }

        if !quiet {
            do { try printer.write(results, offset: offset, index: index, to: &out) } catch { throw CLIError("\(error)") }
        }
        out.flush()
        if results.total == 0 { throw nothingMatched(&out) }
    }

    /// The PATHs to search directly (nil: none given). Each must exist: a missing one is an
    /// error that, when it looks like a word of the query, says to quote the query; an index
    /// file is to be given with -i.
    func folderSearch() throws -> FolderSearch? {
        let paths = self.paths
        guard !paths.isEmpty else { return nil }
        var missing: [String] = []
        for p in paths where p != "-" {   // (- is stdin)
            var st = stat()
            if stat(p, &st) != 0 {
                let e = errno
                guard e == ENOENT else {
                    // not missing: a link loop, a folder this user may not enter, …
                    throw CLIError("\(p): " + (e == ELOOP ? "a symbolic link loop" : String(cString: strerror(e))))
                }
                missing.append(p)
                continue
            }
            if (st.st_mode & S_IFMT) == S_IFREG, SearchCommand.isIndexFile(p) {
                throw CLIError("\(p) is a Sou index: search it with -i \(p)")
            }
        }
        if !missing.isEmpty {
            var message = missing.map { "\($0): no such file or folder" }.joined(separator: "\n")
            // options after `--` are paths: say where options go
            let options = missing.filter(SearchCommand.looksLikeOption)
            // words, not paths: the user meant several words of one query
            let words = missing.filter { !$0.contains("/") && !SearchCommand.looksLikeOption($0) }
            if !options.isEmpty {
                message += "; after -- every argument is a query or a path: put options before it"
                if let query, batch == nil, queryOption == nil {
                    message += " (sou search " + options.joined(separator: " ") + " -- " + SearchCommand.shellQuoted(query) + ")"
                }
            } else if let query, batch == nil, queryOption == nil, !words.isEmpty {
                message += "; to search for several words, quote them: sou search " + SearchCommand.shellQuoted(([query] + words).joined(separator: " "))
            }
            throw CLIError(message)
        }
        let options = try FolderSearch.options(hidden: hidden, types: types, excludedTypes: excludedTypes, globs: globs,
                                               encoding: encoding, noJoinLines: noJoinLines, foldVariants: foldVariants)
        return try FolderSearch(paths: paths, options: options)
    }

    func openIndex() throws -> IndexReader {
        let path: String
        var fromEnvironment = false
        if let index {
            path = index
        } else if let named = getenv("SOU_INDEX").map({ String(cString: $0) }), !named.isEmpty {
            path = named
            fromEnvironment = true
        } else if isDirectory("corpus") {
            // the bundled corpus: built once, then refreshed when corpus/ changes
            try BundledCorpus.refresh(folder: "corpus", index: "corpus.sou")
            path = "corpus.sou"
        } else if FileManager.default.fileExists(atPath: "corpus.sou") {
            path = "corpus.sou"
        } else {
            // the ripgrep way first: a newcomer in a folder of documents wants them searched
            let example = batch != nil ? "--batch \(SearchCommand.shellQuoted(batch!))" : SearchCommand.shellQuoted(query ?? "QUERY")
            throw CLIError("no index given and none here (no ./corpus.sou, no ./corpus folder, SOU_INDEX unset): "
                           + "to search files and folders, name them (sou search \(example) . searches this folder); "
                           + "for an index, pass -i FILE (sou index PATH -o FILE builds one) or set SOU_INDEX")
        }
        if let index, index == path, !index.contains("/"), !FileManager.default.fileExists(atPath: index) {
            // rg's -i is "ignore case": `sou search -i 集体协商 docs` took the query for an index file
            var message = "\(index): no such index file (-i names an index to search; matching is always case-insensitive, as with rg -i)"
            if batch == nil, queryOption == nil, let query, FileManager.default.fileExists(atPath: query) {
                message += "; to search \(query) for \(index): sou search \(SearchCommand.shellQuoted(index)) \(SearchCommand.shellQuoted(query))"
            }
            throw CLIError(message)
        }
        if let index, index == path, isDirectory(index) {
            // `sou search -i docs 集体协商`: a folder to search given as the index
            var message = "\(index) is a folder, not an index file (-i names an index built by sou index)"
            if batch == nil, queryOption == nil, let query {
                message += "; to search the folder, name it after the query: sou search \(SearchCommand.shellQuoted(query)) \(SearchCommand.shellWord(index))"
            }
            throw CLIError(message)
        }
        do {
            return try IndexReader(path: path)
        } catch IndexError.notAnIndex(let what) where !fromEnvironment {
            // `sou search -i notes.jsonl 集体协商`: a file to search given as the index
            var message = CLIError(file: path, IndexError.notAnIndex(what)).message
            if batch == nil, queryOption == nil, let query {
                message += "; to search the file as it is: sou search \(SearchCommand.shellQuoted(query)) \(SearchCommand.shellWord(path)) "
                    + "(or index it first: sou index \(SearchCommand.shellWord(path)) -o FILE.sou)"
            }
            throw CLIError(message)
        } catch {
            // an index named by the environment says so: the command line does not show it
            guard fromEnvironment else { throw CLIError(file: path, error) }
            throw CLIError("\(CLIError(file: path, error).message) (the index SOU_INDEX names; unset it, or give -i FILE, to search another)")
        }
    }

    func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// A query error as a message with the query and a caret under the position.
    /// A long query is shown as the 40 characters on each side of the position, cut with "…".
    func queryError(_ error: QueryError, in text: String) -> CLIError {
        guard let reported = error.position else { return CLIError("query error: \(error.message)") }
        let characters = Array(text)
        let position = min(reported, characters.count)
        let from = max(0, position - 40), to = min(characters.count, position + 40)
        let head = from > 0 ? "…" : "", tail = to < characters.count ? "…" : ""
        let before = head + String(characters[from..<position])
        let width = DisplayWidth.columns(before)
        let caret = String(repeating: " ", count: width) + "^"
        let shown = head + String(characters[from..<to]) + tail
        return CLIError("query error at position \(position): \(error.message)\n    \(shown)\n    \(caret)")
    }

    /// The printer of the format, colours, context and cut the options ask for.
    func hitPrinter() -> HitPrinter {
        let format: HitPrinter.Format = count ? .count : files ? .files : vimgrep ? .vimgrep : json ? .json : .human
        var printer = HitPrinter(format: format)
        printer.asJSON = json
        printer.nullSeparated = nullSeparated
        if nullSeparated { printer.toTerminal = isatty(STDOUT_FILENO) == 1 }
        if format == .human || format == .vimgrep, color.usesColor() { printer.palette = .ansi }
        printer.before = beforeContext ?? context ?? 0
        printer.after = afterContext ?? context ?? 0
        let columns = maxColumns ?? (format == .vimgrep ? 0 : 120)
        printer.maxColumns = columns == 0 ? Int.max : columns
        return printer
    }

    /// Runs every query of `file` (`-`: stdin): one JSON line per query, then a summary line.
    /// With -c a line has the total only, with -l the keys of the hits instead of keys and
    /// scores. A query that fails to parse gets a line with "error"; the exit status is then 2.
    /// Returns the number of queries that matched something.
    @discardableResult
    func runBatch(queries: [String], searcher: Searcher, bm25: BM25, display: (String) -> String, to out: inout OutputBuffer) throws -> Int {
        var options = SearchOptions(limit: count ? 0 : limit, bm25: bm25, snippets: SnippetOptions(isEnabled: false))
        options.includesTitles = false   // lines show keys and scores
        let clock = ContinuousClock()
        // the time answering the queries (each one's "ms": parsing, searching, the top hits and
        // the exact count), not writing their lines: a consumer slow to read the output (a pipe
        // into a process still starting) would otherwise be timed as search
        var answering = Duration.zero
        var failed = 0, matched = 0
        for q in queries {
            let start = clock.now
            do {
                let results = try searcher.search(q, options: options)
                if results.total > 0 { matched += 1 }
                let elapsed = clock.now - start
                answering += elapsed
                let ms = SearchCommand.millisecondsText(elapsed)
                // the line's bytes straight into the output (no String per line or per hit)
                out.append("{\"query\":")
                out.appendJSONString(q)
                out.append(",\"total\":")
                out.append(String(results.total))
                if files {
                    out.append(",\"keys\":[")
                    for (i, hit) in results.hits.enumerated() {
                        if i > 0 { out.append(",") }
                        out.appendJSONString(display(hit.key))
                    }
                    out.append("]")
                } else if !count {
                    out.append(",\"hits\":[")
                    for i in results.hits.indices {
                        out.append(i == 0 ? "{\"key\":" : ",{\"key\":")
                        out.appendJSONString(display(results.hits[i].key))
                        out.append(",\"score\":")
                        out.appendJSONNumber(results.hits[i].score)
                        out.append("}")
                    }
                    out.append("]")
                }
                out.append(",\"ms\":")
                out.append(ms)
                out.append("}")
                out.endLine()
            } catch {
                failed += 1
                let elapsed = clock.now - start
                answering += elapsed
                let ms = SearchCommand.milliseconds(elapsed)
                let message = (error as? QueryError)?.description ?? "\(error)"
                let empty = files ? ",\"keys\":[]" : count ? "" : ",\"hits\":[]"
                out.write("{\"query\":\(JSON.string(q)),\"error\":\(JSON.string(message)),\"total\":0\(empty),\"ms\":\(fixedPoint(ms, decimals: 3))}\n")
            }
        }
        let seconds = SearchCommand.milliseconds(answering) / 1000
        out.write("{\"queries\":\(queries.count),\"errors\":\(failed),\"seconds\":\(fixedPoint(seconds, decimals: 6))}\n")
        out.flush()
        if failed > 0 {
            out.note("\(failed) of \(queries.count) \(queries.count == 1 ? "query" : "queries") failed (see the \"error\" members)")
            throw ExitStatus(code: 2)
        }
        return matched
    }
}
