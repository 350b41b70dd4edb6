import FoundationEssentials
import Glibc

/// Called with the path of the temporary file a write is about to create (`true`), and with the
/// same path once it no longer needs removing (`false`: renamed into place, or removed after an
/// error). A command-line tool registers it for removal in its signal handlers, so that an
/// interrupted build leaves nothing behind (see `sou index`).
public typealias TemporaryFileHook = @Sendable (_ path: String, _ pending: Bool) -> Void

/// The pieces of an atomic file replacement that ``IndexWriter`` uses for a rebuild or a
/// compacting merge: the temporary file next to the target (announced to a signal handler before
/// it exists), and the replaced file's permission bits (and owner and group when the process may
/// set them, as root may) given to the new one, else 0666 less the umask.
enum AtomicFile {
    /// Creates `folder/.name.tmp-XXXXXX` (6 random letters and digits, mode 0600), telling `hook`
    /// the path *before* creating it, so that a signal handler never misses a file on disk.
    static func createTemporaryFile(folder: String, name: String, target: String,
                                            hook: TemporaryFileHook?) throws -> (Int32, String) {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<100 {
            let suffix = String(decoding: (0..<6).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }, as: UTF8.self)
            let tempPath = "\(folder)/.\(name).tmp-\(suffix)"
            hook?(tempPath, true)
            let fd = open(tempPath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if fd >= 0 { return (fd, tempPath) }
            let error = errno
            hook?(tempPath, false)
            guard error == EEXIST else {
                throw IndexError.io("cannot create a temporary file next to \(target): \(String(cString: strerror(error)))")
            }
        }
        throw IndexError.io("cannot create a temporary file next to \(target): 100 names taken")
    }

    /// Gives the new file `fd` what the file it replaces had (`existing`: permission bits, and the
    /// owner and group when the process may set them, as root may), or 0666 less the umask for
    /// a new file.
    static func takeOwnership(_ fd: Int32, replacing existing: stat?) {
        if let existing {
            if existing.st_uid != geteuid() || existing.st_gid != getegid(),
               fchown(fd, existing.st_uid, existing.st_gid) != 0 {
                _ = fchown(fd, uid_t.max, existing.st_gid)
            }
            _ = fchmod(fd, existing.st_mode & 0o777)
        } else {
            _ = fchmod(fd, 0o666 & ~currentUmask())
        }
    }

    /// The process's file mode creation mask, read without changing it (Linux: /proc/self/status;
    /// elsewhere set and restored at once).
    static func currentUmask() -> mode_t {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Umask:") }),
           let mask = mode_t(line.dropFirst("Umask:".count).trimmingWhitespace, radix: 8) {
            return mask
        }
        let mask = umask(0o022)
        umask(mask)
        return mask
    }
}
