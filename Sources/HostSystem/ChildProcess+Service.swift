#if canImport(Glibc)
import Glibc
#endif

extension ChildProcess {
    /// Starts a long-lived helper that does not daemonize itself (slirp4netns) and returns its pid
    /// without waiting: it outlives us in a session of its own, with /dev/null for stdin, `log` for
    /// stdout and stderr, `descriptors` as 3, 4, … and no other descriptor of ours (a lock we hold
    /// must not stay held for as long as it runs).
    public static func startService(_ path: String, arguments: [String], environment: [String: String],
                                    descriptors: [Int32], log: String) throws(SystemError) -> Int32 {
        // Copies above every target number: a dup2 onto 3 must not overwrite a source still to be placed.
        var sources: [Int32] = []
        defer { for fd in sources { close(fd) } }
        for fd in descriptors {
            let copy = fcntl(fd, F_DUPFD_CLOEXEC, Int32(3 + descriptors.count))
            guard copy >= 0 else { throw SystemError(.spawn, path, code: errno) }
            sources.append(copy)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for entry in (try? Directory.entries("/proc/self/fd")) ?? [] {
            if let fd = Int32(entry.name), fd > 2, !sources.contains(fd) { posix_spawn_file_actions_addclose(&actions, fd) }
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // dup2 clears close-on-exec on the target; the sources keep theirs and go at exec.
        for (index, fd) in sources.enumerated() { posix_spawn_file_actions_adddup2(&actions, fd, Int32(3 + index)) }
        return try spawn(path, arguments, environment, &actions, closingOthers: false, signals: .pristine, newSession: true)
    }
}
