/// The one entry point both doors call: a door decodes its protocol into `AttachmentRequest`s,
/// calls one of these, and encodes what comes back. The policy that spans a container's networks
/// lives here, once: all or nothing across networks, which network holds the container's host
/// ports and where they go when it leaves, and (through `FirewallFactory`) which firewall driver
/// writes a network's rules. The per-network work is the network's driver's.
public struct Engine {
    let records: RecordStore
    let firewalls: FirewallFactory
    /// The driver serving a network: `LinkedDriver` for macvlan and ipvlan, the bridge otherwise.
    let driver: (BridgeNetwork) -> any NetworkDriver

    /// The engine on the real host: records under `stateDirectory`, the kernel's firewalls and links.
    public init(stateDirectory: String) {
        let records = RecordStore(stateDirectory: stateDirectory)
        let firewalls = FirewallFactory.system(stateDirectory: stateDirectory)
        self.init(records: records, firewalls: firewalls) { network in
            network.linked != nil ? LinkedDriver(records: records) as any NetworkDriver : BridgeDriver(records: records, firewalls: firewalls)
        }
    }

    /// Tests give the engine fakes for the parts that need root.
    init(records: RecordStore, firewalls: FirewallFactory, driver: @escaping (BridgeNetwork) -> any NetworkDriver) {
        self.records = records
        self.firewalls = firewalls
        self.driver = driver
    }

    /// ADD of one container to one or more networks, in order, all or nothing: when one fails, the
    /// ones made before it are undone and the error is rethrown. On success `undo` removes them all
    /// again, newest first (for an answer that cannot be delivered).
    public func attach(_ requests: [AttachmentRequest]) throws -> (results: [AttachmentResult], undo: AttachmentUndo) {
        var results: [AttachmentResult] = []
        var made: [AttachmentUndo] = []
        do {
            for request in withHostPortsOwned(requests) {
                let (result, undo) = try driver(request.attachment.network).add(request.attachment, ipam: request.ipam)
                made.append(undo)
                results.append(result)
            }
        } catch {
            for undo in made.reversed() { undo() }
            throw error
        }
        return (results, AttachmentUndo(steps: made.reversed().map { undo in { undo() } }))
    }

    /// DEL of one container from one or more networks: each is attempted even when another fails,
    /// and the first failure is rethrown. When a network that held the container's host ports goes
    /// and the container stays on another routed network, the ports move there.
    public func detach(_ requests: [AttachmentRequest]) throws {
        let held = hostPortsHeld(by: requests)
        var firstError: (any Error)?
        // Without a record, the ports to remove are the described ones the container holds here.
        for request in withHostPortsOwned(requests) {
            do {
                try driver(request.attachment.network).delete(request.attachment, ipam: request.ipam, previous: request.previous)
            } catch {
                Log.error("teardown of network \(request.attachment.network.name) failed: \(error)")
                if firstError == nil { firstError = error }
            }
        }
        if let firstError { throw firstError }
        guard let containerID = requests.first?.attachment.id.containerID, !held.isEmpty else { return }
        do {
            if let network = try handOverHostPorts(held, containerID: containerID, excluding: Set(requests.map(\.attachment.network.name))) {
                Log.info("host ports of \(containerID) moved to network \(network)")
            }
        } catch {
            // What was asked (the teardown) is done; the ports just stop answering.
            Log.error("moving the host ports of \(containerID) to another network failed: \(error)")
        }
    }

    /// CHECK of one attachment against what ADD reported.
    public func check(_ request: AttachmentRequest, previous: AttachmentResult) throws {
        let owned = withHostPortsOwned([request])[0]
        try driver(owned.attachment.network).check(owned.attachment, ipam: owned.ipam, previous: previous)
    }

    /// STATUS: whether an ADD to `network` could be served now.
    public func status(network: BridgeNetwork, ipam: (any AddressAllocator)?) throws {
        try driver(network).status(network: network, ipam: ipam)
    }

    /// GC: everything of `network` that belongs to none of `valid`.
    public func collectGarbage(network: BridgeNetwork, keeping valid: Set<AttachmentID>, ipam: (any AddressAllocator)?) throws {
        try driver(network).garbageCollect(network: network, keeping: valid, ipam: ipam)
    }

    /// `pontoon firewall-reload`: write every network's rules and every attachment's mappings again
    /// from the records (after `nft flush ruleset`, a firewalld reload). Returns the networks and
    /// attachments restored.
    public func reloadFirewall() throws -> (networks: Int, attachments: Int) {
        var networks = 0, attachments = 0
        for name in try FirewallMembership.networks(stateDirectory: records.directory) {
            let restored = try FirewallMembership(stateDirectory: records.directory, network: name, firewalls: firewalls).reload(records: records)
            if restored > 0 { networks += 1 }
            attachments += restored
        }
        return (networks, attachments)
    }
}
