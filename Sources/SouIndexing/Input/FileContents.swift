import CZlib
import FoundationEssentials
import Glibc

/// Reading whole input files, transparently decompressing gzip.
public enum FileContents {
    /// The bytes of the file at `path`; gzip files (by their magic bytes, whatever their
    /// name) are decompressed. Throws ``IndexError/io(_:)`` naming the file on failure, for
    /// damaged or truncated gzip data, and for a file named `.gz` that is not gzip at all.
    public static func read(_ path: String) throws -> [UInt8] {
        guard let head = readPrefix(ofFile: path, count: 2) else {
            throw IndexError.io("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        if head == [0x1f, 0x8b] {
            return try gunzip(path)
        }
        if isGzipName(path) { throw notGzip(path) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw IndexError.io("cannot read \(path)")
        }
        return [UInt8](data)
    }

    /// What ``load(_:)`` found.
    enum Loaded {
        /// The whole content (decompressed when it was gzip).
        case bytes([UInt8])
        /// Binary: NUL bytes in the first ``binaryCheckBytes`` (not UTF-16/32 text); the rest
        /// was not read. The count of bytes read.
        case binary(Int)
        /// A device with nothing to read at once (a terminal): not waited for. What it is.
        case wouldBlock(String)
    }

    /// How much of a file is read before deciding it is binary.
    static let binaryCheckBytes = 64 << 10

    /// Reads an input file for indexing: a regular file, a FIFO (read to its end; one without a
    /// writer is empty) or a device (read only while it has input at once: `/dev/null` is
    /// empty, a terminal is not waited for), at most ``StreamedText/maxBytes`` of a FIFO or
    /// device. gzip data (by its magic bytes) is decompressed. A file whose first 64 KiB hold a
    /// NUL byte and are not UTF-16/32 text is binary and not read further (so `/dev/zero` and
    /// large binary files cost one read), unless `checksBinary` is false (a charset forced with
    /// `--encoding` is used whatever the bytes look like: UTF-32 without a byte order mark has
    /// NUL bytes everywhere).
    static func load(_ path: String, checksBinary: Bool = true) throws -> Loaded {
        // O_NONBLOCK: opening a FIFO without a writer, or a device, must not block
        let fd = open(PathBytes.cString(path), O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        let shown = PathBytes.displayed(path)   // for messages
        guard fd >= 0 else { throw IndexError.io("cannot open \(shown): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw IndexError.io("cannot read \(shown): \(String(cString: strerror(errno)))") }
        let type = st.st_mode & S_IFMT
        if type == S_IFDIR { throw IndexError.io("cannot read \(shown): a folder") }
        let isDevice = type == S_IFCHR || type == S_IFBLK
        if !isDevice {
            // regular files and FIFOs are read blocking (a FIFO without a writer reads as empty)
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
        }
        var out: [UInt8] = []
        if type == S_IFREG { out.reserveCapacity(Int(st.st_size) + 1) }
        // the read buffer is not zeroed (a zeroed 64 KiB per file cost more than reading a small
        // file): bounds: read(2) writes at most `chunk.count` bytes, and only the `n` it wrote
        // are copied out
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 1)
        defer { chunk.deallocate() }
        var checked = false
        while true {
            let n = Glibc.read(fd, chunk.baseAddress, chunk.count)
            if n < 0 {
                if errno == EINTR { continue }
                if isDevice, errno == EAGAIN || errno == EWOULDBLOCK {
                    if out.isEmpty { return .wouldBlock(type == S_IFCHR ? "a character device" : "a block device") }
                    break
                }
                throw IndexError.io("cannot read \(shown): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            // a FIFO or device is a stream: bounded as stdin is (`yes | sou index /dev/stdin`)
            if type != S_IFREG, out.count + n > StreamedText.maxBytes {
                throw IndexError.io("\(shown): more than \(StreamedText.maxBytes >> 20) MiB, the most a stream read as one text may hold (a file has no such bound)")
            }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
            if !checked, out.count >= binaryCheckBytes {
                checked = true
                if type == S_IFREG, out.starts(with: [0x1F, 0x8B]) { return .bytes(try gunzip(path)) }
                if checksBinary, TextDecoding.isBinary(out[...]) { return .binary(out.count) }
            }
        }
        if !checked {
            if type == S_IFREG, out.starts(with: [0x1F, 0x8B]) { return .bytes(try gunzip(path)) }
            if type == S_IFREG, isGzipName(path) { throw notGzip(shown) }
            if checksBinary, TextDecoding.isBinary(out[...]) { return .binary(out.count) }
        } else if type == S_IFREG, isGzipName(path) {
            throw notGzip(shown)
        }
        return .bytes(out)
    }

    /// True for a name that promises gzip data (`.gz`, any case).
    static func isGzipName(_ path: String) -> Bool { path.lowercased().hasSuffix(".gz") }

    static func notGzip(_ name: String) -> IndexError {
        IndexError.io("\(name): not gzip data (the name ends in .gz but the file does not start with a gzip header)")
    }

    /// Decompresses a gzip file (several concatenated members allowed).
    static func gunzip(_ path: String) throws -> [UInt8] {
        guard let file = gzopen(PathBytes.cString(path), "rb") else { throw IndexError.io("cannot open \(PathBytes.displayed(path))") }
        defer { gzclose(file) }
        var out: [UInt8] = []
        try forEachChunk(of: file, name: PathBytes.displayed(path), requiresGzip: true) { out.append(contentsOf: $0) }
        return out
    }

    /// Reads an open zlib stream (gzip, or plain bytes passed through) to its end, handing each
    /// chunk to `body`; the buffer is valid only during the call. Damaged gzip data, gzip data
    /// that ends before its end (a truncated file), and with `requiresGzip` a stream that is not
    /// gzip at all, throw ``IndexError/io(_:)`` naming `name`.
    static func forEachChunk(of file: gzFile, name: String, requiresGzip: Bool = false, chunkSize: Int = 1 << 18,
                             _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        _ = gzbuffer(file, 1 << 17)
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        var first = true
        while true {
            let n = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
            if n < 0 {
                throw IndexError.io("\(name): not valid gzip data (\(zlibMessage(file)))")
            }
            if first, requiresGzip, gzdirect(file) == 1 { throw notGzip(name) }
            first = false
            if n == 0 {
                // zlib reports a stream cut short as a non-fatal Z_BUF_ERROR and returns 0 as at
                // the end: without this check a truncated .gz reads as a shorter file
                var errnum: Int32 = 0
                _ = gzerror(file, &errnum)
                if errnum == Z_BUF_ERROR {
                    throw IndexError.io("\(name): unexpected end of compressed data (the gzip file is truncated)")
                }
                return
            }
            try chunk.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[0..<Int(n)])) }
        }
    }

    /// zlib's message for the stream's last error, without the file name zlib puts in front.
    private static func zlibMessage(_ file: gzFile) -> String {
        var errnum: Int32 = 0
        guard let text = gzerror(file, &errnum).map({ String(cString: $0) }), !text.isEmpty else { return "unknown error" }
        // after the last ": " (ASCII bytes: a match is on scalar boundaries)
        let bytes = Array(text.utf8)
        if let colon = bytes.indices.dropLast().last(where: { bytes[$0] == 0x3A && bytes[$0 + 1] == 0x20 }) {
            return String(decoding: bytes[(colon + 2)...], as: UTF8.self)
        }
        return text
    }
}
