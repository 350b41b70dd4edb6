// API CONTRACT SKELETON: signatures agreed between the index and search layers.
// The index work replaces these bodies (and may add internals); the public shape stays.
import Foundation
import SouAnalysis

/// Errors from opening, checking or writing an index.
public enum IndexError: Error, Sendable, CustomStringConvertible {
    /// The file is damaged: `what` names the section and the problem.
    case corrupt(String)
    /// The file was written by a newer (or unknown) format version.
    case unsupportedVersion(found: Int, supported: Int)
    /// Not a Sou index at all (bad magic).
    case notAnIndex(String)
    /// Reading or writing the file failed.
    case io(String)
    /// A readable description.
    public var description: String {
        switch self {
        case .corrupt(let s): "corrupt index: \(s)"
        case .unsupportedVersion(let f, let s): "index format version \(f) is newer than this sou supports (\(s)); rebuild the index or upgrade sou"
        case .notAnIndex(let s): "not a Sou index: \(s)"
        case .io(let s): s
        }
    }
}

/// A term of the dictionary with its statistics.
public struct TermInfo: Sendable, Hashable {
    /// The term (normalized text).
    public let term: String
    /// Number of documents containing the term.
    public let documentFrequency: Int
    /// Number of occurrences over all documents.
    public let totalTermFrequency: Int
    /// Where the term's postings and positions start (reader-private meaning).
    @usableFromInline let postingsOffset: Int
    @usableFromInline let positionsOffset: Int
}

/// A forward-only cursor over one term's postings: documents in increasing order, each with
/// its term frequency and positions. Reads straight from the index bytes; every read is
/// bounds-checked, and damaged bytes throw ``IndexError/corrupt(_:)`` instead of trapping.
public struct PostingsCursor: Sendable {
    /// The current document, or `nil` before the first ``next()`` and after the last.
    public private(set) var document: Int? = nil
    /// Occurrences of the term in the current document.
    public private(set) var termFrequency: Int = 0

    /// Moves to the next document and returns it, or `nil` at the end.
    public mutating func next() throws -> Int? { fatalError("skeleton") }
    /// Moves to the first document ≥ `target` and returns it, or `nil` at the end.
    public mutating func advance(to target: Int) throws -> Int? { fatalError("skeleton") }
    /// The positions (slots) of the term in the current document, increasing.
    public mutating func positions() throws -> [Int] { fatalError("skeleton") }
}

/// An opened index file: memory-mapped, validated (header, section table, footer), ready.
/// Immutable and safe to search from many threads at once.
public final class SouIndex: Sendable {
    /// Opens and memory-maps an index file. Open time does not grow with the index size.
    public init(contentsOf url: URL) throws { fatalError("skeleton") }

    /// The analyzer configuration the index was built with (queries must use it).
    public var configuration: AnalyzerConfiguration { fatalError("skeleton") }
    /// The format version of the file.
    public var formatVersion: Int { fatalError("skeleton") }
    /// Number of documents.
    public var documentCount: Int { fatalError("skeleton") }
    /// Sum of all documents' lengths in tokens.
    public var totalDocumentLength: Int { fatalError("skeleton") }
    /// Mean document length in tokens (0 for an empty index).
    public var averageDocumentLength: Double {
        documentCount == 0 ? 0 : Double(totalDocumentLength) / Double(documentCount)
    }
    /// The external key of document `id` (path relative to the indexed root, or JSON id).
    public func documentKey(_ id: Int) -> String { fatalError("skeleton") }
    /// The title of document `id` ("" when it has none).
    public func documentTitle(_ id: Int) -> String { fatalError("skeleton") }
    /// Length of document `id` in tokens (exact: the analyzer's token count).
    public func documentLength(_ id: Int) -> Int { fatalError("skeleton") }
    /// True when the text of the documents is stored (not built with `--no-store`).
    public var storesText: Bool { fatalError("skeleton") }
    /// The stored text of document `id` (title and text fields joined by "\n", exactly as
    /// analyzed), or `nil` when text is not stored.
    public func storedText(_ id: Int) throws -> String? { fatalError("skeleton") }
    /// Looks a term up in the dictionary (binary search).
    public func termInfo(_ term: String) -> TermInfo? { fatalError("skeleton") }
    /// All terms that start with `prefix`, in dictionary order (a contiguous range).
    public func terms(withPrefix prefix: String) -> [TermInfo] { fatalError("skeleton") }
    /// A cursor over the postings of `term`.
    public func postings(_ term: TermInfo) throws -> PostingsCursor { fatalError("skeleton") }
}
