import CNetlink
#if canImport(Glibc)
import Glibc
#endif

/// A network namespace held open by file descriptor (`/run/netns/<name>`, `/proc/<pid>/ns/net`).
/// Holding the descriptor keeps the namespace alive and pins it: a path could be remounted.
public final class NetworkNamespace: Sendable {
    public let fd: Int32
    public let path: String

    /// Open the namespace file; a missing one throws a `SystemError` whose errno is ENOENT.
    public init(path: String) throws {
        // O_NONBLOCK: a FIFO given as the path would block the open forever; a namespace file
        // ignores it, and setns on anything else fails with a clear error.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw SystemError(operation: "open network namespace", path: path, errno: errno) }
        self.fd = fd
        self.path = path
    }

    /// The namespace the calling thread is in now (a thread's, not the process's: `setns` moves
    /// only the calling thread).
    public static func current() throws -> NetworkNamespace {
        try NetworkNamespace(path: "/proc/thread-self/ns/net")
    }

    deinit { close(fd) }

    /// A new, empty namespace bind-mounted on `path` (an existing empty file), as libpod and
    /// `ip netns add` make them; it lives until the file is unmounted. Made on a thread of its own
    /// that ends right after, so no other work of the calling process ever runs inside it.
    public static func createPersistent(at path: String) throws {
        var thread = pthread_t()
        // Lives until after the join: the thread borrows it.
        let holder = PathBox(path)
        let started = pthread_create(&thread, nil, { argument in
            let box = Unmanaged<PathBox>.fromOpaque(argument!).takeUnretainedValue()
            guard cnl_unshare_network_namespace() == 0 else {
                box.failure = SystemError(operation: "unshare network namespace", errno: errno)
                return nil
            }
            if mount("/proc/thread-self/ns/net", box.path, nil, UInt(MS_BIND), nil) != 0 {
                box.failure = SystemError(operation: "bind mount network namespace", path: box.path, errno: errno)
            }
            return nil
        }, Unmanaged.passUnretained(holder).toOpaque())
        guard started == 0 else { throw SystemError(operation: "start namespace thread", errno: started) }
        pthread_join(thread, nil)
        if let failure = holder.failure { throw failure }
    }

    /// Whether both descriptors name the same namespace (same nsfs inode), whatever their paths.
    public func isSame(as other: NetworkNamespace) throws -> Bool {
        var mine = stat(), theirs = stat()
        guard fstat(fd, &mine) == 0 else { throw SystemError(operation: "inspect network namespace", path: path, errno: errno) }
        guard fstat(other.fd, &theirs) == 0 else {
            throw SystemError(operation: "inspect network namespace", path: other.path, errno: errno)
        }
        return mine.st_dev == theirs.st_dev && mine.st_ino == theirs.st_ino
    }

    /// Run `body` with the calling thread inside this namespace, then return the thread to where it
    /// was, also when `body` throws. `setns` switches only the calling thread: callers must be
    /// single-threaded (the plugin is), and must not hop threads inside `body`.
    ///
    /// Returning is retried (a transient failure must not strand the thread); if it still fails,
    /// `NamespaceEscapeError` is thrown. The thread is then inside this namespace, so the caller
    /// may only finish with sockets opened before (they stay bound to their own namespace) and
    /// must report the failure and exit rather than open anything new.
    public func run<T>(_ body: () throws -> T) throws -> T {
        let origin = try NetworkNamespace.current()
        guard cnl_enter_network_namespace(fd) == 0 else {
            throw SystemError(operation: "enter network namespace", path: path, errno: errno)
        }
        let outcome = Result { try body() }
        var code: Int32 = 0
        for _ in 0..<3 {
            if cnl_enter_network_namespace(origin.fd) == 0 { return try outcome.get() }
            code = errno
        }
        throw NamespaceEscapeError(origin: origin.path, errno: code)
    }
}

/// The thread could not return from a container's namespace to the host's. Nothing that depends
/// on the thread's namespace (new sockets, `/proc/sys/net`) may run after this: stop and report.
public struct NamespaceEscapeError: Error, CustomStringConvertible, Sendable {
    public let origin: String
    public let errno: Int32

    public var description: String {
        "cannot return to network namespace \(origin): \(String(cString: strerror(errno)))"
    }
}

private final class PathBox: @unchecked Sendable {
    let path: String
    var failure: SystemError?
    init(_ path: String) { self.path = path }
}
