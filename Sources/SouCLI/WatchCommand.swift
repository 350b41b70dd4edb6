import ArgumentParser
import FoundationEssentials
import Glibc
import Sou

/// `sou watch PATH...`: keeps the cached index of `sou search QUERY PATH...` up to date and
/// vouches for it, so that such searches skip the walk of the folders (``FolderWatcher``).
struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Keep the cached index of `sou search QUERY PATH...` up to date as files change, so that such searches skip checking the folders.",
        discussion: """
        Without a watcher, `sou search QUERY PATH...` checks that its cached index mirrors the \
        PATHs by listing every folder and reading every file's size and modification time: for \
        a folder of many files, most of the search's time. `sou watch PATH...` watches those \
        folders and files (Linux inotify), updates the cached index when they change (after \
        0.3 s without changes, or when a search asks), and tells each search of the same PATHs \
        with the same options that the cache is current: the search then costs what a search \
        of a prebuilt index (-i) costs. It runs until interrupted (Ctrl-C, SIGTERM); searches \
        without a watcher, or whose watcher does not answer, check the folders as before.

        The options must be those of the searches (they name the cached index): -t, -T, -g, \
        --hidden, --encoding, --no-join-lines, --fold-variants. Not seen by the watcher: files \
        changed through a memory mapping, and changes made by other machines on a network file \
        system (search without a watcher there).
        """
    )

    @Argument(help: "The files and folders to watch, as the searches name them.")
    var paths: [String]

    @Flag(help: "Also watch hidden files and folders (and .git), as search --hidden reads them.")
    var hidden = false

    @Option(name: [.customShort("t"), .customLong("type")],
            help: ArgumentHelp("Only files of this type found in folders, as search -t (repeatable).", valueName: "type"))
    var types: [String] = []

    @Option(name: [.customShort("T"), .customLong("type-not")],
            help: ArgumentHelp("Not files of this type found in folders, as search -T (repeatable).", valueName: "type"))
    var excludedTypes: [String] = []

    @Option(name: [.customShort("g"), .customLong("glob")],
            help: ArgumentHelp("Only files matching this glob; !GLOB excludes, as search -g (repeatable).", valueName: "glob"))
    var globs: [String] = []

    @Option(help: "Read text files in this charset, as search --encoding.")
    var encoding: String?

    @Flag(name: .customLong("no-join-lines"), help: "As search --no-join-lines.")
    var noJoinLines = false

    @Flag(name: .customLong("fold-variants"), help: "As search --fold-variants.")
    var foldVariants = false

    @Flag(name: [.customShort("v"), .long], help: "Log every change seen and every search answered on stderr.")
    var verbose = false

    func validate() throws {
        if paths.isEmpty { throw ValidationError("missing PATH: sou watch PATH... (the files and folders searches name)") }
        if paths.contains("-") { throw ValidationError("- (stdin) cannot be watched: give files and folders") }
    }

    func run() throws {
        for p in paths {
            var st = stat()
            guard stat(p, &st) == 0 else { throw CLIError("\(p): \(String(cString: strerror(errno)))") }
            let kind = st.st_mode & S_IFMT
            if kind != S_IFREG && kind != S_IFDIR { throw CLIError("\(p): not a file or folder (only those can be watched)") }
            if kind == S_IFREG, SearchCommand.isIndexFile(p) { throw CLIError("\(p) is a Sou index: it is searched with -i, not watched") }
        }
        let options = try FolderSearch.options(hidden: hidden, types: types, excludedTypes: excludedTypes, globs: globs,
                                               encoding: encoding, noJoinLines: noJoinLines, foldVariants: foldVariants)
        let folders = try FolderSearch(paths: paths, options: options)
        let watcher = FolderWatcher(folders: folders, verbose: verbose)
        try watcher.run { w in
            writeStderr("sou watch: watching \(w.watchedFolders) folder\(w.watchedFolders == 1 ? "" : "s") and \(w.watchedFiles) "
                       + "file\(w.watchedFiles == 1 ? "" : "s") of \(folders.given.joined(separator: " ")); the cache "
                       + "\(folders.cachePath) is up to date; searches of these paths with these options skip checking them (Ctrl-C stops)\n")
        }
    }
}
