import Foundation
import NetAddress
import Netavark
import Netlink

/// What `--network NET[:ip=…,mac=…,interface=…,alias=…]` and `connect` ask for.
public struct AttachRequest: Sendable, Equatable {
    public var network: String
    public var ips: [String] = []
    public var mac: String?
    public var interface: String?
    public var aliases: [String] = []

    public init(network: String, ips: [String] = [], mac: String? = nil, interface: String? = nil, aliases: [String] = []) {
        self.network = network
        self.ips = ips
        self.mac = mac
        self.interface = interface
        self.aliases = aliases
    }

    /// `NET[:ip=…,mac=…,interface=…,alias=…]` (keys may repeat for several IPs or aliases).
    public static func parse(_ text: String) throws(CtlError) -> AttachRequest {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard let name = parts.first, !name.isEmpty else { throw CtlError(.usage, "--network \"\(text)\" names no network") }
        var request = AttachRequest(network: name)
        guard parts.count == 2 else { return request }
        for option in parts[1].split(separator: ",") {
            let pair = option.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, !pair[1].isEmpty else { throw CtlError(.usage, "--network \(text): \"\(option)\" is not key=value") }
            switch pair[0] {
            case "ip", "ip6": request.ips.append(pair[1])
            case "mac": request.mac = pair[1]
            case "interface", "interface_name": request.interface = pair[1]
            case "alias": request.aliases.append(pair[1])
            default: throw CtlError(.usage, "--network \(text): unknown option \(pair[0]) (ip, mac, interface, alias)")
            }
        }
        return request
    }
}

/// The container side: create, rm, reload, connect, disconnect, and what reads the state.
public struct ContainerOperations {
    public let store: Store
    /// Warnings (teardown errors that are expected or tolerated) go here; the CLI prints them on stderr.
    public var warn: (String) -> Void

    public init(store: Store, warn: @escaping (String) -> Void) {
        self.store = store
        self.warn = warn
    }

    var paths: ControlPaths { store.paths }

    // MARK: running plugins

    private func files(_ requests: [NetworkRequest]) throws(CtlError) -> [(NetworkRequest, NetworkFile)] {
        var result: [(NetworkRequest, NetworkFile)] = []
        for request in requests { result.append((request, try store.network(request.network))) }
        return result
    }

    /// Every network at once, all or nothing: netavark-protocol networks of one plugin in one
    /// `setup` (as podman sends them), CNI networks one conflist each, in order.
    func setUp(_ record: ContainerRecord, _ requests: [NetworkRequest]) throws(CtlError) -> [String: StatusBlock] {
        let entries = try files(requests)
        var statuses: [String: StatusBlock] = [:]
        var undo: [() -> Void] = []
        do throws(CtlError) {
            var handled = Set<String>()
            for (request, file) in entries where !handled.contains(request.network) {
                switch file.backend.type {
                case .netavark:
                    let plugin = file.backend.plugin ?? "pontoon"
                    let group = entries.filter { $0.1.backend.type == .netavark && ($0.1.backend.plugin ?? "pontoon") == plugin }
                    handled.formUnion(group.map(\.0.network))
                    let backend = NetavarkBackend(paths: paths, plugin: plugin)
                    let answer = try backend.setup(record, group)
                    undo.append { try? backend.teardown(record, group) }
                    for (request, _) in group {
                        guard let status = answer[request.network] else {
                            throw CtlError(.failed, "\(plugin) answered setup without network \(request.network)")
                        }
                        statuses[request.network] = status
                    }
                case .cni:
                    handled.insert(request.network)
                    let backend = CNIBackend(paths: paths, file: file)
                    statuses[request.network] = try backend.add(record, request)
                    undo.append { try? backend.delete(record, request) }
                }
            }
        } catch {
            for step in undo.reversed() { step() }
            throw error
        }
        return statuses
    }

    /// Every network is attempted; the failures are returned, not thrown.
    func tearDown(_ record: ContainerRecord, _ requests: [NetworkRequest]) -> [CtlError] {
        var failures: [CtlError] = []
        var entries: [(NetworkRequest, NetworkFile)] = []
        for request in requests {
            do throws(CtlError) { entries.append((request, try store.network(request.network))) } catch { failures.append(error) }
        }
        tearDown(record, entries, into: &failures)
        return failures
    }

    private func tearDown(_ record: ContainerRecord, _ entries: [(NetworkRequest, NetworkFile)], into failures: inout [CtlError]) {
        var handled = Set<String>()
        for (request, file) in entries.reversed() where !handled.contains(request.network) {
            do throws(CtlError) {
                switch file.backend.type {
                case .netavark:
                    let plugin = file.backend.plugin ?? "pontoon"
                    let group = entries.filter { $0.1.backend.type == .netavark && ($0.1.backend.plugin ?? "pontoon") == plugin }
                    handled.formUnion(group.map(\.0.network))
                    try NetavarkBackend(paths: paths, plugin: plugin).teardown(record, group)
                case .cni:
                    handled.insert(request.network)
                    try CNIBackend(paths: paths, file: file).delete(record, request)
                }
            } catch {
                failures.append(error)
            }
        }
    }

    // MARK: addresses

    /// netavark networks get their addresses from pontoonctl, as podman gives them; CNI networks
    /// from their IPAM plugin unless the user asked for some.
    private func reserveAddresses(_ request: inout NetworkRequest, containerID: String) throws(CtlError) {
        let file = try store.network(request.network)
        var requested: [IPAddress] = []
        for text in request.staticIPs {
            guard let ip = IPAddress(text) else { throw CtlError(.usage, "network \(request.network): ip \"\(text)\" is not an IP address") }
            requested.append(ip)
        }
        if let mac = request.staticMAC {
            guard let parsed = MACAddress(mac), !parsed.isMulticast, !parsed.isZero else {
                throw CtlError(.usage, "network \(request.network): mac \"\(mac)\" is not a unicast MAC address")
            }
        }
        guard file.backend.type == .netavark else { return }
        let lock = try store.lockStore()
        defer { lock.unlock() }
        request.staticIPs = try store.reserve(network: file.network, containerID: containerID, requested: requested).map { "\($0)" }
    }

    private func releaseAddresses(_ record: ContainerRecord, _ requests: [NetworkRequest]) {
        for request in requests {
            let fromStatus = record.status[request.network]?.interfaces.values.flatMap { $0.subnets.map(\.ipnet) } ?? []
            store.release(network: request.network, addresses: request.staticIPs + fromStatus, containerID: record.id)
        }
    }

    // MARK: commands

    public struct CreateRequest {
        public var name: String
        public var networks: [AttachRequest] = []
        public var ports: [PortMapping] = []
        public var dnsServers: [String] = []
        public var hostname: String?
        /// `--network container:OTHER` or `--network ns:PATH` (then no other network and no port).
        public var mode: NetworkMode?

        public init(name: String) { self.name = name }
    }

    public func create(_ request: CreateRequest) throws(CtlError) -> ContainerRecord {
        try Names.validate(request.name, what: "container")
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
            releaseAddresses(record, reserved)
            if !record.netns.isEmpty { try? NamespaceFiles.remove(record.netns) }
            if made { store.removeContainer(record.name) }
        }
        do throws(CtlError) {
            for index in requests.indices {
                try reserveAddresses(&requests[index], containerID: record.id)
                reserved.append(requests[index])
            }
            record.networks = requests
            record.netns = try NamespaceFiles.create(in: paths.netnsDirectory)
            made = true
            try store.save(record)   // before any plugin runs: a crash leaves what rm can finish
            record.status = try setUp(record, requests)
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
    private func join(_ request: CreateRequest, _ mode: NetworkMode) throws(CtlError) -> ContainerRecord {
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
        }
        return record
    }

    /// The containers sharing `name`'s namespace.
    func sharers(of name: String) throws(CtlError) -> [ContainerRecord] {
        try store.containers().filter { $0.networkMode == .container(name) }
    }

    /// podman's network settings: a sharer reports its owner's, a joined namespace what is
    /// configured there, any other container its stored status.
    public func inspect(_ name: String) throws(CtlError) -> (ContainerRecord, InspectNetworkSettings) {
        let record = try store.container(name)
        switch record.networkMode {
        case .container(let other)?:
            return (record, InspectMapping.settings(try store.container(other)))
        case .path(let path)?:
            return (record, InspectMapping.settings(joined: path, status: try JoinedNamespace.status(netns: path)))
        case nil:
            return (record, InspectMapping.settings(record))
        }
    }

    /// Where `exec` finds the container's resolv.conf and hosts: a sharer uses its owner's.
    public func filesDirectory(_ record: ContainerRecord) -> String {
        if case .container(let other)? = record.networkMode { return paths.containerDirectory(other) }
        return paths.containerDirectory(record.name)
    }

    private func refuseJoined(_ record: ContainerRecord, _ what: String) throws(CtlError) {
        guard let mode = record.networkMode else { return }
        let hint = if case .container(let other) = mode { "; \(what) \(other) instead" } else { "" }
        throw CtlError(.usage, "container \(record.name) uses --network \(mode): pontoonctl does not manage its networks\(hint)")
    }

    static func freeInterface(_ used: [String]) throws(CtlError) -> String {
        for index in 0..<10_000 where !used.contains("eth\(index)") { return "eth\(index)" }
        throw CtlError(.conflict, "no free ethN interface name")
    }

    /// Teardown of every network, then the namespace and the state go even when teardown failed;
    /// the failures are returned (the CLI reports them, `--force` makes them warnings).
    /// A container whose namespace others share is refused, as podman refuses it, unless `force`,
    /// which removes the sharers first. A sharer or a joined namespace is only forgotten: its
    /// namespace and networks are not its own.
    public func remove(_ name: String, force: Bool = false) throws(CtlError) -> [CtlError] {
        let lock = try store.lockContainer(name)
        defer { lock.unlock() }
        let record = try store.container(name)
        if record.networkMode != nil {
            store.removeContainer(name)
            return []
        }
        let sharers = try sharers(of: name)
        if !sharers.isEmpty {
            guard force else {
                throw CtlError(.conflict, "container \(name) has containers sharing its network namespace: "
                    + sharers.map(\.name).joined(separator: ", ") + "; remove them first, or use --force to remove them too")
            }
            for sharer in sharers {
                let sharerLock = try store.lockContainer(sharer.name)   // owner, then sharer: as create takes them
                store.removeContainer(sharer.name)
                sharerLock.unlock()
                warn("removed container \(sharer.name), which shared the network namespace of \(name)")
            }
        }
        let failures = record.netns.isEmpty ? [] : tearDown(record, record.networks)
        releaseAddresses(record, record.networks)
        var all = failures
        if !record.netns.isEmpty {
            do throws(CtlError) { try NamespaceFiles.remove(record.netns) } catch { all.append(error) }
        }
        store.removeContainer(name)
        return all
    }

    /// Teardown (failures about what is already gone are expected: warnings), then setup with the
    /// same interfaces, MACs and addresses as stored.
    public func reload(_ name: String) throws(CtlError) -> ContainerRecord {
        let lock = try store.lockContainer(name)
        defer { lock.unlock() }
        var record = try store.container(name)
        if record.networkMode != nil { return record }   // nothing of its own to reload
        for failure in tearDown(record, record.networks) { warn("reload \(name): teardown: \(failure)") }
        let requests = record.networks.map { request in
            var again = request
            if let status = record.status[request.network], let interface = status.interfaces[request.interface] {
                let stored = interface.subnets.compactMap { IPNetwork($0.ipnet).map { "\($0.address)" } }
                if !stored.isEmpty { again.staticIPs = stored }
                if !interface.macAddress.isEmpty { again.staticMAC = interface.macAddress }
            }
            return again
        }
        record.status = try setUp(record, requests)
        record.networks = requests
        try store.save(record)
        try ContainerFiles.write(record, paths: paths)
        return record
    }

    public func connect(_ name: String, _ attach: AttachRequest) throws(CtlError) -> ContainerRecord {
        let lock = try store.lockContainer(name)
        defer { lock.unlock() }
        var record = try store.container(name)
        try refuseJoined(record, "connect")
        guard !record.networks.contains(where: { $0.network == attach.network }) else {
            throw CtlError(.conflict, "container \(name) is already connected to network \(attach.network)")
        }
        _ = try store.network(attach.network)
        var interface = attach.interface ?? ""
        if interface.isEmpty { interface = try Self.freeInterface(record.networks.map(\.interface)) }
        guard !record.networks.contains(where: { $0.interface == interface }) else {
            throw CtlError(.conflict, "container \(name) already has an interface \(interface)")
        }
        var request = NetworkRequest(network: attach.network, interface: interface, aliases: attach.aliases + [record.shortID],
                                     staticIPs: attach.ips, staticMAC: attach.mac)
        try reserveAddresses(&request, containerID: record.id)
        do throws(CtlError) {
            let status = try setUp(record, [request])
            record.networks.append(request)
            record.status[request.network] = status[request.network]
            try store.save(record)
            try ContainerFiles.write(record, paths: paths)
        } catch {
            releaseAddresses(record, [request])
            throw error
        }
        return record
    }

    /// Teardown of that network only; a failure keeps it attached unless `force`.
    public func disconnect(_ name: String, network: String, force: Bool) throws(CtlError) {
        let lock = try store.lockContainer(name)
        defer { lock.unlock() }
        var record = try store.container(name)
        try refuseJoined(record, "disconnect")
        guard let request = record.networks.first(where: { $0.network == network }) else {
            throw CtlError(.notFound, "container \(name) is not connected to network \(network)")
        }
        let failures = tearDown(record, [request])
        if let failure = failures.first {
            guard force else { throw failure }
            warn("disconnect \(name) from \(network): \(failure)")
        }
        releaseAddresses(record, [request])
        record.networks.removeAll { $0.network == network }
        record.status.removeValue(forKey: network)
        try store.save(record)
        try ContainerFiles.write(record, paths: paths)
    }
}
