import Foundation

/// Called with the path of the temporary file a write is about to create (`true`), and with the
/// same path once it no longer needs removing (`false`: renamed into place, or removed after an
/// error). A command-line tool registers it for removal in its signal handlers, so that an
/// interrupted build leaves nothing behind (see `sou index`).
public typealias TemporaryFileHook = @Sendable (_ path: String, _ pending: Bool) -> Void

/// Atomic replacement of a file: write a temporary file in the same folder, fsync it, rename it
/// over the target, fsync the folder. A crash at any moment leaves the old file or the new one.
///
/// The target, when it exists, must be a regular file this user may write (checked before the
/// temporary file is made and again just before the rename: a symbolic link, device, FIFO or
/// folder is never replaced). The new file takes the replaced file's permission bits (and its
/// owner and group when the process may set them, as root may); a new file gets 0666 less the
/// umask.
enum AtomicFile {
    static func write(_ bytes: [UInt8], to url: URL) throws {
        try write(to: url) { fd in
            let sink = OutputSink(fileDescriptor: fd)
            try sink.write(bytes)
            try sink.flush()
        }
    }

    /// Creates a temporary file next to `url`, lets `body` write it through its descriptor,
    /// then fsyncs and renames it over `url`. On any error the temporary file is removed.
    /// `temporaryFile` hears of the temporary path before it is created and after it is gone.
    static func write(to url: URL, temporaryFile: TemporaryFileHook? = nil, _ body: (Int32) throws -> Void) throws {
        let path = url.path
        let folder = url.deletingLastPathComponent().path
        var existing = stat()
        let replaces = lstat(path, &existing) == 0
        if replaces { try OutputTarget.checkReplaceable(path, existing) }

        let (fd, tempPath) = try createTemporaryFile(folder: folder.isEmpty ? "." : folder, name: url.lastPathComponent,
                                                     target: path, hook: temporaryFile)
        var ok = false
        defer {
            if !ok { unlink(tempPath) }
            temporaryFile?(tempPath, false)
        }
        do {
            defer { close(fd) }
            try body(fd)
            if replaces {
                // root keeps the owner and group; a user keeps the group when a member of it
                if existing.st_uid != geteuid() || existing.st_gid != getegid(),
                   fchown(fd, existing.st_uid, existing.st_gid) != 0 {
                    _ = fchown(fd, uid_t.max, existing.st_gid)
                }
                _ = fchmod(fd, existing.st_mode & 0o777)
            } else {
                _ = fchmod(fd, 0o666 & ~currentUmask())
            }
            guard fsync(fd) == 0 else { throw IndexError.io("cannot fsync \(tempPath): \(String(cString: strerror(errno)))") }
        }
        var now = stat()
        if lstat(path, &now) == 0 { try OutputTarget.checkReplaceable(path, now) }
        guard rename(tempPath, path) == 0 else {
            throw IndexError.io("cannot rename \(tempPath) to \(path): \(String(cString: strerror(errno)))")
        }
        ok = true
        let dfd = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY)
        if dfd >= 0 { _ = fsync(dfd); close(dfd) }
    }

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
           let mask = mode_t(line.dropFirst("Umask:".count).trimmingCharacters(in: .whitespaces), radix: 8) {
            return mask
        }
        let mask = umask(0o022)
        umask(mask)
        return mask
    }
}
