import Glibc

/// State kept in files that outlive the network namespace it describes.
///
/// Rootless podman runs every netavark call inside its rootless network namespace, yet passes a
/// `--config` in `XDG_RUNTIME_DIR`, which lives on. That namespace goes with its last container, and
/// at once, without a teardown for anyone, when its pause process or slirp4netns is killed or
/// `podman system migrate` runs. The records, host-port claims, firewall membership, leases and DNS
/// entries of that namespace then describe links and rules that no longer exist: a claim would
/// refuse the next container the same port, a stale membership would skip the new namespace's
/// masquerade rules. So the state directory carries the identity of the namespace it was made in,
/// and a call from another namespace discards what the old one left before it starts.
public enum NamespaceEpoch {
    static let stampName = "netns"

    /// The calling thread's network namespace as an identity no later namespace shares: the
    /// kernel's netns cookie (Linux 5.14), else the nsfs inode (which the kernel may hand to a
    /// later namespace once this one is freed: good enough where no cookie exists).
    public static func currentIdentity() throws -> String {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        if fd >= 0 {
            defer { close(fd) }
            var cookie: UInt64 = 0
            var length = socklen_t(MemoryLayout<UInt64>.size)
            // SO_NETNS_COOKIE: not in every libc's headers.
            if getsockopt(fd, SOL_SOCKET, 71, &cookie, &length) == 0 { return "cookie:\(cookie)" }
        }
        var info = stat()
        guard stat("/proc/thread-self/ns/net", &info) == 0 else {
            throw FileSystem.ioError("cannot inspect", "/proc/thread-self/ns/net", errno: errno)
        }
        return "inode:\(info.st_dev):\(info.st_ino)"
    }

    /// Under the lock of `directory`: when its stamp names a namespace other than `current`, runs
    /// `discard` (what only its owner can clear, e.g. a stranded daemon), removes every path in
    /// `stale` and records `current`. Without a stamp, `create` makes one (and the directory) and
    /// keeps what the state holds; otherwise nothing is written. Returns whether an old
    /// namespace's state was discarded.
    @discardableResult
    public static func renew(_ directory: String, current: String, stale: [String], create: Bool,
                             discard: () throws -> Void = {}) throws -> Bool {
        try Locks.serialising(directory, createDirectory: create) { () throws -> Bool in
            let stamp = directory + "/" + stampName
            let recorded = try FileSystem.readFile(stamp, limit: 256).map { String(decoding: $0, as: UTF8.self) }
            guard recorded != current, recorded != nil || create else { return false }
            let replaced = recorded != nil
            if replaced {
                try discard()
                for path in stale { _ = try FileSystem.removeTree(path) }
            }
            try FileSystem.writeAtomically(stamp, contents: Array(current.utf8), mode: 0o644)
            return replaced
        } ?? false
    }

    /// Under the same lock: when no path in `state` holds anything but locks (and host-local's
    /// `last_reserved_ip.*`), the stamp goes too, so a `--config` whose last container left holds
    /// no file of ours but locks. The next setup stamps it again.
    public static func release(_ directory: String, state: [String]) throws {
        _ = try Locks.serialising(directory, createDirectory: false) {
            for path in state where try holdsState(path) { return }
            _ = try FileSystem.remove(directory + "/" + stampName)
        }
    }

    /// Never through a symbolic link (lstat): a link is itself something left, not a way elsewhere.
    private static func holdsState(_ path: String) throws -> Bool {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return false }
            throw FileSystem.ioError("cannot inspect", path, errno: errno)
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            let name = path.split(separator: "/").last.map(String.init) ?? ""
            return name != "lock" && !name.hasPrefix("last_reserved_ip.")
        }
        for name in try FileSystem.listDirectory(path) ?? [] where try holdsState(path + "/" + name) { return true }
        return false
    }
}
