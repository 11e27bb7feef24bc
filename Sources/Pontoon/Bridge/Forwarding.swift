import NetAddress
import Netlink

/// IP forwarding on the host, when the bridge routes the containers' traffic.
enum Forwarding {
    /// Asked over netlink (`host`, the host's socket), written through /proc/sys only when off:
    /// on a host of a thousand network namespaces a process's first /proc/sys/net lookup costs
    /// milliseconds, and forwarding is on for every ADD but the first. A kernel that does not
    /// answer the netlink question (IPv6 compiled out, or no RTM_GETNETCONF) gets the sysctl
    /// path as before, whose error names the key when forwarding is off and cannot be set.
    static func enable(for network: BridgeNetwork, families: Set<IPFamily>, host: RouteSocket) throws {
        guard network.actsAsGateway else { return }
        for family in [IPFamily.v4, .v6] where families.contains(family) {
            if (try? host.forwarding(family)) == true { continue }
            try Sysctl.set(key(family), "1")
        }
    }

    static func key(_ family: IPFamily) -> String {
        family == .v4 ? "net/ipv4/ip_forward" : "net/ipv6/conf/all/forwarding"
    }
}
