import FoundationEssentials
import Glibc

/// The bytes of an opened index: a read-only memory map of the file, or a buffer owned by the
/// index (``SegmentWriter/makeIndex()``). Both are read the same way.
final class IndexStorage: @unchecked Sendable {
    let base: UnsafeRawPointer
    let count: Int
    private let isMapped: Bool
    /// For a view: the storage that owns the bytes (kept alive by the view).
    private let parent: IndexStorage?
    /// For a mapping of part of a file: the mapped address and length (page-aligned).
    private let mapping: (address: UnsafeMutableRawPointer, length: Int)?

    /// Maps the file at `path` read-only.
    init(mapping path: String) throws {
        // O_NONBLOCK: opening a FIFO for reading would wait for a writer forever
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw IndexError.io("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw IndexError.io("cannot stat \(path): \(String(cString: strerror(errno)))") }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw IndexError.io("\(path) is not a regular file") }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        let size = Int(st.st_size)
        guard size >= FileLayout.headerSize + FileLayout.trailerSize else {
            if size >= 8 {
                // say "not an index" for short foreign files, "truncated" for short index files
                var magic = [UInt8](repeating: 0, count: 8)
                if pread(fd, &magic, 8, 0) == 8, magic == FileLayout.headerMagic {
                    throw IndexError.corrupt("file is truncated (\(size) bytes, less than header + trailer)")
                }
            }
            throw IndexError.notAnIndex("\(path) is too short (\(size) bytes)")
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw IndexError.io("cannot map \(path): \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(p)
        count = size
        isMapped = true
        parent = nil
        mapping = nil
    }

    /// Maps `range` of the open file `fd` read-only (the file must be at least that long).
    init(mapping fd: Int32, range: Range<Int>, path: String) throws {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = range.lowerBound / page * page
        let length = range.upperBound - start
        guard length > 0, let p = mmap(nil, length, PROT_READ, MAP_SHARED, fd, off_t(start)), p != MAP_FAILED else {
            throw IndexError.io("cannot map \(path): \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(p) + (range.lowerBound - start)
        count = range.count
        isMapped = false
        parent = nil
        mapping = (p, length)
    }

    /// A view of `range` of `parent`'s bytes (shares them; keeps `parent` alive).
    init(view parent: IndexStorage, range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= parent.count)
        base = parent.base + range.lowerBound
        count = range.count
        isMapped = false
        self.parent = parent
        mapping = nil
    }

    /// Copies `bytes` into storage owned by this object.
    init(copying bytes: [UInt8]) {
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        bytes.withUnsafeBytes { b in if let src = b.baseAddress { p.copyMemory(from: src, byteCount: b.count) } }
        base = UnsafeRawPointer(p)
        count = bytes.count
        isMapped = false
        parent = nil
        mapping = nil
    }

    deinit {
        if parent != nil { return }
        if let mapping { munmap(mapping.address, mapping.length); return }
        if isMapped {
            munmap(UnsafeMutableRawPointer(mutating: base), count)
        } else {
            UnsafeMutableRawPointer(mutating: base).deallocate()
        }
    }

    var bytes: IndexBytes { IndexBytes(base: base, count: count) }
}

/// A borrowed view of index bytes (valid while the owning ``IndexStorage`` lives).
struct IndexBytes: @unchecked Sendable {
    let base: UnsafeRawPointer
    let count: Int

    @inline(__always)
    func u32(at offset: Int) -> UInt32 {
        UInt32(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always)
    func u64(at offset: Int) -> UInt64 {
        UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    func slice(_ r: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + r.lowerBound, count: r.count)
    }
}
