import CNetlink
#if canImport(Glibc)
import Glibc
#endif

/// rtnetlink: links, addresses, routes, bridge VLANs (see the extensions), over a `NetlinkSocket`.
/// One per namespace, reused for every request: a socket opened inside a container keeps talking
/// to that container's kernel state after the thread has switched back to the host.
public final class RouteSocket {
    public let netlink: NetlinkSocket

    /// A socket in the calling thread's current namespace.
    public init() throws {
        netlink = try NetlinkSocket(.route)
    }

    /// A socket inside `namespace`, usable from wherever the thread is afterwards.
    public init(in namespace: NetworkNamespace) throws {
        netlink = try NetlinkSocket(.route, in: namespace)
    }

    /// Same as `init(in:)`.
    public static func inside(_ namespace: NetworkNamespace) throws -> RouteSocket {
        try RouteSocket(in: namespace)
    }

    var filtersDumps: Bool { netlink.filtersDumps }

    @discardableResult
    func execute(_ operation: @autoclosure @escaping () -> String, type: Int32, flags: Int32 = 0,
                 build: (Request) -> Void) throws -> [NetlinkMessage] {
        try netlink.execute(operation(), type: type, flags: flags, build: build)
    }

    func fetch(_ operation: @autoclosure @escaping () -> String, type: Int32, build: (Request) -> Void) throws -> NetlinkMessage? {
        try netlink.fetch(operation(), type: type, build: build)
    }

    func dump(_ operation: @autoclosure @escaping () -> String, type: Int32, build: (Request) -> Void) throws -> [NetlinkMessage] {
        try netlink.dump(operation(), type: type, build: build)
    }
}
