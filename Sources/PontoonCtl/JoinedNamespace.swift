import Foundation
import NetAddress
import Netavark
import Netlink

/// What is configured in a namespace pontoonctl did not set up (`--network ns:PATH`), read over
/// netlink as libpod's `inspectJoinedNetworkNS` reads it: every interface but loopback, its
/// addresses but link-local ones, and the default gateway through it.
public enum JoinedNamespace {
    /// IFF_LOOPBACK.
    static let loopbackFlag: UInt32 = 0x8

    public static func status(netns: String) throws(CtlError) -> StatusBlock {
        do {
            let socket = try RouteSocket(in: try NetworkNamespace(path: netns))
            let links = try socket.links().filter { $0.flags & loopbackFlag == 0 }
            let addresses = try socket.addresses(index: nil, family: nil)
            var defaults: [RouteEntry] = []
            for family in IPFamily.allCases {
                defaults += try socket.routes(family: family).filter { $0.table == RouteTable.main && $0.destination.prefixLength == 0 }
            }
            var block = StatusBlock()
            for link in links {
                let subnets = addresses.filter { $0.index == link.index && !isLinkLocal($0.address) }.map { entry in
                    let gateway = defaults.first { $0.outputIndex == link.index && $0.destination.family == entry.address.family }?.gateway
                    return StatusBlock.NetAddress(ipnet: "\(entry.address)", gateway: gateway.map { "\($0)" })
                }
                block.interfaces[link.name] = StatusBlock.NetInterface(macAddress: link.mac.map { "\($0)" } ?? "", subnets: subnets)
            }
            return block
        } catch {
            throw CtlError(.failed, "cannot read the network namespace \(netns): \(error)")
        }
    }

    /// 169.254.0.0/16 and fe80::/10, which podman leaves out.
    static func isLinkLocal(_ address: IPNetwork) -> Bool {
        let v4 = IPNetwork("169.254.0.0/16")!, v6 = IPNetwork("fe80::/10")!
        return v4.contains(address.address) || v6.contains(address.address)
    }

    /// A path to a network namespace: setns into it must work (a regular file or another kind of
    /// namespace is refused).
    public static func validate(_ path: String) throws(CtlError) {
        guard path.hasPrefix("/"), !path.split(separator: "/").contains("..") else {
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
