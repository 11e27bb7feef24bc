import Netlink

/// DEL and GC: remove an attachment's interfaces, lease and record. Whatever is already gone (the
/// namespace, the link, the lease) is fine, so a second DEL is a no-op. Only what the attachment
/// made is removed: a veth inside the container, or the host veth its record names when that is
/// still a port of the network's bridge.
struct AttachmentTeardown {
    let records: RecordStore
    let firewalls: FirewallFactory
    let network: BridgeNetwork
    /// Opened before any namespace switch, so it stays bound to the host whatever happens later.
    let host: RouteSocket

    init(records: RecordStore, firewalls: FirewallFactory, network: BridgeNetwork) throws {
        self.records = records
        self.firewalls = firewalls
        self.network = network
        host = try RouteSocket()
    }

    func remove(_ id: AttachmentID, netnsPath: String?, previous: AttachmentResult?, ipam: (any AddressAllocator)?,
                mappings: [PortMapping] = []) throws {
        let record = records.load(network: network.name, id: id)
        // The firewall state ADD recorded; without a record, what prevResult and the config describe.
        let firewalled = record?.firewall ?? (try? FirewallAttachment(
            id: id, addresses: previous?.ips.map(\.address.address) ?? [], mappings: mappings))
        try FirewallStep.leave(id, attachment: firewalled, network: network.name, records: records, firewalls: firewalls)
        let lifetime = BridgeLifetime(records: records, network: network)
        if let record, try lifetime.removeLast(id, hostInterface: record.hostInterface, bridge: record.bridge, host: host,
                                               release: { try ipam?.release(id) }) {
            // The container's end went with its peer. A namespace whose interface of that name was
            // another veth still has it: removed as any DEL removes it.
            if let path = netnsPath ?? record.netns { _ = try removeContainerInterface(id.ifName, netnsPath: path) }
            return
        }
        var removedInContainer = false
        if let path = netnsPath ?? record?.netns {
            removedInContainer = try removeContainerInterface(id.ifName, netnsPath: path)
        }
        if !removedInContainer {
            // The namespace is gone or unreachable: the host end may survive it (a process can keep
            // a namespace alive after its file is removed), so remove it by name.
            let hostName = record?.hostInterface
                ?? previous?.interfaces.first { $0.sandbox == nil && $0.name != network.bridgeName }?.name
            // The record's bridge first: the config may have changed since ADD.
            if let hostName { try removeHostInterface(hostName, bridge: record?.bridge ?? network.bridgeName) }
        }
        try ipam?.release(id)
        try lifetime.removeRecord(id, host: host, bridge: record?.bridge)
    }

    /// GC of an attachment the runtime no longer knows: its host end (and with it the container
    /// end) and its record. The lease is released by the IPAM's own GC.
    func removeStale(_ record: AttachmentRecord) throws {
        try FirewallStep.leave(record.id, attachment: record.firewall, network: network.name, records: records, firewalls: firewalls)
        try removeHostInterface(record.hostInterface, bridge: record.bridge)
        try records.remove(network: network.name, id: record.id)
    }

    /// True when the namespace was reachable and holds no veth of that name any more (deleted now,
    /// or already gone); false when the host side must be cleaned up instead.
    private func removeContainerInterface(_ name: String, netnsPath: String) throws -> Bool {
        let container: RouteSocket
        do {
            let namespace = try Namespaces.open(netnsPath)
            if try Namespaces.isHost(namespace) {
                // A "container" namespace that is the host's: deleting `name` there could delete the
                // bridge or any host device. Only the record's host veth may go (below).
                Log.warning("namespace \(netnsPath) is the host's own: nothing is deleted there by the name \(name)")
                return false
            }
            container = try RouteSocket.inside(namespace)
        } catch let error as NamespaceEscapeError {
            throw error
        } catch {
            Log.info("namespace \(netnsPath) unreachable, cleaning up from the host side: \(error)")
            return false
        }
        guard let link = try container.link(named: name) else { return true }
        guard link.kind == "veth" else {
            Log.warning("\(name) in \(netnsPath) is a \(link.kind ?? "device of unknown kind"), not a veth Pontoon made: left alone")
            return false
        }
        do {
            try container.deleteLink(index: link.index)
        } catch let error as NetlinkError where error.isNoDevice {
            // Deleted concurrently: the outcome we wanted.
        }
        return true
    }

    /// Only a veth that is a port of this network's bridge: a random name could have been reused.
    private func removeHostInterface(_ name: String, bridge: String) throws {
        guard let link = try host.link(named: name), link.kind == "veth",
              link.masterIndex == (try host.link(named: bridge))?.index else { return }
        do {
            try host.deleteLink(index: link.index)
        } catch let error as NetlinkError where error.isNoDevice {
        }
    }
}
