import Foundation
import Testing
import TestSupport

// Real podman 4.3.1 with its netavark backend, where the `netavark` it runs is pontoon (linked as
// `netavark` in the first helper directory). Networks are internal: masquerade and port mappings
// need the firewall.

@Suite("podman 4.3.1, netavark backend on pontoon", needsRoot)
struct PodmanNetavarkTests {
    @Test("internal DNS networks: run, names and aliases resolve, static IP and MAC, connect and disconnect live, rm leaves nothing",
          .podman("pmpt", backend: .netavark(.pontoon)))
    func internalNetworks() throws {
        let podman = try PodmanHost.scoped()
        let network = "pi\(podman.token)", second = "pj\(podman.token)"
        try podman.podmanOK(["network", "create", "--internal", "--subnet", "10.99.24.0/24", network])
        try podman.podmanOK(["network", "create", "--internal", "--subnet", "10.99.25.0/24", "--ipv6", "--subnet", "fd99:25::/64", second])
        let described = try podman.podmanOK(["network", "inspect", network]).json as? [[String: Any]]
        let bridge = try #require(described?.first?["network_interface"] as? String)

        let first = try podman.run("n1", network: network, options: ["--ip", "10.99.24.77", "--mac-address", "02:00:00:00:24:77"])
        try #require(first.status == 0, "podman run n1: \(first.stdoutText)\(first.stderrText)")
        let secondRun = try podman.run("n2", network: network)
        try #require(secondRun.status == 0, "podman run n2: \(secondRun.stdoutText)\(secondRun.stderrText)")
        let settings = try podman.networkSettings("n1", network: network)
        #expect(settings["IPAddress"] as? String == "10.99.24.77")
        #expect(settings["MacAddress"] as? String == "02:00:00:00:24:77")
        #expect(settings["Gateway"] as? String == "10.99.24.1")
        let eth0 = try podman.exec("n1", "cat /sys/class/net/eth0/address").stdoutText
        #expect(eth0.hasPrefix("02:00:00:00:24:77"), "\(eth0)")
        #expect(try podman.bridgePorts(bridge).count == 2, "pontoon's bridge lives in the private host")

        // Names: aardvark-dns started by pontoon answers on the gateway.
        let byName = try podman.exec("n2", "ping -c 1 -W 2 n1")
        #expect(byName.status == 0, "n2 → n1 by name: \(byName.stdoutText)\(byName.stderrText)")
        #expect(podman.processes().contains { $0.contains("aardvark-dns") }, "\(podman.processes())")

        // connect: a second, dual-stack network with an alias, live; then disconnect.
        try podman.podmanOK(["network", "connect", "--alias", "web", second, "n2"])
        let interfaces = try podman.exec("n2", "ls /sys/class/net").stdoutText
        #expect(interfaces.contains("eth1"), "\(interfaces)")
        let secondSettings = try podman.networkSettings("n2", network: second)
        #expect((secondSettings["IPAddress"] as? String)?.hasPrefix("10.99.25.") == true, "\(secondSettings)")
        #expect((secondSettings["GlobalIPv6Address"] as? String)?.hasPrefix("fd99:25::") == true, "\(secondSettings)")
        let third = try podman.run("n3", network: second)
        try #require(third.status == 0, "podman run n3: \(third.stderrText)")
        let alias = try podman.exec("n3", "ping -c 1 -W 2 web")
        #expect(alias.status == 0, "n3 → web (alias of n2): \(alias.stdoutText)\(alias.stderrText)")
        try podman.podmanOK(["network", "disconnect", second, "n2"])
        #expect(!(try podman.exec("n2", "ls /sys/class/net").stdoutText.contains("eth1")))

        try podman.podmanOK(["rm", "--force", "--time", "0", "n1", "n2", "n3"])
        #expect(try podman.bridgePorts(bridge).isEmpty)
        #expect(!podman.processes().contains { $0.contains("aardvark-dns") }, "aardvark-dns stops with the last entry")
        try podman.podmanOK(["network", "rm", network, second])
        let records = try podman.sandboxShell("find /run/containers/networks/pontoon -type f 2>/dev/null").stdoutText
        #expect(records.isEmpty, "attachment records left: \(records)")
        #expect(podman.sandboxKeysOnRealHost().isEmpty)
    }
}

@Suite("podman 4.3.1, netavark backend on pontoon: routed networks and port mappings", needsRoot)
struct PodmanNetavarkFirewallTests {
    @Test("""
        run -p 8080:80 answers from outside and 127.0.0.1; after nft flush ruleset, network reload restores it; \
        connect and disconnect of a second routed network keep it, disconnect of the first hands it over; \
        rm of the last container removes the bridge
        """, .podman("pmnvfw", backend: .netavark(.pontoon)))
    func portsReloadConnectAndBridgeLifetime() throws {
        let podman = try PodmanHost.scoped()
        let host = podman.host
        // The outside world: a namespace wired to the private host, with no route to the containers.
        let outside = try host.container("outside")
        let uplink = "up\(podman.token)"
        try host.exec(host.name, """
            ip link add \(uplink) type veth peer name eth0 netns \(outside) && \
            ip addr add 192.0.2.1/24 dev \(uplink) && ip link set \(uplink) up
            """)
        try host.exec(outside, "ip addr add 192.0.2.2/24 dev eth0 && ip link set eth0 up && ip link set lo up")
        let network = "pr\(podman.token)", second = "ps\(podman.token)"
        try podman.podmanOK(["network", "create", "--subnet", "10.99.26.0/24", network])
        try podman.podmanOK(["network", "create", "--subnet", "10.99.27.0/24", second])
        func bridge(_ name: String) throws -> String {
            let described = try podman.podmanOK(["network", "inspect", name]).json as? [[String: Any]]
            return try #require(described?.first?["network_interface"] as? String)
        }
        let bridge1 = try bridge(network), bridge2 = try bridge(second)

        let run = try podman.run("web", network: network, options: ["-p", "8080:80"], command: ["httpd", "-f", "-p", "80", "-h", "/www"])
        try #require(run.status == 0, "podman run -p 8080:80 on pontoon: \(run.stderrText)")
        let ip = try #require(try podman.networkSettings("web", network: network)["IPAddress"] as? String)
        // curl, not busybox wget: the static busybox's wget crashes on this distribution.
        func page(from namespace: String, _ address: String) throws -> Bool {
            try host.exec(namespace, "curl -s -m 3 http://\(address)/index.html").stdoutText.contains(PodmanHost.indexPage)
        }
        #expect(try eventually { try page(from: host.name, "\(ip):80") }, "httpd answers in the container")
        #expect(try page(from: outside, "192.0.2.1:8080"), "from outside")
        #expect(try page(from: host.name, "127.0.0.1:8080"), "from 127.0.0.1")
        #expect(try podman.exec("web", "ping -c 1 -W 2 192.0.2.2").status == 0, "masqueraded to the outside")

        // Someone flushes the firewall; podman network reload writes it again.
        try host.exec(host.name, "nft flush ruleset")
        #expect(!(try page(from: outside, "192.0.2.1:8080")), "nothing answers after the flush")
        try podman.podmanOK(["network", "reload", "web"])
        #expect(try page(from: outside, "192.0.2.1:8080"), "from outside after network reload")
        #expect(try page(from: host.name, "127.0.0.1:8080"), "from 127.0.0.1 after network reload")

        // connect sends the new network with the container's port list: the ports stay where they are.
        let connect = try podman.podman(["network", "connect", second, "web"])
        #expect(connect.status == 0, "network connect of a routed network to a container with -p: \(connect.stderrText)")
        #expect(try podman.exec("web", "ls /sys/class/net").stdoutText.contains("eth1"))
        #expect(try page(from: outside, "192.0.2.1:8080"), "from outside after connect")
        try podman.podmanOK(["network", "disconnect", second, "web"])
        #expect(try page(from: outside, "192.0.2.1:8080"), "from outside after disconnect of the second network")
        #expect(try page(from: host.name, "127.0.0.1:8080"), "from 127.0.0.1 after disconnect of the second network")
        #expect(!(try podman.hostLinks().contains(bridge2)), "the second network's bridge went with its last container")

        // Disconnecting the network that holds the ports hands them to the one the container stays on.
        try podman.podmanOK(["network", "connect", second, "web"])
        try podman.podmanOK(["network", "disconnect", network, "web"])
        #expect(try page(from: outside, "192.0.2.1:8080"), "from outside through the second network after disconnect of the first")
        #expect(try page(from: host.name, "127.0.0.1:8080"), "from 127.0.0.1 through the second network")
        #expect(!(try podman.hostLinks().contains(bridge1)), "the first network's bridge went with its last container")

        try podman.podmanOK(["rm", "--force", "--time", "0", "web"])
        #expect(!(try page(from: outside, "192.0.2.1:8080")), "the port no longer answers")
        #expect(try podman.hostLinks() == ["lo", uplink], "the bridge \(bridge2) went with the last container")
        try podman.podmanOK(["network", "rm", network, second])
        let ruleset = try host.exec(host.name, "nft list ruleset").stdoutText
        #expect(!ruleset.contains("10.99.26.") && !ruleset.contains("10.99.27."), "no rule of the networks remains: \(ruleset)")
        let state = try podman.sandboxShell("find /run/containers/networks/pontoon -type f 2>/dev/null").stdoutText
        #expect(state.isEmpty, "pontoon state left: \(state)")
        try host.exec(host.name, "ip link delete \(uplink)")
        let left = try podman.leftovers(network: network, bridge: nil)
        #expect(left.isEmpty, "left after podman rm and network rm: \(left)")
    }
}
