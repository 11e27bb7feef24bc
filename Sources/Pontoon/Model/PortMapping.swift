import NetAddress

/// A host port forwarded to a container port.
public struct PortMapping: Hashable, Sendable, Codable {
    public enum TransportProtocol: String, Sendable, Codable, CaseIterable {
        case tcp, udp, sctp
    }

    /// Restrict the mapping to one host address; nil means every address.
    public var hostIP: IPAddress?
    public var hostPort: UInt16
    public var containerPort: UInt16
    public var transport: TransportProtocol
    /// Number of consecutive ports mapped, starting at `hostPort`/`containerPort` (netavark `range`).
    public var count: UInt16

    public init(hostIP: IPAddress? = nil, hostPort: UInt16, containerPort: UInt16,
                transport: TransportProtocol, count: UInt16 = 1) {
        self.hostIP = hostIP
        self.hostPort = hostPort
        self.containerPort = containerPort
        self.transport = transport
        self.count = count
    }
}
