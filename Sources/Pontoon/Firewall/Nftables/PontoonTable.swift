import NetAddress
import Netlink

/// Pontoon's nftables ruleset, one `inet pontoon` table for every network:
///
///     map hostports4      { ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service }  # host IP given
///     map hostports4_any  { inet_proto . inet_service : ipv4_addr . inet_service }              # every address
///     map hostports6, hostports6_any                                                            # the same for IPv6
///     map subnets4, subnets6          { subnet : jump net-<network> }       (interval)
///     map forward4, forward6          { subnet : jump fwd-<network> }       (interval)
///     chain prerouting, output  (nat, dstnat): dnat through the hostports maps
///     chain postrouting (nat, srcnat): masquerade DNATed loopback; saddr vmap @subnets
///     set bridges, isolated           { ifname }   every network's bridge; isolated (netavark "true") ones
///     map isolation                   { ifname : jump iso-<network> }   isolated and strict networks
///     chain forward (filter): iifname/oifname vmap @isolation; daddr/saddr vmap @forward
///     chain iso-<network>: drop what crosses from its bridge to another Pontoon bridge, or back
///     chain net-<network>: hairpin masquerade; with ipMasq, masquerade traffic leaving the subnets
///     chain fwd-<network>: accept replies and mapped connections in, anything out
///
/// The base chains and maps never change after they are made; a network adds two chains and its
/// subnets' map elements; an attachment adds only hostports elements, commented with its id.
enum PontoonTable {
    static let table = NftTable(family: .inet, name: "pontoon")

    // MARK: The table, maps and base chains (idempotent: flushed and rewritten as one)

    /// Bumped whenever `base()` changes, so a host whose table an older Pontoon wrote gets the
    /// new base from its next network (`BaseFingerprintTests` fails until it is bumped).
    static let baseVersion = 1
    /// A chain nothing jumps to, holding one inert rule, written last with the base: one rule in
    /// it says the base of this version is complete. A network's first member then leaves the base
    /// alone; rewriting it would delete its rules, and removed nftables objects make the closing
    /// of any netfilter socket wait for an RCU grace period (10-25 ms here). Gone with
    /// `nft flush ruleset` or a flushed table: the next network writes the base again.
    static var markerChain: String { "base-v\(baseVersion)" }

    /// Whether the base of this version is in place (see `markerChain`).
    static func hasBase(_ socket: NetfilterSocket) throws -> Bool {
        try socket.ruleCount(table, chain: markerChain) == 1
    }

    static func base() -> NftTransaction {
        var changes = NftTransaction()
        changes.add(.addTable(table))
        for set in maps { changes.add(.addSet(table, set)) }
        let chains: [NftChain] = [
            NftChain("prerouting", hook: .init(.prerouting, type: "nat", priority: -100)),
            NftChain("output", hook: .init(.output, type: "nat", priority: -100)),
            NftChain("postrouting", hook: .init(.postrouting, type: "nat", priority: 100)),
            NftChain("forward", hook: .init(.forward, type: "filter", priority: 0)),
        ]
        for chain in chains {
            changes.add(.addChain(table, chain))
            // Rules are appended: rewriting the chain keeps it the same however often this runs.
            changes.add(.flushChain(table, chain: chain.name))
        }
        for family in IPFamily.allCases {
            for chain in ["prerouting", "output"] {
                changes.add(.addRule(table, NftRule(chain: chain, dnat(family, hostIP: true))))
                changes.add(.addRule(table, NftRule(chain: chain, dnat(family, hostIP: false))))
            }
        }
        // 127.0.0.1:hostPort DNATed to a container leaves through the bridge (route_localnet):
        // its loopback source must become the bridge's address or the reply goes nowhere.
        changes.add(.addRule(table, NftRule(chain: "postrouting", nfproto(.v4) + dnatted() + [
            .payload(base: .network, offset: 12, length: 1, register: r(0)),
            .compare(register: r(0), .equal, [127]),
            .masquerade,
        ])))
        // Isolation first: nothing a network accepts may let traffic cross between bridges it cuts.
        for key in [NftExpression.MetaKey.inputInterfaceName, .outputInterfaceName] {
            changes.add(.addRule(table, NftRule(chain: "forward", [
                .meta(key: key, register: r(0)),
                .lookup(set: "isolation", register: r(0), into: verdictRegister, inverted: false),
            ])))
        }
        for family in IPFamily.allCases {
            changes.add(.addRule(table, NftRule(chain: "postrouting", nfproto(family) + [
                address(family, source: true),
                .lookup(set: "subnets\(family.versionString)", register: r(0), into: verdictRegister, inverted: false),
            ])))
            for source in [false, true] {
                changes.add(.addRule(table, NftRule(chain: "forward", nfproto(family) + [
                    address(family, source: source),
                    .lookup(set: "forward\(family.versionString)", register: r(0), into: verdictRegister, inverted: false),
                ])))
            }
        }
        changes.add(.addChain(table, NftChain(markerChain)))
        changes.add(.flushChain(table, chain: markerChain))
        changes.add(.addRule(table, NftRule(chain: markerChain, [.return])))
        return changes
    }

    static var maps: [NftSet] {
        typealias T = NftSet.DataType
        return [
            NftSet("hostports4", keyType: T.concatenation(T.ipv4Address, T.inetProtocol, T.inetService), keyLength: 12,
                   dataType: T.concatenation(T.ipv4Address, T.inetService), dataLength: 8),
            NftSet("hostports4_any", keyType: T.concatenation(T.inetProtocol, T.inetService), keyLength: 8,
                   dataType: T.concatenation(T.ipv4Address, T.inetService), dataLength: 8),
            NftSet("hostports6", keyType: T.concatenation(T.ipv6Address, T.inetProtocol, T.inetService), keyLength: 24,
                   dataType: T.concatenation(T.ipv6Address, T.inetService), dataLength: 20),
            NftSet("hostports6_any", keyType: T.concatenation(T.inetProtocol, T.inetService), keyLength: 8,
                   dataType: T.concatenation(T.ipv6Address, T.inetService), dataLength: 20),
            NftSet("subnets4", keyType: T.ipv4Address, keyLength: 4, dataType: NftSet.verdictType, interval: true),
            NftSet("subnets6", keyType: T.ipv6Address, keyLength: 16, dataType: NftSet.verdictType, interval: true),
            NftSet("forward4", keyType: T.ipv4Address, keyLength: 4, dataType: NftSet.verdictType, interval: true),
            NftSet("forward6", keyType: T.ipv6Address, keyLength: 16, dataType: NftSet.verdictType, interval: true),
            NftSet("bridges", keyType: T.interfaceName, keyLength: 16),
            NftSet("isolated", keyType: T.interfaceName, keyLength: 16),
            NftSet("isolation", keyType: T.interfaceName, keyLength: 16, dataType: NftSet.verdictType),
        ]
    }

    /// `dnat to <daddr> . l4proto . dport map @hostportsN` (or the any-address map, for local
    /// destinations only). The lookup misses for protocols without mappings, so no protocol check.
    private static func dnat(_ family: IPFamily, hostIP: Bool) -> [NftExpression] {
        let addressLength: UInt32 = family == .v4 ? 4 : 16
        let fields = hostIP ? addressLength / 4 : 0
        var rule = nfproto(family)
        if hostIP {
            rule.append(address(family, source: false))
        } else {
            rule += [.destinationAddressType(register: r(0)), .compare(register: r(0), .equal, le32(2))] // RTN_LOCAL
        }
        rule += [
            .meta(key: .l4proto, register: r(fields)),
            .payload(base: .transport, offset: 2, length: 2, register: r(fields + 1)),
            .lookup(set: "hostports\(family.versionString)\(hostIP ? "" : "_any")", register: r(0), into: r(0), inverted: false),
            .destinationNAT(family: family == .v4 ? .ipv4 : .ipv6, addressRegister: r(0), portRegister: r(addressLength / 4)),
        ]
        return rule
    }

    // MARK: A network's chains and subnet elements

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

    /// An interval map's two elements for a subnet: its first address, and the first address past
    /// it (omitted when the subnet reaches the top of the address space).
    private static func intervalElements(_ subnet: IPNetwork, jump chain: String?) -> [NftElement] {
        var elements = [NftElement(key: subnet.network.bytes, value: chain.map { .jump($0) } ?? .none)]
        if let end = subnet.lastAddress.next {
            elements.append(NftElement(key: end.bytes, intervalEnd: true))
        }
        return elements
    }

    // MARK: An attachment's host ports

    static func hostPortMap(_ port: FirewallAttachment.HostPort) -> String {
        "hostports\(port.family.versionString)\(port.hostIP == nil ? "_any" : "")"
    }

    /// The elements of one mapping (one per port of a range); `withData` for additions.
    static func elements(_ port: FirewallAttachment.HostPort, comment: String?) -> [NftElement] {
        (0..<UInt16(port.count)).map { offset in
            var key: [UInt8] = []
            if let hostIP = port.hostIP { key += hostIP.bytes }
            key += padded([protocolNumber(port.transport)])
            key += padded(be16(port.hostPort + offset))
            let data = port.containerAddress.bytes + padded(be16(port.containerPort + offset))
            return NftElement(key: key, value: .data(data), comment: comment)
        }
    }

    static func protocolNumber(_ transport: PortMapping.TransportProtocol) -> UInt8 {
        switch transport { case .tcp: 6; case .udp: 17; case .sctp: 132 }
    }

    // MARK: Expression helpers

    static let verdictRegister: UInt32 = 0 // NFT_REG_VERDICT
    static func r(_ index: UInt32) -> UInt32 { NftExpression.register(index) }

    /// `meta nfproto ipv4|ipv6`: rules in an inet table see both families.
    static func nfproto(_ family: IPFamily) -> [NftExpression] {
        [.meta(key: .nfproto, register: r(0)), .compare(register: r(0), .equal, [family == .v4 ? 2 : 10])]
    }

    /// `ct status dnat`.
    static func dnatted() -> [NftExpression] {
        [.conntrack(key: .status, register: r(0)),
         .mask(register: r(0), le32(0x20)), // IPS_DST_NAT
         .compare(register: r(0), .notEqual, le32(0))]
    }

    /// Load the packet's source or destination address into r0 (and the registers after it).
    static func address(_ family: IPFamily, source: Bool) -> NftExpression {
        family == .v4
            ? .payload(base: .network, offset: source ? 12 : 16, length: 4, register: r(0))
            : .payload(base: .network, offset: source ? 8 : 24, length: 16, register: r(0))
    }

    /// `ip saddr|daddr <subnet>`.
    static func inSubnet(_ subnet: IPNetwork, source: Bool) -> [NftExpression] {
        let width = subnet.family.bitWidth / 8
        var mask = [UInt8](repeating: 0, count: width)
        for bit in 0..<subnet.prefixLength { mask[bit / 8] |= 0x80 >> UInt8(bit % 8) }
        return [address(subnet.family, source: source), .mask(register: r(0), mask),
                .compare(register: r(0), .equal, subnet.network.bytes)]
    }

    static func le32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
    static func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xff)] }
    /// Concatenation fields occupy whole 32-bit registers.
    static func padded(_ bytes: [UInt8]) -> [UInt8] { bytes + [UInt8](repeating: 0, count: (4 - bytes.count % 4) % 4) }
}
