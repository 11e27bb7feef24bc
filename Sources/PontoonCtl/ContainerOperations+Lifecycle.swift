import Foundation

/// start, stop, restart: a recorded container gets its namespace and networks, and loses them
/// again, as libpod's `setupNetNS` and `teardownNetNS` (at cleanup) do. Containers with networks
/// of their own, `none` (a namespace with loopback) and `host` (no namespace) have a lifecycle:
/// `container:`, `ns:` and `slirp4netns` ones run from `run` until `rm`.
extension ContainerOperations {
    public func start(_ name: String) throws(CtlError) -> ContainerRecord {
        try inRootlessScope(.bringUp, for: name) { scoped throws(CtlError) in try scoped.startContainer(name) }
    }

    /// The teardown failures are returned, not thrown: the container is stopped all the same.
    public func stop(_ name: String) throws(CtlError) -> [CtlError] {
        try inRootlessScope(.teardown, for: name) { scoped throws(CtlError) in try scoped.stopContainer(name) }
    }

    /// One scope for both halves: the rootless netns is not taken down between them.
    public func restart(_ name: String) throws(CtlError) -> (ContainerRecord, [CtlError]) {
        try refuseLifecycle(try store.container(name), "restart")
        return try inRootlessScope(.bringUp, for: name) { scoped throws(CtlError) in
            let failures = try scoped.stopContainer(name)
            return (try scoped.startContainer(name), failures)
        }
    }

    /// exec, stats and reload need the namespace that only a running container has.
    func requireRunning(_ record: ContainerRecord, _ verb: String) throws(CtlError) {
        guard record.state != .running else { return }
        throw CtlError(.conflict, "container \(record.name) is \(record.state.rawValue), not running: start it before \(verb)")
    }

    func refuseLifecycle(_ record: ContainerRecord, _ verb: String) throws(CtlError) {
        guard let mode = record.networkMode, !mode.hasLifecycle else { return }
        throw CtlError(.usage, "container \(record.name) uses --network \(mode): it runs from run until rm, \(verb) is not supported")
    }

    /// A running container is left as it is (podman's start of a running container succeeds).
    func startContainer(_ name: String) throws(CtlError) -> ContainerRecord {
        _ = try store.container(name)   // before its lock: no lock file is made for a name that is not there
        let lock = try store.lockContainer(name)
        defer { lock.unlock() }
        let stored = try store.container(name)
        try refuseLifecycle(stored, "start")
        guard stored.state != .running else { return stored }
        var record = stored
        var requests = record.networks.map(\.asAsked)
        var reserved: [NetworkRequest] = []
        var networksUp = false
        do throws(CtlError) {
            for index in requests.indices {
                try reserveAddresses(&requests[index], containerID: record.id)
                reserved.append(requests[index])
            }
            record.netns = try namespaceForStart(&record)
            record.networks = requests
            record.state = .running
            // Saved before any plugin runs (a crash leaves what stop or rm can finish), its host ports claimed.
            try claimHostPorts(record) { () throws(CtlError) in try store.save(record) }
            record.status = try setUp(record, requests)
            networksUp = true
            try publish(&record)
            try store.save(record)
            try ContainerFiles.write(record, paths: paths)
        } catch {
            record.portProxy?.stop()
            if networksUp { _ = tearDown(record, requests) }
            releaseAddresses(record, reserved)
            if !record.netns.isEmpty { try? removeNamespace(record.netns) }
            try? store.save(stored)
            throw error
        }
        event(.start, record)
        return record
    }

    /// A container that is not running is left as it is (podman's stop of a stopped one succeeds).
    func stopContainer(_ name: String) throws(CtlError) -> [CtlError] {
        _ = try store.container(name)   // before its lock: no lock file is made for a name that is not there
        let lock = try store.lockContainer(name)
        defer { lock.unlock() }
        var record = try store.container(name)
        try refuseLifecycle(record, "stop")
        guard record.state == .running else { return [] }
        // A sharer runs in this namespace for as long as it exists: it would be left with a dangling path.
        let sharers = try sharers(of: name)
        guard sharers.isEmpty else {
            throw CtlError(.conflict, "container \(name) has containers sharing its network namespace: "
                + sharers.map(\.name).joined(separator: ", ") + "; rm them before stopping it")
        }
        let failures = takeDown(&record)
        record.state = .stopped
        try store.save(record)
        event(.stop, record)
        return failures
    }

    /// Everything `start` made goes, in teardownNetNS's order: the networks, the addresses (a
    /// dynamic one is leased anew at the next start), the published ports, the namespace. Every
    /// step is attempted; the failures are returned.
    func takeDown(_ record: inout ContainerRecord) -> [CtlError] {
        // A rootless container whose pause process died lost its namespace with it: nothing inside is left
        // to tear down, and a plugin run outside it would act on the host.
        let lost = rootless != nil && rootless?.pause == nil
        if lost { warn("the rootless network namespace of container \(record.name) is gone: its networks are only forgotten") }
        var failures = record.netns.isEmpty || lost ? [] : tearDown(record, record.networks)
        releaseAddresses(record, record.networks)
        do throws(CtlError) { try unpublish(record) } catch { failures.append(error) }
        record.portProxy = nil
        record.slirp4netns?.stop()
        if !record.netns.isEmpty {
            do throws(CtlError) { try removeNamespace(record.netns) } catch { failures.append(error) }
        }
        record.netns = ""
        record.status = [:]
        record.networks = record.networks.map(\.asAsked)
        return failures
    }

    /// The namespace a start configures: the recorded process's, bind-mounted as libpod's
    /// `setupNetNS` does, while that process runs; otherwise a new one.
    func namespaceForStart(_ record: inout ContainerRecord) throws(CtlError) -> String {
        switch record.networkMode {
        case .host?:
            return ""   // the host's own: nothing is made, nothing is torn down
        case .noNetwork?:
            let path = try makeNamespace()
            do throws(CtlError) { try NamespaceFiles.loopbackUp(path) } catch {
                try? removeNamespace(path)
                throw error
            }
            return path
        default:
            break
        }
        if let pid = record.pid {
            if kill(pid, 0) == 0 || errno == EPERM { return try NamespaceFiles.adopt(pid: pid, in: paths.netnsDirectory) }
            warn("process \(pid) of container \(record.name) no longer runs: it gets a new network namespace")
            record.pid = nil
        }
        return try makeNamespace()
    }
}
