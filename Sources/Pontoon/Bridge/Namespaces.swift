import Netlink

/// Opening a container's network namespace, with a "does not exist" that maps to CNI code 3.
enum Namespaces {
    static func open(_ path: String) throws -> NetworkNamespace {
        do {
            return try NetworkNamespace(path: path)
        } catch let error as SystemError where error.isNotFound {
            throw PontoonError(.containerMissing, "network namespace \(path) does not exist")
        }
    }

    /// Whether `namespace` is the one this thread runs in: the host's, never a container's.
    static func isHost(_ namespace: NetworkNamespace) throws -> Bool {
        try namespace.isSame(as: NetworkNamespace.current())
    }

    /// A "container" namespace that is the host's own would have the plugin create, and DEL
    /// delete, host interfaces by the container's interface name (e.g. the bridge itself).
    static func refuseHost(_ namespace: NetworkNamespace) throws {
        if try isHost(namespace) {
            throw PontoonError(.invalidRequest, "network namespace \(namespace.path) is the host's own",
                               details: "a container needs a network namespace of its own")
        }
    }

    /// What every ADD needs first, checked before anything is made: the container's namespace
    /// (not the host's), a route socket on each side, and the interface name still free in it.
    static func openForAdd(_ netnsPath: String?, ifName: String) throws
        -> (path: String, namespace: NetworkNamespace, host: RouteSocket, container: RouteSocket) {
        guard let netnsPath else {
            throw PontoonError(.invalidConfiguration, "ADD needs the container's network namespace path")
        }
        let namespace = try open(netnsPath)
        let host = try RouteSocket()
        try refuseHost(namespace)
        let container = try RouteSocket.inside(namespace)
        if try container.link(named: ifName) != nil {
            throw PontoonError(.interfaceExists, "interface \(ifName) already exists in \(netnsPath)")
        }
        return (netnsPath, namespace, host, container)
    }
}
