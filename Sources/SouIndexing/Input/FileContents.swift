import CZlib
import Foundation

/// Reading whole input files, transparently decompressing gzip.
public enum FileContents {
    /// The bytes of the file at `path`; gzip files (by their magic bytes, whatever their
    /// name) are decompressed. Throws ``IndexError/io(_:)`` naming the file on failure.
    public static func read(_ path: String) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw IndexError.io("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 2)) ?? Data()
        if head.count == 2, head[head.startIndex] == 0x1f, head[head.startIndex + 1] == 0x8b {
            return try gunzip(path)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw IndexError.io("cannot read \(path)")
        }
        return [UInt8](data)
    }

    /// Decompresses a gzip file (several concatenated members allowed).
    static func gunzip(_ path: String) throws -> [UInt8] {
        guard let file = gzopen(path, "rb") else { throw IndexError.io("cannot open \(path)") }
        defer { gzclose(file) }
        var out: [UInt8] = []
        try forEachChunk(of: file, name: path) { out.append(contentsOf: $0) }
        return out
    }

    /// Reads an open zlib stream (gzip, or plain bytes passed through) to its end, handing each
    /// chunk to `body`; the buffer is valid only during the call. Damaged gzip data throws
    /// ``IndexError/io(_:)`` naming `name`.
    static func forEachChunk(of file: gzFile, name: String, chunkSize: Int = 1 << 18,
                             _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        _ = gzbuffer(file, 1 << 17)
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        while true {
            let n = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
            if n < 0 {
                var errnum: Int32 = 0
                let message = gzerror(file, &errnum).map { String(cString: $0) } ?? "unknown error"
                throw IndexError.io("\(name): cannot read (\(message))")
            }
            if n == 0 { return }
            try chunk.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[0..<Int(n)])) }
        }
    }
}
