import NetAddress
import Netavark

/// The container side: create, rm, reload, connect, disconnect, and what reads the state.
public struct ContainerOperations {
    public let store: Store
    /// Warnings (teardown errors that are expected or tolerated) go here; the CLI prints them on stderr.
    public var warn: (String) -> Void

    public init(store: Store, warn: @escaping (String) -> Void) {
        self.store = store
        self.warn = warn
    }

    /// Set, with the rootless netns' lock held, while a rootless container is created or removed.
    var rootless: RootlessAttachment?

    var paths: ControlPaths {
        var paths = store.paths
        paths.pluginPrefix = rootless?.pluginPrefix ?? []
        return paths
    }

    /// The container's own network namespace: inside the rootless user namespace for a rootless container.
    func makeNamespace() throws(CtlError) -> String {
        guard let rootless else { return try NamespaceFiles.create(in: paths.netnsDirectory) }
        guard let pause = rootless.pause else { throw CtlError(.failed, "the rootless network namespace is not up") }
        return try rootless.netns.makeContainerNamespace(pause, in: paths.netnsDirectory)
    }

    func removeNamespace(_ path: String) throws(CtlError) {
        guard let rootless else { return try NamespaceFiles.remove(path) }
        try rootless.netns.removeContainerNamespace(rootless.pause, path)
    }

    /// A rootless container's published ports (for root, pontoon's DNAT alone serves them): through
    /// slirp4netns's forwards into the rootless netns, or through the port proxy connecting from the
    /// rootless netns, with the client's address (`transparent`) or its own (`rootlesskit`). The
    /// handler is the one recorded at create, so every start publishes the same way.
    func publish(_ record: inout ContainerRecord) throws(CtlError) {
        guard let rootless, !record.ports.isEmpty, record.networkMode == nil else { return }
        let handler = record.portHandler ?? Self.defaultPortHandler
        if handler != .slirp4netns { return record.portProxy = try startPortProxy(record, rootless, transparent: handler == .transparent) }
        try SlirpForwards(socket: rootless.netns.apiSocket).add(SlirpForwards.forwards(record.ports))
    }

    /// A connector that died took its forwards with it: nothing is left to remove. A port proxy is
    /// the container's own and always stopped.
    func unpublish(_ record: ContainerRecord) throws(CtlError) {
        if let proxy = record.portProxy { return proxy.stop() }
        guard let rootless, rootless.pause != nil, rootless.netns.connectorRunning, !record.ports.isEmpty, record.networkMode == nil else { return }
        try SlirpForwards(socket: rootless.netns.apiSocket).remove(SlirpForwards.forwards(record.ports))
    }

    // MARK: running plugins

    private func entries(_ requests: [NetworkRequest]) throws(CtlError) -> [NetworkEntry] {
        var result: [NetworkEntry] = []
        for request in requests { result.append((request, try store.network(request.network))) }
        return result
    }

    /// Every network at once, all or nothing, one backend call per group (see `BackendGroup`), in order.
    func setUp(_ record: ContainerRecord, _ requests: [NetworkRequest]) throws(CtlError) -> [String: StatusBlock] {
        var statuses: [String: StatusBlock] = [:]
        var done: [BackendGroup] = []
        do throws(CtlError) {
            for group in BackendGroup.groups(try entries(requests), paths: paths) {
                statuses.merge(try group.setup(record)) { first, _ in first }
                done.append(group)
            }
        } catch {
            for group in done.reversed() { try? group.teardown(record) }
            throw error
        }
        return statuses
    }

    /// Every network is attempted; the failures are returned, not thrown.
    func tearDown(_ record: ContainerRecord, _ requests: [NetworkRequest]) -> [CtlError] {
        var failures: [CtlError] = []
        var entries: [NetworkEntry] = []
        for request in requests {
            do throws(CtlError) { entries.append((request, try store.network(request.network))) } catch { failures.append(error) }
        }
        for group in BackendGroup.teardownOrder(entries, paths: paths) {
            do throws(CtlError) { try group.teardown(record) } catch { failures.append(error) }
        }
        return failures
    }

    // MARK: addresses

    /// netavark networks get their addresses from pontoonctl, as podman gives them; CNI networks
    /// from their IPAM plugin unless the user asked for some.
    func reserveAddresses(_ request: inout NetworkRequest, containerID: String) throws(CtlError) {
        let file = try store.network(request.network)
        let requested = try Self.validateAddresses(request)
        guard file.backend.implementation.callerAllocatesAddresses else { return }
        let lock = try store.lockStore()
        defer { lock.unlock() }
        request.staticIPs = try store.reserve(network: file.network, containerID: containerID, requested: requested).map { "\($0)" }
    }

    /// The asked-for addresses parsed, the MAC checked: at create and connect, and again at start.
    @discardableResult
    static func validateAddresses(_ request: NetworkRequest) throws(CtlError) -> [IPAddress] {
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
        return requested
    }

    func releaseAddresses(_ record: ContainerRecord, _ requests: [NetworkRequest]) {
        for request in requests {
            let fromStatus = record.status[request.network]?.interfaces.values.flatMap { $0.subnets.map(\.ipnet) } ?? []
            store.release(network: request.network, addresses: request.staticIPs + fromStatus, containerID: record.id)
        }
    }

    static func freeInterface(_ used: [String]) throws(CtlError) -> String {
        for index in 0..<10_000 where !used.contains("eth\(index)") { return "eth\(index)" }
        throw CtlError(.conflict, "no free ethN interface name")
    }
}
