import CSystemShim
import Foundation
import Sou

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

/// Removal of a build's temporary file when SIGINT, SIGTERM or SIGHUP ends the process (the
/// handlers, in C, unlink the registered paths and re-raise the signal: see csystemshim.h).
enum TemporaryFileCleanup {
    /// Installs the handlers (once) and returns the hook that registers a build's temporary file.
    static func hook() -> TemporaryFileHook {
        sou_cleanup_install()
        return { path, pending in
            if pending { _ = sou_cleanup_register(path) } else { sou_cleanup_unregister(path) }
        }
    }
}
