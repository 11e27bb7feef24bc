import NetAddress
import Netlink
#if canImport(Glibc)
import Glibc
#endif

/// The host device a macvlan or ipvlan network hangs off, and the one request that makes a
/// container's link on it. Every refusal names the network and the parent, before anything is made.
enum LinkedParent {
    /// The named parent, or (none named) the device of the host's default route, IPv4 first.
    static func find(_ linked: LinkedNetwork, network: BridgeNetwork, socket: RouteSocket) throws -> Link {
        let what = "network \(network.name): \(linked.driver.rawValue) parent"
        let parent: Link
        if let name = linked.parent {
            guard let link = try socket.link(named: name) else {
                throw PontoonError(.invalidConfiguration, "\(what) \(name) does not exist")
            }
            parent = link
        } else {
            let index = try [IPFamily.v4, .v6].lazy.compactMap { family in
                try socket.routes(family: family, table: RouteTable.main)
                    .first { $0.destination.prefixLength == 0 && $0.outputIndex != nil }?.outputIndex
            }.first
            guard let index, let link = try socket.link(index: index) else {
                throw PontoonError(.invalidConfiguration, "\(what) not given and the host has no default route to take it from")
            }
            parent = link
        }
        if parent.isLoopback {
            throw PontoonError(.invalidConfiguration, "\(what) \(parent.name) is the loopback device")
        }
        if let mtu = network.mtu, mtu > parent.mtu {
            throw PontoonError(.invalidConfiguration, "network \(network.name): mtu \(mtu) is above the MTU \(parent.mtu) of parent \(parent.name)")
        }
        return parent
    }

    /// The link, born in `namespace` as `name`; the kernel's refusal (a parent in passthru mode
    /// already, macvlan and ipvlan mixed on one parent) comes back naming the parent.
    static func create(_ linked: LinkedNetwork, on parent: Link, network: BridgeNetwork, name: String, mac: MACAddress?,
                       host: RouteSocket, namespace: NetworkNamespace, container: RouteSocket) throws -> Link {
        do {
            return try host.createLinked(kind(linked), name: name, parentIndex: parent.index, namespace: namespace,
                                         inside: container, mtu: network.mtu, mac: mac)
        } catch let error as NetlinkError where error.isExists {
            throw PontoonError(.interfaceExists, "interface \(name) already exists in \(namespace.path)")
        } catch let error as NetlinkError where error.errno == EOPNOTSUPP {
            // "Unknown device type": the kernel was built without the driver (or its module is absent).
            throw PontoonError(.unsupported, "network \(network.name): this kernel has no \(linked.driver.rawValue) support",
                               details: "\(error)")
        } catch let error as NetlinkError {
            throw PontoonError(.invalidConfiguration,
                               "network \(network.name): the kernel refused a \(linked.driver.rawValue) in mode \(linked.mode) on parent \(parent.name)",
                               details: "\(error)")
        }
    }

    private static func kind(_ linked: LinkedNetwork) -> LinkedKind {
        switch (linked.driver, linked.mode) {
        case (.macvlan, "private"): .macvlan(.privateMode)
        case (.macvlan, "vepa"): .macvlan(.vepa)
        case (.macvlan, "passthru"): .macvlan(.passthru)
        case (.macvlan, "source"): .macvlan(.source)
        case (.macvlan, _): .macvlan(.bridge)
        case (.ipvlan, "l3"): .ipvlan(.l3)
        case (.ipvlan, "l3s"): .ipvlan(.l3s)
        case (.ipvlan, _): .ipvlan(.l2)
        }
    }
}
