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

    /// Every link of the namespace; with `master`, only the ports of that bridge (filtered by the
    /// kernel where it can, so asking whether a bridge still has ports does not read every veth).
    public func links(master: Int32? = nil) throws -> [Link] {
        try dump("list links", type: Int32(RTM_GETLINK)) { request in
            request.append(ifinfomsg())
            if let master, filtersDumps { request.put(IFLA_MASTER, u32: UInt32(bitPattern: master)) }
        }.compactMap(Link.init).filter { master == nil || $0.masterIndex == master }
    }

    /// A new bridge; fails with EEXIST when the name is taken (the caller decides whether a
    /// concurrent creator's bridge is fine). Returns the bridge as created.
    @discardableResult
    public func createBridge(name: String, mtu: Int?, mac: MACAddress? = nil, vlanFiltering: Bool) throws -> Link {
        let operation = "create bridge \(name)"
        let echoed = try execute(operation, type: Int32(RTM_NEWLINK), flags: NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO) { request in
            request.newLink(name: name, mtu: mtu, mac: mac)
            request.nest(IFLA_LINKINFO) {
                request.put(IFLA_INFO_KIND, string: "bridge")
                if vlanFiltering {
                    request.nest(IFLA_INFO_DATA) { request.put(IFLA_BR_VLAN_FILTERING, u8: 1) }
                }
            }
        }
        return try created(name, echoed: echoed, operation: operation)
    }

    /// A veth pair whose peer is born inside `peerNamespace` (nil: this socket's namespace): one
    /// request, where creating and then moving the peer costs the kernel 15–27 ms more. Both ends
    /// get `mtu`. EEXIST propagates: the host name is checked here, the peer name in the peer's
    /// namespace. Returns the host end; its `peerIndex` is the peer's index in its namespace.
    @discardableResult
    public func createVethPair(name: String, peerName: String, peerNamespace: NetworkNamespace?,
                               mtu: Int?, mac: MACAddress?, peerMAC: MACAddress?) throws -> Link {
        let operation = "create veth \(name) with peer \(peerName)" + (peerNamespace.map { " in \($0.path)" } ?? "")
        let echoed = try execute(operation, type: Int32(RTM_NEWLINK), flags: NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO,
                                 build: Self.vethCreation(name: name, peerName: peerName, peerNamespaceFD: peerNamespace?.fd,
                                                          mtu: mtu, mac: mac, peerMAC: peerMAC))
        return try created(name, echoed: echoed, operation: operation)
    }

    /// The link a NEWLINK created: the kernel echoes it (NLM_F_ECHO, Linux 6.1+); older kernels
    /// need one GET more.
    private func created(_ name: String, echoed: [NetlinkMessage], operation: String) throws -> Link {
        if let link = echoed.lazy.compactMap(Link.init).first(where: { $0.name == name }) { return link }
        guard let link = try link(named: name) else {
            throw NetlinkError(operation: operation, errno: ENODEV, kernelMessage: "link vanished right after creation")
        }
        return link
    }

    /// The request body creating a veth pair, the peer optionally born in another namespace.
    /// Both ends ask for one transmit and one receive queue. Without them the kernel allocates one
    /// queue per possible CPU and then, the device already registered, cuts the real count back to
    /// one, which waits for an RCU grace period per direction and end under the rtnl lock; asked for,
    /// the pair is born with the one queue it would have used anyway (about half of the creation's
    /// time here). `ethtool -L` can then not raise the count, which no container engine does.
    public static func vethCreation(name: String, peerName: String, peerNamespaceFD: Int32?, mtu: Int?,
                                    mac: MACAddress?, peerMAC: MACAddress?) -> (Request) -> Void {
        { request in
            request.newLink(name: name, mtu: mtu, mac: mac)
            request.singleQueue()
            request.nest(IFLA_LINKINFO) {
                request.put(IFLA_INFO_KIND, string: "veth")
                request.nest(IFLA_INFO_DATA) {
                    // The peer's part starts with its own ifinfomsg, then its attributes.
                    request.nest(VETH_INFO_PEER) {
                        request.append(ifinfomsg())
                        request.put(IFLA_IFNAME, string: peerName)
                        if let peerNamespaceFD { request.put(IFLA_NET_NS_FD, u32: UInt32(bitPattern: peerNamespaceFD)) }
                        if let mtu { request.put(IFLA_MTU, u32: UInt32(truncatingIfNeeded: mtu)) }
                        if let peerMAC { request.put(IFLA_ADDRESS, bytes: peerMAC.bytes) }
                        request.singleQueue()
                    }
                }
            }
        }
    }

    /// Change several properties of a link in one request (one round trip per link); nil leaves a
    /// property alone (nothing to change sends nothing). `master: 0` removes the link from its bridge.
    /// `ipv6LinkLocal: false`: the kernel makes no IPv6 link-local address (nor its fe80::/64
    /// route) for the link when it comes up (address generation mode "none"). The kernel applies
    /// it after `up` in the same request: send it first, alone. Only for a link that has IPv6 (the
    /// kernel refuses it otherwise).
    /// `arpNotify`: the IPv4 `arp_notify` setting of the link (a gratuitous ARP when it comes up or
    /// its MAC changes), as the sysctl sets it but without a /proc/sys lookup, which costs
    /// milliseconds once a thousand namespaces exist (the kernel applies it after `up` too).
    /// `group`: the link's device group (`deleteLinks`).
    public func setLink(index: Int32, up: Bool? = nil, mtu: Int? = nil, mac: MACAddress? = nil,
                        master: Int32? = nil, promiscuous: Bool? = nil, ipv6LinkLocal: Bool? = nil,
                        arpNotify: Bool? = nil, group: UInt32? = nil) throws {
        guard up != nil || mtu != nil || mac != nil || master != nil || promiscuous != nil || ipv6LinkLocal != nil
            || arpNotify != nil || group != nil else { return }
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
            if let mtu { request.put(IFLA_MTU, u32: UInt32(truncatingIfNeeded: mtu)) }
            if let mac { request.put(IFLA_ADDRESS, bytes: mac.bytes) }
            if let master { request.put(IFLA_MASTER, u32: UInt32(bitPattern: master)) }
            if let group { request.put(IFLA_GROUP, u32: group) }
            if ipv6LinkLocal != nil || arpNotify != nil {
                request.nest(IFLA_AF_SPEC) {
                    if let arpNotify {
                        request.nest(AF_INET) {
                            request.nest(IFLA_INET_CONF) { request.put(Self.ipv4DevconfARPNotify, u32: arpNotify ? 1 : 0) }
                        }
                    }
                    if let ipv6LinkLocal {
                        let mode = ipv6LinkLocal ? IN6_ADDR_GEN_MODE_EUI64 : IN6_ADDR_GEN_MODE_NONE
                        request.nest(AF_INET6) { request.put(IFLA_INET6_ADDR_GEN_MODE, u8: UInt8(mode.rawValue)) }
                    }
                }
            }
        }
    }

    /// IPV4_DEVCONF_ARP_NOTIFY of <linux/ip.h> (the 22nd IPv4 device setting, counted from 1), which
    /// the module map leaves out: <linux/ip.h> redefines glibc's `struct iphdr`.
    static let ipv4DevconfARPNotify: UInt16 = 22

    /// Delete a link; for a veth this removes both ends, wherever the peer lives.
    public func deleteLink(index: Int32) throws {
        try execute("delete link #\(index)", type: Int32(RTM_DELLINK)) { request in
            request.append(Self.interfaceHeader(index: index))
        }
    }

    /// Deletes several links of this namespace as one: the kernel unregisters the devices of one
    /// request together and waits out its RCU grace periods once, where a request per link waits
    /// once each (a veth and then its bridge: 64–76 ms here, together 48–56). The only request that
    /// names more than one link is a delete by device group, so the links are first put in a group
    /// of their own: a random one above the small numbers administrators give groups (an
    /// `/etc/iproute2/group` name). Links already gone are fine. If the kernel refuses the group or
    /// its deletion, each link that is left is deleted alone, and one that then cannot be is put
    /// back in the default group before the error is thrown.
    public func deleteLinks(indices: [Int32]) throws {
        guard indices.count > 1 else {
            for index in indices { try deleteIfPresent(index) }
            return
        }
        let group = UInt32.random(in: 0x4000_0000...0x7fff_ffff)
        do {
            for index in indices { try setLink(index: index, group: group) }
            try execute("delete links #\(indices.map(String.init).joined(separator: ", #")) (group \(group))",
                        type: Int32(RTM_DELLINK), build: Self.groupDeletion(group))
        } catch is NetlinkError {
            // ENODEV: one vanished before it joined the group, or all did before the delete.
            for index in indices {
                do {
                    try deleteIfPresent(index)
                } catch {
                    try? setLink(index: index, group: 0)
                    throw error
                }
            }
        }
    }

    /// The request body deleting every link of this namespace in `group`: no index and no name,
    /// only the group (what `ip link delete group N` sends).
    static func groupDeletion(_ group: UInt32) -> (Request) -> Void {
        { request in
            request.append(ifinfomsg())
            request.put(IFLA_GROUP, u32: group)
        }
    }

    private func deleteIfPresent(_ index: Int32) throws {
        do {
            try deleteLink(index: index)
        } catch let error as NetlinkError where error.isNoDevice {
        }
    }

    /// Bridge-port flags through the bridge's own netlink family (AF_BRIDGE SETLINK with a nested
    /// IFLA_PROTINFO, what `bridge link set` sends): unlike IFLA_INFO_SLAVE_DATA it needs no
    /// knowledge of the port's own kind. The link must already be a port of the bridge.
    public func setBridgePort(index: Int32, hairpin: Bool? = nil, isolated: Bool? = nil, learning: Bool? = nil) throws {
        guard hairpin != nil || isolated != nil || learning != nil else { return }
        try execute("set bridge port flags of link #\(index)", type: Int32(RTM_SETLINK)) { request in
            request.append(Self.interfaceHeader(index: index, family: UInt8(AF_BRIDGE)))
            request.nest(IFLA_PROTINFO) {
                if let hairpin { request.put(IFLA_BRPORT_MODE, u8: hairpin ? 1 : 0) }
                if let isolated { request.put(IFLA_BRPORT_ISOLATED, u8: isolated ? 1 : 0) }
                if let learning { request.put(IFLA_BRPORT_LEARNING, u8: learning ? 1 : 0) }
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

extension Request {
    /// The start of every link-creating message: the header, then the name, MTU and MAC it is born with.
    func newLink(name: String, mtu: Int?, mac: MACAddress?) {
        append(ifinfomsg())
        put(IFLA_IFNAME, string: name)
        if let mtu { put(IFLA_MTU, u32: UInt32(truncatingIfNeeded: mtu)) }
        if let mac { put(IFLA_ADDRESS, bytes: mac.bytes) }
    }

    /// One transmit and one receive queue for the link being created.
    func singleQueue() {
        put(IFLA_NUM_TX_QUEUES, u32: 1)
        put(IFLA_NUM_RX_QUEUES, u32: 1)
    }
}
