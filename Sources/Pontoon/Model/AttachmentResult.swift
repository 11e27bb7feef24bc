import NetAddress

/// An address assigned to an interface, with the gateway to use for that family.
public struct AssignedAddress: Hashable, Sendable {
    public var address: IPNetwork
    public var gateway: IPAddress?

    public init(address: IPNetwork, gateway: IPAddress? = nil) {
        self.address = address
        self.gateway = gateway
    }
}

/// What an IPAM step hands back: addresses, the routes that go with them, resolver settings.
public struct IPAMResult: Hashable, Sendable {
    public var addresses: [AssignedAddress]
    public var routes: [Route]
    public var dns: DNS

    public init(addresses: [AssignedAddress] = [], routes: [Route] = [], dns: DNS = DNS()) {
        self.addresses = addresses
        self.routes = routes
        self.dns = dns
    }
}

/// The outcome of attaching a container, in the engine's words; the doors render it as a CNI
/// Result or a netavark StatusBlock.
public struct AttachmentResult: Hashable, Sendable {
    public struct Interface: Hashable, Sendable {
        public var name: String
        public var mac: MACAddress?
        public var mtu: Int?
        /// The netns path for interfaces inside the container; nil on the host.
        public var sandbox: String?

        public init(name: String, mac: MACAddress? = nil, mtu: Int? = nil, sandbox: String? = nil) {
            self.name = name
            self.mac = mac
            self.mtu = mtu
            self.sandbox = sandbox
        }
    }

    public struct IPConfig: Hashable, Sendable {
        /// Index into `interfaces` of the interface holding the address.
        public var interface: Int?
        public var address: IPNetwork
        public var gateway: IPAddress?

        public init(interface: Int?, address: IPNetwork, gateway: IPAddress?) {
            self.interface = interface
            self.address = address
            self.gateway = gateway
        }
    }

    public var interfaces: [Interface]
    public var ips: [IPConfig]
    public var routes: [Route]
    public var dns: DNS

    public init(interfaces: [Interface] = [], ips: [IPConfig] = [], routes: [Route] = [], dns: DNS = DNS()) {
        self.interfaces = interfaces
        self.ips = ips
        self.routes = routes
        self.dns = dns
    }
}
