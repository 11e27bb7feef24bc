import CNI
import Pontoon

/// The CNI plugin: `CNI_*` environment and network config in, a Result or an error document out.
struct CNIDoor {
    let environment: [String: String]
    let stdin: [UInt8]

    func run() -> ProcessIO.Answer {
        CNIInvocation.answer(environment: environment, stdin: stdin, door: "CNI", serve: serve)
    }

    private func serve(_ request: CNIRequest) throws -> [UInt8] {
        let network = try request.bridgeNetwork()
        let plan = try request.ipamPlan()
        let ipam = PluginSetup.allocator(plan, request: request)
        let stateDirectory = try PluginSetup.stateDirectory(request, environment: environment)
        let driver = BridgeDriver(stateDirectory: stateDirectory)
        switch request.command {
        case .add:
            if request.version.resultFormat == .legacy, case .none = plan {
                throw CNIError(.incompatibleVersion, "cniVersion \(request.version) cannot describe a network without ipam",
                               details: "use cniVersion 0.3.0 or later for layer-2 only networks")
            }
            let attachment = try request.attachment(network: network)
            let result = try driver.add(attachment, ipam: ipam, firewall: network.firewall.driver(stateDirectory: stateDirectory))
            return try WireResult(result, version: request.version).json
        case .del:
            try driver.delete(try request.attachment(network: network), ipam: ipam, previous: try? request.previousResult())
            return []
        case .check:
            guard let previous = try request.previousResult() else {
                throw CNIError(.invalidNetworkConfig, "CHECK needs prevResult", details: "the runtime passes the result of ADD as prevResult")
            }
            try driver.check(try request.attachment(network: network), ipam: ipam, previous: previous)
            return []
        case .status:
            try driver.status(network: network, ipam: ipam)
            return []
        case .gc:
            try driver.garbageCollect(network: network, keeping: request.validAttachments, ipam: ipam)
            return []
        case .version:
            return try VersionInfo(stdin: stdin).json // answered before decoding; kept for exhaustiveness
        }
    }
}
