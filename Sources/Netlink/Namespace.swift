import CNetlink
#if canImport(Glibc)
import Glibc
#endif

/// A network namespace held open by file descriptor (`/run/netns/<name>`, `/proc/<pid>/ns/net`).
public final class NetworkNamespace {
    public let fd: Int32
    public let path: String

    public init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError(operation: "open network namespace", path: path, errno: errno) }
        self.fd = fd
        self.path = path
    }

    /// The namespace the calling thread is in now.
    public static func current() throws -> NetworkNamespace {
        try NetworkNamespace(path: "/proc/thread-self/ns/net")
    }

    deinit { close(fd) }

    /// Run `body` with the calling thread inside this namespace, then return the thread to where it
    /// was, also when `body` throws. `setns` switches only the calling thread: callers must be
    /// single-threaded (the plugin is).
    public func run<T>(_ body: () throws -> T) throws -> T {
        let origin = try NetworkNamespace.current()
        guard cnl_enter_network_namespace(fd) == 0 else {
            throw SystemError(operation: "enter network namespace", path: path, errno: errno)
        }
        defer {
            // Staying in the container's namespace would make every later host-side step act on
            // the container: there is no safe way to continue.
            if cnl_enter_network_namespace(origin.fd) != 0 {
                fatalError("cannot return to the original network namespace: \(String(cString: strerror(errno)))")
            }
        }
        return try body()
    }
}
