import NetAddress

/// podman's container-wide network flags: `--ip`, `--ip6`, `--mac-address` and `--network-alias`.
/// They are the per-network `ip=`, `mac=` and `alias=` options said once, and follow podman's rule
/// (its NetFlagsToNetOptions): bridge mode only; with no `--network` they go to the default network;
/// `--ip`, `--ip6` and `--mac-address` name one address of one interface, so they need exactly one
/// network; `--network-alias` is given to every network.
public struct ContainerNetworkFlags: Sendable, Equatable {
    public var ip: String?
    public var ip6: String?
    public var mac: String?
    public var aliases: [String] = []

    public init(ip: String? = nil, ip6: String? = nil, mac: String? = nil, aliases: [String] = []) {
        self.ip = ip
        self.ip6 = ip6
        self.mac = mac
        self.aliases = aliases
    }

    public var isEmpty: Bool { ip == nil && ip6 == nil && mac == nil && aliases.isEmpty }

    /// The flags given, by name, for messages.
    var given: [String] {
        [ip.map { _ in "--ip" }, ip6.map { _ in "--ip6" }, mac.map { _ in "--mac-address" }, aliases.isEmpty ? nil : "--network-alias"]
            .compactMap { $0 }
    }

    /// `networks` (what `--network` named) with the flags folded in. `defaultNetwork`: what a
    /// container naming no network gets (nil when it gets none: a rootless container).
    public func apply(to networks: [AttachRequest], mode: NetworkMode?, defaultNetwork: String?) throws(CtlError) -> [AttachRequest] {
        guard let first = given.first else { return networks }
        if let mode {
            throw CtlError(.usage, "\(first) can only be set when the network mode is bridge, not \(mode)")
        }
        var networks = networks
        if networks.isEmpty {
            guard let defaultNetwork else {
                throw CtlError(.usage, "\(first) needs a network: a rootless container has no default network, name one with --network")
            }
            networks = [AttachRequest(network: defaultNetwork)]
        }
        for (flag, value, family) in [("--ip", ip, IPFamily.v4), ("--ip6", ip6, IPFamily.v6)] {
            guard let value else { continue }
            guard let address = IPAddress(value) else { throw CtlError(.usage, "\(flag) \"\(value)\" is not an IP address") }
            guard address.family == family else {
                throw CtlError(.usage, "\(flag) \"\(value)\" is not an \(family == .v4 ? "IPv4" : "IPv6") address\(family == .v4 ? " (use --ip6)" : " (use --ip)")")
            }
            try single(flag, networks)
            networks[0].ips.append(value)
        }
        if let mac {
            try single("--mac-address", networks)
            if let own = networks[0].mac, own != mac {
                throw CtlError(.usage, "--mac-address \(mac) and --network \(networks[0].network):mac=\(own) ask for two MACs of one interface")
            }
            networks[0].mac = mac
        }
        for index in networks.indices {
            for alias in aliases {
                guard !alias.isEmpty else { throw CtlError(.usage, "--network-alias cannot be empty") }
                if !networks[index].aliases.contains(alias) { networks[index].aliases.append(alias) }
            }
        }
        return networks
    }

    private func single(_ flag: String, _ networks: [AttachRequest]) throws(CtlError) {
        guard networks.count == 1 else {
            throw CtlError(.usage, "\(flag) can only be set for a single network (given: \(networks.map(\.network).joined(separator: ", "))): "
                + "use --network NET:ip=…,mac=… for each")
        }
    }
}
