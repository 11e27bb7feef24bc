import Foundation
import Testing
import TestSupport

/// A LAN for macvlan and ipvlan tests: the private host's `eth0` is one end of a veth whose other
/// end, also `eth0`, sits in an "outside" namespace holding 10.77.0.1/24 and fd00:77::1/64 (the
/// gateway, a neighbour on the parent's segment). The host has 10.77.0.254 and its default route
/// through the outside, so an empty parent means `eth0`.
struct LinkedLAN {
    let host: PrivateHost
    let outside: String
    static let gateway = "10.77.0.1"

    init(_ host: PrivateHost) throws {
        self.host = host
        outside = try host.container("out")
        let made = try host.exec(host.name, """
            ip link add eth0 type veth peer name eth0 netns \(outside) && ip link set eth0 up && \
            ip addr add 10.77.0.254/24 dev eth0 && ip route add default via 10.77.0.1
            """)
        try #require(made.status == 0, "\(made.stderrText)")
        let out = try host.exec(outside, """
            ip link set lo up && ip addr add 10.77.0.1/24 dev eth0 && ip addr add fd00:77::1/64 dev eth0 nodad && ip link set eth0 up
            """)
        try #require(out.status == 0, "\(out.stderrText)")
    }

    /// One container on one or more macvlan/ipvlan networks, as podman sends it. Each network:
    /// its name, and what differs from a macvlan on eth0 in bridge mode with host-local IPAM.
    struct Net {
        var name = "lan"
        var driver = "macvlan"
        var parent = "eth0"
        var options: [String: String] = [:]
        var isInternal = false
        var ipam = "host-local"
        var subnets: [(String, String)] = [("10.77.0.0/24", "10.77.0.1"), ("fd00:77::/64", "fd00:77::1")]
        var staticIPs = ["10.77.0.10", "fd00:77::10"]
        var staticMAC: String?
        var ifName = "eth0"
    }

    static func request(id: String, _ networks: [Net]) -> [String: Any] {
        var info: [String: Any] = [:], perNetwork: [String: Any] = [:]
        for net in networks {
            info[net.name] = [
                "name": net.name, "id": String(repeating: "a", count: 64), "driver": net.driver, "network_interface": net.parent,
                "created": "2026-12-07T00:00:00Z",
                "subnets": net.subnets.map { ["subnet": $0.0, "gateway": $0.1] },
                "ipv6_enabled": net.subnets.contains { $0.0.contains(":") }, "internal": net.isInternal, "dns_enabled": false,
                "ipam_options": ["driver": net.ipam], "options": net.options,
            ] as [String: Any]
            var options: [String: Any] = ["interface_name": net.ifName]
            if !net.staticIPs.isEmpty { options["static_ips"] = net.staticIPs }
            if let mac = net.staticMAC { options["static_mac"] = mac }
            perNetwork[net.name] = options
        }
        return ["container_id": id, "container_name": "lanc", "networks": perNetwork, "network_info": info]
    }

    /// Records and leases pontoon keeps under the `--config` that `PrivateHost.netavark` passes.
    func stateFiles() -> [String] {
        let root = host.scratch.file("netavark")
        let files = FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []
        return files.filter { path in
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isDirectory)
            return !isDirectory.boolValue && !path.hasSuffix("lock") && !path.contains("last_reserved_ip")
        }
    }

    /// The private host's links, to prove nothing was made or left on the host.
    func hostLinks() throws -> Set<String> { try host.linkNames(host.name) }
}

extension RunResult {
    /// The netavark error JSON's message.
    var netavarkError: String { (json as? [String: Any])?["error"] as? String ?? "" }
}
