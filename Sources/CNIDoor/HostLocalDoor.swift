import CNI
import NetAddress
import Pontoon

/// Pontoon's in-process host-local, served as a standalone IPAM plugin when the binary is invoked
/// as `host-local`: a drop-in for the reference plugin over the same lease store.
public enum HostLocalDoor: CNIPlugin {
    public static let name = "host-local"

    public static func serve(_ request: CNIRequest, environment: [String: String]) throws -> CNIServed {
        // DEL needs only the store's location: ranges it does not use cannot stop it.
        let plan = request.command == .del ? try request.teardownIPAMPlan() : try request.ipamPlan()
        guard case .hostLocal(let config) = plan else {
            throw CNIError(.invalidNetworkConfig, "ipam.type must be \"host-local\" for this plugin")
        }
        let allocator = HostLocalAllocator(config: config)
        switch request.command {
        case .add:
            let leased = try allocator.allocate(for: request.attachmentID, requesting: try request.requestedIPs())
            let result = AttachmentResult(ips: leased.addresses.map { .init(interface: nil, address: $0.address, gateway: $0.gateway) },
                                          routes: leased.routes, dns: leased.dns)
            let undo = { _ = try? allocator.release(request.attachmentID) }
            do {
                return CNIServed(output: try WireResult(result, version: request.version).json, undo: undo)
            } catch {
                undo()
                throw error
            }
        case .del:
            try allocator.release(request.attachmentID)
        case .check:
            let previous = try request.previousResult()
            try allocator.check(request.attachmentID, addresses: previous?.ips.map(\.address.address) ?? [])
        case .gc:
            try allocator.garbageCollect(keeping: request.validAttachments)
        case .status:
            try allocator.readiness()
        case .version:
            break
        }
        return CNIServed()
    }
}
