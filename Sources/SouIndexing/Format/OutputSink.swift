import CSystemShim
import FoundationEssentials
import Glibc

/// Where the serializer writes the index: a buffer in memory, or a file descriptor (buffered).
/// Computes each section's CRC-32C as its bytes go by.
final class OutputSink {
    private let fd: Int32?
    /// The file errors name: the index being written (also while its bytes go to a temporary
    /// file that will replace it); "" for a sink in memory.
    private let path: String
    /// Where offset 0 of this sink lies in the file.
    private let base: Int
    /// Bytes already written to the file.
    private var written = 0
    private(set) var buffer: [UInt8] = []
    /// Bytes written so far (the offset of the next byte in the file).
    private(set) var offset = 0
    private var crc: UInt32 = 0
    private var sectionStart = 0
    private static let flushSize = 1 << 20
    /// Measures the writes to the file (nil: not measured).
    var timings: IndexBuildTimings? = nil
    /// Told of every write to the file, to sync it early (nil: the writer's own sync does it all).
    var backgroundSync: BackgroundSync? = nil

    /// A sink collecting the bytes in memory (``bytes``).
    init() { fd = nil; base = 0; path = "" }

    /// A sink writing to `fd` from byte `base` on (offset 0 of the sink is byte `base` of the
    /// file; what lies there is overwritten). A failed write is an error naming `path`: "cannot
    /// write x.sou: No space left on device".
    init(fileDescriptor: Int32, base: Int = 0, path: String) {
        fd = fileDescriptor
        self.base = base
        self.path = path
        buffer.reserveCapacity(Self.flushSize + (1 << 16))
    }

    /// All bytes, for a memory sink.
    var bytes: [UInt8] { buffer }

    func write(_ p: UnsafeRawBufferPointer) throws {
        guard p.count > 0 else { return }
        crc = CRC32C.update(crc, p)
        buffer.append(contentsOf: p)
        offset += p.count
        if fd != nil, buffer.count >= Self.flushSize { try flush() }
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    func write(_ writer: ByteWriter) throws { try write(writer.bytes) }

    /// Starts a section at the current offset.
    func beginSection() {
        sectionStart = offset
        crc = 0
    }

    /// Ends the section begun last: its byte range and checksum.
    func endSection() -> (range: Range<Int>, crc: UInt32) {
        (sectionStart..<offset, crc)
    }

    func flush() throws {
        guard let fd, !buffer.isEmpty else { return }
        try IndexBuildTimings.measure(timings, .write) { try writeBuffer(fd) }
    }

    private func writeBuffer(_ fd: Int32) throws {
        var written = 0
        try buffer.withUnsafeBytes { b in
            while written < b.count {
                let n = pwrite(fd, b.baseAddress! + written, b.count - written, off_t(base + self.written + written))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw IndexError.io("cannot write \(path): \(String(cString: strerror(errno)))")
                }
                written += n
            }
        }
        // the disk starts on these bytes now, not at the commit's fdatasync
        sou_start_writeback(fd, Int64(base + self.written), Int64(buffer.count))
        backgroundSync?.wrote(buffer.count)
        self.written += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }

    /// Overwrites bytes already written at `at` (the header, once its counts are known).
    func overwrite(at position: Int, with bytes: [UInt8]) throws {
        if let fd {
            try flush()
            let n = IndexBuildTimings.measure(timings, .write) {
                bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(base + position)) }
            }
            guard n == bytes.count else { throw IndexError.io("cannot write the header of \(path): \(String(cString: strerror(errno)))") }
        } else {
            buffer.replaceSubrange(position..<(position + bytes.count), with: bytes)
        }
    }
}

/// An append-only byte store kept in memory up to a threshold, then spilled to an anonymous
/// temporary file in ``folder`` (`$TMPDIR`, else /tmp): postings and compressed stored text wait
/// there during a build without counting against memory. The file has no name (unlinked as soon
/// as it is made), so it goes with the process, however that ends.
final class SpillBuffer {
    private var memory: [UInt8] = []
    private var file: UnsafeMutablePointer<FILE>? = nil
    /// The folder of the spill file (for errors).
    private var fileFolder = ""
    private let threshold: Int
    private(set) var count = 0

    init(threshold: Int = 1 << 20) { self.threshold = threshold }

    deinit { if let file { fclose(file) } }

    /// Where spill files go: `$TMPDIR` when set, as `sort` and `git` do, else /tmp. (glibc's
    /// `tmpfile()`, used before, always took /tmp: a small /tmp could not be avoided.)
    static var folder: String {
        if let t = getenv("TMPDIR"), t.pointee != 0 { return String(cString: t) }
        return "/tmp"
    }

    /// A new anonymous file in `folder`, open for reading and writing. One that cannot be made
    /// is an error, as in `sort`: keeping the bytes in memory instead would give up the bounded
    /// memory the file is for, without a word.
    private static func anonymousFile(in folder: String) throws -> UnsafeMutablePointer<FILE> {
        var template = Array(((folder.hasSuffix("/") ? folder : folder + "/") + "sou-spill.XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw IndexError.io("cannot create a temporary file in \(folder): \(String(cString: strerror(errno))) (TMPDIR sets the folder)")
        }
        _ = template.withUnsafeBufferPointer { unlink($0.baseAddress!) }
        guard let f = fdopen(fd, "w+") else {
            let e = errno
            close(fd)
            throw IndexError.io("cannot open a temporary file in \(folder): \(String(cString: strerror(e)))")
        }
        return f
    }

    func append(_ p: UnsafeRawBufferPointer) throws {
        count += p.count
        if file == nil {
            memory.append(contentsOf: p)
            if memory.count > threshold {
                let folder = Self.folder
                file = try Self.anonymousFile(in: folder)
                fileFolder = folder
                let m = memory
                memory = []
                try m.withUnsafeBytes { try writeToFile($0) }
            }
        } else {
            try writeToFile(p)
        }
    }

    func append(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try append($0) } }

    private func writeToFile(_ p: UnsafeRawBufferPointer) throws {
        guard p.count > 0 else { return }
        guard fwrite(p.baseAddress, 1, p.count, file) == p.count else { throw writeFailed() }
    }

    /// The error of a write to the spill file that failed (`errno`): a full folder, named.
    private func writeFailed() -> IndexError {
        .io("cannot write a temporary file in \(fileFolder): \(String(cString: strerror(errno))) (set TMPDIR to a folder with more room)")
    }

    /// Copies everything into `sink` (the buffer keeps its contents).
    func drain(into sink: OutputSink) throws {
        if let file {
            // (fwrite buffers: a full disk may show only here)
            guard fflush(file) == 0 else { throw writeFailed() }
            guard fseek(file, 0, SEEK_SET) == 0 else {
                throw IndexError.io("cannot read back a temporary file in \(fileFolder): \(String(cString: strerror(errno)))")
            }
            var chunk = [UInt8](repeating: 0, count: 1 << 20)
            var left = count
            while left > 0 {
                let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, min($0.count, left), file) }
                guard n > 0 else { throw IndexError.io("cannot read back a temporary file in \(fileFolder)") }
                try chunk.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                left -= n
            }
            guard fseek(file, 0, SEEK_END) == 0 else { throw IndexError.io("cannot seek a temporary file in \(fileFolder)") }
        } else {
            try sink.write(memory)
        }
    }
}
