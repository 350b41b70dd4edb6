import ArgumentParser

// Placeholder: replaced by the work that owns `sou bench`.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "(not yet implemented)")
    func run() throws { throw CLIError("sou bench is not implemented yet") }
}
