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
        let text = "\(error)"
        self.init(text.hasPrefix(file + " ") ? text : "\(file): \(text)")
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
