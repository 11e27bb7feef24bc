import CNetlink
import NetAddress
#if canImport(Glibc)
import Glibc
#endif

/// A route to add.
public struct RouteSpec: Sendable, Equatable {
    public var destination: IPNetwork
    public var gateway: IPAddress?
    public var outputIndex: Int32?
    public var priority: Int?
    /// Routing table; nil means main.
    public var table: Int?
    /// `RT_SCOPE_*`; nil picks universe with a gateway and link without one.
    public var scope: UInt8?
    public var mtu: Int?
    public var advmss: Int?

    public init(destination: IPNetwork, gateway: IPAddress? = nil, outputIndex: Int32? = nil, priority: Int? = nil,
                table: Int? = nil, scope: UInt8? = nil, mtu: Int? = nil, advmss: Int? = nil) {
        self.destination = destination
        self.gateway = gateway
        self.outputIndex = outputIndex
        self.priority = priority
        self.table = table
        self.scope = scope
        self.mtu = mtu
        self.advmss = advmss
    }
}

/// A route as listed by the kernel.
public struct RouteEntry: Sendable, Equatable {
    public var destination: IPNetwork
    public var gateway: IPAddress?
    public var outputIndex: Int32?
    public var priority: UInt32?
    public var table: UInt32
    public var scope: UInt8
    /// `RTN_*`: unicast (1), local, broadcast, blackhole…
    public var type: UInt8
    /// `RTPROT_*`: who installed it (kernel 2, boot 3 for `ip route` and Pontoon, dhcp…).
    public var routingProtocol: UInt8
    public var preferredSource: IPAddress?
    public var mtu: Int?
    public var advmss: Int?
}

/// The kernel's numbers for the routing vocabulary Pontoon uses.
public enum RouteScope {
    public static let universe = UInt8(RT_SCOPE_UNIVERSE.rawValue)
    public static let link = UInt8(RT_SCOPE_LINK.rawValue)
    public static let host = UInt8(RT_SCOPE_HOST.rawValue)
}

public enum RouteTable {
    public static let main = UInt32(RT_TABLE_MAIN.rawValue)
    public static let local = UInt32(RT_TABLE_LOCAL.rawValue)
}

extension RouteSocket {
    /// Add a route beside any other route to the same destination (NLM_F_APPEND), as the reference
    /// plugin does: a container on two networks gets a default route through each (IPv4 keeps both,
    /// IPv6 merges them into one multipath route). A route already there exactly as asked is not an
    /// error; any other EEXIST propagates.
    public func addRoute(_ route: RouteSpec) throws {
        do {
            try execute("add route \(Self.describe(route))", type: Int32(RTM_NEWROUTE), flags: NLM_F_CREATE | NLM_F_APPEND,
                        build: Self.routeAddition(route))
        } catch let error as NetlinkError where error.isExists {
            guard try hasRoute(route) else { throw error }
        }
    }

    /// Whether the table holds `route` as asked: destination, gateway, device and metric.
    func hasRoute(_ route: RouteSpec) throws -> Bool {
        let table = UInt32(truncatingIfNeeded: route.table ?? Int(RouteTable.main))
        return try routes(family: route.destination.family, table: table).contains { entry in
            entry.destination == route.destination && entry.gateway == route.gateway
                && (route.outputIndex == nil || entry.outputIndex == route.outputIndex)
                && (route.priority == nil || entry.priority == route.priority.map { UInt32(truncatingIfNeeded: $0) })
        }
    }

    /// The routes of one family: all tables by default, or one (`RouteTable.main`). Cached clones
    /// (IPv6's RTM_F_CLONED exceptions) are not routes anyone configured and are left out.
    public func routes(family: IPFamily, table: UInt32? = nil) throws -> [RouteEntry] {
        let messages = try dump("list routes", type: Int32(RTM_GETROUTE)) { request in
            var header = rtmsg()
            header.rtm_family = family.addressFamily
            request.append(header)
            // Strict checking makes the kernel walk only that table.
            if let table, filtersDumps { request.put(RTA_TABLE.rawValue, u32: table) }
        }
        return messages.compactMap { Self.routeEntry($0, family: family) }.filter { table == nil || $0.table == table }
    }

    static func describe(_ route: RouteSpec) -> String {
        "\(route.destination)" + (route.gateway.map { " via \($0)" } ?? "") + (route.outputIndex.map { " dev #\($0)" } ?? "")
    }

    /// The body of RTM_NEWROUTE.
    static func routeAddition(_ route: RouteSpec) -> (Request) -> Void {
        { request in
            var header = rtmsg()
            header.rtm_family = route.destination.family.addressFamily
            header.rtm_dst_len = UInt8(route.destination.prefixLength)
            let table = route.table ?? Int(RouteTable.main)
            // rtm_table is 8 bits; larger table ids travel in RTA_TABLE (which wins when present).
            header.rtm_table = table < 256 ? UInt8(table) : UInt8(RT_TABLE_UNSPEC.rawValue)
            header.rtm_protocol = UInt8(RTPROT_BOOT)
            header.rtm_scope = route.scope ?? (route.gateway == nil ? RouteScope.link : RouteScope.universe)
            header.rtm_type = UInt8(RTN_UNICAST)
            request.append(header)
            if route.destination.prefixLength > 0 {
                request.put(RTA_DST.rawValue, bytes: route.destination.network.bytes)
            }
            if let gateway = route.gateway { request.put(RTA_GATEWAY.rawValue, bytes: gateway.bytes) }
            if let index = route.outputIndex { request.put(RTA_OIF.rawValue, u32: UInt32(bitPattern: index)) }
            if let priority = route.priority { request.put(RTA_PRIORITY.rawValue, u32: UInt32(truncatingIfNeeded: priority)) }
            if table >= 256 { request.put(RTA_TABLE.rawValue, u32: UInt32(truncatingIfNeeded: table)) }
            if route.mtu != nil || route.advmss != nil {
                request.nest(RTA_METRICS.rawValue) {
                    if let mtu = route.mtu { request.put(RTAX_MTU, u32: UInt32(truncatingIfNeeded: mtu)) }
                    if let advmss = route.advmss { request.put(RTAX_ADVMSS, u32: UInt32(truncatingIfNeeded: advmss)) }
                }
            }
        }
    }

    /// Decode an RTM_NEWROUTE; nil for other messages, other families and cached clones.
    static func routeEntry(_ message: NetlinkMessage, family: IPFamily) -> RouteEntry? {
        let size = MemoryLayout<rtmsg>.size
        guard Int32(message.type) == Int32(RTM_NEWROUTE), message.body.count >= size,
              IPFamily(addressFamily: message.body[0]) == family,
              message.body.loadLittleEndianU32(at: 8) & UInt32(RTM_F_CLONED) == 0 else { return nil }
        let attributes = message.attributes(after: size)
        let zero: IPAddress = family == .v4 ? .v4(IPv4Address(0)) : .v6(IPv6Address(high: 0, low: 0))
        let destinationAddress = attributes.payload(RTA_DST.rawValue).flatMap(IPAddress.init(bytes:)) ?? zero
        guard let destination = IPNetwork(address: destinationAddress, prefixLength: Int(message.body[1])) else { return nil }
        let metrics = attributes.nested(RTA_METRICS.rawValue)
        return RouteEntry(destination: destination,
                          gateway: attributes.payload(RTA_GATEWAY.rawValue).flatMap(IPAddress.init(bytes:)),
                          outputIndex: attributes.i32(RTA_OIF.rawValue),
                          priority: attributes.u32(RTA_PRIORITY.rawValue),
                          table: attributes.u32(RTA_TABLE.rawValue) ?? UInt32(message.body[4]),
                          scope: message.body[6],
                          type: message.body[7],
                          routingProtocol: message.body[5],
                          preferredSource: attributes.payload(RTA_PREFSRC.rawValue).flatMap(IPAddress.init(bytes:)),
                          mtu: metrics?.u32(RTAX_MTU).map(Int.init),
                          advmss: metrics?.u32(RTAX_ADVMSS).map(Int.init))
    }
}
