import Netlink

/// DEL and GC: remove an attachment's interfaces, lease and record. Whatever is already gone (the
/// namespace, the link, the lease) is fine, so a second DEL is a no-op.
struct AttachmentTeardown {
    let records: RecordStore
    let network: BridgeNetwork

    func remove(_ id: AttachmentID, netnsPath: String?, previous: AttachmentResult?, ipam: (any AddressAllocator)?,
                mappings: [PortMapping] = []) throws {
        let record = records.load(network: network.name, id: id)
        // The firewall state ADD recorded; without a record, what prevResult and the config describe.
        let firewalled = record?.firewall ?? (try? FirewallAttachment(
            id: id, addresses: previous?.ips.map(\.address.address) ?? [], mappings: mappings))
        try FirewallStep.leave(id, attachment: firewalled, network: network.name, records: records)
        var removedInContainer = false
        if let path = netnsPath ?? record?.netns {
            removedInContainer = try removeContainerInterface(id.ifName, netnsPath: path)
        }
        if !removedInContainer {
            // The namespace is gone or unreachable: the host end may survive it (a process can keep
            // a namespace alive after its file is removed), so remove it by name.
            let hostName = record?.hostInterface
                ?? previous?.interfaces.first { $0.sandbox == nil && $0.name != network.bridgeName }?.name
            if let hostName { try removeHostInterface(hostName) }
        }
        try ipam?.release(id)
        try records.remove(network: network.name, id: id)
    }

    /// GC of an attachment the runtime no longer knows: its host end (and with it the container
    /// end) and its record. The lease is released by the IPAM's own GC.
    func removeStale(_ record: AttachmentRecord) throws {
        try FirewallStep.leave(record.id, attachment: record.firewall, network: network.name, records: records)
        try removeHostInterface(record.hostInterface)
        try records.remove(network: network.name, id: record.id)
    }

    /// True when the namespace was reachable (and the interface, if there, is now deleted).
    private func removeContainerInterface(_ name: String, netnsPath: String) throws -> Bool {
        let container: RouteSocket
        do {
            container = try RouteSocket.inside(try Namespaces.open(netnsPath))
        } catch {
            Log.info("namespace \(netnsPath) unreachable, cleaning up from the host side: \(error)")
            return false
        }
        guard let link = try container.link(named: name) else { return true }
        do {
            try container.deleteLink(index: link.index)
        } catch let error as NetlinkError where error.isNoDevice {
            // Deleted concurrently: the outcome we wanted.
        }
        return true
    }

    /// Only a veth that is a port of this network's bridge: a random name could have been reused.
    private func removeHostInterface(_ name: String) throws {
        let host = try RouteSocket()
        guard let link = try host.link(named: name), link.kind == "veth",
              link.masterIndex == (try host.link(named: network.bridgeName))?.index else { return }
        do {
            try host.deleteLink(index: link.index)
        } catch let error as NetlinkError where error.isNoDevice {
        }
    }
}
