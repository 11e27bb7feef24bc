import Foundation

/// A plugin run as a child process, exactly as a container engine runs it: its own environment
/// (nothing inherited but PATH and pontoon's logging variables), stdin, stdout and exit status.
///
/// Spawned and reaped here with posix_spawn, poll and waitpid rather than Foundation's `Process`:
/// `Process.waitUntilExit` was seen never to return once netavark 1.4.0 had exited after starting
/// aardvark-dns (the child stayed a zombie, unreaped). The run also ends when the child has exited
/// even if a daemon it started still holds its stdout or stderr open.
struct PluginRun {
    var status: Int32
    var stdout: Data
    var stderr: Data

    var stdoutText: String { String(decoding: stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String], stdin: Data) throws(CtlError) -> PluginRun {
        var env = environment
        let inherited = ProcessInfo.processInfo.environment
        env["PATH"] = inherited["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin"
        for (key, value) in inherited where key.hasPrefix("PONTOON_") { env[key] = value }

        var input: [Int32] = [-1, -1], output: [Int32] = [-1, -1], errors: [Int32] = [-1, -1]
        // Close-on-exec: the child gets them only as 0, 1 and 2 (pontoonctl starts no other process meanwhile).
        guard pipe(&input) == 0, pipe(&output) == 0, pipe(&errors) == 0 else {
            let message = String(cString: strerror(errno))
            for fd in input + output + errors where fd >= 0 { close(fd) }
            throw CtlError(.failed, "cannot make pipes for \(executable): \(message)")
        }
        for fd in input + output + errors { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        closeInheritedOnExec()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input[0], 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errors[1], 2)
        // pontoonctl ignores SIGPIPE (a plugin may exit without reading stdin); the plugin must not.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t(), empty = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        signal(SIGPIPE, SIG_IGN)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        close(input[0]); close(output[1]); close(errors[1])
        guard spawned == 0 else {
            close(input[1]); close(output[0]); close(errors[0])
            throw CtlError(.failed, "cannot run \(executable): \(String(cString: strerror(spawned)))")
        }
        return collect(pid: pid, stdin: stdin, input: input[1], output: output[0], errors: errors[0])
    }

    /// A plugin gets stdin, stdout and stderr and nothing else, as a Go runtime's exec gives them:
    /// a descriptor pontoonctl inherited (the socket by which Foundation's `Process` in a caller
    /// waits for pontoonctl's exit, say) would otherwise pass through the plugin into a daemon it
    /// starts (aardvark-dns) and keep that caller waiting for as long as the daemon runs.
    private static func closeInheritedOnExec() {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
            guard let fd = Int32(entry), fd > 2 else { continue }
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0, flags & FD_CLOEXEC == 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }

    /// Feed stdin and drain stdout and stderr together (a plugin may answer before reading all of
    /// its stdin), until the child has exited and its pipes are empty.
    private static func collect(pid: pid_t, stdin: Data, input: Int32, output: Int32, errors: Int32) -> PluginRun {
        let pending = [UInt8](stdin)
        var written = 0
        var writer = input
        for fd in [writer, output, errors] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        if pending.isEmpty { close(writer); writer = -1 }
        var readers: [Int32: [UInt8]] = [output: [], errors: []]
        var exitStatus: Int32?
        var buffer = [UInt8](repeating: 0, count: 65536)

        func drain(_ fd: Int32) -> Bool {   // false at EOF
            while true {
                let count = read(fd, &buffer, buffer.count)
                if count > 0 { readers[fd]! += buffer[0..<count]; continue }
                if count == 0 { return false }
                return errno == EINTR ? true : (errno == EAGAIN ? true : false)
            }
        }

        var open: Set<Int32> = [output, errors]
        while true {
            if exitStatus == nil {
                // Both outputs at EOF and stdin fed: the plugin is ending; wait for it without polling.
                let finished = open.isEmpty && writer < 0
                var status: Int32 = 0
                let reaped = waitpid(pid, &status, finished ? 0 : WNOHANG)
                if reaped == pid {
                    exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
                } else if reaped < 0, errno != EINTR {
                    exitStatus = -1
                }
            }
            if let _ = exitStatus {
                // The child is gone: what it wrote is in the pipes now. A daemon it started may keep
                // them open for good, so read what is there and stop.
                for fd in open { _ = drain(fd) }
                break
            }
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if writer >= 0 { fds.append(pollfd(fd: writer, events: Int16(POLLOUT), revents: 0)) }
            _ = poll(&fds, nfds_t(fds.count), 50)
            for entry in fds where entry.revents != 0 {
                if entry.fd == writer {
                    let count = pending.withUnsafeBytes { bytes in write(writer, bytes.baseAddress! + written, bytes.count - written) }
                    if count > 0 { written += count }
                    if (count < 0 && errno != EAGAIN && errno != EINTR) || written == pending.count {
                        close(writer)
                        writer = -1
                    }
                } else if !drain(entry.fd) {
                    open.remove(entry.fd)
                }
            }
        }
        if writer >= 0 { close(writer) }
        close(output)
        close(errors)
        return PluginRun(status: exitStatus ?? -1, stdout: Data(readers[output]!), stderr: Data(readers[errors]!))
    }
}
