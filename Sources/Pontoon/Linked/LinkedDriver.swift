import NetAddress
import Netlink

/// macvlan and ipvlan networks: the container's interface is a link on a host device (the
/// parent), born inside the container's namespace under its final name. No bridge, no firewall,
/// no host-side interface: as with netavark, these networks are the parent's LAN, not routed by
/// the host. The doors reach it through `Engine` when `BridgeNetwork.linked` is set.
struct LinkedDriver: NetworkDriver {
    let records: RecordStore

    /// ADD: parent checks, lease, the link, addresses, routes, record; each step with its undo.
    func add(_ attachment: Attachment, ipam: (any AddressAllocator)?) throws -> (result: AttachmentResult, undo: AttachmentUndo) {
        let network = attachment.network
        guard let linked = network.linked else { throw PontoonError(.system, "network \(network.name) is not a macvlan or ipvlan network") }
        let ifName = attachment.id.ifName
        let (netnsPath, namespace, host, container) = try Namespaces.openForAdd(attachment.netnsPath, ifName: ifName)
        // With the parent in the container, the request goes to the container's namespace alone.
        let side = linked.parentInContainer ? container : host
        let parent = try LinkedParent.find(linked, network: network, socket: side)
        if linked.driver == .ipvlan, let mac = attachment.requestedMAC {
            throw PontoonError(.invalidConfiguration, "network \(network.name): static MAC \(mac) cannot be honoured: ipvlan links share the parent's MAC")
        }

        var rollback = Rollback()
        do {
            let leased = try attachment.lease(from: ipam, rollback: &rollback)
            let made = try LinkedParent.create(linked, on: parent, network: network, name: ifName, mac: attachment.requestedMAC,
                                               host: side, namespace: namespace, container: container)
            rollback.add("\(linked.driver.rawValue) \(ifName) in \(netnsPath)") { try container.deleteLink(index: made.index) }
            let link = try ContainerInterface(socket: container, namespace: namespace, network: network, name: ifName)
                .configure(index: made.index, addresses: leased.addresses, routes: leased.routes)
            let result = AttachmentResult(
                interfaces: [.init(name: link.name, mac: link.mac, mtu: link.mtu, sandbox: netnsPath)],
                ips: leased.addresses.map { .init(interface: 0, address: $0.address, gateway: $0.gateway) },
                routes: leased.routes,
                dns: network.dns.isEmpty ? leased.dns : network.dns)
            // `bridge` holds the parent; there is no host-side interface.
            try records.save(AttachmentRecord(
                id: attachment.id, network: network.name, netns: netnsPath, bridge: parent.name, hostInterface: "",
                containerMAC: link.mac, addresses: leased.addresses.map(\.address), portMappings: []))
            rollback.add("record of \(attachment.id)") { [records] in try records.remove(network: network.name, id: attachment.id) }
            return (result, AttachmentUndo(rollback: rollback))
        } catch {
            rollback.run()
            throw error
        }
    }

    /// DEL: the link inside the container (nothing of it lives on the host: a namespace that is
    /// gone took it along), the lease, the record. Anything already gone is fine.
    func delete(_ attachment: Attachment, ipam: (any AddressAllocator)?, previous: AttachmentResult?) throws {
        let network = attachment.network.name
        let record = records.load(network: network, id: attachment.id)
        if let path = attachment.netnsPath ?? record?.netns {
            try removeLink(attachment.id.ifName, netnsPath: path)
        }
        try ipam?.release(attachment.id)
        try records.remove(network: network, id: attachment.id)
    }

    /// CHECK: the link is there, of the network's kind, with the MAC ADD reported.
    func check(_ attachment: Attachment, ipam: (any AddressAllocator)?, previous: AttachmentResult) throws {
        guard let linked = attachment.network.linked, let path = attachment.netnsPath else {
            throw PontoonError(.checkFailed, "CHECK needs the container's network namespace path")
        }
        let container = try RouteSocket.inside(try Namespaces.open(path))
        guard let link = try container.link(named: attachment.id.ifName), link.kind == linked.driver.rawValue else {
            throw PontoonError(.checkFailed, "\(linked.driver.rawValue) \(attachment.id.ifName) is missing in \(path)")
        }
        if let reported = previous.interfaces.first(where: { $0.sandbox != nil })?.mac, reported != link.mac {
            throw PontoonError(.checkFailed, "\(attachment.id.ifName) has MAC \(link.mac.map(String.init(describing:)) ?? "none"), ADD reported \(reported)")
        }
        try ipam?.check(attachment.id, addresses: previous.ips.map(\.address.address))
    }

    /// STATUS: netlink works, records can be written, the parent is there (a host parent: one in
    /// a container is that container's), IPAM is ready.
    func status(network: BridgeNetwork, ipam: (any AddressAllocator)?) throws {
        let host: RouteSocket
        do { host = try RouteSocket() } catch { throw PontoonError(.notReady, "netlink is not usable", details: "\(error)") }
        guard FileSystem.isWritable(records.directory) else {
            throw PontoonError(.notReady, "cannot write attachment records: \(records.directory) is not writable")
        }
        if let linked = network.linked, !linked.parentInContainer {
            do { _ = try LinkedParent.find(linked, network: network, socket: host) } catch { throw PontoonError(.notReady, "\(error)") }
        }
        try ipam?.readiness()
    }

    /// GC: leases and records of attachments not in `valid`, and their links where still reachable.
    func garbageCollect(network: BridgeNetwork, keeping valid: Set<AttachmentID>, ipam: (any AddressAllocator)?) throws {
        try ipam?.garbageCollect(keeping: valid)
        for record in records.all(network: network.name) where !valid.contains(record.id) {
            if let path = record.netns { try removeLink(record.ifName, netnsPath: path) }
            try records.remove(network: network.name, id: record.id)
        }
        try records.removeAbandonedTemporaries(network: network.name)
    }

    /// Deletes `name` in the namespace when it is a macvlan or ipvlan link; an unreachable
    /// namespace, a missing link or a device of another kind is left alone.
    private func removeLink(_ name: String, netnsPath: String) throws {
        let container: RouteSocket
        do {
            let namespace = try Namespaces.open(netnsPath)
            if try Namespaces.isHost(namespace) {
                Log.warning("namespace \(netnsPath) is the host's own: nothing is deleted there by the name \(name)")
                return
            }
            container = try RouteSocket.inside(namespace)
        } catch let error as NamespaceEscapeError {
            throw error
        } catch {
            Log.info("namespace \(netnsPath) unreachable: its links went with it (\(error))")
            return
        }
        guard let link = try container.link(named: name) else { return }
        guard link.kind == "macvlan" || link.kind == "ipvlan" else {
            Log.warning("\(name) in \(netnsPath) is a \(link.kind ?? "device of unknown kind"), not a link Pontoon made: left alone")
            return
        }
        do {
            try container.deleteLink(index: link.index)
        } catch let error as NetlinkError where error.isNoDevice {
        }
    }
}
