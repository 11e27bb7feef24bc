import CNetlink
import NetAddress
#if canImport(Glibc)
import Glibc
#endif

/// An address on an interface (RTM_NEWADDR).
public struct InterfaceAddress: Sendable, Equatable {
    public var address: IPNetwork
    public var index: Int32
    public var scope: UInt8
    public var flags: UInt32
}

extension IPFamily {
    var addressFamily: UInt8 { UInt8(self == .v4 ? AF_INET : AF_INET6) }

    init?(addressFamily: UInt8) {
        switch Int32(addressFamily) {
        case AF_INET: self = .v4
        case AF_INET6: self = .v6
        default: return nil
        }
    }
}

extension RouteSocket {
    /// Add an address; `noDAD` makes an IPv6 address usable at once instead of after seconds of
    /// duplicate address detection. EEXIST propagates.
    public func addAddress(_ address: IPNetwork, index: Int32, noDAD: Bool) throws {
        try execute("add address \(address) to link #\(index)", type: Int32(RTM_NEWADDR), flags: NLM_F_CREATE | NLM_F_EXCL) { request in
            request.append(Self.addressHeader(address, index: index))
            request.put(IFA_LOCAL, bytes: address.address.bytes)
            request.put(IFA_ADDRESS, bytes: address.address.bytes)
            if address.family == .v4, address.prefixLength < 31 {
                request.put(IFA_BROADCAST, bytes: address.lastAddress.bytes)
            }
            if noDAD, address.family == .v6 {
                request.put(IFA_FLAGS, u32: UInt32(IFA_F_NODAD))
            }
        }
    }

    public func deleteAddress(_ address: IPNetwork, index: Int32) throws {
        try execute("delete address \(address) from link #\(index)", type: Int32(RTM_DELADDR)) { request in
            request.append(Self.addressHeader(address, index: index))
            request.put(IFA_LOCAL, bytes: address.address.bytes)
            request.put(IFA_ADDRESS, bytes: address.address.bytes)
        }
    }

    /// Addresses, optionally of one interface and one family.
    public func addresses(index: Int32?, family: IPFamily?) throws -> [InterfaceAddress] {
        let messages = try dump("list addresses", type: Int32(RTM_GETADDR)) { request in
            var header = ifaddrmsg()
            header.ifa_family = family?.addressFamily ?? UInt8(AF_UNSPEC)
            request.append(header)
        }
        return messages.compactMap { message -> InterfaceAddress? in
            let size = MemoryLayout<ifaddrmsg>.size
            guard Int32(message.type) == Int32(RTM_NEWADDR), message.body.count >= size,
                  let messageFamily = IFamily(message.body[0]) else { return nil }
            let prefix = Int(message.body[1])
            let scope = message.body[3]
            let linkIndex = Int32(bitPattern: message.body.loadLittleEndianU32(at: 4))
            guard index == nil || linkIndex == index, family == nil || messageFamily == family else { return nil }
            let attributes = message.attributes(after: size)
            // IPv4 keeps the interface's own address in IFA_LOCAL (IFA_ADDRESS is the peer's on
            // point-to-point links); IPv6 has only IFA_ADDRESS.
            let bytes = (messageFamily == .v4 ? attributes.payload(IFA_LOCAL) : nil) ?? attributes.payload(IFA_ADDRESS)
            guard let bytes, let ip = IPAddress(bytes: bytes), let network = IPNetwork(address: ip, prefixLength: prefix) else { return nil }
            let flags = attributes.u32(IFA_FLAGS) ?? UInt32(message.body[2])
            return InterfaceAddress(address: network, index: linkIndex, scope: scope, flags: flags)
        }
    }

    static func addressHeader(_ address: IPNetwork, index: Int32) -> ifaddrmsg {
        var header = ifaddrmsg()
        header.ifa_family = address.family.addressFamily
        header.ifa_prefixlen = UInt8(address.prefixLength)
        header.ifa_index = UInt32(bitPattern: index)
        return header
    }
}

private func IFamily(_ value: UInt8) -> IPFamily? { IPFamily(addressFamily: value) }
