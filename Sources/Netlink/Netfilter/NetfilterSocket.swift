import CNetlink
#if canImport(Glibc)
import Glibc
#endif

/// nfnetlink: nftables transactions and conntrack, over a `NetlinkSocket` of the netfilter family.
public final class NetfilterSocket {
    public let netlink: NetlinkSocket

    /// A socket in the calling thread's current namespace (the host's, for the plugin).
    public init() throws {
        netlink = try NetlinkSocket(.netfilter)
    }

    /// Closing a netfilter socket waits, inside the kernel, until the nftables objects that any
    /// transaction removed are freed, which happens an RCU grace period after the commit (10-25 ms
    /// here): every DEL removes map elements and would sit out that wait right after its commit.
    /// A short-lived process sets this: its sockets then stay open until it exits, by when the
    /// grace period has passed during the rest of its work (a DEL deletes the veth pair next).
    nonisolated(unsafe) public static var closeAtExit = false
    nonisolated(unsafe) private static var keptOpen: [NetlinkSocket] = []

    deinit {
        if Self.closeAtExit { Self.keptOpen.append(netlink) }
    }

    /// How many rules `chain` of `table` holds; 0 when the chain or the table does not exist.
    public func ruleCount(_ table: NftTable, chain: String) throws -> Int {
        let type = Int32(NFNL_SUBSYS_NFTABLES) << 8 | Int32(NFT_MSG_GETRULE.rawValue)
        do {
            return try netlink.dump("list rules of chain \(chain) of table \(table.description)", type: type) { request in
                request.append(nfgenmsg(nfgen_family: UInt8(table.family.rawValue), version: UInt8(NFNETLINK_V0), res_id: 0))
                request.put(NFTA_RULE_TABLE.rawValue, string: table.name)
                request.put(NFTA_RULE_CHAIN.rawValue, string: chain)
            }.count
        } catch let error as NetlinkError where error.errno == ENOENT {
            return 0
        }
    }

    /// Apply every command in one nftables transaction (one datagram: begin, the commands, commit).
    /// The kernel applies all or none; the error names the command it refused.
    public func apply(_ transaction: NftTransaction) throws {
        guard !transaction.isEmpty else { return }
        let batch = netlink.batch()
        NftEncoding.begin(batch)
        for command in transaction.commands { NftEncoding.add(command, to: batch) }
        NftEncoding.end(batch)
        try netlink.send(batch)
    }

    /// Like `apply`, but commands whose object is already gone (ENOENT) are skipped: for removals
    /// that must succeed when run twice or after someone flushed the ruleset. The common case is
    /// still one transaction; only when something was missing are the commands applied one by one.
    public func applyRemoval(_ transaction: NftTransaction) throws {
        do {
            try apply(transaction)
        } catch let error as NetlinkError where error.errno == ENOENT {
            for command in transaction.commands {
                var single = NftTransaction()
                single.add(command)
                do {
                    try apply(single)
                } catch let error as NetlinkError where error.errno == ENOENT {
                }
            }
        }
    }
}
