/// What podman sends netavark on stdin for `setup` and `teardown` (netavark 1.x's
/// `NetworkOptions`). Field names are netavark's; unknown fields are ignored, as netavark does.
/// Addresses stay strings here: the door turns them into engine values and names a bad one.
public struct NetworkOptions: Decodable, Sendable {
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
public struct PerNetworkOptions: Decodable, Sendable {
    public var staticIPs: [String]?
    public var staticMAC: String?
    public var aliases: [String]?
    public var interfaceName: String

    enum CodingKeys: String, CodingKey {
        case staticIPs = "static_ips", staticMAC = "static_mac", aliases, interfaceName = "interface_name"
    }
}

/// A network's definition (`network_info` entry), as podman stores it.
public struct Network: Decodable, Sendable {
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

    public struct Subnet: Decodable, Sendable {
        public var subnet: String
        public var gateway: String?
        public var leaseRange: LeaseRange?

        enum CodingKeys: String, CodingKey { case subnet, gateway, leaseRange = "lease_range" }
    }

    public struct LeaseRange: Decodable, Sendable {
        public var startIP: String?
        public var endIP: String?

        enum CodingKeys: String, CodingKey { case startIP = "start_ip", endIP = "end_ip" }
    }

    public struct NetworkRoute: Decodable, Sendable {
        public var destination: String
        public var gateway: String
        public var metric: Int?
    }
}

/// A port mapping as podman sends it; `protocol` may list several (`"tcp,udp"`).
public struct PortMapping: Decodable, Sendable {
    public var hostIP: String?
    public var containerPort: Int
    public var hostPort: Int
    public var range: Int?
    public var `protocol`: String

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
