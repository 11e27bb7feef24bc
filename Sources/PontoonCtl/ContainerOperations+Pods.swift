import Foundation

/// Pods: `pod create` runs the infra container with the pod's networks and ports; a member
/// (`create` or `run --pod NAME`) shares the infra's namespace as `container:` does, and its
/// start starts the infra if it is not running; `pod rm` refuses while members exist unless `force`.
extension ContainerOperations {
    /// The infra container is run with the request's networks, ports and modes; its record names the pod.
    public func createPod(_ request: CreateRequest) throws(CtlError) -> PodRecord {
        try Names.validate(request.name, what: "pod")
        guard request.pod == nil else { throw CtlError(.usage, "--pod cannot be given to pod create") }
        if let hostname = request.hostname { try Names.validateHostname(hostname) }
        if case .container? = request.mode {
            throw CtlError(.usage, "--network container: is not supported for a pod: its infra container holds the pod's own namespace")
        }
        // One pod create or rm at a time: the name check and the file go together. (Not the store's
        // lock: running the infra takes that one to reserve its addresses.)
        let lock = try store.lockPods()
        defer { lock.unlock() }
        guard !FileManager.default.fileExists(atPath: store.podPath(request.name)) else {
            throw CtlError(.conflict, "a pod named \(request.name) already exists")
        }
        var infra = request
        infra.name = PodRecord.infraName(request.name)
        infra.hostname = request.hostname ?? request.name   // podman gives a pod's containers the pod's name as hostname
        infra.pod = request.name
        infra.isInfra = true
        let pod = PodRecord(id: Names.randomHex(32), name: request.name, infra: infra.name)
        try store.savePod(pod)
        podEvent(.create, pod.name)   // before its infra's create, in podman's order
        do throws(CtlError) {
            _ = try run(infra)
        } catch {
            store.removePod(pod.name)
            podEvent(.remove, pod.name)
            throw error
        }
        return pod
    }

    /// A member's request as it is run: `container:` of the pod's infra, nothing of its own.
    func joiningPod(_ request: CreateRequest) throws(CtlError) -> CreateRequest {
        guard let name = request.pod, !request.isInfra else { return request }
        let pod = try store.pod(name)
        if request.mode == .container(pod.infra) { return request }   // joined already (run checks before create)
        guard request.mode == nil, request.networks.isEmpty else {
            throw CtlError(.usage, "--pod \(name): the container shares the pod's network namespace, so it cannot have --network; "
                + "give networks to pod create")
        }
        guard request.ports.isEmpty else {
            throw CtlError(.usage, "--pod \(name): publish ports (-p) with pod create, not on a member")
        }
        var joining = request
        joining.mode = .container(pod.infra)
        return joining
    }

    /// The pod's containers but its infra.
    public func members(of pod: PodRecord) throws(CtlError) -> [ContainerRecord] {
        try store.containers().filter { $0.pod == pod.name && $0.name != pod.infra }
    }

    /// Refused while members exist, unless `force`, which removes them with the infra. The
    /// teardown failures of the infra are returned.
    public func removePod(_ name: String, force: Bool) throws(CtlError) -> [CtlError] {
        _ = try store.pod(name)   // before the lock: a missing pod makes nothing
        let lock = try store.lockPods()
        defer { lock.unlock() }
        let pod = try store.pod(name)
        let members = try members(of: pod)
        if !members.isEmpty, !force {
            throw CtlError(.conflict, "pod \(name) has containers that are not ready to be removed: "
                + members.map(\.name).joined(separator: ", ") + "; remove them first, or use --force to remove them too")
        }
        // Members sharing the infra's namespace are removed with it (rm --force of an owner takes its sharers).
        let failures = store.containerNames().contains(pod.infra) ? try remove(pod.infra, force: true, podRemoval: true) : []
        store.removePod(name)
        podEvent(.remove, name)
        return failures
    }

    /// The infra container belongs to its pod: only `pod rm` removes it.
    func refuseInfraRemoval(_ record: ContainerRecord) throws(CtlError) {
        guard let pod = record.pod, record.name == PodRecord.infraName(pod), (try? store.pod(pod)) != nil else { return }
        throw CtlError(.conflict, "container \(record.name) is the infra container of pod \(pod): remove the pod with pod rm")
    }
}
