import Foundation
import Testing
import TestSupport

/// Bad requests to the netavark door, run through the built binary as podman runs it: one
/// `{"error": …}` on stdout naming the problem, exit status 1, nothing on stderr, nothing written.
@Suite("netavark errors")
struct NetavarkErrorTests {
    static func options(driver: String = "bridge", info: Bool = true, containerID: String = "abc123",
                        ipam: String = "host-local", staticIP: String = "10.91.0.2", options: [String: String] = [:],
                        interfaceName: String = "eth0") -> String {
        var network: [String: Any] = ["name": "net1", "id": "x", "driver": driver, "network_interface": "ptnv0"]
        network["subnets"] = [["subnet": "10.91.0.0/24", "gateway": "10.91.0.1"]]
        network["ipv6_enabled"] = false
        network["internal"] = true
        network["dns_enabled"] = false
        network["ipam_options"] = ["driver": ipam]
        network["options"] = options
        var object: [String: Any] = ["container_id": containerID, "container_name": "c1"]
        let perNetwork: [String: Any] = ["static_ips": [staticIP], "interface_name": interfaceName]
        object["networks"] = ["net1": perNetwork]
        object["network_info"] = info ? ["net1": network] : [String: Any]()
        let data = try! JSONSerialization.data(withJSONObject: object)
        return String(decoding: data, as: UTF8.self)
    }

    static let cases: [(String, String, [String])] = [
        ("{", "invalid network options: malformed JSON (The given data was not valid JSON.)", ["setup", "/run/netns/none"]),
        (options(driver: "overlay"), "network net1: driver \"overlay\" is not supported: pontoon serves bridge, macvlan and ipvlan networks", ["setup", "/run/netns/none"]),
        (options(driver: "macvlan", options: ["mode": "sideways"]), "network net1: macvlan mode \"sideways\" is not one of bridge, private, vepa, passthru, source", ["setup", "/run/netns/none"]),
        (options(driver: "ipvlan", options: ["mode": "l4"]), "network net1: ipvlan mode \"l4\" is not one of l2, l3, l3s", ["setup", "/run/netns/none"]),
        (options(driver: "macvlan", options: ["vlan": "5"]), "network net1: unsupported macvlan network option vlan", ["setup", "/run/netns/none"]),
        (options(info: false), "network net1 is not described in network_info", ["setup", "/run/netns/none"]),
        (options(containerID: "../x"), "invalid container id \"../x\": a container id starts with a letter or digit and holds only letters, digits, '_', '.', '-'", ["setup", "/run/netns/none"]),
        (options(ipam: "dhcp"), "network net1: ipam driver \"dhcp\" is not supported: pontoon serves host-local and none", ["setup", "/run/netns/none"]),
        (options(staticIP: "10.5.0.2"), "network net1: static IP 10.5.0.2 is outside every subnet: subnets: 10.91.0.0/24", ["setup", "/run/netns/none"]),
        (options(options: ["bogus": "1"]), "network net1: unsupported bridge network option bogus", ["setup", "/run/netns/none"]),
        // The kernel would make "eth%d" as eth0, a name teardown is never given (found by the fault tier's fuzz).
        (options(interfaceName: "eth%d"), "invalid interface_name of network net1 \"eth%d\": contains %, which the kernel takes as a name template", ["setup", "/run/netns/none"]),
        (options(options: ["mtu": "20"]), "invalid network net1 option mtu 20: must be between 68 and 65535", ["setup", "/run/netns/none"]),
        (options(), "network namespace /run/netns/pontoon-absent-netns does not exist", ["setup", "/run/netns/pontoon-absent-netns"]),
        ("", "no command given: expected setup, teardown, update or version", []),
        ("", "--config \"relative/dir\": must be an absolute path without \"..\"", ["--config", "relative/dir", "version"]),
    ]

    @Test("each bad request answers one error document", arguments: cases)
    func refused(_ input: (String, String, [String])) throws {
        let scratch = try TemporaryDirectory("pontoon-nv")
        defer { scratch.remove() }
        let config = scratch.file("config")
        let result = try TestRun.run(Binaries.pontoon, ["--config", config] + input.2, environment: [:], stdin: Data(input.0.utf8))
        #expect(result.status == 1)
        #expect(result.stderr.isEmpty)
        let error = (result.json as? [String: Any])?["error"] as? String
        #expect(error?.hasSuffix(input.1) == true, "\(result.stdoutText)")
        #expect(!FileManager.default.fileExists(atPath: config + "/pontoon-ipam"))
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: config + "/pontoon")) ?? []).allSatisfy {
            ((try? FileManager.default.contentsOfDirectory(atPath: config + "/pontoon/" + $0)) ?? []).isEmpty
        })
    }

    @Test("version answers netavark's version document")
    func version() throws {
        let result = try TestRun.run(Binaries.pontoon, ["version"], environment: [:])
        #expect(result.status == 0)
        let object = try #require(result.json as? [String: Any])
        #expect(Set(object.keys) == ["version", "commit", "build_time", "target"])
    }
}
