import Glibc
import Sou

/// Other spellings of a file's path key: a file's key is its path as it was given (`docs/a.txt`,
/// `./docs/a.txt` or `/home/me/docs/a.txt` for one file), so a command that names a file
/// another way than the index did means a key the index does not have. `sou add` then adds a
/// second document for the file, and `sou delete` finds nothing; both say which spelling the
/// index holds.
enum PathSpellings {
    /// The spellings of `path` other than itself that name the same file from the current
    /// directory `cwd` (absolute): `path` without `.` components and repeated slashes, with and
    /// without a leading `./`, and as an absolute path, or relative to `cwd` when it is under
    /// it. Lexical only: `..` and symbolic links are left as they are.
    static func alternatives(of path: String, cwd: String) -> [String] {
        // (on the bytes: String's splitting, joining and hashing cost ~460,000 instructions for
        // one path, more than the rest of a one-file sou add)
        let bytes = Array(path.utf8)
        let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
        guard let clean = PathText.lexicallyClean(bytes) else { return [] }
        let absolute = clean[0] == slash
        var base = Array(cwd.utf8)
        if base.last != slash { base.append(slash) }
        var spellings: [[UInt8]] = [clean]
        if absolute {
            if clean.count > base.count, clean.starts(with: base) {
                let relative = Array(clean[base.count...])
                spellings += [relative, [dot, slash] + relative]
            }
        } else {
            spellings += [[dot, slash] + clean, base + clean]
        }
        var result: [String] = []
        for (k, spelling) in spellings.enumerated() where spelling != bytes && !spellings[..<k].contains(spelling) {
            result.append(String(decoding: spelling, as: UTF8.self))
        }
        return result
    }

    /// True when `path` is its own clean spelling: no `.` component, no repeated or trailing
    /// slash (the first of ``alternatives(of:cwd:)``'s spellings, which it then leaves out).
    static func isClean(_ path: String) -> Bool {
        // (a scan of the bytes in place, nothing allocated: sou add asks this of every file it adds)
        var path = path
        return path.withUTF8 { bytes in
            let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
            var length = 0, isDot = false
            for i in bytes.indices {
                let b = bytes[i]
                if b == slash {
                    if i == 0 { continue }   // an absolute path's leading slash
                    if length == 0 || (length == 1 && isDot) { return false }   // "//" or a "." component
                    length = 0
                } else {
                    isDot = length == 0 && b == dot
                    length += 1
                }
            }
            // the last component: not empty (a trailing slash, or no path) and not "."
            return length > 0 && !(length == 1 && isDot)
        }
    }

    /// A file's path as the keys of its documents give it: a text file's key, or the PATH of a
    /// JSON Lines file found in a folder, whose documents are keyed PATH#ID.
    struct KeyedPath {
        var path: String
        var jsonLines: Bool
    }

    /// The path of the JSON Lines file a document read from one came from (`origin` PATH:LINE)
    /// when its key is PATH#ID (the file was found in a folder) and the document before it came
    /// from another file (`last`: that file's path, updated here); nil otherwise. A line of the
    /// file read just before costs a comparison of bytes, nothing allocated.
    static func newJSONLinesFile(origin: String, key: String, last: inout [UInt8]) -> String? {
        var origin = origin, key = key
        return origin.withUTF8 { o -> String? in
            let colon = UInt8(ascii: ":")
            if !last.isEmpty, o.count > last.count, o[last.count] == colon,
               last.withUnsafeBufferPointer({ memcmp(o.baseAddress!, $0.baseAddress!, $0.count) == 0 }) {
                return nil
            }
            guard let end = o.lastIndex(of: colon), end > 0 else { return nil }
            last = Array(o[..<end])
            let keyed = key.withUTF8 { k in
                k.count > end && k[end] == UInt8(ascii: "#") && memcmp(k.baseAddress!, o.baseAddress!, end) == 0
            }
            return keyed ? String(decoding: o[..<end], as: UTF8.self) : nil
        }
    }

    /// The first of `key`'s other spellings that is the key of a live document of `index` (nil
    /// when none is).
    static func indexedSpelling(of key: String, in index: IndexReader, cwd: String) throws -> String? {
        for other in alternatives(of: key, cwd: cwd) where try !index.documents(withKey: other).isEmpty { return other }
        return nil
    }

    /// Warns of files `sou add` added as new documents that the index also holds under another
    /// spelling of their paths (the first three by name, then how many more). A JSON Lines file's
    /// documents are named by their key prefix, PATH#….
    static func warnRespelled(_ respelled: [(file: KeyedPath, indexed: String)], index: String) {
        for (file, indexed) in respelled.prefix(3) {
            let key = file.jsonLines ? file.path + "#…" : file.path, other = file.jsonLines ? indexed + "#…" : indexed
            printError("warning: \(key): \(index) also has \(other), the same path from this directory; keys are paths as given, "
                       + "so \(file.jsonLines ? "its documents" : "the file") may be in it twice now (give the path as indexed to replace "
                       + "\(file.jsonLines ? "them" : "that document"), or sou delete one of them)")
        }
        if respelled.count > 3 {
            printError("warning: \(respelled.count - 3) more added \(respelled.count == 4 ? "file is" : "files are") in \(index) under another spelling of \(respelled.count == 4 ? "its path" : "their paths") too")
        }
    }
}
