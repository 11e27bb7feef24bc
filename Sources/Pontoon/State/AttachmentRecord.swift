import NetAddress
import WireCoding

/// What Pontoon remembers about one attachment, so DEL, CHECK and GC can finish their work when
/// the network namespace is gone and the runtime sends no `prevResult`.
public struct AttachmentRecord: Codable, Hashable, Sendable {
    public var containerID: String
    public var ifName: String
    public var network: String
    public var netns: String?
    public var bridge: String
    public var hostInterface: String
    public var containerMAC: MACAddress?
    public var addresses: [IPNetwork]
    public var portMappings: [PortMapping]
    /// What the firewall made for this attachment (nil: nothing, or a record from before the firewall).
    public var firewall: FirewallAttachment?

    public var id: AttachmentID { AttachmentID(containerID: containerID, ifName: ifName) }

    public init(id: AttachmentID, network: String, netns: String?, bridge: String, hostInterface: String,
                containerMAC: MACAddress?, addresses: [IPNetwork], portMappings: [PortMapping],
                firewall: FirewallAttachment? = nil) {
        containerID = id.containerID
        ifName = id.ifName
        self.network = network
        self.netns = netns
        self.bridge = bridge
        self.hostInterface = hostInterface
        self.containerMAC = containerMAC
        self.addresses = addresses
        self.portMappings = portMappings
        self.firewall = firewall
    }
}

// Read without `Decodable` (`WireDecodable`): DEL, CHECK and a repeated ADD read records on the
// plugin's hot path. Each field as the synthesized `init(from:)` reads it, in property order.

extension AttachmentRecord: WireDecodable {
    public init(wire value: WireReader) throws {
        let object = try value.object()
        containerID = try object.decode(CodingKeys.containerID)
        ifName = try object.decode(CodingKeys.ifName)
        network = try object.decode(CodingKeys.network)
        netns = try object.decodeIfPresent(CodingKeys.netns)
        bridge = try object.decode(CodingKeys.bridge)
        hostInterface = try object.decode(CodingKeys.hostInterface)
        containerMAC = try object.decodeIfPresent(CodingKeys.containerMAC) { try $0.address(MACAddress.self) }
        addresses = try object.decode(CodingKeys.addresses) { try $0.array { try $0.address(IPNetwork.self) } }
        portMappings = try object.decode(CodingKeys.portMappings) { try $0.array(PortMapping.self) }
        firewall = try object.decodeIfPresent(CodingKeys.firewall)
    }
}
