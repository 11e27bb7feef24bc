import NetAddress
import Netlink

/// A network's chains, subnet elements and isolation in the `inet pontoon` table (see `PontoonTable`).
extension PontoonTable {
    static func networkChain(_ network: FirewallNetwork) -> String { "net-\(network.name)" }
    static func forwardChain(_ network: FirewallNetwork) -> String { "fwd-\(network.name)" }
    static func isolationChain(_ network: FirewallNetwork) -> String { "iso-\(network.name)" }

    static func addNetwork(_ network: FirewallNetwork) -> NftTransaction {
        var changes = NftTransaction()
        let post = networkChain(network), forward = forwardChain(network)
        changes.add(.addChain(table, NftChain(post)))
        changes.add(.flushChain(table, chain: post))
        changes.add(.addChain(table, NftChain(forward)))
        changes.add(.flushChain(table, chain: forward))
        for subnet in network.subnets {
            // A container reaching a mapped port of its own or a neighbour's: masquerade so the
            // reply comes back through the host's conntrack instead of straight over the bridge.
            changes.add(.addRule(table, NftRule(chain: post, nfproto(subnet.family) + dnatted() + inSubnet(subnet, source: false) + [.masquerade])))
        }
        if network.ipMasq {
            for subnet in network.subnets {
                changes.add(.addRule(table, NftRule(chain: post, nfproto(subnet.family) + inSubnet(subnet, source: false) + [.return])))
            }
            for family in Set(network.subnets.map(\.family)).sorted(by: { $0 == .v4 && $1 == .v6 }) {
                let multicast = family == .v4 ? IPNetwork("224.0.0.0/4")! : IPNetwork("ff00::/8")!
                changes.add(.addRule(table, NftRule(chain: post, nfproto(family) + inSubnet(multicast, source: false) + [.return])))
                changes.add(.addRule(table, NftRule(chain: post, nfproto(family) + [.masquerade])))
            }
        }
        for subnet in network.subnets {
            let established = le32(0x2 | 0x4) // NF_CT_STATE_BIT(ESTABLISHED) | NF_CT_STATE_BIT(RELATED)
            changes.add(.addRule(table, NftRule(chain: forward, nfproto(subnet.family) + inSubnet(subnet, source: false) + [
                .conntrack(key: .state, register: r(0)),
                .mask(register: r(0), established),
                .compare(register: r(0), .notEqual, le32(0)),
                .accept,
            ])))
            changes.add(.addRule(table, NftRule(chain: forward, nfproto(subnet.family) + inSubnet(subnet, source: false) + dnatted() + [.accept])))
            changes.add(.addRule(table, NftRule(chain: forward, nfproto(subnet.family) + inSubnet(subnet, source: true) + [.accept])))
        }
        changes.append(addIsolation(network))
        changes.append(addDNSRedirect(network))
        for subnet in network.subnets {
            changes.add(.addElements(table, set: "subnets\(subnet.family.versionString)", intervalElements(subnet, jump: post),
                                     exclusive: false, what: "subnet \(subnet)"))
            changes.add(.addElements(table, set: "forward\(subnet.family.versionString)", intervalElements(subnet, jump: forward),
                                     exclusive: false, what: "subnet \(subnet)"))
        }
        return changes
    }

    /// A later member's proof that the network is still there: its subnets' jumps written again
    /// (idempotent, two messages per subnet, whatever the number of members). It fails with ENOENT
    /// when the table, the map or the chain it jumps to is gone (`nft flush ruleset`), which is the
    /// sign to write the network again.
    static func confirmNetwork(_ network: FirewallNetwork) -> NftTransaction {
        var changes = NftTransaction()
        for subnet in network.subnets {
            changes.add(.addElements(table, set: "subnets\(subnet.family.versionString)", intervalElements(subnet, jump: networkChain(network)),
                                     exclusive: false, what: "subnet \(subnet)"))
            changes.add(.addElements(table, set: "forward\(subnet.family.versionString)", intervalElements(subnet, jump: forwardChain(network)),
                                     exclusive: false, what: "subnet \(subnet)"))
        }
        return changes
    }

    static func removeNetwork(_ network: FirewallNetwork) -> NftTransaction {
        var changes = NftTransaction()
        // Elements first: a chain that a map still jumps to cannot be deleted.
        for subnet in network.subnets {
            for set in ["subnets", "forward"] {
                changes.add(.deleteElements(table, set: "\(set)\(subnet.family.versionString)",
                                            intervalElements(subnet, jump: nil), what: "subnet \(subnet)"))
            }
        }
        for port in network.dnsRedirect?.hostPorts ?? [] {
            changes.add(.deleteElements(table, set: hostPortMap(port), elements(port, comment: nil), what: "DNS redirect \(port.hostDescription)"))
        }
        let bridge = [NftElement(key: NftExpression.interfaceName(network.bridge))]
        changes.add(.deleteElements(table, set: "bridges", bridge, what: "bridge \(network.bridge)"))
        var chains = [networkChain(network), forwardChain(network)]
        if network.isolation != .off {
            changes.add(.deleteElements(table, set: "isolation", bridge, what: "bridge \(network.bridge)"))
            if network.isolation == .isolated {
                changes.add(.deleteElements(table, set: "isolated", bridge, what: "bridge \(network.bridge)"))
            }
            chains.append(isolationChain(network))
        }
        for chain in chains {
            changes.add(.flushChain(table, chain: chain))
            changes.add(.deleteChain(table, chain: chain))
        }
        return changes
    }

    /// The network's bridge joins `bridges` (what isolated networks are cut off from); an isolated
    /// or strict network gets its chain, reached through `isolation` when a packet enters or leaves
    /// its bridge: `iifname B oifname != B oifname @bridges drop` and the same the other way
    /// (`@isolated` instead of `@bridges` for netavark's plain isolation). Hairpin traffic, in and
    /// out of the same bridge, is not crossing.
    static func addIsolation(_ network: FirewallNetwork) -> NftTransaction {
        var changes = NftTransaction()
        let name = NftExpression.interfaceName(network.bridge)
        let bridge = [NftElement(key: name)]
        changes.add(.addElements(table, set: "bridges", bridge, exclusive: false, what: "bridge \(network.bridge)"))
        guard network.isolation != .off else { return changes }
        let chain = isolationChain(network)
        let others = network.isolation == .strict ? "bridges" : "isolated"
        changes.add(.addChain(table, NftChain(chain)))
        changes.add(.flushChain(table, chain: chain))
        for (this, other) in [(NftExpression.MetaKey.inputInterfaceName, NftExpression.MetaKey.outputInterfaceName),
                              (.outputInterfaceName, .inputInterfaceName)] {
            changes.add(.addRule(table, NftRule(chain: chain, [
                .meta(key: this, register: r(0)), .compare(register: r(0), .equal, name),
                .meta(key: other, register: r(0)), .compare(register: r(0), .notEqual, name),
                .lookup(set: others, register: r(0), into: nil, inverted: false),
                .drop,
            ])))
        }
        if network.isolation == .isolated {
            changes.add(.addElements(table, set: "isolated", bridge, exclusive: false, what: "bridge \(network.bridge)"))
        }
        changes.add(.addElements(table, set: "isolation", [NftElement(key: name, value: .jump(chain))], exclusive: false,
                                 what: "bridge \(network.bridge)"))
        return changes
    }

    /// `NETAVARK_DNS_PORT`: `<gateway> . udp . 53 : <gateway> . <port>` in the host-IP hostports
    /// maps, so the DNAT rules already there send a container's queries to aardvark-dns (also
    /// the host's own, as netavark's rule in OUTPUT does). Not exclusive: a repair writes it again.
    static func addDNSRedirect(_ network: FirewallNetwork) -> NftTransaction {
        var changes = NftTransaction()
        for port in network.dnsRedirect?.hostPorts ?? [] {
            changes.add(.addElements(table, set: hostPortMap(port), elements(port, comment: "dns \(network.name)"),
                                     exclusive: false, what: "DNS redirect \(port.hostDescription)"))
        }
        return changes
    }

    /// An interval map's two elements for a subnet: its first address, and the first address past
    /// it (omitted when the subnet reaches the top of the address space).
    private static func intervalElements(_ subnet: IPNetwork, jump chain: String?) -> [NftElement] {
        var elements = [NftElement(key: subnet.network.bytes, value: chain.map { .jump($0) } ?? .none)]
        if let end = subnet.lastAddress.next {
            elements.append(NftElement(key: end.bytes, intervalEnd: true))
        }
        return elements
    }
}
