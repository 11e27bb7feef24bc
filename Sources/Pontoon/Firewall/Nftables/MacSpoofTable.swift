import NetAddress
import Netlink

/// The MAC spoof check (`macspoofchk`), in a `bridge pontoon` table: frames are seen as they enter
/// a bridge, before any IP processing, so a container cannot send as another's MAC (ARP included).
///
///     set spoofports   { ifname }              host veths whose containers are checked
///     set spoofallowed { ifname . ether_addr } each such veth with its container's MAC
///     chain prerouting (filter, bridge prerouting):
///         iifname @spoofports iifname . ether saddr != @spoofallowed drop
///
/// The chain never changes after it is made; an attachment adds and removes its two elements,
/// commented with its id, so the check costs the same for the 500th container as for the first.
enum MacSpoofTable {
    static let table = NftTable(family: .bridge, name: "pontoon")

    /// The table, sets and chain (idempotent: the chain is flushed and rewritten as one).
    static func base() -> NftTransaction {
        typealias T = NftSet.DataType
        var changes = NftTransaction()
        changes.add(.addTable(table))
        changes.add(.addSet(table, NftSet("spoofports", keyType: T.interfaceName, keyLength: 16)))
        changes.add(.addSet(table, NftSet("spoofallowed", keyType: T.concatenation(T.interfaceName, T.etherAddress), keyLength: 24)))
        // Ahead of the bridge's own filtering (NF_BR_PRI_FILTER_BRIDGED is -200).
        let chain = NftChain("prerouting", hook: .init(.prerouting, type: "filter", priority: -300))
        changes.add(.addChain(table, chain))
        changes.add(.flushChain(table, chain: chain.name))
        let r = NftExpression.register
        changes.add(.addRule(table, NftRule(chain: chain.name, [
            .meta(key: .inputInterfaceName, register: r(0)),
            .lookup(set: "spoofports", register: r(0), into: nil, inverted: false),
            // The key: the interface name (four registers), then the source MAC (6 bytes, padded to 8).
            .payload(base: .link, offset: 6, length: 6, register: r(4)),
            .lookup(set: "spoofallowed", register: r(0), into: nil, inverted: true),
            .drop,
        ])))
        return changes
    }

    /// Whether the attachment's frames are checked: the network asks for it and the attachment
    /// recorded its veth and MAC.
    static func checked(_ attachment: FirewallAttachment, network: FirewallNetwork) -> (port: String, mac: MACAddress)? {
        guard network.macSpoofCheck, let port = attachment.hostInterface, let mac = attachment.mac else { return nil }
        return (port, mac)
    }

    static func addAttachment(_ attachment: FirewallAttachment, port: String, mac: MACAddress) -> NftTransaction {
        var changes = NftTransaction()
        for (set, elements) in elements(port: port, mac: mac, comment: attachment.id.description) {
            changes.add(.addElements(table, set: set, elements, exclusive: false, what: "MAC check of \(port)"))
        }
        return changes
    }

    static func removeAttachment(port: String, mac: MACAddress) -> NftTransaction {
        var changes = NftTransaction()
        for (set, elements) in elements(port: port, mac: mac, comment: nil) {
            changes.add(.deleteElements(table, set: set, elements, what: "MAC check of \(port)"))
        }
        return changes
    }

    static func elements(port: String, mac: MACAddress, comment: String?) -> [(set: String, [NftElement])] {
        let name = NftExpression.interfaceName(port)
        return [
            ("spoofallowed", [NftElement(key: name + mac.bytes + [0, 0], comment: comment)]),
            ("spoofports", [NftElement(key: name, comment: comment)]),
        ]
    }
}

/// The check as a whole, for either driver: the reference `bridge` plugin, too, checks MACs with
/// nftables whatever its `ipMasqBackend`, so the iptables driver keeps its MAC checks here.
extension MacSpoofTable {
    /// The table (idempotent) and the attachment's elements, in one transaction.
    static func add(_ attachment: FirewallAttachment, network: FirewallNetwork, socket: NetfilterSocket) throws {
        guard let checked = checked(attachment, network: network) else { return }
        var changes = base()
        changes.append(addAttachment(attachment, port: checked.port, mac: checked.mac))
        try socket.apply(changes)
    }

    /// The attachment's elements; what is already gone is not an error.
    static func remove(_ attachment: FirewallAttachment, network: FirewallNetwork, socket: NetfilterSocket) throws {
        guard let checked = checked(attachment, network: network) else { return }
        try socket.applyRemoval(removeAttachment(port: checked.port, mac: checked.mac))
    }

    static func check(_ attachment: FirewallAttachment, network: FirewallNetwork, socket: NetfilterSocket) throws {
        guard let checked = checked(attachment, network: network) else { return }
        for (set, elements) in elements(port: checked.port, mac: checked.mac, comment: nil) {
            guard try socket.elementData(table, set: set, key: elements[0].key) != nil else {
                throw PontoonError(.checkFailed, "nftables table \(table) does not check the MAC of \(checked.port) (\(checked.mac))")
            }
        }
    }
}
