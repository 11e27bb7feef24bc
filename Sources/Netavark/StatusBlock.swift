/// netavark's answer to `setup`: per network, the interfaces made in the container and the DNS
/// servers and search domains the container should use. Decodable too: pontoonctl reads it back.
public struct StatusBlock: Codable, Sendable, Equatable {
    public var dnsSearchDomains: [String]
    public var dnsServerIPs: [String]
    public var interfaces: [String: NetInterface]

    public init(dnsSearchDomains: [String] = [], dnsServerIPs: [String] = [], interfaces: [String: NetInterface] = [:]) {
        self.dnsSearchDomains = dnsSearchDomains
        self.dnsServerIPs = dnsServerIPs
        self.interfaces = interfaces
    }

    /// netavark omits empty lists; missing means none.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        dnsSearchDomains = try container.decodeIfPresent([String].self, forKey: .dnsSearchDomains) ?? []
        dnsServerIPs = try container.decodeIfPresent([String].self, forKey: .dnsServerIPs) ?? []
        interfaces = try container.decodeIfPresent([String: NetInterface].self, forKey: .interfaces) ?? [:]
    }

    enum CodingKeys: String, CodingKey {
        case dnsSearchDomains = "dns_search_domains", dnsServerIPs = "dns_server_ips", interfaces
    }

    public struct NetInterface: Codable, Sendable, Equatable {
        public var macAddress: String
        public var subnets: [NetAddress]

        public init(macAddress: String, subnets: [NetAddress]) {
            self.macAddress = macAddress
            self.subnets = subnets
        }

        enum CodingKeys: String, CodingKey { case macAddress = "mac_address", subnets }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            macAddress = try container.decodeIfPresent(String.self, forKey: .macAddress) ?? ""
            subnets = try container.decodeIfPresent([NetAddress].self, forKey: .subnets) ?? []
        }
    }

    public struct NetAddress: Codable, Sendable, Equatable {
        public var ipnet: String
        public var gateway: String?

        public init(ipnet: String, gateway: String?) {
            self.ipnet = ipnet
            self.gateway = gateway
        }
    }
}

/// netavark's error document, printed on stdout with exit status 1.
public struct ErrorDocument: Codable, Sendable {
    public var error: String

    public init(error: String) {
        self.error = error
    }
}

/// `netavark version`.
public struct VersionDocument: Encodable, Sendable {
    public var version: String
    public var commit: String
    public var buildTime: String
    public var target: String

    public init(version: String, commit: String, buildTime: String, target: String) {
        self.version = version
        self.commit = commit
        self.buildTime = buildTime
        self.target = target
    }

    enum CodingKeys: String, CodingKey { case version, commit, buildTime = "build_time", target }
}
