extension ContainerOperations {
    /// On a running container the network is set up live; on a created or stopped one it is only
    /// recorded, and set up at the next start (libpod's connect).
    public func connect(_ name: String, _ attach: AttachRequest) throws(CtlError) -> ContainerRecord {
        if paths.rootless != nil {
            // The network must be one a rootless container can have, as create decides it.
            var request = CreateRequest(name: name)
            request.networks = [attach]
            try refuseUnsupported(request)
        }
        let live = try store.container(name).state == .running
        let record = try live
            ? inRootlessScope(.running, for: name) { scoped throws(CtlError) in try scoped.connectContainer(name, attach, live: true) }
            : connectContainer(name, attach, live: false)
        event(.connect, record, network: record.networks.last?.network ?? attach.network)
        return record
    }

    /// The state the caller saw without the container's lock must still hold under it: a live
    /// change needs the rootless scope that was (or was not) taken for it.
    func expectState(_ record: ContainerRecord, live: Bool) throws(CtlError) {
        guard (record.state == .running) != live else { return }
        throw CtlError(.conflict, "container \(record.name) was started or stopped meanwhile: try again")
    }

    func connectContainer(_ name: String, _ attach: AttachRequest, live: Bool) throws(CtlError) -> ContainerRecord {
        let lock = try store.lockContainer(name)
        defer { lock.unlock() }
        var record = try store.container(name)
        try refuseNotBridge(record)
        try expectState(record, live: live)
        var request = try checkedRequest(attach, record: record)   // the network by name or ID prefix; the request has its name
        guard !record.networks.contains(where: { $0.network == request.network }) else {
            throw CtlError(.conflict, "container \(name) is already connected to network \(request.network)")
        }
        guard live else {
            record.networks.append(request)
            try store.save(record)
            return record
        }
        try reserveAddresses(&request, containerID: record.id)
        do throws(CtlError) {
            let status = try setUp(record, [request])
            record.networks.append(request)
            record.status[request.network] = status[request.network]
            try store.save(record)
            try ContainerFiles.connected(request.network, record, paths: paths)
        } catch {
            releaseAddresses(record, [request])
            throw error
        }
        return record
    }
}
