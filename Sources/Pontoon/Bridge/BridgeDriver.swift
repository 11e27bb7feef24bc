import NetAddress
import Netlink

/// The bridge network driver: gives a container namespace an interface on a Linux bridge, entirely
/// over netlink from this one process. Every operation is synchronous and single-threaded because
/// `setns` switches only the calling thread.
public struct BridgeDriver {
    let records: RecordStore

    public init(stateDirectory: String) {
        records = RecordStore(stateDirectory: stateDirectory)
    }

    /// ADD: bridge, veth pair (peer born inside the container), addresses, routes, lease, record.
    /// Any failure undoes everything this call made and rethrows. On success, `undo` removes it
    /// all again exactly (a bridge it created included), for a result that cannot be delivered.
    public func add(_ attachment: Attachment, ipam: (any AddressAllocator)?) throws -> (result: AttachmentResult, undo: AttachmentUndo) {
        try AttachmentSetup(attachment: attachment, ipam: ipam, records: records).run()
    }

    /// DEL: remove the container interface, the lease and the record; anything already gone is fine.
    public func delete(_ attachment: Attachment, ipam: (any AddressAllocator)?, previous: AttachmentResult?) throws {
        try AttachmentTeardown(records: records, network: attachment.network)
            .remove(attachment.id, netnsPath: attachment.netnsPath, previous: previous, ipam: ipam)
    }

    /// CHECK: compare what ADD reported with what is there, naming the first difference.
    public func check(_ attachment: Attachment, ipam: (any AddressAllocator)?, previous: AttachmentResult) throws {
        try AttachmentCheck(attachment: attachment, previous: previous).run()
        if let ipam {
            let addresses = previous.ips.map(\.address.address)
            try ipam.check(attachment.id, addresses: addresses)
        }
    }

    /// STATUS: whether an ADD could be served now.
    public func status(network: BridgeNetwork, ipam: (any AddressAllocator)?) throws {
        do {
            _ = try RouteSocket()
        } catch {
            throw PontoonError(.notReady, "netlink is not usable", details: "\(error)")
        }
        guard FileSystem.isWritable(records.directory) else {
            throw PontoonError(.notReady, "cannot write attachment records: \(records.directory) is not writable")
        }
        try ipam?.readiness()
    }

    /// GC: release leases and remove host interfaces and records of attachments not in `valid`.
    public func garbageCollect(network: BridgeNetwork, keeping valid: Set<AttachmentID>, ipam: (any AddressAllocator)?) throws {
        try ipam?.garbageCollect(keeping: valid)
        let stale = records.all(network: network.name).filter { !valid.contains($0.id) }
        if !stale.isEmpty {
            let teardown = try AttachmentTeardown(records: records, network: network)
            for record in stale { try teardown.removeStale(record) }
        }
        // Half-written records of ADDs that were killed before they could rename them.
        try records.removeAbandonedTemporaries(network: network.name)
    }
}
