import Netlink
#if canImport(Glibc)
import Glibc
#endif

/// netavark's bridge lifetime (`BridgeNetwork.bridgeGoesWithLastAttachment`): the bridge is
/// deleted when the network's last attachment goes. "Last" is decided under a per-network lock,
/// `<stateDir>/.bridges/<network>/lock`: every ADD holds it shared from finding (or making) the
/// bridge until its record is written, and the check "no record and no port left, so delete the
/// bridge" runs exclusive. So an ADD racing the teardown of the last container either finishes
/// first (its record keeps the bridge) or starts after the bridge is gone (and makes it again);
/// it never attaches to a bridge being deleted. Independent of the firewall, so internal networks
/// and `firewall: none` follow the same rule. `.bridges` cannot be a network name.
struct BridgeLifetime {
    let records: RecordStore
    let network: BridgeNetwork

    var applies: Bool { network.bridgeGoesWithLastAttachment }
    private var lockDirectory: String { "\(records.directory)/.bridges/\(network.name)" }

    /// Runs an ADD's body under the shared lock (directly when the bridge outlives attachments).
    func attaching<T>(_ body: () throws -> T) throws -> T {
        guard applies else { return try body() }
        return try Locks.vanishing(lockDirectory, mode: .shared) { _ in try body() }
    }

    /// After GC, a failed ADD or an undone one: delete the bridge when no attachment of the network is
    /// recorded and nothing is plugged into it (netavark's own test). The lock and the network's
    /// empty record directory go with it. `bridge`: the name the record held, when known.
    func retireIfUnused(host: RouteSocket, bridge: String? = nil) throws {
        guard applies else { return }
        try Locks.vanishing(lockDirectory, mode: .exclusive) { remove in
            // Every record file counts, even one that cannot be read: its attachment may be alive.
            let recorded = (try FileSystem.listDirectory(records.networkDirectory(network.name)) ?? []).contains { $0.hasSuffix(".json") }
            guard !recorded else { return }
            try retire(host: host, bridge: bridge)
            remove = true
        }
    }

    /// DEL's end: the attachment's record removed and, when it was the network's last, the bridge
    /// as in `retireIfUnused`. Under the exclusive lock the record's removal lists the folder
    /// once and tells whether others remain, so the check costs no second listing.
    func removeRecord(_ id: AttachmentID, host: RouteSocket, bridge: String?) throws {
        guard applies else {
            try records.remove(network: network.name, id: id)
            return
        }
        try Locks.vanishing(lockDirectory, mode: .exclusive) { remove in
            guard try !records.remove(network: network.name, id: id) else { return }
            try retire(host: host, bridge: bridge)
            remove = true
        }
    }

    /// DEL of the network's last attachment in one kernel request: when no other attachment is
    /// recorded (checked under the exclusive lock, so no ADD is halfway) and `hostInterface` is a
    /// veth and the bridge's only port, the veth pair and the bridge are deleted together
    /// (`deleteLinks`: the kernel waits out its grace periods once, not for the veth and again
    /// for the bridge), then `release` frees the lease and the record goes, as `removeRecord`
    /// leaves things. False, with nothing done, in every other case: the caller then tears down
    /// one step at a time.
    func removeLast(_ id: AttachmentID, hostInterface: String, bridge: String, host: RouteSocket,
                    release: () throws -> Void) throws -> Bool {
        guard applies else { return false }
        return try Locks.vanishing(lockDirectory, mode: .exclusive) { remove in
            let mine = RecordName.fileName(for: id)
            let names = try FileSystem.listDirectory(records.networkDirectory(network.name)) ?? []
            guard !names.contains(where: { $0.hasSuffix(".json") && $0 != mine }),
                  let (link, ports) = try Self.bridge(named: bridge, host: host),
                  ports.count == 1, let port = ports.first, port.name == hostInterface, port.kind == "veth" else { return false }
            try host.deleteLinks(indices: [port.index, link.index])
            Log.debug("bridge \(bridge) removed with the last attachment of network \(network.name), with its veth")
            try release()
            _ = try records.remove(network: network.name, id: id)
            rmdir(records.networkDirectory(network.name))
            remove = true
            return true
        }
    }

    /// No record is left (checked under the exclusive lock): the bridge goes if nothing is
    /// plugged into it, and the network's record folder with it.
    private func retire(host: RouteSocket, bridge: String?) throws {
        let name = bridge ?? network.bridgeName
        if let (link, ports) = try Self.bridge(named: name, host: host), ports.isEmpty {
            do {
                try host.deleteLink(index: link.index)
                Log.debug("bridge \(name) removed with the last attachment of network \(network.name)")
            } catch let error as NetlinkError where error.isNoDevice {
            }
        }
        rmdir(records.networkDirectory(network.name)) // fails harmlessly when temporaries of a running writer are still there
    }

    /// The link named `name` and its ports, when it is a bridge: the network's bridge is deleted
    /// only while nothing but what the caller removes with it is plugged in.
    private static func bridge(named name: String, host: RouteSocket) throws -> (link: Link, ports: [Link])? {
        guard let link = try host.link(named: name), link.kind == "bridge" else { return nil }
        return (link, try host.links(master: link.index))
    }
}
