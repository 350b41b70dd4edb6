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

    /// Removes the temporary files that writers of `target` left behind when they died (`kill -9`,
    /// a crash, a power loss): the entries `.NAME.tmp-XXXXXX` next to it (NAME its file name,
    /// X six letters or digits) that no live writer owns. Called by a writer that holds
    /// `target`'s write lock (`index`: the device and inode of the file it locked).
    ///
    /// Ownership is the lock: every writer takes an open-file-description write lock on its
    /// temporary file right after creating it, before writing its first byte, and keeps it until
    /// the file is renamed into place or removed; the lock dies with the process. So a temporary
    /// file that is locked belongs to a live writer and is left alone, and one that is unlocked
    /// and not empty has none. An unlocked empty one may be a live writer's between its creation
    /// and its lock (microseconds): it is removed only once it is a minute old. Only regular
    /// files that start with the `SOUINDEX` magic (or are empty) are removed; a file that is the
    /// index itself under a second name (a writer that linked a new index into place and died
    /// before removing the temporary name) loses that name only. Returns the paths removed.
    @discardableResult
    static func removeStaleTemporaryFiles(of target: String, index: (device: UInt64, inode: UInt64)?,
                                          keeping own: String? = nil) -> [String] {
        let folder = PathText.deletingLastComponent(target)
        let directory = folder.isEmpty ? "." : folder
        let prefix = Array(("." + PathText.lastComponent(target) + ".tmp-").utf8)
        guard let stream = opendir(directory) else { return [] }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name: [UInt8] = withUnsafePointer(to: &entry.pointee.d_name) { p in
                // bounds: d_name is NUL-terminated within its 256 bytes
                UnsafeRawPointer(p).withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: entry.pointee.d_name)) { c in
                    Array(UnsafeRawBufferPointer(start: c, count: strlen(c)))
                }
            }
            guard name.count == prefix.count + 6, name.starts(with: prefix),
                  name[prefix.count...].allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) }) else { continue }
            names.append(String(decoding: name, as: UTF8.self))
        }
        closedir(stream)
        var removed: [String] = []
        for name in names {
            let path = folder.isEmpty ? name : folder.hasSuffix("/") ? folder + name : folder + "/" + name
            if path == own { continue }
            let fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
            guard fd >= 0 else { continue }   // gone meanwhile, a link, or not ours to open
            defer { close(fd) }
            var st = stat()
            guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { continue }
            if let index, UInt64(st.st_dev) == index.device, UInt64(st.st_ino) == index.inode {
                // a second name of the locked index: the index keeps its own
                if unlink(path) == 0 { removed.append(path) }
                continue
            }
            if st.st_size == 0 {
                // (its modification time is its creation time: nothing was written to it)
                guard time(nil) - st.st_mtim.tv_sec >= 60 else { continue }
            } else {
                var magic = [UInt8](repeating: 0, count: 8)
                guard pread(fd, &magic, 8, 0) == 8, magic == FileLayout.headerMagic else { continue }
            }
            // unlocked: no live writer owns it (the lock taken here goes with `fd`)
            guard WriterLock.tryAcquire(fd) else { continue }
            var now = stat()
            guard lstat(path, &now) == 0, now.st_dev == st.st_dev, now.st_ino == st.st_ino else { continue }
            if unlink(path) == 0 { removed.append(path) }
        }
        return removed
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
