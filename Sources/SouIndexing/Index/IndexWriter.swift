// API CONTRACT SKELETON (see Reader/SouIndex.swift).
import Foundation
import SouAnalysis

/// Builds an index in memory, then serializes it to the binary format.
public final class IndexWriter {
    /// Creates an empty writer. `storesText: false` leaves document text out of the file.
    public init(configuration: AnalyzerConfiguration = AnalyzerConfiguration(), storesText: Bool = true) throws {
        fatalError("skeleton")
    }
    /// Adds a document. `text` is what is analyzed and stored (for JSON Lines: the text
    /// fields joined by "\n", title first); `title` is shown in results.
    public func addDocument(key: String, title: String = "", text: String) throws { fatalError("skeleton") }
    /// Number of documents added so far.
    public var documentCount: Int { fatalError("skeleton") }
    /// Serializes the index into memory and opens it with the same reader as a file.
    public func makeIndex() throws -> SouIndex { fatalError("skeleton") }
    /// Serializes the index to `url` atomically (temporary file, fsync, rename).
    public func write(to url: URL) throws { fatalError("skeleton") }
}
