import CNetlink
import NetAddress
#if canImport(Glibc)
import Glibc
#endif

/// A family's IP settings as rtnetlink reports them (RTM_GETNETCONF): the host-wide "forwarding"
/// without opening /proc/sys. With a thousand network namespaces on the host, the first /proc/sys/net
/// lookup of a process costs 1.3–5 ms (the sysctl tables are searched per namespace); the netlink
/// question costs one round trip however many namespaces exist. Writing still goes through
/// `Sysctl`: rtnetlink has no request that sets it.
extension RouteSocket {
    /// Whether the namespace forwards `family`'s packets (`net.ipv4.ip_forward`,
    /// `net.ipv6.conf.all.forwarding`); nil when the kernel's answer does not say.
    public func forwarding(_ family: IPFamily) throws -> Bool? {
        let name = family == .v4 ? "IPv4" : "IPv6"
        let answer = try fetch("get \(name) forwarding", type: Int32(RTM_GETNETCONF),
                               build: Self.netconfRequest(family, index: NETCONFA_IFINDEX_ALL))
        return answer.flatMap { Netconf($0) }?.forwarding
    }

    /// The request: a `netconfmsg` (the family) and the interface asked about, here every
    /// interface's shared value (NETCONFA_IFINDEX_ALL), the one the sysctl `all` key holds.
    static func netconfRequest(_ family: IPFamily, index: Int32) -> (Request) -> Void {
        { request in
            request.append(netconfmsg(ncm_family: family.addressFamily))
            request.put(NETCONFA_IFINDEX, u32: UInt32(bitPattern: index))
        }
    }
}

/// One RTM_NEWNETCONF answer, decoded: only what pontoon asks about.
struct Netconf: Equatable {
    var family: IPFamily
    var index: Int32?
    var forwarding: Bool?
}

extension Netconf {
    init?(_ message: NetlinkMessage) {
        guard Int32(message.type) == RTM_NEWNETCONF, let first = message.body.first,
              let family = IPFamily(addressFamily: first) else { return nil }
        let attributes = message.attributes(after: MemoryLayout<netconfmsg>.size)
        self.family = family
        index = attributes.i32(NETCONFA_IFINDEX)
        forwarding = attributes.i32(NETCONFA_FORWARDING).map { $0 != 0 }
    }
}
