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
}
