// Addresses travel in JSON as their text form everywhere (CNI, netavark, Pontoon's own records).

/// Shared by every text-coded address type: decode from a string, reject with a message naming the value.
public protocol TextCodable: Codable, LosslessStringConvertible {
    static var kindName: String { get }
}

extension TextCodable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Self(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "invalid \(Self.kindName) \"\(text)\"")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension IPAddress: TextCodable { public static var kindName: String { "IP address" } }
extension IPNetwork: TextCodable { public static var kindName: String { "CIDR address" } }
extension MACAddress: TextCodable { public static var kindName: String { "MAC address" } }
