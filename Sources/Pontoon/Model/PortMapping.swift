import NetAddress
import WireCoding

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

// Read without `Decodable` (`WireDecodable`, in attachment records): as the synthesized
// `init(from:)` reads it, in property order.
extension PortMapping: WireDecodable {
    public init(wire value: WireReader) throws {
        let object = try value.object()
        hostIP = try object.decodeIfPresent(CodingKeys.hostIP) { try $0.address(IPAddress.self) }
        hostPort = try object.decode(CodingKeys.hostPort)
        containerPort = try object.decode(CodingKeys.containerPort)
        transport = try object.decode(CodingKeys.transport) { try $0.enumeration(TransportProtocol.self) }
        count = try object.decode(CodingKeys.count)
    }
}
