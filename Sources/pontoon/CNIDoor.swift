import CNI
import Pontoon

/// The CNI plugin: `CNI_*` environment and network config in, a Result or an error document out.
struct CNIDoor {
    let environment: [String: String]
    let stdin: [UInt8]

    func run() -> ProcessIO.Answer {
        CNIInvocation.answer(environment: environment, stdin: stdin, door: "CNI", serve: serve)
    }

    private func serve(_ request: CNIRequest) throws -> CNIInvocation.Served {
        if request.command == .del { return try delete(request) }
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
            let attachment = portsNotHeldElsewhere(try request.attachment(network: network), driver: driver)
            let (result, undo) = try driver.add(attachment, ipam: ipam, firewall: network.firewall.driver(stateDirectory: stateDirectory))
            do {
                return .init(output: try WireResult(result, version: request.version).json, undo: { undo() })
            } catch {
                undo()
                throw error
            }
        case .del:
            return try delete(request)
        case .check:
            guard let previous = try request.previousResult() else {
                throw CNIError(.invalidNetworkConfig, "CHECK needs prevResult", details: "the runtime passes the result of ADD as prevResult")
            }
            try driver.check(portsNotHeldElsewhere(try request.attachment(network: network), driver: driver), ipam: ipam, previous: previous)
            return .init()
        case .status:
            try driver.status(network: network, ipam: ipam)
            return .init()
        case .gc:
            try driver.garbageCollect(network: network, keeping: request.validAttachments, ipam: ipam)
            return .init()
        case .version:
            return .init(output: try VersionInfo(stdin: stdin).json) // answered before decoding; kept for exhaustiveness
        }
    }

    /// podman's CNI backend sends the container's whole port list to every network it joins; the
    /// ports go to the first of them (see `portsHeldElsewhere`).
    private func portsNotHeldElsewhere(_ attachment: Attachment, driver: BridgeDriver) -> Attachment {
        guard !attachment.portMappings.isEmpty else { return attachment }
        var attachment = attachment
        let held = driver.portsHeldElsewhere(by: attachment.id.containerID, network: attachment.network.name)
        attachment.portMappings.removeAll(where: held.contains)
        return attachment
    }

    /// DEL reads only what tearing down needs, so no runtime setting can stop it; a `prevResult`
    /// that cannot be read is not used (the attachment record says what to remove).
    private func delete(_ request: CNIRequest) throws -> CNIInvocation.Served {
        var attachment = try request.teardownAttachment()
        // Only for a DEL without a record (the record says exactly what the firewall made).
        attachment.portMappings = (try? request.portMappings()) ?? []
        let ipam = PluginSetup.allocator(try request.teardownIPAMPlan(), request: request)
        let driver = BridgeDriver(stateDirectory: try PluginSetup.stateDirectory(request, environment: environment))
        let held = driver.portsHeld(by: attachment.id, network: attachment.network.name)
        try driver.delete(attachment, ipam: ipam, previous: try? request.previousResult())
        if !held.isEmpty {
            // The container leaves the network holding its host ports but stays on another: the
            // ports move there, as portmap's rules on that network would take over.
            do {
                _ = try driver.handOverPorts(held, containerID: attachment.id.containerID, excluding: [attachment.network.name])
            } catch {
                Log.error("moving the host ports of \(attachment.id.containerID) to another network failed: \(error)")
            }
        }
        return .init()
    }
}
