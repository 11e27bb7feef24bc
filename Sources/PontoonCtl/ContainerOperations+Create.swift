import Foundation
import NetAddress
import Netavark

extension ContainerOperations {
    public struct CreateRequest {
        public var name: String
        public var networks: [AttachRequest] = []
        public var ports: [PortMapping] = []
        public var dnsServers: [String] = []
        public var hostname: String?
        /// `--network container:OTHER` or `--network ns:PATH` (then no other network and no port).
        public var mode: NetworkMode?
        /// `--port-handler`: how a rootless bridge container's ports are published (nil: `defaultPortHandler`).
        public var portHandler: Slirp4netnsOptions.PortHandler?
        /// `create --pid PID`: start adopts that process's network namespace.
        public var pid: Int32?
        /// `--pod NAME`: the container joins the pod's namespace (`container:` of its infra).
        public var pod: String?
        /// `--ip`, `--ip6`, `--mac-address`, `--network-alias`: folded into the networks at create.
        public var networkFlags = ContainerNetworkFlags()
        /// Set by `pod create` for the pod's own infra container (which has the pod's networks).
        var isInfra = false

        public init(name: String) { self.name = name }
    }

    /// Records the container: no namespace is made and no plugin runs until `start`.
    public func create(_ request: CreateRequest) throws(CtlError) -> ContainerRecord {
        if let hostname = request.hostname, !request.isInfra { try Names.validateHostname(hostname) }   // an infra's is its pod's name
        let request = try pickingHostPorts(request)
        if request.pod != nil, !request.isInfra {
            throw CtlError(.usage, "--pod is set up in one step: use run (a member shares the pod's running namespace)")
        }
        if let mode = request.mode, !mode.hasLifecycle {
            throw CtlError(.usage, "--network \(mode) is set up in one step: use run (create then start is for containers with networks of their own)")
        }
        try Names.validate(request.name, what: "container")
        try refusePortHandler(request)
        if paths.rootless != nil {
            try refuseUnsupported(request)
            if request.pid != nil {
                throw CtlError(.usage, "--pid is not supported for rootless containers: bind-mounting a process's namespace needs root")
            }
        }
        let record = try recordContainer(request)
        event(.create, record)
        return record
    }

    /// create, then start, as podman's run: a failed start leaves nothing, not even the record.
    public func run(_ request: CreateRequest) throws(CtlError) -> ContainerRecord {
        if let hostname = request.hostname, !request.isInfra { try Names.validateHostname(hostname) }   // an infra's is its pod's name
        let request = try pickingHostPorts(try joiningPod(request))
        // The one-step modes never reach withDefaultNetwork: the flags' rule refuses them here.
        if request.mode != nil { _ = try request.networkFlags.apply(to: request.networks, mode: request.mode, defaultNetwork: nil) }
        guard let mode = request.mode, !mode.hasLifecycle else {
            // Checked before the record is written: a rootless run the host cannot serve makes nothing.
            if let environment = paths.rootless {
                try Names.validate(request.name, what: "container")
                try refusePortHandler(request)
                try refuseUnsupported(request)
                _ = try environment.preflight()
            }
            let record = try create(request)
            do throws(CtlError) {
                return try start(record.name)
            } catch {
                _ = try? remove(record.name, force: true)
                throw error
            }
        }
        try Names.validate(request.name, what: "container")
        try refusePortHandler(request)   // before the pause process starts
        if paths.rootless != nil { try refuseUnsupported(request) }
        guard request.pid == nil else { throw CtlError(.usage, "--pid cannot be combined with --network \(mode)") }
        // A slirp4netns container's slirp4netns is its own: the rootless netns is not brought up for it.
        let need: RootlessNeed = if case .slirp4netns = mode { .pauseOnly } else { .bringUp }
        let record = try inRootlessScope(need, for: request.name) { scoped throws(CtlError) in try scoped.createContainer(request) }
        event(.create, record)
        event(.start, record)
        return record
    }

    /// What rootless containers cannot have yet, refused before anything is made.
    func refuseUnsupported(_ request: CreateRequest) throws(CtlError) {
        if let mode = request.mode, mode == .noNetwork || mode == .host {
            throw CtlError(.usage, "--network \(mode) is not supported for rootless containers yet: use a bridge network, or run pontoonctl as root")
        }
        // What the rootless netns' slirp4netns cannot forward; the port proxy and a container's own slirp4netns check their own.
        if request.mode == nil {
            let handler = request.portHandler ?? Self.defaultPortHandler
            if handler == .slirp4netns {
                _ = try SlirpForwards.forwards(PortMappings.normalise(request.ports))
            } else {
                _ = try PortProxySpec.forwards(PortMappings.normalise(request.ports), handler: handler)
            }
        }
    }

    /// The one-step modes: a namespace of their own with slirp4netns, or a joined one.
    func createContainer(_ request: CreateRequest) throws(CtlError) -> ContainerRecord {
        try Names.validate(request.name, what: "container")
        if case .slirp4netns(let options)? = request.mode { return try createSlirp4netns(request, options) }
        guard let mode = request.mode else { throw CtlError(.failed, "container \(request.name) has networks of its own: it is created, then started") }
        return try join(request, mode)
    }

    /// The record of a container with networks of its own, checked as far as it can be before
    /// start: names, interfaces, the form of its addresses and ports.
    func recordContainer(_ request: CreateRequest) throws(CtlError) -> ContainerRecord {
        let lock = try store.lockContainer(request.name)
        defer { lock.unlock() }
        try store.refuseTakenContainerName(request.name)
        for server in request.dnsServers where IPAddress(server) == nil {
            throw CtlError(.usage, "--dns \"\(server)\" is not an IP address")
        }
        if let pid = request.pid, pid <= 0 || !FileManager.default.fileExists(atPath: "/proc/\(pid)") {
            throw CtlError(.notFound, "--pid \(pid): no such process")
        }
        if let mode = request.mode {
            try refuseWithMode(request, mode)
            guard request.pid == nil else { throw CtlError(.usage, "--pid cannot be combined with --network \(mode)") }
        }
        let ports = try PortMappings.normalise(request.ports)
        var record = ContainerRecord(id: Names.randomHex(32), name: request.name, netns: "", hostname: request.hostname,
                                     dnsServers: request.dnsServers, ports: ports, networkMode: request.mode)
        record.pid = request.pid
        record.portHandler = request.portHandler
        record.pod = request.pod
        for attach in try withDefaultNetwork(request) {
            let checked = try checkedRequest(attach, record: record, taken: request.networks.compactMap(\.interface))
            guard !record.networks.contains(where: { $0.network == checked.network }) else {
                throw CtlError(.usage, "network \(checked.network) is given twice")
            }
            record.networks.append(checked)
        }
        try refuseInternalOnlyPorts(record)
        try store.save(record)
        return record
    }

    /// A network as a container asks for it (create and connect): the network exists (by name or
    /// ID prefix; the request keeps its name), the interface is free (named or the first free ethN),
    /// the addresses and MAC are well formed.
    func checkedRequest(_ attach: AttachRequest, record: ContainerRecord, taken: [String] = []) throws(CtlError) -> NetworkRequest {
        var attach = attach
        if attach.network == NetworkFile.defaultName { try ensureDefaultNetwork() }
        attach.network = try store.network(attach.network).network.name
        var interface = attach.interface ?? ""
        if interface.isEmpty { interface = try Self.freeInterface(record.networks.map(\.interface) + taken) }
        guard !record.networks.contains(where: { $0.interface == interface }) else {
            throw CtlError(.conflict, "container \(record.name) already has an interface \(interface)")
        }
        let request = NetworkRequest(network: attach.network, interface: interface, aliases: attach.aliases + [record.shortID],
                                     staticIPs: attach.ips, staticMAC: attach.mac)
        try Self.validateAddresses(request)
        return request
    }

    /// A container in a namespace pontoonctl does not set up: OTHER's (`container:`) or an existing
    /// one (`ns:`). No plugin is called; the record says where the namespace is and whose it is.
    func join(_ request: CreateRequest, _ mode: NetworkMode) throws(CtlError) -> ContainerRecord {
        try refuseWithMode(request, mode)
        var record = ContainerRecord(id: Names.randomHex(32), name: request.name, netns: "", hostname: request.hostname,
                                     dnsServers: request.dnsServers, networkMode: mode)
        record.pod = request.pod
        switch mode {
        case .container(let other):
            try Names.validate(other, what: "container")
            guard other != request.name else { throw CtlError(.usage, "container \(other) cannot share its own network namespace") }
            guard request.dnsServers.isEmpty else {
                throw CtlError(.usage, "--dns cannot be combined with --network container:\(other): it uses \(other)'s resolv.conf")
            }
            _ = try store.container(other)   // before its lock: no lock file is made for a name that is not there
            // Lock order: the owner, then the sharer (rm of the owner with --force takes them the same way).
            let ownerLock = try store.lockContainer(other)
            defer { ownerLock.unlock() }
            let lock = try store.lockContainer(request.name)
            defer { lock.unlock() }
            try store.refuseTakenContainerName(request.name)
            // A sharer of a sharer ends in the same namespace: the chain's last container owns it (libpod's getContainerNetNS).
            let owner = try namespaceOwner(try store.container(other))
            guard owner.state == .running else {
                throw CtlError(.conflict, "container \(owner.name) is \(owner.state.rawValue), not running: start it before sharing its network namespace")
            }
            record.netns = owner.netns
            try store.save(record)
        case .path(let path):
            for server in request.dnsServers where IPAddress(server) == nil {
                throw CtlError(.usage, "--dns \"\(server)\" is not an IP address")
            }
            try JoinedNamespace.validate(path)
            let lock = try store.lockContainer(request.name)
            defer { lock.unlock() }
            try store.refuseTakenContainerName(request.name)
            record.netns = path
            do throws(CtlError) {
                try store.save(record)
                try ContainerFiles.write(record, paths: paths)
            } catch {
                store.removeContainer(record.name)
                throw error
            }
        case .slirp4netns:
            throw CtlError(.failed, "--network slirp4netns makes a namespace of its own: it is not joined")
        case .noNetwork, .host:
            throw CtlError(.failed, "--network \(mode) is created, then started: it is not joined")
        }
        return record
    }
}
