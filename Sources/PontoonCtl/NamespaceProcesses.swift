import Foundation

/// The processes living in a network namespace (commands started by `exec`, an adopted `--pid`
/// process, anything entered by hand): found by the namespace's inode in every `/proc/PID/ns/net`,
/// since the kernel keeps no list. Only a namespace this mount namespace can see is searched (a
/// rootless container's is mounted inside the pause process only).
enum NamespaceProcesses {
    static func pids(in netns: String) -> [Int32] {
        var target = stat()
        guard !netns.isEmpty, stat(netns, &target) == 0 else { return [] }
        let me = getpid()
        // Never the namespace pontoonctl itself runs in (an adopted process living in the host's):
        // its processes are the host's, not a container's.
        guard !isIn(me, target) else { return [] }
        return ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry -> Int32? in
            guard let pid = Int32(entry), pid != me, isIn(pid, target) else { return nil }
            return pid
        }.sorted()
    }

    /// SIGTERM, then SIGKILL to those still in the namespace after `grace`, as podman's stop does
    /// (its own grace is 10 s; a network-only engine's processes are commands, 2 s is theirs).
    /// Returns the processes that were still there after SIGKILL.
    static func end(_ pids: [Int32], in netns: String, grace: Duration = .seconds(2)) -> [Int32] {
        var target = stat()
        guard stat(netns, &target) == 0 else { return [] }
        var left = pids
        for signal in [SIGTERM, SIGKILL] {
            for pid in left { kill(pid, signal) }
            let deadline = ContinuousClock.now + (signal == SIGTERM ? grace : .seconds(1))
            while !left.isEmpty, ContinuousClock.now < deadline {
                usleep(20_000)
                left = left.filter { isIn($0, target) }
            }
            if left.isEmpty { break }
        }
        return left
    }

    /// A process that exited (a zombie too) has no namespace left to compare.
    private static func isIn(_ pid: Int32, _ target: stat) -> Bool {
        var info = stat()
        return stat("/proc/\(pid)/ns/net", &info) == 0 && info.st_ino == target.st_ino && info.st_dev == target.st_dev
    }
}
