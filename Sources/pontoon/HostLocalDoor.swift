import CNI
import NetAddress
import Pontoon

/// Pontoon's in-process host-local, served as a standalone IPAM plugin when the binary is invoked
/// as `host-local`: a drop-in for the reference plugin over the same lease store.
struct HostLocalDoor {
    let environment: [String: String]
    let stdin: [UInt8]

    func run() -> ProcessIO.Answer {
        var version: CNIVersion?
        do {
            let cniEnvironment = try CNIEnvironment(environment)
            if cniEnvironment.command == .version {
                return ProcessIO.Answer(output: try VersionInfo(stdin: stdin).json, status: 0)
            }
            let request = try CNIRequest(environment: cniEnvironment, stdin: stdin)
            version = request.version
            PluginSetup.configureLog(request, environment: environment, door: "host-local")
            guard case .hostLocal(let config) = try request.ipamPlan() else {
                throw CNIError(.invalidNetworkConfig, "ipam.type must be \"host-local\" for this plugin")
            }
            let allocator = HostLocalAllocator(config: config)
            var output: [UInt8] = []
            switch request.command {
            case .add:
                let attachment = Attachment(id: request.attachmentID, netnsPath: cniEnvironment.netns,
                                            network: BridgeNetwork(name: config.networkName),
                                            requestedIPs: try request.requestedIPs())
                let leased = try allocator.allocate(for: attachment)
                let result = AttachmentResult(ips: leased.addresses.map { .init(interface: nil, address: $0.address, gateway: $0.gateway) },
                                              routes: leased.routes, dns: leased.dns)
                output = try WireResult(result, version: request.version).json
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
            return ProcessIO.Answer(output: output, status: 0)
        } catch {
            let cniError = CNIError(any: error)
            Log.error("failed: \(cniError)")
            return ProcessIO.Answer(output: cniError.json(version: version ?? CNIVersion.declared(in: stdin)), status: 1)
        }
    }
}
