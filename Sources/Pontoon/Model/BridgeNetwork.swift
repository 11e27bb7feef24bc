/// A bridge network's definition, with the reference `bridge` plugin's keys and defaults so that a
/// config written for it means the same thing here.
public struct BridgeNetwork: Sendable {
    public var name: String
    public var bridgeName: String = "cni0"
    public var isGateway = false
    /// Implies `isGateway`: the container's default route points at the bridge.
    public var isDefaultGateway = false
    /// Replace a different address already on the bridge instead of failing.
    public var forceAddress = false
    public var ipMasq = false
    public var mtu: Int?
    public var hairpinMode = false
    public var promiscMode = false
    /// Access VLAN of the container's bridge port (PVID, untagged); nil for none.
    public var vlan: Int?
    /// VLANs the container's port carries tagged.
    public var vlanTrunk: [ClosedRange<Int>] = []
    /// Keep VLAN 1 on the port when `vlan` is set.
    public var preserveDefaultVlan = true
    /// Keep IPv6 duplicate address detection inside the container (off by default: it costs seconds).
    public var enableDAD = false
    public var macSpoofCheck = false
    public var portIsolation = false
    /// Cut the network's containers off from other Pontoon bridges (done by the firewall).
    public var isolation: NetworkIsolation = .off
    /// Create the container interface but leave it down.
    public var disableContainerInterface = false
    /// DNS settings from the network config, preferred over what IPAM returns.
    public var dns = DNS()
    /// Which firewall driver writes the masquerade, forwarding and port-mapping rules.
    public var firewall: FirewallKind = .nftables
    /// netavark's bridge lifetime: the bridge is deleted with the network's last attachment. The
    /// reference CNI plugin (false) leaves it for the next container.
    public var bridgeGoesWithLastAttachment = false
    /// netavark's `NETAVARK_DNS_PORT` on a DNS network: aardvark-dns listens there on the
    /// gateways and the firewall redirects `<gateway>:53/udp` to it (nil: port 53, nothing to do).
    public var dnsPort: UInt16?
    /// macvlan or ipvlan: the containers' links hang off a host device (`LinkedDriver`); nil: a bridge.
    public var linked: LinkedNetwork?

    public init(name: String) {
        self.name = name
    }

    /// Whether the bridge carries the gateway addresses.
    public var actsAsGateway: Bool { isGateway || isDefaultGateway }
    /// The bridge needs VLAN filtering as soon as any VLAN key is used.
    public var needsVLANFiltering: Bool { vlan != nil || !vlanTrunk.isEmpty }
}
