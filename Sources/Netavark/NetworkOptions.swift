import WireCoding

/// What podman sends netavark on stdin for `setup` and `teardown` (netavark 1.x's
/// `NetworkOptions`). Field names are netavark's; unknown fields are ignored, as netavark does.
/// Addresses stay strings here: the door turns them into engine values and names a bad one.
/// Encodable too: pontoonctl sends it to a netavark-protocol plugin as podman 4 does.
public struct NetworkOptions: Codable, Sendable {
    public var containerID: String
    public var containerName: String
    public var containerHostname: String?
    public var portMappings: [PortMapping]?
    /// Ordered: podman 6 sends an array; a map (podman 4/5) is ordered by interface name.
    public var networks: [NamedNetworkOptions]
    public var networkInfo: [String: Network]
    public var dnsServers: [String]?

    enum CodingKeys: String, CodingKey {
        case containerID = "container_id", containerName = "container_name", containerHostname = "container_hostname"
        case portMappings = "port_mappings", networks, networkInfo = "network_info", dnsServers = "dns_servers"
    }

    public init(containerID: String, containerName: String, containerHostname: String? = nil,
                portMappings: [PortMapping]? = nil, networks: [NamedNetworkOptions], networkInfo: [String: Network],
                dnsServers: [String]? = nil) {
        self.containerID = containerID
        self.containerName = containerName
        self.containerHostname = containerHostname
        self.portMappings = portMappings
        self.networks = networks
        self.networkInfo = networkInfo
        self.dnsServers = dnsServers
    }

    /// `networks` as podman 4/5 send it: a map keyed by network name.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(containerID, forKey: .containerID)
        try container.encode(containerName, forKey: .containerName)
        try container.encodeIfPresent(containerHostname, forKey: .containerHostname)
        try container.encodeIfPresent(portMappings, forKey: .portMappings)
        try container.encode(Dictionary(networks.map { ($0.name, $0.options) }, uniquingKeysWith: { first, _ in first }),
                             forKey: .networks)
        try container.encode(networkInfo, forKey: .networkInfo)
        try container.encodeIfPresent(dnsServers, forKey: .dnsServers)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        containerID = try container.decode(String.self, forKey: .containerID)
        containerName = try container.decode(String.self, forKey: .containerName)
        containerHostname = try container.decodeIfPresent(String.self, forKey: .containerHostname)
        portMappings = try container.decodeIfPresent([PortMapping].self, forKey: .portMappings)
        networkInfo = try container.decode([String: Network].self, forKey: .networkInfo)
        dnsServers = try container.decodeIfPresent([String].self, forKey: .dnsServers)
        do {
            let byName = try container.decode([String: PerNetworkOptions].self, forKey: .networks)
            networks = byName.map { NamedNetworkOptions(name: $0.key, options: $0.value) }
                .sorted { InterfaceOrder.precedes($0.options.interfaceName, $1.options.interfaceName) }
        } catch DecodingError.typeMismatch(_, let context) where context.codingPath.count == 1 {
            // Not an object: podman 6's ordered array of `{"name": …, …}`.
            networks = try container.decode([NamedNetworkOptions].self, forKey: .networks)
        }
    }
}

/// One network's entry in `networks`, with its name (the map key, or `name` in podman 6's array).
public struct NamedNetworkOptions: Decodable, Sendable {
    public var name: String
    public var options: PerNetworkOptions

    public init(name: String, options: PerNetworkOptions) {
        self.name = name
        self.options = options
    }

    enum CodingKeys: String, CodingKey { case name }

    public init(from decoder: any Decoder) throws {
        name = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .name)
        options = try PerNetworkOptions(from: decoder)
    }
}

/// What the container asks of one network.
public struct PerNetworkOptions: Codable, Sendable, Equatable {
    public var staticIPs: [String]?
    public var staticMAC: String?
    public var aliases: [String]?
    public var interfaceName: String

    public init(staticIPs: [String]? = nil, staticMAC: String? = nil, aliases: [String]? = nil, interfaceName: String) {
        self.staticIPs = staticIPs
        self.staticMAC = staticMAC
        self.aliases = aliases
        self.interfaceName = interfaceName
    }

    enum CodingKeys: String, CodingKey {
        case staticIPs = "static_ips", staticMAC = "static_mac", aliases, interfaceName = "interface_name"
    }
}

/// A network's definition (`network_info` entry), as podman stores it.
public struct Network: Codable, Sendable, Equatable {
    public var name: String
    public var id: String?
    public var driver: String
    public var networkInterface: String?
    public var subnets: [Subnet]?
    public var routes: [NetworkRoute]?
    public var ipv6Enabled: Bool?
    public var `internal`: Bool?
    public var dnsEnabled: Bool?
    public var options: [String: String]?
    public var ipamOptions: [String: String]?
    public var networkDNSServers: [String]?

    enum CodingKeys: String, CodingKey {
        case name, id, driver, networkInterface = "network_interface", subnets, routes, ipv6Enabled = "ipv6_enabled"
        case `internal`, dnsEnabled = "dns_enabled", options, ipamOptions = "ipam_options"
        case networkDNSServers = "network_dns_servers"
    }

    public init(name: String, id: String? = nil, driver: String = "bridge", networkInterface: String? = nil,
                subnets: [Subnet]? = nil, routes: [NetworkRoute]? = nil, ipv6Enabled: Bool? = nil, internal: Bool? = nil,
                dnsEnabled: Bool? = nil, options: [String: String]? = nil, ipamOptions: [String: String]? = nil,
                networkDNSServers: [String]? = nil) {
        self.name = name
        self.id = id
        self.driver = driver
        self.networkInterface = networkInterface
        self.subnets = subnets
        self.routes = routes
        self.ipv6Enabled = ipv6Enabled
        self.internal = `internal`
        self.dnsEnabled = dnsEnabled
        self.options = options
        self.ipamOptions = ipamOptions
        self.networkDNSServers = networkDNSServers
    }

    public struct Subnet: Codable, Sendable, Equatable {
        public var subnet: String
        public var gateway: String?
        public var leaseRange: LeaseRange?

        public init(subnet: String, gateway: String? = nil, leaseRange: LeaseRange? = nil) {
            self.subnet = subnet
            self.gateway = gateway
            self.leaseRange = leaseRange
        }

        enum CodingKeys: String, CodingKey { case subnet, gateway, leaseRange = "lease_range" }
    }

    public struct LeaseRange: Codable, Sendable, Equatable {
        public var startIP: String?
        public var endIP: String?

        enum CodingKeys: String, CodingKey { case startIP = "start_ip", endIP = "end_ip" }
    }

    public struct NetworkRoute: Codable, Sendable, Equatable {
        public var destination: String
        public var gateway: String
        public var metric: Int?
    }
}

/// A port mapping as podman sends it; `protocol` may list several (`"tcp,udp"`).
public struct PortMapping: Codable, Sendable, Equatable {
    public var hostIP: String?
    public var containerPort: Int
    public var hostPort: Int
    public var range: Int?
    public var `protocol`: String

    public init(hostIP: String? = nil, containerPort: Int, hostPort: Int, range: Int? = nil, protocol: String) {
        self.hostIP = hostIP
        self.containerPort = containerPort
        self.hostPort = hostPort
        self.range = range
        self.protocol = `protocol`
    }

    enum CodingKeys: String, CodingKey {
        case hostIP = "host_ip", containerPort = "container_port", hostPort = "host_port", range, `protocol`
    }
}

/// Interface names in the order a person reads them: `eth2` before `eth10`.
enum InterfaceOrder {
    static func precedes(_ a: String, _ b: String) -> Bool {
        let (aStem, aNumber) = split(a), (bStem, bNumber) = split(b)
        if aStem != bStem { return aStem < bStem }
        if aNumber != bNumber { return (aNumber ?? -1) < (bNumber ?? -1) }
        return a < b
    }

    private static func split(_ name: String) -> (String, Int?) {
        let digits = name.reversed().prefix { $0.isASCII && $0.isNumber }
        let stem = String(name.dropLast(digits.count))
        return (stem, Int(String(digits.reversed())))
    }
}

// Read without `Decodable` on the plugin's hot path (`WireDecodable`): each field as `init(from:)`
// (synthesized or written above) reads it, in the same order (which field fails first is the error).

extension NetworkOptions: WireDecodable {
    public init(wire value: WireReader) throws {
        let object = try value.object()
        containerID = try object.decode(CodingKeys.containerID)
        containerName = try object.decode(CodingKeys.containerName)
        containerHostname = try object.decodeIfPresent(CodingKeys.containerHostname)
        portMappings = try object.decodeIfPresent(CodingKeys.portMappings) { try $0.array(PortMapping.self) }
        networkInfo = try object.decode(CodingKeys.networkInfo) { try $0.dictionary(Network.self) }
        dnsServers = try object.decodeIfPresent(CodingKeys.dnsServers) { try $0.array(String.self) }
        do {
            // In document order before sorting: networks sharing an interface name keep it.
            var byName: [NamedNetworkOptions] = []
            try object.decode(CodingKeys.networks) { networks in
                try networks.forEachMember { byName.append(NamedNetworkOptions(name: $0, options: try PerNetworkOptions(wire: $1))) }
            }
            networks = byName.sorted { InterfaceOrder.precedes($0.options.interfaceName, $1.options.interfaceName) }
        } catch DecodingError.typeMismatch(_, let context) where context.codingPath.count == 1 {
            networks = try object.decode(CodingKeys.networks) { try $0.array(NamedNetworkOptions.self) }
        }
    }
}

extension NamedNetworkOptions: WireDecodable {
    public init(wire value: WireReader) throws {
        name = try value.object().decode(CodingKeys.name)
        options = try PerNetworkOptions(wire: value)
    }
}

extension PerNetworkOptions: WireDecodable {
    public init(wire value: WireReader) throws {
        let object = try value.object()
        staticIPs = try object.decodeIfPresent(CodingKeys.staticIPs) { try $0.array(String.self) }
        staticMAC = try object.decodeIfPresent(CodingKeys.staticMAC)
        aliases = try object.decodeIfPresent(CodingKeys.aliases) { try $0.array(String.self) }
        interfaceName = try object.decode(CodingKeys.interfaceName)
    }
}

extension Network: WireDecodable {
    public init(wire value: WireReader) throws {
        let object = try value.object()
        name = try object.decode(CodingKeys.name)
        id = try object.decodeIfPresent(CodingKeys.id)
        driver = try object.decode(CodingKeys.driver)
        networkInterface = try object.decodeIfPresent(CodingKeys.networkInterface)
        subnets = try object.decodeIfPresent(CodingKeys.subnets) { try $0.array(Subnet.self) }
        routes = try object.decodeIfPresent(CodingKeys.routes) { try $0.array(NetworkRoute.self) }
        ipv6Enabled = try object.decodeIfPresent(CodingKeys.ipv6Enabled)
        `internal` = try object.decodeIfPresent(CodingKeys.internal)
        dnsEnabled = try object.decodeIfPresent(CodingKeys.dnsEnabled)
        options = try object.decodeIfPresent(CodingKeys.options) { try $0.dictionary(String.self) }
        ipamOptions = try object.decodeIfPresent(CodingKeys.ipamOptions) { try $0.dictionary(String.self) }
        networkDNSServers = try object.decodeIfPresent(CodingKeys.networkDNSServers) { try $0.array(String.self) }
    }
}

extension Network.Subnet: WireDecodable {
    public init(wire value: WireReader) throws {
        let object = try value.object()
        subnet = try object.decode(CodingKeys.subnet)
        gateway = try object.decodeIfPresent(CodingKeys.gateway)
        leaseRange = try object.decodeIfPresent(CodingKeys.leaseRange)
    }
}

extension Network.LeaseRange: WireDecodable {
    public init(wire value: WireReader) throws {
        let object = try value.object()
        startIP = try object.decodeIfPresent(CodingKeys.startIP)
        endIP = try object.decodeIfPresent(CodingKeys.endIP)
    }
}

extension Network.NetworkRoute: WireDecodable {
    public init(wire value: WireReader) throws {
        let object = try value.object()
        destination = try object.decode(CodingKeys.destination)
        gateway = try object.decode(CodingKeys.gateway)
        metric = try object.decodeIfPresent(CodingKeys.metric)
    }
}

extension PortMapping: WireDecodable {
    public init(wire value: WireReader) throws {
        let object = try value.object()
        hostIP = try object.decodeIfPresent(CodingKeys.hostIP)
        containerPort = try object.decode(CodingKeys.containerPort)
        hostPort = try object.decode(CodingKeys.hostPort)
        range = try object.decodeIfPresent(CodingKeys.range)
        `protocol` = try object.decode(CodingKeys.protocol)
    }
}
