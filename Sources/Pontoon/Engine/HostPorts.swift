/// Host-port ownership across a container's networks. A container's host ports live on exactly one
/// of its routed networks: the first attachment of an ADD that carries them, unless the container
/// already holds them on a network outside that ADD. podman's CNI backend sends the whole port
/// list with every network's ADD (the reference `portmap` writes them again and its first rules
/// win); netavark's `setup` sends them once for all networks. When the holding network is torn
/// down while the container stays on another routed network, the ports move there, as netavark's
/// (or portmap's) rules on the remaining network take over.
extension Engine {
    /// The requests with the host ports given to one network only, and none that the container
    /// already holds elsewhere (mapping those again would refuse the container's own ports: 106).
    func withHostPortsOwned(_ requests: [AttachmentRequest]) -> [AttachmentRequest] {
        guard let containerID = requests.first?.attachment.id.containerID,
              requests.contains(where: { !$0.attachment.portMappings.isEmpty }) else { return requests }
        let elsewhere = hostPortsHeldElsewhere(by: containerID, excluding: Set(requests.map(\.attachment.network.name)))
        var owned = false
        return requests.map { request in
            var request = request
            if owned {
                request.attachment.portMappings = []
            } else {
                request.attachment.portMappings.removeAll(where: elsewhere.contains)
                owned = !request.attachment.portMappings.isEmpty
            }
            return request
        }
    }

    /// The host ports the container's records on other networks hold. Lists names only; reads the
    /// container's own records.
    func hostPortsHeldElsewhere(by containerID: String, excluding networks: Set<String>) -> Set<PortMapping> {
        Set(records.records(ofContainer: containerID, excluding: networks)
            .filter { !($0.firewall?.hostPorts.isEmpty ?? true) }
            .flatMap(\.portMappings))
    }

    /// The host ports one of these attachments holds (from its record), to hand over when they go.
    func hostPortsHeld(by requests: [AttachmentRequest]) -> [PortMapping] {
        requests.lazy.compactMap { records.load(network: $0.attachment.network.name, id: $0.attachment.id) }
            .first { !($0.firewall?.hostPorts.isEmpty ?? true) }?.portMappings ?? []
    }

    /// Move `mappings` to the first (by name) of the container's other networks whose firewall
    /// writes rules; the network's name, or nil when there is none.
    func handOverHostPorts(_ mappings: [PortMapping], containerID: String, excluding torn: Set<String>) throws -> String? {
        guard !mappings.isEmpty else { return nil }
        let candidates = records.records(ofContainer: containerID, excluding: torn)
            .filter { $0.firewall?.hostPorts.isEmpty ?? true }
            .sorted { $0.network < $1.network }
        for var record in candidates {
            let membership = FirewallMembership(stateDirectory: records.directory, network: record.network, firewalls: firewalls)
            guard let network = try membership.recorded(), network.kind != .none else { continue }
            let state = try FirewallAttachment(id: record.id, addresses: record.addresses.map(\.address), mappings: mappings)
            try membership.join(state, network: network)
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
