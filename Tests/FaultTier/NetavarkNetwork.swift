import Foundation

/// The internal bridge network the netavark kill and sweep parts attach to, as podman describes it
/// (the shape of `podman-netavark-setup.json`), inside a worker's world.
struct NetavarkTestNetwork {
    let name: String
    let bridge: String
    let subnet: String
    let gateway: String
    let dns: Bool
    static let configDirectory = "/tmp/nv/config"

    func options(id: String, staticIP: String? = nil) -> [UInt8] {
        var perNetwork: [(String, JSON)] = [("interface_name", .string("eth0")), ("aliases", .array([.string(String(id.prefix(12)))]))]
        if let staticIP { perNetwork.append(("static_ips", .array([.string(staticIP)]))) }
        let info = JSON.object([("name", .string(name)), ("id", .string(String(repeating: "ab", count: 32))), ("driver", .string("bridge")),
                                ("network_interface", .string(bridge)),
                                ("subnets", .array([.object([("subnet", .string(subnet)), ("gateway", .string(gateway))])])),
                                ("ipv6_enabled", .bool(false)), ("internal", .bool(true)), ("dns_enabled", .bool(dns)),
                                ("ipam_options", .object([("driver", .string("host-local"))]))])
        return JSON.object([("container_id", .string(id)), ("container_name", .string("ctr-" + id.prefix(8))),
                            ("port_mappings", .array([])), ("networks", .object([(name, .object(perNetwork))])),
                            ("network_info", .object([(name, info)]))]).bytes
    }

    func call(_ verb: String, id: String, container: String, staticIP: String? = nil) -> NetavarkCall {
        NetavarkCall(configDirectory: Self.configDirectory, aardvark: NetavarkFuzzGenerator.aardvark, verb: verb,
                     netns: "/run/netns/" + container, stdin: options(id: id, staticIP: staticIP))
    }

    var allowed: AllowedPaths { AllowedPaths(directories: [Self.configDirectory]) }
}
