import Foundation

/// Atomic replacement of a file: write a temporary file in the same folder, fsync it, rename it
/// over the target, fsync the folder. A crash at any moment leaves the old file or the new one.
///
/// The target, when it exists, must be a regular file (checked before the temporary file is made
/// and again just before the rename: a symbolic link, device, FIFO or folder is never replaced).
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
    static func write(to url: URL, _ body: (Int32) throws -> Void) throws {
        let path = url.path
        let folder = url.deletingLastPathComponent().path
        let name = url.lastPathComponent
        var existing = stat()
        if lstat(path, &existing) == 0 { try OutputTarget.checkReplaceable(path, existing) }
        var template = Array("\(folder.isEmpty ? "." : folder)/.\(name).tmp-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw IndexError.io("cannot create a temporary file next to \(path): \(String(cString: strerror(errno)))")
        }
        let tempPath = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var ok = false
        defer {
            if !ok { unlink(tempPath) }
        }
        do {
            defer { close(fd) }
            try body(fd)
            _ = fchmod(fd, 0o644)
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
}
