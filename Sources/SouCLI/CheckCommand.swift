import ArgumentParser
import FoundationEssentials
import Glibc
import Sou

/// `sou check FILE`: full verification.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Verify an index completely: the commit chain, and every checksum and section of every segment.",
        discussion: "Prints \"ok\" and exits 0, or names what is wrong and exits 2. Notes on stderr say what the file holds besides the commit it opens at (a newer commit a truncation cut off, a torn commit slot, bytes of an interrupted write): readers ignore those, and the next writer removes them."
    )

    @Argument(help: "The index file.")
    var file: String

    func run() throws {
        do {
            let index = try IndexReader(contentsOf: URL(fileURLWithPath: file))
            let r = try index.verify()
            print("ok: \(counted(r.documents, "live document")), \(r.deletedDocuments) deleted, \(r.segments) segment\(r.segments == 1 ? "" : "s"), \(r.terms) terms, \(r.postings) postings, \(r.positions) positions, \(r.sectionsVerified) sections and \(r.commits) commit record\(r.commits == 1 ? "" : "s") verified")
            for note in r.notes { printError("note: \(file): \(note)") }
        } catch let error as IndexError {
            throw CLIError(file: file, error)
        }
    }
}
