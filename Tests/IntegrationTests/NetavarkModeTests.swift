import Foundation
import Testing
import TestSupport

/// pontoon as podman's `netavark`: the reference captures replayed into private namespaces.
@Suite("netavark mode", needsRoot)
struct NetavarkModeTests {
    /// A capture's stdin, with every network made internal and without DNS and port mappings
    /// (what this release serves without the firewall), bridge names made unique to the test.
    static func capture(_ name: String, _ step: String? = nil, host: PrivateHost) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: Repository.testdata + "/podman/\(name)"))
        var object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        if let step { object = object[step] as! [String: Any] }
        var stdin = object["stdin"] as! [String: Any]
        var info = stdin["network_info"] as! [String: [String: Any]]
        for (key, var network) in info {
            network["internal"] = true
            network["dns_enabled"] = false
            info[key] = network
        }
        stdin["network_info"] = info
        stdin["port_mappings"] = [Any]()
        return stdin
    }

    @Test("podman's setup capture: a StatusBlock of the reference's shape, traffic, then teardown leaves nothing")
    func setupAndTeardown() throws {
        let host = try PrivateHost("nvone")
        defer { host.cleanup() }
        let container = try host.container("c")
        let stdin = try Self.capture("podman-netavark-setup.json", host: host)
        let setup = try host.netavark(["setup", PrivateHost.path(container)], stdin)
        #expect(setup.status == 0, "\(setup.stdoutText)")
        #expect(setup.stderr.isEmpty)
        let status = try #require(setup.json as? [String: Any])
        let podman = try #require(status["podman"] as? [String: Any])
        #expect(Set(podman.keys) == ["dns_search_domains", "dns_server_ips", "interfaces"])
        let eth0 = try #require((podman["interfaces"] as? [String: Any])?["eth0"] as? [String: Any])
        let subnets = eth0["subnets"] as? [[String: String]]
        #expect(subnets == [["ipnet": "10.88.0.13/16", "gateway": "10.88.0.1"]])
        let links = try host.json(container, "ip -j link show eth0")
        #expect(links.first?["address"] as? String == eth0["mac_address"] as? String)
        #expect(try host.pings(from: container, "10.88.0.1"))
        #expect(try host.exec(container, "ip route show default").stdoutText.isEmpty, "an internal network has no default route")

        let teardown = try host.netavark(["teardown", PrivateHost.path(container)], stdin)
        #expect(teardown.status == 0, "\(teardown.stdoutText)")
        #expect(teardown.stdout.isEmpty)
        #expect(try host.linkNames(container) == ["lo"])
        #expect(try host.netavark(["teardown", PrivateHost.path(container)], stdin).status == 0, "a second teardown is fine")
    }

    @Test("two networks with podman's static MACs; the second failing takes the first down too")
    func twoNetworks() throws {
        let host = try PrivateHost("nvtwo")
        defer { host.cleanup() }
        let container = try host.container("c")
        let stdin = try Self.capture("podman-netavark-multi-dns.json", "reload_setup_again_with_static_mac", host: host)
        let setup = try host.netavark(["setup", PrivateHost.path(container)], stdin)
        #expect(setup.status == 0, "\(setup.stdoutText)")
        let macs = try host.json(container, "ip -j link show").reduce(into: [String: String]()) {
            $0[$1["ifname"] as? String ?? ""] = $1["address"] as? String
        }
        #expect(macs["eth0"] == "36:39:84:6d:31:4e" && macs["eth1"] == "c2:87:e9:a9:0f:8a", "\(macs)")
        #expect(try host.exec(container, "ping -6 -c 1 -W 2 fd00:92::1 >/dev/null 2>&1").status == 0)
        #expect(try host.netavark(["teardown", PrivateHost.path(container)], stdin).status == 0)
        #expect(try host.linkNames(container) == ["lo"])

        // The second network's bridge name is taken by a device that is not a bridge.
        try host.exec(host.name, "ip link add ptclash type veth peer name ptclashp")
        var clashing = stdin
        var info = clashing["network_info"] as! [String: [String: Any]]
        info["capnet2"]!["network_interface"] = "ptclash"
        info["capnet"]!["network_interface"] = "ptfresh"
        clashing["network_info"] = info
        let before = try host.linkNames(host.name)
        let failing = try host.netavark(["setup", PrivateHost.path(container)], clashing)
        #expect(failing.status == 1)
        let error = (failing.json as? [String: Any])?["error"] as? String ?? ""
        #expect(error.contains("ptclash exists and is not a bridge"), "\(failing.stdoutText)")
        #expect(try host.linkNames(container) == ["lo"], "the first network was undone")
        #expect(try host.linkNames(host.name) == before)
    }

    @Test("without static_ips pontoon allocates from the subnet, and teardown releases it")
    func ownAllocation() throws {
        let host = try PrivateHost("nvipam")
        defer { host.cleanup() }
        let a = try host.container("a"), b = try host.container("b")
        var stdin = try Self.capture("podman-netavark-setup.json", host: host)
        var networks = stdin["networks"] as! [String: [String: Any]]
        networks["podman"]!["static_ips"] = nil
        stdin["networks"] = networks
        var second = stdin
        second["container_id"] = "b0b0b0b0b0b0"
        let first = try host.netavark(["setup", PrivateHost.path(a)], stdin)
        let other = try host.netavark(["setup", PrivateHost.path(b)], second)
        #expect(first.status == 0 && other.status == 0, "\(first.stdoutText) \(other.stdoutText)")
        func address(_ result: RunResult) -> String? {
            let podman = (result.json as? [String: Any])?["podman"] as? [String: Any]
            let eth0 = (podman?["interfaces"] as? [String: Any])?["eth0"] as? [String: Any]
            return (eth0?["subnets"] as? [[String: String]])?.first?["ipnet"]
        }
        #expect(address(first) == "10.88.0.2/16" && address(other) == "10.88.0.3/16")
        #expect(try host.pings(from: a, "10.88.0.3"))
        #expect(try host.netavark(["teardown", PrivateHost.path(a)], stdin).status == 0)
        let leases = (try? FileManager.default.contentsOfDirectory(atPath: host.scratch.file("netavark/pontoon-ipam/podman"))) ?? []
        #expect(leases.filter { $0.hasPrefix("10.") } == ["10.88.0.3"])
    }

    @Test("teardown after the namespace is gone removes the host side")
    func teardownWithoutNamespace() throws {
        let host = try PrivateHost("nvgone")
        defer { host.cleanup() }
        let container = try host.container("c")
        let stdin = try Self.capture("podman-netavark-setup.json", host: host)
        #expect(try host.netavark(["setup", PrivateHost.path(container)], stdin).status == 0)
        try host.delete(container)
        let teardown = try host.netavark(["teardown", PrivateHost.path(container)], stdin)
        #expect(teardown.status == 0, "\(teardown.stdoutText)")
        #expect(try host.linkNames(host.name).allSatisfy { !$0.hasPrefix("veth") })
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: host.scratch.file("netavark/pontoon/podman"))) ?? []).isEmpty)
    }
}

extension PrivateHost {
    /// pontoon run as podman runs netavark, inside the private host, its state under the scratch dir.
    func netavark(_ arguments: [String], _ stdin: [String: Any]) throws -> RunResult {
        let data = try JSONSerialization.data(withJSONObject: stdin, options: [.withoutEscapingSlashes])
        return try TestRun.run(Self.ip, ["netns", "exec", name, Binaries.pontoon, "--config", scratch.file("netavark"),
                                         "--rootless=false"] + arguments, environment: [:], stdin: data)
    }
}
