import CNetlink
import NetAddress

/// A network interface as rtnetlink describes it (RTM_NEWLINK).
public struct Link: Sendable, Equatable {
    public var index: Int32
    public var name: String
    /// `IFLA_INFO_KIND`: "bridge", "veth", …; nil for devices without one (lo, physical NICs).
    public var kind: String?
    public var mac: MACAddress?
    public var mtu: Int
    public var flags: UInt32
    public var operationalState: UInt8?
    /// The bridge (or bond) this interface is enslaved to.
    public var masterIndex: Int32?
    /// `IFLA_LINK`: for a veth, its peer's index (in the peer's namespace).
    public var peerIndex: Int32?
    /// `IFLA_LINK_NETNSID`: set when the peer lives in another namespace.
    public var peerNamespaceID: Int32?
    public var promiscuity: UInt32
    /// Bridge settings, for bridges.
    public var bridge: BridgeSettings?
    /// Bridge-port settings, for interfaces enslaved to a bridge.
    public var port: BridgePortSettings?
    /// For a macvlan: its mode (the kernel applies macvlan rules per mode on the real parent).
    public var macvlanMode: MacvlanMode?
    public var statistics: LinkStatistics?

    public var isUp: Bool { flags & LinkFlags.up != 0 }
    public var operState: LinkOperState { operationalState.flatMap(LinkOperState.init(rawValue:)) ?? .unknown }
    public var isPromiscuous: Bool { flags & LinkFlags.promiscuous != 0 }
}

/// RFC 2863 operational state (`IF_OPER_*`), what `ip link` prints as `state`.
public enum LinkOperState: UInt8, Sendable {
    case unknown = 0, notPresent, down, lowerLayerDown, testing, dormant, up
}

public struct BridgeSettings: Sendable, Equatable {
    public var vlanFiltering: Bool
}

public struct BridgePortSettings: Sendable, Equatable {
    /// Hairpin mode: frames may leave through the port they came in (a container reaching itself).
    public var hairpin: Bool
    /// An isolated port talks only to non-isolated ports.
    public var isolated: Bool
    public var learning: Bool
}

/// `rtnl_link_stats64`, the counters `ip -s link` shows.
public struct LinkStatistics: Sendable, Equatable {
    public var receivedPackets: UInt64
    public var transmittedPackets: UInt64
    public var receivedBytes: UInt64
    public var transmittedBytes: UInt64
    public var receiveErrors: UInt64
    public var transmitErrors: UInt64
    public var receiveDropped: UInt64
    public var transmitDropped: UInt64

    init?(_ bytes: [UInt8]) {
        guard bytes.count >= 64 else { return nil }
        receivedPackets = bytes.loadLittleEndianU64(at: 0)
        transmittedPackets = bytes.loadLittleEndianU64(at: 8)
        receivedBytes = bytes.loadLittleEndianU64(at: 16)
        transmittedBytes = bytes.loadLittleEndianU64(at: 24)
        receiveErrors = bytes.loadLittleEndianU64(at: 32)
        transmitErrors = bytes.loadLittleEndianU64(at: 40)
        receiveDropped = bytes.loadLittleEndianU64(at: 48)
        transmitDropped = bytes.loadLittleEndianU64(at: 56)
    }
}

/// Interface flags (`IFF_*` from <linux/if.h>, which cannot be imported next to glibc's <net/if.h>).
enum LinkFlags {
    static let up: UInt32 = 0x1
    static let promiscuous: UInt32 = 0x100
}

extension Link {
    static let headerSize = MemoryLayout<ifinfomsg>.size

    /// Decode an RTM_NEWLINK message; nil when it is something else.
    init?(_ message: NetlinkMessage) {
        guard Int32(message.type) == Int32(RTM_NEWLINK), message.body.count >= Self.headerSize else { return nil }
        let body = message.body
        index = Int32(bitPattern: body.loadLittleEndianU32(at: 4))
        flags = body.loadLittleEndianU32(at: 8)
        let attributes = message.attributes(after: Self.headerSize)
        name = attributes.string(IFLA_IFNAME) ?? ""
        mac = attributes.payload(IFLA_ADDRESS).flatMap(MACAddress.init(bytes:))
        mtu = Int(attributes.u32(IFLA_MTU) ?? 0)
        operationalState = attributes.u8(IFLA_OPERSTATE)
        masterIndex = attributes.i32(IFLA_MASTER).flatMap { $0 == 0 ? nil : $0 }
        peerIndex = attributes.i32(IFLA_LINK).flatMap { $0 == 0 ? nil : $0 }
        peerNamespaceID = attributes.i32(IFLA_LINK_NETNSID)
        promiscuity = attributes.u32(IFLA_PROMISCUITY) ?? 0
        statistics = attributes.payload(IFLA_STATS64).flatMap(LinkStatistics.init)
        let info = attributes.nested(IFLA_LINKINFO)
        kind = info?.string(IFLA_INFO_KIND)
        if kind == "bridge", let data = info?.nested(IFLA_INFO_DATA) {
            bridge = BridgeSettings(vlanFiltering: (data.u8(IFLA_BR_VLAN_FILTERING) ?? 0) != 0)
        }
        if kind == "macvlan", let data = info?.nested(IFLA_INFO_DATA) {
            macvlanMode = data.u32(IFLA_MACVLAN_MODE).flatMap(MacvlanMode.init(rawValue:))
        }
        if info?.string(IFLA_INFO_SLAVE_KIND) == "bridge", let data = info?.nested(IFLA_INFO_SLAVE_DATA) {
            port = BridgePortSettings(hairpin: (data.u8(IFLA_BRPORT_MODE) ?? 0) != 0,
                                      isolated: (data.u8(IFLA_BRPORT_ISOLATED) ?? 0) != 0,
                                      learning: (data.u8(IFLA_BRPORT_LEARNING) ?? 0) != 0)
        }
    }
}
