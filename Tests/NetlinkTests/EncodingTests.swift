import CNetlink
import Glibc
import NetAddress
@testable import Netlink
import Testing

/// Request encodings pinned byte-level where the kernel is picky, and parsing of what it sends back.
/// Pure: no socket, no root.
@Suite("Netlink encoding")
struct EncodingTests {
    /// Split a rendered request into its header fields and attributes after the family header.
    func decode(_ bytes: [UInt8], familyHeader: Int) -> (message: NetlinkMessage, attributes: Attributes) {
        let message = NetlinkMessage.split(bytes)[0]
        return (message, message.attributes(after: familyHeader))
    }

    @Test("bridge VLAN add: AF_BRIDGE SETLINK with IFLA_AF_SPEC holding the entry, as `bridge vlan add … master` sends it")
    func vlanAccessPort() throws {
        let bytes = Request.bytes(type: Int32(RTM_SETLINK), flags: NLM_F_ACK,
                                  build: RouteSocket.vlanChange(index: 7, vids: 42...42, pvid: true, untagged: true, onSelf: false))
        let (message, attributes) = decode(bytes, familyHeader: Link.headerSize)
        #expect(Int32(message.type) == Int32(RTM_SETLINK))
        #expect(message.body[0] == UInt8(AF_BRIDGE))
        #expect(message.body.loadLittleEndianU32(at: 4) == 7)
        // libmnl marks nests NLA_F_NESTED; the kernel finds IFLA_AF_SPEC with or without the flag
        // (iproute2 leaves it off), but IFLA_PROTINFO is only read as a nest with it.
        let typeField = bytes.loadLittleEndianU16(at: 16 + Link.headerSize + 2)
        #expect(typeField & UInt16(NLA_F_NESTED) != 0)
        let spec = try #require(attributes.nested(IFLA_AF_SPEC))
        #expect(spec.u16(IFLA_BRIDGE_FLAGS) == UInt16(BRIDGE_FLAGS_MASTER))
        let entries = spec.payloads(IFLA_BRIDGE_VLAN_INFO)
        #expect(entries.count == 1)
        #expect(entries[0].loadLittleEndianU16(at: 0) == UInt16(BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED))
        #expect(entries[0].loadLittleEndianU16(at: 2) == 42)
    }

    @Test("a VLAN range is a begin/end pair; on the bridge itself the SELF flag is set")
    func vlanRangeOnSelf() throws {
        let bytes = Request.bytes(type: Int32(RTM_SETLINK),
                                  build: RouteSocket.vlanChange(index: 3, vids: 200...202, pvid: false, untagged: false, onSelf: true))
        let spec = try #require(decode(bytes, familyHeader: Link.headerSize).attributes.nested(IFLA_AF_SPEC))
        #expect(spec.u16(IFLA_BRIDGE_FLAGS) == UInt16(BRIDGE_FLAGS_SELF))
        let entries = spec.payloads(IFLA_BRIDGE_VLAN_INFO).map { ($0.loadLittleEndianU16(at: 0), $0.loadLittleEndianU16(at: 2)) }
        #expect(entries.count == 2)
        #expect(entries[0] == (UInt16(BRIDGE_VLAN_INFO_RANGE_BEGIN), 200))
        #expect(entries[1] == (UInt16(BRIDGE_VLAN_INFO_RANGE_END), 202))
    }

    @Test("a delete by device group names no link, only the group, as `ip link delete group N` does")
    func groupDeletion() throws {
        let bytes = Request.bytes(type: Int32(RTM_DELLINK), flags: NLM_F_ACK, build: RouteSocket.groupDeletion(0x4000_0123))
        let (message, attributes) = decode(bytes, familyHeader: Link.headerSize)
        #expect(Int32(message.type) == Int32(RTM_DELLINK))
        #expect(message.body.loadLittleEndianU32(at: 4) == 0, "no interface index")
        #expect(attributes.string(IFLA_IFNAME) == nil)
        #expect(attributes.u32(IFLA_GROUP) == 0x4000_0123)
    }

    @Test("veth creation puts the peer's own ifinfomsg, name and namespace fd inside VETH_INFO_PEER")
    func vethPeerInNamespace() throws {
        let mac = MACAddress("02:00:00:00:09:77")!
        let bytes = Request.bytes(type: Int32(RTM_NEWLINK), flags: NLM_F_CREATE | NLM_F_EXCL,
                                  build: RouteSocket.vethCreation(name: "veth0123abcd", peerName: "eth0", peerNamespaceFD: 9,
                                                                  mtu: 1400, mac: nil, peerMAC: mac))
        let (message, attributes) = decode(bytes, familyHeader: Link.headerSize)
        #expect(Int32(message.flags) & (NLM_F_CREATE | NLM_F_EXCL | NLM_F_REQUEST) == NLM_F_CREATE | NLM_F_EXCL | NLM_F_REQUEST)
        #expect(attributes.string(IFLA_IFNAME) == "veth0123abcd")
        #expect(attributes.u32(IFLA_MTU) == 1400)
        let info = try #require(attributes.nested(IFLA_LINKINFO))
        #expect(info.string(IFLA_INFO_KIND) == "veth")
        let peer = try #require(info.nested(IFLA_INFO_DATA)?.payload(VETH_INFO_PEER))
        // The first 16 bytes are the peer's (zeroed) ifinfomsg; its attributes follow.
        #expect(peer.count > Link.headerSize)
        #expect(peer.prefix(Link.headerSize).allSatisfy { $0 == 0 })
        let peerAttributes = Attributes(peer.dropFirst(Link.headerSize))
        #expect(peerAttributes.string(IFLA_IFNAME) == "eth0")
        #expect(peerAttributes.u32(IFLA_NET_NS_FD) == 9)
        #expect(peerAttributes.u32(IFLA_MTU) == 1400)
        #expect(peerAttributes.payload(IFLA_ADDRESS) == mac.bytes)
        // One queue each way on both ends: the kernel's default (one per CPU, cut back to one after
        // registration) waits for RCU grace periods.
        for end in [attributes, peerAttributes] {
            #expect(end.u32(IFLA_NUM_TX_QUEUES) == 1)
            #expect(end.u32(IFLA_NUM_RX_QUEUES) == 1)
        }
    }

    @Test("requests of one batch share a layout buffer and still carry zeros where libmnl skips (attribute padding)")
    func sharedBufferStaysZero() throws {
        func named(_ name: String) -> (Request) -> Void {
            { request in
                request.append(ifinfomsg())
                request.put(IFLA_IFNAME, string: name)
            }
        }
        let batch = NetlinkBatch(firstSequence: 1, scratch: try EncodingScratch())
        // A long name first leaves its bytes where the next request's padding goes.
        try batch.add("long", type: Int32(RTM_NEWLINK), flags: 0, build: named(String(repeating: "x", count: 200)))
        try batch.add("short", type: Int32(RTM_NEWLINK), flags: 0, build: named("ab"))
        let bytes = batch.bytes
        let firstLength = Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16 | Int(bytes[3]) << 24
        let second = Array(bytes[((firstLength + 3) & ~3)...])
        let alone = Request.bytes(type: Int32(RTM_NEWLINK), build: named("ab"))
        // All but the header, whose sequence number differs: "ab", its NUL and one byte of padding.
        #expect(second.count == alone.count)
        #expect(Array(second.dropFirst(MemoryLayout<nlmsghdr>.size)) == Array(alone.dropFirst(MemoryLayout<nlmsghdr>.size)))
        #expect(second.suffix(4) == [UInt8(ascii: "a"), UInt8(ascii: "b"), 0, 0])
    }

    @Test("a veth pair within one namespace carries no IFLA_NET_NS_FD for the peer")
    func vethPeerHere() throws {
        let bytes = Request.bytes(type: Int32(RTM_NEWLINK),
                                  build: RouteSocket.vethCreation(name: "a0", peerName: "b0", peerNamespaceFD: nil,
                                                                  mtu: nil, mac: nil, peerMAC: nil))
        let (_, attributes) = decode(bytes, familyHeader: Link.headerSize)
        let peer = try #require(attributes.nested(IFLA_LINKINFO)?.nested(IFLA_INFO_DATA)?.payload(VETH_INFO_PEER))
        let peerAttributes = Attributes(peer.dropFirst(Link.headerSize))
        #expect(peerAttributes.string(IFLA_IFNAME) == "b0")
        #expect(peerAttributes.payload(IFLA_NET_NS_FD) == nil && peerAttributes.payload(IFLA_MTU) == nil)
    }

    /// NFTA_SET_USERDATA of an `addSet` as libnftnl encodes it.
    func setUserdata(_ set: NftSet) -> [UInt8]? {
        guard let scratch = try? EncodingScratch() else { return nil }
        let batch = NetlinkBatch(firstSequence: 1, scratch: scratch)
        NftEncoding.add(.addSet(NftTable(family: .inet, name: "t"), set), to: batch)
        return NetlinkMessage.split(batch.bytes)[0].attributes(after: 4).payload(NFTA_SET_USERDATA.rawValue)
    }

    @Test("sets carry the userdata nft writes for the same declaration, so `nft list` prints their elements")
    func setUserdataAsNftWritesIt() {
        typealias T = NftSet.DataType
        // TLVs (type, length, u32 host order), recorded from `nft add set/map` with nft 1.0.6:
        // KEYBYTEORDER 0, DATABYTEORDER 1, DATA_INTERVAL 6; byte orders 1 host, 2 network, 0 none.
        #expect(setUserdata(NftSet("bridges", keyType: T.interfaceName, keyLength: 16)) == [0, 4, 1, 0, 0, 0])
        #expect(setUserdata(NftSet("isolation", keyType: T.interfaceName, keyLength: 16, dataType: NftSet.verdictType))
                == [0, 4, 1, 0, 0, 0, 1, 4, 0, 0, 0, 0, 6, 4, 0, 0, 0, 0])
        #expect(setUserdata(NftSet("subnets4", keyType: T.ipv4Address, keyLength: 4, dataType: NftSet.verdictType, interval: true))
                == [0, 4, 2, 0, 0, 0, 1, 4, 0, 0, 0, 0, 6, 4, 0, 0, 0, 0])
        // Concatenations: nft adds a KEY/DATA_TYPEOF record; without it nft prints each field by its
        // datatype (NftablesListingTests shows the listing), so only the byte orders are written.
        #expect(setUserdata(NftSet("hostports4_any", keyType: T.concatenation(T.inetProtocol, T.inetService), keyLength: 8,
                                   dataType: T.concatenation(T.ipv4Address, T.inetService), dataLength: 8))
                == [0, 4, 0, 0, 0, 0, 1, 4, 0, 0, 0, 0, 6, 4, 0, 0, 0, 0])
    }

    @Test("a link message decodes into a Link with its bridge-port settings")
    func linkDecoding() throws {
        // An RTM_NEWLINK as the kernel sends it for an enslaved veth, built with the same encoder.
        let bytes = Request.bytes(type: Int32(RTM_NEWLINK)) { request in
            var header = ifinfomsg()
            header.ifi_index = 12
            header.ifi_flags = 0x1
            request.append(header)
            request.put(IFLA_IFNAME, string: "veth0123abcd")
            request.put(IFLA_MTU, u32: 1500)
            request.put(IFLA_ADDRESS, bytes: [0x02, 0, 0, 0, 0, 0x12])
            request.put(IFLA_MASTER, u32: 4)
            request.put(IFLA_LINK, u32: 2)
            request.nest(IFLA_LINKINFO) {
                request.put(IFLA_INFO_KIND, string: "veth")
                request.put(IFLA_INFO_SLAVE_KIND, string: "bridge")
                request.nest(IFLA_INFO_SLAVE_DATA) {
                    request.put(IFLA_BRPORT_MODE, u8: 1)
                    request.put(IFLA_BRPORT_ISOLATED, u8: 0)
                }
            }
        }
        let link = try #require(Link(NetlinkMessage.split(bytes)[0]))
        #expect(link.index == 12 && link.name == "veth0123abcd" && link.mtu == 1500 && link.isUp)
        #expect(link.kind == "veth")
        #expect(link.mac?.description == "02:00:00:00:00:12")
        #expect(link.masterIndex == 4 && link.peerIndex == 2)
        #expect(link.port == BridgePortSettings(hairpin: true, isolated: false, learning: false))
        #expect(link.bridge == nil)
    }

    @Test("attributes: alignment padding, nesting flags masked, truncated input stops cleanly")
    func attributeParsing() {
        // type 1 "ab\0" (len 7, padded to 8), nested type 2|NLA_F_NESTED holding type 3 u32 5.
        let bytes: [UInt8] = [7, 0, 1, 0, 0x61, 0x62, 0, 0,
                              12, 0, 0x02, 0x80, 8, 0, 3, 0, 5, 0, 0, 0,
                              0xff, 0]
        let attributes = Attributes(bytes)
        #expect(attributes.string(1) == "ab")
        #expect(attributes.nested(2)?.u32(3) == 5)
        #expect(attributes.entries.count == 2)
    }

    @Test("a datagram splits into its messages")
    func splitting() {
        let one = Request.bytes(type: Int32(RTM_GETLINK)) { $0.append(ifinfomsg()) }
        let two = Request.bytes(type: Int32(RTM_GETADDR)) { $0.append(ifaddrmsg()) }
        let messages = NetlinkMessage.split(one + two)
        #expect(messages.map(\.type) == [UInt16(RTM_GETLINK), UInt16(RTM_GETADDR)])
    }

    @Test("errors name the operation, the errno and the kernel's explanation")
    func errorText() {
        let error = NetlinkError(operation: "create bridge cni0", errno: EEXIST, kernelMessage: "already there")
        #expect(error.description == "create bridge cni0: File exists (EEXIST): already there")
        #expect(error.isExists)
    }
}
