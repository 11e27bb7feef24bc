import Netlink

/// The host's end of the veth pair as a port of the bridge: enslaved and up in one request, then
/// the port flags and VLANs the network asks for.
struct BridgePort {
    let socket: RouteSocket
    let network: BridgeNetwork

    func attach(_ index: Int32, to bridge: Link) throws -> Link {
        try socket.setLink(index: index, up: true, master: bridge.index)
        if network.hairpinMode || network.portIsolation {
            try socket.setBridgePort(index: index, hairpin: network.hairpinMode ? true : nil,
                                     isolated: network.portIsolation ? true : nil)
        }
        try configureVLANs(port: index, bridge: bridge)
        // Enslaving can change what the kernel reports; read the port back for the Result.
        guard let link = try socket.link(index: index) else {
            throw PontoonError(.system, "host interface \(index) disappeared while joining \(bridge.name)")
        }
        return link
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
