import Glibc

/// A stream read as one text (`sou index -` when stdin is not JSON Lines, `sou tokenize`
/// reading stdin): gathered in memory up to ``maxBytes``, and refused as binary as soon as a NUL
/// byte shows that is not part of UTF-16/32 text. Each byte is looked at once, so a stream of
/// any length costs linear time (before, `sou index - < /dev/zero` never ended: 100 MB of NUL
/// bytes took 9.9 s, 200 MB 32.7 s, and memory grew without bound).
struct StreamedText {
    /// The most bytes (decompressed) of a stream read as one text: 256 MiB, as much as a JSON
    /// line may hold (``DocumentSource/maxLineBytes``).
    static let maxBytes = 256 << 20

    /// For messages ("stdin").
    let name: String
    /// False when a charset is forced (`--encoding`): NUL bytes are then text in that charset.
    let checksBinary: Bool
    /// The bytes read so far.
    private(set) var bytes: [UInt8] = []
    /// The bytes before this offset have been checked for NUL bytes.
    private var checked = 0
    /// nil until the first ``TextDecoding/detectionSample`` bytes (or all, at the end) are read;
    /// then whether they are UTF-16/32 text, whose NUL bytes are text (a byte order mark, or
    /// ``TextDecoding/wideCharset(_:)``).
    private var wide: Bool? = nil

    init(name: String, checksBinary: Bool = true) {
        self.name = name
        self.checksBinary = checksBinary
    }

    /// Appends a chunk; throws ``IndexError/io(_:)`` when the text would exceed ``maxBytes``
    /// (nothing more is read).
    mutating func append(_ chunk: UnsafeBufferPointer<UInt8>) throws {
        guard bytes.count + chunk.count <= Self.maxBytes else {
            throw IndexError.io("\(name): more than \(Self.maxBytes >> 20) MiB, the most a stream read as one text may hold (a file has no such bound)")
        }
        bytes.append(contentsOf: chunk)
    }

    /// Throws ``IndexError/io(_:)`` when the bytes appended so far show binary data: a NUL byte,
    /// once the start of the stream is known not to be UTF-16/32 text. Until then (fewer than
    /// ``TextDecoding/detectionSample`` bytes) it waits; ``finish()`` decides.
    mutating func check() throws {
        guard checksBinary else { return }
        if wide == nil {
            guard bytes.count >= TextDecoding.detectionSample else { return }
            wide = TextDecoding.isWideText(bytes[...])
        }
        if wide == false, let offset = TextDecoding.firstNUL(bytes[checked...]) { throw binary(at: offset) }
        checked = bytes.count
    }

    /// At the end of the stream: ``check()`` with whatever was read.
    mutating func finish() throws {
        if wide == nil { wide = TextDecoding.isWideText(bytes[...]) }
        try check()
    }

    private func binary(at offset: Int) -> IndexError {
        IndexError.io("\(name): binary data (a NUL byte at byte \(offset), and not UTF-16/32 text)")
    }
}

/// Finds the first non-blank line of a stream as its bytes arrive, looking at each byte once (a
/// search from the start at every chunk took quadratic time on a stream without a line break).
struct FirstLineScan {
    /// Where the line being looked for starts, and how far its end has been searched.
    private var lineStart = 0
    private var searched = 0

    /// Whether `head` (the start of the stream, grown since the last call) is JSON Lines: its
    /// first non-blank line parses as a JSON object (a UTF-8 byte order mark before it is
    /// ignored). nil while that line is not complete (and `complete` is false).
    mutating func looksLikeJSONLines(_ head: [UInt8], complete: Bool) -> Bool? {
        while true {
            let newline: Int? = head.withUnsafeBufferPointer { b in
                // bounds: searched ≤ head.count; memchr looks at the count − searched bytes after it
                guard searched < b.count, let base = b.baseAddress, let hit = memchr(base + searched, 0x0A, b.count - searched) else {
                    return nil
                }
                return UnsafeRawPointer(base).distance(to: UnsafeRawPointer(hit))
            }
            guard let newline else {
                searched = head.count
                guard complete else { return nil }
                return Self.parsesAsObject(line(head, lineStart..<head.count))
            }
            searched = newline + 1
            let l = line(head, lineStart..<newline)
            if l.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
                lineStart = newline + 1
                continue
            }
            return Self.parsesAsObject(l)
        }
    }

    /// The bytes of a line, without a byte order mark at the start of the stream.
    private func line(_ head: [UInt8], _ range: Range<Int>) -> ArraySlice<UInt8> {
        let l = head[range]
        return range.lowerBound == 0 && l.starts(with: [0xEF, 0xBB, 0xBF]) ? l.dropFirst(3) : l
    }

    static func parsesAsObject(_ line: ArraySlice<UInt8>) -> Bool {
        var l = Array(line)
        if l.last == 0x0D { l.removeLast() }
        guard l.contains(where: { $0 != 0x20 && $0 != 0x09 }) else { return false }
        return l.withUnsafeBufferPointer { (try? JSONLineParser.parse($0)) != nil }
    }
}
