import NetAddress

/// A route to install in the container, with the CNI 1.1 attributes.
public struct Route: Hashable, Sendable {
    public var destination: IPNetwork
    /// Next hop; nil means "via the gateway of this family's address".
    public var gateway: IPAddress?
    public var mtu: Int?
    public var advmss: Int?
    public var priority: Int?
    public var table: Int?
    public var scope: Int?

    public init(destination: IPNetwork, gateway: IPAddress? = nil, mtu: Int? = nil, advmss: Int? = nil,
                priority: Int? = nil, table: Int? = nil, scope: Int? = nil) {
        self.destination = destination
        self.gateway = gateway
        self.mtu = mtu
        self.advmss = advmss
        self.priority = priority
        self.table = table
        self.scope = scope
    }

    public var family: IPFamily { destination.family }
}

/// Resolver settings handed back to the runtime (never applied by the plugin itself).
public struct DNS: Hashable, Sendable {
    public var nameservers: [String] = []
    public var domain: String?
    public var search: [String] = []
    public var options: [String] = []

    public init(nameservers: [String] = [], domain: String? = nil, search: [String] = [], options: [String] = []) {
        self.nameservers = nameservers
        self.domain = domain
        self.search = search
        self.options = options
    }

    public var isEmpty: Bool { nameservers.isEmpty && domain == nil && search.isEmpty && options.isEmpty }
}
