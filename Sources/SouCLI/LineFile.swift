import Glibc

/// A file of one item per line named by an option: the queries of `sou search --batch` and
/// `sou bench search --queries`, the keys of `sou delete --keys-from`. `-` is stdin; pipes,
/// FIFOs and devices (/dev/stdin, /dev/null) are read to their end like files.
///
/// Read with bounds, stopping at the first violation and looking at each byte once: a line of
/// at most ``maxLineBytes``, at most ``maxBytes`` in all, and no NUL byte (binary data, or text
/// in UTF-16: the lines are read as UTF-8). Before, each of these readers gathered its whole
/// input first: `--batch /dev/zero` ran for minutes (a 20 MB NUL file took 58 s and 497 MB).
struct LineFile {
    /// The longest line, in bytes (without its line end): a query or key is far shorter.
    static let maxLineBytes = 1 << 20
    /// The most bytes read.
    static let maxBytes = 256 << 20

    /// The path given (`-`: stdin).
    let path: String
    /// The option that named it ("--batch"), and what one line holds ("query", "queries").
    let option: String
    let item: String
    let items: String

    /// The name in messages: "stdin" for `-`.
    var name: String { path == "-" ? "stdin" : path }

    /// Calls `body` with each line's 1-based number and bytes (without the line feed; a CR
    /// before it is kept; the last line may have no line feed), valid only during the call.
    /// Throws ``CLIError`` (exit 2): "cannot read NAME: the system's reason", "NAME is a folder: …",
    /// and at the first NUL byte, over-long line or byte past ``maxBytes`` an error naming the
    /// line, without reading further.
    func forEachLine(_ body: (Int, UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        let fd = path == "-" ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CLIError("cannot read \(name): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
            throw CLIError("\(name) is a folder: \(option) needs a file of \(items), one per line")
        }
        let chunk = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 1 << 16)
        defer { chunk.deallocate() }
        var pending: [UInt8] = []   // the start of a line that continues in the next chunk
        var number = 1              // of the line being read
        var total = 0
        while true {
            let n = read(fd, chunk.baseAddress, chunk.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw CLIError("cannot read \(name): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            total += n
            guard total <= Self.maxBytes else {
                throw CLIError("\(name): more than \(Self.maxBytes >> 20) MiB, the most \(option) reads")
            }
            // bounds: read(2) wrote the first n bytes of the chunk; every piece lies within them
            let bytes = UnsafeBufferPointer(rebasing: chunk[0..<n])
            var start = 0
            while start < n {
                let end = Self.index(of: 0x0A, in: bytes, from: start) ?? n
                let piece = UnsafeBufferPointer(rebasing: bytes[start..<end])
                if Self.index(of: 0, in: piece, from: 0) != nil {
                    throw CLIError("\(name) line \(number): a NUL byte: binary data, or text in UTF-16 (\(items) are read as UTF-8 text, one per line)")
                }
                guard pending.count + piece.count <= Self.maxLineBytes else {
                    throw CLIError("\(name) line \(number): longer than \(Self.maxLineBytes >> 20) MiB, the most one \(item) may hold")
                }
                if end == n {
                    pending.append(contentsOf: piece)
                    break
                }
                if pending.isEmpty {
                    try body(number, piece)
                } else {
                    pending.append(contentsOf: piece)
                    try pending.withUnsafeBufferPointer { try body(number, $0) }
                    pending.removeAll(keepingCapacity: true)
                }
                number += 1
                start = end + 1
            }
        }
        if !pending.isEmpty { try pending.withUnsafeBufferPointer { try body(number, $0) } }
    }

    /// The index of the first `byte` in `bytes` at or after `from` (memchr), or nil.
    private static func index(of byte: UInt8, in bytes: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        guard from < bytes.count, let base = bytes.baseAddress,
              let hit = memchr(base + from, Int32(byte), bytes.count - from) else { return nil }
        // bounds: memchr searched the count − from bytes after base + from
        return UnsafeRawPointer(base).distance(to: UnsafeRawPointer(hit))
    }

    /// The queries of a file (`--batch`, `--queries`) with their line numbers: one per line (LF or
    /// CRLF; the CR is not part of the query), for a TSV the first column; blank lines skipped; a
    /// UTF-8 byte order mark at the start dropped; a first line starting with "query<TAB>" is a
    /// TSV's header, skipped.
    static func queries(_ path: String, option: String) throws -> [(line: Int, text: String)] {
        var out: [(line: Int, text: String)] = []
        try LineFile(path: path, option: option, item: "query", items: "queries").forEachLine { number, line in
            var l = line[...]
            if number == 1 {
                if l.starts(with: [0xEF, 0xBB, 0xBF]) { l = l.dropFirst(3) }
                if l.starts(with: Array("query\t".utf8)) { return }
            }
            if l.last == 0x0D { l = l.dropLast() }
            if let tab = l.firstIndex(of: 0x09) { l = l[..<tab] }
            let q = String(decoding: l, as: UTF8.self)
            if !q.allSatisfy(\.isWhitespace) { out.append((number, q)) }
        }
        return out
    }

    /// The keys of a file (`--keys-from`): one per line (LF or CRLF), empty lines skipped; a
    /// UTF-8 byte order mark at the start dropped (as for queries: no key starts with one).
    static func keys(_ path: String, option: String) throws -> [String] {
        var out: [String] = []
        try LineFile(path: path, option: option, item: "key", items: "keys").forEachLine { number, line in
            var l = line[...]
            if number == 1, l.starts(with: [0xEF, 0xBB, 0xBF]) { l = l.dropFirst(3) }
            if l.last == 0x0D { l = l.dropLast() }
            if !l.isEmpty { out.append(String(decoding: l, as: UTF8.self)) }
        }
        return out
    }
}
