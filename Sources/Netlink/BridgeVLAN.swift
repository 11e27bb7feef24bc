import CNetlink
#if canImport(Glibc)
import Glibc
#endif

/// A VLAN on a bridge port (what `bridge vlan show` lists).
public struct BridgeVLAN: Sendable, Equatable {
    public var id: Int
    /// Untagged frames arriving on the port join this VLAN.
    public var pvid: Bool
    /// Frames of this VLAN leave the port untagged.
    public var untagged: Bool
}

extension RouteSocket {
    /// Add VLANs to a bridge port, or with `onSelf` to the bridge device itself.
    public func addBridgeVLAN(index: Int32, vids: ClosedRange<Int>, pvid: Bool, untagged: Bool, onSelf: Bool) throws {
        try changeVLANs(add: true, index: index, vids: vids, pvid: pvid, untagged: untagged, onSelf: onSelf)
    }

    public func deleteBridgeVLAN(index: Int32, vids: ClosedRange<Int>, onSelf: Bool) throws {
        try changeVLANs(add: false, index: index, vids: vids, pvid: false, untagged: false, onSelf: onSelf)
    }

    private func changeVLANs(add: Bool, index: Int32, vids: ClosedRange<Int>, pvid: Bool, untagged: Bool, onSelf: Bool) throws {
        let range = vids.lowerBound == vids.upperBound ? "\(vids.lowerBound)" : "\(vids.lowerBound)-\(vids.upperBound)"
        let operation = "\(add ? "add" : "delete") VLAN \(range) \(add ? "on" : "from") link #\(index)"
        // Refused here rather than truncated into some other VLAN id (0 and 4095 are reserved).
        guard vids.lowerBound >= 1, vids.upperBound <= 4094 else {
            throw NetlinkError(operation: operation, errno: EINVAL, kernelMessage: "VLAN ids range from 1 to 4094")
        }
        try execute(operation, type: Int32(add ? RTM_SETLINK : RTM_DELLINK),
                    build: Self.vlanChange(index: index, vids: vids, pvid: pvid, untagged: untagged, onSelf: onSelf))
    }

    /// The request body of `bridge vlan add|del`: IFLA_AF_SPEC holding the VLAN entries.
    public static func vlanChange(index: Int32, vids: ClosedRange<Int>, pvid: Bool, untagged: Bool,
                                  onSelf: Bool) -> (Request) -> Void {
        var flags: UInt16 = 0
        if pvid { flags |= UInt16(BRIDGE_VLAN_INFO_PVID) }
        if untagged { flags |= UInt16(BRIDGE_VLAN_INFO_UNTAGGED) }
        return { request in
            request.append(Self.interfaceHeader(index: index, family: UInt8(AF_BRIDGE)))
            request.nest(IFLA_AF_SPEC) {
                request.put(IFLA_BRIDGE_FLAGS, u16: UInt16(onSelf ? BRIDGE_FLAGS_SELF : BRIDGE_FLAGS_MASTER))
                if vids.lowerBound == vids.upperBound {
                    request.put(IFLA_BRIDGE_VLAN_INFO, value: bridge_vlan_info(flags: flags, vid: UInt16(truncatingIfNeeded: vids.lowerBound)))
                } else {
                    // A range is a pair of entries marking its first and last VLAN.
                    request.put(IFLA_BRIDGE_VLAN_INFO, value: bridge_vlan_info(flags: flags | UInt16(BRIDGE_VLAN_INFO_RANGE_BEGIN), vid: UInt16(truncatingIfNeeded: vids.lowerBound)))
                    request.put(IFLA_BRIDGE_VLAN_INFO, value: bridge_vlan_info(flags: flags | UInt16(BRIDGE_VLAN_INFO_RANGE_END), vid: UInt16(truncatingIfNeeded: vids.upperBound)))
                }
            }
        }
    }

    /// The VLANs configured on one port (or on the bridge itself, given the bridge's index). The
    /// kernel cannot filter the AF_BRIDGE dump by interface, so this reads every port: meant for
    /// CHECK and diagnostics, not for the ADD path.
    public func bridgeVLANs(index: Int32) throws -> [BridgeVLAN] {
        let messages = try dump("list bridge VLANs", type: Int32(RTM_GETLINK)) { request in
            request.append(Self.interfaceHeader(index: 0, family: UInt8(AF_BRIDGE)))
            request.put(IFLA_EXT_MASK, u32: UInt32(RTEXT_FILTER_BRVLAN))
        }
        return Self.bridgeVLANs(in: messages, index: index)
    }

    /// The VLAN entries of `index` in an AF_BRIDGE link dump (IFLA_AF_SPEC / IFLA_BRIDGE_VLAN_INFO).
    static func bridgeVLANs(in messages: [NetlinkMessage], index: Int32) -> [BridgeVLAN] {
        var vlans: [BridgeVLAN] = []
        for message in messages where Int32(message.type) == Int32(RTM_NEWLINK) && message.body.count >= Link.headerSize {
            guard Int32(bitPattern: message.body.loadLittleEndianU32(at: 4)) == index,
                  let spec = message.attributes(after: Link.headerSize).nested(IFLA_AF_SPEC) else { continue }
            var rangeStart: Int?
            for entry in spec.payloads(IFLA_BRIDGE_VLAN_INFO) where entry.count >= 4 {
                let flags = entry.loadLittleEndianU16(at: 0)
                let vid = Int(entry.loadLittleEndianU16(at: 2))
                let pvid = flags & UInt16(BRIDGE_VLAN_INFO_PVID) != 0
                let untagged = flags & UInt16(BRIDGE_VLAN_INFO_UNTAGGED) != 0
                // Only compressed dumps (RTEXT_FILTER_BRVLAN_COMPRESSED) use ranges; accept them anyway.
                if flags & UInt16(BRIDGE_VLAN_INFO_RANGE_BEGIN) != 0 {
                    rangeStart = vid
                } else if flags & UInt16(BRIDGE_VLAN_INFO_RANGE_END) != 0, let start = rangeStart {
                    vlans += (start...vid).map { BridgeVLAN(id: $0, pvid: false, untagged: untagged) }
                    rangeStart = nil
                } else {
                    vlans.append(BridgeVLAN(id: vid, pvid: pvid, untagged: untagged))
                }
            }
        }
        return vlans
    }
}
