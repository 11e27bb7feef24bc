import CNetlink
import NetAddress
#if canImport(Glibc)
import Glibc
#endif

/// An address on an interface (RTM_NEWADDR).
public struct InterfaceAddress: Sendable, Equatable {
    public var address: IPNetwork
    public var index: Int32
    /// `RT_SCOPE_*`: 0 global, 253 link (fe80::/10), 254 host (loopback).
    public var scope: UInt8
    /// `IFA_F_*` (IFA_FLAGS when the kernel sent it, which carries bits the 8-bit field cannot).
    public var flags: UInt32

    /// Still undergoing (or failed) duplicate address detection: not usable yet.
    public var isTentative: Bool { flags & UInt32(IFA_F_TENTATIVE | IFA_F_DADFAILED) != 0 }
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
        try execute("add address \(address) to link #\(index)", type: Int32(RTM_NEWADDR), flags: NLM_F_CREATE | NLM_F_EXCL,
                    build: Self.addressChange(address, index: index, noDAD: noDAD, adding: true))
    }

    /// Remove an address; EADDRNOTAVAIL (`isNotFound`) when it is not there.
    public func deleteAddress(_ address: IPNetwork, index: Int32) throws {
        try execute("delete address \(address) from link #\(index)", type: Int32(RTM_DELADDR),
                    build: Self.addressChange(address, index: index, noDAD: false, adding: false))
    }

    /// Addresses, optionally of one interface and one family; nothing else is filtered out (link
    /// local, tentative and deprecated addresses included: `flags` and `scope` tell them apart).
    public func addresses(index: Int32?, family: IPFamily?) throws -> [InterfaceAddress] {
        let messages = try dump("list addresses", type: Int32(RTM_GETADDR)) { request in
            var header = ifaddrmsg()
            header.ifa_family = family?.addressFamily ?? UInt8(AF_UNSPEC)
            // With strict checking the kernel reads only this interface's addresses instead of
            // every veth's link-local address on a busy host.
            if let index, filtersDumps { header.ifa_index = UInt32(bitPattern: index) }
            request.append(header)
        }
        return messages.compactMap(InterfaceAddress.init).filter {
            (index == nil || $0.index == index) && (family == nil || $0.address.family == family)
        }
    }

    /// The body of RTM_NEWADDR / RTM_DELADDR. IPv4 names the address twice (IFA_LOCAL is the
    /// interface's own, IFA_ADDRESS the peer's on point-to-point links) and adds the broadcast
    /// address as `ip addr add` does; /31 and /32 have none.
    static func addressChange(_ address: IPNetwork, index: Int32, noDAD: Bool, adding: Bool) -> (Request) -> Void {
        { request in
            request.append(Self.addressHeader(address, index: index))
            request.put(IFA_LOCAL, bytes: address.address.bytes)
            request.put(IFA_ADDRESS, bytes: address.address.bytes)
            if adding, address.family == .v4, address.prefixLength < 31 {
                request.put(IFA_BROADCAST, bytes: address.lastAddress.bytes)
            }
            // IFA_FLAGS, not the 8-bit ifa_flags: the kernel reads extended flags only from here.
            if adding, noDAD, address.family == .v6 {
                request.put(IFA_FLAGS, u32: UInt32(IFA_F_NODAD))
            }
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

extension InterfaceAddress {
    /// Decode an RTM_NEWADDR; nil for anything else.
    init?(_ message: NetlinkMessage) {
        let size = MemoryLayout<ifaddrmsg>.size
        guard Int32(message.type) == Int32(RTM_NEWADDR), message.body.count >= size,
              let family = IPFamily(addressFamily: message.body[0]) else { return nil }
        let attributes = message.attributes(after: size)
        // IPv4 keeps the interface's own address in IFA_LOCAL (IFA_ADDRESS is the peer's on
        // point-to-point links); IPv6 has only IFA_ADDRESS unless a peer was configured.
        let bytes = (family == .v4 ? attributes.payload(IFA_LOCAL) : nil) ?? attributes.payload(IFA_ADDRESS)
        guard let bytes, let ip = IPAddress(bytes: bytes), ip.family == family,
              let network = IPNetwork(address: ip, prefixLength: Int(message.body[1])) else { return nil }
        self.init(address: network, index: Int32(bitPattern: message.body.loadLittleEndianU32(at: 4)),
                  scope: message.body[3], flags: attributes.u32(IFA_FLAGS) ?? UInt32(message.body[2]))
    }
}
