import Foundation

/// The network modes a podman user names with `--network`: the default network (`private`,
/// `bridge`, or none at all), `none`, `host`, `container:` chains; and what only bridge mode allows.
extension ContainerOperations.CreateRequest {
    /// One `--network` value: a mode (at most one, and alone), `private`/`bridge[:OPTIONS]` (the
    /// default network, as podman's bridge mode), or a network with its options.
    public mutating func addNetwork(_ text: String) throws(CtlError) {
        // `--network a,b`: a list of networks without options, as podman 4 still takes it.
        if !text.contains(":"), text.contains(",") {
            for name in text.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
                guard !name.isEmpty else { throw CtlError(.usage, "--network \"\(text)\": an empty network name in the list") }
                guard try NetworkMode.parse(name) == nil else {
                    throw CtlError(.usage, "--network \"\(text)\": a list names networks; \(name) is a mode, given alone")
                }
                try addNetwork(name)
            }
            return
        }
        if let mode = try NetworkMode.parse(text) {
            guard self.mode == nil else { throw CtlError(.usage, "only one network mode (container:, ns:, none, host, slirp4netns) may be given") }
            self.mode = mode
            return
        }
        if text == "private" || text == "bridge" {
            networks.append(AttachRequest(network: NetworkFile.defaultName))
        } else if text.hasPrefix("bridge:") {
            networks.append(try AttachRequest.parse(NetworkFile.defaultName + text.dropFirst("bridge".count)))
        } else {
            networks.append(try AttachRequest.parse(text))
        }
    }
}

extension ContainerOperations {
    /// podman's default network (`podman network inspect podman` on a fresh host): made on first use.
    static let defaultSubnet = "10.88.0.0/16"
    static let defaultBridge = "pontoon0"

    /// A mode brings its own namespace (or none): no network of the container's, no port to publish
    /// (but through slirp4netns, which serves a container's ports itself).
    func refuseWithMode(_ request: CreateRequest, _ mode: NetworkMode) throws(CtlError) {
        guard request.networks.isEmpty else {
            throw CtlError(.usage, "--network \(mode) cannot be combined with other networks")
        }
        if case .slirp4netns = mode { return }
        guard request.ports.isEmpty else {
            throw CtlError(.usage, "port publishing (-p) cannot be combined with --network \(mode): no network is set up to serve it")
        }
    }

    /// What a root container with no mode and no network gets, as podman's: the default network
    /// (a rootless one gets slirp4netns: `withDefaultMode`). podman's container-wide flags (`--ip`,
    /// `--mac-address`, …) are folded in here, the default network included.
    func withDefaultNetwork(_ request: CreateRequest) throws(CtlError) -> [AttachRequest] {
        let defaultNetwork = paths.rootless == nil ? NetworkFile.defaultName : nil
        var networks = request.networks
        if request.mode == nil, networks.isEmpty, let defaultNetwork { networks = [AttachRequest(network: defaultNetwork)] }
        return try request.networkFlags.apply(to: networks, mode: request.mode, defaultNetwork: defaultNetwork)
    }

    /// A rootless container (or pod) with no mode and no network gets slirp4netns, podman's rootless
    /// default (containers.conf `default_rootless_network_cmd`), with podman's options. A
    /// `--port-handler` slirp4netns can serve becomes its `port_handler`; `transparent` is left for
    /// `refusePortHandler` to refuse (it serves bridge networks only).
    func withDefaultMode(_ request: CreateRequest) -> CreateRequest {
        guard paths.rootless != nil, request.mode == nil, request.networks.isEmpty else { return request }
        var request = request
        var options = Slirp4netnsOptions()
        if let handler = request.portHandler, handler != .transparent {
            options.portHandler = handler
            request.portHandler = nil
        }
        request.mode = .slirp4netns(options)
        return request
    }

    /// The default network, created the first time a container names it (podman's is always there).
    func ensureDefaultNetwork() throws(CtlError) {
        guard paths.rootless == nil, !store.hasNetwork(named: NetworkFile.defaultName) else { return }
        let networks = NetworkOperations(store: store)
        var request = NetworkOperations.CreateRequest(name: NetworkFile.defaultName)
        request.subnets = [Self.defaultSubnet]
        // pontoon0 unless a network made before it took that name (podman's default network exists
        // before any other, so it always has podman0; here the first free pontoonN stands in).
        request.interfaceName = try networks.usedBridgeNames().contains(Self.defaultBridge) ? nil : Self.defaultBridge
        request.id = NetworkLookup.derivedID(NetworkFile.defaultName)   // podman's ID for it: 2f259bab93aa…
        request.disableDNS = true   // as podman's default network: names resolve on networks made with DNS
        do throws(CtlError) {
            _ = try networks.create(request)
        } catch {
            // Another pontoonctl made it meanwhile: that one is as good.
            guard store.hasNetwork(named: NetworkFile.defaultName) else {
                throw CtlError(error.kind, "cannot create the default network \(NetworkFile.defaultName) (\(Self.defaultSubnet)): \(error.description)")
            }
        }
    }

    /// The container whose namespace `record` is in: itself, or the last of a `container:` chain
    /// (libpod's getContainerNetNS follows the chain the same way).
    func namespaceOwner(_ record: ContainerRecord) throws(CtlError) -> ContainerRecord {
        var current = record
        var seen: Set<String> = [record.name]
        while case .container(let next)? = current.networkMode {
            guard seen.insert(next).inserted else { throw CtlError(.failed, "container \(record.name): its container: chain loops at \(next)") }
            current = try store.container(next)
        }
        return current
    }

    /// connect, disconnect and reload need bridge mode: podman refuses any other with
    /// ErrNetworkModeInvalid (libpod's isBridgeNetMode).
    func refuseNotBridge(_ record: ContainerRecord) throws(CtlError) {
        guard let mode = record.networkMode else { return }
        throw CtlError(.usage, "\"\(mode)\" is not supported: invalid network mode")
    }
}

extension ContainerRecord {
    /// inspect's `HostConfig.NetworkMode` as podman shows it: `bridge` for networks of its own,
    /// `container:<ID>` with the ID of the container named at create (libpod's NetNsCtr, not the
    /// chain's end).
    public var podmanNetworkMode: String {
        switch networkMode {
        case nil: "bridge"
        case .container(let other)?: "container:" + (sharedNamespaceID ?? other)
        case let mode?: "\(mode)"
        }
    }
}
