import ArgumentParser

// Placeholder: replaced by the work that owns `sou check`.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "(not yet implemented)")
    func run() throws { throw CLIError("sou check is not implemented yet") }
}
