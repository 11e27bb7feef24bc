import CNI
import Pontoon

/// The CNI plugin: `CNI_*` environment and network config in, a Result or an error document out.
/// Decode, map to an engine request, call the engine, encode: nothing else happens here.
public struct CNIDoor {
    let environment: [String: String]
    let stdin: [UInt8]

    public init(environment: [String: String], stdin: [UInt8]) {
        self.environment = environment
        self.stdin = stdin
    }

    public func run() -> PluginAnswer {
        CNIInvocation.answer(environment: environment, stdin: stdin, door: "CNI", serve: serve)
    }

    private func serve(_ request: CNIRequest) throws -> CNIInvocation.Served {
        if request.command == .del { return try delete(request) }
        let network = try request.bridgeNetwork()
        let plan = try request.ipamPlan()
        let ipam = PluginSetup.allocator(plan, request: request)
        let engine = Engine(stateDirectory: try PluginSetup.stateDirectory(request, environment: environment))
        switch request.command {
        case .add:
            if request.version.resultFormat == .legacy, case .none = plan {
                throw CNIError(.incompatibleVersion, "cniVersion \(request.version) cannot describe a network without ipam",
                               details: "use cniVersion 0.3.0 or later for layer-2 only networks")
            }
            let (results, undo) = try engine.attach([AttachmentRequest(try request.attachment(network: network), ipam: ipam)])
            do {
                return .init(output: try WireResult(results[0], version: request.version).json, undo: { undo() })
            } catch {
                undo()
                throw error
            }
        case .check:
            guard let previous = try request.previousResult() else {
                throw CNIError(.invalidNetworkConfig, "CHECK needs prevResult", details: "the runtime passes the result of ADD as prevResult")
            }
            try engine.check(AttachmentRequest(try request.attachment(network: network), ipam: ipam), previous: previous)
            return .init()
        case .status:
            try engine.status(network: network, ipam: ipam)
            return .init()
        case .gc:
            try engine.collectGarbage(network: network, keeping: request.validAttachments, ipam: ipam)
            return .init()
        case .version, .del:
            // VERSION is answered before decoding, DEL above; listed for exhaustiveness.
            return .init()
        }
    }

    /// DEL reads only what tearing down needs, so no runtime setting can stop it; a `prevResult`
    /// that cannot be read is not used (the attachment record says what to remove).
    private func delete(_ request: CNIRequest) throws -> CNIInvocation.Served {
        var attachment = try request.teardownAttachment()
        // Only for a DEL without a record (the record says exactly what the firewall made).
        attachment.portMappings = (try? request.portMappings()) ?? []
        let ipam = PluginSetup.allocator(try request.teardownIPAMPlan(), request: request)
        let engine = Engine(stateDirectory: try PluginSetup.stateDirectory(request, environment: environment))
        try engine.detach([AttachmentRequest(attachment, ipam: ipam, previous: try? request.previousResult())])
        return .init()
    }
}
