import CSystemShim
import Glibc

// What the package used from full Foundation (libFoundation.so), in plain C library calls. The
// modules import FoundationEssentials only: full Foundation also loads
// FoundationInternationalization and its ICU copy, and their relocation and protocol-conformance
// records were ~7 M of the 38 M instructions of a `sou search` (see ARCHITECTURE.md, SouAnalysis).

/// A mutual-exclusion lock (pthread_mutex), as Foundation's `NSLock`.
package final class Lock: @unchecked Sendable {
    // allocated once and never moved: a pthread_mutex_t must not change address while in use
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    package init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    package func lock() { pthread_mutex_lock(mutex) }
    package func unlock() { pthread_mutex_unlock(mutex) }

    package func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }
}

/// A lock with a condition variable (pthread_mutex + pthread_cond), as Foundation's `NSCondition`:
/// `wait()` must be called with the lock held, and returns with it held.
package final class Condition: @unchecked Sendable {
    // allocated once and never moved, as Lock's mutex
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let conditions: UnsafeMutablePointer<pthread_cond_t>
    private let count: Int

    /// A lock with `count` condition variables (numbered from 0), for waiters that wait for
    /// different things: each is woken only by what it waits for.
    package init(count: Int = 1) {
        precondition(count >= 1)
        self.count = count
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        conditions = .allocate(capacity: count)
        conditions.initialize(repeating: pthread_cond_t(), count: count)
        for i in 0..<count { pthread_cond_init(conditions + i, nil) }
    }

    deinit {
        for i in 0..<count { pthread_cond_destroy(conditions + i) }
        conditions.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    package func lock() { pthread_mutex_lock(mutex) }
    package func unlock() { pthread_mutex_unlock(mutex) }
    // (in bounds: 0 ≤ `which` < count, checked)
    package func wait(_ which: Int = 0) { precondition(which >= 0 && which < count); pthread_cond_wait(conditions + which, mutex) }
    package func signal(_ which: Int = 0) { precondition(which >= 0 && which < count); pthread_cond_signal(conditions + which) }
    package func broadcast(_ which: Int = 0) { precondition(which >= 0 && which < count); pthread_cond_broadcast(conditions + which) }
    /// Wakes every waiter of every condition variable.
    package func broadcastAll() { for i in 0..<count { pthread_cond_broadcast(conditions + i) } }
}

/// `format` filled in by the C library's printf (vsnprintf), as Foundation's `String(format:)`
/// for the conversions C knows: pass `Int` as `%ld`, `UInt64` as `%llu`, `UInt32` as `%x`/`%u`,
/// `Double` as `%f`; Swift strings have no conversion (interpolate them instead of `%@`).
package func cFormat(_ format: String, _ arguments: CVarArg...) -> String {
    withVaList(arguments) { first in
        // the length first (vsnprintf into no buffer), then the text into a buffer of that size
        // plus the terminating NUL; a va_list is consumed by use, so the second call gets its own
        let length = Int(vsnprintf(nil, 0, format, first))
        guard length > 0 else { return "" }
        return withVaList(arguments) { second in
            String(unsafeUninitializedCapacity: length + 1) { buffer in
                let written = vsnprintf(buffer.baseAddress.map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: CChar.self) },
                                        length + 1, format, second)
                return min(Int(written), length)
            }
        }
    }
}

/// Writes all of `text` to the file descriptor `fd` (retrying short writes and EINTR); false
/// when the system refuses (a closed pipe, a full disk), as `FileHandle.write` ignores it.
@discardableResult
package func writeAll(_ text: String, to fd: Int32) -> Bool {
    var text = text
    return text.withUTF8 { writeAll($0, to: fd) }
}

/// Writes all of `bytes` to the file descriptor `fd`; false when the system refuses.
@discardableResult
package func writeAll(_ bytes: UnsafeBufferPointer<UInt8>, to fd: Int32) -> Bool {
    guard var p = bytes.baseAddress else { return true }
    var left = bytes.count
    while left > 0 {
        let n = write(fd, p, left)
        if n < 0 {
            if errno == EINTR { continue }
            return false
        }
        p += n
        left -= n
    }
    return true
}

extension StringProtocol {
    /// The text without the spaces and tabs at both ends: Unicode's space separators (Zs), U+0009
    /// and U+200B (a space separator until Unicode 4.0.1), the set Foundation's
    /// `CharacterSet.whitespaces` holds.
    package var trimmingWhitespace: String {
        let scalars = Array(unicodeScalars)
        let isSpace = { (s: Unicode.Scalar) in s == "\t" || s == "\u{200B}" || s.properties.generalCategory == .spaceSeparator }
        guard let first = scalars.firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !isSpace($0) })!
        var kept = String.UnicodeScalarView()
        kept.append(contentsOf: scalars[first...last])
        return String(kept)
    }

    /// The text with every occurrence of `target` replaced by `replacement`, left to right
    /// without overlaps, compared scalar by scalar: a quote followed by a combining mark is
    /// still replaced (Foundation's `replacingOccurrences(of:with:)` compares Characters and
    /// leaves it, which broke the shell quoting of a query holding one). An empty `target`
    /// leaves the text as it is.
    package func replacingScalars(_ target: String, with replacement: String) -> String {
        let source = Array(unicodeScalars), pattern = Array(target.unicodeScalars)
        guard !pattern.isEmpty, source.count >= pattern.count else { return String(self) }
        var result = String.UnicodeScalarView()
        var i = 0
        while i < source.count {
            if i + pattern.count <= source.count, source[i..<i + pattern.count].elementsEqual(pattern) {
                result.append(contentsOf: replacement.unicodeScalars)
                i += pattern.count
            } else {
                result.append(source[i])
                i += 1
            }
        }
        return String(result)
    }
}

/// The first `count` bytes of the file at `path` (fewer when it is shorter or a read fails: a
/// folder reads as none); nil when it cannot be opened, with `errno` saying why.
package func readPrefix(ofFile path: String, count: Int) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes = [UInt8](repeating: 0, count: count)
    var filled = 0
    while filled < count {
        let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, count - filled) }
        if n < 0, errno == EINTR { continue }
        if n <= 0 { break }
        filled += n
    }
    return Array(bytes[0..<filled])
}

/// Path text as Foundation's `NSString` path methods treat it.
package enum PathText {
    /// The path without its last component, as `NSString.deletingLastPathComponent`: repeated
    /// slashes count as one and a trailing slash is ignored; "a" → "", "/a" → "/", "/" → "/",
    /// "a/b/" → "a", "" → "".
    package static func deletingLastComponent(_ path: String) -> String {
        let bytes = normalized(path)
        if bytes.isEmpty || bytes == [0x2F] { return String(decoding: bytes, as: UTF8.self) }
        guard let slash = bytes.lastIndex(of: 0x2F) else { return "" }
        return slash == 0 ? "/" : String(decoding: bytes[..<slash], as: UTF8.self)
    }

    /// The path's last component, as `URL(fileURLWithPath:).lastPathComponent` gives it for an
    /// absolute path: repeated slashes count as one and a trailing slash is ignored; "/a/b" →
    /// "b", "/a/b/" → "b", "/" → "/", "a" → "a" (no Foundation URL made).
    package static func lastComponent(_ path: String) -> String {
        let bytes = normalized(path)
        if bytes == [0x2F] { return "/" }
        guard let slash = bytes.lastIndex(of: 0x2F) else { return String(decoding: bytes, as: UTF8.self) }
        return String(decoding: bytes[(slash + 1)...], as: UTF8.self)
    }

    /// The path's bytes without `.` components and empty ones (repeated or trailing slashes); nil
    /// when nothing is left (`.`, `./`, an empty path). Lexical: `..` and links are left as they are.
    package static func lexicallyClean(_ bytes: [UInt8]) -> [UInt8]? {
        let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
        let absolute = bytes.first == slash
        var clean: [UInt8] = absolute ? [slash] : []
        var i = 0
        while i < bytes.count {
            var j = i
            while j < bytes.count, bytes[j] != slash { j += 1 }
            if j > i, !(j == i + 1 && bytes[i] == dot) {
                if clean.count > (absolute ? 1 : 0) { clean.append(slash) }
                clean.append(contentsOf: bytes[i..<j])
            }
            i = j + 1
        }
        return clean.count > (absolute ? 1 : 0) ? clean : nil
    }

    /// `path` as an absolute path from the folder `cwd` (absolute), lexically clean
    /// (``lexicallyClean(_:)``): the same bytes for `d/a.txt`, `./d/a.txt`, `d//a.txt` and
    /// `CWD/d/a.txt`.
    package static func lexicallyAbsolute(_ path: String, cwd: String) -> [UInt8]? {
        let bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "/") { return lexicallyClean(bytes) }
        return lexicallyClean(Array(cwd.utf8) + [UInt8(ascii: "/")] + bytes)
    }

    /// The current directory, or nil when it cannot be read. Into a buffer of ours (grown while
    /// the path is longer), not `getcwd(nil, 0)`'s allocation: that one is made by glibc's own
    /// malloc, which an AddressSanitizer build does not replace inside glibc, so its `free` was
    /// reported as a bad free (`scripts/sanitize.sh address`, every update that reads a file
    /// anew).
    package static func currentDirectory() -> String? {
        var size = 4096
        while size <= 1 << 20 {
            let path: String? = withUnsafeTemporaryAllocation(of: CChar.self, capacity: size) { buffer in
                guard let base = buffer.baseAddress, getcwd(base, size) != nil else { return nil }
                return String(cString: base)
            }
            if let path { return path }
            guard errno == ERANGE else { return nil }
            size *= 4
        }
        return nil
    }

    /// The path's bytes with repeated slashes as one and no trailing slash (but for "/"). Slashes
    /// are ASCII: working on bytes keeps every cut on a scalar boundary.
    private static func normalized(_ path: String) -> [UInt8] {
        var bytes: [UInt8] = []
        for b in path.utf8 where !(b == 0x2F && bytes.last == 0x2F) { bytes.append(b) }
        if bytes.count > 1, bytes.last == 0x2F { bytes.removeLast() }
        return bytes
    }
}

extension Unicode.Scalar {
    /// A letter, mark or number (general categories L*, M*, N*): Foundation's
    /// `CharacterSet.alphanumerics`, with the stdlib's Unicode data (Foundation's lags: it lacks
    /// Tangut, Unicode 9, and many later additions).
    package var isAlphanumeric: Bool {
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .nonspacingMark, .spacingMark, .enclosingMark,
             .decimalNumber, .letterNumber, .otherNumber:
            return true
        default:
            return false
        }
    }
}

extension String {
    /// The scalars after the first occurrence of `marker` (compared scalar by scalar); nil when
    /// it does not occur.
    package func scalarsAfterFirst(_ marker: String) -> String.UnicodeScalarView.SubSequence? {
        let scalars = unicodeScalars, pattern = Array(marker.unicodeScalars)
        var i = scalars.startIndex
        while i != scalars.endIndex {
            if scalars[i...].starts(with: pattern) { return scalars[scalars.index(i, offsetBy: pattern.count)...] }
            i = scalars.index(after: i)
        }
        return nil
    }
}

/// The processors this process may use (its affinity mask capped by a cgroup CPU quota), as
/// Foundation's `ProcessInfo.activeProcessorCount` counts them, read once.
package let activeProcessorCount = Int(sou_active_processor_count())
