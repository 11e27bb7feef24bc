import CNetlink
import Glibc
import NetAddress
@testable import Netlink
import Testing

/// Decoding what the kernel really sends (recorded byte for byte, see `Recorded`), plus the error
/// and ACK messages. Pure: no socket, no root.
@Suite("Kernel messages")
struct KernelMessageTests {
    @Test("a recorded RTM_NEWLINK of an enslaved veth decodes completely")
    func recordedPortLink() throws {
        let message = NetlinkMessage(type: UInt16(RTM_NEWLINK), flags: 0, sequence: 1, body: Recorded.portLink)
        let link = try #require(Link(message))
        #expect(link.index == 4 && link.name == "nlveth0" && link.kind == "veth")
        #expect(link.mac == MACAddress("02:42:00:00:00:01") && link.mtu == 1400)
        #expect(link.isUp && link.operState == .up)
        #expect(link.isPromiscuous == false && link.promiscuity == 1)  // a bridge port counts, without IFF_PROMISC
        #expect(link.masterIndex == 3 && link.peerIndex == 2 && link.peerNamespaceID == 0)
        #expect(link.port == BridgePortSettings(hairpin: true, isolated: true, learning: false))
        #expect(link.bridge == nil)
        let statistics = try #require(link.statistics)
        #expect(statistics.receivedPackets == 12 && statistics.transmittedPackets == 11)
        #expect(statistics.receivedBytes == 1040 && statistics.transmittedBytes == 966)
        #expect(statistics.receiveErrors == 0 && statistics.transmitDropped == 0)
    }

    @Test("a recorded RTM_NEWADDR of an IPv6 address added without DAD")
    func recordedAddress() throws {
        let message = NetlinkMessage(type: UInt16(RTM_NEWADDR), flags: 0, sequence: 1, body: Recorded.containerAddress6)
        let address = try #require(InterfaceAddress(message))
        #expect(address.address == IPNetwork("fd99::2/64"))
        #expect(address.index == 2 && address.scope == 0)
        #expect(address.flags & UInt32(IFA_F_NODAD) != 0 && address.flags & UInt32(IFA_F_PERMANENT) != 0)
        #expect(!address.isTentative)
    }

    @Test("a recorded RTM_NEWROUTE of a default route through a gateway")
    func recordedRoute() throws {
        let message = NetlinkMessage(type: UInt16(RTM_NEWROUTE), flags: 0, sequence: 1, body: Recorded.defaultRoute4)
        let route = try #require(RouteSocket.routeEntry(message, family: .v4))
        #expect(route.destination == IPNetwork("0.0.0.0/0") && route.gateway == IPAddress("10.99.0.1"))
        #expect(route.outputIndex == 2 && route.table == RouteTable.main && route.scope == RouteScope.universe)
        #expect(route.routingProtocol == UInt8(RTPROT_BOOT) && route.type == UInt8(RTN_UNICAST))
        #expect(route.priority == nil && route.mtu == nil)
        #expect(RouteSocket.routeEntry(message, family: .v6) == nil)
    }

    @Test("an address message of another kind or truncated decodes to nothing")
    func foreignMessages() {
        #expect(InterfaceAddress(NetlinkMessage(type: UInt16(RTM_NEWLINK), flags: 0, sequence: 1, body: Recorded.containerAddress6)) == nil)
        #expect(InterfaceAddress(NetlinkMessage(type: UInt16(RTM_NEWADDR), flags: 0, sequence: 1, body: [10, 64])) == nil)
        #expect(Link(NetlinkMessage(type: UInt16(RTM_NEWLINK), flags: 0, sequence: 1, body: Array(Recorded.portLink.prefix(8)))) == nil)
    }

    /// An NLMSG_ERROR as the kernel builds it: error code, the request's header (plus its payload
    /// when not capped), then NLMSGERR_ATTR_MSG.
    func errorMessage(code: Int32, capped: Bool, text: String?) -> NetlinkMessage {
        var body = withUnsafeBytes(of: code.littleEndian, Array.init)
        let requestPayload: [UInt8] = capped ? [] : [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
        let requestLength = UInt32(16 + requestPayload.count)
        body += withUnsafeBytes(of: requestLength.littleEndian, Array.init) + [UInt8](repeating: 0, count: 12)
        body += requestPayload + [UInt8](repeating: 0, count: (4 - requestPayload.count % 4) % 4)
        var flags: Int32 = capped ? NLM_F_CAPPED : 0
        if let text {
            flags |= NLM_F_ACK_TLVS
            let payload = Array(text.utf8) + [0]
            body += [UInt8(4 + payload.count), 0, UInt8(NLMSGERR_ATTR_MSG.rawValue), 0] + payload
        }
        return NetlinkMessage(type: UInt16(NLMSG_ERROR), flags: UInt16(flags), sequence: 1, body: body)
    }

    @Test("NLMSG_ERROR: errno and the kernel's extended-ACK text, capped or not", arguments: [true, false])
    func extendedAcknowledgement(capped: Bool) throws {
        let message = errorMessage(code: -EEXIST, capped: capped, text: "ipv4: Address already assigned")
        let error = try #require(NetlinkSocket.error(in: message) { "add address 10.0.0.1/24 to link #3" })
        #expect(error.errno == EEXIST && error.isExists)
        #expect(error.description == "add address 10.0.0.1/24 to link #3: File exists (EEXIST): ipv4: Address already assigned")
    }

    @Test("an ACK is error code 0; an error without TLVs has no kernel text")
    func plainAcknowledgement() throws {
        #expect(NetlinkSocket.error(in: errorMessage(code: 0, capped: true, text: nil)) { "x" } == nil)
        let error = try #require(NetlinkSocket.error(in: errorMessage(code: -ENODEV, capped: true, text: nil)) { "get link eth9" })
        #expect(error.isNoDevice && error.isNotFound && error.kernelMessage == nil)
        #expect(error.description == "get link eth9: No such device (ENODEV)")
    }

    @Test("a dump that failed part-way reports the error in NLMSG_DONE, TLVs right after the code")
    func failedDump() throws {
        let text = Array("ipv4: FIB table does not exist".utf8) + [0]
        let body = withUnsafeBytes(of: (-ENOENT).littleEndian, Array.init)
            + [UInt8(4 + text.count), 0, UInt8(NLMSGERR_ATTR_MSG.rawValue), 0] + text
        let done = NetlinkMessage(type: UInt16(NLMSG_DONE), flags: UInt16(NLM_F_MULTI | NLM_F_ACK_TLVS), sequence: 1, body: body)
        let error = try #require(NetlinkSocket.error(in: done) { "list routes" })
        #expect(error.errno == ENOENT && error.kernelMessage == "ipv4: FIB table does not exist")
        let clean = NetlinkMessage(type: UInt16(NLMSG_DONE), flags: UInt16(NLM_F_MULTI), sequence: 1, body: [0, 0, 0, 0])
        #expect(NetlinkSocket.error(in: clean) { "list routes" } == nil)
    }

    @Test("a bridge VLAN dump yields the entries of the asked-for port only")
    func bridgeVLANDump() {
        func portMessage(index: Int32, entries: [(flags: Int32, vid: UInt16)]) -> NetlinkMessage {
            let bytes = Request.bytes(type: Int32(RTM_NEWLINK)) { request in
                request.append(RouteSocket.interfaceHeader(index: index, family: UInt8(AF_BRIDGE)))
                request.put(IFLA_IFNAME, string: "port\(index)")
                request.nest(IFLA_AF_SPEC) {
                    for entry in entries {
                        request.put(IFLA_BRIDGE_VLAN_INFO, value: bridge_vlan_info(flags: UInt16(entry.flags), vid: entry.vid))
                    }
                }
            }
            return NetlinkMessage.split(bytes)[0]
        }
        let messages = [
            portMessage(index: 5, entries: [(0, 7)]),
            portMessage(index: 6, entries: [(BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED, 1), (0, 20),
                                            (BRIDGE_VLAN_INFO_RANGE_BEGIN, 30), (BRIDGE_VLAN_INFO_RANGE_END, 32)]),
        ]
        #expect(RouteSocket.bridgeVLANs(in: messages, index: 6) == [
            BridgeVLAN(id: 1, pvid: true, untagged: true), BridgeVLAN(id: 20, pvid: false, untagged: false),
            BridgeVLAN(id: 30, pvid: false, untagged: false), BridgeVLAN(id: 31, pvid: false, untagged: false),
            BridgeVLAN(id: 32, pvid: false, untagged: false),
        ])
        #expect(RouteSocket.bridgeVLANs(in: messages, index: 9).isEmpty)
    }
}
