import NetAddress
import Netlink
#if canImport(Glibc)
import Glibc
#endif

/// The default firewall: Pontoon's own `inet pontoon` table (see `PontoonTable`), written over
/// netfilter netlink, one transaction per operation.
public struct NftablesFirewall: Firewall {
    public var kind: FirewallKind { .nftables }
    let stateDirectory: String

    public init(stateDirectory: String) {
        self.stateDirectory = stateDirectory
    }

    /// The maps make one key exclusive, but "every address" and one host IP are different keys:
    /// the claims refuse a port mapped on one host IP and on every address (either order).
    private var claims: HostPortClaims { HostPortClaims(stateDirectory: stateDirectory) }

    public func add(_ attachment: FirewallAttachment, network: FirewallNetwork, firstInNetwork: Bool) throws {
        try claims.claim(attachment)
        do {
            try write(attachment, network: network, firstInNetwork: firstInNetwork)
        } catch {
            try? claims.release(attachment)
            throw error
        }
    }

    private func write(_ attachment: FirewallAttachment, network: FirewallNetwork, firstInNetwork: Bool) throws {
        let socket = try NetfilterSocket()
        do {
            let setUp: SetUp = firstInNetwork ? (try PontoonTable.hasBase(socket) ? .network : .baseAndNetwork) : .confirmation
            try apply(attachment, network: network, setUp: setUp, socket: socket)
        } catch let error as NetlinkError where error.errno == ENOENT {
            // The network has members but its table, chains or maps are gone (`nft flush ruleset`,
            // found by `confirmNetwork`), or the table went between our look and our write: a
            // runtime's reload (teardown, then setup, one container at a time, with or without host
            // ports) must bring them back. Writing base and network again is idempotent; the other
            // members' elements come back with their own reload or `pontoon firewall-reload`.
            try apply(attachment, network: network, setUp: .baseAndNetwork, socket: socket)
        }
        try StaleFlows.forget(attachment, socket: socket)
    }

    /// What an attachment's transaction writes besides its own elements.
    private enum SetUp {
        /// A later member: the proof that the network is still there (`confirmNetwork`).
        case confirmation
        /// The network's first member, on a table whose base is in place.
        case network
        /// The first member on a host without the base (or with an older one), or a repair.
        case baseAndNetwork
    }

    private func apply(_ attachment: FirewallAttachment, network: FirewallNetwork, setUp mode: SetUp, socket: NetfilterSocket) throws {
        var changes = NftTransaction()
        switch mode {
        case .confirmation: changes.append(PontoonTable.confirmNetwork(network))
        case .network: changes.append(setUp(network, withBase: false))
        case .baseAndNetwork: changes.append(setUp(network))
        }
        if let checked = MacSpoofTable.checked(attachment, network: network) {
            if mode != .confirmation { changes.append(MacSpoofTable.base()) }
            changes.append(MacSpoofTable.addAttachment(attachment, port: checked.port, mac: checked.mac))
        }
        // Exclusive: a host port another attachment holds fails the whole transaction.
        var byOperation: [String: FirewallAttachment.HostPort] = [:]
        for port in attachment.hostPorts {
            let command = NftTransaction.Command.addElements(PontoonTable.table, set: PontoonTable.hostPortMap(port),
                                                             PontoonTable.elements(port, comment: attachment.id.description),
                                                             exclusive: true, what: "host port \(port.hostDescription)")
            byOperation[command.operation] = port
            changes.add(command)
        }
        do {
            try socket.apply(changes)
        } catch let error as NetlinkError where (error.errno == EEXIST || error.errno == EBUSY) && byOperation[error.operation] != nil {
            let port = byOperation[error.operation]!
            throw PontoonError(.portTaken, "host port \(port.hostDescription) is already mapped to another container",
                               details: "choose another host port; nothing was changed")
        }
    }

    public func remove(_ attachment: FirewallAttachment, network: FirewallNetwork, lastInNetwork: Bool) throws {
        let socket = try NetfilterSocket()
        var changes = NftTransaction()
        for port in attachment.hostPorts {
            changes.add(.deleteElements(PontoonTable.table, set: PontoonTable.hostPortMap(port),
                                        PontoonTable.elements(port, comment: nil), what: "host port \(port.hostDescription)"))
        }
        if let checked = MacSpoofTable.checked(attachment, network: network) {
            changes.append(MacSpoofTable.removeAttachment(port: checked.port, mac: checked.mac))
        }
        if lastInNetwork { changes.append(PontoonTable.removeNetwork(network)) }
        try socket.applyRemoval(changes)
        try claims.release(attachment)
    }

    public func check(_ attachment: FirewallAttachment, network: FirewallNetwork) throws {
        let socket = try NetfilterSocket()
        for subnet in network.subnets {
            let set = "subnets\(subnet.family.versionString)"
            guard try socket.elementData(PontoonTable.table, set: set, key: subnet.network.bytes) != nil else {
                throw PontoonError(.checkFailed, "nftables table \(PontoonTable.table) has no rules for subnet \(subnet) of network \(network.name)")
            }
        }
        if network.isolation != .off {
            let bridge = NftExpression.interfaceName(network.bridge)
            guard try socket.elementData(PontoonTable.table, set: "isolation", key: bridge) != nil else {
                throw PontoonError(.checkFailed, "nftables table \(PontoonTable.table) does not isolate bridge \(network.bridge) of network \(network.name)")
            }
        }
        try MacSpoofTable.check(attachment, network: network, socket: socket)
        for port in network.dnsRedirect?.hostPorts ?? [] {
            let element = PontoonTable.elements(port, comment: nil)[0]
            guard case .data(let expected) = element.value,
                  try socket.elementData(PontoonTable.table, set: PontoonTable.hostPortMap(port), key: element.key) == expected else {
                throw PontoonError(.checkFailed, "nftables table \(PontoonTable.table) does not redirect DNS \(port.hostDescription) "
                                   + "of network \(network.name) to port \(port.containerPort)")
            }
        }
        for port in attachment.hostPorts {
            for element in PontoonTable.elements(port, comment: nil) {
                guard case .data(let expected) = element.value else { continue }
                let found = try socket.elementData(PontoonTable.table, set: PontoonTable.hostPortMap(port), key: element.key)
                guard found == expected else {
                    throw PontoonError(.checkFailed, "host port \(port.hostDescription) is \(found == nil ? "not mapped" : "mapped elsewhere"), "
                                       + "expected \(port.containerAddress) port \(port.containerPort)")
                }
            }
        }
    }

    public func reload(network: FirewallNetwork, attachments: [FirewallAttachment]) throws {
        let socket = try NetfilterSocket()
        for attachment in attachments { try claims.reclaim(attachment) }
        var changes = setUp(network)
        if network.macSpoofCheck { changes.append(MacSpoofTable.base()) }
        for attachment in attachments {
            if let checked = MacSpoofTable.checked(attachment, network: network) {
                changes.append(MacSpoofTable.addAttachment(attachment, port: checked.port, mac: checked.mac))
            }
            for port in attachment.hostPorts {
                changes.add(.addElements(PontoonTable.table, set: PontoonTable.hostPortMap(port),
                                         PontoonTable.elements(port, comment: attachment.id.description),
                                         exclusive: false, what: "host port \(port.hostDescription)"))
            }
        }
        try socket.apply(changes)
    }

    public func readiness() throws {
        do {
            let socket = try NetfilterSocket()
            try socket.apply(PontoonTable.base())
        } catch {
            throw PontoonError(.notReady, "the nftables firewall cannot be programmed", details: "\(error)")
        }
    }

    /// The table (idempotent) unless told it is in place, the network's chains and subnet
    /// elements; route_localnet on the bridge so 127.0.0.1:hostPort can be forwarded to a container.
    private func setUp(_ network: FirewallNetwork, withBase: Bool = true) -> NftTransaction {
        if network.subnets.contains(where: { $0.family == .v4 }) {
            let key = "net/ipv4/conf/\(network.bridge)/route_localnet"
            do { try Sysctl.set(key, "1") } catch { Log.warning("cannot set \(key): \(error)") }
        }
        var changes = withBase ? PontoonTable.base() : NftTransaction()
        changes.append(PontoonTable.addNetwork(network))
        return changes
    }
}
