import NetAddress

extension ContainerOperations {
    /// Teardown (failures about what is already gone are expected: warnings), then setup with the
    /// same interfaces, MACs and addresses as stored.
    public func reload(_ name: String) throws(CtlError) -> ContainerRecord {
        try inRootlessScope(.running, for: name) { scoped throws(CtlError) in try scoped.reloadContainer(name) }
    }

    func reloadContainer(_ name: String) throws(CtlError) -> ContainerRecord {
        let lock = try store.lockContainer(name)
        defer { lock.unlock() }
        var record = try store.container(name)
        let before = record
        try refuseNotBridge(record)
        try requireRunning(record, "reload")
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
        try restoreTransparentRouting(record)
        // What was allocated is passed again by the next reload; what was asked for stays as asked.
        record.networks = requests
        try store.save(record)
        try ContainerFiles.reloaded(before: before, after: record, paths: paths)
        return record
    }
}
