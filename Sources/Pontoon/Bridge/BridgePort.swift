import Netlink

/// The host's end of the veth pair as a port of the bridge: enslaved and up in one request, then
/// the port flags and VLANs the network asks for. Nothing is read back: enslaving changes neither
/// the port's name, MAC nor MTU, and on a bridge of 1,000 ports a request right after it waits
/// ~4 ms for the kernel to finish with the new port.
struct BridgePort {
    let socket: RouteSocket
    let network: BridgeNetwork

    func attach(_ port: Link, to bridge: Link) throws {
        let index = port.index
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
