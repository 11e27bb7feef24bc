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
        let fd = open(path, O_RDONLY | O_CLOEXEC)
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

    /// Run `body` with the calling thread inside this namespace, then return the thread to where it
    /// was, also when `body` throws. `setns` switches only the calling thread: callers must be
    /// single-threaded (the plugin is), and must not hop threads inside `body`.
    public func run<T>(_ body: () throws -> T) throws -> T {
        let origin = try NetworkNamespace.current()
        guard cnl_enter_network_namespace(fd) == 0 else {
            throw SystemError(operation: "enter network namespace", path: path, errno: errno)
        }
        defer {
            // Staying in the container's namespace would make every later host-side step act on
            // the container: there is no safe way to continue.
            if cnl_enter_network_namespace(origin.fd) != 0 {
                fatalError("cannot return to network namespace \(origin.path): \(String(cString: strerror(errno)))")
            }
        }
        return try body()
    }
}
