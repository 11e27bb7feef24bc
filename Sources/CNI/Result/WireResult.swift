import WireCoding

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

// Read without `Decodable` on the plugin's hot path (`WireDecodable`, a `prevResult` or a delegated
// IPAM plugin's answer): each field as the synthesized `init(from:)` reads it, in the order of its `CodingKeys` (which field fails first is the error).

extension WireResult: WireDecodable {
    public init(wire value: WireReader) throws {
        let object = try value.object()
        cniVersion = try object.decodeIfPresent(CodingKeys.cniVersion)
        interfaces = try object.decodeIfPresent(CodingKeys.interfaces) { try $0.array(Interface.self) }
        ips = try object.decodeIfPresent(CodingKeys.ips) { try $0.array(IPConfig.self) }
        routes = try object.decodeIfPresent(CodingKeys.routes) { try $0.array(RouteConf.self) }
        dns = try object.decodeIfPresent(CodingKeys.dns)
        ip4 = try object.decodeIfPresent(CodingKeys.ip4)
        ip6 = try object.decodeIfPresent(CodingKeys.ip6)
    }
}

extension WireResult.Interface: WireDecodable {
    public init(wire value: WireReader) throws {
        let object = try value.object()
        name = try object.decode(CodingKeys.name)
        mac = try object.decodeIfPresent(CodingKeys.mac)
        mtu = try object.decodeIfPresent(CodingKeys.mtu)
        sandbox = try object.decodeIfPresent(CodingKeys.sandbox)
        socketPath = try object.decodeIfPresent(CodingKeys.socketPath)
        pciID = try object.decodeIfPresent(CodingKeys.pciID)
    }
}

extension WireResult.IPConfig: WireDecodable {
    public init(wire value: WireReader) throws {
        let object = try value.object()
        version = try object.decodeIfPresent(CodingKeys.version)
        interface = try object.decodeIfPresent(CodingKeys.interface)
        address = try object.decode(CodingKeys.address)
        gateway = try object.decodeIfPresent(CodingKeys.gateway)
    }
}

extension WireResult.LegacyIP: WireDecodable {
    public init(wire value: WireReader) throws {
        let object = try value.object()
        ip = try object.decode(CodingKeys.ip)
        gateway = try object.decodeIfPresent(CodingKeys.gateway)
        routes = try object.decodeIfPresent(CodingKeys.routes) { try $0.array(RouteConf.self) }
    }
}
