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
