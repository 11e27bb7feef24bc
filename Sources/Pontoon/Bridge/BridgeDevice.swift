import NetAddress
import Netlink
#if canImport(Glibc)
import Glibc
#endif

/// The network's bridge on the host: created on first use (tolerating a concurrent creator),
/// carrying the gateway addresses when the network routes, its MAC pinned.
struct BridgeDevice {
    let socket: RouteSocket
    let network: BridgeNetwork

    var name: String { network.bridgeName }
    /// With netavark's lifetime the bridge (and its gateways) go only under `BridgeLifetime`'s
    /// exclusive lock: a failed ADD removing them here, under the shared one, could pull them from
    /// under a concurrent ADD that found them.
    var ownedByLifetime: Bool { network.bridgeGoesWithLastAttachment }

    /// The bridge, and whether this call created it.
    func ensure(rollback: inout Rollback) throws -> (link: Link, created: Bool) {
        var created = false
        var link = try socket.link(named: name)
        if link == nil {
            do {
                // Born with its MAC set (by us), which pins it: see `pinAddress`.
                link = try socket.createBridge(name: name, mtu: network.mtu, mac: .randomLocal(),
                                               vlanFiltering: network.needsVLANFiltering)
                created = true
            } catch let error as NetlinkError where error.isExists {
                // Another ADD made it between our lookup and our create: use theirs.
            } catch let error as NetlinkError where error.errno == EOPNOTSUPP && network.needsVLANFiltering {
                throw PontoonError(.unsupported, "VLAN filtering is not available in this kernel",
                                   details: "vlan and vlanTrunk need a kernel built with CONFIG_BRIDGE_VLAN_FILTERING")
            } catch {
                // The kernel may have made it and only the answer was lost: remove it if unused.
                if !ownedByLifetime { rollback.add("bridge \(name) (creation answer lost)") { try removeIfUnused() } }
                throw error
            }
            // Registered before anything else can fail (even the lookup below).
            if created && !ownedByLifetime { rollback.add("bridge \(name)") { try removeIfUnused() } }
            if !created { link = try socket.link(named: name) }
        }
        guard let bridge = link else {
            throw PontoonError(.system, "bridge \(name) vanished right after creation")
        }
        guard bridge.kind == "bridge" else {
            throw PontoonError(.conflict, "\(name) exists and is not a bridge", details: "its kind is \(bridge.kind ?? "unknown")")
        }
        if network.needsVLANFiltering && bridge.bridge?.vlanFiltering != true {
            throw PontoonError(.conflict, "bridge \(name) exists without VLAN filtering, which vlan and vlanTrunk need",
                               details: "enable it (ip link set \(name) type bridge vlan_filtering 1) or use another bridge")
        }
        if !bridge.isUp {
            // No duplicate address detection on the bridge: while its link-local address is
            // tentative (a second after it comes up) the kernel sends no neighbour solicitation for
            // forwarded IPv6 (their source is not the bridge's), so the first packet DNATed or
            // routed to a container is lost and TCP waits out a retransmit.
            let key = "net/ipv6/conf/\(name)/accept_dad"
            try Sysctl.tune(key, "0", ifPresent: true)
        }
        if !bridge.isUp || (network.promiscMode && bridge.promiscuity == 0) {
            try socket.setLink(index: bridge.index, up: true, promiscuous: network.promiscMode ? true : nil)
        }
        if !created { try pinAddress(of: bridge) }
        return (bridge, created)
    }

    /// Put each family's gateway on the bridge. Like the reference: an IPv4 bridge holds one
    /// address; a different one is replaced only with `forceAddress`. IPv6 addresses coexist
    /// unless their subnets overlap.
    func assignGateways(of addresses: [AssignedAddress], to bridge: Link, rollback: inout Rollback) throws {
        for assigned in addresses {
            guard let gateway = assigned.gateway,
                  let wanted = IPNetwork(address: gateway, prefixLength: assigned.address.prefixLength) else { continue }
            let present = try socket.addresses(index: bridge.index, family: gateway.family)
                .map(\.address)
                .filter { !$0.isLinkLocal }
            if present.contains(wanted) { continue }
            let conflicting = present.filter { $0.family == .v4 || $0.overlaps(wanted) }
            if !conflicting.isEmpty {
                guard network.forceAddress else {
                    throw PontoonError(.conflict, "bridge \(name) already has address \(conflicting[0]), not the gateway \(wanted)",
                                       details: "set forceAddress to replace it, or give this network its own bridge")
                }
                for old in conflicting { try socket.deleteAddress(old, index: bridge.index) }
            }
            do {
                try socket.addAddress(wanted, index: bridge.index, noDAD: true)
                let index = bridge.index
                if !ownedByLifetime {
                    rollback.add("gateway \(wanted) on \(name)") { try removeAddressIfUnused(wanted, index: index) }
                }
            } catch let error as NetlinkError where error.isExists {
                // A concurrent ADD of the same network put it there first.
            }
        }
    }

    /// A bridge takes the lowest MAC of its ports unless its own was set: then the gateway's MAC
    /// would change whenever the container whose MAC it took leaves, and the other containers'
    /// neighbour entries for it would go stale. Ours are born with a MAC set. Every ADD that finds
    /// the bridge already there sets its current MAC again, since nothing tells whether it was set
    /// (a bridge someone else made may not be); it does so before our port joins, not after: at
    /// that moment the kernel is busy with the new port for milliseconds on a bridge of 1,000, and
    /// any request waits for it.
    private func pinAddress(of bridge: Link) throws {
        if let mac = bridge.mac { try socket.setLink(index: bridge.index, mac: mac) }
    }

    /// Rollback of a bridge this ADD created: only while it is a bridge and no other container's
    /// port is on it.
    private func removeIfUnused() throws {
        guard let bridge = try socket.link(named: name), bridge.kind == "bridge", try !hasPorts(bridge.index) else { return }
        do {
            try socket.deleteLink(index: bridge.index)
        } catch let error as NetlinkError where error.isNoDevice {
        }
    }

    private func removeAddressIfUnused(_ address: IPNetwork, index: Int32) throws {
        guard try !hasPorts(index) else { return }
        try socket.deleteAddress(address, index: index)
    }

    private func hasPorts(_ index: Int32) throws -> Bool {
        try !socket.links(master: index).isEmpty
    }
}

extension IPNetwork {
    /// IPv6 link-local (fe80::/10): every interface has one; it never conflicts with a gateway.
    var isLinkLocal: Bool {
        guard case .v6(let address) = address else { return false }
        return address.high >> 54 == 0x3fa
    }
}
