import CSystemShim
import FoundationEssentials
import Glibc

/// One run of a child process: how it ended, what it wrote on stdout, and what it used (wait4).
struct ChildRun {
    /// The exit status, or nil when a signal ended it.
    var exitStatus: Int32?
    /// The signal that ended it, if any.
    var signal: Int32?
    /// Everything it wrote to stdout (its stderr goes to ours).
    var output: Data
    /// Its peak resident set size in bytes (`ru_maxrss`), its own and not this process's.
    var peakRSSBytes: Int
    /// User + system CPU seconds of the child (every thread).
    var cpuSeconds: Double
}

/// Runs `sou` again as a child process, so that what it measures (peak memory above all) is its
/// own: a process's peak RSS never goes down, so builds run one after the other in one process
/// would report the largest so far, not their own.
enum ChildProcess {
    /// The path of the running executable (`/proc/self/exe` on Linux).
    static func currentExecutable() -> String {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        return CommandLine.arguments[0]
    }

    /// Starts `executable` with `arguments` (stdin and stderr shared, stdout captured), waits for
    /// it and returns its status, output and resource usage. While it runs, SIGINT, SIGTERM or
    /// SIGHUP to this process is passed on to it and waited for before this process's registered
    /// temporary files are removed (see `sou_cleanup_set_child`).
    static func run(_ executable: String, _ arguments: [String]) throws -> ChildRun {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw CLIError("cannot create a pipe: \(String(cString: strerror(errno)))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_addclose(&actions, fds[1])
        // the child starts with no signal blocked; here the signals wait until the child is registered
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        var blocked = sigset_t(), previous = sigset_t()
        sigemptyset(&blocked)
        for s in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&blocked, s) }
        pthread_sigmask(SIG_BLOCK, &blocked, &previous)

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        close(fds[1])
        if spawned == 0 { sou_cleanup_set_child(pid) }
        pthread_sigmask(SIG_SETMASK, &previous, nil)
        guard spawned == 0 else {
            close(fds[0])
            throw CLIError("cannot start \(executable): \(String(cString: strerror(spawned)))")
        }
        defer { sou_cleanup_set_child(0) }

        var output = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = read(fds[0], &buffer, buffer.count)
            if n > 0 {
                output.append(contentsOf: buffer[0..<n])
            } else if n == 0 || errno != EINTR {
                break
            }
        }
        close(fds[0])
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 {
            guard errno == EINTR else { throw CLIError("cannot wait for \(executable): \(String(cString: strerror(errno)))") }
        }
        // wait status (POSIX): low 7 bits = terminating signal, 0 when it exited; then the exit code
        let signal = status & 0x7f
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6
        #if canImport(Darwin)
        let rss = Int(usage.ru_maxrss)          // bytes on Darwin
        #else
        let rss = Int(usage.ru_maxrss) * 1024   // kilobytes on Linux
        #endif
        return ChildRun(exitStatus: signal == 0 ? (status >> 8) & 0xff : nil, signal: signal == 0 ? nil : signal,
                        output: output, peakRSSBytes: rss, cpuSeconds: cpu)
    }
}
