import ArgumentParser

// Placeholder: replaced by the work that owns `sou stats`.
struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "(not yet implemented)")
    func run() throws { throw CLIError("sou stats is not implemented yet") }
}
