import Foundation

/// The bytes of an opened index: a read-only memory map of the file, or a buffer owned by the
/// index (``IndexWriter/makeIndex()``). Both are read the same way.
final class IndexStorage: @unchecked Sendable {
    let base: UnsafeRawPointer
    let count: Int
    private let isMapped: Bool

    /// Maps the file at `path` read-only.
    init(mapping path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw IndexError.io("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw IndexError.io("cannot stat \(path): \(String(cString: strerror(errno)))") }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw IndexError.io("\(path) is not a regular file") }
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
    }

    /// Copies `bytes` into storage owned by this object.
    init(copying bytes: [UInt8]) {
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        bytes.withUnsafeBytes { b in if let src = b.baseAddress { p.copyMemory(from: src, byteCount: b.count) } }
        base = UnsafeRawPointer(p)
        count = bytes.count
        isMapped = false
    }

    deinit {
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
