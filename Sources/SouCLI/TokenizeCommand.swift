import ArgumentParser

// Placeholder: replaced by the work that owns `sou tokenize`.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tokenize", abstract: "(not yet implemented)")
    func run() throws { throw CLIError("sou tokenize is not implemented yet") }
}
