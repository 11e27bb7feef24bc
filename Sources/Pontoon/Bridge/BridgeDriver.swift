import NetAddress
import Netlink

/// The bridge network driver: gives a container namespace an interface on a Linux bridge, entirely
/// over netlink from this one process. Every operation is synchronous and single-threaded because
/// `setns` switches only the calling thread. The doors reach it through `Engine`.
struct BridgeDriver: NetworkDriver {
    let records: RecordStore
    let firewalls: FirewallFactory

    /// ADD: bridge, veth pair (peer born inside the container), addresses, routes, lease, record.
    /// Any failure undoes everything this call made and rethrows. On success, `undo` removes it
    /// all again exactly (a bridge it created included), for a result that cannot be delivered.
    func add(_ attachment: Attachment, ipam: (any AddressAllocator)?) throws -> (result: AttachmentResult, undo: AttachmentUndo) {
        defer { logNetlinkCount() }
        let lifetime = BridgeLifetime(records: records, network: attachment.network)
        guard lifetime.applies else {
            return try AttachmentSetup(attachment: attachment, ipam: ipam, records: records, firewalls: firewalls).run()
        }
        // Opened before any namespace switch: whatever happens in the container's namespace, the
        // bridge looked for (and deleted) afterwards is the host's.
        let host = try RouteSocket()
        do {
            let (result, undo) = try lifetime.attaching {
                try AttachmentSetup(attachment: attachment, ipam: ipam, records: records, firewalls: firewalls).run()
            }
            return (result, undo.followed(by: { try lifetime.retireIfUnused(host: host) }))
        } catch {
            // The failed ADD may have made the bridge: it goes when nobody else is on it.
            do { try lifetime.retireIfUnused(host: host) } catch let retire { Log.error("removing the unused bridge failed: \(retire)") }
            throw error
        }
    }

    /// DEL: remove the firewall state, the container interface, the lease and the record; anything
    /// already gone is fine. The firewall state removed is the one recorded at ADD.
    func delete(_ attachment: Attachment, ipam: (any AddressAllocator)?, previous: AttachmentResult?) throws {
        defer { logNetlinkCount() }
        try AttachmentTeardown(records: records, firewalls: firewalls, network: attachment.network)
            .remove(attachment.id, netnsPath: attachment.netnsPath, previous: previous, ipam: ipam,
                    mappings: attachment.portMappings)
    }

    /// CHECK: compare what ADD reported with what is there, naming the first difference.
    func check(_ attachment: Attachment, ipam: (any AddressAllocator)?, previous: AttachmentResult) throws {
        try AttachmentCheck(attachment: attachment, previous: previous).run()
        if let ipam {
            let addresses = previous.ips.map(\.address.address)
            try ipam.check(attachment.id, addresses: addresses)
        }
        let membership = FirewallMembership(stateDirectory: records.directory, network: attachment.network.name, firewalls: firewalls)
        if let network = try membership.recorded() {
            let state = try records.load(network: attachment.network.name, id: attachment.id)?.firewall
                ?? FirewallAttachment(id: attachment.id, addresses: previous.ips.map(\.address.address), mappings: attachment.portMappings)
            try firewalls.driver(network.kind).check(state, network: network)
        } else if attachment.network.firewall != .none {
            throw PontoonError(.checkFailed, "network \(attachment.network.name) has no firewall rules")
        }
    }

    /// How many netlink messages the operation sent: the cost of ADD and DEL must not grow with the
    /// number of attachments on the host (tests read the first number). The looks that waited for
    /// the carrier are counted apart: their number follows the machine's load.
    private func logNetlinkCount() {
        let waits = ContainerInterface.carrierWaitMessages
        Log.debug("netlink messages sent: \(NetlinkSocket.messagesSent - waits), and \(waits) more waiting for the carrier")
    }

    /// STATUS: whether an ADD could be served now.
    func status(network: BridgeNetwork, ipam: (any AddressAllocator)?) throws {
        do {
            _ = try RouteSocket()
        } catch {
            throw PontoonError(.notReady, "netlink is not usable", details: "\(error)")
        }
        guard FileSystem.isWritable(records.directory) else {
            throw PontoonError(.notReady, "cannot write attachment records: \(records.directory) is not writable")
        }
        try ipam?.readiness()
        try firewalls.driver(network.firewall).readiness()
    }

    /// GC: release leases and remove host interfaces and records of attachments not in `valid`.
    func garbageCollect(network: BridgeNetwork, keeping valid: Set<AttachmentID>, ipam: (any AddressAllocator)?) throws {
        try ipam?.garbageCollect(keeping: valid)
        let stale = records.all(network: network.name).filter { !valid.contains($0.id) }
        if !stale.isEmpty {
            let teardown = try AttachmentTeardown(records: records, firewalls: firewalls, network: network)
            for record in stale { try teardown.removeStale(record) }
            try BridgeLifetime(records: records, network: network).retireIfUnused(host: teardown.host)
        }
        // Half-written records of ADDs that were killed before they could rename them.
        try records.removeAbandonedTemporaries(network: network.name)
        // Firewall members whose record is gone too (a DEL that never came, an ADD killed early).
        try FirewallMembership(stateDirectory: records.directory, network: network.name, firewalls: firewalls).collect(keeping: valid, records: records)
    }
}
