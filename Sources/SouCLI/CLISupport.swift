import Foundation

/// An error the CLI reports as one line on stderr, exiting with `code` (2 unless stated).
struct CLIError: Error, CustomStringConvertible {
    var message: String
    var code: Int32 = 2
    init(_ message: String, code: Int32 = 2) {
        self.message = message
        self.code = code
    }
    var description: String { message }
}

/// Thrown to end the process with an exit status and no message (e.g. 1: nothing matched).
struct ExitStatus: Error {
    var code: Int32
}

/// Writes `message` to stderr, prefixed with "sou: ", followed by a newline.
func printError(_ message: String) {
    FileHandle.standardError.write(Data(("sou: " + message + "\n").utf8))
}

/// Writes `text` to stderr as is.
func writeStderr(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
}

/// True when the file descriptor is a terminal.
func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }
