import CNetlink
import Glibc
import NetAddress
@testable import Netlink
import Testing

/// The one RTM_NEWLINK that makes a container's macvlan or ipvlan link. Pure: no socket, no root.
@Suite("Netlink encoding: macvlan and ipvlan")
struct LinkedEncodingTests {
    func attributes(_ kind: LinkedKind, mtu: Int? = nil, mac: MACAddress? = nil) -> Attributes {
        let bytes = Request.bytes(type: Int32(RTM_NEWLINK), flags: NLM_F_CREATE | NLM_F_EXCL,
                                  build: RouteSocket.linkedCreation(kind, name: "eth0", parentIndex: 4, namespaceFD: 11, mtu: mtu, mac: mac))
        return NetlinkMessage.split(bytes)[0].attributes(after: Link.headerSize)
    }

    @Test("the final name, the parent as IFLA_LINK, the container's namespace fd, MTU and MAC at the top level",
          arguments: [LinkedKind.macvlan(.bridge), .ipvlan(.l2)])
    func topLevel(_ kind: LinkedKind) {
        let mac = MACAddress("52:54:00:12:34:56")!
        let top = attributes(kind, mtu: 1400, mac: mac)
        #expect(top.string(IFLA_IFNAME) == "eth0")
        #expect(top.u32(IFLA_LINK) == 4)
        #expect(top.u32(IFLA_NET_NS_FD) == 11)
        #expect(top.u32(IFLA_MTU) == 1400)
        #expect(top.payload(IFLA_ADDRESS) == mac.bytes)
        let none = attributes(kind)
        #expect(none.payload(IFLA_MTU) == nil && none.payload(IFLA_ADDRESS) == nil)
    }

    @Test("macvlan's mode is a u32 of MACVLAN_MODE_*", arguments: MacvlanMode.allCases)
    func macvlanMode(_ mode: MacvlanMode) throws {
        let info = try #require(attributes(.macvlan(mode)).nested(IFLA_LINKINFO))
        #expect(info.string(IFLA_INFO_KIND) == "macvlan")
        let data = try #require(info.nested(IFLA_INFO_DATA))
        #expect(data.payload(IFLA_MACVLAN_MODE)?.count == 4)
        #expect(data.u32(IFLA_MACVLAN_MODE) == mode.rawValue)
        #expect([MACVLAN_MODE_PRIVATE, MACVLAN_MODE_VEPA, MACVLAN_MODE_BRIDGE, MACVLAN_MODE_PASSTHRU, MACVLAN_MODE_SOURCE].map { $0.rawValue }.contains(mode.rawValue))
    }

    @Test("ipvlan's mode is a u16 of IPVLAN_MODE_*", arguments: IpvlanMode.allCases)
    func ipvlanMode(_ mode: IpvlanMode) throws {
        let info = try #require(attributes(.ipvlan(mode)).nested(IFLA_LINKINFO))
        #expect(info.string(IFLA_INFO_KIND) == "ipvlan")
        let data = try #require(info.nested(IFLA_INFO_DATA))
        #expect(data.payload(IFLA_IPVLAN_MODE)?.count == 2)
        #expect(data.u16(IFLA_IPVLAN_MODE) == mode.rawValue)
        #expect([IPVLAN_MODE_L2, IPVLAN_MODE_L3, IPVLAN_MODE_L3S].map { UInt16($0.rawValue) }.contains(mode.rawValue))
    }
}
