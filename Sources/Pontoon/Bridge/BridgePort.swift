#if canImport(Glibc)
import Glibc
#endif
import Netlink

/// The host's end of the veth pair as a port of the bridge: no IPv6 address of its own, enslaved
/// and up in one request, then the port flags and VLANs the network asks for. Nothing is read
/// back: enslaving changes neither the port's name, MAC nor MTU, and on a bridge of 1,000 ports a
/// request right after it waits ~4 ms for the kernel to finish with the new port.
struct BridgePort {
    let socket: RouteSocket
    let network: BridgeNetwork

    /// A bridge port forwards frames and has no use for addresses of its own (the gateway's are the
    /// bridge's). Left as the kernel makes it, each port gets an IPv6 link-local address and a
    /// fe80::/64 route when it comes up, and sends MLD, DAD and router solicitations from it; with
    /// 1,000 ports the host's IPv6 tables hold thousands of such entries, and every port going down
    /// walks them (`fib6_clean_all`, from `addrconf_ifdown`). A request before the enslaving one
    /// asks for no link-local address (address generation "none"; in the same request the kernel
    /// applies it after bringing the port up, too late), so none of it is made; the kernel's
    /// ff00::/8 multicast route per port stays (one entry, no traffic). Not the port's
    /// `disable_ipv6` sysctl: writing it needs the rtnl lock and, when the lock is busy, the kernel
    /// restarts the write until it is free: a busy loop that took 30–130 ms in 2 of 16 traced ADDs on
    /// a bridge of 1,000 ports; and with 1,000 namespaces on the host, each first lookup under
    /// /proc/sys/net took 1.3–5 ms (even checking whether the sysctl exists). Containers' IPv6
    /// through the bridge is unchanged (layer 2).
    func attach(_ port: Link, to bridge: Link) throws {
        let index = port.index
        do {
            try socket.setLink(index: index, ipv6LinkLocal: false)
        } catch let error as NetlinkError where error.errno == EAFNOSUPPORT {
            // No IPv6 on the port (a kernel without it, or an MTU below 1,280): nothing to ask for.
        }
        try socket.setLink(index: index, up: true, master: bridge.index)
        if network.hairpinMode || network.portIsolation {
            try socket.setBridgePort(index: index, hairpin: network.hairpinMode ? true : nil,
                                     isolated: network.portIsolation ? true : nil)
        }
        try configureVLANs(port: index, bridge: bridge)
    }

    /// Access port (`vlan`: PVID, untagged) or trunk (`vlanTrunk`: tagged), as the reference does.
    /// With a gateway on the bridge, the bridge itself joins the access VLAN so it can route it.
    private func configureVLANs(port: Int32, bridge: Link) throws {
        if let vlan = network.vlan {
            try socket.addBridgeVLAN(index: port, vids: vlan...vlan, pvid: true, untagged: true, onSelf: false)
            if network.actsAsGateway {
                try socket.addBridgeVLAN(index: bridge.index, vids: vlan...vlan, pvid: true, untagged: true, onSelf: true)
            }
        }
        for range in network.vlanTrunk {
            try socket.addBridgeVLAN(index: port, vids: range, pvid: false, untagged: false, onSelf: false)
        }
        if (network.vlan != nil || !network.vlanTrunk.isEmpty) && !network.preserveDefaultVlan {
            try socket.deleteBridgeVLAN(index: port, vids: 1...1, onSelf: false)
        }
    }
}
