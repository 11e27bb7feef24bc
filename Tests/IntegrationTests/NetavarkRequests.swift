import Foundation
import Testing
import TestSupport

/// The netavark-protocol plugins side by side: pontoon, and Debian's netavark 1.4.0 as the reference.
enum NetavarkPlugin: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case pontoon, netavark

    var binary: String { self == .pontoon ? Binaries.pontoon : "/usr/lib/podman/netavark" }
    var testDescription: String { rawValue }
    /// netavark runs iptables as a child process: it needs a PATH (podman passes its own).
    var environment: [String: String] { ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"] }
}

/// podman's dual-stack DNS network from the capture (`capnet2`: bridge podman2, 10.92.0.0/24 and
/// fd00:92::/64, routed), alone, for one container, with `options` as the network's options.
func dualStackRequest(id: String, name: String, v4: String, v6: String, options: [String: String]? = nil) throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: Repository.testdata + "/podman/podman-netavark-multi-dns.json"))
    let capture = try JSONSerialization.jsonObject(with: data) as! [String: Any]
    var stdin = (capture["setup_two_networks_with_dns"] as! [String: Any])["stdin"] as! [String: Any]
    var network = (stdin["network_info"] as! [String: [String: Any]])["capnet2"]!
    if let options { network["options"] = options }
    stdin["network_info"] = ["capnet2": network]
    stdin["networks"] = ["capnet2": ["static_ips": [v4, v6], "aliases": [String(id.prefix(12))], "interface_name": "eth0"] as [String: Any]]
    stdin["port_mappings"] = [Any]()
    stdin["container_id"] = id
    stdin["container_name"] = name
    return stdin
}
