import CNetlink
import NetAddress
#if canImport(Glibc)
import Glibc
#endif

extension NetfilterSocket {
    /// Delete the conntrack entries whose original direction goes to one of `ports` over
    /// `transport` (an IP protocol number): a UDP flow that started before a port mapping existed
    /// would otherwise keep bypassing it for as long as packets keep coming. One dump for all the
    /// ports (a range maps many), since each dump walks the kernel's whole conntrack hash. Returns
    /// how many were deleted.
    @discardableResult
    public func deleteConntrackEntries(family: IPFamily, transport: UInt8, destinationPorts ports: Set<UInt16>) throws -> Int {
        guard !ports.isEmpty else { return 0 }
        // A dump walks every bucket of the kernel's conntrack hash (262,144 on a 24 GiB host: 5-25 ms)
        // even when it finds nothing. A namespace that tracks no flow at all has none to forget.
        if let count = try? Sysctl.get("net/netfilter/nf_conntrack_count"),
           count == "0" { return 0 }
        let familyNumber = UInt8(family == .v4 ? AF_INET : AF_INET6)
        let type = Int32(NFNL_SUBSYS_CTNETLINK) << 8
        let only = ports.count == 1 ? ports.first : nil
        // The kernel filters the dump (CTA_FILTER, Linux 5.9+) by protocol, and by port when there
        // is one, so it does not send every flow of the host; the answer is filtered here as well.
        let what = only.map { "port \($0)" } ?? "\(ports.count) ports"
        let entries = try netlink.dump("list conntrack entries to \(what)", type: type | Int32(IPCTNL_MSG_CT_GET.rawValue)) { request in
            request.append(nfgenmsg(nfgen_family: familyNumber, version: UInt8(NFNETLINK_V0), res_id: 0))
            request.nest(CTA_TUPLE_ORIG.rawValue) {
                request.nest(CTA_TUPLE_PROTO.rawValue) {
                    request.put(CTA_PROTO_NUM.rawValue, u8: transport)
                    if let only { request.put(CTA_PROTO_DST_PORT.rawValue, u16: only.bigEndian) }
                }
            }
            request.nest(CTA_FILTER.rawValue) {
                // The kernel's CTA_FILTER_F_CTA_PROTO_NUM, and CTA_FILTER_F_CTA_PROTO_DST_PORT.
                request.put(CTA_FILTER_ORIG_FLAGS.rawValue, u32: only == nil ? 1 << 3 : 1 << 3 | 1 << 5)
            }
        }
        let stale = entries.compactMap { message -> [UInt8]? in
            guard let tuple = message.attributes(after: 4).payload(CTA_TUPLE_ORIG.rawValue),
                  let proto = Attributes(tuple).nested(CTA_TUPLE_PROTO.rawValue),
                  proto.u8(CTA_PROTO_NUM.rawValue) == transport,
                  let port = proto.u16(CTA_PROTO_DST_PORT.rawValue), ports.contains(UInt16(bigEndian: port)) else { return nil }
            return tuple
        }
        guard !stale.isEmpty else { return 0 }
        let batch = netlink.batch()
        for tuple in stale {
            try batch.add("delete conntrack entry to \(what)", type: type | Int32(IPCTNL_MSG_CT_DELETE.rawValue),
                          flags: NLM_F_ACK) { request in
                request.append(nfgenmsg(nfgen_family: familyNumber, version: UInt8(NFNETLINK_V0), res_id: 0))
                request.put(UInt16(CTA_TUPLE_ORIG.rawValue) | UInt16(NLA_F_NESTED), bytes: tuple)
            }
        }
        do {
            try netlink.send(batch)
        } catch let error as NetlinkError where error.errno == ENOENT {
            // An entry expired meanwhile: the outcome we wanted.
        }
        return stale.count
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
