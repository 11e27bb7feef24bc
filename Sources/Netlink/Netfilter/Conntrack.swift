import CNetlink
import NetAddress
#if canImport(Glibc)
import Glibc
#endif

extension NetfilterSocket {
    /// Delete the conntrack entries whose original direction goes to one of `ports` over
    /// `transport` (an IP protocol number): a UDP flow that started before a port mapping existed
    /// would otherwise keep bypassing it for as long as packets keep coming.
    public func deleteConntrackEntries(family: IPFamily, transport: UInt8, destinationPorts ports: Set<UInt16>) throws {
        guard !ports.isEmpty else { return }
        // Finding them means walking every bucket of the kernel's conntrack hash (262,144 on a
        // 24 GiB host). A namespace that tracks no flow at all has none to forget.
        if let count = try? Sysctl.get("net/netfilter/nf_conntrack_count"), count == "0" { return }
        if ports.count <= Self.portsFlushedOneByOne {
            do {
                try flushConntrackEntries(family: family, transport: transport, destinationPorts: ports)
                return
            } catch let error as NetlinkError where error.errno == EINVAL || error.errno == EOPNOTSUPP {
                // A kernel whose flush takes no filter: it read the request as naming one entry,
                // which it cannot without addresses, and refused it. Nothing was deleted.
            }
        }
        try dumpAndDeleteConntrackEntries(family: family, transport: transport, destinationPorts: ports)
    }

    /// A flush names one port and walks the whole hash; more ports than this are found by one
    /// dump instead of a flush each.
    static let portsFlushedOneByOne = 8

    /// A flush filtered by protocol and port, one per port, all in one datagram (recent kernels;
    /// older ones refuse it, see above): the kernel skips the empty buckets of its hash without
    /// taking their locks, where a dump locks each of them, 5–8 ms of CPU here whatever the number
    /// of flows.
    private func flushConntrackEntries(family: IPFamily, transport: UInt8, destinationPorts ports: Set<UInt16>) throws {
        let batch = netlink.batch()
        for port in ports.sorted() {
            try batch.add("delete conntrack entries to port \(port)", type: Self.conntrack(IPCTNL_MSG_CT_DELETE), flags: NLM_F_ACK) { request in
                Self.filtered(request, family: family, transport: transport, port: port)
            }
        }
        try netlink.send(batch)
    }

    /// One dump for all the ports, then a delete per stale entry found.
    private func dumpAndDeleteConntrackEntries(family: IPFamily, transport: UInt8, destinationPorts ports: Set<UInt16>) throws {
        let only = ports.count == 1 ? ports.first : nil
        let what = only.map { "port \($0)" } ?? "\(ports.count) ports"
        let entries = try netlink.dump("list conntrack entries to \(what)", type: Self.conntrack(IPCTNL_MSG_CT_GET)) { request in
            Self.filtered(request, family: family, transport: transport, port: only)
        }
        let stale = entries.compactMap { message -> [UInt8]? in
            guard let tuple = message.attributes(after: 4).payload(CTA_TUPLE_ORIG.rawValue),
                  let proto = Attributes(tuple).nested(CTA_TUPLE_PROTO.rawValue),
                  proto.u8(CTA_PROTO_NUM.rawValue) == transport,
                  let port = proto.u16(CTA_PROTO_DST_PORT.rawValue), ports.contains(UInt16(bigEndian: port)) else { return nil }
            return tuple
        }
        guard !stale.isEmpty else { return }
        let batch = netlink.batch()
        for tuple in stale {
            try batch.add("delete conntrack entry to \(what)", type: Self.conntrack(IPCTNL_MSG_CT_DELETE), flags: NLM_F_ACK) { request in
                request.append(Self.header(family))
                request.put(UInt16(CTA_TUPLE_ORIG.rawValue) | UInt16(NLA_F_NESTED), bytes: tuple)
            }
        }
        do {
            try netlink.send(batch)
        } catch let error as NetlinkError where error.errno == ENOENT {
            // An entry expired meanwhile: the outcome we wanted.
        }
    }

    private static func conntrack(_ message: cntl_msg_types) -> Int32 {
        Int32(NFNL_SUBSYS_CTNETLINK) << 8 | Int32(message.rawValue)
    }

    private static func header(_ family: IPFamily) -> nfgenmsg {
        nfgenmsg(nfgen_family: UInt8(family == .v4 ? AF_INET : AF_INET6), version: UInt8(NFNETLINK_V0), res_id: 0)
    }

    /// The family, protocol and (when given) destination port of the original direction, and the
    /// filter (CTA_FILTER, Linux 5.9+) that makes the kernel compare those fields only.
    private static func filtered(_ request: Request, family: IPFamily, transport: UInt8, port: UInt16?) {
        request.append(header(family))
        request.nest(CTA_TUPLE_ORIG.rawValue) {
            request.nest(CTA_TUPLE_PROTO.rawValue) {
                request.put(CTA_PROTO_NUM.rawValue, u8: transport)
                if let port { request.put(CTA_PROTO_DST_PORT.rawValue, u16: port.bigEndian) }
            }
        }
        request.nest(CTA_FILTER.rawValue) {
            // The kernel's CTA_FILTER_F_CTA_PROTO_NUM, and CTA_FILTER_F_CTA_PROTO_DST_PORT.
            request.put(CTA_FILTER_ORIG_FLAGS.rawValue, u32: port == nil ? 1 << 3 : 1 << 3 | 1 << 5)
        }
    }

    /// The data of one map element, nil when the key is not in the map.
    public func elementData(_ table: NftTable, set: String, key: [UInt8]) throws -> [UInt8]? {
        let batch = netlink.batch()
        NftEncoding.getElement(table, set: set, key: key, into: batch)
        let answer: [NetlinkMessage]
        do {
            answer = try netlink.exchange(batch, collect: .one).messages
        } catch let error as NetlinkError where error.errno == ENOENT {
            return nil
        }
        guard let message = answer.first,
              let list = message.attributes(after: 4).nested(NFTA_SET_ELEM_LIST_ELEMENTS.rawValue) else { return nil }
        for element in list.payloads(NFTA_LIST_ELEM.rawValue).map(Attributes.init) {
            if let data = element.nested(NFTA_SET_ELEM_DATA.rawValue)?.payload(NFTA_DATA_VALUE.rawValue) { return data }
        }
        return []
    }
}
