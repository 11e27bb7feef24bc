extension ContainerOperations {
    /// The containers sharing `name`'s namespace.
    func sharers(of name: String) throws(CtlError) -> [ContainerRecord] {
        try store.containers().filter { $0.networkMode == .container(name) }
    }

    /// Teardown of every network, then the namespace and the state go even when teardown failed;
    /// the failures are returned (the CLI reports them, `--force` makes them warnings).
    /// A container whose namespace others share is refused, as podman refuses it, unless `force`,
    /// which removes the sharers first. A sharer or a joined namespace is only forgotten: its
    /// namespace and networks are not its own.
    public func remove(_ name: String, force: Bool = false) throws(CtlError) -> [CtlError] {
        guard let environment = paths.rootless else { return try removeContainer(name, force: force) }
        let netns = RootlessNetNS(host: try environment.preflight(), stateDirectory: paths.stateDirectory)
        return try netns.locked { () throws(CtlError) -> [CtlError] in
            var rootless = self
            // Without the pause process nothing can be torn down inside it: the files still go.
            rootless.rootless = try RootlessAttachment(netns: netns, pause: netns.pause)
            let failures = try rootless.removeContainer(name, force: force)
            // The last container out takes the rootless netns and its connector with it, as podman does.
            let remaining = try store.containers()
            if remaining.isEmpty {
                if rootless.rootless?.pause == nil { netns.stopStrandedDNS(configDirectory: paths.netavarkConfigDirectory) }
                netns.downLocked()
            } else if !remaining.contains(where: { $0.networkMode == nil }) {
                // Only containers with a namespace of their own (slirp4netns) or joined: they keep the pause process.
                netns.connectorDownLocked()
            }
            return failures
        }
    }

    func removeContainer(_ name: String, force: Bool) throws(CtlError) -> [CtlError] {
        let lock = try store.lockContainer(name)
        defer { lock.unlock() }
        let record = try store.container(name)
        if !record.ownsNamespace {
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
        // A rootless container whose pause process died lost its namespace with it: nothing inside is left
        // to tear down, and a plugin run outside it would act on the host.
        let lost = rootless != nil && rootless?.pause == nil
        if lost { warn("the rootless network namespace of container \(name) is gone: its networks are only forgotten") }
        var all = record.netns.isEmpty || lost ? [] : tearDown(record, record.networks)
        releaseAddresses(record, record.networks)
        do throws(CtlError) { try unpublish(record) } catch { all.append(error) }
        record.slirp4netns?.stop()
        if !record.netns.isEmpty {
            do throws(CtlError) { try removeNamespace(record.netns) } catch { all.append(error) }
        }
        store.removeContainer(name)
        return all
    }
}
