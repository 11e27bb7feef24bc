import CNetlink
import NetAddress
#if canImport(Glibc)
import Glibc
#endif

/// The kinds of link that hang off a parent device and share its wire: macvlan (own MAC per
/// link) and ipvlan (the parent's MAC, told apart by address).
public enum LinkedKind: Sendable, Equatable {
    case macvlan(MacvlanMode)
    case ipvlan(IpvlanMode)

    var kindName: String {
        switch self {
        case .macvlan: "macvlan"
        case .ipvlan: "ipvlan"
        }
    }
}

/// `MACVLAN_MODE_*` of <linux/if_link.h>: which links of one parent may talk to each other.
public enum MacvlanMode: UInt32, Sendable, CaseIterable {
    case privateMode = 1, vepa = 2, bridge = 4, passthru = 8, source = 16

    /// The name `ip link` and podman use for the mode.
    public var name: String {
        switch self {
        case .privateMode: "private"
        case .vepa: "vepa"
        case .bridge: "bridge"
        case .passthru: "passthru"
        case .source: "source"
        }
    }
}

/// `IPVLAN_MODE_*` of <linux/if_link.h>: where the link does its switching or routing.
public enum IpvlanMode: UInt16, Sendable, CaseIterable {
    case l2 = 0, l3 = 1, l3s = 2
}

extension RouteSocket {
    /// A macvlan or ipvlan link on `parentIndex` (an index in this socket's namespace), born inside
    /// `namespace` under its final `name`: one RTM_NEWLINK, so no half-made link is ever visible on
    /// the host, and a host device of the same name is no conflict. Returns the new link's index in
    /// `namespace` (looked up there through `inside`, a socket opened in it).
    public func createLinked(_ kind: LinkedKind, name: String, parentIndex: Int32, namespace: NetworkNamespace,
                             inside: RouteSocket, mtu: Int?, mac: MACAddress?) throws -> Link {
        let operation = "create \(kind.kindName) \(name) on link #\(parentIndex) in \(namespace.path)"
        _ = try execute(operation, type: Int32(RTM_NEWLINK), flags: NLM_F_CREATE | NLM_F_EXCL,
                    build: Self.linkedCreation(kind, name: name, parentIndex: parentIndex, namespaceFD: namespace.fd, mtu: mtu, mac: mac))
        guard let link = try inside.link(named: name) else {
            throw NetlinkError(operation: operation, errno: ENODEV, kernelMessage: "link vanished right after creation")
        }
        return link
    }

    /// The request body: the link's name, parent, target namespace, MTU and MAC, then its kind and mode.
    public static func linkedCreation(_ kind: LinkedKind, name: String, parentIndex: Int32, namespaceFD: Int32,
                                      mtu: Int?, mac: MACAddress?) -> (Request) -> Void {
        { request in
            request.newLink(name: name, mtu: mtu, mac: mac)
            request.put(IFLA_LINK, u32: UInt32(bitPattern: parentIndex))
            request.put(IFLA_NET_NS_FD, u32: UInt32(bitPattern: namespaceFD))
            request.nest(IFLA_LINKINFO) {
                request.put(IFLA_INFO_KIND, string: kind.kindName)
                request.nest(IFLA_INFO_DATA) {
                    switch kind {
                    case .macvlan(let mode): request.put(IFLA_MACVLAN_MODE, u32: mode.rawValue)
                    case .ipvlan(let mode): request.put(IFLA_IPVLAN_MODE, u16: mode.rawValue)
                    }
                }
            }
        }
    }
}

extension Link {
    /// `IFF_LOOPBACK`: no macvlan or ipvlan may hang off it.
    public var isLoopback: Bool { flags & 0x8 != 0 }
}
