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
        var header = [UInt8](repeating: 0, count: ContainerLayout.headerSize)
        let n = pread(fd, &header, header.count, 0)
        guard n >= 0 else { throw IndexError.io("cannot read \(path): \(String(cString: strerror(errno)))") }
        try header.withUnsafeBytes { h in
            try checkHeader(IndexBytes(base: h.baseAddress!, count: n), path: path)
        }
        // The size is taken after the header is read: a writer appends a commit's bytes before
        // its slot names them, so the size seen now covers both slots of the header read. Taken
        // before, two commits landing between the two reads would leave both slots past it and
        // the open would fail as "corrupt".
        guard fstat(fd, &st) == 0 else { throw IndexError.io("cannot stat \(path): \(String(cString: strerror(errno)))") }
        let size = Int(st.st_size)
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

    /// The commit a file opens at (``latestCommit(in:slots:path:)``).
    struct Latest {
        var commit: CommitRecord
        /// Offset of its record in the file.
        var offset: Int
        /// Header offsets of the slots of newer commits whose records reach past the end of the
        /// file (a file cut after they were written): a writer clears them before it appends,
        /// since its appends would put bytes under them that are not their records.
        var abandonedSlots: [Int]
    }

    /// The commit to open: the slot of the highest generation whose slot checksum holds (a slot
    /// that fails it is torn: ignored) names a record; when that record reaches past the end of
    /// the file (the file was cut after the slot was written: a power loss, a truncated copy),
    /// the other slot is taken. A record that lies wholly inside the file but does not decode,
    /// or is not the generation and length its slot says, is damage, not a torn write (a writer
    /// syncs the record before it writes the slot): it throws ``IndexError/corruptCommit(generation:offset:what:)``
    /// instead of opening an older commit, which would silently undo the newer one.
    static func latestCommit(in bytes: IndexBytes, slots header: UnsafeRawBufferPointer, path: String) throws -> Latest {
        let slots = ContainerLayout.slotOffsets.compactMap { at in CommitSlot.decode(header, at: at).map { (at, $0) } }
            .sorted { $0.1.generation > $1.1.generation }
        var abandoned: [Int] = []
        for (at, slot) in slots {
            // bounds: offset and length are both ≥ 0 (decode keeps offsets ≤ Int.max, a u32
            // length), so `offset > count - length` cannot overflow once `length <= count` holds
            if slot.offset >= ContainerLayout.headerSize, slot.length > bytes.count || slot.offset > bytes.count - slot.length {
                abandoned.append(at)
                continue
            }
            do {
                guard slot.offset >= ContainerLayout.headerSize else { throw IndexError.corrupt("lies inside the file header") }
                let commit = try CommitRecord(bytes: bytes, at: slot.offset, fileLength: bytes.count)
                guard commit.generation == slot.generation, commit.byteCount == slot.length else {
                    throw IndexError.corrupt("generation \(commit.generation) and \(commit.byteCount) bytes, its slot says generation \(slot.generation) and \(slot.length) bytes")
                }
                return Latest(commit: commit, offset: slot.offset, abandonedSlots: abandoned)
            } catch let e as IndexError {
                var what = "\(e)"
                if case .corrupt(let s) = e {
                    // CommitRecord's own messages start with "commit record at byte N: "
                    let prefix = "commit record at byte \(slot.offset): "
                    what = s.hasPrefix(prefix) ? String(s.dropFirst(prefix.count)) : s
                }
                throw IndexError.corruptCommit(generation: slot.generation, offset: slot.offset, what: what)
            }
        }
        if let newest = slots.first {
            throw IndexError.corrupt("\(path): commit \(newest.1.generation) lies past the end of the file (truncated), and no earlier commit is inside it")
        }
        throw IndexError.corrupt("\(path): no commit (both commit slots are empty or damaged)")
    }
}
