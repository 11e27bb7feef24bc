import Foundation
import Testing
import TestSupport

// Real podman 4.3.1 with its netavark backend, where the `netavark` it runs is pontoon (linked as
// `netavark` in the first helper directory). Networks are internal: masquerade and port mappings
// need the firewall.

@Suite("podman 4.3.1, netavark backend on pontoon", needsRoot)
struct PodmanNetavarkTests {
    @Test("internal DNS networks: run, names and aliases resolve, static IP and MAC, connect and disconnect live, rm leaves nothing")
    func internalNetworks() throws {
        let podman = try PodmanHost("pmpt", backend: .netavark(.pontoon))
        defer { podman.cleanup() }
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
