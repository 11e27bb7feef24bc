import CNI
import Pontoon

/// DEL's reading of a request: only what tearing down needs (the network's name, the bridge, the
/// lease store, the records), so settings DEL does not use (ports, bandwidth, DNS, addresses, MAC,
/// VLANs, MTU, anything unknown) never stop a teardown. containerd retries a failed DEL forever and
/// the pod's addresses stay leased meanwhile.
extension CNIRequest {
    /// The attachment to remove. The bridge guards removing the host end by name; the record's
    /// bridge is preferred by the engine, and a bridge name that cannot exist is not used.
    public func teardownAttachment() throws(CNIError) -> Attachment {
        var network = BridgeNetwork(name: try networkName())
        // macvlan/ipvlan: the engine's driver for them removes the link inside the container.
        if let driver = linkedDriver {
            network.linked = try? LinkedNetwork(driver: driver, mode: nil, parent: nil, network: network.name)
        }
        if let bridge = config.bridge, !bridge.isEmpty, Names.interfaceNameProblem(bridge) == nil {
            network.bridgeName = bridge
        }
        return Attachment(id: attachmentID, netnsPath: environment.netns, network: network)
    }

    /// Where the leases are: host-local's store (its location only; ranges are not needed to
    /// release), or the delegated plugin to run.
    public func teardownIPAMPlan() throws(CNIError) -> IPAMPlan {
        guard let ipam = config.ipam, let type = ipam.type, !type.isEmpty else { return .none }
        guard type == "host-local" else { return .delegated(type: try delegatedIPAMType(type)) }
        var config = HostLocalConfig(networkName: try networkName(), dataDir: ipam.dataDir.flatMap { $0.isEmpty ? nil : $0 },
                                     rangeSets: [])
        config.lockTimeout = try lockTimeout()
        return .hostLocal(config)
    }
}
