import CNI
import Pontoon

/// The CNI plugin: `CNI_*` environment and network config in, a Result or an error document out.
/// Decode, map to an engine request, call the engine, encode: nothing else happens here.
public enum CNIDoor: CNIPlugin {
    public static let name = "CNI"

    public static func serve(_ request: CNIRequest, environment: [String: String]) throws -> CNIServed {
        switch request.command {
        case .add: return try add(request, environment: environment)
        case .del: try delete(request, environment: environment)
        case .check: try check(request, environment: environment)
        case .status:
            let (engine, network, _, ipam) = try prepare(request, environment: environment)
            try engine.status(network: network, ipam: ipam)
        case .gc:
            let (engine, network, _, ipam) = try prepare(request, environment: environment)
            try engine.collectGarbage(network: network, keeping: request.validAttachments, ipam: ipam)
        case .version:
            break // answered before the request is decoded
        }
        return CNIServed()
    }

    /// The engine, the network and the allocator for every command but DEL, which reads less.
    private static func prepare(_ request: CNIRequest, environment: [String: String]) throws
        -> (Engine, BridgeNetwork, IPAMPlan, (any AddressAllocator)?) {
        let network = try request.bridgeNetwork()
        let plan = try request.ipamPlan()
        let ipam = PluginSetup.allocator(plan, request: request)
        let engine = Engine(stateDirectory: try PluginSetup.stateDirectory(request, environment: environment))
        return (engine, network, plan, ipam)
    }

    private static func add(_ request: CNIRequest, environment: [String: String]) throws -> CNIServed {
        let (engine, network, plan, ipam) = try prepare(request, environment: environment)
        if request.version.resultFormat == .legacy, case .none = plan {
            throw CNIError(.incompatibleVersion, "cniVersion \(request.version) cannot describe a network without ipam",
                           details: "use cniVersion 0.3.0 or later for layer-2 only networks")
        }
        let (results, undo) = try engine.attach([AttachmentRequest(try request.attachment(network: network), ipam: ipam)])
        do {
            return CNIServed(output: try WireResult(results[0], version: request.version).json, undo: { undo() })
        } catch {
            undo()
            throw error
        }
    }

    private static func check(_ request: CNIRequest, environment: [String: String]) throws {
        let (engine, network, _, ipam) = try prepare(request, environment: environment)
        guard let previous = try request.previousResult() else {
            throw CNIError(.invalidNetworkConfig, "CHECK needs prevResult", details: "the runtime passes the result of ADD as prevResult")
        }
        try engine.check(AttachmentRequest(try request.attachment(network: network), ipam: ipam), previous: previous)
    }

    /// DEL reads only what tearing down needs, so no runtime setting can stop it; a `prevResult`
    /// that cannot be read is not used (the attachment record says what to remove).
    private static func delete(_ request: CNIRequest, environment: [String: String]) throws {
        var attachment = try request.teardownAttachment()
        // Only for a DEL without a record (the record says exactly what the firewall made).
        attachment.portMappings = (try? request.portMappings()) ?? []
        let ipam = PluginSetup.allocator(try request.teardownIPAMPlan(), request: request)
        let engine = Engine(stateDirectory: try PluginSetup.stateDirectory(request, environment: environment))
        try engine.detach([AttachmentRequest(attachment, ipam: ipam, previous: try? request.previousResult())])
    }
}
