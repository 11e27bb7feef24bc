import NetAddress
import Netlink
#if canImport(Glibc)
import Glibc
#endif

/// The host device a macvlan or ipvlan network hangs off, and the one request that makes a
/// container's link on it. Every refusal names the network and the parent, before anything is made.
enum LinkedParent {
    /// The named parent, or (none named) the device of the default route, IPv4 first, in the
    /// namespace of `socket` (the host's, or the container's for `parentInContainer`).
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
        if linked.driver == .macvlan, parent.kind == "macvlan" {
            try checkMacvlanParent(parent, linked: linked, what: what, socket: socket)
        }
        if let mtu = network.mtu, mtu > parent.mtu {
            throw PontoonError(.invalidConfiguration, "network \(network.name): mtu \(mtu) is above the MTU \(parent.mtu) of parent \(parent.name)")
        }
        return parent
    }

    /// A macvlan named as parent: the kernel hangs the new link off that macvlan's own parent
    /// (the real device) with the mode asked for. So a passthru parent allows nothing (passthru
    /// holds the real device alone), passthru cannot join it, and another mode would not be the
    /// parent's mode at all: each refused by name here, before the kernel's bare EINVAL or a surprise.
    private static func checkMacvlanParent(_ parent: Link, linked: LinkedNetwork, what: String, socket: RouteSocket) throws {
        let mode = parent.macvlanMode?.name ?? "unknown"
        let real = (parent.peerNamespaceID == nil ? parent.peerIndex.flatMap { try? socket.link(index: $0) }?.name : nil)
            ?? "its own parent"
        if parent.macvlanMode == .passthru {
            throw PontoonError(.invalidConfiguration,
                               "\(what) \(parent.name) is a macvlan in passthru mode: the kernel allows no other macvlan on \(real) beside it")
        }
        if linked.mode == "passthru" {
            throw PontoonError(.invalidConfiguration,
                               "\(what) \(parent.name) is itself a macvlan (mode \(mode)): mode passthru needs \(real) to itself, and \(parent.name) is on it")
        }
        if linked.mode != mode {
            throw PontoonError(.invalidConfiguration,
                               "\(what) \(parent.name) is a macvlan in mode \(mode), not \(linked.mode): the kernel would put mode \(linked.mode) links on \(real) beside it; name \(real) as parent, or use mode \(mode)")
        }
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
        } catch let error as NetlinkError where error.errno == EINVAL && linked.driver == .macvlan {
            // With the mode, MAC and MTU checked before, the kernel's only EINVAL left is passthru's
            // rule; the macvlans already on the parent may live in other namespaces, out of sight.
            let why = linked.mode == "passthru"
                ? "mode passthru needs the parent to itself, and it already carries macvlan links"
                : "a macvlan in passthru mode already holds it, and passthru allows no other macvlan"
            throw PontoonError(.invalidConfiguration,
                               "network \(network.name): the kernel refused a macvlan in mode \(linked.mode) on parent \(parent.name): \(why)",
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
