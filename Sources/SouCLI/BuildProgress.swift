import CSystemShim
import FoundationEssentials
import Glibc
import Sou

/// The progress line of a build on a terminal (stderr): a bar with the percentage, megabytes
/// read of the total, MB/s and the time left, e.g.
///
///     indexing  42% [########------------]  5.3 of 12.7 MB  8.4 MB/s  ETA 1 s  2 files
///
/// The total is counted before reading (the sizes of the files to read; a gzip file's
/// uncompressed size from its trailer); without one (stdin) the line shows what was read so
/// far. Only on a terminal that understands escape codes (stderr a TTY, `TERM` not `dumb`):
/// nothing is written otherwise.
final class BuildProgress {
    private var lastShown = Date.distantPast
    private var shown = false

    /// A progress line, or nil when stderr is not a terminal (or `TERM=dumb`).
    static func onTerminal() -> BuildProgress? {
        guard isTerminal(STDERR_FILENO), ProcessInfo.processInfo.environment["TERM"] != "dumb" else { return nil }
        // Ctrl-C (SIGINT, SIGTERM, SIGHUP) erases the line before the process ends
        sou_cleanup_install()
        return BuildProgress()
    }

    /// Redraws the line (at most ten times a second).
    func show(_ p: IndexBuildProgress) {
        let now = Date()
        guard now.timeIntervalSince(lastShown) >= 0.1 else { return }
        lastShown = now
        writeStderr("\r\u{1B}[K" + Self.line(p))
        if !shown { sou_cleanup_set_progress_line(1) }
        shown = true
    }

    /// The text of the line for `p` (without escape codes).
    static func line(_ p: IndexBuildProgress) -> String {
        let mb = Double(p.inputBytes) / 1e6
        let rate = p.seconds > 0 ? mb / p.seconds : 0
        let files = "\(p.files) \(p.files == 1 ? "file" : "files")"
        guard let total = p.totalBytes, total > 0 else {
            return "indexing: \(files), \(p.documents) documents, " + cFormat("%.1f MB, %.1f MB/s", mb, rate)
        }
        let fraction = min(1, Double(p.inputBytes) / Double(total))
        let width = 20
        let filled = Int((fraction * Double(width)).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        var eta = "ETA --"
        if fraction > 0, p.seconds > 0 {
            eta = "ETA " + duration(p.seconds * (1 - fraction) / fraction)
        }
        return cFormat("indexing %3ld%% [", Int((fraction * 100).rounded(.down))) + bar
            + cFormat("]  %.1f of %.1f MB  %.1f MB/s  ", mb, Double(total) / 1e6, rate) + eta + "  " + files
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded(.up))
        if s < 60 { return "\(s) s" }
        if s < 3600 { return "\(s / 60) min \(s % 60) s" }
        return "\(s / 3600) h \(s % 3600 / 60) min"
    }

    /// Erases the line (before a warning, and at the end).
    func clear() {
        if shown {
            writeStderr("\r\u{1B}[K")
            sou_cleanup_set_progress_line(0)
        }
        shown = false
    }

    /// Erases the line for good.
    func finish() { clear() }
}
