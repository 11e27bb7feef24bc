import Foundation
import HostSystem

/// start, stop, restart: a recorded container gets its namespace and networks, and loses them
/// again, as libpod's `setupNetNS` and `teardownNetNS` (at cleanup) do. Every mode has this
/// lifecycle: `none` makes a namespace with loopback, `host` none, `slirp4netns` a namespace and
/// its slirp4netns process; `container:` joins its chain's namespace and `ns:` the given one, and
/// their stop leaves it without touching it.
extension ContainerOperations {
    public func start(_ name: String) throws(CtlError) -> ContainerRecord {
        try inRootlessScope(try startNeed(name), for: name) { scoped throws(CtlError) in try scoped.startContainer(name) }
    }

    /// The teardown failures are returned, not thrown: the container is stopped all the same.
    public func stop(_ name: String) throws(CtlError) -> [CtlError] {
        try inRootlessScope(.teardown, for: name) { scoped throws(CtlError) in try scoped.stopContainer(name) }
    }

    /// One scope for both halves: the rootless netns is not taken down between them.
    public func restart(_ name: String) throws(CtlError) -> (ContainerRecord, [CtlError]) {
        try inRootlessScope(try startNeed(name), for: name) { scoped throws(CtlError) in
            let failures = try scoped.stopContainer(name)
            return (try scoped.startContainer(name), failures)
        }
    }

    /// exec, stats and reload need the namespace that only a running container has.
    func requireRunning(_ record: ContainerRecord, _ verb: String) throws(CtlError) {
        guard record.state != .running else { return }
        throw CtlError(.conflict, "container \(record.name) is \(record.state.rawValue), not running: start it before \(verb)")
    }

    /// A slirp4netns container (or one sharing its namespace) has its own slirp4netns: the rootless
    /// netns is not brought up for it, as podman starts neither for it.
    func startNeed(_ name: String) throws(CtlError) -> RootlessNeed {
        guard paths.rootless != nil, let record = try? store.container(name), let owner = try? namespaceOwner(record) else { return .bringUp }
        if case .slirp4netns? = owner.networkMode { return .pauseOnly }
        return .bringUp
    }

    /// A running container is left as it is (podman's start of a running container succeeds).
    /// A pod member whose infra is not running starts it first, as libpod starts a container's
    /// dependencies; any other `container:` sharer needs its chain's owner running.
    func startContainer(_ name: String) throws(CtlError) -> ContainerRecord {
        let first = try store.container(name)   // before its lock: no lock file is made for a name that is not there
        guard first.state != .running else { return first }
        var ownerLock: ContainerLock?
        if case .container(let other)? = first.networkMode {
            if let pod = first.pod, other == PodRecord.infraName(pod), try store.container(other).state != .running {
                _ = try startContainer(other)
            }
            _ = try store.container(other)
            ownerLock = try store.lockContainer(other)   // owner, then sharer: as rm --force of the owner takes them
        }
        defer { ownerLock?.unlock() }
        let lock = try store.lockContainer(name)
        defer { lock.unlock() }
        let stored = try store.container(name)
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
            if case .slirp4netns(let options)? = record.networkMode { try startSlirp4netns(&record, options) }
            try publish(&record)
            try store.save(record)
            // A sharer's files are its owner's (see filesDirectory).
            if record.sharedNamespaceOwner == nil { try ContainerFiles.started(record, paths: paths) }
        } catch {
            record.portProxy?.stop()
            record.slirp4netns?.stop()
            if networksUp { _ = tearDown(record, requests) }
            releaseAddresses(record, reserved)
            if record.ownsNamespace, !record.netns.isEmpty { try? removeNamespace(record.netns) }
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
        guard record.state == .running else { return [] }
        // A running sharer is in this namespace: it would be left with a dangling path. A stopped one
        // joins again at its start.
        let sharers = try sharers(of: name).filter { $0.state == .running }
        guard sharers.isEmpty else {
            throw CtlError(.conflict, "container \(name) has running containers sharing its network namespace: "
                + sharers.map(\.name).joined(separator: ", ") + "; stop them first")
        }
        let failures = takeDown(&record)
        record.state = .stopped
        try store.save(record)
        event(.stop, record)
        return failures
    }

    /// Everything `start` made goes, in teardownNetNS's order: the networks, the addresses (a
    /// dynamic one is leased anew at the next start), the published ports, slirp4netns, the
    /// namespace, and the networks' lines in `hosts` (the user's stay for the next start). A joined
    /// namespace (`container:`, `ns:`) is only left. Every step is attempted; the failures are returned.
    func takeDown(_ record: inout ContainerRecord) -> [CtlError] {
        // A rootless container whose pause process died lost its namespace with it: nothing inside is left
        // to tear down, and a plugin run outside it would act on the host.
        let lost = rootless != nil && rootless?.pause == nil
        if lost, !record.networks.isEmpty { warn("the rootless network namespace of container \(record.name) is gone: its networks are only forgotten") }
        var failures = record.netns.isEmpty || lost ? [] : tearDown(record, record.networks)
        releaseAddresses(record, record.networks)
        do throws(CtlError) { try unpublish(record) } catch { failures.append(error) }
        record.portProxy = nil
        record.slirp4netns?.stop()
        record.slirp4netns = nil
        if record.sharedNamespaceOwner == nil {
            do throws(CtlError) { try ContainerFiles.stopped(record, paths: paths) } catch { failures.append(error) }
        }
        if record.ownsNamespace, !record.netns.isEmpty {
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
        case .container(let other)?:
            // Resolved now, not at create: the chain's owner as it is at this start (libpod's getContainerNetNS).
            let owner = try namespaceOwner(record)
            guard owner.state == .running, !owner.netns.isEmpty || owner.networkMode == .host else {
                throw CtlError(.conflict, "container \(record.name) shares the network namespace of \(other)"
                    + (owner.name == other ? "" : " (that of \(owner.name))") + ", which is \(owner.state.rawValue), not running: start \(owner.name) first")
            }
            return owner.netns
        case .path(let path)?:
            try JoinedNamespace.validate(path)   // it may have gone since create
            return path
        case .slirp4netns?:
            return try makeNamespace()   // its slirp4netns starts once the record is saved
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
            // A zombie (its init has not reaped it yet) has no namespace left to adopt.
            if ProcessStatus.of(pid)?.ended == false { return try NamespaceFiles.adopt(pid: pid, in: paths.netnsDirectory) }
            warn("process \(pid) of container \(record.name) no longer runs: it gets a new network namespace")
            record.pid = nil
        }
        return try makeNamespace()
    }
}
