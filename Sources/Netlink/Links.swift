import CNetlink
import NetAddress
#if canImport(Glibc)
import Glibc
#endif

extension RouteSocket {
    public func link(named name: String) throws -> Link? {
        try fetch("get link \(name)", type: Int32(RTM_GETLINK)) { request in
            request.append(ifinfomsg())
            request.put(IFLA_IFNAME, string: name)
        }.flatMap(Link.init)
    }

    public func link(index: Int32) throws -> Link? {
        try fetch("get link #\(index)", type: Int32(RTM_GETLINK)) { request in
            request.append(Self.interfaceHeader(index: index))
        }.flatMap(Link.init)
    }

    public func links() throws -> [Link] {
        try dump("list links", type: Int32(RTM_GETLINK)) { request in
            request.append(ifinfomsg())
        }.compactMap(Link.init)
    }

    /// A new bridge; fails with EEXIST when the name is taken (the caller decides whether a
    /// concurrent creator's bridge is fine).
    public func createBridge(name: String, mtu: Int?, vlanFiltering: Bool) throws {
        try execute("create bridge \(name)", type: Int32(RTM_NEWLINK), flags: NLM_F_CREATE | NLM_F_EXCL) { request in
            request.append(ifinfomsg())
            request.put(IFLA_IFNAME, string: name)
            if let mtu { request.put(IFLA_MTU, u32: UInt32(mtu)) }
            request.nest(IFLA_LINKINFO) {
                request.put(IFLA_INFO_KIND, string: "bridge")
                if vlanFiltering {
                    request.nest(IFLA_INFO_DATA) { request.put(IFLA_BR_VLAN_FILTERING, u8: 1) }
                }
            }
        }
    }

    /// A veth pair whose peer is born inside `peerNamespace`: one request, where creating and then
    /// moving the peer costs the kernel 15–27 ms more.
    public func createVethPair(name: String, peerName: String, peerNamespace: NetworkNamespace,
                               mtu: Int?, mac: MACAddress?, peerMAC: MACAddress?) throws {
        try execute("create veth \(name) with peer \(peerName) in \(peerNamespace.path)", type: Int32(RTM_NEWLINK),
                    flags: NLM_F_CREATE | NLM_F_EXCL,
                    build: Self.vethCreation(name: name, peerName: peerName, peerNamespaceFD: peerNamespace.fd,
                                             mtu: mtu, mac: mac, peerMAC: peerMAC))
    }

    /// The request body creating a veth pair whose peer is born in another namespace.
    public static func vethCreation(name: String, peerName: String, peerNamespaceFD: Int32, mtu: Int?,
                                    mac: MACAddress?, peerMAC: MACAddress?) -> (Request) -> Void {
        { request in
            request.append(ifinfomsg())
            request.put(IFLA_IFNAME, string: name)
            if let mtu { request.put(IFLA_MTU, u32: UInt32(mtu)) }
            if let mac { request.put(IFLA_ADDRESS, bytes: mac.bytes) }
            request.nest(IFLA_LINKINFO) {
                request.put(IFLA_INFO_KIND, string: "veth")
                request.nest(IFLA_INFO_DATA) {
                    // The peer's part starts with its own ifinfomsg, then its attributes.
                    request.nest(VETH_INFO_PEER) {
                        request.append(ifinfomsg())
                        request.put(IFLA_IFNAME, string: peerName)
                        request.put(IFLA_NET_NS_FD, u32: UInt32(bitPattern: peerNamespaceFD))
                        if let mtu { request.put(IFLA_MTU, u32: UInt32(mtu)) }
                        if let peerMAC { request.put(IFLA_ADDRESS, bytes: peerMAC.bytes) }
                    }
                }
            }
        }
    }

    /// Change several properties of a link in one request; nil leaves a property alone.
    /// `master: 0` removes the link from its bridge.
    public func setLink(index: Int32, up: Bool? = nil, mtu: Int? = nil, mac: MACAddress? = nil,
                        master: Int32? = nil, promiscuous: Bool? = nil) throws {
        var header = Self.interfaceHeader(index: index)
        if let up {
            header.ifi_change |= LinkFlags.up
            if up { header.ifi_flags |= LinkFlags.up }
        }
        if let promiscuous {
            header.ifi_change |= LinkFlags.promiscuous
            if promiscuous { header.ifi_flags |= LinkFlags.promiscuous }
        }
        try execute("change link #\(index)", type: Int32(RTM_SETLINK)) { request in
            request.append(header)
            if let mtu { request.put(IFLA_MTU, u32: UInt32(mtu)) }
            if let mac { request.put(IFLA_ADDRESS, bytes: mac.bytes) }
            if let master { request.put(IFLA_MASTER, u32: UInt32(bitPattern: master)) }
        }
    }

    /// Delete a link; for a veth this removes both ends, wherever the peer lives.
    public func deleteLink(index: Int32) throws {
        try execute("delete link #\(index)", type: Int32(RTM_DELLINK)) { request in
            request.append(Self.interfaceHeader(index: index))
        }
    }

    /// Bridge-port flags through the bridge's own netlink family (IFLA_PROTINFO, nested).
    public func setBridgePort(index: Int32, hairpin: Bool? = nil, isolated: Bool? = nil) throws {
        try execute("set bridge port flags of link #\(index)", type: Int32(RTM_SETLINK)) { request in
            request.append(Self.interfaceHeader(index: index, family: UInt8(AF_BRIDGE)))
            request.nest(IFLA_PROTINFO) {
                if let hairpin { request.put(IFLA_BRPORT_MODE, u8: hairpin ? 1 : 0) }
                if let isolated { request.put(IFLA_BRPORT_ISOLATED, u8: isolated ? 1 : 0) }
            }
        }
    }

    static func interfaceHeader(index: Int32, family: UInt8 = UInt8(AF_UNSPEC)) -> ifinfomsg {
        var header = ifinfomsg()
        header.ifi_family = family
        header.ifi_index = index
        return header
    }
}
