import ArgumentParser

// Placeholder: replaced by the work that owns `sou index`.
struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "index", abstract: "(not yet implemented)")
    func run() throws { throw CLIError("sou index is not implemented yet") }
}
