import Foundation
import HostSystem
import NetAddress
import Netavark
import Netlink

/// What is configured in a namespace pontoonctl did not set up (`--network ns:PATH`), read over
/// netlink as libpod's `inspectJoinedNetworkNS` reads it.
public enum JoinedNamespace {
    /// IFF_LOOPBACK.
    static let loopbackFlag: UInt32 = 0x8

    /// One interface as read: its name, MAC and every address it has.
    public struct Interface: Sendable, Equatable {
        public var name: String
        public var mac: String
        public var addresses: [IPNetwork]

        public init(name: String, mac: String, addresses: [IPNetwork]) {
            self.name = name
            self.mac = mac
            self.addresses = addresses
        }
    }

    public static func status(netns: String) throws(CtlError) -> StatusBlock {
        do {
            let socket = try RouteSocket(in: try NetworkNamespace(path: netns))
            let addresses = try socket.addresses(index: nil, family: nil)
            let interfaces = try socket.links().filter { $0.flags & loopbackFlag == 0 }.map { link in
                Interface(name: link.name, mac: link.mac.map { "\($0)" } ?? "",
                          addresses: addresses.filter { $0.index == link.index }.map(\.address))
            }
            // The main table's default routes, IPv4's listed before IPv6's as a dump of both families lists them.
            var defaults: [IPAddress?] = []
            for family in IPFamily.allCases {
                defaults += try socket.routes(family: family).filter { $0.table == RouteTable.main && $0.destination.prefixLength == 0 }
                    .map(\.gateway)
            }
            return block(interfaces, defaultRoutes: defaults)
        } catch {
            throw CtlError(.failed, "cannot read the network namespace \(netns): \(error)")
        }
    }

    /// libpod's reading, rule by rule: loopback is left out (by the caller), so is an interface
    /// without any address; link-local addresses are skipped; there is one default gateway, the
    /// last default route's (so IPv6's when both families have one, none when that route has no
    /// gateway), given to each address whose subnet contains it.
    public static func block(_ interfaces: [Interface], defaultRoutes: [IPAddress?]) -> StatusBlock {
        let gateway = defaultRoutes.last ?? nil
        var block = StatusBlock()
        for interface in interfaces where !interface.addresses.isEmpty {
            let subnets = interface.addresses.filter { !isLinkLocal($0) }.map { address in
                StatusBlock.NetAddress(ipnet: "\(address)", gateway: gateway.flatMap { address.contains($0) ? "\($0)" : nil })
            }
            block.interfaces[interface.name] = StatusBlock.NetInterface(macAddress: interface.mac, subnets: subnets)
        }
        return block
    }

    /// 169.254.0.0/16 and fe80::/10, which podman leaves out.
    static func isLinkLocal(_ address: IPNetwork) -> Bool {
        let v4 = IPNetwork("169.254.0.0/16")!, v6 = IPNetwork("fe80::/10")!
        return v4.contains(address.address) || v6.contains(address.address)
    }

    /// A path to a network namespace: setns into it must work (a regular file or another kind of
    /// namespace is refused).
    public static func validate(_ path: String) throws(CtlError) {
        guard PathRule.isAbsoluteWithoutParent(path) else {
            throw CtlError(.usage, "--network ns:\(path): the path must be absolute, without ..")
        }
        guard FileManager.default.fileExists(atPath: path) else { throw CtlError(.notFound, "--network ns:\(path): no such file") }
        do {
            _ = try RouteSocket(in: try NetworkNamespace(path: path)).links()
        } catch {
            throw CtlError(.usage, "--network ns:\(path) is not a network namespace: \(error)")
        }
    }
}
