import NetAddress
import WireCoding

/// A firewall driver: masquerading, forwarding and port mappings for a bridge network. Chosen per
/// network (`"firewall": "nftables" | "iptables" | "none"`) and handed to the bridge driver the way the address
/// allocator is. Network-wide rules are made with the network's first attachment and removed with
/// its last (`FirewallMembership` decides which, under a per-network lock); each attachment's own
/// state is data the rules look up, so adding the 500th container costs what adding the first does.
public protocol Firewall {
    var kind: FirewallKind { get }

    /// Make the attachment's mappings; with `firstInNetwork`, the network's rules too, in the same
    /// transaction. A failure changes nothing.
    func add(_ attachment: FirewallAttachment, network: FirewallNetwork, firstInNetwork: Bool) throws

    /// Remove exactly what `add` made for the attachment (what is already gone is fine); with
    /// `lastInNetwork`, the network's rules too.
    func remove(_ attachment: FirewallAttachment, network: FirewallNetwork, lastInNetwork: Bool) throws

    /// Whether the network's rules and the attachment's mappings are in place (CNI code 105 if not).
    func check(_ attachment: FirewallAttachment, network: FirewallNetwork) throws

    /// Write the network's rules and every attachment's mappings again, after something flushed
    /// the ruleset; applying it to an intact ruleset changes nothing.
    func reload(network: FirewallNetwork, attachments: [FirewallAttachment]) throws

    /// Whether the firewall can be programmed now (for STATUS).
    func readiness() throws
}

public enum FirewallKind: String, Codable, Sendable, CaseIterable {
    case nftables, iptables, none

    /// The driver for a network; `stateDirectory` is where a driver keeps what the kernel cannot
    /// (the host-port claims, `HostPortClaims`).
    public func driver(stateDirectory: String) -> any Firewall {
        switch self {
        case .nftables: return NftablesFirewall(stateDirectory: stateDirectory)
        case .iptables: return IptablesFirewall(stateDirectory: stateDirectory)
        case .none: return NoFirewall()
        }
    }
}

/// Whether a network's containers may talk to containers of other Pontoon bridges. Forwarded
/// traffic between two Pontoon bridges is dropped, in both directions, when either network is
/// `strict`, or when both are `isolated`. CNI's `"isolate": true` is `strict` (its containers reach
/// no other Pontoon bridge); netavark's `isolate` option maps `true` to `isolated` (only other
/// isolated networks are cut off) and `strict` to `strict`.
public enum NetworkIsolation: String, Codable, Sendable {
    case off, isolated, strict
}

/// What the network-wide rules depend on; stored with the network's membership so the last DEL
/// removes exactly what the first ADD made, whatever the config says by then.
public struct FirewallNetwork: Codable, Hashable, Sendable {
    public var name: String
    public var bridge: String
    public var kind: FirewallKind
    /// The container subnets (masked), each family's masquerade and forward rules keyed by them.
    public var subnets: [IPNetwork]
    public var ipMasq: Bool
    /// Optional in the record: records written before these existed decode as off. (Internal,
    /// not private: `RecordWriting.swift` writes them as stored.)
    var isolationSetting: NetworkIsolation?
    var macSpoofCheckSetting: Bool?
    /// netavark's `NETAVARK_DNS_PORT`: aardvark-dns listens on another port than 53 on the
    /// network's gateways, and queries to `<gateway>:53/udp` are redirected there (nil: none).
    public var dnsRedirect: DNSRedirect?

    public var isolation: NetworkIsolation { isolationSetting ?? .off }
    /// Frames entering the bridge from a container's host veth must carry the container's MAC.
    public var macSpoofCheck: Bool { macSpoofCheckSetting ?? false }

    enum CodingKeys: String, CodingKey {
        case name, bridge, kind, subnets, ipMasq
        case isolationSetting = "isolation", macSpoofCheckSetting = "macSpoofCheck", dnsRedirect
    }

    public init(name: String, bridge: String, kind: FirewallKind, subnets: [IPNetwork], ipMasq: Bool,
                isolation: NetworkIsolation = .off, macSpoofCheck: Bool = false, dnsRedirect: DNSRedirect? = nil) {
        self.name = name
        self.bridge = bridge
        self.kind = kind
        var seen = Set<IPNetwork>()
        self.subnets = subnets.map(\.masked).filter { seen.insert($0).inserted }
        self.ipMasq = ipMasq
        self.isolationSetting = isolation == .off ? nil : isolation
        self.macSpoofCheckSetting = macSpoofCheck ? true : nil
        self.dnsRedirect = dnsRedirect
    }
}

/// A network's DNS queries redirected from port 53 of its gateways to the port aardvark-dns
/// listens on (netavark's DNAT for `NETAVARK_DNS_PORT`, UDP as aardvark-dns 1.4 serves).
public struct DNSRedirect: Codable, Hashable, Sendable {
    public var port: UInt16
    public var addresses: [IPAddress]

    public init(port: UInt16, addresses: [IPAddress]) {
        self.port = port
        self.addresses = addresses
    }

    /// The redirect as host ports: `<gateway>:53/udp` to `<gateway>:<port>`.
    public var hostPorts: [FirewallAttachment.HostPort] {
        addresses.map { FirewallAttachment.HostPort(hostIP: $0, hostPort: 53, containerAddress: $0, containerPort: port, transport: .udp, count: 1) }
    }
}

/// One attachment's firewall state: its addresses and the port mappings resolved against them.
/// Stored in the attachment record, so DEL, CHECK and GC undo exactly this.
public struct FirewallAttachment: Codable, Hashable, Sendable {
    /// A host port (or range) forwarded to one container address.
    public struct HostPort: Codable, Hashable, Sendable {
        /// nil: every host address of `containerAddress`'s family.
        public var hostIP: IPAddress?
        public var hostPort: UInt16
        public var containerAddress: IPAddress
        public var containerPort: UInt16
        public var transport: PortMapping.TransportProtocol
        public var count: UInt16

        public var family: IPFamily { containerAddress.family }

        /// How errors and logs name it: `8080/tcp on 0.0.0.0`, `8000-8009/udp on 192.0.2.1`.
        public var hostDescription: String {
            let ports = count > 1 ? "\(hostPort)-\(Int(hostPort) + Int(count) - 1)" : "\(hostPort)"
            let address = hostIP.map(String.init(describing:)) ?? (family == .v4 ? "0.0.0.0" : "[::]")
            return "\(ports)/\(transport.rawValue) on \(address)"
        }
    }

    public var containerID: String
    public var ifName: String
    public var addresses: [IPAddress]
    public var hostPorts: [HostPort]
    /// The container's host-side veth and its MAC, for the MAC spoof check (nil when the network
    /// does not check, or for records written before it existed).
    public var hostInterface: String?
    public var mac: MACAddress?

    public var id: AttachmentID { AttachmentID(containerID: containerID, ifName: ifName) }

    public init(id: AttachmentID, addresses: [IPAddress], hostPorts: [HostPort], hostInterface: String? = nil, mac: MACAddress? = nil) {
        containerID = id.containerID
        ifName = id.ifName
        self.addresses = addresses
        self.hostPorts = hostPorts
        self.hostInterface = hostInterface
        self.mac = mac
    }

    /// Resolve the requested mappings against the container's addresses: a mapping with a host IP
    /// serves that family only; one without serves every family the container has.
    public init(id: AttachmentID, addresses: [IPAddress], mappings: [PortMapping], hostInterface: String? = nil, mac: MACAddress? = nil) throws {
        var hostPorts: [HostPort] = []
        for mapping in mappings {
            guard mapping.count >= 1, NetworkLimits.portRange(from: Int(mapping.hostPort), count: Int(mapping.count)),
                  NetworkLimits.portRange(from: Int(mapping.containerPort), count: Int(mapping.count)) else {
                throw PontoonError(.invalidConfiguration,
                                   "invalid port mapping \(mapping.hostPort) -> \(mapping.containerPort)/\(mapping.transport.rawValue): ports must be 1-65535")
            }
            let families = mapping.hostIP.map { [$0.family] } ?? IPFamily.allCases
            // 0.0.0.0 and :: mean every host address of that family.
            let hostIP = mapping.hostIP.flatMap { $0.bytes.allSatisfy { $0 == 0 } ? nil : $0 }
            var served = false
            for family in families {
                guard let target = addresses.first(where: { $0.family == family }) else { continue }
                served = true
                hostPorts.append(HostPort(hostIP: hostIP, hostPort: mapping.hostPort, containerAddress: target,
                                          containerPort: mapping.containerPort, transport: mapping.transport, count: mapping.count))
            }
            if !served {
                throw PontoonError(.invalidConfiguration,
                                   "port mapping \(mapping.hostPort)/\(mapping.transport.rawValue)\(mapping.hostIP.map { " on \($0)" } ?? ""): the container has no address of that family")
            }
        }
        self.init(id: id, addresses: addresses, hostPorts: hostPorts, hostInterface: hostInterface, mac: mac)
    }
}

/// The `none` driver: writes nothing (the operator manages the firewall).
public struct NoFirewall: Firewall {
    public var kind: FirewallKind { .none }
    public init() {}
    public func add(_ attachment: FirewallAttachment, network: FirewallNetwork, firstInNetwork: Bool) throws {}
    public func remove(_ attachment: FirewallAttachment, network: FirewallNetwork, lastInNetwork: Bool) throws {}
    public func check(_ attachment: FirewallAttachment, network: FirewallNetwork) throws {}
    public func reload(network: FirewallNetwork, attachments: [FirewallAttachment]) throws {}
    public func readiness() throws {}
}

// Read without `Decodable` (`WireDecodable`, on the plugin's hot path): each field as the
// synthesized `init(from:)` reads it, in the order of the `CodingKeys`.

extension FirewallNetwork: WireDecodable {
    public init(wire value: WireReader) throws {
        let object = try value.object()
        name = try object.decode(CodingKeys.name)
        bridge = try object.decode(CodingKeys.bridge)
        kind = try object.decode(CodingKeys.kind) { try $0.enumeration(FirewallKind.self) }
        subnets = try object.decode(CodingKeys.subnets) { try $0.array { try $0.address(IPNetwork.self) } }
        ipMasq = try object.decode(CodingKeys.ipMasq)
        isolationSetting = try object.decodeIfPresent(CodingKeys.isolationSetting) { try $0.enumeration(NetworkIsolation.self) }
        macSpoofCheckSetting = try object.decodeIfPresent(CodingKeys.macSpoofCheckSetting)
        dnsRedirect = try object.decodeIfPresent(CodingKeys.dnsRedirect)
    }
}

extension DNSRedirect: WireDecodable {
    public init(wire value: WireReader) throws {
        let object = try value.object()
        port = try object.decode(CodingKeys.port)
        addresses = try object.decode(CodingKeys.addresses) { try $0.array { try $0.address(IPAddress.self) } }
    }
}

extension FirewallAttachment: WireDecodable {
    public init(wire value: WireReader) throws {
        let object = try value.object()
        containerID = try object.decode(CodingKeys.containerID)
        ifName = try object.decode(CodingKeys.ifName)
        addresses = try object.decode(CodingKeys.addresses) { try $0.array { try $0.address(IPAddress.self) } }
        hostPorts = try object.decode(CodingKeys.hostPorts) { try $0.array(HostPort.self) }
        hostInterface = try object.decodeIfPresent(CodingKeys.hostInterface)
        mac = try object.decodeIfPresent(CodingKeys.mac) { try $0.address(MACAddress.self) }
    }
}

extension FirewallAttachment.HostPort: WireDecodable {
    public init(wire value: WireReader) throws {
        let object = try value.object()
        hostIP = try object.decodeIfPresent(CodingKeys.hostIP) { try $0.address(IPAddress.self) }
        hostPort = try object.decode(CodingKeys.hostPort)
        containerAddress = try object.decode(CodingKeys.containerAddress) { try $0.address(IPAddress.self) }
        containerPort = try object.decode(CodingKeys.containerPort)
        transport = try object.decode(CodingKeys.transport) { try $0.enumeration(PortMapping.TransportProtocol.self) }
        count = try object.decode(CodingKeys.count)
    }
}
