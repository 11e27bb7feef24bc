/// nftables objects as Pontoon writes them, in the kernel's terms. Encoded by libnftnl
/// (`NftEncoding.swift`), sent in one atomic transaction by `NetfilterSocket.apply`.

/// The address family a table serves (`inet` covers IPv4 and IPv6, with NAT since Linux 5.2).
public enum NftFamily: UInt16, Sendable {
    case inet = 1   // NFPROTO_INET
    case ipv4 = 2   // NFPROTO_IPV4
    case bridge = 7 // NFPROTO_BRIDGE: frames crossing a bridge, before any IP processing
    case ipv6 = 10  // NFPROTO_IPV6
}

public struct NftTable: Sendable {
    public var family: NftFamily
    public var name: String

    public init(family: NftFamily, name: String) {
        // A table command without a name acts on every table (DELTABLE flushes them all).
        precondition(!name.isEmpty, "an nftables table always has a name")
        self.family = family
        self.name = name
    }
}

public struct NftChain: Sendable {
    /// A base chain's hook (netfilter hook number), chain type and priority.
    public struct Hook: Sendable {
        public enum Point: UInt32, Sendable { case prerouting = 0, input = 1, forward = 2, output = 3, postrouting = 4 }
        public var point: Point
        public var type: String  // "filter" or "nat"
        public var priority: Int32

        public init(_ point: Point, type: String, priority: Int32) {
            self.point = point
            self.type = type
            self.priority = priority
        }
    }

    public var name: String
    public var hook: Hook?

    public init(_ name: String, hook: Hook? = nil) {
        precondition(!name.isEmpty, "an nftables chain always has a name")
        self.name = name
        self.hook = hook
    }
}

/// A named set or map. Keys and data are raw bytes, each field of a concatenation padded to 4.
public struct NftSet: Sendable {
    public var name: String
    /// nft's datatype numbers, so `nft list` shows the elements readably (the kernel ignores them).
    public var keyType: UInt32
    public var keyLength: UInt32
    /// For maps: the data's datatype (verdict maps: `NftSet.verdictType`) and length.
    public var dataType: UInt32?
    public var dataLength: UInt32?
    public var interval: Bool

    public static let verdictType: UInt32 = 0xffffff00  // NFT_DATA_VERDICT

    public init(_ name: String, keyType: UInt32, keyLength: UInt32, dataType: UInt32? = nil, dataLength: UInt32? = nil,
                interval: Bool = false) {
        precondition(!name.isEmpty, "an nftables set always has a name")
        self.name = name
        self.keyType = keyType
        self.keyLength = keyLength
        self.dataType = dataType
        self.dataLength = dataLength
        self.interval = interval
    }

    /// nft's byte order of a value, as it records it in a set's userdata.
    public enum ByteOrder: UInt32, Sendable {
        /// Concatenations and verdicts: each part carries its own.
        case unspecified = 0
        /// Strings such as interface names (nft reverses a value of this order to print it).
        case host = 1
        /// Network byte order: addresses, ports, protocol numbers.
        case network = 2
    }

    public var keyByteOrder: ByteOrder { DataType.byteOrder(keyType) }
    public var dataByteOrder: ByteOrder { dataType.map(DataType.byteOrder) ?? .unspecified }

    /// nft's datatype numbers and its rule for concatenations (6 bits per field).
    public enum DataType {
        public static let ipv4Address: UInt32 = 7, ipv6Address: UInt32 = 8, etherAddress: UInt32 = 9,
                          inetProtocol: UInt32 = 12, inetService: UInt32 = 13, interfaceName: UInt32 = 41
        public static func concatenation(_ types: UInt32...) -> UInt32 { types.reduce(0) { $0 << 6 | $1 } }

        /// The byte order nft gives a datatype (a concatenation, above 6 bits, or a verdict: none).
        public static func byteOrder(_ type: UInt32) -> ByteOrder {
            switch type {
            case interfaceName: .host
            case ipv4Address, ipv6Address, inetService, etherAddress: .network
            default: .unspecified
            }
        }
    }
}

/// One element of a set or map.
public struct NftElement: Sendable {
    public enum Value: Sendable {
        case none
        case data([UInt8])
        case jump(String)
    }

    public var key: [UInt8]
    public var value: Value
    /// Interval sets: the end marker (first key past the range) is an element of its own.
    public var intervalEnd: Bool
    /// Stored as the element's comment (userdata): the attachment it belongs to.
    public var comment: String?

    public init(key: [UInt8], value: Value = .none, intervalEnd: Bool = false, comment: String? = nil) {
        self.key = key
        self.value = value
        self.intervalEnd = intervalEnd
        self.comment = comment
    }
}

/// A rule: expressions evaluated in order over the kernel's registers.
public struct NftRule: Sendable {
    public var chain: String
    public var expressions: [NftExpression]

    public init(chain: String, _ expressions: [NftExpression]) {
        self.chain = chain
        self.expressions = expressions
    }
}

/// The expressions Pontoon's rules use. Registers are the kernel's 32-bit ones (NFT_REG32_00 = 8
/// onwards); a value longer than 4 bytes spans the following registers.
public enum NftExpression: Sendable {
    public enum PayloadBase: UInt32, Sendable { case link = 0, network = 1, transport = 2 }
    public enum CompareOperator: UInt32, Sendable { case equal = 0, notEqual = 1 }

    /// `iifname`/`oifname`: the interface's name, 16 bytes (IFNAMSIZ) zero-padded.
    public enum MetaKey: Sendable { case nfproto, l4proto, inputInterfaceName, outputInterfaceName }
    public enum ConntrackKey: Sendable { case state, status }

    /// `meta nfproto`, `meta l4proto` into a register.
    case meta(key: MetaKey, register: UInt32)
    case payload(base: PayloadBase, offset: UInt32, length: UInt32, register: UInt32)
    case compare(register: UInt32, CompareOperator, [UInt8])
    /// register = (register & mask) ^ 0.
    case mask(register: UInt32, [UInt8])
    /// Look the register(s) up in a named set; a map writes its data into `into`.
    case lookup(set: String, register: UInt32, into: UInt32?, inverted: Bool)
    /// Conntrack state or status into a register.
    case conntrack(key: ConntrackKey, register: UInt32)
    /// The routing type of the destination address (RTN_*) into a register.
    case destinationAddressType(register: UInt32)
    case destinationNAT(family: NftFamily, addressRegister: UInt32, portRegister: UInt32)
    case masquerade
    case accept
    case drop
    case `return`
    case jump(String)

    public static let register0: UInt32 = 8  // NFT_REG32_00
    public static func register(_ index: UInt32) -> UInt32 { 8 + index }

    /// An interface name as `meta iifname`/`oifname` loads it and sets of interface names key it.
    public static func interfaceName(_ name: String) -> [UInt8] {
        let bytes = Array(name.utf8.prefix(15))
        return bytes + [UInt8](repeating: 0, count: 16 - bytes.count)
    }
}
