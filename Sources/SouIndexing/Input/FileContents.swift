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
        _ = gzbuffer(file, 1 << 17)
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 17)
        while true {
            let n = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
            if n < 0 {
                var errnum: Int32 = 0
                let message = gzerror(file, &errnum).map { String(cString: $0) } ?? "unknown error"
                throw IndexError.io("\(path): gzip data is damaged (\(message))")
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<Int(n)])
        }
        return out
    }
}
