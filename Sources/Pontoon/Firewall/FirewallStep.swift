import NetAddress

/// The firewall's part of ADD and DEL, between the bridge driver and `FirewallMembership`.
struct FirewallStep {
    let attachment: Attachment
    let records: RecordStore
    let firewalls: FirewallFactory

    /// Join the network's firewall with the attachment's addresses and port mappings; registers
    /// the undo. Returns what to record.
    /// `hostInterface` and `mac` are the container's veth on the bridge and its MAC, for the MAC
    /// spoof check.
    /// `gateways` are the network's addresses on the bridge, where a DNS redirect points.
    func join(addresses: [IPNetwork], gateways: [IPAddress], hostInterface: String, mac: MACAddress?,
              rollback: inout Rollback) throws -> FirewallAttachment? {
        let network = attachment.network
        let spoofChecked = network.macSpoofCheck
        let state = try FirewallAttachment(id: attachment.id, addresses: addresses.map(\.address), mappings: attachment.portMappings,
                                           hostInterface: spoofChecked ? hostInterface : nil, mac: spoofChecked ? mac : nil)
        let definition = FirewallNetwork(name: network.name, bridge: network.bridgeName, kind: network.firewall,
                                         subnets: addresses, ipMasq: network.ipMasq,
                                         isolation: network.isolation, macSpoofCheck: spoofChecked,
                                         dnsRedirect: Self.dnsRedirect(network, gateways: gateways))
        let membership = FirewallMembership(stateDirectory: records.directory, network: network.name, firewalls: firewalls)
        try membership.join(state, network: definition)
        rollback.add("firewall state of \(attachment.id)") { try membership.leave(state.id, attachment: state) }
        return state
    }

    /// Only a network whose bridge holds the gateways can receive the queries.
    static func dnsRedirect(_ network: BridgeNetwork, gateways: [IPAddress]) -> DNSRedirect? {
        guard let port = network.dnsPort, port != 53, network.actsAsGateway else { return nil }
        var seen: [IPAddress] = []
        for gateway in gateways where !seen.contains(gateway) { seen.append(gateway) }
        return seen.isEmpty ? nil : DNSRedirect(port: port, addresses: seen)
    }

    static func leave(_ id: AttachmentID, attachment: FirewallAttachment?, network: String, records: RecordStore,
                      firewalls: FirewallFactory) throws {
        try FirewallMembership(stateDirectory: records.directory, network: network, firewalls: firewalls).leave(id, attachment: attachment)
    }
}
