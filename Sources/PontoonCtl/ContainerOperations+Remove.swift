extension ContainerOperations {
    /// The containers sharing `name`'s namespace.
    func sharers(of name: String) throws(CtlError) -> [ContainerRecord] {
        try store.containers().filter { $0.networkMode == .container(name) }
    }

    /// A running container is refused, as podman refuses it, unless `force`, which stops it first
    /// (teardown failures are returned: the CLI reports them, `--force` makes them warnings); a
    /// created or stopped one is only forgotten. A container whose namespace others share is
    /// refused unless `force`, which removes the sharers first. A sharer or a joined namespace is
    /// only forgotten: its namespace and networks are not its own.
    public func remove(_ name: String, force: Bool = false) throws(CtlError) -> [CtlError] {
        let failures = try inRootlessScope(.teardown, for: name) { scoped throws(CtlError) in try scoped.removeContainer(name, force: force) }
        event(.remove, name: name)
        return failures
    }

    func removeContainer(_ name: String, force: Bool) throws(CtlError) -> [CtlError] {
        let lock = try store.lockContainer(name)
        defer { lock.unlock() }
        var record = try store.container(name)
        let sharers = record.ownsNamespace ? try sharers(of: name) : []
        if !sharers.isEmpty, !force {
            throw CtlError(.conflict, "container \(name) has containers sharing its network namespace: "
                + sharers.map(\.name).joined(separator: ", ") + "; remove them first, or use --force to remove them too")
        }
        guard record.state != .running || force else {
            throw CtlError(.conflict, "cannot remove container \(name) as it is running - running or paused containers cannot be "
                + "removed without force")
        }
        if !record.ownsNamespace {
            store.removeContainer(name)
            return []
        }
        for sharer in sharers {
            let sharerLock = try store.lockContainer(sharer.name)   // owner, then sharer: as create takes them
            store.removeContainer(sharer.name)
            sharerLock.unlock()
            warn("removed container \(sharer.name), which shared the network namespace of \(name)")
            event(.remove, sharer)
        }
        guard record.state == .running else {
            store.removeContainer(name)
            return []
        }
        let failures = takeDown(&record)
        event(.stop, record)   // --force stopped it, as podman's rm -f does
        store.removeContainer(name)
        return failures
    }
}
