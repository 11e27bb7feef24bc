/// An address with a prefix length, as CNI writes them (`10.88.0.5/16`): the address part is kept
/// as given, so one value can be both "this interface's address" and, via `masked`, "its subnet".
public struct IPNetwork: Hashable, Sendable {
    public var address: IPAddress
    public var prefixLength: Int

    public init?(address: IPAddress, prefixLength: Int) {
        guard (0...address.family.bitWidth).contains(prefixLength) else { return nil }
        self.address = address
        self.prefixLength = prefixLength
    }

    public var family: IPFamily { address.family }

    /// `0.0.0.0/0` or `::/0`: the destination of a default route.
    public static func everything(_ family: IPFamily) -> IPNetwork {
        IPNetwork(address: family == .v4 ? IPAddress("0.0.0.0")! : IPAddress("::")!, prefixLength: 0)!
    }

    /// The network address: host bits cleared.
    public var network: IPAddress { apply { $0 & $1 } }

    /// The subnet this address belongs to (`10.88.0.5/16` → `10.88.0.0/16`).
    public var masked: IPNetwork { IPNetwork(address: network, prefixLength: prefixLength)! }

    /// The highest address of the subnet (the IPv4 broadcast address).
    public var lastAddress: IPAddress { apply { $0 | ~$1 } }

    /// Whether the address part has no host bits set.
    public var isNetworkAddress: Bool { address == network }

    public func contains(_ other: IPAddress) -> Bool {
        guard other.family == family else { return false }
        return masked.address == IPNetwork(address: other, prefixLength: prefixLength)!.network
    }

    public func overlaps(_ other: IPNetwork) -> Bool {
        contains(other.network) || other.contains(network)
    }

    /// Number of host bits (`32 - prefix` or `128 - prefix`).
    public var hostBits: Int { family.bitWidth - prefixLength }

    /// Combines the address with the prefix mask, word by word.
    private func apply(_ combine: (UInt64, UInt64) -> UInt64) -> IPAddress {
        switch address {
        case .v4(let a):
            let mask: UInt64 = prefixLength == 0 ? 0 : (UInt64(UInt32.max) << UInt64(32 - prefixLength)) & UInt64(UInt32.max)
            let value = combine(UInt64(a.value), mask) & UInt64(UInt32.max)
            return .v4(IPv4Address(UInt32(value)))
        case .v6(let a):
            func mask(bits: Int) -> UInt64 {
                bits <= 0 ? 0 : bits >= 64 ? .max : UInt64.max << UInt64(64 - bits)
            }
            return .v6(IPv6Address(high: combine(a.high, mask(bits: prefixLength)),
                                   low: combine(a.low, mask(bits: prefixLength - 64))))
        }
    }
}

extension IPNetwork: LosslessStringConvertible {
    /// `address/prefix`; the prefix is required and decimal without sign.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPAddress(String(parts[0])),
              !parts[1].isEmpty, parts[1].count <= 3, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }),
              let prefix = Int(parts[1]) else { return nil }
        self.init(address: address, prefixLength: prefix)
    }

    public var description: String { "\(address)/\(prefixLength)" }
}
