import NetAddress
import Netlink

/// The iptables firewall (`"firewall": "iptables"`), for hosts whose other tools speak iptables:
/// the ruleset of `IptablesRules`, one `iptables-restore --noflush` run per family per operation.
///
/// An attachment's ADD and DEL append or delete its own DNAT rules and nothing else: no listing,
/// no rewriting. Host ports are made exclusive by `HostPortClaims` (shared with nftables). Whether shared rules already
/// exist is asked with `iptables -C` only when a network is set up, torn down or reloaded.
public struct IptablesFirewall: Firewall {
    public var kind: FirewallKind { .iptables }
    let stateDirectory: String

    public init(stateDirectory: String) {
        self.stateDirectory = stateDirectory
    }

    private var claims: HostPortClaims { HostPortClaims(stateDirectory: stateDirectory) }
    /// Serialises the shared chains' creation and removal between networks. A dot, like
    /// `.firewall`: no network (whose records live in `<stateDir>/<network>`) can be named so.
    private var sharedDirectory: String { "\(stateDirectory)/.iptables" }
    /// One file per network with iptables rules: the last one out removes the shared chains.
    private var networksDirectory: String { "\(stateDirectory)/.iptables/networks" }

    public func add(_ attachment: FirewallAttachment, network: FirewallNetwork, firstInNetwork: Bool) throws {
        try claims.claim(attachment)
        do {
            if firstInNetwork {
                try setUp(network, with: attachment)
            } else {
                for family in IPFamily.allCases {
                    var script = IptablesTool.Script()
                    for rule in dnatRules(attachment, network: network, family: family) { script.append(rule) }
                    let tool = IptablesTool(family: family)
                    if script.isEmpty {
                        // Nothing of its own to write, so nothing would fail if the network's chains
                        // were gone (a flush): its masquerade jump is the proof they are there, or the
                        // runtime's reload of this container writes the network again.
                        guard families(network).contains(family) else { continue }
                        let jumps = IptablesRules.networkJumps(network, family: family)
                        guard let proof = jumps.first(where: { $0.chain == IptablesRules.postrouting }) ?? jumps.first else { continue }
                        if try tool.presence(proof) != .present {
                            try setUp(network, attachments: [attachment], thorough: true)
                            break
                        }
                        continue
                    }
                    do {
                        try tool.restore(script, what: "map the host ports of \(attachment.id)")
                    } catch {
                        // The network has members but its chains are gone (a flush): a runtime's
                        // reload of this container writes the network again, as the first would.
                        guard try tool.presence(IptablesRules.networkJumps(network, family: family)[0]) == .chainMissing else { throw error }
                        try setUp(network, attachments: [attachment], thorough: true)
                        break
                    }
                }
            }
            try MacSpoofTable.add(attachment, network: network, socket: try NetfilterSocket())
        } catch {
            // One family may have been written before the other failed.
            try? removeRules(of: attachment, network: network, lastInNetwork: firstInNetwork)
            try? claims.release(attachment)
            throw error
        }
        try StaleFlows.forget(attachment, socket: try NetfilterSocket())
    }

    public func remove(_ attachment: FirewallAttachment, network: FirewallNetwork, lastInNetwork: Bool) throws {
        if network.macSpoofCheck { try MacSpoofTable.remove(attachment, network: network, socket: try NetfilterSocket()) }
        try removeRules(of: attachment, network: network, lastInNetwork: lastInNetwork)
        try claims.release(attachment)
    }

    public func check(_ attachment: FirewallAttachment, network: FirewallNetwork) throws {
        if network.macSpoofCheck { try MacSpoofTable.check(attachment, network: network, socket: try NetfilterSocket()) }
        for family in IPFamily.allCases {
            let tool = IptablesTool(family: family)
            for subnet in network.subnets where subnet.family == family {
                let jump = IptablesRules.networkJumps(network, family: family).first { $0.spec.starts(with: ["-s", "\(subnet)"]) }
                if let jump, try !tool.exists(jump) {
                    throw PontoonError(.checkFailed, "iptables has no rules for subnet \(subnet) of network \(network.name)")
                }
            }
            if network.isolation != .off && network.subnets.contains(where: { $0.family == family }) {
                let cut = IptablesRules.networkJumps(network, family: family).filter { $0.chain == IptablesRules.isolation }
                for rule in cut where try !tool.exists(rule) {
                    throw PontoonError(.checkFailed, "iptables does not isolate bridge \(network.bridge) of network \(network.name)")
                }
            }
            for port in attachment.hostPorts where port.family == family {
                for rule in IptablesRules.dnatRules(port, attachment: attachment.id, network: network.name) where try !tool.exists(rule) {
                    throw PontoonError(.checkFailed, "host port \(port.hostDescription) is not mapped, "
                                       + "expected \(port.containerAddress) port \(port.containerPort)")
                }
            }
        }
    }

    public func reload(network: FirewallNetwork, attachments: [FirewallAttachment]) throws {
        for attachment in attachments { try claims.reclaim(attachment) }
        try setUp(network, attachments: attachments, thorough: true)
        if network.macSpoofCheck {
            let socket = try NetfilterSocket()
            for attachment in attachments { try MacSpoofTable.add(attachment, network: network, socket: socket) }
        }
    }

    public func readiness() throws {
        for family in IPFamily.allCases where family == .v4 || Self.hostHasIPv6 {
            do {
                try IptablesTool(family: family).readiness()
            } catch let error as PontoonError {
                throw PontoonError(.notReady, "the iptables firewall cannot be programmed", details: error.description)
            }
        }
    }

    // MARK: Network set-up and teardown

    private func setUp(_ network: FirewallNetwork, with attachment: FirewallAttachment) throws {
        try setUp(network, attachments: [attachment], thorough: false)
    }

    /// Create (or, for reload, restore) the shared chains, the network's chains and rules, and the
    /// attachments' DNAT rules. The network's chains are declared, so they end up holding exactly
    /// this, however often it runs. `thorough` checks every shared rule; otherwise one jump per
    /// table stands for the rest (they are always written together).
    private func setUp(_ network: FirewallNetwork, attachments: [FirewallAttachment], thorough: Bool) throws {
        if network.subnets.contains(where: { $0.family == .v4 }) {
            let key = "net/ipv4/conf/\(network.bridge)/route_localnet"
            do { try Sysctl.set(key, "1") } catch { Log.warning("cannot set \(key): \(error)") }
        }
        // With createDirectory the lock is always taken and body always runs.
        _ = try Locks.serialising(sharedDirectory, createDirectory: true) { () throws in
            try FileSystem.makeDirectories(networksDirectory, mode: 0o700)
            try FileSystem.writeFile("\(networksDirectory)/\(network.name)", contents: [], mode: 0o600)
            // Only the network's families: a host without IPv6 may have no working ip6tables.
            for family in families(network) {
                let tool = IptablesTool(family: family)
                var script = IptablesTool.Script()
                let sharedMade = try addSharedChains(to: &script, tool: tool, thorough: thorough)
                for (table, chain) in IptablesRules.networkChains(network) { script.declare(table, chain) }
                for rule in IptablesRules.networkRules(network, family: family) { script.append(rule) }
                for attachment in attachments {
                    for rule in dnatRules(attachment, network: network, family: family) { script.append(rule) }
                }
                // The jumps into the network's chains: none can exist while its DNAT chain is missing.
                let jumps = IptablesRules.networkJumps(network, family: family)
                var networkExists = !sharedMade
                if networkExists && !thorough { networkExists = try tool.presence(jumps[0]) != .chainMissing }
                for jump in jumps where try !networkExists || !tool.exists(jump) { script.append(jump) }
                try tool.restore(script, what: "set up network \(network.name)")
            }
        }
    }

    /// The shared chains and the base-chain jumps to them, whatever of them is missing. Returns
    /// true when the chains were missing (so nothing that jumps into a network's chain exists).
    private func addSharedChains(to script: inout IptablesTool.Script, tool: IptablesTool, thorough: Bool) throws -> Bool {
        var created = false
        for shared in IptablesRules.sharedChains {
            let jumps = shared.jumpsFrom.map { IptablesRules.baseJump(from: $0, to: shared.chain, table: shared.table) }
            let extra = IptablesRules.sharedRules(tool.family).filter { $0.chain == shared.chain }
            switch try tool.presence(jumps[0]) {
            case .chainMissing:
                created = true
                if shared.chain == IptablesRules.isolation {
                    for target in IptablesRules.isolationTargets { script.declare(.filter, target) }
                }
                script.declare(shared.table, shared.chain)
                for rule in extra { script.append(rule) }
                for jump in jumps { script.insertFirst(jump) }
            case .absent:
                for jump in jumps where try !tool.exists(jump) { script.insertFirst(jump) }
                for rule in extra where try !tool.exists(rule) { script.append(rule) }
            case .present:
                guard thorough else { continue }
                for jump in jumps.dropFirst() where try !tool.exists(jump) { script.insertFirst(jump) }
                for rule in extra where try !tool.exists(rule) { script.append(rule) }
            }
        }
        return created
    }

    /// Delete the attachment's DNAT rules, or with `lastInNetwork` the network's chains (its DNAT
    /// rules go with them) and, when no network is left, the shared chains.
    private func removeRules(of attachment: FirewallAttachment, network: FirewallNetwork, lastInNetwork: Bool) throws {
        guard lastInNetwork else {
            for family in IPFamily.allCases {
                try delete(dnatRules(attachment, network: network, family: family), tool: IptablesTool(family: family),
                           what: "remove the host ports of \(attachment.id)")
            }
            return
        }
        // With createDirectory the lock is always taken and body always runs.
        _ = try Locks.serialising(sharedDirectory, createDirectory: true) { () throws in
            for family in families(network) {
                var chains = IptablesTool.Script()
                for (table, chain) in IptablesRules.networkChains(network) {
                    // Declared first, so deleting a chain that is already gone is not an error.
                    chains.declare(table, chain)
                    chains.deleteChain(table, chain)
                }
                try delete(IptablesRules.networkJumps(network, family: family), tool: IptablesTool(family: family),
                           then: chains, what: "remove network \(network.name)")
            }
            _ = try FileSystem.remove("\(networksDirectory)/\(network.name)")
            if try (FileSystem.listDirectory(networksDirectory) ?? []).isEmpty {
                for family in IPFamily.allCases where family == .v4 || Self.hostHasIPv6 {
                    try removeSharedChains(IptablesTool(family: family))
                }
            }
        }
    }

    /// The last network is gone: the base jumps and the shared chains. A chain that still holds
    /// rules (Pontoon with another state directory on this host) is left alone.
    private func removeSharedChains(_ tool: IptablesTool) throws {
        var script = IptablesTool.Script()
        var chains: [(IptablesRule.Table, String)] = []
        for shared in IptablesRules.sharedChains {
            let jumps = shared.jumpsFrom.map { IptablesRules.baseJump(from: $0, to: shared.chain, table: shared.table) }
            var chainExists = false
            for jump in jumps {
                switch try tool.presence(jump) {
                case .present: script.delete(jump); chainExists = true
                case .absent: chainExists = true
                case .chainMissing: break
                }
            }
            guard chainExists else { continue }
            for rule in IptablesRules.sharedRules(tool.family) where try rule.chain == shared.chain && tool.exists(rule) {
                script.delete(rule)
            }
            chains.append((shared.table, shared.chain))
        }
        for (table, chain) in chains { script.deleteChain(table, chain) }
        if chains.contains(where: { $0.1 == IptablesRules.isolation }) {
            // Declared first: deleting one that is already gone must not fail the run.
            for target in IptablesRules.isolationTargets {
                script.declare(.filter, target)
                script.deleteChain(.filter, target)
            }
        }
        do {
            try tool.restore(script, what: "remove Pontoon's shared chains")
        } catch {
            Log.info("keeping the shared iptables chains: \(error)")
        }
    }

    /// Delete rules in one run; when some are already gone (a second DEL, a flushed table), which
    /// would fail the whole run, ask which are left and delete those.
    private func delete(_ rules: [IptablesRule], tool: IptablesTool, then extra: IptablesTool.Script = .init(), what: String) throws {
        guard !rules.isEmpty || !extra.isEmpty else { return }
        func script(_ rules: [IptablesRule]) -> IptablesTool.Script {
            var script = IptablesTool.Script()
            for rule in rules { script.delete(rule) }
            script.merge(extra)
            return script
        }
        do {
            try tool.restore(script(rules), what: what)
        } catch {
            let left = try rules.filter { try tool.exists($0) }
            try tool.restore(script(left), what: what)
        }
    }

    /// A kernel without IPv6 has no ip6tables tables to program or clean.
    private static var hostHasIPv6: Bool { (try? FileSystem.isDirectory("/proc/sys/net/ipv6")) == true }

    private func families(_ network: FirewallNetwork) -> [IPFamily] {
        IPFamily.allCases.filter { family in network.subnets.contains { $0.family == family } }
    }

    private func dnatRules(_ attachment: FirewallAttachment, network: FirewallNetwork, family: IPFamily) -> [IptablesRule] {
        attachment.hostPorts.filter { $0.family == family }
            .flatMap { IptablesRules.dnatRules($0, attachment: attachment.id, network: network.name) }
    }
}
