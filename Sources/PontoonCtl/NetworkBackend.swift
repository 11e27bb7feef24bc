import Netavark

/// One of a container's networks with the file that says how it is served.
typealias NetworkEntry = (request: NetworkRequest, file: NetworkFile)

/// What serves a container's networks, libpod's `ContainerNetwork`: every network given is set up
/// in one go (all or nothing) or torn down. An implementation speaks one protocol to its plugins
/// as child processes; the verbs know only this.
protocol NetworkBackend {
    /// podman allocates the addresses of netavark networks itself and passes them as static IPs;
    /// a CNI conflist's IPAM plugin picks its own.
    static var callerAllocatesAddresses: Bool { get }

    /// The backend serving `entry`, and the key of the group it serves it in: the networks of a
    /// container with the same key go to one call.
    static func serving(_ entry: NetworkEntry, paths: ControlPaths) -> (group: String, backend: Self)

    /// The status of every network given, by network name; on failure nothing given is left set up.
    func setup(_ record: ContainerRecord, _ networks: [NetworkEntry]) throws(CtlError) -> [String: StatusBlock]

    func teardown(_ record: ContainerRecord, _ networks: [NetworkEntry]) throws(CtlError)
}

extension NetworkFile.Backend {
    /// The one place a network's backend type picks its implementation.
    var implementation: any NetworkBackend.Type {
        switch type {
        case .netavark: NetavarkBackend.self
        case .cni: CNIBackend.self
        }
    }
}

/// A container's networks as one backend call serves them: the netavark-protocol networks of one
/// plugin together (one `setup`, as podman sends them), each CNI network alone (its own conflist).
struct BackendGroup {
    let backend: any NetworkBackend
    /// In the container's order.
    private(set) var networks: [NetworkEntry]
    /// Where the group's last network stands in the container's order: groups are set up in order
    /// of their first network and torn down in reverse order of their last.
    private(set) var last: Int

    /// Groups in setup order.
    static func groups(_ entries: [NetworkEntry], paths: ControlPaths) -> [BackendGroup] {
        var groups: [BackendGroup] = []
        var index: [String: Int] = [:]
        for (position, entry) in entries.enumerated() {
            let (key, backend) = entry.file.backend.implementation.serving(entry, paths: paths)
            if let existing = index[key] {
                groups[existing].networks.append(entry)
                groups[existing].last = position
            } else {
                index[key] = groups.count
                groups.append(BackendGroup(backend: backend, networks: [entry], last: position))
            }
        }
        return groups
    }

    /// Groups in teardown order.
    static func teardownOrder(_ entries: [NetworkEntry], paths: ControlPaths) -> [BackendGroup] {
        groups(entries, paths: paths).sorted { $0.last > $1.last }
    }

    func setup(_ record: ContainerRecord) throws(CtlError) -> [String: StatusBlock] {
        try backend.setup(record, networks)
    }

    func teardown(_ record: ContainerRecord) throws(CtlError) {
        try backend.teardown(record, networks)
    }
}

extension ControlPaths {
    /// The port mappings a plugin is given, whatever its protocol: as published for root; for a
    /// rootless container as slirp4netns delivers them into the rootless netns (`SlirpForwards`), on
    /// the same port whatever host address it listens on, for the plugin's own DNAT (pontoon's,
    /// netavark's, `portmap`'s) to take to the container.
    func pluginPorts(_ ports: [PortMapping]) -> [PortMapping] {
        guard rootless != nil else { return ports }
        return ports.map { port in
            var forwarded = port
            forwarded.hostIP = ""   // podman's "any": netavark needs the field present
            return forwarded
        }
    }
}
