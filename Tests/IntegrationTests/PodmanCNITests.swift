import Foundation
import Testing
import TestSupport

// Real podman 4.3.1 (Debian) running real containers, inside a private host and a private
// mount/PID sandbox (see PodmanHost). podman starts slowly: each test runs only a few containers.

@Suite("podman 4.3.1, CNI backend, pontoon as the only plugin", needsRoot)
struct PodmanCNITests {
    @Test("two containers ping each other; inspect shows pontoon's addresses; --ip/--mac-address honoured; rm -f leaves nothing", .podman("pmcni", backend: .cni))
    func twoContainers() throws {
        let podman = try PodmanHost.scoped()
        let network = "pnet\(podman.token)", bridge = "ptb\(podman.token)"
        try podman.addCNINetwork(network, plugin: pontoonPlugin(podman, bridge: bridge, subnet: "10.99.20.0/24", gateway: "10.99.20.1"))

        let first = try podman.run("c1", network: network)
        try #require(first.status == 0, "podman run c1: \(first.stderrText)")
        let second = try podman.run("c2", network: network, options: ["--ip", "10.99.20.77", "--mac-address", "02:00:00:00:20:77"])
        try #require(second.status == 0, "podman run --ip --mac-address: \(second.stderrText)")
        let id1 = first.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        let id2 = second.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)

        // inspect reports what pontoon answered (podman keeps the CNI Result).
        let settings1 = try podman.networkSettings("c1", network: network)
        let settings2 = try podman.networkSettings("c2", network: network)
        let ip1 = try #require(settings1["IPAddress"] as? String)
        #expect(ip1.hasPrefix("10.99.20.") && ip1 != "10.99.20.1", "first container's address: \(settings1)")
        #expect(settings1["Gateway"] as? String == "10.99.20.1")
        #expect(settings1["IPPrefixLen"] as? Int == 24)
        #expect(settings2["IPAddress"] as? String == "10.99.20.77", "\(settings2)")
        #expect((settings2["MacAddress"] as? String)?.lowercased() == "02:00:00:00:20:77", "\(settings2)")

        // Inside the container: the same address and MAC on eth0.
        let eth0 = try podman.exec("c2", "ip addr show eth0").stdoutText
        #expect(eth0.contains("inet 10.99.20.77/24"), "\(eth0)")
        #expect(eth0.contains("link/ether 02:00:00:00:20:77"), "\(eth0)")
        let inspected1 = try podman.exec("c1", "ip addr show eth0").stdoutText
        #expect(inspected1.contains("inet \(ip1)/24"), "\(inspected1)")

        // Real traffic between the two containers, and to the gateway on the bridge.
        let ping12 = try podman.exec("c1", "ping -c 1 -W 2 10.99.20.77")
        #expect(ping12.status == 0, "c1 → c2: \(ping12.stdoutText)\(ping12.stderrText)")
        let ping21 = try podman.exec("c2", "ping -c 1 -W 2 \(ip1)")
        #expect(ping21.status == 0, "c2 → c1: \(ping21.stdoutText)\(ping21.stderrText)")
        #expect(try podman.exec("c2", "ping -c 1 -W 2 10.99.20.1").status == 0, "container → gateway")

        // pontoon's own state while the containers run: one lease and one record each.
        #expect(podman.leases(network) == [ip1, "10.99.20.77"])
        #expect(podman.records(network).count == 2)
        #expect(podman.records(network).contains { $0.hasPrefix(id1) } && podman.records(network).contains { $0.hasPrefix(id2) },
                "records: \(podman.records(network))")
        #expect(try podman.bridgePorts(bridge).count == 2)
        #expect(podman.sandboxKeysOnRealHost().isEmpty, "podman's netns mounts must stay in the sandbox")

        try podman.podmanOK(["rm", "--force", "--time", "0", "c1", "c2"])
        let left = try podman.leftovers(network: network, bridge: bridge)
        #expect(left.isEmpty, "left after podman rm -f: \(left)")
        #expect(try podman.podmanOK(["ps", "--all", "--quiet"]).stdoutText.isEmpty)
    }

    @Test("harness: cleanup() with containers still running kills them and removes everything")
    func cleanupWithRunningContainers() throws {
        let podman = try PodmanHost("pmclean", backend: .cni)
        var cleaned = false
        defer { if !cleaned { podman.cleanup() } }
        let network = "pnet\(podman.token)", bridge = "ptb\(podman.token)"
        try podman.addCNINetwork(network, plugin: pontoonPlugin(podman, bridge: bridge, subnet: "10.99.21.0/24", gateway: "10.99.21.1"))
        let run = try podman.run("busy", network: network)
        try #require(run.status == 0, "podman run: \(run.stderrText)")
        let key = try #require((try podman.inspect("busy")["NetworkSettings"] as? [String: Any])?["SandboxKey"] as? String)
        #expect(!podman.processes().isEmpty, "conmon and the container run in the sandbox")
        #expect(!podman.cgroupDirectories.isEmpty, "podman made this test's cgroups")
        #expect(!FileManager.default.fileExists(atPath: key), "the container's netns mount is not on the real host")

        podman.cleanup()
        cleaned = true
        #expect(podman.processes().isEmpty)
        #expect(podman.cgroupDirectories.isEmpty, "cgroups left: \(podman.cgroupDirectories)")
        #expect(!FileManager.default.fileExists(atPath: PrivateHost.path(podman.host.name)), "private host deleted")
        #expect(!FileManager.default.fileExists(atPath: podman.scratch.path), "scratch directory removed")
        #expect(!FileManager.default.fileExists(atPath: key))
    }
}

@Suite("podman 4.3.1, CNI backend: masquerade and port mappings on pontoon's firewall", needsRoot)
struct PodmanCNIFirewallTests {
    @Test("ipMasq and -p 8080:80: the container reaches the outside masqueraded; the port answers from outside and from 127.0.0.1", .podman("pmfw", backend: .cni))
    func masqueradeAndPortMapping() throws {
        let podman = try PodmanHost.scoped()
        let web = try MappedWeb(podman, subnet: "10.99.22")
        #expect(try eventually { try podman.answers(podman.host.name, "\(web.ip):80") }, "httpd answers in the container")

        let fromOutside = try podman.fetch(web.outside, "192.0.2.1:8080")
        #expect(fromOutside.stdoutText.contains(PodmanHost.indexPage), "from outside: \(fromOutside.stdoutText)\(fromOutside.stderrText)")
        let fromLocalhost = try podman.fetch(podman.host.name, "127.0.0.1:8080")
        #expect(fromLocalhost.stdoutText.contains(PodmanHost.indexPage), "from 127.0.0.1: \(fromLocalhost.stdoutText)\(fromLocalhost.stderrText)")
        let masqueraded = try podman.exec("web", "ping -c 1 -W 2 192.0.2.2")
        #expect(masqueraded.status == 0, "container → outside (masqueraded): \(masqueraded.stdoutText)")
        try web.removeLeavesNothing()
    }

    @Test("podman network reload after nft flush ruleset: the -p mapping answers again, from outside and 127.0.0.1, same address", .podman("pmrl", backend: .cni))
    func reloadAfterFlush() throws {
        let podman = try PodmanHost.scoped()
        let host = podman.host
        let web = try MappedWeb(podman, subnet: "10.99.24")
        #expect(try eventually { try podman.answers(web.outside, "192.0.2.1:8080") }, "mapped before the flush")

        try host.exec(host.name, "nft flush ruleset")
        #expect(try !podman.answers(web.outside, "192.0.2.1:8080"), "the flush removed the mapping")
        let reload = try podman.podmanOK(["network", "reload", "web"])
        #expect(reload.status == 0, "\(reload.stderrText)")
        #expect(try eventually { try podman.answers(web.outside, "192.0.2.1:8080") }, "from outside after reload")
        #expect(try podman.answers(host.name, "127.0.0.1:8080"), "from 127.0.0.1 after reload")
        #expect(try podman.networkSettings("web", network: web.network)["IPAddress"] as? String == web.ip, "same address")
        #expect(podman.leases(web.network) == [web.ip] && podman.records(web.network).count == 1)
        try web.removeLeavesNothing()
    }
}

@Suite("podman harness self-test: netavark backend with Debian's netavark 1.4.0", needsRoot)
struct PodmanNetavarkHarnessTests {
    @Test("network create, two containers ping by address and by name, rm and network rm leave nothing", .podman("pmnv", backend: .netavark(.debian)))
    func debianNetavark() throws {
        let podman = try PodmanHost.scoped()
        let network = "pnv\(podman.token)"
        // podman 4.3 has no --interface-name: netavark's bridge is podmanN, in the private host.
        try podman.podmanOK(["network", "create", "--subnet", "10.99.23.0/24", network])
        let described = try podman.podmanOK(["network", "inspect", network]).json as? [[String: Any]]
        let bridge = try #require(described?.first?["network_interface"] as? String, "network inspect: \(String(describing: described))")
        let first = try podman.run("n1", network: network)
        try #require(first.status == 0, "podman run n1: \(first.stderrText)")
        let second = try podman.run("n2", network: network)
        try #require(second.status == 0, "podman run n2: \(second.stderrText)")
        let ip2 = try #require(try podman.networkSettings("n2", network: network)["IPAddress"] as? String)
        #expect(ip2.hasPrefix("10.99.23."))
        #expect(try podman.bridgePorts(bridge).count == 2, "netavark's bridge lives in the private host")

        let byAddress = try podman.exec("n1", "ping -c 1 -W 2 \(ip2)")
        #expect(byAddress.status == 0, "n1 → n2: \(byAddress.stdoutText)\(byAddress.stderrText)")
        // DNS is on by default: aardvark-dns runs inside the sandbox, on the private host's bridge.
        #expect(podman.processes().contains { $0.contains("aardvark-dns") }, "\(podman.processes())")
        let byName = try podman.exec("n1", "ping -c 1 -W 2 n2")
        #expect(byName.status == 0, "n1 → n2 by name: \(byName.stdoutText)\(byName.stderrText)")
        #expect(podman.sandboxKeysOnRealHost().isEmpty)

        try podman.podmanOK(["rm", "--force", "--time", "0", "n1", "n2"])
        try podman.podmanOK(["network", "rm", network])
        let left = try podman.leftovers(network: network, bridge: nil)
        #expect(left.isEmpty, "left after podman rm and network rm: \(left)")
        #expect(try podman.hostLinks() == ["lo"], "netavark removed its bridge with the last container")
        let aardvark = try podman.sandboxShell("ls /run/containers/networks/aardvark-dns 2>/dev/null").stdoutText
        #expect(!aardvark.contains(network), "aardvark-dns entries of the network: \(aardvark)")
    }
}

extension PodmanCNIFirewallTests {
    @Test("-p on a container with two networks: podman sends the ports with both ADDs; they map once and answer; disconnect of the first hands them to the second", .podman("pm2n", backend: .cni))
    func portsOnTwoNetworks() throws {
        let podman = try PodmanHost.scoped()
        let host = podman.host
        let first = "pa\(podman.token)", second = "pb\(podman.token)"
        let outside = try podman.outsideWorld()
        for (network, octet) in [(first, 25), (second, 26)] {
            try podman.addCNINetwork(network, plugin: pontoonPlugin(
                podman, bridge: "b\(network)", subnet: "10.99.\(octet).0/24", gateway: "10.99.\(octet).1",
                ["ipMasq": true, "capabilities": ["portMappings": true, "ips": true, "mac": true]]))
        }
        let run = try podman.run("web", network: "\(first),\(second)", options: ["-p", "8080:80"],
                                 command: ["httpd", "-f", "-p", "80", "-h", "/www"])
        try #require(run.status == 0, "podman run on two networks with -p 8080:80: \(run.stderrText)")
        #expect(try eventually { try podman.answers(outside, "192.0.2.1:8080") }, "from outside")
        #expect(try podman.answers(host.name, "127.0.0.1:8080"), "from 127.0.0.1")

        try podman.podmanOK(["network", "disconnect", first, "web"])
        #expect(try eventually { try podman.answers(outside, "192.0.2.1:8080") }, "from outside after the first network left")
        #expect(podman.records(first).isEmpty && podman.records(second).count == 1)

        try podman.podmanOK(["rm", "--force", "--time", "0", "web"])
        try host.exec(host.name, "ip link delete up\(podman.token)")
        for network in [first, second] {
            let left = try podman.leftovers(network: network, bridge: nil)
            #expect(left.isEmpty, "left on \(network): \(left)")
            #expect(try podman.bridgePorts("b\(network)").isEmpty, "ports left on the bridge of \(network)")
        }
        #expect(try podman.hostLinks().subtracting(["lo", "b\(first)", "b\(second)"]).isEmpty, "only the two bridges stay")
        let ruleset = try host.exec(host.name, "nft list ruleset").stdoutText
        #expect(!ruleset.contains("10.99.25.") && !ruleset.contains("10.99.26.") && !ruleset.contains("8080"), "\(ruleset)")
    }
}
