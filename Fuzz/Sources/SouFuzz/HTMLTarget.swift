import Foundation
@testable import SouIndexing

/// HTML text extraction on arbitrary text (a hang on unclosed tags, comments or scripts shows as
/// a slow unit), then the same bytes read as an `.html` file by ``DocumentSource``. Checked: the
/// title is trimmed and the file gives the text and title extracted directly.
enum HTMLTarget {
    static func run(_ data: UnsafeBufferPointer<UInt8>) {
        let html = String(decoding: data, as: UTF8.self)
        let (text, title) = HTMLText.extract(html)
        require(title == title.trimmingWhitespace(), "title \(title.debugDescription) is not trimmed")
        let path = Scratch.write(data, name: "in.html")
        let source = DocumentSource(options: InputOptions())
        var documents: [SourceDocument] = []
        do {
            try source.read(paths: [path]) { documents.append($0) }
        } catch {
            return
        }
        // a file of NUL bytes or of gzip bytes is skipped or read otherwise, and one that is not
        // valid UTF-8 is converted from the charset ICU detects (b879ece), not decoded with U+FFFD
        guard documents.count == 1, !data.contains(0), !(data.count >= 2 && data[0] == 0x1F && data[1] == 0x8B),
              source.skipped == 0, String(validating: data, as: UTF8.self) != nil else { return }
        var expected = (text, title)
        if html.hasPrefix("\u{FEFF}") { expected = HTMLText.extract(String(html.dropFirst())) }
        require(documents[0].text == expected.0 && documents[0].title == expected.1,
                "the file gives \(documents[0].title.debugDescription) / \(documents[0].text.debugDescription), extract gives \(expected.1.debugDescription) / \(expected.0.debugDescription)")
    }
}
