import CNetlink
import Glibc
import NetAddress
@testable import Netlink
import Testing

/// The netconf question (RTM_GETNETCONF) as the kernel must receive it, and its answer decoded from
/// replies recorded on Linux 6.18 in a private namespace with `net.ipv4.ip_forward=1` and
/// `net.ipv6.conf.all.forwarding=0`. Pure: no socket, no root.
@Suite("Netconf encoding")
struct NetconfEncodingTests {
    static let ipv4Reply = Recorded.bytes(
        "0200000008000100ffffffff080002000100000008000300000000000800040000000000080008000000000008000500",
        "000000000800060000000000")
    static let ipv6Reply = Recorded.bytes("0a00000008000100ffffffff080002000000000008000500000000000800060000000000")

    func reply(_ body: [UInt8], type: Int32 = Int32(RTM_NEWNETCONF)) -> NetlinkMessage {
        NetlinkMessage(type: UInt16(type), flags: 0, sequence: 1, body: body)
    }

    @Test("the request: RTM_GETNETCONF, a padded netconfmsg naming the family, NETCONFA_IFINDEX = all (-1)",
          arguments: [(IPFamily.v4, UInt8(AF_INET)), (.v6, UInt8(AF_INET6))])
    func request(family: IPFamily, number: UInt8) throws {
        let bytes = Request.bytes(type: Int32(RTM_GETNETCONF), build: RouteSocket.netconfRequest(family, index: NETCONFA_IFINDEX_ALL))
        let sent = try #require(NetlinkMessage.split(bytes).first)
        #expect(Int32(sent.type) == RTM_GETNETCONF && Int32(sent.flags) == NLM_F_REQUEST)
        // The byte layout the kernel parses (and strict checking accepts: one attribute, IFINDEX).
        #expect(sent.body == [number, 0, 0, 0, 8, 0, UInt8(NETCONFA_IFINDEX), 0, 0xff, 0xff, 0xff, 0xff])
        #expect(sent.attributes(after: MemoryLayout<netconfmsg>.size).i32(NETCONFA_IFINDEX) == -1)
    }

    @Test("recorded answers decode: IPv4 forwarding on, IPv6 off, both for every interface")
    func recordedReplies() throws {
        let v4 = try #require(Netconf(reply(Self.ipv4Reply)))
        #expect(v4 == Netconf(family: .v4, index: NETCONFA_IFINDEX_ALL, forwarding: true))
        let v6 = try #require(Netconf(reply(Self.ipv6Reply)))
        #expect(v6 == Netconf(family: .v6, index: NETCONFA_IFINDEX_ALL, forwarding: false))
    }

    @Test("an answer without NETCONFA_FORWARDING says nothing (nil, not off); other messages are not netconf")
    func incompleteOrForeign() throws {
        let noForwarding = try #require(Netconf(reply([2, 0, 0, 0, 8, 0, 1, 0, 0xff, 0xff, 0xff, 0xff])))
        #expect(noForwarding.forwarding == nil)
        #expect(Netconf(reply(Self.ipv4Reply, type: Int32(RTM_NEWLINK))) == nil)
        #expect(Netconf(reply([])) == nil)
        #expect(Netconf(reply([7, 0, 0, 0])) == nil, "an unknown family")
    }
}
