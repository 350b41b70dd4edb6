import ArgumentParser
import Foundation
import Sou

/// `sou check FILE`: full verification.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Verify an index completely: every checksum and the structure of every section.",
        discussion: "Prints \"ok\" and exits 0, or names what is wrong and exits 2."
    )

    @Argument(help: "The index file.")
    var file: String

    func run() throws {
        do {
            let index = try SouIndex(contentsOf: URL(fileURLWithPath: file))
            let report = try index.verify()
            print("ok: \(report.documents) documents, \(report.terms) terms, \(report.postings) postings, \(report.positions) positions, \(report.sectionsVerified) sections verified")
        } catch let error as IndexError {
            throw CLIError("\(file): \(error.description)")
        }
    }
}
