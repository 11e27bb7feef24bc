extension BridgeDriver {
    /// netavark mode: a container's host ports live on one of its routed networks (see the door's
    /// `portNetwork`). When that network is torn down while the container stays on another routed
    /// network, the ports move there, as netavark's rules on the remaining network take over. The
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
}
