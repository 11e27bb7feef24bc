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
}
