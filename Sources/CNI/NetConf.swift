import WireCoding

/// The network configuration on stdin, as the reference `bridge` plugin reads it, plus the
/// runtime-injected parts (`runtimeConfig`, `args`, `prevResult`, GC's valid attachments) and
/// Pontoon's own diagnostics keys. Unknown keys are ignored, as every CNI plugin must.
/// Addresses stay strings here: a well-formed document with a bad address is a config error (7),
/// not a decoding error (6), and is reported by the mapping step with the key's name.
public struct NetConf: Decodable, Sendable {
    public var cniVersion: String?
    public var name: String?
    public var type: String?

    // The reference bridge plugin's keys.
    public var bridge: String?
    public var isGateway: Bool?
    public var isDefaultGateway: Bool?
    public var forceAddress: Bool?
    public var ipMasq: Bool?
    public var mtu: Int?
    public var hairpinMode: Bool?
    public var promiscMode: Bool?
    public var vlan: Int?
    public var vlanTrunk: [VLANTrunk]?
    public var preserveDefaultVlan: Bool?
    public var enabledad: Bool?
    public var macspoofchk: Bool?
    public var portIsolation: Bool?
    public var disableContainerInterface: Bool?
    public var ipam: IPAMConf?
    public var dns: DNSConf?

    // The reference macvlan and ipvlan plugins' keys (`type` names the driver; with `type: pontoon`, `driver` does).
    public var master: String?
    public var mode: String?
    public var linkInContainer: Bool?
    public var driver: String?

    // Injected by the runtime.
    public var runtimeConfig: RuntimeConfig?
    public var args: Args?
    public var prevResult: WireResult?
    public var capabilities: [String: Bool]?
    public var validAttachments: [AttachmentRef]?
    public var legacyAttachments: [AttachmentRef]?

    // Pontoon's own: diagnostics and where attachment records live.
    public var logFile: String?
    public var logLevel: String?
    public var stateDir: String?
    /// Pontoon's firewall driver: "nftables" (default), "iptables" or "none".
    public var firewall: String?
    /// The reference bridge plugin's choice of masquerade backend; picks the driver when `firewall` is absent.
    public var ipMasqBackend: String?
    /// Keep this network's containers from reaching other Pontoon bridges (not built yet).
    public var isolate: Bool?

    enum CodingKeys: String, CodingKey {
        case cniVersion, name, type, bridge, isGateway, isDefaultGateway, forceAddress, ipMasq, mtu
        case hairpinMode, promiscMode, vlan, vlanTrunk, preserveDefaultVlan, enabledad, macspoofchk
        case portIsolation, disableContainerInterface, ipam, dns, runtimeConfig, args, prevResult
        case capabilities, logFile, logLevel, stateDir, firewall, ipMasqBackend, isolate
        case master, mode, linkInContainer, driver
        case validAttachments = "cni.dev/valid-attachments"
        case legacyAttachments = "cni.dev/attachments"
    }

    /// The keys DEL reads and must be able to read (paths as `WireDecoder.Tolerance` spells
    /// them): which store and records to clean up. A bad value anywhere else reads as absent on DEL.
    static let keysTeardownNeeds: Set<String> = ["cniversion", "name", "type", "driver", "ipam", "ipam.type", "ipam.datadir", "statedir"]

    /// `vlanTrunk` entries: either a single `id` or a `minID`…`maxID` range.
    public struct VLANTrunk: Decodable, Sendable {
        public var minID: Int?
        public var maxID: Int?
        public var id: Int?
    }

    public struct Args: Decodable, Sendable {
        public var cni: CNIArgsConf?

        public struct CNIArgsConf: Decodable, Sendable {
            public var ips: [String]?
            public var mac: String?
        }
    }

    /// An entry of GC's `cni.dev/valid-attachments`.
    public struct AttachmentRef: Decodable, Sendable, Hashable {
        public var containerID: String
        public var ifname: String
    }
}

/// The `ipam` section. Only host-local's keys are read; another `type` gets the whole config.
public struct IPAMConf: Decodable, Sendable {
    public var type: String?
    // host-local's legacy single range, merged as the first range set.
    public var subnet: String?
    public var rangeStart: String?
    public var rangeEnd: String?
    public var gateway: String?
    public var ranges: [[RangeConf]]?
    public var routes: [RouteConf]?
    public var dataDir: String?
    public var resolvConf: String?
}

public struct RangeConf: Decodable, Sendable {
    public var subnet: String?
    public var rangeStart: String?
    public var rangeEnd: String?
    public var gateway: String?

    public init(subnet: String? = nil, rangeStart: String? = nil, rangeEnd: String? = nil, gateway: String? = nil) {
        self.subnet = subnet
        self.rangeStart = rangeStart
        self.rangeEnd = rangeEnd
        self.gateway = gateway
    }
}

/// A route as CNI writes it in configs and results; the 1.1.0 attributes are optional.
public struct RouteConf: Codable, Sendable, Equatable {
    public var dst: String
    public var gw: String?
    public var mtu: Int?
    public var advmss: Int?
    public var priority: Int?
    public var table: Int?
    public var scope: Int?

    public init(dst: String, gw: String? = nil, mtu: Int? = nil, advmss: Int? = nil, priority: Int? = nil, table: Int? = nil, scope: Int? = nil) {
        self.dst = dst
        self.gw = gw
        self.mtu = mtu
        self.advmss = advmss
        self.priority = priority
        self.table = table
        self.scope = scope
    }
}

public struct DNSConf: Codable, Sendable, Equatable {
    public var nameservers: [String]?
    public var domain: String?
    public var search: [String]?
    public var options: [String]?

    public init(nameservers: [String]? = nil, domain: String? = nil, search: [String]? = nil, options: [String]? = nil) {
        self.nameservers = nameservers
        self.domain = domain
        self.search = search
        self.options = options
    }
}

/// What the runtime fills in for the capabilities the plugin declares.
public struct RuntimeConfig: Decodable, Sendable {
    public var portMappings: [PortMappingConf]?
    public var ips: [String]?
    public var mac: String?
    public var aliases: [String: [String]]?
    public var ipRanges: [[RangeConf]]?
    public var bandwidth: Bandwidth?
    public var dns: RuntimeDNS?

    public struct PortMappingConf: Decodable, Sendable {
        public var hostPort: Int
        public var containerPort: Int
        public var `protocol`: String?
        public var hostIP: String?
    }

    public struct Bandwidth: Decodable, Sendable {
        public var ingressRate: Int?
        public var ingressBurst: Int?
        public var egressRate: Int?
        public var egressBurst: Int?
    }

    public struct RuntimeDNS: Decodable, Sendable {
        public var servers: [String]?
        public var searches: [String]?
        public var options: [String]?
    }
}

// Read without `Decodable` on the plugin's hot path (`WireDecodable`): each field as the
// synthesized `init(from:)` reads it, in its order (which field fails first is the error): the
// order of `CodingKeys` where the type spells them out, else of the properties.

extension NetConf: WireDecodable {
    public init(wire value: WireReader) throws {
        let object = try value.object()
        cniVersion = try object.decodeIfPresent(CodingKeys.cniVersion)
        name = try object.decodeIfPresent(CodingKeys.name)
        type = try object.decodeIfPresent(CodingKeys.type)
        bridge = try object.decodeIfPresent(CodingKeys.bridge)
        isGateway = try object.decodeIfPresent(CodingKeys.isGateway)
        isDefaultGateway = try object.decodeIfPresent(CodingKeys.isDefaultGateway)
        forceAddress = try object.decodeIfPresent(CodingKeys.forceAddress)
        ipMasq = try object.decodeIfPresent(CodingKeys.ipMasq)
        mtu = try object.decodeIfPresent(CodingKeys.mtu)
        hairpinMode = try object.decodeIfPresent(CodingKeys.hairpinMode)
        promiscMode = try object.decodeIfPresent(CodingKeys.promiscMode)
        vlan = try object.decodeIfPresent(CodingKeys.vlan)
        vlanTrunk = try object.decodeIfPresent(CodingKeys.vlanTrunk) { try $0.array(VLANTrunk.self) }
        preserveDefaultVlan = try object.decodeIfPresent(CodingKeys.preserveDefaultVlan)
        enabledad = try object.decodeIfPresent(CodingKeys.enabledad)
        macspoofchk = try object.decodeIfPresent(CodingKeys.macspoofchk)
        portIsolation = try object.decodeIfPresent(CodingKeys.portIsolation)
        disableContainerInterface = try object.decodeIfPresent(CodingKeys.disableContainerInterface)
        ipam = try object.decodeIfPresent(CodingKeys.ipam)
        dns = try object.decodeIfPresent(CodingKeys.dns)
        runtimeConfig = try object.decodeIfPresent(CodingKeys.runtimeConfig)
        args = try object.decodeIfPresent(CodingKeys.args)
        prevResult = try object.decodeIfPresent(CodingKeys.prevResult)
        capabilities = try object.decodeIfPresent(CodingKeys.capabilities) { try $0.dictionary(Bool.self) }
        logFile = try object.decodeIfPresent(CodingKeys.logFile)
        logLevel = try object.decodeIfPresent(CodingKeys.logLevel)
        stateDir = try object.decodeIfPresent(CodingKeys.stateDir)
        firewall = try object.decodeIfPresent(CodingKeys.firewall)
        ipMasqBackend = try object.decodeIfPresent(CodingKeys.ipMasqBackend)
        isolate = try object.decodeIfPresent(CodingKeys.isolate)
        master = try object.decodeIfPresent(CodingKeys.master)
        mode = try object.decodeIfPresent(CodingKeys.mode)
        linkInContainer = try object.decodeIfPresent(CodingKeys.linkInContainer)
        driver = try object.decodeIfPresent(CodingKeys.driver)
        validAttachments = try object.decodeIfPresent(CodingKeys.validAttachments) { try $0.array(AttachmentRef.self) }
        legacyAttachments = try object.decodeIfPresent(CodingKeys.legacyAttachments) { try $0.array(AttachmentRef.self) }
    }
}

extension NetConf.VLANTrunk: WireDecodable {
    public init(wire value: WireReader) throws {
        let object = try value.object()
        minID = try object.decodeIfPresent(CodingKeys.minID)
        maxID = try object.decodeIfPresent(CodingKeys.maxID)
        id = try object.decodeIfPresent(CodingKeys.id)
    }
}

extension NetConf.Args: WireDecodable {
    public init(wire value: WireReader) throws {
        cni = try value.object().decodeIfPresent(CodingKeys.cni)
    }
}

extension NetConf.Args.CNIArgsConf: WireDecodable {
    public init(wire value: WireReader) throws {
        let object = try value.object()
        ips = try object.decodeIfPresent(CodingKeys.ips) { try $0.array(String.self) }
        mac = try object.decodeIfPresent(CodingKeys.mac)
    }
}

extension NetConf.AttachmentRef: WireDecodable {
    public init(wire value: WireReader) throws {
        let object = try value.object()
        containerID = try object.decode(CodingKeys.containerID)
        ifname = try object.decode(CodingKeys.ifname)
    }
}

extension IPAMConf: WireDecodable {
    public init(wire value: WireReader) throws {
        let object = try value.object()
        type = try object.decodeIfPresent(CodingKeys.type)
        subnet = try object.decodeIfPresent(CodingKeys.subnet)
        rangeStart = try object.decodeIfPresent(CodingKeys.rangeStart)
        rangeEnd = try object.decodeIfPresent(CodingKeys.rangeEnd)
        gateway = try object.decodeIfPresent(CodingKeys.gateway)
        ranges = try object.decodeIfPresent(CodingKeys.ranges) { try $0.array { try $0.array(RangeConf.self) } }
        routes = try object.decodeIfPresent(CodingKeys.routes) { try $0.array(RouteConf.self) }
        dataDir = try object.decodeIfPresent(CodingKeys.dataDir)
        resolvConf = try object.decodeIfPresent(CodingKeys.resolvConf)
    }
}

extension RangeConf: WireDecodable {
    public init(wire value: WireReader) throws {
        let object = try value.object()
        subnet = try object.decodeIfPresent(CodingKeys.subnet)
        rangeStart = try object.decodeIfPresent(CodingKeys.rangeStart)
        rangeEnd = try object.decodeIfPresent(CodingKeys.rangeEnd)
        gateway = try object.decodeIfPresent(CodingKeys.gateway)
    }
}

extension RouteConf: WireDecodable {
    public init(wire value: WireReader) throws {
        let object = try value.object()
        dst = try object.decode(CodingKeys.dst)
        gw = try object.decodeIfPresent(CodingKeys.gw)
        mtu = try object.decodeIfPresent(CodingKeys.mtu)
        advmss = try object.decodeIfPresent(CodingKeys.advmss)
        priority = try object.decodeIfPresent(CodingKeys.priority)
        table = try object.decodeIfPresent(CodingKeys.table)
        scope = try object.decodeIfPresent(CodingKeys.scope)
    }
}

extension DNSConf: WireDecodable {
    public init(wire value: WireReader) throws {
        let object = try value.object()
        nameservers = try object.decodeIfPresent(CodingKeys.nameservers) { try $0.array(String.self) }
        domain = try object.decodeIfPresent(CodingKeys.domain)
        search = try object.decodeIfPresent(CodingKeys.search) { try $0.array(String.self) }
        options = try object.decodeIfPresent(CodingKeys.options) { try $0.array(String.self) }
    }
}

extension RuntimeConfig: WireDecodable {
    public init(wire value: WireReader) throws {
        let object = try value.object()
        portMappings = try object.decodeIfPresent(CodingKeys.portMappings) { try $0.array(PortMappingConf.self) }
        ips = try object.decodeIfPresent(CodingKeys.ips) { try $0.array(String.self) }
        mac = try object.decodeIfPresent(CodingKeys.mac)
        aliases = try object.decodeIfPresent(CodingKeys.aliases) { try $0.dictionary { try $0.array(String.self) } }
        ipRanges = try object.decodeIfPresent(CodingKeys.ipRanges) { try $0.array { try $0.array(RangeConf.self) } }
        bandwidth = try object.decodeIfPresent(CodingKeys.bandwidth)
        dns = try object.decodeIfPresent(CodingKeys.dns)
    }
}

extension RuntimeConfig.PortMappingConf: WireDecodable {
    public init(wire value: WireReader) throws {
        let object = try value.object()
        hostPort = try object.decode(CodingKeys.hostPort)
        containerPort = try object.decode(CodingKeys.containerPort)
        `protocol` = try object.decodeIfPresent(CodingKeys.protocol)
        hostIP = try object.decodeIfPresent(CodingKeys.hostIP)
    }
}

extension RuntimeConfig.Bandwidth: WireDecodable {
    public init(wire value: WireReader) throws {
        let object = try value.object()
        ingressRate = try object.decodeIfPresent(CodingKeys.ingressRate)
        ingressBurst = try object.decodeIfPresent(CodingKeys.ingressBurst)
        egressRate = try object.decodeIfPresent(CodingKeys.egressRate)
        egressBurst = try object.decodeIfPresent(CodingKeys.egressBurst)
    }
}

extension RuntimeConfig.RuntimeDNS: WireDecodable {
    public init(wire value: WireReader) throws {
        let object = try value.object()
        servers = try object.decodeIfPresent(CodingKeys.servers) { try $0.array(String.self) }
        searches = try object.decodeIfPresent(CodingKeys.searches) { try $0.array(String.self) }
        options = try object.decodeIfPresent(CodingKeys.options) { try $0.array(String.self) }
    }
}
