#if canImport(Glibc)
import Glibc
#endif

/// Runs another CNI plugin as a child process, the way a runtime does: given env, config on stdin,
/// stdout collected. Used for delegated IPAM (and by the engine-side runner for whole plugins).
public enum PluginRunner {
    public struct Outcome: Sendable {
        public var status: Int32
        public var stdout: [UInt8]
    }

    /// The first executable named `name` in `directories` (`CNI_PATH`).
    public static func find(_ name: String, in directories: [String]) -> String? {
        for directory in directories where !directory.isEmpty {
            let candidate = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// `mergeStderr`: the child's stderr joins its stdout (tools whose diagnostics explain a
    /// failure); otherwise it is inherited.
    public static func run(_ path: String, arguments: [String] = [], environment: [String: String],
                           stdin input: [UInt8], mergeStderr: Bool = false) throws(PontoonError) -> Outcome {
        var inPipe: [Int32] = [-1, -1]
        var outPipe: [Int32] = [-1, -1]
        guard makePipe(&inPipe) else { throw systemError("pipe for \(path)") }
        guard makePipe(&outPipe) else {
            let error = systemError("pipe for \(path)")
            close(inPipe[0]); close(inPipe[1])
            throw error
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        if mergeStderr { posix_spawn_file_actions_adddup2(&actions, outPipe[1], 2) }

        let argv = [path] + arguments
        let envp = environment.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let spawned = withCStrings(argv) { cArgv in
            withCStrings(envp) { cEnvp in posix_spawn(&pid, path, &actions, nil, cArgv, cEnvp) }
        }
        close(inPipe[0])
        close(outPipe[1])
        guard spawned == 0 else {
            close(inPipe[1]); close(outPipe[0])
            throw PontoonError(.system, "cannot run \(path)", details: String(cString: strerror(spawned)))
        }
        let output = pump(input: input, to: inPipe[1], from: outPipe[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // WIFEXITED/WEXITSTATUS are macros: decode the wait status by hand.
        let exitStatus: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Outcome(status: exitStatus, stdout: output)
    }

    /// Feed stdin and drain stdout together, so a large config or answer cannot deadlock the pipes.
    private static func pump(input: [UInt8], to inFD: Int32, from outFD: Int32) -> [UInt8] {
        var output: [UInt8] = []
        var written = 0
        var inOpen = true
        if input.isEmpty { close(inFD); inOpen = false }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            var fds = [pollfd(fd: outFD, events: Int16(POLLIN), revents: 0)]
            if inOpen { fds.append(pollfd(fd: inFD, events: Int16(POLLOUT), revents: 0)) }
            guard poll(&fds, nfds_t(fds.count), -1) >= 0 else {
                if errno == EINTR { continue }
                break
            }
            if inOpen, fds[1].revents != 0 {
                let n = input.withUnsafeBytes { write(inFD, $0.baseAddress! + written, $0.count - written) }
                if n > 0 { written += n }
                if n < 0 && errno != EINTR && errno != EAGAIN || written == input.count {
                    close(inFD)
                    inOpen = false
                }
            }
            if fds[0].revents != 0 {
                let n = buffer.withUnsafeMutableBytes { read(outFD, $0.baseAddress, $0.count) }
                if n > 0 {
                    output += buffer[0..<n]
                } else if n == 0 || errno != EINTR {
                    break
                }
            }
        }
        if inOpen { close(inFD) }
        close(outFD)
        return output
    }

    /// A close-on-exec pipe (pipe2 needs _GNU_SOURCE; the plugin is single-threaded, so no race).
    private static func makePipe(_ fds: inout [Int32]) -> Bool {
        guard pipe(&fds) == 0 else { return false }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return true
    }

    private static func systemError(_ what: String) -> PontoonError {
        PontoonError(.system, "cannot create \(what)", details: String(cString: strerror(errno)))
    }
}

/// A NULL-terminated `char *[]` for the duration of `body`.
func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { pointers.forEach { free($0) } }
    return body(pointers)
}

/// Starting a service that daemonizes itself (aardvark-dns): it must not inherit our stdout (the
/// caller would wait for its end forever) nor write to our stderr.
public enum ServiceLauncher {
    /// Runs `path` with stdin, stdout and stderr on /dev/null and waits for the launching process
    /// (which forks the daemon and exits); returns its exit status.
    public static func launch(_ path: String, arguments: [String], environment: [String: String]) throws(PontoonError) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in 0...2 {
            posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        // Nor any other descriptor our caller handed us: a daemon holding the caller's pipe or
        // socket would make the caller wait for it forever.
        for fd in (try? FileSystem.listDirectory("/proc/self/fd")).flatMap({ $0 })?.compactMap(Int32.init) ?? [] where fd > 2 {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
        // A daemon must not inherit our caller's blocked or ignored signals (a test runner's
        // threads block SIGHUP and SIGTERM): it is reloaded and stopped by them.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = [path] + arguments
        let envp = environment.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let spawned = withCStrings(argv) { cArgv in
            withCStrings(envp) { cEnvp in posix_spawn(&pid, path, &actions, &attributes, cArgv, cEnvp) }
        }
        guard spawned == 0 else {
            throw PontoonError(.system, "cannot run \(path)", details: String(cString: strerror(spawned)))
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}
