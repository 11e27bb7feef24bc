import NetAddress
import Netlink

/// IP forwarding on the host, when the bridge routes the containers' traffic.
enum Forwarding {
    static func enable(for network: BridgeNetwork, families: Set<IPFamily>) throws {
        guard network.actsAsGateway else { return }
        if families.contains(.v4) { try Sysctl.set("net/ipv4/ip_forward", "1") }
        if families.contains(.v6) { try Sysctl.set("net/ipv6/conf/all/forwarding", "1") }
    }
}
