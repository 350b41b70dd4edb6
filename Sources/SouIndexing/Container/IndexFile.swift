import FoundationEssentials
import Glibc

/// The file-level reads shared by readers and writers: opening without blocking on odd files,
/// the header check, and finding the latest complete commit through the two slots.
enum IndexFile {
    struct Opened {
        var fd: Int32
        var size: Int
        /// The 64 header bytes (magic, version, commit slots).
        var header: [UInt8]
        var device: UInt64
        var inode: UInt64
    }

    /// Opens `path` for reading: refuses anything but a regular file (without blocking on a
    /// FIFO), reads and checks the header. The caller closes `fd`.
    static func openForReading(_ path: String, flags: Int32 = O_RDONLY) throws -> Opened {
        let fd = open(path, flags | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw IndexError.io("cannot open \(path): \(String(cString: strerror(errno)))") }
        var ok = false
        defer { if !ok { close(fd) } }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw IndexError.io("cannot stat \(path): \(String(cString: strerror(errno)))") }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw IndexError.io("\(path) is not a regular file") }
        let flagsNow = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flagsNow & ~O_NONBLOCK)
        let size = Int(st.st_size)
        var header = [UInt8](repeating: 0, count: ContainerLayout.headerSize)
        let n = pread(fd, &header, header.count, 0)
        guard n >= 0 else { throw IndexError.io("cannot read \(path): \(String(cString: strerror(errno)))") }
        try header.withUnsafeBytes { h in
            try checkHeader(IndexBytes(base: h.baseAddress!, count: n), path: path)
        }
        ok = true
        return Opened(fd: fd, size: size, header: header, device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }

    /// Checks magic and version of the first bytes of a file.
    static func checkHeader(_ b: IndexBytes, path: String) throws {
        guard b.count >= 8, FileLayout.headerMagic.withUnsafeBytes({ memcmp(b.base, $0.baseAddress!, 8) == 0 }) else {
            throw IndexError.notAnIndex("\(path): bad magic number (expected \"SOUINDEX\")")
        }
        guard b.count >= 12 else { throw IndexError.corrupt("\(path): file is truncated (\(b.count) bytes)") }
        let version = b.u32(at: 8)
        guard version >= 1, version <= 1000 else {
            throw IndexError.corrupt("\(path): implausible format version \(version): damaged, or not an index")
        }
        guard version == FileLayout.formatVersion else {
            throw IndexError.unsupportedVersion(found: Int(version), supported: Int(FileLayout.formatVersion))
        }
        guard b.count >= ContainerLayout.headerSize else {
            throw IndexError.corrupt("\(path): file is truncated (\(b.count) bytes)")
        }
    }

    /// The latest commit whose slot and record are intact and inside `bytes` (a torn last slot
    /// or a commit cut off by truncation falls back to the other slot).
    static func latestCommit(in bytes: IndexBytes, slots header: UnsafeRawBufferPointer, path: String) throws -> (CommitRecord, Int) {
        let slots = ContainerLayout.slotOffsets.compactMap { CommitSlot.decode(header, at: $0) }
            .sorted { $0.generation > $1.generation }
        var firstError: IndexError? = nil
        for slot in slots {
            guard slot.offset >= ContainerLayout.headerSize, slot.length <= bytes.count,
                  slot.offset <= bytes.count - slot.length else {
                firstError = firstError ?? .corrupt("\(path): commit \(slot.generation) lies past the end of the file (truncated)")
                continue
            }
            do {
                let commit = try CommitRecord(bytes: bytes, at: slot.offset, fileLength: bytes.count)
                guard commit.generation == slot.generation, commit.byteCount == slot.length else {
                    throw IndexError.corrupt("commit record at byte \(slot.offset) does not match its slot")
                }
                return (commit, slot.offset)
            } catch let e as IndexError {
                firstError = firstError ?? e
            }
        }
        throw firstError ?? IndexError.corrupt("\(path): no commit (both commit slots are empty or damaged)")
    }
}
