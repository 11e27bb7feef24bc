import Foundation
import NetAddress
import Netavark

/// What one port proxy serves (rootlessport's role, `port_handler=rootlesskit`): listeners in the
/// namespace it runs in, each connection or UDP flow relayed through a socket made inside `netns`
/// towards `target`. Written as JSON beside the container's state for the proxy to read.
public struct PortProxySpec: Codable, Sendable, Equatable {
    public struct Forward: Codable, Sendable, Equatable {
        public var proto: String
        public var hostAddress: String
        public var hostPort: Int
        public var targetPort: Int

        /// `0.0.0.0:8080/tcp`, as errors name a listener.
        public var listener: String {
            (hostAddress.contains(":") ? "[\(hostAddress)]" : hostAddress) + ":\(hostPort)/\(proto)"
        }
    }

    /// The namespace the inner sockets are made in: the container's, or the rootless netns.
    public var netns: String
    /// Rootless: the pause process whose user and mount namespaces hold `netns`.
    public var pause: Int32?
    /// The address connected to inside `netns`.
    public var target: String
    public var forwards: [Forward]
    /// The helper binds each inner socket to the client's address (`TransparentRouting`): the
    /// container sees the real peer; loopback clients, and clients of the other family, are not.
    public var transparent = false
    /// A UDP flow with no datagram either way for this long is dropped (rootlesskit's is 60 s).
    public var udpIdleSeconds: Int = 60

    /// The listeners of `-p` mappings, a range port by port; only TCP and UDP are proxied.
    static func forwards(_ mappings: [PortMapping], handler: Slirp4netnsOptions.PortHandler = .rootlesskit) throws(CtlError) -> [Forward] {
        var result: [Forward] = []
        for mapping in mappings {
            guard mapping.protocol == "tcp" || mapping.protocol == "udp" else {
                throw CtlError(.usage, "port mapping \(mapping.hostPort)/\(mapping.protocol): port_handler=\(handler.rawValue) proxies only tcp and udp")
            }
            let host = mapping.hostIP ?? ""
            guard host.isEmpty || IPAddress(host) != nil else { throw CtlError(.usage, "port mapping: \"\(host)\" is not an IP address") }
            for offset in 0..<(mapping.range ?? 1) {
                result.append(Forward(proto: mapping.protocol, hostAddress: host.isEmpty ? "0.0.0.0" : host,
                                      hostPort: mapping.hostPort + offset, targetPort: mapping.containerPort + offset))
            }
        }
        return result
    }
}
