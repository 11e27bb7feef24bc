import Netavark

/// A network as pontoonctl keeps it: `<config dir>/<name>.json`. The definition is netavark's
/// (what a netavark-protocol plugin is sent); the backend says which protocol and plugin serve it.
public struct NetworkFile: Codable, Sendable, Equatable {
    public var network: Network
    public var backend: Backend

    /// podman's default network (containers.conf `default_network`): the only one whose addresses
    /// inspect also shows at the top level.
    public static let defaultName = "podman"

    public init(network: Network, backend: Backend) {
        self.network = network
        self.backend = backend
    }

    public struct Backend: Codable, Sendable, Equatable {
        /// `netavark` (NetworkOptions in, StatusBlock map out) or `cni` (a conflist run with libcni's rules).
        public var type: Kind
        /// netavark: the plugin executable, a name looked up like a CNI plugin or an absolute path
        /// (default `pontoon`; Debian's `/usr/lib/podman/netavark` works too).
        public var plugin: String?
        /// cni: the conflist, absolute or relative to the config directory.
        public var conflist: String?

        public enum Kind: String, Codable, Sendable { case netavark, cni }

        public init(type: Kind, plugin: String? = nil, conflist: String? = nil) {
            self.type = type
            self.plugin = plugin
            self.conflist = conflist
        }
    }
}

/// What a container asked of one network, in the order it was attached.
public struct NetworkRequest: Codable, Sendable, Equatable {
    public var network: String
    public var interface: String
    public var aliases: [String]
    /// Asked for by the user (`ip=`, `--ip`) or, for netavark networks, allocated by pontoonctl as
    /// podman does; a reload passes them again.
    public var staticIPs: [String]
    public var staticMAC: String?
    /// What the user asked for (`ip=`, `mac=`): all that survives a stop. `staticIPs` and
    /// `staticMAC` also hold what was allocated while the container runs (nil: a record written
    /// before containers could stop, whose statics are taken as asked for).
    public var askedIPs: [String]?
    public var askedMAC: String?

    public init(network: String, interface: String, aliases: [String] = [], staticIPs: [String] = [], staticMAC: String? = nil) {
        self.network = network
        self.interface = interface
        self.aliases = aliases
        self.staticIPs = staticIPs
        self.staticMAC = staticMAC
        askedIPs = staticIPs
        askedMAC = staticMAC
    }

    /// As it is set up at the next start: only what was asked for is static, as podman keeps it;
    /// dynamic addresses get a new lease.
    var asAsked: NetworkRequest {
        var request = self
        if let askedIPs { request.staticIPs = askedIPs }
        if askedIPs != nil { request.staticMAC = askedMAC }
        return request
    }
}

/// Where a container is in its life, as libpod's `State.Status` names it: `create` records it,
/// `start` gives it a namespace and its networks, `stop` takes them away again.
public enum ContainerState: String, Codable, Sendable, Equatable {
    case created, running, stopped

    /// podman's `State.Status` (a stopped container is `exited`).
    public var podmanStatus: String { self == .stopped ? "exited" : rawValue }
}

/// Where a container's network namespace comes from when pontoonctl did not make it.
public enum NetworkMode: Codable, Sendable, Equatable, CustomStringConvertible {
    /// `--network container:OTHER`: OTHER's namespace, OTHER's networks; no plugin is ever called.
    case container(String)
    /// `--network ns:PATH`: a namespace made by someone else; no plugin is called, nothing is torn down.
    case path(String)
    /// `--network slirp4netns[:…]`: a namespace of its own, served by one slirp4netns process.
    case slirp4netns(Slirp4netnsOptions)
    /// `--network none`: a namespace of its own with only loopback (up); no plugin is ever called.
    case noNetwork
    /// `--network host`: no namespace at all; the container sees the host's interfaces.
    case host

    /// `container:NAME`, `ns:PATH`, `slirp4netns[:OPTIONS]`, `none` or `host`; nil for anything else
    /// (a network name, or `private`/`bridge`: see `CreateRequest.addNetwork`).
    public static func parse(_ text: String) throws(CtlError) -> NetworkMode? {
        if text == "none" { return .noNetwork }
        if text == "host" { return .host }
        if text.hasPrefix("container:") { return .container(String(text.dropFirst("container:".count))) }
        if text.hasPrefix("ns:") { return .path(String(text.dropFirst("ns:".count))) }
        if text == "slirp4netns" { return .slirp4netns(Slirp4netnsOptions()) }
        if text.hasPrefix("slirp4netns:") { return .slirp4netns(try Slirp4netnsOptions.parse(String(text.dropFirst("slirp4netns:".count)))) }
        return nil
    }

    public var description: String {
        switch self {
        case .container(let name): "container:" + name
        case .path(let path): "ns:" + path
        case .slirp4netns: "slirp4netns"
        case .noNetwork: "none"
        case .host: "host"
        }
    }
}

/// A container's network side: `<state dir>/containers/<name>/container.json`. Written before any
/// plugin runs, so a crash leaves a record `rm` or `reload` can finish from.
public struct ContainerRecord: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var netns: String
    public var hostname: String?
    public var dnsServers: [String]
    public var ports: [PortMapping]
    public var networks: [NetworkRequest]
    /// network name → what its plugin answered (CNI results are kept in netavark's shape).
    public var status: [String: StatusBlock]
    /// Set when the namespace is another container's or an existing one (then `networks` is empty).
    public var networkMode: NetworkMode?
    /// The slirp4netns serving a `--network slirp4netns` container, once started.
    public var slirp4netns: Slirp4netnsProcess?
    /// `--port-handler` of a rootless bridge container (nil: slirp4netns), recorded at create for every start.
    public var portHandler: Slirp4netnsOptions.PortHandler?
    /// The user-space port proxy publishing its ports (`port_handler=rootlesskit`), while it runs.
    public var portProxy: PortProxyProcess?
    /// nil in a record written before containers could stop: it was running.
    var lifecycle: ContainerState?
    /// `create --pid PID`: the process whose network namespace `start` adopts while it runs.
    public var pid: Int32?
    /// The pod it belongs to: its infra container (which holds the pod's namespace) or a member
    /// (which shares it, as `container:` of the infra).
    public var pod: String?
    /// `container:OTHER`: OTHER's ID, fixed at create as libpod's `NetNsCtr` (inspect shows
    /// `container:<ID>`); nil in a record written before it was kept.
    public var sharedNamespaceID: String?

    public var state: ContainerState {
        get { lifecycle ?? .running }
        set { lifecycle = newValue }
    }

    public init(id: String, name: String, netns: String, hostname: String? = nil, dnsServers: [String] = [],
                ports: [PortMapping] = [], networks: [NetworkRequest] = [], status: [String: StatusBlock] = [:],
                networkMode: NetworkMode? = nil) {
        self.id = id
        self.name = name
        self.netns = netns
        self.hostname = hostname
        self.dnsServers = dnsServers
        self.ports = ports
        self.networks = networks
        self.status = status
        self.networkMode = networkMode
        // Every mode waits for start: `container:` joins, `ns:` enters, slirp4netns starts its process there.
        lifecycle = .created
    }

    private enum CodingKeys: String, CodingKey {
        case id, name, netns, hostname, dnsServers, ports, networks, status, networkMode, slirp4netns, pid, pod, portHandler, portProxy
        case sharedNamespaceID
        case lifecycle = "state"
    }

    public var shortID: String { String(id.prefix(12)) }

    /// The name a plugin is given (CNI's K8S_POD_NAME, netavark's container_name, the DNS name
    /// aardvark-dns answers for): the pod's, in a pod, as libpod's getCNIPodName.
    public var cniPodName: String { pod ?? name }
}
