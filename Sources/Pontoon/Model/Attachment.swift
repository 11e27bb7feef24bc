import NetAddress

/// Identifies one attachment: a container's interface on a network. The CNI spec keys everything
/// (leases, cached results, GC) by this pair, and so does Pontoon.
public struct AttachmentID: Hashable, Sendable, Codable, CustomStringConvertible {
    public var containerID: String
    public var ifName: String

    public init(containerID: String, ifName: String) {
        self.containerID = containerID
        self.ifName = ifName
    }

    public var description: String { "\(containerID)/\(ifName)" }
}

/// What both front doors (CNI and netavark) decode into: one container interface to give a
/// network. The engine never sees env vars or JSON, only this.
public struct Attachment: Sendable {
    public var id: AttachmentID
    public var containerName: String?
    /// Path of the container's network namespace; nil only on DEL/GC when the runtime has none.
    public var netnsPath: String?
    public var network: BridgeNetwork
    /// Addresses the caller asked for; each must be satisfied or the attachment fails.
    public var requestedIPs: [IPAddress]
    public var requestedMAC: MACAddress?
    public var portMappings: [PortMapping]

    public init(id: AttachmentID, containerName: String? = nil, netnsPath: String?, network: BridgeNetwork,
                requestedIPs: [IPAddress] = [], requestedMAC: MACAddress? = nil, portMappings: [PortMapping] = []) {
        self.id = id
        self.containerName = containerName
        self.netnsPath = netnsPath
        self.network = network
        self.requestedIPs = requestedIPs
        self.requestedMAC = requestedMAC
        self.portMappings = portMappings
    }
}
