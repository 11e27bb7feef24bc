import Foundation
import Testing
import TestSupport

@Suite("netavark mode: NETAVARK_DNS_PORT", needsRoot)
struct NetavarkDNSPortTests {
    static let port = "5354"

    /// Whether `name` resolves to `address` asking `server` on port 53 (busybox's nslookup has no
    /// port option: the answer can only come through the redirect). aardvark-dns reloads
    /// asynchronously after SIGHUP, so the answer is awaited for up to three seconds.
    static func resolves(_ host: PrivateHost, _ name: String, to address: String, server: String, from container: String) throws -> Bool {
        for _ in 0..<30 {
            if try host.exec(container, "busybox nslookup \(name) \(server) 2>/dev/null").stdoutText.contains(address) { return true }
            usleep(100_000)
        }
        return false
    }

    @Test("aardvark-dns listens on NETAVARK_DNS_PORT, containers still ask the gateways on 53 (IPv4 and IPv6); teardown leaves no redirect",
          .privateHost("nvdnsport"), arguments: ["nftables", "iptables"])
    func redirected(_ driver: String) throws {
        _ = try Self.redirected(.pontoon, driver: driver)
    }

    /// netavark 1.4.0 has no nftables driver: side by side on iptables, chosen for it the way its
    /// own tests do (`NETAVARK_FW`), for pontoon with `--firewall-driver`.
    @Test("pontoon and netavark 1.4.0 given the same request with NETAVARK_DNS_PORT: equal StatusBlocks, both answer through gateway:53",
          .privateHost("nvdnsside"))
    func sideBySide() throws {
        let ours = try Self.redirected(.pontoon, driver: "iptables")
        let theirs = try Self.redirected(.netavark, driver: "iptables")
        #expect(ours.count == 2 && ours == theirs)
    }

    static func withMAC(_ request: [String: Any], _ mac: String) -> [String: Any] {
        var request = request, networks = request["networks"] as! [String: [String: Any]]
        networks["capnet2"]?["static_mac"] = mac
        request["networks"] = networks
        return request
    }

    /// Two containers on the DNS network with `NETAVARK_DNS_PORT`: aardvark-dns started on that
    /// port, each name resolved through its gateway's port 53 (IPv4 and IPv6), the redirect kept
    /// while a container is left and gone after the last. Returns both setups' StatusBlocks as
    /// sorted JSON.
    static func redirected(_ plugin: NetavarkPlugin, driver: String) throws -> [String] {
        let host = try PrivateHost.scoped()
        let one = try host.container("\(plugin)1"), two = try host.container("\(plugin)2")
        // Static MACs, so the StatusBlocks compare whole.
        let first = Self.withMAC(try dualStackRequest(id: String(repeating: "1", count: 64), name: "capc1", v4: "10.92.0.2", v6: "fd00:92::2"),
                                 "52:54:00:92:00:02")
        let second = Self.withMAC(try dualStackRequest(id: String(repeating: "2", count: 64), name: "capc2", v4: "10.92.0.3", v6: "fd00:92::3"),
                                  "52:54:00:92:00:03")
        var environment = plugin.environment.merging(["NETAVARK_DNS_PORT": Self.port]) { _, new in new }
        var global: [String] = []
        if plugin == .pontoon { global = ["--firewall-driver", driver] } else { environment["NETAVARK_FW"] = driver }
        func run(_ verb: String, _ container: String, _ request: [String: Any]) throws -> RunResult {
            try host.netavark(global + [verb, PrivateHost.path(container)], request, environment: environment, binary: plugin.binary)
        }
        let setupOne = try run("setup", one, first)
        let setupTwo = try run("setup", two, second)
        #expect(setupOne.status == 0 && setupTwo.status == 0, "\(plugin): \(setupOne.stdoutText) \(setupOne.stderrText) \(setupTwo.stdoutText)")
        let block = (setupOne.json as? [String: Any])?["capnet2"] as? [String: Any]
        #expect(block?["dns_server_ips"] as? [String] == ["10.92.0.1", "fd00:92::1"], "containers are told port 53 of the gateways")

        let pid = try String(contentsOfFile: host.scratch.file("netavark/aardvark-dns/aardvark.pid"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let arguments = try String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8).split(separator: "\0").map(String.init)
        let portIndex = arguments.firstIndex(of: "-p")
        #expect(portIndex.map { arguments[$0 + 1] } == Self.port, "\(plugin): aardvark-dns started as \(arguments)")
        // aardvark-dns binds in its daemonized child, which may still be starting when setup returns: up to 5 s.
        let listening = try host.exec(host.name, "for i in $(seq 50); do ss -Hlun | grep -q '10.92.0.1:\(Self.port) ' && break; sleep 0.1; done; ss -Hlun").stdoutText
        #expect(listening.contains("10.92.0.1:\(Self.port)"), "\(plugin): \(listening)")
        #expect(!listening.contains(":53 "), "\(plugin): nothing answers on port 53 itself: \(listening)")

        #expect(try Self.resolves(host, "capc2", to: "10.92.0.3", server: "10.92.0.1", from: one), "\(plugin)")
        #expect(try Self.resolves(host, "capc1", to: "10.92.0.2", server: "fd00:92::1", from: two), "\(plugin)")

        #expect(try run("teardown", two, second).status == 0)
        #expect(try Self.resolves(host, "capc1", to: "10.92.0.2", server: "10.92.0.1", from: one), "\(plugin): the redirect stays while a container is left")
        #expect(try run("teardown", one, first).status == 0)
        let ruleset = try host.exec(host.name, "nft list ruleset").stdoutText
        #expect(!ruleset.contains(Self.port), "\(plugin): no rule redirects to \(Self.port) after the last teardown:\n\(ruleset)")
        #expect(!FileManager.default.fileExists(atPath: host.scratch.file("netavark/aardvark-dns/aardvark.pid")), "\(plugin)")
        return try [setupOne, setupTwo].map { setup in
            let object = try #require(setup.json as? [String: Any])
            return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        }
    }

    @Test("pontoon: the redirect is the network's rule: gone with a flushed ruleset, back with firewall-reload, checked by nft",
          .privateHost("nvdnsreload"))
    func reloaded() throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        let other = try host.container("other")
        let first = try dualStackRequest(id: String(repeating: "3", count: 64), name: "capc1", v4: "10.92.0.2", v6: "fd00:92::2")
        let second = try dualStackRequest(id: String(repeating: "4", count: 64), name: "capc2", v4: "10.92.0.3", v6: "fd00:92::3")
        let environment = ["NETAVARK_DNS_PORT": Self.port]
        #expect(try host.netavark(["setup", PrivateHost.path(container)], first, environment: environment).status == 0)
        #expect(try host.netavark(["setup", PrivateHost.path(other)], second, environment: environment).status == 0)
        let table = try host.exec(host.name, "nft list map inet pontoon hostports4").stdoutText
        #expect(table.contains("10.92.0.1 . udp . 53 comment \"dns capnet2\" : 10.92.0.1 . \(Self.port)"), "\(table)")
        let table6 = try host.exec(host.name, "nft list map inet pontoon hostports6").stdoutText
        #expect(table6.contains("fd00:92::1 . udp . 53 comment \"dns capnet2\" : fd00:92::1 . \(Self.port)"), "\(table6)")
        #expect(try Self.resolves(host, "capc2", to: "10.92.0.3", server: "10.92.0.1", from: container))

        try host.exec(host.name, "nft flush ruleset")
        let unanswered = try host.exec(container, "busybox nslookup capc2 10.92.0.1 2>/dev/null").stdoutText
        #expect(!unanswered.contains("10.92.0.3"), "without the redirect nothing answers on 53: \(unanswered)")
        let reload = try TestRun.run(PrivateHost.ip, ["netns", "exec", host.name, Binaries.pontoon, "firewall-reload",
                                                      "--state-dir", host.scratch.file("netavark/pontoon")], environment: [:])
        #expect(reload.status == 0, "\(reload.stdoutText) \(reload.stderrText)")
        #expect(try Self.resolves(host, "capc2", to: "10.92.0.3", server: "10.92.0.1", from: container))
        #expect(try Self.resolves(host, "capc1", to: "10.92.0.2", server: "fd00:92::1", from: other))

        // A setup with another port (or none) later on does not change the network's redirect:
        // the network keeps what its first container made, as aardvark-dns keeps its port.
        #expect(try host.netavark(["teardown", PrivateHost.path(other)], second, environment: environment).status == 0)
        #expect(try host.netavark(["setup", PrivateHost.path(other)], second).status == 0)
        #expect(try Self.resolves(host, "capc1", to: "10.92.0.2", server: "10.92.0.1", from: other))

        #expect(try host.netavark(["teardown", PrivateHost.path(other)], second).status == 0)
        #expect(try host.netavark(["teardown", PrivateHost.path(container)], first).status == 0)
        let ruleset = try host.exec(host.name, "nft list ruleset").stdoutText
        #expect(!ruleset.contains(Self.port) && !ruleset.contains("dns capnet2"), "\(ruleset)")
    }

    @Test("a NETAVARK_DNS_PORT that is not a port 1-65535 is refused by name, before anything is made",
          .privateHost("nvdnsbad"), arguments: ["abc", "0", "65536", "-1", " 53", "5e3"])
    func refused(_ value: String) throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        let request = try dualStackRequest(id: String(repeating: "5", count: 64), name: "capc1", v4: "10.92.0.2", v6: "fd00:92::2")
        let before = try host.linkNames(host.name)
        let setup = try host.netavark(["setup", PrivateHost.path(container)], request, environment: ["NETAVARK_DNS_PORT": value])
        #expect(setup.status == 1)
        #expect(setup.stderr.isEmpty)
        let error = (setup.json as? [String: Any])?["error"] as? String ?? ""
        #expect(error.contains("NETAVARK_DNS_PORT") && error.contains(value), "\(setup.stdoutText)")
        #expect(try host.linkNames(container) == ["lo"])
        #expect(try host.linkNames(host.name) == before)
        #expect(try host.exec(host.name, "nft list tables").stdoutText.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: host.scratch.file("netavark/aardvark-dns")))
    }
}
