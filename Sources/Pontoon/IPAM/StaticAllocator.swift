import NetAddress

/// Addresses the caller already assigned (netavark's `static_ips`: podman keeps its own address
/// database), served as they are. Nothing is stored, so release, check and GC have nothing to do.
public struct StaticAllocator: AddressAllocator, Sendable {
    public let assigned: IPAMResult

    public init(_ assigned: IPAMResult) {
        self.assigned = assigned
    }

    public func allocate(for id: AttachmentID, requesting requested: [IPAddress]) throws -> IPAMResult {
        let served = Set(assigned.addresses.map(\.address.address))
        if let missing = requested.first(where: { !served.contains($0) }) {
            throw PontoonError(.addressUnavailable, "requested IP address \(missing) is not among the assigned addresses")
        }
        return assigned
    }

    public func release(_ id: AttachmentID) throws {}
    public func check(_ id: AttachmentID, addresses: [IPAddress]) throws {}
    public func garbageCollect(keeping valid: Set<AttachmentID>) throws {}
}
