/// The attributes of a netlink message or nest (type-length-value, 4-byte aligned), copied out of
/// the receive buffer so they outlive it. Pure parsing: unit-testable without a kernel.
public struct Attributes: Sendable {
    public private(set) var entries: [(type: UInt16, payload: [UInt8])] = []

    /// The nest bit and the byte-order bit are flags, not part of the type.
    static let typeMask: UInt16 = 0x3fff

    public init(_ bytes: some Collection<UInt8>) {
        let bytes = Array(bytes)
        var offset = 0
        while offset + 4 <= bytes.count {
            let length = Int(bytes.loadLittleEndianU16(at: offset))
            let type = bytes.loadLittleEndianU16(at: offset + 2) & Self.typeMask
            guard length >= 4, offset + length <= bytes.count else { break }
            entries.append((type, Array(bytes[(offset + 4)..<(offset + length)])))
            offset += (length + 3) & ~3
        }
    }

    public func payload(_ type: some BinaryInteger) -> [UInt8]? {
        let wanted = UInt16(truncatingIfNeeded: type)
        return entries.first { $0.type == wanted }?.payload
    }

    /// Every payload of a repeated attribute, in order.
    public func payloads(_ type: some BinaryInteger) -> [[UInt8]] {
        let wanted = UInt16(truncatingIfNeeded: type)
        return entries.filter { $0.type == wanted }.map(\.payload)
    }

    public func u8(_ type: some BinaryInteger) -> UInt8? { payload(type).flatMap { $0.first } }

    public func u16(_ type: some BinaryInteger) -> UInt16? {
        guard let bytes = payload(type), bytes.count >= 2 else { return nil }
        return bytes.loadLittleEndianU16(at: 0)
    }

    public func u32(_ type: some BinaryInteger) -> UInt32? {
        guard let bytes = payload(type), bytes.count >= 4 else { return nil }
        return bytes.loadLittleEndianU32(at: 0)
    }

    public func i32(_ type: some BinaryInteger) -> Int32? { u32(type).map { Int32(bitPattern: $0) } }

    /// A NUL-terminated string attribute.
    public func string(_ type: some BinaryInteger) -> String? {
        payload(type).map { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    public func nested(_ type: some BinaryInteger) -> Attributes? { payload(type).map(Attributes.init) }
}

extension Array where Element == UInt8 {
    // Netlink headers and attributes are in host byte order; Pontoon targets little-endian Linux.
    func loadLittleEndianU16(at offset: Int) -> UInt16 {
        UInt16(self[offset]) | UInt16(self[offset + 1]) << 8
    }

    func loadLittleEndianU32(at offset: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 | UInt32(self[offset + $1]) << (8 * UInt32($1)) }
    }

    func loadLittleEndianU64(at offset: Int) -> UInt64 {
        (0..<8).reduce(0) { $0 | UInt64(self[offset + $1]) << (8 * UInt64($1)) }
    }
}

/// One received netlink message: its header fields and the bytes after the header.
public struct NetlinkMessage: Sendable {
    public var type: UInt16
    public var flags: UInt16
    public var sequence: UInt32
    public var body: [UInt8]

    static let headerLength = 16

    /// Split a datagram into messages.
    static func split(_ bytes: [UInt8]) -> [NetlinkMessage] {
        var messages: [NetlinkMessage] = []
        var offset = 0
        while offset + headerLength <= bytes.count {
            let length = Int(bytes.loadLittleEndianU32(at: offset))
            guard length >= headerLength, offset + length <= bytes.count else { break }
            messages.append(NetlinkMessage(type: bytes.loadLittleEndianU16(at: offset + 4),
                                           flags: bytes.loadLittleEndianU16(at: offset + 6),
                                           sequence: bytes.loadLittleEndianU32(at: offset + 8),
                                           body: Array(bytes[(offset + headerLength)..<(offset + length)])))
            offset += (length + 3) & ~3
        }
        return messages
    }

    /// The attributes following a fixed family header of `headerSize` bytes (ifinfomsg, ifaddrmsg…).
    func attributes(after headerSize: Int) -> Attributes {
        Attributes(body.dropFirst((headerSize + 3) & ~3))
    }
}
