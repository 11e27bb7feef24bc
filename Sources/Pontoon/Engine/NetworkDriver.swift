/// What gives a container an interface on one kind of network: the bridge today (`BridgeDriver`),
/// macvlan and ipvlan next. A driver makes and removes links, addresses, routes, leases, firewall
/// membership and the attachment record for one network; what spans a container's networks (all
/// or nothing, host-port ownership) is `Engine`'s. Every call is synchronous and single-threaded:
/// `setns` switches only the calling thread.
protocol NetworkDriver {
    /// ADD. A failure undoes everything this call made; on success `undo` removes it all again.
    func add(_ attachment: Attachment, ipam: (any AddressAllocator)?) throws -> (result: AttachmentResult, undo: AttachmentUndo)

    /// DEL: anything already gone is fine. The record says what to undo first, then `previous`,
    /// then the attachment as the caller describes it.
    func delete(_ attachment: Attachment, ipam: (any AddressAllocator)?, previous: AttachmentResult?) throws

    /// CHECK: compare what ADD reported with what is there, naming the first difference.
    func check(_ attachment: Attachment, ipam: (any AddressAllocator)?, previous: AttachmentResult) throws

    /// STATUS: whether an ADD could be served now.
    func status(network: BridgeNetwork, ipam: (any AddressAllocator)?) throws

    /// GC: remove what belongs to attachments not in `valid`.
    func garbageCollect(network: BridgeNetwork, keeping valid: Set<AttachmentID>, ipam: (any AddressAllocator)?) throws
}
