import Foundation
import Sou

/// Arbitrary bytes as a `.gz` file: read whole by ``FileContents/read(_:)`` and streamed as a
/// `.jsonl.gz` by ``DocumentSource``. Checked: both agree on whether the file is good gzip data
/// (a damaged or truncated file is an error in both, never a shorter text in one), and a good
/// file streams as many lines as the whole read holds.
enum GzipTarget {
    static func run(_ data: UnsafeBufferPointer<UInt8>) {
        let whole: [UInt8]?
        var wholeError = ""
        do { whole = try FileContents.read(Scratch.write(data, name: "in.gz")) } catch { whole = nil; wholeError = "\(error)" }
        let path = Scratch.write(data, name: "in.jsonl.gz")
        let source = DocumentSource(options: InputOptions())
        var documents = 0
        var streamError: String? = nil
        do { try source.read(paths: [path]) { _ in documents += 1 } } catch { streamError = "\(error)" }
        require((whole == nil) == (streamError != nil),
                "read: \(whole.map { "\($0.count) bytes" } ?? wholeError); streamed: \(streamError ?? "\(documents) documents")")
        if let whole {
            var lines = whole.split(separator: 0x0A, omittingEmptySubsequences: false)
            if lines.last?.isEmpty == true { lines.removeLast() }
            let nonBlank = lines.filter { l in
                !(l.last == 0x0D ? l.dropLast() : l[...]).allSatisfy { $0 == 0x20 || $0 == 0x09 }
            }.count
            require(documents + source.skipped == nonBlank,
                    "\(nonBlank) lines that are not blank gave \(documents) documents and \(source.skipped) skipped")
        }
    }
}
