import Foundation
import HostSystem

/// The transparent mode of the port proxy (`--port-handler transparent`, the default of rootless
/// bridge containers): its helper, root in the user namespace that owns the rootless netns, binds
/// each inner socket to the client's own address with IP_TRANSPARENT before it connects, so the
/// container sees the real peer. The container's answers to that address (not one of the netns')
/// are delivered to the local socket by policy routing: nftables marks what belongs to a
/// transparent socket, and the mark's table routes everything to `lo`.
public enum TransparentRouting {
    /// pontoon's firewall marks nothing; no bit of netavark's and the portmap plugin's 0x2000
    /// masquerade mark nor of kube-proxy's 0x4000 and 0x8000. The table is the mark in decimal.
    static let mark = "0x1470"
    static let table = "5232"
    static let nftTable = "pontoon-proxy"

    /// Made once per rootless netns by the first transparent helper (the create that starts it holds
    /// the netns lock); idempotent, so a later helper finds it made and changes nothing. IPv6 is
    /// best-effort: a netns with IPv6 disabled still serves IPv4 clients.
    public static func setUp() -> String? {
        for family in ["-4", "-6"] {
            let rule = command(["ip", family, "rule", "show", "fwmark", mark, "lookup", table])
            if rule.status == 0, rule.output.isEmpty {
                let added = command(["ip", family, "rule", "add", "fwmark", mark, "lookup", table])
                if added.status != 0, family == "-4" { return "ip rule add fwmark \(mark) lookup \(table): \(added.output)" }
            }
            let route = command(["ip", family, "route", "replace", "local", family == "-4" ? "0.0.0.0/0" : "::/0", "dev", "lo", "table", table])
            if route.status != 0, family == "-4" { return "ip route replace local 0.0.0.0/0 dev lo table \(table): \(route.output)" }
        }
        // Declared, then deleted and rewritten in one transaction: the same table whoever runs it.
        let script = """
            table inet \(nftTable)
            delete table inet \(nftTable)
            table inet \(nftTable) {
                chain prerouting {
                    type filter hook prerouting priority mangle; policy accept;
                    socket transparent 1 meta mark set \(mark) accept
                }
            }

            """
        let nft = command(["nft", "-f", "-"], stdin: script)
        return nft.status == 0 ? nil : "nft table inet \(nftTable): \(nft.output)"
    }

    private static func command(_ arguments: [String], stdin: String = "") -> (status: Int32, output: String) {
        let path = ["/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/"].map { $0 + arguments[0] }
            .first { FileManager.default.isExecutableFile(atPath: $0) } ?? arguments[0]
        do throws(SystemError) {
            let outcome = try ChildProcess.run(path, arguments: Array(arguments.dropFirst()), environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"],
                                               stdin: Array(stdin.utf8), stderr: .mergedIntoStdout)
            return (outcome.status, String(decoding: outcome.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        } catch {
            return (-1, error.reason)
        }
    }
}

extension ProxySocket {
    static let ipTransparent: Int32 = 19     // IP_TRANSPARENT, <linux/in.h>
    static let ipv6Transparent: Int32 = 75   // IPV6_TRANSPARENT, <linux/in6.h>
    static let ipBindAddressNoPort: Int32 = 24   // IP_BIND_ADDRESS_NO_PORT, <linux/in.h>; IPv6 sockets too

    /// The address a client connected from, as text and port.
    static func peer(_ storage: sockaddr_storage) -> (address: String, port: Int)? {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        var copy = storage
        return withUnsafeBytes(of: &copy) { raw -> (String, Int)? in
            switch Int32(storage.ss_family) {
            case AF_INET:
                var address = raw.load(as: sockaddr_in.self)
                guard inet_ntop(AF_INET, &address.sin_addr, &text, socklen_t(text.count)) != nil else { return nil }
                return (String(cString: text), Int(UInt16(bigEndian: address.sin_port)))
            case AF_INET6:
                var address = raw.load(as: sockaddr_in6.self)
                guard inet_ntop(AF_INET6, &address.sin6_addr, &text, socklen_t(text.count)) != nil else { return nil }
                return (String(cString: text), Int(UInt16(bigEndian: address.sin6_port)))
            default:
                return nil
            }
        }
    }

    /// Whether the inner socket can carry `source` as the client's address to `target`: not a
    /// loopback client (the rootless netns' own `lo` would answer it, and the container could not
    /// route back to it), and of the target's family.
    static func canBindTransparently(_ source: String, to target: String) -> Bool {
        guard source.contains(":") == target.contains(":") else { return false }
        if source.contains(":") { return source != "::1" && !source.lowercased().hasPrefix("::ffff:127.") }
        return !source.hasPrefix("127.")
    }

    /// Binds `fd`, not yet connected, to `source`:`port` with IP_TRANSPARENT (IPV6_TRANSPARENT):
    /// an address of none of the netns' interfaces. UDP keeps the client's port (reused, so that the
    /// same client of two listeners gets two flows); TCP takes port 0, as a client's port may still
    /// be in TIME_WAIT from its last connection.
    static func bindTransparently(_ fd: Int32, _ source: String, _ port: Int) -> Int32 {
        guard case (var storage, let length)? = address(source, port) else { return EINVAL }
        var one: Int32 = 1
        let size = socklen_t(MemoryLayout<Int32>.size)
        let set = source.contains(":") ? setsockopt(fd, Int32(IPPROTO_IPV6), ipv6Transparent, &one, size)
                                       : setsockopt(fd, Int32(IPPROTO_IP), ipTransparent, &one, size)
        guard set == 0 else { return errno }
        // TCP: the port is chosen by connect, from the 4-tuple, not by bind among every bound port.
        if port != 0 { setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, size) } else { setsockopt(fd, Int32(IPPROTO_IP), ipBindAddressNoPort, &one, size) }
        let bound = withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        return bound == 0 ? 0 : errno
    }
}
