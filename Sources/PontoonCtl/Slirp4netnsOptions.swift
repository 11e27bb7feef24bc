import Foundation
import NetAddress

/// `--network slirp4netns[:OPTION=VALUE,…]`, parsed with podman's names, defaults and refusals.
public struct Slirp4netnsOptions: Codable, Sendable, Equatable {
    /// Who forwards published ports: slirp4netns itself (the client's address is kept) or
    /// a user-space proxy in rootlessport's manner (podman's default: the container sees the proxy's address).
    /// How published ports are served; `transparent` (the port proxy binding the client's address
    /// inside the rootless netns) is for rootless bridge containers only.
    public enum PortHandler: String, Codable, Sendable { case slirp4netns, rootlesskit, transparent }

    public var cidr: String?
    public var allowHostLoopback = false
    public var enableIPv6 = true
    public var outboundAddr: String?
    public var outboundAddr6: String?
    public var mtu = 65520
    public var portHandler = PortHandler.rootlesskit

    public init() {}

    /// What follows `slirp4netns:`; every option is checked before anything is made.
    public static func parse(_ text: String) throws(CtlError) -> Slirp4netnsOptions {
        var options = Slirp4netnsOptions()
        for item in text.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            guard let equals = item.firstIndex(of: "=") else { throw CtlError(.usage, "unknown option for slirp4netns: \"\(item)\"") }
            let name = String(item[..<equals]), value = String(item[item.index(after: equals)...])
            switch name {
            case "cidr":
                guard let network = IPNetwork(value), network.address.family == .v4 else { throw CtlError(.usage, "invalid cidr \"\(value)\"") }
                // slirp4netns puts the container at the network's address + 100.
                guard network.prefixLength <= 25 else { throw CtlError(.usage, "invalid cidr \"\(value)\": slirp4netns needs a /25 or larger") }
                options.cidr = value
            case "port_handler":
                guard let handler = PortHandler(rawValue: value), handler != .transparent else {
                    throw CtlError(.usage, "unknown port_handler for slirp4netns: \"\(value)\"")
                }
                options.portHandler = handler
            case "allow_host_loopback":
                options.allowHostLoopback = try flag(value, name)
            case "enable_ipv6":
                options.enableIPv6 = try flag(value, name)
            case "outbound_addr":
                guard IPAddress(value)?.family == .v4 || isInterface(value) else { throw CtlError(.usage, "invalid outbound_addr \"\(value)\"") }
                options.outboundAddr = value
            case "outbound_addr6":
                guard IPAddress(value)?.family == .v6 || isInterface(value) else { throw CtlError(.usage, "invalid outbound_addr6 \"\(value)\"") }
                options.outboundAddr6 = value
            case "mtu":
                guard let mtu = Int(value), mtu >= 68, mtu <= 65521 else { throw CtlError(.usage, "invalid mtu \"\(value)\"") }
                options.mtu = mtu
            default:
                throw CtlError(.usage, "unknown option for slirp4netns: \"\(item)\"")
            }
        }
        return options
    }

    /// slirp4netns's DNS forwarder: the network's address + 3 (10.0.2.3 by default).
    public var dnsServer: String {
        let network = IPNetwork(cidr ?? "10.0.2.0/24")?.network ?? IPAddress("10.0.2.0")!
        return network.advanced(by: 3).map { "\($0)" } ?? "10.0.2.3"
    }

    /// The container's own address on tap0: the network's address + 100 (10.0.2.100 by default),
    /// which the port proxy connects to inside the namespace, as rootlessport does.
    public var guestAddress: String {
        let network = IPNetwork(cidr ?? "10.0.2.0/24")?.network ?? IPAddress("10.0.2.0")!
        return network.advanced(by: 100).map { "\($0)" } ?? "10.0.2.100"
    }

    private static func flag(_ value: String, _ name: String) throws(CtlError) -> Bool {
        switch value {
        case "true": true
        case "false": false
        default: throw CtlError(.usage, "invalid value of \(name) for slirp4netns: \"\(value)\"")
        }
    }

    /// An interface name is allowed where an address is, as podman allows it.
    private static func isInterface(_ name: String) -> Bool {
        !name.isEmpty && !name.contains("/") && FileManager.default.fileExists(atPath: "/sys/class/net/" + name)
    }

    /// The flags of this slirp4netns run before the fds, namespace and tap name; a flag the
    /// installed slirp4netns lacks is refused when it was asked for and left out when it is only
    /// hardening (sandbox, seccomp), as libpod does. `sandbox`: whether its mount namespace is
    /// private (see `Slirp4netnsProcess.start`).
    func arguments(supported help: String, apiSocket: String?, sandbox: Bool) throws(CtlError) -> [String] {
        func has(_ flag: String) -> Bool { help.contains(flag) }
        func need(_ flag: String, _ option: String) throws(CtlError) {
            guard has(flag) else { throw CtlError(.failed, "the installed slirp4netns does not support \(flag), which \(option) needs") }
        }
        var result: [String] = []
        if !allowHostLoopback {
            try need("--disable-host-loopback", "allow_host_loopback=false")
            result.append("--disable-host-loopback")
        }
        if has("--mtu") { result.append("--mtu=\(mtu)") }
        if sandbox, has("--enable-sandbox") { result.append("--enable-sandbox") }
        if has("--enable-seccomp") { result.append("--enable-seccomp") }
        if let cidr {
            try need("--cidr", "cidr=")
            result.append("--cidr=" + cidr)
        }
        if enableIPv6 {
            try need("--enable-ipv6", "enable_ipv6=true")
            result.append("--enable-ipv6")
        }
        if let outboundAddr {
            try need("--outbound-addr", "outbound_addr=")
            result.append("--outbound-addr=" + outboundAddr)
        }
        if let outboundAddr6 {
            try need("--outbound-addr6", "outbound_addr6=")
            result.append("--outbound-addr6=" + outboundAddr6)
        }
        if let apiSocket {
            try need("--api-socket", "port_handler=slirp4netns")
            result += ["--api-socket", apiSocket]
        }
        return result
    }
}
