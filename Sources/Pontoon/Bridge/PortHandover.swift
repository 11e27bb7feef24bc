extension BridgeDriver {
    /// A container's host ports live on one of its routed networks (the netavark door's
    /// `portNetwork`, the CNI door's first ADD). When that network is torn down while the container
    /// stays on another routed network, the ports move there, as netavark's (or portmap's) rules on
    /// the remaining network take over. The
    /// remaining network is the first by name whose firewall writes rules; nil when there is none.
    public func handOverPorts(_ mappings: [PortMapping], containerID: String, excluding torn: Set<String>) throws -> String? {
        guard !mappings.isEmpty else { return nil }
        let candidates = records.records(ofContainer: containerID, excluding: torn)
            .filter { $0.firewall?.hostPorts.isEmpty ?? true }
            .sorted { $0.network < $1.network }
        for var record in candidates {
            let membership = FirewallMembership(stateDirectory: records.directory, network: record.network)
            guard let network = try membership.recorded(), network.kind != .none else { continue }
            let state = try FirewallAttachment(id: record.id, addresses: record.addresses.map(\.address), mappings: mappings)
            try membership.join(state, network: network, firewall: network.kind.driver(stateDirectory: records.directory))
            record.portMappings = mappings
            record.firewall = state
            do {
                try records.save(record)
            } catch {
                try? membership.leave(state.id, attachment: state)
                throw error
            }
            return record.network
        }
        return nil
    }

    /// podman's CNI backend sends a container's whole port list with the ADD of every network it
    /// joins (the reference `portmap` writes them again and its first rules win). The ports the
    /// container already holds on another of its networks stay there; mapping them again would
    /// refuse the container's own ports as taken (106). Lists names only; reads the container's
    /// own records.
    public func portsHeldElsewhere(by containerID: String, network: String) -> Set<PortMapping> {
        Set(records.records(ofContainer: containerID, excluding: [network])
            .filter { !($0.firewall?.hostPorts.isEmpty ?? true) }
            .flatMap(\.portMappings))
    }

    /// The host ports this attachment's firewall state holds (from its record), to hand over when
    /// it is torn down while the container stays on another network.
    public func portsHeld(by id: AttachmentID, network: String) -> [PortMapping] {
        guard let record = records.load(network: network, id: id), !(record.firewall?.hostPorts.isEmpty ?? true) else { return [] }
        return record.portMappings
    }
}
