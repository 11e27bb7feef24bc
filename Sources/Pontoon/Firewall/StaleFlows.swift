import NetAddress
import Netlink

/// UDP flows that reached a host port before it was mapped keep their conntrack entry (and their
/// missing DNAT) while packets keep flowing: both drivers delete them after mapping the ports.
/// Per address family: a filtered flush per port, or one dump for a range of many ports (see
/// `deleteConntrackEntries`); either walks the kernel's whole conntrack hash.
enum StaleFlows {
    static func forget(_ attachment: FirewallAttachment, socket: @autoclosure () throws -> NetfilterSocket) throws {
        var ports: [IPFamily: Set<UInt16>] = [:]
        for port in attachment.hostPorts where port.transport == .udp {
            for offset in 0..<port.count { ports[port.family, default: []].insert(port.hostPort &+ offset) }
        }
        guard !ports.isEmpty else { return }
        let socket = try socket()
        for family in IPFamily.allCases {
            if let set = ports[family] { try socket.deleteConntrackEntries(family: family, transport: 17, destinationPorts: set) }
        }
    }
}
