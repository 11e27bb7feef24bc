#if canImport(Glibc)
import Glibc
#endif

/// Runs a program as a child process with posix_spawn, poll and waitpid: its own argv and
/// environment (nothing inherited), stdin given as bytes, stdout (and stderr) collected, the exit
/// status. Also the detached launch of a service that daemonizes itself.
///
/// Not Foundation's `Process`: it costs the plugin its start-up time, and its `waitUntilExit` was
/// seen never to return once netavark 1.4.0 had exited after starting aardvark-dns (the child stayed
/// a zombie, unreaped).
public enum ChildProcess {
    public struct Outcome: Sendable {
        /// The exit status; 128 + the signal for a child killed by one; -1 when it could not be
        /// learned (SIGCHLD ignored by our caller: the child was reaped by the kernel).
        public var status: Int32
        public var stdout: [UInt8]
        /// Empty unless stderr was `.captured`.
        public var stderr: [UInt8]
    }

    /// Where the child's stderr goes.
    public enum ErrorOutput: Sendable {
        /// Ours: the child's diagnostics reach our caller as they are.
        case inherited
        /// Into stdout, for tools whose diagnostics explain a failure.
        case mergedIntoStdout
        /// Collected apart (`Outcome.stderr`).
        case captured
    }

    /// What the child gets of our signal state (the mask and ignored signals survive exec).
    public enum Signals: Sendable {
        case inherited
        /// Nothing blocked; these back to their default action.
        case unblocked(defaulting: [Int32])
        /// Nothing blocked, nothing ignored: a daemon is reloaded and stopped by signals.
        case pristine
    }

    /// The first executable named `name` in `directories` (a PATH).
    public static func find(_ name: String, in directories: [String]) -> String? {
        for directory in directories where !directory.isEmpty {
            let candidate = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// Runs `path` to its end, feeding `stdin` and collecting its output together (a child may
    /// answer before reading all of its stdin; a large input or answer cannot deadlock the pipes).
    ///
    /// - onlyStandardDescriptors: the child gets stdin, stdout and stderr and nothing else of ours,
    ///   as a Go runtime's exec gives them: a descriptor we inherited (the socket by which our own
    ///   caller waits for our exit, say) would otherwise pass through the child into a daemon it
    ///   starts and keep that caller waiting for as long as the daemon runs.
    /// - endsWithChild: the run ends when the child has exited, even while a daemon it started
    ///   still holds its stdout or stderr open (what is in the pipes then is read); otherwise it
    ///   ends at the end of the output, then waits for the child.
    public static func run(_ path: String, arguments: [String] = [], environment: [String: String], stdin input: [UInt8],
                           stderr: ErrorOutput = .inherited, onlyStandardDescriptors: Bool = false,
                           signals: Signals = .inherited, endsWithChild: Bool = false) throws(SystemError) -> Outcome {
        let inPipe = try makePipe(for: path)
        let outPipe: (read: Int32, write: Int32)
        let errPipe: (read: Int32, write: Int32)?
        do throws(SystemError) {
            outPipe = try makePipe(for: path)
            do throws(SystemError) {
                errPipe = stderr == .captured ? try makePipe(for: path) : nil
            } catch {
                close(outPipe.read); close(outPipe.write)
                throw error
            }
        } catch {
            close(inPipe.read); close(inPipe.write)
            throw error
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe.read, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe.write, 1)
        switch stderr {
        case .inherited: break
        case .mergedIntoStdout: posix_spawn_file_actions_adddup2(&actions, outPipe.write, 2)
        case .captured: posix_spawn_file_actions_adddup2(&actions, errPipe!.write, 2)
        }
        let pid: pid_t
        do throws(SystemError) {
            pid = try spawn(path, arguments, environment, &actions, closingOthers: onlyStandardDescriptors, signals: signals)
        } catch {
            for fd in [inPipe.read, inPipe.write, outPipe.read, outPipe.write, errPipe?.read, errPipe?.write].compactMap({ $0 }) {
                close(fd)
            }
            throw error
        }
        close(inPipe.read)
        close(outPipe.write)
        if let errPipe { close(errPipe.write) }
        var pump = Pump(input: input, writer: inPipe.write, readers: [outPipe.read] + [errPipe?.read].compactMap { $0 })
        var status = pump.run(pid: endsWithChild ? pid : nil)
        if status == nil { status = waitForExit(pid) }
        return Outcome(status: status!, stdout: pump.output[outPipe.read] ?? [],
                       stderr: errPipe.map { pump.output[$0.read] ?? [] } ?? [])
    }

    /// Starts a service that daemonizes itself (aardvark-dns) and waits for the launching process
    /// (which forks the daemon and exits); returns its exit status. The service gets /dev/null for
    /// stdin, stdout and stderr (our caller would otherwise wait for the end of our stdout for as
    /// long as the daemon runs), no other descriptor of ours, and pristine signals (a test runner's
    /// threads block SIGHUP and SIGTERM, which reload and stop it).
    public static func launchDetached(_ path: String, arguments: [String], environment: [String: String]) throws(SystemError) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in 0...2 {
            posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        let pid = try spawn(path, arguments, environment, &actions, closingOthers: true, signals: .pristine)
        return waitForExit(pid)
    }

    static func spawn(_ path: String, _ arguments: [String], _ environment: [String: String],
                      _ actions: inout posix_spawn_file_actions_t, closingOthers: Bool, signals: Signals,
                      newSession: Bool = false) throws(SystemError) -> pid_t {
        if closingOthers {
            // glibc ignores a close of a descriptor closed since the listing (the listing's own, say).
            for entry in (try? Directory.entries("/proc/self/fd")) ?? [] {
                if let fd = Int32(entry.name), fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
            }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t(), empty = sigset_t()
        sigemptyset(&empty)
        switch signals {
        case .inherited:
            break
        case .unblocked(let defaulting):
            sigemptyset(&defaults)
            for signal in defaulting { sigaddset(&defaults, signal) }
        case .pristine:
            sigfillset(&defaults)
        }
        var flags: Int32 = newSession ? 0x80 : 0   // POSIX_SPAWN_SETSID, hidden behind _GNU_SOURCE
        if case .inherited = signals {} else {
            posix_spawnattr_setsigmask(&attributes, &empty)
            posix_spawnattr_setsigdefault(&attributes, &defaults)
            flags |= POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        }
        if flags != 0 { posix_spawnattr_setflags(&attributes, Int16(flags)) }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard spawned == 0 else { throw SystemError(.spawn, path, code: spawned) }
        return pid
    }

    /// A close-on-exec pipe: the child gets it only as 0, 1 or 2. (pipe2 needs _GNU_SOURCE; a
    /// child spawned by another thread meanwhile could inherit it, which no caller does.)
    private static func makePipe(for path: String) throws(SystemError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw SystemError(.pipe, path, code: errno) }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }

    /// Blocks until the child has exited.
    static func waitForExit(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while true {
            if waitpid(pid, &status, 0) == pid { return exitStatus(status) }
            if errno != EINTR { return -1 }
        }
    }

    /// WIFEXITED/WEXITSTATUS are macros: the wait status decoded by hand.
    static func exitStatus(_ status: Int32) -> Int32 {
        (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}
