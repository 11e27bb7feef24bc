/// A 48-bit Ethernet address, printed lowercase with colons as `ip link` and the reference plugins do.
public struct MACAddress: Hashable, Sendable {
    public var bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 6 else { return nil }
        self.bytes = bytes
    }

    /// Locally administered (bit 1 of the first octet set): what generated addresses must be.
    public var isLocallyAdministered: Bool { bytes[0] & 0x02 != 0 }
    /// Multicast (bit 0 of the first octet): never valid for an interface.
    public var isMulticast: Bool { bytes[0] & 0x01 != 0 }
    public var isZero: Bool { bytes.allSatisfy { $0 == 0 } }

    /// A random unicast, locally administered address, as the kernel makes them for new devices.
    public static func randomLocal() -> MACAddress {
        // One 64-bit draw (one getrandom call) for all six octets, not one per octet.
        let random = UInt64.random(in: .min ... .max)
        var bytes = (0..<6).map { UInt8(truncatingIfNeeded: random >> ($0 * 8)) }
        bytes[0] = (bytes[0] & 0xfe) | 0x02
        return MACAddress(bytes: bytes)!
    }
}

extension MACAddress: LosslessStringConvertible {
    /// Six two-digit hex octets separated by `:` or `-`.
    public init?(_ text: String) {
        let separator: Character = text.contains("-") ? "-" : ":"
        let parts = text.split(separator: separator, omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard part.count == 2, part.allSatisfy(\.isHexDigit), let byte = UInt8(part, radix: 16) else { return nil }
            bytes.append(byte)
        }
        self.bytes = bytes
    }

    /// Lower-case hex pairs and colons, spelled out byte by byte: mapping to strings and joining
    /// them runs unspecialized generics whose first use in a process costs 0.1 M instructions.
    public var description: String {
        let digits: StaticString = "0123456789abcdef"
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 3)
        for byte in bytes {
            if !text.isEmpty { text.append(UInt8(ascii: ":")) }
            text.append(digits.utf8Start[Int(byte >> 4)])
            text.append(digits.utf8Start[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
