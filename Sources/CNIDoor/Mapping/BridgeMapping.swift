import CNI
import NetAddress
import Pontoon

extension CNIRequest {
    /// The bridge network the config describes, with the reference plugin's validation.
    public func bridgeNetwork() throws(CNIError) -> BridgeNetwork {
        if let driver = linkedDriver { return try linkedNetwork(driver) }
        var network = BridgeNetwork(name: try networkName())
        if let bridge = config.bridge, !bridge.isEmpty {
            if let problem = Names.interfaceNameProblem(bridge) {
                throw CNIError(.invalidNetworkConfig, "invalid bridge name \"\(bridge)\": \(problem)")
            }
            network.bridgeName = bridge
        }
        network.isDefaultGateway = config.isDefaultGateway ?? false
        network.isGateway = (config.isGateway ?? false) || network.isDefaultGateway
        network.forceAddress = config.forceAddress ?? false
        network.ipMasq = config.ipMasq ?? false
        if let mtu = config.mtu, mtu != 0 {
            do { try NetworkLimits.validateMTU(mtu, key: "mtu") } catch { throw CNIError(error) }
            network.mtu = mtu
        }
        network.hairpinMode = config.hairpinMode ?? false
        network.promiscMode = config.promiscMode ?? false
        if network.hairpinMode && network.promiscMode {
            throw CNIError(.invalidNetworkConfig, "cannot set hairpinMode and promiscMode at the same time")
        }
        if let vlan = config.vlan, vlan != 0 {
            do { try NetworkLimits.validateVLAN(vlan, key: "vlan") } catch { throw CNIError(error) }
            network.vlan = vlan
        }
        network.vlanTrunk = try vlanTrunk()
        if network.vlan != nil && !network.vlanTrunk.isEmpty {
            throw CNIError(.invalidNetworkConfig, "cannot set vlan and vlanTrunk at the same time")
        }
        network.preserveDefaultVlan = config.preserveDefaultVlan ?? true
        network.enableDAD = config.enabledad ?? false
        network.macSpoofCheck = config.macspoofchk ?? false
        network.portIsolation = config.portIsolation ?? false
        // CNI's isolate cuts the network off from every other Pontoon bridge, both ways.
        network.isolation = config.isolate == true ? .strict : .off
        network.disableContainerInterface = config.disableContainerInterface ?? false
        network.dns = try config.dns.map { dns throws(CNIError) in try dns.model(key: "dns") } ?? DNS()
        network.firewall = try firewallKind()
        try rejectUnimplemented(network)
        return network
    }

    /// `firewall`, else the reference's `ipMasqBackend`, else nftables.
    private func firewallKind() throws(CNIError) -> FirewallKind {
        if let name = config.firewall {
            guard let kind = FirewallKind(rawValue: name.lowercased()) else {
                throw CNIError(.invalidNetworkConfig, "invalid firewall \"\(name)\": must be nftables, iptables or none")
            }
            return kind
        }
        if let name = config.ipMasqBackend, !name.isEmpty {
            guard let kind = FirewallKind(rawValue: name.lowercased()), kind != .none else {
                throw CNIError(.invalidNetworkConfig, "invalid ipMasqBackend \"\(name)\": must be iptables or nftables")
            }
            return kind
        }
        return .nftables
    }

    /// Keys Pontoon understands but cannot honour yet: refusing them is better than an attachment
    /// that silently lacks the filtering or shaping the operator asked for.
    private func rejectUnimplemented(_ network: BridgeNetwork) throws(CNIError) {
        guard command == .add || command == .check else { return }
        if network.firewall == .none && (network.macSpoofCheck || network.isolation != .off) {
            let key = network.macSpoofCheck ? "macspoofchk" : "isolate"
            throw CNIError(.unsupportedField, "\(key) needs a firewall driver, but firewall is \"none\"",
                           details: "use the nftables or iptables driver, or leave \(key) off")
        }
        if config.runtimeConfig?.bandwidth != nil {
            throw CNIError(.unsupportedField, "runtimeConfig.bandwidth is not supported", details: "Pontoon does not shape traffic")
        }
    }

    private func vlanTrunk() throws(CNIError) -> [ClosedRange<Int>] {
        var ranges: [ClosedRange<Int>] = []
        for (i, entry) in (config.vlanTrunk ?? []).enumerated() {
            let key = "vlanTrunk[\(i)]"
            func check(_ id: Int, _ name: String) throws(CNIError) {
                guard NetworkLimits.vlan.contains(id) else {
                    throw CNIError(.invalidNetworkConfig, "invalid \(key).\(name) \(id): must be between 1 and 4094")
                }
            }
            if let id = entry.id {
                try check(id, "id")
                ranges.append(id...id)
            }
            if entry.minID != nil || entry.maxID != nil {
                guard let min = entry.minID, let max = entry.maxID else {
                    throw CNIError(.invalidNetworkConfig, "\(key) needs both minID and maxID")
                }
                try check(min, "minID")
                try check(max, "maxID")
                guard min <= max else {
                    throw CNIError(.invalidNetworkConfig, "\(key): minID \(min) is greater than maxID \(max)")
                }
                ranges.append(min...max)
            }
            if entry.id == nil && entry.minID == nil {
                throw CNIError(.invalidNetworkConfig, "\(key) names no VLAN: set id, or minID and maxID")
            }
        }
        return ranges
    }

    /// The attachment to make or check: identity, netns, network, requested IP and MAC, port mappings.
    public func attachment(network: BridgeNetwork) throws(CNIError) -> Attachment {
        Attachment(id: attachmentID, netnsPath: environment.netns, network: network,
                   requestedIPs: try requestedIPs(), requestedMAC: try requestedMAC(), portMappings: try portMappings())
    }

    /// Every address asked for: `CNI_ARGS IP=`, `runtimeConfig.ips`, `args.cni.ips` (all must be met).
    public func requestedIPs() throws(CNIError) -> [IPAddress] {
        var ips = environment.args.ips
        let sources: [(String, [String]?)] = [("runtimeConfig.ips", config.runtimeConfig?.ips), ("args.cni.ips", config.args?.cni?.ips)]
        for (key, list) in sources {
            for (i, text) in (list ?? []).enumerated() {
                guard let ip = parseRequestedIP(text) else {
                    throw CNIError(.invalidNetworkConfig, "\(key)[\(i)] \"\(text)\" is not an IP address")
                }
                ips.append(ip)
            }
        }
        var seen = Set<IPAddress>()
        return ips.filter { seen.insert($0).inserted }
    }

    /// The MAC asked for; like the reference, `runtimeConfig.mac` wins over `args.cni.mac` over `CNI_ARGS MAC=`.
    func requestedMAC() throws(CNIError) -> MACAddress? {
        let candidates: [(String, String?)] = [("runtimeConfig.mac", config.runtimeConfig?.mac), ("args.cni.mac", config.args?.cni?.mac)]
        var mac = environment.args.mac
        var source = "CNI_ARGS MAC"
        for (key, text) in candidates.reversed() {
            guard let text, !text.isEmpty else { continue }
            guard let parsed = MACAddress(text) else {
                throw CNIError(.invalidNetworkConfig, "\(key) \"\(text)\" is not a MAC address")
            }
            mac = parsed
            source = key
        }
        if let mac, mac.isMulticast || mac.isZero {
            throw CNIError(.invalidNetworkConfig, "\(source) \(mac) is not a unicast address")
        }
        return mac
    }
}
