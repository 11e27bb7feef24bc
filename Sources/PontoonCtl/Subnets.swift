import NetAddress

/// Picking a network's subnet and bridge name: never one that overlaps a subnet in use (another
/// network's, or a route of the current namespace). Pure: callers pass what is in use.
public enum SubnetPicker {
    /// podman's pool: 10.89.0.0/24, 10.89.1.0/24, … 10.255.255.0/24.
    public static func freeIPv4(avoiding used: [IPNetwork]) throws(CtlError) -> IPNetwork {
        for second in 89...255 {
            for third in 0...255 {
                let candidate = IPNetwork(address: .v4(IPv4Address(UInt32(10 << 24 | second << 16 | third << 8))), prefixLength: 24)!
                if !used.contains(where: { $0.overlaps(candidate) }) { return candidate }
            }
        }
        throw CtlError(.conflict, "no free IPv4 subnet left in 10.89.0.0-10.255.255.0/24")
    }

    /// A unique local /64 (fd00::/8 with a random global id), as podman picks one.
    public static func freeIPv6(avoiding used: [IPNetwork],
                                random: () -> UInt64 = { UInt64.random(in: 0...UInt64.max) }) throws(CtlError) -> IPNetwork {
        for _ in 0..<64 {
            // fdXX:XXXX:XXXX:SSSS::/64: 40 random bits of global id, subnet id 0.
            let high = (UInt64(0xfd) << 56) | ((random() & 0xff_ffff_ffff) << 16)
            let candidate = IPNetwork(address: .v6(IPv6Address(high: high, low: 0)), prefixLength: 64)!
            if !used.contains(where: { $0.overlaps(candidate) }) { return candidate }
        }
        throw CtlError(.conflict, "no free IPv6 subnet found in fd00::/8")
    }

    /// The first address after the network address: the gateway podman gives a subnet.
    public static func firstHost(_ subnet: IPNetwork) -> IPAddress? {
        subnet.network.next.flatMap { subnet.contains($0) && $0 != subnet.lastAddress ? $0 : nil }
    }

    /// `pontoonN` with the lowest N not used by a network or a link.
    public static func freeBridgeName(avoiding used: Set<String>) -> String {
        var index = 0
        while used.contains("pontoon\(index)") { index += 1 }
        return "pontoon\(index)"
    }
}
