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
        try inRootlessScope(.teardown, for: name) { scoped throws(CtlError) in try scoped.removeContainer(name, force: force) }
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
