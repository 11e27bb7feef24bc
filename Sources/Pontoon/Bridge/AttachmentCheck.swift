import NetAddress
import Netlink

/// CHECK: what ADD reported (`prevResult`) against what is there, failing on the first difference
/// with a message that names it.
struct AttachmentCheck {
    let attachment: Attachment
    let previous: AttachmentResult

    var network: BridgeNetwork { attachment.network }
    var ifName: String { attachment.id.ifName }

    func run() throws {
        guard let netnsPath = attachment.netnsPath else {
            throw PontoonError(.invalidConfiguration, "CHECK needs the container's network namespace path")
        }
        let namespace = try Namespaces.open(netnsPath)
        let host = try RouteSocket()
        let container = try RouteSocket.inside(namespace)

        guard let reportedIndex = previous.interfaces.firstIndex(where: { $0.name == ifName && $0.sandbox != nil }) else {
            throw failure("prevResult lists no interface \(ifName) inside the container")
        }
        let reported = previous.interfaces[reportedIndex]

        guard let bridge = try host.link(named: network.bridgeName) else { throw failure("bridge \(network.bridgeName) does not exist") }
        guard bridge.kind == "bridge" else { throw failure("\(network.bridgeName) is not a bridge (kind \(bridge.kind ?? "unknown"))") }

        guard let link = try container.link(named: ifName) else { throw failure("interface \(ifName) is missing in \(netnsPath)") }
        guard link.kind == "veth" else { throw failure("\(ifName) in \(netnsPath) is a \(link.kind ?? "device of unknown kind"), not a veth") }
        if let mac = reported.mac, link.mac != mac {
            throw failure("\(ifName) in \(netnsPath) has MAC \(link.mac.map(String.init(describing:)) ?? "none"), ADD reported \(mac)")
        }

        if let hostName = previous.interfaces.first(where: { $0.sandbox == nil && $0.name != network.bridgeName })?.name {
            guard let port = try host.link(named: hostName) else { throw failure("host interface \(hostName) is missing") }
            guard port.masterIndex == bridge.index else { throw failure("host interface \(hostName) is not a port of \(network.bridgeName)") }
            if let peer = link.peerIndex, peer != port.index {
                throw failure("host interface \(hostName) is not the peer of \(ifName) in \(netnsPath)")
            }
        }

        let present = Set(try container.addresses(index: link.index, family: nil).map(\.address))
        for ip in previous.ips where ip.interface == nil || ip.interface == reportedIndex {
            guard present.contains(ip.address) else { throw failure("address \(ip.address) is missing on \(ifName) in \(netnsPath)") }
        }

        // One routing-table read per family, however many routes ADD reported.
        var installedByFamily: [IPFamily: [RouteEntry]] = [:]
        for route in previous.routes {
            let gateway = route.gateway ?? previous.ips.first { $0.gateway?.family == route.family }?.gateway
            let installed = try installedByFamily[route.family] ?? container.routes(family: route.family)
            installedByFamily[route.family] = installed
            let found = installed.contains {
                $0.destination == route.destination.masked && $0.gateway == gateway
                    && (route.table == nil || $0.table == route.table.map(UInt32.init))
            }
            guard found else {
                throw failure("route \(route.destination)\(gateway.map { " via \($0)" } ?? "") is missing in \(netnsPath)")
            }
        }
    }

    private func failure(_ message: String) -> PontoonError {
        PontoonError(.checkFailed, message)
    }
}
