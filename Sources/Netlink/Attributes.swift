/// The attributes of a netlink message or nest (type-length-value, 4-byte aligned), copied out of
/// the receive buffer so they outlive it. Pure parsing: unit-testable without a kernel.
public struct Attributes: Sendable {
    /// One copy of the attributes' bytes; each entry says where its payload lies in it. A link
    /// carries ~50 attributes and an ADD reads ~5 links: a copy per payload was ~1,000 arrays made
    /// and freed per ADD, for the handful of attributes anyone reads (copied when read).
    private let bytes: [UInt8]
    public private(set) var entries: [(type: UInt16, payload: Range<Int>)] = []

    /// The nest bit and the byte-order bit are flags, not part of the type.
    static let typeMask: UInt16 = 0x3fff

    public init(_ bytes: some Collection<UInt8>) {
        let bytes = Array(bytes)
        // Counted first, then filled: grown by appending, the list was reallocated ~6 times for a
        // link's ~50 attributes (65 reallocations an ADD).
        var count = 0
        Self.walk(bytes) { _, _ in count += 1 }
        var entries: [(type: UInt16, payload: Range<Int>)] = []
        entries.reserveCapacity(count)
        Self.walk(bytes) { type, payload in entries.append((type, payload)) }
        self.entries = entries
        self.bytes = bytes
    }

    /// Each well-formed attribute's type and payload, in order, up to the first malformed one.
    private static func walk(_ bytes: [UInt8], _ body: (UInt16, Range<Int>) -> Void) {
        var offset = 0
        while offset + 4 <= bytes.count {
            let length = Int(bytes.loadLittleEndianU16(at: offset))
            let type = bytes.loadLittleEndianU16(at: offset + 2) & Self.typeMask
            guard length >= 4, offset + length <= bytes.count else { break }
            body(type, (offset + 4)..<(offset + length))
            offset += (length + 3) & ~3
        }
    }

    /// Where the first attribute of `type` lies.
    private func range(_ type: some BinaryInteger) -> Range<Int>? {
        let wanted = UInt16(truncatingIfNeeded: type)
        return entries.first { $0.type == wanted }?.payload
    }

    public func payload(_ type: some BinaryInteger) -> [UInt8]? {
        range(type).map { Array(bytes[$0]) }
    }

    /// Every payload of a repeated attribute, in order.
    public func payloads(_ type: some BinaryInteger) -> [[UInt8]] {
        let wanted = UInt16(truncatingIfNeeded: type)
        return entries.filter { $0.type == wanted }.map { Array(bytes[$0.payload]) }
    }

    public func u8(_ type: some BinaryInteger) -> UInt8? {
        guard let range = range(type), !range.isEmpty else { return nil }
        return bytes[range.lowerBound]
    }

    public func u16(_ type: some BinaryInteger) -> UInt16? {
        guard let range = range(type), range.count >= 2 else { return nil }
        return bytes.loadLittleEndianU16(at: range.lowerBound)
    }

    public func u32(_ type: some BinaryInteger) -> UInt32? {
        guard let range = range(type), range.count >= 4 else { return nil }
        return bytes.loadLittleEndianU32(at: range.lowerBound)
    }

    public func i32(_ type: some BinaryInteger) -> Int32? { u32(type).map { Int32(bitPattern: $0) } }

    /// A NUL-terminated string attribute.
    public func string(_ type: some BinaryInteger) -> String? {
        range(type).map { String(decoding: bytes[$0].prefix { $0 != 0 }, as: UTF8.self) }
    }

    public func nested(_ type: some BinaryInteger) -> Attributes? { range(type).map { Attributes(bytes[$0]) } }
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
