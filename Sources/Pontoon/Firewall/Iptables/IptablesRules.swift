import NetAddress

/// One iptables rule: where it lives and its match/target arguments, written the same way for an
/// `iptables-restore` line (`-A chain spec…`) and an `iptables -C chain spec…` check. Arguments
/// never need quoting: comments are reduced to a safe alphabet first.
struct IptablesRule: Hashable {
    enum Table: String { case nat, filter }
    var table: Table
    var chain: String
    var spec: [String]

    var text: String { spec.joined(separator: " ") }
}

/// Pontoon's iptables ruleset, the same behaviour as the nftables table (`PontoonTable`) in
/// iptables' own shape. Per family:
///
///     nat    PREROUTING, OUTPUT -> PONTOON-HOSTPORTS -> PONTOON-HP-<net>: one DNAT rule per host
///                                                       port, commented with the attachment id
///     nat    POSTROUTING -> PONTOON-POSTROUTING: masquerade DNATed loopback (IPv4);
///                           -s <subnet> -> PONTOON-NAT-<net>: hairpin masquerade; with ipMasq,
///                           masquerade what leaves the subnets (not multicast)
///     filter FORWARD -> PONTOON-FORWARD: -d/-s <subnet> -> PONTOON-FWD-<net>: replies and mapped
///                           connections in, anything out
///     filter FORWARD -> PONTOON-ISOLATION (first): for an isolated network's bridge B,
///                           -i B ! -o B -> PONTOON-ISO-BRIDGES (strict) or PONTOON-ISO-ISOLATED;
///                           strict also -o B ! -i B -> PONTOON-ISO-BRIDGES-IN
///            PONTOON-ISO-BRIDGES(-IN): -o (-i) <every network's bridge> DROP
///            PONTOON-ISO-ISOLATED: -o <every isolated network's bridge> DROP
///
/// `<net>` is a short hash of the network name, so every name fits iptables' 28 characters. The
/// shared chains and base jumps are made once; a network adds its three chains and the jumps to
/// them; an attachment adds only its DNAT rules to its network's PONTOON-HP chain. Each network
/// has its own DNAT chain so reloading one network can rewrite that chain whole.
enum IptablesRules {
    static let hostPorts = "PONTOON-HOSTPORTS"
    static let postrouting = "PONTOON-POSTROUTING"
    static let forward = "PONTOON-FORWARD"
    static let isolation = "PONTOON-ISOLATION"
    static let isolationBridges = "PONTOON-ISO-BRIDGES"
    static let isolationBridgesIn = "PONTOON-ISO-BRIDGES-IN"
    static let isolationIsolated = "PONTOON-ISO-ISOLATED"
    /// Chains made and removed with PONTOON-ISOLATION; only its rules jump to them.
    static let isolationTargets = [isolationBridges, isolationBridgesIn, isolationIsolated]

    /// The shared chains with the base-chain rules that jump to them.
    static let sharedChains: [(table: IptablesRule.Table, chain: String, jumpsFrom: [String])] = [
        (.nat, hostPorts, ["PREROUTING", "OUTPUT"]),
        (.nat, postrouting, ["POSTROUTING"]),
        (.filter, forward, ["FORWARD"]),
        // After PONTOON-FORWARD, so its jump is inserted ahead: isolation is decided before any accept.
        (.filter, isolation, ["FORWARD"]),
    ]

    static func baseJump(from base: String, to chain: String, table: IptablesRule.Table) -> IptablesRule {
        IptablesRule(table: table, chain: base, spec: ["-m", "comment", "--comment", "pontoon", "-j", chain])
    }

    /// Rules of the shared chains that do not belong to a network (made with the chains).
    static func sharedRules(_ family: IPFamily) -> [IptablesRule] {
        guard family == .v4 else { return [] }
        // 127.0.0.1:hostPort DNATed to a container leaves through the bridge (route_localnet):
        // its loopback source must become the bridge's address or the reply goes nowhere.
        return [IptablesRule(table: .nat, chain: postrouting,
                             spec: ["-s", "127.0.0.0/8", "-m", "conntrack", "--ctstate", "DNAT", "-j", "MASQUERADE"])]
    }

    // MARK: A network's chains

    static func hostPortChain(_ network: String) -> String { "PONTOON-HP-\(hash(network))" }
    static func natChain(_ network: String) -> String { "PONTOON-NAT-\(hash(network))" }
    static func forwardChain(_ network: String) -> String { "PONTOON-FWD-\(hash(network))" }

    static func networkChains(_ network: FirewallNetwork) -> [(table: IptablesRule.Table, chain: String)] {
        [(.nat, hostPortChain(network.name)), (.nat, natChain(network.name)), (.filter, forwardChain(network.name))]
    }

    /// The rules in the shared chains that lead to the network's chains.
    static func networkJumps(_ network: FirewallNetwork, family: IPFamily) -> [IptablesRule] {
        let comment = ["-m", "comment", "--comment", safe("network:\(network.name)")]
        var rules = [IptablesRule(table: .nat, chain: hostPorts, spec: comment + ["-j", hostPortChain(network.name)])]
        for subnet in network.subnets where subnet.family == family {
            rules.append(IptablesRule(table: .nat, chain: postrouting, spec: ["-s", "\(subnet)"] + comment + ["-j", natChain(network.name)]))
            rules.append(IptablesRule(table: .filter, chain: forward, spec: ["-d", "\(subnet)"] + comment + ["-j", forwardChain(network.name)]))
            rules.append(IptablesRule(table: .filter, chain: forward, spec: ["-s", "\(subnet)"] + comment + ["-j", forwardChain(network.name)]))
        }
        return rules + isolationRules(network, comment: comment)
    }

    /// Every network's bridge is listed as one isolated networks are cut off from; an isolated
    /// network sends what leaves its bridge for another (and, strict, what enters it from another)
    /// to those lists. Traffic in and out of the same bridge (hairpin) is not crossing.
    static func isolationRules(_ network: FirewallNetwork, comment: [String]) -> [IptablesRule] {
        let bridge = network.bridge
        var rules = [
            IptablesRule(table: .filter, chain: isolationBridges, spec: ["-o", bridge] + comment + ["-j", "DROP"]),
            IptablesRule(table: .filter, chain: isolationBridgesIn, spec: ["-i", bridge] + comment + ["-j", "DROP"]),
        ]
        switch network.isolation {
        case .off: break
        case .isolated:
            rules.append(IptablesRule(table: .filter, chain: isolationIsolated, spec: ["-o", bridge] + comment + ["-j", "DROP"]))
            rules.append(IptablesRule(table: .filter, chain: isolation, spec: ["-i", bridge, "!", "-o", bridge] + comment + ["-j", isolationIsolated]))
        case .strict:
            rules.append(IptablesRule(table: .filter, chain: isolation, spec: ["-i", bridge, "!", "-o", bridge] + comment + ["-j", isolationBridges]))
            rules.append(IptablesRule(table: .filter, chain: isolation, spec: ["-o", bridge, "!", "-i", bridge] + comment + ["-j", isolationBridgesIn]))
        }
        return rules
    }

    /// The contents of the network's NAT and forward chains (its DNAT chain starts empty).
    static func networkRules(_ network: FirewallNetwork, family: IPFamily) -> [IptablesRule] {
        let subnets = network.subnets.filter { $0.family == family }
        guard !subnets.isEmpty else { return [] }
        let nat = natChain(network.name), fwd = forwardChain(network.name)
        var rules: [IptablesRule] = []
        for subnet in subnets {
            // A container reaching a mapped port of its own or a neighbour's: masquerade so the
            // reply comes back through the host's conntrack instead of straight over the bridge.
            rules.append(IptablesRule(table: .nat, chain: nat,
                                      spec: ["-d", "\(subnet)", "-m", "conntrack", "--ctstate", "DNAT", "-j", "MASQUERADE"]))
        }
        if network.ipMasq {
            for subnet in subnets {
                rules.append(IptablesRule(table: .nat, chain: nat, spec: ["-d", "\(subnet)", "-j", "RETURN"]))
            }
            rules.append(IptablesRule(table: .nat, chain: nat, spec: ["-d", family == .v4 ? "224.0.0.0/4" : "ff00::/8", "-j", "RETURN"]))
            rules.append(IptablesRule(table: .nat, chain: nat, spec: ["-j", "MASQUERADE"]))
        }
        // NETAVARK_DNS_PORT: queries to <gateway>:53/udp go to aardvark-dns's port (netavark's DNAT).
        for port in network.dnsRedirect?.hostPorts ?? [] where port.family == family {
            rules += dnatRules(port, comment: "dns:\(network.name)", network: network.name)
        }
        for subnet in subnets {
            rules.append(IptablesRule(table: .filter, chain: fwd,
                                      spec: ["-d", "\(subnet)", "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"]))
            rules.append(IptablesRule(table: .filter, chain: fwd,
                                      spec: ["-d", "\(subnet)", "-m", "conntrack", "--ctstate", "DNAT", "-j", "ACCEPT"]))
            rules.append(IptablesRule(table: .filter, chain: fwd, spec: ["-s", "\(subnet)", "-j", "ACCEPT"]))
        }
        return rules
    }

    // MARK: An attachment's host ports

    /// One DNAT rule per port of the mapping. A mapping without a host IP answers on every local
    /// address of its family (`addrtype LOCAL`, what nftables' `fib daddr type local` does).
    static func dnatRules(_ port: FirewallAttachment.HostPort, attachment: AttachmentID, network: String) -> [IptablesRule] {
        dnatRules(port, comment: attachment.description, network: network)
    }

    static func dnatRules(_ port: FirewallAttachment.HostPort, comment: String, network: String) -> [IptablesRule] {
        (0..<port.count).map { offset in
            let destination = port.hostIP.map { ["-d", "\($0)/\($0.family.bitWidth)"] } ?? ["-m", "addrtype", "--dst-type", "LOCAL"]
            let target = port.family == .v4 ? "\(port.containerAddress):\(port.containerPort + offset)"
                                             : "[\(port.containerAddress)]:\(port.containerPort + offset)"
            let spec = destination + ["-p", port.transport.rawValue, "-m", port.transport.rawValue, "--dport", "\(port.hostPort + offset)",
                                      "-m", "comment", "--comment", safe(comment),
                                      "-j", "DNAT", "--to-destination", target]
            return IptablesRule(table: .nat, chain: hostPortChain(network), spec: spec)
        }
    }

    // MARK: Helpers

    /// FNV-1a of the name, 10 hex digits: stable across runs and builds (Swift's Hasher is seeded
    /// per process), short enough for `PONTOON-NAT-` + hash to fit 28 characters.
    static func hash(_ name: String) -> String {
        var value: UInt64 = 0xcbf29ce484222325
        for byte in name.utf8 {
            value ^= UInt64(byte)
            value &*= 0x100000001b3
        }
        let hex = String(value, radix: 16)
        return String((String(repeating: "0", count: max(0, 16 - hex.count)) + hex).prefix(10))
    }

    /// A comment with only characters that need no quoting in a restore line or an argument:
    /// a newline or quote in an id must never become part of the ruleset syntax.
    static func safe(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.prefix(200).map { scalar in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", ".", "_", "-", "/", ":", "@": return scalar
            default: return "_"
            }
        }))
    }
}
