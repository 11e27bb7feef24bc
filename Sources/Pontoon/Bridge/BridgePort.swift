import Netlink

/// The host's end of the veth pair as a port of the bridge: IPv6 off on it, enslaved and up in one
/// request, then the port flags and VLANs the network asks for. Nothing is read back: enslaving
/// changes neither the port's name, MAC nor MTU, and on a bridge of 1,000 ports a request right
/// after it waits ~4 ms for the kernel to finish with the new port.
struct BridgePort {
    let socket: RouteSocket
    let network: BridgeNetwork

    func attach(_ port: Link, to bridge: Link) throws {
        let index = port.index
        try disableIPv6(on: port.name)
        try socket.setLink(index: index, up: true, master: bridge.index)
        if network.hairpinMode || network.portIsolation {
            try socket.setBridgePort(index: index, hairpin: network.hairpinMode ? true : nil,
                                     isolated: network.portIsolation ? true : nil)
        }
        try configureVLANs(port: index, bridge: bridge)
    }

    /// A bridge port forwards frames and has no use for addresses of its own (the gateway's are the
    /// bridge's). Left on, IPv6 gives each port a link-local address and a fe80::/64 and ff00::/8
    /// route in the host's table when it comes up, and sends MLD, DAD and router solicitations from
    /// it; with 1,000 ports the host's IPv6 table holds 3,000 such entries, and every port going
    /// down walks all of them (`fib6_clean_all`, from `addrconf_ifdown`). Set before the port comes
    /// up, so none of it is made. Containers' IPv6 through the bridge is unchanged (layer 2).
    private func disableIPv6(on name: String) throws {
        let key = "net/ipv6/conf/\(name)/disable_ipv6"
        if Sysctl.exists(key) { try Sysctl.tune(key, "1") }
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
