extension ContainerOperations {
    /// The containers sharing `name`'s namespace through it: its `container:` sharers, theirs, and
    /// so on, nearest first.
    func sharers(of name: String) throws(CtlError) -> [ContainerRecord] {
        let all = try store.containers()
        var found: [ContainerRecord] = []
        var frontier: Set<String> = [name]
        while !frontier.isEmpty {
            let next = all.filter { record in
                guard case .container(let other)? = record.networkMode else { return false }
                return frontier.contains(other) && !found.contains { $0.name == record.name }
            }
            found += next
            frontier = Set(next.map(\.name))
        }
        return found
    }

    /// A running container is refused, as podman refuses it, unless `force`, which stops it first
    /// (teardown failures are returned: the CLI reports them, `--force` makes them warnings); a
    /// created or stopped one is only forgotten. A container whose namespace others share is
    /// refused unless `force`, which removes the sharers first. A sharer or a joined namespace is
    /// only forgotten: its namespace and networks are not its own.
    public func remove(_ name: String, force: Bool = false) throws(CtlError) -> [CtlError] {
        try remove(name, force: force, podRemoval: false)
    }

    func remove(_ name: String, force: Bool, podRemoval: Bool) throws(CtlError) -> [CtlError] {
        if !podRemoval, let record = try? store.container(name) { try refuseInfraRemoval(record) }
        let failures = try inRootlessScope(.teardown, for: name) { scoped throws(CtlError) in try scoped.removeContainer(name, force: force) }
        event(.remove, name: name)
        return failures
    }

    func removeContainer(_ name: String, force: Bool) throws(CtlError) -> [CtlError] {
        let lock = try store.lockContainer(name)
        defer { lock.unlock() }
        var record = try store.container(name)
        // A sharer's own sharers count too: theirs is the same namespace, reached through it.
        let sharers = try sharers(of: name)
        if !sharers.isEmpty, !force {
            throw CtlError(.conflict, "container \(name) has containers sharing its network namespace: "
                + sharers.map(\.name).joined(separator: ", ") + "; remove them first, or use --force to remove them too")
        }
        // Its processes (what exec started, or anything entered by hand) end with it, as podman's rm
        // --force stops the container; an adopted --pid namespace and everything in it are the user's
        // own and keep running, and the helpers pontoonctl started (slirp4netns, the port proxy) are
        // stopped by takeDown.
        let processes = record.state == .running && record.ownsNamespace && record.pid == nil && rootless == nil
            ? NamespaceProcesses.pids(in: record.netns).filter { ![record.slirp4netns?.pid, record.portProxy?.pid].contains($0) } : []
        guard record.state != .running || force else {
            let running = processes.isEmpty ? "" : " (processes \(Self.list(processes)) in its network namespace)"
            throw CtlError(.conflict, "cannot remove container \(name) as it is running\(running) - running or paused containers cannot be "
                + "removed without force")
        }
        if !processes.isEmpty {
            let left = NamespaceProcesses.end(processes, in: record.netns)
            warn("rm \(name): ended processes \(Self.list(processes)) in its network namespace"
                + (left.isEmpty ? "" : "; \(Self.list(left)) did not end on SIGKILL"))
        }
        for sharer in sharers.reversed() {   // the farthest first: none is left pointing at a removed one
            let sharerLock = try store.lockContainer(sharer.name)   // owner, then sharer: as create takes them
            store.removeContainer(sharer.name)
            sharerLock.unlock()
            warn("removed container \(sharer.name), which shared the network namespace of \(name)")
            event(.remove, sharer)
        }
        guard record.ownsNamespace || record.networkMode == .host, record.state == .running else {
            store.removeContainer(name)
            return []
        }
        let failures = takeDown(&record)
        event(.stop, record)   // --force stopped it, as podman's rm -f does
        store.removeContainer(name)
        return failures
    }

    static func list(_ pids: [Int32]) -> String {
        pids.count <= 8 ? pids.map(String.init).joined(separator: ", ") : pids.prefix(8).map(String.init).joined(separator: ", ") + " and \(pids.count - 8) more"
    }
}
