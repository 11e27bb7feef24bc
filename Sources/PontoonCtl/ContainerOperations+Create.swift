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

        public init(name: String) { self.name = name }
    }

    public func create(_ request: CreateRequest) throws(CtlError) -> ContainerRecord {
        guard let environment = paths.rootless else { return try createContainer(request) }
        let netns = RootlessNetNS(host: try environment.preflight(), stateDirectory: paths.stateDirectory)
        try Names.validate(request.name, what: "container")
        try refuseUnsupported(request)
        try refusePortHandler(request)
        return try netns.locked { () throws(CtlError) -> ContainerRecord in
            var rootless = self
            // A slirp4netns container needs the pause process (its namespace is made in that user
            // namespace) but not the rootless netns or its connector, as podman starts neither for it.
            let pause = if case .slirp4netns? = request.mode { try netns.pauseLocked() } else { try netns.upLocked() }
            rootless.rootless = try RootlessAttachment(netns: netns, pause: pause)
            do throws(CtlError) {
                return try rootless.createContainer(request)
            } catch {
                if (try? store.containers().isEmpty) == true { netns.downLocked() }
                throw error
            }
        }
    }

    /// What rootless containers cannot have yet, refused before anything is made.
    func refuseUnsupported(_ request: CreateRequest) throws(CtlError) {
        // What the rootless netns' slirp4netns cannot forward; the port proxy and a container's own slirp4netns check their own.
        if request.mode == nil {
            let handler = request.portHandler ?? Self.defaultPortHandler
            if handler == .slirp4netns {
                _ = try SlirpForwards.forwards(PortMappings.normalise(request.ports))
            } else {
                _ = try PortProxySpec.forwards(PortMappings.normalise(request.ports), handler: handler)
            }
        }
        for attach in request.networks where try store.network(attach.network).backend.type == .cni {
            throw CtlError(.usage, "network \(attach.network) is served by a CNI conflist, which rootless containers do not support yet: "
                           + "use a network served through netavark's protocol (the default), or run pontoonctl as root")
        }
    }

    func createContainer(_ request: CreateRequest) throws(CtlError) -> ContainerRecord {
        try Names.validate(request.name, what: "container")
        try refusePortHandler(request)
        if case .slirp4netns(let options)? = request.mode { return try createSlirp4netns(request, options) }
        if let mode = request.mode { return try join(request, mode) }
        let lock = try store.lockContainer(request.name)
        defer { lock.unlock() }
        guard !FileManager.default.fileExists(atPath: store.recordPath(request.name)) else {
            throw CtlError(.conflict, "a container named \(request.name) already exists")
        }
        for server in request.dnsServers where IPAddress(server) == nil {
            throw CtlError(.usage, "--dns \"\(server)\" is not an IP address")
        }
        let ports = try PortMappings.normalise(request.ports)
        var record = ContainerRecord(id: Names.randomHex(32), name: request.name, netns: "", hostname: request.hostname,
                                     dnsServers: request.dnsServers, ports: ports)
        var requests: [NetworkRequest] = []
        for attach in request.networks {
            guard !requests.contains(where: { $0.network == attach.network }) else {
                throw CtlError(.usage, "network \(attach.network) is given twice")
            }
            _ = try store.network(attach.network)
            var interface = attach.interface ?? ""
            if interface.isEmpty { interface = try Self.freeInterface(requests.map(\.interface) + request.networks.compactMap(\.interface)) }
            guard !requests.contains(where: { $0.interface == interface }) else {
                throw CtlError(.usage, "interface \(interface) is given to two networks")
            }
            requests.append(NetworkRequest(network: attach.network, interface: interface, aliases: attach.aliases + [record.shortID],
                                           staticIPs: attach.ips, staticMAC: attach.mac))
        }
        // From here on everything made is undone on failure.
        var reserved: [NetworkRequest] = []
        var made = false
        func undo() {
            record.portProxy?.stop()
            releaseAddresses(record, reserved)
            if !record.netns.isEmpty { try? removeNamespace(record.netns) }
            if made { store.removeContainer(record.name) }
        }
        do throws(CtlError) {
            for index in requests.indices {
                try reserveAddresses(&requests[index], containerID: record.id)
                reserved.append(requests[index])
            }
            record.networks = requests
            record.netns = try makeNamespace()
            made = true
            try store.save(record)   // before any plugin runs: a crash leaves what rm can finish
            record.status = try setUp(record, requests)
            do throws(CtlError) { try publish(&record, handler: request.portHandler) } catch {
                _ = tearDown(record, requests)
                throw error
            }
            try store.save(record)
            try ContainerFiles.write(record, paths: paths)
        } catch {
            undo()
            throw error
        }
        return record
    }

    /// A container in a namespace pontoonctl does not set up: OTHER's (`container:`) or an existing
    /// one (`ns:`). No plugin is called; the record says where the namespace is and whose it is.
    func join(_ request: CreateRequest, _ mode: NetworkMode) throws(CtlError) -> ContainerRecord {
        guard request.networks.isEmpty else {
            throw CtlError(.usage, "--network \(mode) cannot be combined with other networks")
        }
        guard request.ports.isEmpty else {
            throw CtlError(.usage, "port publishing (-p) cannot be combined with --network \(mode): no network is set up to serve it")
        }
        var record = ContainerRecord(id: Names.randomHex(32), name: request.name, netns: "", hostname: request.hostname,
                                     dnsServers: request.dnsServers, networkMode: mode)
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
            guard !FileManager.default.fileExists(atPath: store.recordPath(request.name)) else {
                throw CtlError(.conflict, "a container named \(request.name) already exists")
            }
            let owner = try store.container(other)
            if case .container(let first)? = owner.networkMode {
                throw CtlError(.usage, "container \(other) itself shares the network namespace of \(first); use --network container:\(first)")
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
            guard !FileManager.default.fileExists(atPath: store.recordPath(request.name)) else {
                throw CtlError(.conflict, "a container named \(request.name) already exists")
            }
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
        }
        return record
    }
}
