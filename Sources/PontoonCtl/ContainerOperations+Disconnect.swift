extension ContainerOperations {
    /// Teardown of that network only; a failure keeps it attached unless `force`.
    public func disconnect(_ name: String, network: String, force: Bool) throws(CtlError) {
        try inRootlessScope(.running, for: name) { scoped throws(CtlError) in try scoped.disconnectContainer(name, network: network, force: force) }
    }

    func disconnectContainer(_ name: String, network: String, force: Bool) throws(CtlError) {
        let lock = try store.lockContainer(name)
        defer { lock.unlock() }
        var record = try store.container(name)
        try refuseJoined(record, "disconnect")
        // The record's own name first (its network file may be gone), else a name or an ID prefix.
        let network = record.networks.contains { $0.network == network } ? network : try store.network(network).network.name
        guard let request = record.networks.first(where: { $0.network == network }) else {
            throw CtlError(.notFound, "container \(name) is not connected to network \(network)")
        }
        let failures = tearDown(record, [request])
        if let failure = failures.first {
            guard force else { throw failure }
            warn("disconnect \(name) from \(network): \(failure)")
        }
        releaseAddresses(record, [request])
        let before = record
        record.networks.removeAll { $0.network == network }
        record.status.removeValue(forKey: network)
        try store.save(record)
        try ContainerFiles.disconnected(network, before: before, paths: paths)
    }
}
