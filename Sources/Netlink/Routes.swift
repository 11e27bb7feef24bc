import CNetlink
import NetAddress
#if canImport(Glibc)
import Glibc
#endif

/// A route to add, or one read back from the kernel.
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
    public var type: UInt8
}

extension RouteSocket {
    public func addRoute(_ route: RouteSpec) throws {
        let description = "\(route.destination)" + (route.gateway.map { " via \($0)" } ?? "")
        try execute("add route \(description)", type: Int32(RTM_NEWROUTE), flags: NLM_F_CREATE | NLM_F_EXCL) { request in
            var header = rtmsg()
            header.rtm_family = route.destination.family.addressFamily
            header.rtm_dst_len = UInt8(route.destination.prefixLength)
            let table = route.table ?? Int(RT_TABLE_MAIN.rawValue)
            header.rtm_table = table < 256 ? UInt8(table) : UInt8(RT_TABLE_UNSPEC.rawValue)
            header.rtm_protocol = UInt8(RTPROT_BOOT)
            header.rtm_scope = route.scope ?? UInt8(route.gateway == nil ? RT_SCOPE_LINK.rawValue : RT_SCOPE_UNIVERSE.rawValue)
            header.rtm_type = UInt8(RTN_UNICAST)
            request.append(header)
            if route.destination.prefixLength > 0 {
                request.put(RTA_DST.rawValue, bytes: route.destination.network.bytes)
            }
            if let gateway = route.gateway { request.put(RTA_GATEWAY.rawValue, bytes: gateway.bytes) }
            if let index = route.outputIndex { request.put(RTA_OIF.rawValue, u32: UInt32(bitPattern: index)) }
            if let priority = route.priority { request.put(RTA_PRIORITY.rawValue, u32: UInt32(priority)) }
            if table >= 256 { request.put(RTA_TABLE.rawValue, u32: UInt32(table)) }
            if route.mtu != nil || route.advmss != nil {
                request.nest(RTA_METRICS.rawValue) {
                    if let mtu = route.mtu { request.put(RTAX_MTU, u32: UInt32(mtu)) }
                    if let advmss = route.advmss { request.put(RTAX_ADVMSS, u32: UInt32(advmss)) }
                }
            }
        }
    }

    /// Every route of one family, in all tables (callers match on table when it matters).
    public func routes(family: IPFamily) throws -> [RouteEntry] {
        let messages = try dump("list routes", type: Int32(RTM_GETROUTE)) { request in
            var header = rtmsg()
            header.rtm_family = family.addressFamily
            request.append(header)
        }
        let size = MemoryLayout<rtmsg>.size
        return messages.compactMap { message -> RouteEntry? in
            guard Int32(message.type) == Int32(RTM_NEWROUTE), message.body.count >= size,
                  IPFamily(addressFamily: message.body[0]) == family else { return nil }
            let attributes = message.attributes(after: size)
            let zero: IPAddress = family == .v4 ? .v4(IPv4Address(0)) : .v6(IPv6Address(high: 0, low: 0))
            let destinationAddress = attributes.payload(RTA_DST.rawValue).flatMap(IPAddress.init(bytes:)) ?? zero
            guard let destination = IPNetwork(address: destinationAddress, prefixLength: Int(message.body[1])) else { return nil }
            return RouteEntry(destination: destination,
                              gateway: attributes.payload(RTA_GATEWAY.rawValue).flatMap(IPAddress.init(bytes:)),
                              outputIndex: attributes.i32(RTA_OIF.rawValue),
                              priority: attributes.u32(RTA_PRIORITY.rawValue),
                              table: attributes.u32(RTA_TABLE.rawValue) ?? UInt32(message.body[4]),
                              scope: message.body[6],
                              type: message.body[7])
        }
    }
}
