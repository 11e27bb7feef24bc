import NetAddress
import Netavark

/// podman's `inspect` network settings, built from stored StatusBlocks the way libpod's
/// `resultToBasicNetworkConfig` does: interfaces in sorted order, the first address of each family
/// primary and the rest secondary, the first MAC primary and the rest additional.
public struct InspectNetworkSettings: Codable, Sendable, Equatable {
    public struct Address: Codable, Sendable, Equatable {
        public var Addr: String
        public var PrefixLength: Int
    }

    public struct HostPort: Codable, Sendable, Equatable {
        public var HostIp: String
        public var HostPort: String
    }

    public struct Basic: Codable, Sendable, Equatable {
        public var EndpointID = ""
        public var Gateway = ""
        public var IPAddress = ""
        public var IPPrefixLen = 0
        public var IPv6Gateway = ""
        public var GlobalIPv6Address = ""
        public var GlobalIPv6PrefixLen = 0
        public var MacAddress = ""
        public var SecondaryIPAddresses: [Address]? = nil
        public var SecondaryIPv6Addresses: [Address]? = nil
        public var AdditionalMacAddresses: [String]? = nil
    }

    public struct PerNetwork: Codable, Sendable, Equatable {
        public var basic: Basic
        public var NetworkID: String
        public var Aliases: [String]
        public var InterfaceNames: [String]

        public init(from decoder: any Decoder) throws {
            basic = try Basic(from: decoder)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            NetworkID = try container.decode(String.self, forKey: .NetworkID)
            Aliases = try container.decode([String].self, forKey: .Aliases)
            InterfaceNames = try container.decode([String].self, forKey: .InterfaceNames)
        }

        init(basic: Basic, NetworkID: String, Aliases: [String], InterfaceNames: [String]) {
            self.basic = basic
            self.NetworkID = NetworkID
            self.Aliases = Aliases
            self.InterfaceNames = InterfaceNames
        }

        enum CodingKeys: String, CodingKey { case NetworkID, Aliases, InterfaceNames }

        /// Flat, as podman prints it: the basic fields beside the network's own.
        public func encode(to encoder: any Encoder) throws {
            try basic.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(NetworkID, forKey: .NetworkID)
            try container.encode(Aliases, forKey: .Aliases)
            try container.encode(InterfaceNames, forKey: .InterfaceNames)
        }
    }

    public var basic: Basic
    public var SandboxKey: String
    public var Ports: [String: [HostPort]]
    public var Networks: [String: PerNetwork]

    enum CodingKeys: String, CodingKey { case SandboxKey, Ports, Networks }

    public init(from decoder: any Decoder) throws {
        basic = try Basic(from: decoder)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        SandboxKey = try container.decode(String.self, forKey: .SandboxKey)
        Ports = try container.decode([String: [HostPort]].self, forKey: .Ports)
        Networks = try container.decode([String: PerNetwork].self, forKey: .Networks)
    }

    public func encode(to encoder: any Encoder) throws {
        try basic.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(SandboxKey, forKey: .SandboxKey)
        try container.encode(Ports, forKey: .Ports)
        try container.encode(Networks, forKey: .Networks)
    }

    init(basic: Basic, SandboxKey: String, Ports: [String: [HostPort]], Networks: [String: PerNetwork]) {
        self.basic = basic
        self.SandboxKey = SandboxKey
        self.Ports = Ports
        self.Networks = Networks
    }
}

public enum InspectMapping {
    /// libpod's `resultToBasicNetworkConfig`.
    public static func basic(_ status: StatusBlock) -> InspectNetworkSettings.Basic {
        var config = InspectNetworkSettings.Basic()
        for name in status.interfaces.keys.sorted() {
            let interface = status.interfaces[name]!
            for subnet in interface.subnets {
                guard let network = IPNetwork(subnet.ipnet) else { continue }
                let address = InspectNetworkSettings.Address(Addr: "\(network.address)", PrefixLength: network.prefixLength)
                if network.family == .v4 {
                    if config.IPAddress.isEmpty {
                        config.IPAddress = address.Addr
                        config.IPPrefixLen = address.PrefixLength
                        config.Gateway = subnet.gateway ?? ""
                    } else {
                        config.SecondaryIPAddresses = (config.SecondaryIPAddresses ?? []) + [address]
                    }
                } else {
                    if config.GlobalIPv6Address.isEmpty {
                        config.GlobalIPv6Address = address.Addr
                        config.GlobalIPv6PrefixLen = address.PrefixLength
                        config.IPv6Gateway = subnet.gateway ?? ""
                    } else {
                        config.SecondaryIPv6Addresses = (config.SecondaryIPv6Addresses ?? []) + [address]
                    }
                }
            }
            if config.MacAddress.isEmpty {
                config.MacAddress = interface.macAddress
            } else {
                config.AdditionalMacAddresses = (config.AdditionalMacAddresses ?? []) + [interface.macAddress]
            }
        }
        return config
    }

    /// The whole settings block: every network gets its entry; the top-level fields are filled only
    /// for a container on the default network alone (libpod v4: `len(networks) == 1 && isDefaultNet`),
    /// so a script reading `.NetworkSettings.IPAddress` sees what podman would show it.
    public static func settings(_ record: ContainerRecord) -> InspectNetworkSettings {
        var networks: [String: InspectNetworkSettings.PerNetwork] = [:]
        for request in record.networks {
            let status = record.status[request.network] ?? StatusBlock()
            networks[request.network] = .init(basic: basic(status), NetworkID: request.network, Aliases: request.aliases,
                                              InterfaceNames: status.interfaces.keys.sorted())
        }
        let onDefaultAlone = record.networks.count == 1 && record.networks[0].network == NetworkFile.defaultName
        let top = onDefaultAlone ? networks[NetworkFile.defaultName]!.basic : InspectNetworkSettings.Basic()
        return InspectNetworkSettings(basic: top, SandboxKey: record.netns, Ports: ports(record.ports), Networks: networks)
    }

    /// A namespace pontoonctl did not set up (`ns:PATH`): the top-level fields from what is
    /// configured there (empty when it could not be read), no per-network entries, and no
    /// SandboxKey — libpod sets it only for a namespace the container owns, never for a joined one.
    public static func settings(joined record: ContainerRecord, status: StatusBlock?) -> InspectNetworkSettings {
        InspectNetworkSettings(basic: status.map(basic) ?? .init(), SandboxKey: "", Ports: ports(record.ports), Networks: [:])
    }

    /// podman's `Ports`: `"80/tcp": [{"HostIp": "", "HostPort": "8080"}]`, a range expanded port by port.
    public static func ports(_ mappings: [PortMapping]) -> [String: [InspectNetworkSettings.HostPort]] {
        var ports: [String: [InspectNetworkSettings.HostPort]] = [:]
        for mapping in mappings {
            for offset in 0..<(mapping.range ?? 1) {
                ports["\(mapping.containerPort + offset)/\(mapping.protocol)", default: []]
                    .append(.init(HostIp: mapping.hostIP ?? "", HostPort: "\(mapping.hostPort + offset)"))
            }
        }
        return ports
    }
}
