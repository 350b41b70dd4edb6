import Foundation
import Testing
@testable import SouIndexing

/// Keys (and paths) are byte strings: the index finds, orders and deletes them by their UTF-8
/// bytes. Swift's `String ==` (and so `Set<String>`, `[String: …]`) compares by canonical
/// equivalence, under which "é" (U+00E9) and "e" + U+0301 are one string: keys held that way
/// made two distinct keys (two files, named as macOS and Linux spell é) one document in a
/// build, while the index itself kept them apart.
@Suite("Keys are identified by their bytes, not by canonical equivalence")
struct KeyBytesIdentityTests {
    static let composed = "\u{00E9}"          // é, one scalar
    static let decomposed = "e\u{0301}"       // e + combining acute: canonically equivalent
    
    @Test("the two spellings are equal Swift Strings but different bytes (the premise)")
    func premise() {
        #expect(Self.composed == Self.decomposed)
        #expect(Array(Self.composed.utf8) != Array(Self.decomposed.utf8))
    }

    @Test("IndexWriter: two documents whose keys differ only in normalization both live")
    func writerKeepsBoth() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let path = root.path + "/k.sou"
        do {
            let writer = try IndexWriter(path: path)
            try writer.add(key: Self.composed, text: "组合甲")
            try writer.add(key: Self.decomposed, text: "组合乙")
            try writer.commit()
        }
        let reader = try IndexReader(path: path)
        #expect(reader.documentCount == 2)
        #expect(try reader.documents(withKey: Self.composed).count == 1)
        #expect(try reader.documents(withKey: Self.decomposed).count == 1)
        // deleting one spelling (still buffered or committed) leaves the other
        do {
            let w2 = try IndexWriter(path: path)
            #expect(try w2.delete(key: Self.composed))
            try w2.add(key: "\u{00F6}", text: "另一个")
            try w2.add(key: "o\u{0308}", text: "另一个 组合")
            #expect(try w2.delete(key: "\u{00F6}"))   // buffered: the other spelling stays
            try w2.commit()
        }
        let r2 = try IndexReader(path: path)
        #expect(r2.documentCount == 2)
        #expect(try r2.documents(withKey: Self.decomposed).count == 1)
        #expect(try r2.documents(withKey: "o\u{0308}").count == 1)
    }

    @Test("sou index: two files named é.txt in the two normalizations are two documents, and an update mirrors their removal")
    func indexKeepsBothFiles() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let docs = root.path + "/nf"
        try FileManager.default.createDirectory(atPath: docs, withIntermediateDirectories: true)
        let a = docs + "/" + Self.composed + ".txt", b = docs + "/" + Self.decomposed + ".txt"
        // (FileManager would write both names to one file on a normalizing file system; this one keeps bytes)
        #expect(FileManager.default.createFile(atPath: a, contents: Data("精确组合 文本一".utf8)))
        #expect(FileManager.default.createFile(atPath: b, contents: Data("分解组合 文本二".utf8)))
        let names = try FileManager.default.contentsOfDirectory(atPath: docs)
        try #require(names.count == 2, "the file system merged the two names: \(names)")
        let index = URL(fileURLWithPath: root.path + "/nf.sou")
        var warnings: [String] = []
        var builder = IndexBuilder()
        builder.warn = { warnings.append($0) }
        let built = try builder.update(paths: [docs], at: index)
        #expect(built.documents == 2)
        #expect(built.duplicateKeys == 0)
        #expect(warnings.isEmpty, "\(warnings)")
        // named on the command line, they are two files, not one reached twice
        let index2 = URL(fileURLWithPath: root.path + "/nf2.sou")
        let named = try IndexBuilder().update(paths: [a, b], at: index2)
        #expect(named.documents == 2)
        // one goes: the update deletes its document and keeps the other's
        #expect(unlink(a) == 0)
        let updated = try IndexBuilder().update(paths: [docs], at: index)
        #expect(updated.deleted == 1 && updated.documents == 1, "\(updated)")
        let reader = try IndexReader(path: index.path)
        #expect(reader.documentCount == 1)
        #expect(try reader.documents(withKey: "\(docs)/\(Self.decomposed).txt").count == 1)
        #expect(try reader.documents(withKey: "\(docs)/\(Self.composed).txt").isEmpty)
    }
}
