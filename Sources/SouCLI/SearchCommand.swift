import ArgumentParser

// Placeholder: replaced by the work that owns `sou search`.
struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "search", abstract: "(not yet implemented)")
    func run() throws { throw CLIError("sou search is not implemented yet") }
}
