import NetAddress
import Netlink

/// An attachment's host-port elements in the `hostports` maps (see `PontoonTable`).
extension PontoonTable {
    static func hostPortMap(_ port: FirewallAttachment.HostPort) -> String {
        "hostports\(port.family.versionString)\(port.hostIP == nil ? "_any" : "")"
    }

    /// The elements of one mapping (one per port of a range); `withData` for additions.
    static func elements(_ port: FirewallAttachment.HostPort, comment: String?) -> [NftElement] {
        (0..<UInt16(port.count)).map { offset in
            var key: [UInt8] = []
            if let hostIP = port.hostIP { key += hostIP.bytes }
            key += padded([protocolNumber(port.transport)])
            key += padded(be16(port.hostPort + offset))
            let data = port.containerAddress.bytes + padded(be16(port.containerPort + offset))
            return NftElement(key: key, value: .data(data), comment: comment)
        }
    }

    static func protocolNumber(_ transport: PortMapping.TransportProtocol) -> UInt8 {
        switch transport { case .tcp: 6; case .udp: 17; case .sctp: 132 }
    }

    // MARK: Expression helpers

    static let verdictRegister: UInt32 = 0 // NFT_REG_VERDICT
    static func r(_ index: UInt32) -> UInt32 { NftExpression.register(index) }

    /// `meta nfproto ipv4|ipv6`: rules in an inet table see both families.
    static func nfproto(_ family: IPFamily) -> [NftExpression] {
        [.meta(key: .nfproto, register: r(0)), .compare(register: r(0), .equal, [family == .v4 ? 2 : 10])]
    }

    /// `ct status dnat`.
    static func dnatted() -> [NftExpression] {
        [.conntrack(key: .status, register: r(0)),
         .mask(register: r(0), le32(0x20)), // IPS_DST_NAT
         .compare(register: r(0), .notEqual, le32(0))]
    }

    /// Load the packet's source or destination address into r0 (and the registers after it).
    static func address(_ family: IPFamily, source: Bool) -> NftExpression {
        family == .v4
            ? .payload(base: .network, offset: source ? 12 : 16, length: 4, register: r(0))
            : .payload(base: .network, offset: source ? 8 : 24, length: 16, register: r(0))
    }

    /// `ip saddr|daddr <subnet>`.
    static func inSubnet(_ subnet: IPNetwork, source: Bool) -> [NftExpression] {
        let width = subnet.family.bitWidth / 8
        var mask = [UInt8](repeating: 0, count: width)
        for bit in 0..<subnet.prefixLength { mask[bit / 8] |= 0x80 >> UInt8(bit % 8) }
        return [address(subnet.family, source: source), .mask(register: r(0), mask),
                .compare(register: r(0), .equal, subnet.network.bytes)]
    }

    static func le32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
    static func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xff)] }
    /// Concatenation fields occupy whole 32-bit registers.
    static func padded(_ bytes: [UInt8]) -> [UInt8] { bytes + [UInt8](repeating: 0, count: (4 - bytes.count % 4) % 4) }
}
