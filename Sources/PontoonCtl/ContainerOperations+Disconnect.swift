extension ContainerOperations {
    /// In libpod's order: the network leaves the container's record, then (on a running container)
    /// it is torn down, and a teardown failure is returned as the command's error (a warning with
    /// `force`). On a created or stopped container only the record changes.
    public func disconnect(_ name: String, network: String, force: Bool) throws(CtlError) {
        let live = try store.container(name).state == .running
        let (failure, left) = live
            ? try inRootlessScope(.running, for: name) { scoped throws(CtlError) in
                try scoped.disconnectContainer(name, network: network, live: true, force: force)
            }
            : try disconnectContainer(name, network: network, live: false, force: force)
        event(.disconnect, name: name, network: left)
        guard let failure else { return }
        guard force else { throw failure }
        warn("disconnect \(name) from \(left): \(failure)")
    }

    /// The teardown failure, if any (the network is gone from the record all the same), and the
    /// network's name.
    func disconnectContainer(_ name: String, network: String, live: Bool, force: Bool = false) throws(CtlError) -> (CtlError?, String) {
        let lock = try store.lockContainer(name)
        defer { lock.unlock() }
        let attached = try store.container(name)
        try refuseNotBridge(attached)
        try expectState(attached, live: live)
        // The record's own name first (its network file may be gone), else a name or an ID prefix.
        let network = attached.networks.contains { $0.network == network } ? network : try store.network(network).network.name
        guard let request = attached.networks.first(where: { $0.network == network }) else {
            throw CtlError(.notFound, "container \(name) is not connected to network \(network)")
        }
        var record = attached
        record.networks.removeAll { $0.network == network }
        record.status.removeValue(forKey: network)
        // Its published ports would be left where nothing forwards them, yet still shown as mapped.
        if let stranded = try internalOnly(record) {
            let names = stranded.count == 1 ? "network \(stranded[0])" : "networks \(stranded.joined(separator: ", "))"
            let reason = "its published ports (-p) would be left on internal \(names) only, which forwards no port"
            guard force else {
                throw CtlError(.conflict, "cannot disconnect container \(name) from network \(network): \(reason) (--force disconnects it all the same)")
            }
            warn("disconnect \(name) from \(network): \(reason)")
        }
        try store.save(record)
        guard live else { return (nil, network) }
        let failures = tearDown(attached, [request])
        releaseAddresses(attached, [request])
        try ContainerFiles.disconnected(network, before: attached, paths: paths)
        return (failures.first, network)
    }
}
