import FoundationEssentials
import Glibc

/// Why a build or a write refused to touch its output path. Nothing on disk was changed.
public struct OutputRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// The reasons to refuse.
    public enum Kind: Sendable, Hashable {
        /// The path is a symbolic link: replacing it would lose the link, writing its target is
        /// not what a rename does. Give the target's path instead.
        case symbolicLink
        /// A device node, FIFO or socket (named in `what`): it would be replaced by a file.
        case notRegularFile(what: String)
        /// A folder.
        case folder
        /// The same file as one of the inputs.
        case sameAsInput
        /// A file that is not a Sou index, inside `folder`, a folder being indexed: one of the
        /// inputs (refused with `--force` too).
        case insideInputFolder(folder: String)
        /// An existing, non-empty file that does not start with the `SOUINDEX` magic (see
        /// ``IndexBuildOptions/replacesNonIndexFile``).
        case notAnIndex
        /// A file this user may not write (replacing it by a rename would need only the folder).
        case notWritable
        /// The folder that would hold the file is missing, not a folder, or not writable.
        case unusableFolder(reason: String)
        /// The build indexed no document (`reason` says why): an empty index would replace the
        /// file (see ``IndexBuildOptions/allowsEmptyIndex``).
        case nothingIndexed(reason: String)
        /// The input held nothing to index, and nothing went wrong reading it (an empty folder,
        /// only binary, empty or excluded files): `sou index` exits 1, not 2.
        case nothingToIndex(reason: String)
    }

    /// What is wrong.
    public var kind: Kind
    /// The output path (for ``Kind/unusableFolder(reason:)``, the folder).
    public var path: String

    /// Creates a refusal.
    public init(_ kind: Kind, path: String) {
        self.kind = kind
        self.path = path
    }

    /// "x.sou: a symbolic link; …".
    public var description: String {
        switch kind {
        case .symbolicLink:
            "\(path): a symbolic link; sou does not write through links (give the target's path, or remove the link)"
        case .notRegularFile(let what): "\(path): not a regular file (\(what)); refusing to replace it"
        case .folder: "\(path): is a folder; give the index file's name"
        case .sameAsInput: "\(path): the output is also an input; refusing to overwrite it"
        case .insideInputFolder(let folder):
            "\(path): exists, is not a Sou index, and is inside \(folder), which is being indexed (it is an input); refusing to overwrite it (choose another output path)"
        case .notAnIndex: "\(path): exists and is not a Sou index (--force replaces it)"
        case .notWritable: "\(path): not writable by this user; refusing to replace it"
        case .unusableFolder(let reason): "\(path): \(reason)"
        case .nothingIndexed(let reason): "indexed 0 documents: nothing to write (\(reason)); \(path) is unchanged"
        case .nothingToIndex(let reason): "nothing to index (\(reason)); \(path) is unchanged"
        }
    }
}

/// The checks on an output path: all of them before a build reads its input (so that a doomed
/// build fails at once, and a FIFO or device is never replaced), and the file-type ones again
/// just before ``AtomicFile`` renames over the path.
enum OutputTarget {
    /// Checks `path` as the output of a build reading `inputs`: an existing entry must be a
    /// regular file this user may write, not one of the inputs, and a Sou index (or empty) unless
    /// `replacesNonIndexFile`; its folder must exist and be writable.
    static func checkBeforeBuild(_ path: String, inputs: [String], replacesNonIndexFile: Bool) throws {
        guard !path.isEmpty else { throw IndexError.io("the output path is empty") }
        if path.hasSuffix("/") { throw OutputRefusal(.folder, path: path) }
        var st = stat()
        if lstat(path, &st) == 0 {
            try checkReplaceable(path, st)
            for input in inputs where input != "-" {
                var s = stat()
                if stat(input, &s) == 0, s.st_dev == st.st_dev, s.st_ino == st.st_ino {
                    throw OutputRefusal(.sameAsInput, path: path)
                }
            }
            if st.st_size > 0, !startsWithIndexMagic(path) {
                // a file that is not an index, inside a folder being indexed, is one of the
                // inputs (a walk would read it): never replaced, even with --force
                if let folder = enclosingInputFolder(of: path, inputs: inputs) {
                    throw OutputRefusal(.insideInputFolder(folder: folder), path: path)
                }
                if !replacesNonIndexFile { throw OutputRefusal(.notAnIndex, path: path) }
            }
        } else if errno != ENOENT {
            throw IndexError.io("cannot use \(path) as the output: \(String(cString: strerror(errno)))")
        }
        try checkFolder(of: path)
    }

    /// Refuses an existing entry `st` at `path` that a rename must not replace: a link, a
    /// folder, anything but a regular file, or a file this user may not write. (Root may write
    /// any file: for root this checks the type only.)
    static func checkReplaceable(_ path: String, _ st: stat) throws {
        switch st.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFLNK: throw OutputRefusal(.symbolicLink, path: path)
        case S_IFDIR: throw OutputRefusal(.folder, path: path)
        case S_IFCHR: throw OutputRefusal(.notRegularFile(what: "a character device"), path: path)
        case S_IFBLK: throw OutputRefusal(.notRegularFile(what: "a block device"), path: path)
        case S_IFIFO: throw OutputRefusal(.notRegularFile(what: "a FIFO"), path: path)
        case S_IFSOCK: throw OutputRefusal(.notRegularFile(what: "a socket"), path: path)
        default: throw OutputRefusal(.notRegularFile(what: "a special file"), path: path)
        }
        guard faccessat(AT_FDCWD, path, W_OK, AT_EACCESS) == 0 else {
            throw OutputRefusal(.notWritable, path: path)
        }
    }

    /// The folder that holds `path` must exist and let this user create and rename files.
    static func checkFolder(of path: String) throws {
        let folder = PathText.deletingLastComponent(path)
        let shown = folder.isEmpty ? "." : folder
        var st = stat()
        guard stat(shown, &st) == 0 else {
            let reason = errno == ENOENT ? "no such folder" : String(cString: strerror(errno))
            throw OutputRefusal(.unusableFolder(reason: reason), path: shown)
        }
        guard st.st_mode & S_IFMT == S_IFDIR else {
            throw OutputRefusal(.unusableFolder(reason: "not a folder"), path: shown)
        }
        guard faccessat(AT_FDCWD, shown, W_OK | X_OK, AT_EACCESS) == 0 else {
            throw OutputRefusal(.unusableFolder(reason: "this user may not create files in this folder"), path: shown)
        }
    }

    /// The input (as given) that is a folder holding `path`, at any depth, by their canonical
    /// paths (links resolved); nil when there is none, or a path cannot be resolved.
    static func enclosingInputFolder(of path: String, inputs: [String]) -> String? {
        guard let output = canonical(path) else { return nil }
        for input in inputs where input != "-" {
            var s = stat()
            guard stat(input, &s) == 0, s.st_mode & S_IFMT == S_IFDIR, let folder = canonical(input) else { continue }
            let prefix = folder == "/" ? "/" : folder + "/"
            if output.utf8.starts(with: prefix.utf8) { return input }
        }
        return nil
    }

    /// After the walk, before anything is read: refuses an existing output that is not a Sou
    /// index (one `--force` would replace) when the walk listed it as an input, wherever it was
    /// found (through a link to a folder, too). Only listed files of the output's name are
    /// stat'ed.
    static func checkNotListed(_ path: String, listed: [String]) throws {
        var st = stat()
        guard lstat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG, st.st_size > 0, !startsWithIndexMagic(path) else { return }
        if sameFile(as: st, named: path, in: listed) != nil { throw OutputRefusal(.sameAsInput, path: path) }
    }

    /// Where `paths` holds the file `st` is the status of, found under its name: only a path that
    /// ends with the last component of `name` is stat'ed (names compared as the paths' last bytes:
    /// `PathText.lastComponent` of each of dev-all's 7,117 listed files took 15.7 M instructions,
    /// more than the rest of an up-to-date run; the bytes, 1.4 M).
    private static func sameFile<C: Collection>(as st: stat, named name: String, in paths: C) -> C.Index? where C.Element == String {
        let last = Array(PathText.lastComponent(name).utf8)
        guard !last.isEmpty else { return nil }
        return paths.firstIndex { path in
            var listed = path
            let sameName = listed.withUTF8 { p in
                // the path ends with "/" + the name, or is the name
                guard p.count >= last.count else { return false }
                let start = p.count - last.count
                guard start == 0 || p[start - 1] == UInt8(ascii: "/") else { return false }
                return last.withUnsafeBufferPointer { memcmp(p.baseAddress! + start, $0.baseAddress!, last.count) == 0 }
            }
            guard sameName else { return false }
            var s = stat()
            return stat(path, &s) == 0 && s.st_dev == st.st_dev && s.st_ino == st.st_ino
        }
    }

    /// `files` without the index at `path` itself (the same file: device and inode), which a
    /// folder given to `sou index` holds when the index is written inside it (`sou index . -o
    /// notes.sou`): read, it is skipped as binary, and the skip recorded changed the index, so
    /// that every run found it changed again and committed anew (the file grew at each run with
    /// nothing else changed). Found as ``checkNotListed(_:listed:)`` finds an output among the
    /// inputs (``sameFile(as:named:in:)``).
    /// Only when the index lies in one of the folders `sources` (``enclosingInputFolder(of:inputs:)``): the usual index
    /// elsewhere costs no look at the listing.
    static func excludingIndex(_ path: String, from files: [InputFile], sources: [String]) -> (files: [InputFile], excluded: String?) {
        var st = stat()
        guard lstat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG, enclosingInputFolder(of: path, inputs: sources) != nil,
              let k = sameFile(as: st, named: path, in: files.lazy.map(\.path)) else { return (files, nil) }
        var rest = files
        let excluded = rest.remove(at: k).path
        return (rest, excluded)
    }

    /// The canonical absolute form of `path` (realpath), nil when it cannot be resolved.
    private static func canonical(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// True when the file at `path` starts with "SOUINDEX" (false when it cannot be read).
    static func startsWithIndexMagic(_ path: String) -> Bool {
        readPrefix(ofFile: path, count: FileLayout.headerMagic.count) == FileLayout.headerMagic
    }
}
