import Foundation
import HostSystem
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

    /// Records the container, whatever its mode: no namespace is made and no plugin runs until
    /// `start`. A pod member is recorded as `container:` of the pod's infra; a rootless container
    /// given no network gets slirp4netns, as podman's rootless default.
    public func create(_ request: CreateRequest) throws(CtlError) -> ContainerRecord {
        let request = try checkedCreate(request)
        let record = try recordContainer(request)
        event(.create, record)
        return record
    }

    /// create, then start, as podman's run: a failed start leaves nothing, not even the record.
    public func run(_ request: CreateRequest) throws(CtlError) -> ContainerRecord {
        // Checked before the record is written: a rootless run the host cannot serve makes nothing.
        if let environment = paths.rootless {
            _ = try checkedCreate(request)
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

    /// The request as it is recorded (pod and default mode applied), refused where nothing may be made.
    func checkedCreate(_ request: CreateRequest) throws(CtlError) -> CreateRequest {
        if let hostname = request.hostname, !request.isInfra { try Names.validateHostname(hostname) }   // an infra's is its pod's name
        let request = try pickingHostPorts(withDefaultMode(try joiningPod(request)))
        try Names.validate(request.name, what: "container")
        try refusePortHandler(request)
        if paths.rootless != nil {
            try refuseUnsupported(request)
            if request.pid != nil {
                throw CtlError(.usage, "--pid is not supported for rootless containers: bind-mounting a process's namespace needs root")
            }
        }
        if let mode = request.mode {
            try refuseWithMode(request, mode)
            _ = try request.networkFlags.apply(to: request.networks, mode: mode, defaultNetwork: nil)   // refused with a mode
        }
        if case .slirp4netns(let options)? = request.mode {
            // Each handler's own refusals (sctp, ranges it cannot carry), before anything is made.
            let ports = try PortMappings.normalise(request.ports)
            if options.portHandler == .slirp4netns { _ = try Slirp4netnsAPI.forwards(ports) }
            if options.portHandler == .rootlesskit { _ = try PortProxySpec.forwards(ports) }
        }
        return request
    }

    /// What rootless containers cannot have yet, refused before anything is made.
    func refuseUnsupported(_ request: CreateRequest) throws(CtlError) {
        if let mode = request.mode, mode == .noNetwork || mode == .host {
            throw CtlError(.usage, "--network \(mode) is not supported for rootless containers yet: use a bridge network, or run pontoonctl as root")
        }
        // What the rootless netns' slirp4netns cannot forward, or the port proxy (a slirp4netns container's: checkedCreate).
        if request.mode == nil {
            let handler = request.portHandler ?? Self.defaultPortHandler
            if handler == .slirp4netns {
                _ = try SlirpForwards.forwards(PortMappings.normalise(request.ports))
            } else {
                _ = try PortProxySpec.forwards(PortMappings.normalise(request.ports), handler: handler)
            }
        }
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
        // A zombie (ended, not yet reaped) has no namespace to join either.
        if let pid = request.pid, ProcessStatus.of(pid)?.ended != false {
            throw CtlError(.notFound, "--pid \(pid): no such process")
        }
        let ports = try PortMappings.normalise(request.ports)
        var record = ContainerRecord(id: Names.randomHex(32), name: request.name, netns: "", hostname: request.hostname,
                                     dnsServers: request.dnsServers, ports: ports, networkMode: request.mode)
        if let mode = request.mode { try recordMode(mode, &record, request) }
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

    /// What a mode needs is checked at create, as far as it can be before start: OTHER exists (its
    /// ID is kept, as libpod's NetNsCtr), PATH is a namespace, slirp4netns can carry the ports.
    func recordMode(_ mode: NetworkMode, _ record: inout ContainerRecord, _ request: CreateRequest) throws(CtlError) {
        guard request.pid == nil else { throw CtlError(.usage, "--pid cannot be combined with --network \(mode)") }
        switch mode {
        case .container(let other):
            try Names.validate(other, what: "container")
            guard other != request.name else { throw CtlError(.usage, "container \(other) cannot share its own network namespace") }
            guard request.dnsServers.isEmpty else {
                throw CtlError(.usage, "--dns cannot be combined with --network container:\(other): it uses \(other)'s resolv.conf")
            }
            record.sharedNamespaceID = try store.container(other).id
        case .path(let path):
            try JoinedNamespace.validate(path)
        case .slirp4netns, .noNetwork, .host:
            break
        }
    }
}
