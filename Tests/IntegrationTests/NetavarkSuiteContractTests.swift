import Foundation
import Testing
import TestSupport

/// Contracts netavark 1.4.0 keeps that its own bats suite exercises (scripts/netavark-suite) and
/// pontoon once missed; each runs against both, so a difference shows as one failing argument.
@Suite("netavark mode: contracts from netavark's own suite", needsRoot)
struct NetavarkSuiteContractTests {
    /// The netavark command line `PrivateHost.netavark` runs, but in a mount namespace whose /proc
    /// is read-only (podman inside a container, a hardened host).
    static func withReadOnlyProc(_ host: PrivateHost, _ plugin: NetavarkPlugin, _ arguments: [String],
                                 _ stdin: [String: Any]) throws -> RunResult {
        let data = try JSONSerialization.data(withJSONObject: stdin, options: [.withoutEscapingSlashes])
        let command = [plugin.binary, "--config", host.scratch.file("netavark"), "--rootless=false",
                       "--aardvark-binary=/usr/lib/podman/aardvark-dns"] + arguments
        let script = "mount -t proc -o ro,nosuid,nodev,noexec proc /proc && exec \"$@\""
        return try TestRun.run("/usr/bin/unshare", ["--mount", "--propagation", "private", "/bin/sh", "-c", script, "sh",
                                                    PrivateHost.ip, "netns", "exec", host.name] + command,
                               environment: plugin.environment, stdin: data)
    }

    static func bridgeRequest() throws -> [String: Any] {
        var request = try dualStackRequest(id: String(repeating: "5", count: 64), name: "roproc", v4: "10.92.0.2", v6: "fd00:92::2")
        var info = request["network_info"] as! [String: [String: Any]]
        info["capnet2"]!["dns_enabled"] = false
        info["capnet2"]!["ipv6_enabled"] = false
        info["capnet2"]!["subnets"] = [["subnet": "10.92.0.0/24", "gateway": "10.92.0.1"]]
        request["network_info"] = info
        request["networks"] = ["capnet2": ["static_ips": ["10.92.0.2"], "interface_name": "eth0"]]
        // No port_mappings key at all: netavark 1.4.0 sets route_localnet on the bridge for any
        // port_mappings array, even an empty one, and that write would fail here.
        request.removeValue(forKey: "port_mappings")
        return request
    }

    @Test("read-only /proc: setup works when forwarding is already on (the container answers), and is refused naming ip_forward, nothing made, when it is off",
          .privateHost("nvroproc"), arguments: NetavarkPlugin.allCases)
    func readOnlyProc(_ plugin: NetavarkPlugin) throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        let request = try Self.bridgeRequest()
        try host.exec(host.name, "sysctl -qw net.ipv4.ip_forward=1")
        let setup = try Self.withReadOnlyProc(host, plugin, ["setup", PrivateHost.path(container)], request)
        #expect(setup.status == 0, "\(setup.stdoutText) \(setup.stderrText)")
        #expect(try host.exec(host.name, "ping -c 1 -W 1 10.92.0.2").status == 0, "the container answers through the bridge")
        let teardown = try Self.withReadOnlyProc(host, plugin, ["teardown", PrivateHost.path(container)], request)
        #expect(teardown.status == 0, "\(teardown.stdoutText)")
        #expect(try host.linkNames(container) == ["lo"])

        try host.exec(host.name, "sysctl -qw net.ipv4.ip_forward=0")
        let refused = try Self.withReadOnlyProc(host, plugin, ["setup", PrivateHost.path(container)], request)
        #expect(refused.status == 1)
        let error = refused.netavarkError
        // netavark's message names no key ("Sysctl error: IO Error: Read-only file system"); pontoon's does.
        #expect(error.contains("Read-only file system") && (plugin == .netavark || error.contains("ip_forward")), "\(refused.stdoutText)")
        #expect(try host.linkNames(container) == ["lo"])
        #expect(try !host.linkNames(host.name).contains("podman2"), "no bridge left behind")
    }

    @Test("macvlan: mode source is taken (the link is made in that mode); IPv6 autoconf is off on the container's link",
          .privateHost("nvmacsrc"), arguments: NetavarkPlugin.allCases)
    func macvlanSourceModeAndAutoconf(_ plugin: NetavarkPlugin) throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        _ = try LinkedLAN(host)
        for mode in ["bridge", "source"] {
            let request = LinkedLAN.request(id: String(repeating: "4", count: 64), [.init(options: ["mode": mode])])
            let setup = try host.netavark(["setup", PrivateHost.path(container)], request, environment: plugin.environment,
                                          binary: plugin.binary)
            #expect(setup.status == 0, "mode \(mode): \(setup.stdoutText)")
            let link = try host.json(container, "ip -j -d link show eth0").first ?? [:]
            let info = (link["linkinfo"] as? [String: Any])?["info_data"] as? [String: Any]
            #expect(info?["mode"] as? String == mode)
            let autoconf = try host.exec(container, "cat /proc/sys/net/ipv6/conf/eth0/autoconf").stdoutText
            #expect(autoconf.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "mode \(mode)")
            let teardown = try host.netavark(["teardown", PrivateHost.path(container)], request, environment: plugin.environment,
                                             binary: plugin.binary)
            #expect(teardown.status == 0, "mode \(mode): \(teardown.stdoutText)")
            #expect(try host.linkNames(container) == ["lo"])
        }
    }
}
