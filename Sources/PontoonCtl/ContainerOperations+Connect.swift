extension ContainerOperations {
    public func connect(_ name: String, _ attach: AttachRequest) throws(CtlError) -> ContainerRecord {
        if paths.rootless != nil {
            // The network must be one a rootless container can have, as create decides it.
            var request = CreateRequest(name: name)
            request.networks = [attach]
            try refuseUnsupported(request)
        }
        return try inRootlessScope(.running, for: name) { scoped throws(CtlError) in try scoped.connectContainer(name, attach) }
    }

    func connectContainer(_ name: String, _ attach: AttachRequest) throws(CtlError) -> ContainerRecord {
        let lock = try store.lockContainer(name)
        defer { lock.unlock() }
        var record = try store.container(name)
        try refuseJoined(record, "connect")
        var attach = attach
        attach.network = try store.network(attach.network).network.name   // a name or an ID prefix; records keep the name
        guard !record.networks.contains(where: { $0.network == attach.network }) else {
            throw CtlError(.conflict, "container \(name) is already connected to network \(attach.network)")
        }
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
            try ContainerFiles.connected(request.network, record, paths: paths)
        } catch {
            releaseAddresses(record, [request])
            throw error
        }
        return record
    }
}
