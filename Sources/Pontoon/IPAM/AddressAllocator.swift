import NetAddress

/// Where an attachment's addresses come from. The engine only sees this seam: host-local is served
/// in-process (`HostLocalAllocator`), any other CNI IPAM plugin is run by the CNI door.
public protocol AddressAllocator {
    /// Reserve addresses for the attachment, honouring every requested address (all or nothing).
    func allocate(for id: AttachmentID, requesting requested: [IPAddress]) throws -> IPAMResult
    /// Release whatever the attachment holds; succeeds when it holds nothing.
    func release(_ id: AttachmentID) throws
    /// Verify the attachment still holds exactly these addresses.
    func check(_ id: AttachmentID, addresses: [IPAddress]) throws
    /// Release every lease whose attachment is not in `valid`.
    func garbageCollect(keeping valid: Set<AttachmentID>) throws
    /// Whether an allocation could be served now (STATUS); throws `.notReady` with the reason.
    func readiness() throws
}

extension AddressAllocator {
    /// A delegated plugin answers STATUS for itself only when asked; by default assume ready.
    public func readiness() throws {}
}

extension Attachment {
    /// The attachment's addresses from `ipam` (none without one: ipam "none"), with their release
    /// as the rollback's first step. One place for every driver's ADD.
    func lease(from ipam: (any AddressAllocator)?, rollback: inout Rollback) throws -> IPAMResult {
        guard let ipam else { return IPAMResult() }
        let leased = try ipam.allocate(for: id, requesting: requestedIPs)
        rollback.add("lease of \(id)") { try ipam.release(id) }
        return leased
    }
}
