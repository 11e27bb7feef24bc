import NetAddress
import Netlink

/// One ADD, step by step, each step registering its undo so a failure anywhere leaves the host and
/// the container as they were.
struct AttachmentSetup {
    let attachment: Attachment
    let ipam: (any AddressAllocator)?
    let records: RecordStore
    let firewalls: FirewallFactory

    var network: BridgeNetwork { attachment.network }
    var ifName: String { attachment.id.ifName }

    /// The result, and how to undo everything this ADD made (for when the result cannot be
    /// delivered: the caller would never send the DEL).
    func run() throws -> (AttachmentResult, AttachmentUndo) {
        // Checked first so a taken name fails before anything is made.
        let (netnsPath, namespace, host, container) = try Namespaces.openForAdd(attachment.netnsPath, ifName: ifName)

        Timing.mark("namespaces")
        var rollback = Rollback()
        do {
            let leased = try attachment.lease(from: ipam, rollback: &rollback)
            Timing.mark("ipam")
            let ensured = try BridgeDevice(socket: host, network: network).ensure(rollback: &rollback)
            var bridge = ensured.link
            if network.actsAsGateway {
                try BridgeDevice(socket: host, network: network).assignGateways(of: leased.addresses, to: bridge, rollback: &rollback)
            }

            let routes = routes(leased)
            // The netlink work, marked step by step: on a bridge of 1,000 ports the kernel's part of
            // each grows differently (scripts/bench records the phases at 1 and at 1,000 attached).
            let veth = try createVethPair(host: host, container: container, namespace: namespace, netnsPath: netnsPath, rollback: &rollback)
            Timing.mark("veth")
            let containerInterface = ContainerInterface(socket: container, namespace: namespace, network: network, name: ifName)
            let containerLink = try containerInterface
                .configure(index: veth.containerIndex, addresses: leased.addresses, routes: routes)
            Timing.mark("container")
            let hostLink = veth.host
            try BridgePort(socket: host, network: network).attach(hostLink, to: bridge)
            Timing.mark("port")
            // A bridge this ADD made has no neighbour that could hold another MAC for these
            // addresses: its neighbour table is new, and the addresses were leased before it existed,
            // so no container on it had them. Nothing to announce (netavark mode makes the bridge
            // for each network's first container).
            if !ensured.created {
                try containerInterface.announce(containerLink, addresses: leased.addresses, port: hostLink.index, host: host)
            }
            Timing.mark("announce")
            if bridge.mtu != hostLink.mtu, let adjusted = try host.link(index: bridge.index) {
                bridge = adjusted   // a port of another MTU changes the bridge's (unless set): report it as it is now
            }
            try Forwarding.enable(for: network, families: Set(leased.addresses.map(\.address.family)), host: host)
            Timing.mark("forwarding")
            let firewalled = try FirewallStep(attachment: attachment, records: records, firewalls: firewalls)
                .join(addresses: leased.addresses.map(\.address), gateways: leased.addresses.compactMap(\.gateway),
                      hostInterface: hostLink.name, mac: containerLink.mac,
                      rollback: &rollback)
            Timing.mark("firewall")

            let result = AttachmentResult(
                interfaces: [
                    .init(name: bridge.name, mac: bridge.mac, mtu: bridge.mtu),
                    .init(name: hostLink.name, mac: hostLink.mac, mtu: hostLink.mtu),
                    .init(name: containerLink.name, mac: containerLink.mac, mtu: containerLink.mtu, sandbox: netnsPath),
                ],
                ips: leased.addresses.map { .init(interface: 2, address: $0.address, gateway: $0.gateway) },
                routes: routes,
                dns: network.dns.isEmpty ? leased.dns : network.dns)
            try records.save(AttachmentRecord(
                id: attachment.id, network: network.name, netns: netnsPath, bridge: bridge.name,
                hostInterface: hostLink.name, containerMAC: containerLink.mac,
                addresses: leased.addresses.map(\.address), portMappings: attachment.portMappings, firewall: firewalled))
            rollback.add("record of \(attachment.id)") { [records] in try records.remove(network: network.name, id: attachment.id) }
            Timing.mark("record")
            return (result, AttachmentUndo(rollback: rollback))
        } catch {
            rollback.run()
            throw error
        }
    }

    /// The pair, with the peer born inside the container (one netlink request instead of create
    /// and move, which costs the kernel 15–27 ms). Host names are random; a collision is retried.
    private func createVethPair(host: RouteSocket, container: RouteSocket, namespace: NetworkNamespace, netnsPath: String,
                                rollback: inout Rollback) throws -> (host: Link, containerIndex: Int32) {
        var attempts = 0
        while true {
            let hostName = InterfaceNames.randomHostVeth()
            let hostLink: Link
            do {
                hostLink = try host.createVethPair(name: hostName, peerName: ifName, peerNamespace: namespace,
                                                   mtu: network.mtu, mac: nil, peerMAC: attachment.requestedMAC)
            } catch let error as NetlinkError where error.isExists {
                if try container.link(named: ifName) != nil {
                    throw PontoonError(.interfaceExists, "interface \(ifName) already exists in \(netnsPath)")
                }
                attempts += 1
                if attempts < 8 { continue }
                throw error
            } catch {
                // The kernel may have made the pair and only the answer was lost: find it by its
                // (random, so ours) host name and delete it with the rest.
                rollback.add("veth \(hostName) (creation answer lost)") {
                    if let made = try host.link(named: hostName), made.kind == "veth" { try host.deleteLink(index: made.index) }
                }
                throw error
            }
            // Deleting one end deletes both, including the one inside the container.
            rollback.add("veth \(hostName)") { try host.deleteLink(index: hostLink.index) }
            // The host end names its peer's index inside the container: no lookup needed.
            guard let containerIndex = hostLink.peerIndex else {
                throw PontoonError(.system, "veth \(hostName) reports no peer in \(netnsPath)")
            }
            return (hostLink, containerIndex)
        }
    }

    /// Routes to install in the container (and to report, as the reference does): IPAM's, plus a
    /// default route per family through the gateway when the bridge is the default gateway.
    private func routes(_ leased: IPAMResult) -> [Route] {
        var routes: [Route] = []
        for route in leased.routes + defaultRoutes(leased) where !routes.contains(route) {
            routes.append(route)
        }
        return routes
    }

    private func defaultRoutes(_ leased: IPAMResult) -> [Route] {
        guard network.isDefaultGateway else { return [] }
        var seen = Set<IPFamily>()
        return leased.addresses.compactMap { assigned in
            guard let gateway = assigned.gateway, seen.insert(gateway.family).inserted,
                  !leased.routes.contains(where: { $0.destination.prefixLength == 0 && $0.family == gateway.family }) else { return nil }
            return Route(destination: .everything(gateway.family), gateway: gateway)
        }
    }
}
