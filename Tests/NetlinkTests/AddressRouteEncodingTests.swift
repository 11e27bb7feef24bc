import CNetlink
import Glibc
import NetAddress
@testable import Netlink
import Testing

/// Address and route requests as the kernel must receive them, read back with the same decoders
/// that read the kernel's answers. Pure: no socket, no root.
@Suite("Address and route encoding")
struct AddressRouteEncodingTests {
    func message(_ bytes: [UInt8]) -> NetlinkMessage { NetlinkMessage.split(bytes)[0] }

    @Test("IPv4 address: IFA_LOCAL, IFA_ADDRESS and the broadcast address; decodes back")
    func ipv4Address() throws {
        let address = IPNetwork("10.88.0.5/16")!
        let bytes = Request.bytes(type: Int32(RTM_NEWADDR), flags: NLM_F_CREATE | NLM_F_EXCL,
                                  build: RouteSocket.addressChange(address, index: 7, noDAD: true, adding: true))
        let sent = message(bytes)
        let attributes = sent.attributes(after: MemoryLayout<ifaddrmsg>.size)
        #expect(sent.body[0] == UInt8(AF_INET) && sent.body[1] == 16)
        #expect(attributes.payload(IFA_LOCAL) == [10, 88, 0, 5] && attributes.payload(IFA_ADDRESS) == [10, 88, 0, 5])
        #expect(attributes.payload(IFA_BROADCAST) == [10, 88, 255, 255])
        #expect(attributes.payload(IFA_FLAGS) == nil)  // no DAD in IPv4
        // The request is itself a well-formed RTM_NEWADDR: the listing decoder reads it back.
        let decoded = try #require(InterfaceAddress(sent))
        #expect(decoded.address == address && decoded.index == 7)
    }

    @Test("point-to-point prefixes carry no broadcast address", arguments: ["10.0.0.1/31", "10.0.0.1/32"])
    func noBroadcast(text: String) {
        let bytes = Request.bytes(type: Int32(RTM_NEWADDR),
                                  build: RouteSocket.addressChange(IPNetwork(text)!, index: 1, noDAD: false, adding: true))
        #expect(message(bytes).attributes(after: MemoryLayout<ifaddrmsg>.size).payload(IFA_BROADCAST) == nil)
    }

    @Test("IPv6 address without DAD: IFA_F_NODAD in the 32-bit IFA_FLAGS; deleting sends no flags")
    func ipv6Address() throws {
        let address = IPNetwork("fd00:1::5/64")!
        let added = message(Request.bytes(type: Int32(RTM_NEWADDR),
                                          build: RouteSocket.addressChange(address, index: 3, noDAD: true, adding: true)))
        let attributes = added.attributes(after: MemoryLayout<ifaddrmsg>.size)
        #expect(added.body[0] == UInt8(AF_INET6) && added.body[1] == 64)
        #expect(attributes.u32(IFA_FLAGS) == UInt32(IFA_F_NODAD))
        #expect(attributes.payload(IFA_BROADCAST) == nil)
        #expect(try #require(InterfaceAddress(added)).address == address)

        let deleted = message(Request.bytes(type: Int32(RTM_DELADDR),
                                            build: RouteSocket.addressChange(address, index: 3, noDAD: true, adding: false)))
        #expect(deleted.attributes(after: MemoryLayout<ifaddrmsg>.size).payload(IFA_FLAGS) == nil)
    }

    @Test("route through a gateway: scope universe, protocol boot, main table")
    func gatewayRoute() throws {
        let spec = RouteSpec(destination: IPNetwork("0.0.0.0/0")!, gateway: IPAddress("10.88.0.1"), outputIndex: 2)
        let sent = message(Request.bytes(type: Int32(RTM_NEWROUTE), build: RouteSocket.routeAddition(spec)))
        let attributes = sent.attributes(after: MemoryLayout<rtmsg>.size)
        #expect(sent.body[6] == RouteScope.universe && sent.body[5] == UInt8(RTPROT_BOOT) && sent.body[7] == UInt8(RTN_UNICAST))
        #expect(UInt32(sent.body[4]) == RouteTable.main)
        #expect(attributes.payload(RTA_DST.rawValue) == nil)  // a default route has no destination
        #expect(attributes.payload(RTA_GATEWAY.rawValue) == [10, 88, 0, 1])
        #expect(attributes.u32(RTA_OIF.rawValue) == 2)
        let entry = try #require(RouteSocket.routeEntry(NetlinkMessage(type: UInt16(RTM_NEWROUTE), flags: 0, sequence: 1, body: sent.body),
                                                        family: .v4))
        #expect(entry.destination == spec.destination && entry.gateway == spec.gateway && entry.outputIndex == 2)
    }

    @Test("gateway-less route: scope link; metrics nested; a table above 255 travels in RTA_TABLE")
    func linkRouteWithMetrics() throws {
        let spec = RouteSpec(destination: IPNetwork("fd00:9::/48")!, outputIndex: 4, priority: 100, table: 1000, mtu: 1280, advmss: 1220)
        let sent = message(Request.bytes(type: Int32(RTM_NEWROUTE), build: RouteSocket.routeAddition(spec)))
        let attributes = sent.attributes(after: MemoryLayout<rtmsg>.size)
        #expect(sent.body[0] == UInt8(AF_INET6) && sent.body[1] == 48)
        #expect(sent.body[6] == RouteScope.link)
        #expect(sent.body[4] == UInt8(RT_TABLE_UNSPEC.rawValue) && attributes.u32(RTA_TABLE.rawValue) == 1000)
        #expect(attributes.u32(RTA_PRIORITY.rawValue) == 100)
        let metrics = try #require(attributes.nested(RTA_METRICS.rawValue))
        #expect(metrics.u32(RTAX_MTU) == 1280 && metrics.u32(RTAX_ADVMSS) == 1220)
        let entry = try #require(RouteSocket.routeEntry(sent, family: .v6))
        #expect(entry.table == 1000 && entry.mtu == 1280 && entry.advmss == 1220 && entry.priority == 100)
    }

    @Test("a request too large for the send buffer is refused, never written past the buffer")
    func overflow() {
        let bytes = Request.bytes(type: Int32(RTM_NEWLINK)) { request in
            request.append(ifinfomsg())
            for _ in 0..<200 { request.put(IFLA_IFNAME, string: String(repeating: "x", count: 60)) }
        }
        #expect(bytes.isEmpty)
    }

    @Test("system errors name the operation, the path and the errno")
    func systemErrorText() {
        let error = SystemError(operation: "open network namespace", path: "/run/netns/gone", errno: ENOENT)
        #expect(error.description == "open network namespace /run/netns/gone: No such file or directory (ENOENT)")
        #expect(error.isNotFound)
    }

    @Test("sysctl reads /proc/sys (read-only here); a missing key is ENOENT, skipped only when asked")
    func sysctlRead() throws {
        #expect(["0", "1"].contains(try Sysctl.get("net/ipv4/ip_forward")))
        #expect(throws: SystemError.self) { try Sysctl.get("net/ipv4/conf/pontoon-missing0/arp_notify") }
        let present = try Sysctl.set("net/ipv4/conf/pontoon-missing0/arp_notify", "1", ifPresent: true)
        #expect(!present)
        #expect(throws: SystemError.self) { try Sysctl.set("net/ipv4/conf/pontoon-missing0/arp_notify", "1") }
    }
}
