import CZlib
import Glibc

/// A file's text as `sou index` reads a text file (``FileContents/text(_:encoding:)``).
public struct DecodedText: Sendable, Hashable {
    /// The text in UTF-8, without a byte order mark.
    public var text: String
    /// The charset it was read in: "UTF-8", "GB18030", "UTF-16LE", …
    public var charset: String
    /// How the charset was chosen, and what was replaced: "valid UTF-8", "detected, confidence
    /// 100", "mostly UTF-8, 2 invalid sequences replaced by U+FFFD", …
    public var how: String
    /// Invalid sequences replaced by U+FFFD.
    public var replaced: Int
}

extension FileContents {
    /// The text of the file at `path` (`-`: stdin), decoded as `sou index` decodes a text file
    /// (``TextDecoding``): gzip decompressed; a byte order mark, UTF-8 (damaged UTF-8 with
    /// U+FFFD), UTF-16 without a byte order mark, or the charset ICU's detector recognizes;
    /// `encoding` (an ICU converter name) forces one. Stdin, a FIFO or a device is read up to
    /// ``StreamedText/maxBytes`` (stdin refused at its first NUL byte that is not UTF-16/32
    /// text, a file or device after its first 64 KiB).
    ///
    /// Throws ``IndexError/io(_:)`` naming the file ("stdin") and why: it cannot be opened or
    /// read (the system's reason, "a folder"), binary data (NUL bytes), not text in a charset
    /// recognized, more than a stream may hold, an unknown `encoding`.
    public static func text(_ path: String, encoding: String? = nil) throws -> DecodedText {
        var forced: String? = nil
        if let encoding {
            guard let canonical = TextDecoding.canonicalName(encoding) else {
                throw IndexError.io("unknown encoding \"\(encoding)\" (an ICU converter name, e.g. GB18030, Big5, Shift_JIS, EUC-JP, EUC-KR, UTF-16LE)")
            }
            forced = canonical
        }
        let name = path == "-" ? "stdin" : PathBytes.displayed(path)
        let bytes: [UInt8]
        if path == "-" {
            guard let file = gzdopen(dup(STDIN_FILENO), "rb") else {
                throw IndexError.io("cannot read stdin: \(String(cString: strerror(errno)))")
            }
            defer { gzclose(file) }
            var text = StreamedText(name: name, checksBinary: forced == nil)
            try forEachChunk(of: file, name: name) { chunk in
                try text.append(chunk)
                try text.check()
            }
            try text.finish()
            bytes = text.bytes
        } else {
            switch try load(path, checksBinary: forced == nil) {
            case .bytes(let b): bytes = b
            case .binary: throw IndexError.io("\(name): binary file (NUL bytes)")
            case .wouldBlock(let what): throw IndexError.io("\(name): \(what) with no input ready (not waited for)")
            }
        }
        switch TextDecoding.decode(bytes, forced: forced) {
        case .text(let text, let charset, let how, let replaced):
            return DecodedText(text: text, charset: charset, how: how, replaced: replaced)
        case .binary(let why), .undecodable(let why):
            throw IndexError.io("\(name): \(why)")
        }
    }
}
