/// A CNI Result as it appears on the wire, in any version: the union of every version's keys, all
/// optional, so one type reads any `prevResult` and writes any requested version.
public struct WireResult: Codable, Sendable, Equatable {
    public var cniVersion: String?
    public var interfaces: [Interface]?
    public var ips: [IPConfig]?
    public var routes: [RouteConf]?
    public var dns: DNSConf?
    // 0.1.0 and 0.2.0 only.
    public var ip4: LegacyIP?
    public var ip6: LegacyIP?

    public init() {}

    public struct Interface: Codable, Sendable, Equatable {
        public var name: String
        public var mac: String?
        public var mtu: Int?
        public var sandbox: String?
        public var socketPath: String?
        public var pciID: String?

        public init(name: String, mac: String? = nil, mtu: Int? = nil, sandbox: String? = nil, socketPath: String? = nil, pciID: String? = nil) {
            self.name = name
            self.mac = mac
            self.mtu = mtu
            self.sandbox = sandbox
            self.socketPath = socketPath
            self.pciID = pciID
        }
    }

    public struct IPConfig: Codable, Sendable, Equatable {
        /// `"4"` or `"6"`, before 1.0.0 only.
        public var version: String?
        public var interface: Int?
        public var address: String
        public var gateway: String?

        public init(version: String? = nil, interface: Int? = nil, address: String, gateway: String? = nil) {
            self.version = version
            self.interface = interface
            self.address = address
            self.gateway = gateway
        }
    }

    public struct LegacyIP: Codable, Sendable, Equatable {
        public var ip: String
        public var gateway: String?
        public var routes: [RouteConf]?

        public init(ip: String, gateway: String? = nil, routes: [RouteConf]? = nil) {
            self.ip = ip
            self.gateway = gateway
            self.routes = routes
        }
    }
}
