import ArgumentParser
import CSystemShim
import FoundationEssentials
import Glibc
import Sou

/// An error the CLI reports as one line on stderr, exiting with `code` (2 unless stated).
struct CLIError: Error, CustomStringConvertible {
    var message: String
    var code: Int32 = 2
    init(_ message: String, code: Int32 = 2) {
        self.message = message
        self.code = code
    }
    var description: String { message }

    /// "FILE: message" for `error` met with the file `file`, or the message alone when it starts
    /// with the file's name already (a locked index's message names the file and its writer).
    init(file: String, _ error: Error) {
        // (a locked index's message names the option of the library and of sou: here, sou's)
        let text = "\(error)".replacing(" (sou: --wait; the library: IndexWriterOptions.waitsForLock)", with: " (--wait)")
        // (named once: "corrupt index: F: commit 2 lies past the end…" is not prefixed again)
        self.init(text.hasPrefix(file + " ") || text.contains(file + ": ") ? text : "\(file): \(text)")
    }
}

/// Thrown to end the process with an exit status and no message (e.g. 1: nothing matched).
struct ExitStatus: Error {
    var code: Int32
}

/// "1 document", "2 documents": `n` and the word, plural unless `n` is 1.
func counted(_ n: Int, _ singular: String, _ plural: String? = nil) -> String {
    "\(n) " + (n == 1 ? singular : plural ?? singular + "s")
}

/// Writes `message` to stderr, prefixed with "sou: ", followed by a newline.
func printError(_ message: String) {
    writeAll("sou: " + message + "\n", to: STDERR_FILENO)
}

/// The error (errno) of the first write to stdout that failed; 0 while none has.
nonisolated(unsafe) private var standardOutputError: Int32 = 0

/// Writes `bytes` to stdout (what every command's output goes through, but for the `print`s
/// that stdio buffers). After a failed write nothing more is written: the command ends with
/// the error (``exitAfterOutput(_:)``).
func writeStdout(_ bytes: UnsafeBufferPointer<UInt8>) {
    guard standardOutputError == 0 else { return }
    if !writeAll(bytes, to: STDOUT_FILENO) { standardOutputError = errno == 0 ? EIO : errno }
}

/// ``writeStdout(_:)`` of a String's UTF-8.
func writeStdout(_ text: String) {
    var text = text
    text.withUTF8 { writeStdout($0) }
}

/// Ends the process with `code`, unless its output could not be written (stdout a full disk,
/// /dev/full, a closed descriptor): then an error on stderr and exit 2, never 0 for output that
/// was lost. Flushes what `print` buffered first.
func exitAfterOutput(_ code: Int32) -> Never {
    let flushed = sou_flush_stdout()
    if flushed != 0, standardOutputError == 0 { standardOutputError = flushed }
    if standardOutputError != 0 {
        // (a reader that went away, as `sou search … | head` does: nothing to report)
        if standardOutputError == EPIPE { Glibc.exit(code) }
        printError("cannot write the output: \(String(cString: strerror(standardOutputError)))")
        Glibc.exit(2)
    }
    Glibc.exit(code)
}

/// Writes `text` to stderr as is.
func writeStderr(_ text: String) {
    writeAll(text, to: STDERR_FILENO)
}

/// True when the file descriptor is a terminal.
func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

/// Removal of a build's temporary file when SIGINT, SIGTERM or SIGHUP ends the process (the
/// handlers, in C, unlink the registered paths and re-raise the signal: see csystemshim.h).
enum TemporaryFileCleanup {
    /// Installs the handlers (once) and returns the hook that registers a build's temporary file.
    static func hook() -> TemporaryFileHook {
        sou_cleanup_install()
        return { path, pending in
            if pending { _ = sou_cleanup_register(path) } else { sou_cleanup_unregister(path) }
        }
    }
}

/// All of `path`'s bytes, at most `limit` of them; a CLIError "`failure`: the system's reason"
/// when it cannot be read, and "NAME: more than N MiB, the most OPTION reads" (naming the file,
/// the bound and the option) as soon as a read passes `limit`: a device such as /dev/zero, or a
/// file that keeps growing, is never gathered whole (`--baseline /dev/zero` once read forever).
func readWholeFile(_ path: String, limit: Int, option: String, failure: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw CLIError("\(failure): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var st = stat()
    if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR { throw CLIError("\(failure): \(String(cString: strerror(EISDIR)))") }
    switch readToEnd(fd, limit: limit) {
    case .bytes(let bytes):
        return bytes
    case .failed(let error):
        throw CLIError("\(failure): \(String(cString: strerror(error)))")
    case .tooLong:
        throw CLIError("\(path): more than \(megabytes(limit)), the most \(option) reads")
    }
}

/// "4 MiB" (whole MiB), else "4096 bytes": a read bound as messages name it.
func megabytes(_ bytes: Int) -> String {
    bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : counted(bytes, "byte")
}

/// How ``readToEnd(_:limit:)`` ended.
enum BoundedRead {
    /// Every byte up to the end, no more than the limit.
    case bytes([UInt8])
    /// A read failed with this errno.
    case failed(Int32)
    /// There were more bytes than the limit (the read stopped at the first one past it).
    case tooLong
}

/// The bytes of `fd` up to its end, reading at most `limit` + 1 bytes.
func readToEnd(_ fd: Int32, limit: Int) -> BoundedRead {
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        // never more than one byte past the limit: enough to know there is more
        let want = min(chunk.count, limit + 1 - bytes.count)
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, want) }
        if n < 0 {
            if errno == EINTR { continue }
            return .failed(errno)
        }
        if n == 0 { return .bytes(bytes) }
        bytes.append(contentsOf: chunk[0..<n])
        if bytes.count > limit { return .tooLong }
    }
}

/// The time now in UTC as ISO 8601 ("2026-12-01T12:58:03Z"), as `ISO8601DateFormatter` writes it.
func isoDateNow() -> String {
    var now = time(nil)
    var parts = tm()
    gmtime_r(&now, &parts)
    var buffer = [CChar](repeating: 0, count: 32)
    let n = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%SZ", &parts)
    return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// The user's home folder from the password database (when $HOME is unset or empty), else "/".
func homeFolder() -> String {
    if let entry = getpwuid(getuid()), let dir = entry.pointee.pw_dir { return String(cString: dir) }
    return "/"
}

/// A monotonic clock reading in nanoseconds (CLOCK_MONOTONIC).
func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

extension String {
    /// The text cut or padded with spaces to 16 characters (a column of `sou stats`).
    var paddedTo16: String {
        count >= 16 ? String(prefix(16)) : self + String(repeating: " ", count: 16 - count)
    }
}

/// `value` with `decimals` (0–17) digits after the point, exactly as printf's `%.Nf` writes it,
/// through one plain C call (`sou_format_fixed`).
func fixedPoint(_ value: Double, decimals: Int) -> String {
    let digits = Int32(min(max(decimals, 0), 17))
    var buffer = (0 as UInt64, 0 as UInt64, 0 as UInt64, 0 as UInt64, 0 as UInt64, 0 as UInt64, 0 as UInt64, 0 as UInt64)
    let length = withUnsafeMutableBytes(of: &buffer) { raw in
        Int(sou_format_fixed(raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count, value, digits))
    }
    if length >= 0, length < MemoryLayout.size(ofValue: buffer) {
        return withUnsafeBytes(of: &buffer) { String(decoding: $0.prefix(length), as: UTF8.self) }
    }
    // a number too large for 64 bytes (|value| ≥ 1e46 or so): ask for the exact length
    return String(unsafeUninitializedCapacity: max(length, 0) + 1) { out in
        let written = Int(sou_format_fixed(UnsafeMutableRawPointer(out.baseAddress!).assumingMemoryBound(to: CChar.self),
                                           out.count, value, digits))
        return min(max(written, 0), out.count - 1)
    }
}

/// An option a command does not have: the one meant (by its long name), and the message that
/// names both, for every command (ArgumentParser's own guess is any option within a large edit
/// distance: `sou index --bogus` was "Did you mean '--jobs'?").
enum UnknownOption {
    /// The long option of `command` nearest to `name` ("--limt"): the only one it begins, else
    /// the one at most two edits away (or a quarter of its letters); nil when none is.
    static func nearest(_ name: String, in command: ParsableCommand.Type) -> String? {
        guard name.hasPrefix("--"), name.count > 3 else { return nil }
        let typed = Array(name.dropFirst(2).utf8)
        let names = longNames(of: command)
        let prefixed = names.filter { $0.utf8.starts(with: typed) }
        if prefixed.count == 1 { return prefixed[0] }
        let scored = names.map { ($0, editDistance(typed, Array($0.utf8))) }.min { $0.1 < $1.1 }
        guard let (nearest, distance) = scored, distance <= max(2, typed.count / 4) else { return nil }
        return nearest
    }

    /// The long option names of `command` (without the dashes), as its help lists them.
    static func longNames(of command: ParsableCommand.Type) -> [String] {
        var names: [String] = []
        let help = Array(command.helpMessage(columns: 200).utf8)
        func isNameByte(_ b: UInt8) -> Bool {
            (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "-")
        }
        var i = 0
        while i + 2 < help.count {
            // "--" at the start of a word (after a space, a comma or "["): a name
            if help[i] == UInt8(ascii: "-"), help[i + 1] == UInt8(ascii: "-"),
               i == 0 || [UInt8(ascii: " "), UInt8(ascii: ","), UInt8(ascii: "[")].contains(help[i - 1]) {
                var j = i + 2
                while j < help.count, isNameByte(help[j]) { j += 1 }
                let name = String(decoding: help[(i + 2)..<j], as: UTF8.self)
                if name.count > 1, !names.contains(name) { names.append(name) }
                i = j
            } else {
                i += 1
            }
        }
        return names
    }

    /// Levenshtein distance of two byte strings (short option names).
    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }

    /// For an error of ArgumentParser's about an unknown long option of a command other than
    /// `sou search` (which has its own: ``SearchCommand/misreadOption(_:arguments:)``): the
    /// message with the nearest option, or none, instead of ArgumentParser's guess. `arguments`
    /// are the process arguments after the program name; nil for other errors.
    static func message(for error: Error, arguments: [String]) -> String? {
        let full = SouCommand.fullMessage(for: error)
        guard let after = full.scalarsAfterFirst("Unknown option '") else { return nil }
        let name = String(after.prefix { $0 != "'" })
        guard name.hasPrefix("--") else { return nil }
        // the subcommand named: `sou bench index --x` is BenchIndexCommand's
        var command: ParsableCommand.Type = SouCommand.self
        var path = ["sou"]
        for word in arguments {
            guard let sub = command.configuration.subcommands.first(where: { $0.configuration.commandName == word }) else { break }
            command = sub
            path.append(word)
        }
        guard command != SouCommand.self else { return nil }
        let advice = nearest(name, in: command).map { "did you mean --\($0)?" } ?? "see \(path.joined(separator: " ")) --help for the options"
        // ArgumentParser's lines after its first (the usage) stay
        let rest = full.split(separator: "\n", omittingEmptySubsequences: false).dropFirst().joined(separator: "\n")
        return "unknown option '\(name)'; \(advice)" + (rest.isEmpty ? "" : "\n" + rest)
    }
}
