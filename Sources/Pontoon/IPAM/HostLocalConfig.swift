import NetAddress

/// One allocation range inside a subnet (a host-local `ranges` entry).
public struct AddressRange: Hashable, Sendable {
    public var subnet: IPNetwork
    public var rangeStart: IPAddress?
    public var rangeEnd: IPAddress?
    public var gateway: IPAddress?

    public init(subnet: IPNetwork, rangeStart: IPAddress? = nil, rangeEnd: IPAddress? = nil, gateway: IPAddress? = nil) {
        self.subnet = subnet
        self.rangeStart = rangeStart
        self.rangeEnd = rangeEnd
        self.gateway = gateway
    }
}

/// The host-local IPAM configuration: range sets (one address is allocated from each), routes,
/// where the lease store lives. Byte-compatible with the reference plugin's store.
public struct HostLocalConfig: Sendable {
    public static let defaultDataDir = "/var/lib/cni/networks"

    /// The network's name: the store is `<dataDir>/<networkName>`.
    public var networkName: String
    public var dataDir: String
    /// Each inner array is a range set; all ranges of a set share one family.
    public var rangeSets: [[AddressRange]]
    public var routes: [Route]
    /// A resolv.conf to read nameservers, domain, search and options from.
    public var resolvConf: String?
    /// How long an operation waits for the store's lock before answering "try again later".
    public var lockTimeout: Duration = Locks.defaultTimeout

    public init(networkName: String, dataDir: String? = nil, rangeSets: [[AddressRange]],
                routes: [Route] = [], resolvConf: String? = nil) {
        self.networkName = networkName
        self.dataDir = dataDir ?? Self.defaultDataDir
        self.rangeSets = rangeSets
        self.routes = routes
        self.resolvConf = resolvConf
    }

    /// The directory holding this network's leases.
    public var storeDirectory: String { dataDir + "/" + networkName }
}
