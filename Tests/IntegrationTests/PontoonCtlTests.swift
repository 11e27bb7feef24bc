import Foundation
import Testing
import TestSupport

/// pontoonctl run inside a private host, entered with `nsenter --net` (not `ip netns exec`, whose
/// private mount namespace would swallow the namespaces pontoonctl bind-mounts). Every path it
/// writes is under the test's scratch directory.
final class Ctl: @unchecked Sendable {
    let host: PrivateHost
    var state: String { host.scratch.file("ctl-state") }
    var config: String { host.scratch.file("ctl-config") }
    var netnsDir: String { host.scratch.file("ctl-netns") }

    init(_ label: String) throws { host = try PrivateHost(label) }

    @discardableResult
    func run(_ arguments: [String]) throws -> RunResult {
        try TestRun.run("/usr/bin/nsenter", ["--net=" + PrivateHost.path(host.name), Binaries.directory + "/pontoonctl",
                                             "--state-dir", state, "--config-dir", config, "--netns-dir", netnsDir] + arguments,
                        environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"])
    }

    /// Runs and expects success; returns stdout parsed as JSON when asked for.
    @discardableResult
    func ok(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> RunResult {
        let result = try run(arguments)
        #expect(result.status == 0, "pontoonctl \(arguments.joined(separator: " ")): \(result.stderrText) \(result.stdoutText)",
                sourceLocation: sourceLocation)
        return result
    }

    func inspect(_ name: String) throws -> [String: Any] {
        let settings = try #require(try ok(["inspect", name, "--format", "json"]).json as? [String: Any])
        return try #require(settings["NetworkSettings"] as? [String: Any])
    }

    func netns(_ name: String) throws -> String { try #require(inspect(name)["SandboxKey"] as? String) }

    /// A command inside a container's namespace, run by the test directly (not through pontoonctl).
    func inside(_ name: String, _ command: String) throws -> RunResult {
        try TestRun.run("/usr/bin/nsenter", ["--net=" + netns(name), "/bin/sh", "-c", command],
                        environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"])
    }

    func stats(_ name: String) throws -> [String: Any] {
        let object = try #require(try ok(["stats", name, "--format", "json"]).json as? [String: Any])
        return try #require(object["total"] as? [String: Any])
    }

    /// Whatever is left in each place pontoonctl writes to (empty means nothing left).
    func leftovers() -> [String] {
        let fm = FileManager.default
        var found = ((try? fm.contentsOfDirectory(atPath: netnsDir)) ?? []).map { "netns " + $0 }
        found += ((try? fm.contentsOfDirectory(atPath: state + "/containers")) ?? []).map { "container " + $0 }
        found += ((try? fm.contentsOfDirectory(atPath: state + "/cni-results")) ?? []).map { "cni result " + $0 }
        for network in (try? fm.contentsOfDirectory(atPath: state + "/ipam")) ?? [] {
            found += ((try? fm.contentsOfDirectory(atPath: state + "/ipam/" + network)) ?? []).map { "reservation \(network)/\($0)" }
        }
        for network in (try? fm.contentsOfDirectory(atPath: state + "/cni-ipam")) ?? [] {
            found += ((try? fm.contentsOfDirectory(atPath: state + "/cni-ipam/" + network)) ?? [])
                .filter { $0 != "lock" && !$0.hasPrefix("last_reserved_ip") }.map { "lease \(network)/\($0)" }
        }
        if let links = try? host.json(host.name, "ip -j link show type veth"), !links.isEmpty {
            found += links.compactMap { $0["ifname"] as? String }.map { "veth " + $0 }
        }
        return found
    }

    /// Ends every process living in a namespace (servers a test started in a container), found by
    /// the namespace's inode: `ip netns pids` knows only /run/netns names.
    func killInside(_ netns: String) {
        var target = stat()
        guard stat(netns, &target) == 0 else { return }
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), pid != getpid() else { continue }
            var info = stat()
            if stat("/proc/\(entry)/ns/net", &info) == 0, info.st_ino == target.st_ino, info.st_dev == target.st_dev {
                kill(pid, SIGKILL)
            }
        }
    }

    func cleanup() {
        for file in (try? FileManager.default.contentsOfDirectory(atPath: netnsDir)) ?? [] { killInside(netnsDir + "/" + file) }
        if let records = try? run(["ps", "-a", "--format", "json"]).json as? [[String: Any]] {
            for record in records { _ = try? run(["rm", "--force", (record["Names"] as? [String])?.first ?? ""]) }
        }
        for file in (try? FileManager.default.contentsOfDirectory(atPath: netnsDir)) ?? [] {
            _ = umount2(netnsDir + "/" + file, Int32(MNT_DETACH))
        }
        // aardvark-dns outlives the private host's namespace unless stopped.
        if let text = try? String(contentsOfFile: state + "/netavark/aardvark-dns/aardvark.pid", encoding: .utf8),
           let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1 {
            kill(pid, SIGTERM)
        }
        host.cleanup()
    }
}

@Suite("pontoonctl", needsRoot, .serialized)
struct PontoonCtlIntegrationTests {
    func address(_ settings: [String: Any], _ network: String) throws -> String {
        let entry = try #require((settings["Networks"] as? [String: Any])?[network] as? [String: Any])
        return try #require(entry["IPAddress"] as? String)
    }

    @Test("netavark protocol: two containers talk, inspect and stats tell the truth, connect/disconnect live with DNS, reload keeps addresses, rm leaves nothing")
    func netavarkFlow() throws {
        let ctl = try Ctl("ctlnv")
        defer { ctl.cleanup() }
        try ctl.ok(["network", "create", "front", "--internal"])
        try ctl.ok(["network", "create", "back", "--internal", "--ipv6"])
        let networks = try #require(try ctl.ok(["network", "ls", "--format", "json"]).json as? [[String: Any]])
        #expect(networks.count == 2)
        try ctl.ok(["network", "create", "out"])   // not internal: b publishes its ports through it
        try ctl.ok(["run", "a", "--network", "front"])
        try ctl.ok(["run", "b", "--network", "front", "--network", "out", "-p", "8080:80", "-p", "8081:81/tcp,udp"])
        try ctl.ok(["run", "c", "--network", "back"])

        // inspect is what the namespace really has.
        let a = try ctl.inspect("a")
        let aIP = try address(a, "front"), bIP = try address(try ctl.inspect("b"), "front")
        let links = try ctl.inside("a", "ip -j addr show eth0").json as? [[String: Any]] ?? []
        let aFront = (a["Networks"] as? [String: [String: Any]])?["front"]
        #expect(links.first?["address"] as? String == aFront?["MacAddress"] as? String)
        let addresses = (links.first?["addr_info"] as? [[String: Any]] ?? []).compactMap { $0["local"] as? String }
        #expect(addresses.contains(aIP) && aFront?["IPPrefixLen"] as? Int == 24)
        let ports = try #require(try ctl.inspect("b")["Ports"] as? [String: [[String: String]]])
        #expect(ports["80/tcp"]?.first?["HostPort"] == "8080" && ports["81/udp"]?.first?["HostPort"] == "8081")

        // Traffic through pontoonctl exec, and the counters move.
        let before = try ctl.stats("a")
        #expect(try ctl.ok(["exec", "a", "--", "ping", "-c", "3", "-i", "0.2", "-W", "2", bIP]).status == 0)
        let after = try ctl.stats("a")
        #expect((after["txPackets"] as? Int ?? 0) >= (before["txPackets"] as? Int ?? 0) + 3)
        #expect((after["rxBytes"] as? Int ?? 0) > (before["rxBytes"] as? Int ?? 0))

        // connect: a second interface appears, its alias resolves for c through aardvark-dns.
        #expect(try ctl.run(["exec", "c", "--", "ping", "-c", "1", "-W", "1", "web"]).status != 0)
        try ctl.ok(["connect", "a", "back", "--alias", "web"])
        #expect(try ctl.inside("a", "ip -br link show eth1").status == 0)
        let resolved = try ctl.ok(["exec", "c", "--", "getent", "ahostsv4", "web"]).stdoutText
        let aBack = try address(try ctl.inspect("a"), "back")
        #expect(resolved.contains(aBack), "\(resolved)")
        let pingWeb = try ctl.run(["exec", "c", "--", "ping", "-c", "1", "-W", "2", "web"])
        if pingWeb.status != 0 {
            // Seen once or twice under heavy load and not reproduced since: say what the kernels saw.
            let seen = try ctl.inside("c", "ip neigh; ip -6 addr").stdoutText + (try ctl.inside("a", "ip addr show eth1; ip -6 route").stdoutText)
            Issue.record("ping web from c: \(pingWeb.stdoutText) \(pingWeb.stderrText)\n\(seen)")
        }
        let again = try ctl.run(["connect", "a", "back"])
        #expect(again.status != 0 && again.stderrText.contains("already connected"))

        // reload: same addresses and MACs.
        let macBefore = try ctl.inspect("a")["Networks"] as? [String: [String: Any]]
        try ctl.ok(["reload", "--all"])
        let macAfter = try ctl.inspect("a")["Networks"] as? [String: [String: Any]]
        for network in ["front", "back"] {
            #expect(macBefore?[network]?["MacAddress"] as? String == macAfter?[network]?["MacAddress"] as? String)
            #expect(macBefore?[network]?["IPAddress"] as? String == macAfter?[network]?["IPAddress"] as? String)
        }
        #expect(try ctl.ok(["exec", "a", "--", "ping", "-c", "1", "-W", "2", bIP]).status == 0)

        // disconnect: the interface goes, the name no longer resolves.
        try ctl.ok(["disconnect", "a", "back"])
        #expect(try ctl.inside("a", "ip -br link show eth1").status != 0)
        #expect(try ctl.run(["exec", "c", "--", "getent", "hosts", "web"]).status != 0)

        // network rm is refused while used.
        #expect(try ctl.run(["network", "rm", "front"]).status != 0)
        try ctl.ok(["rm", "--force", "a", "b", "c"])
        #expect(ctl.leftovers() == [])
        try ctl.ok(["network", "rm", "front"])
        try ctl.ok(["network", "rm", "back", "out"])
    }

    @Test("a create that fails on its second network leaves nothing behind")
    func failedCreate() throws {
        let ctl = try Ctl("ctlfail")
        defer { ctl.cleanup() }
        try ctl.ok(["network", "create", "good", "--internal"])
        try ctl.ok(["network", "create", "bad", "--internal", "--backend", "cni"])
        let bridge = try #require((try ctl.ok(["network", "inspect", "bad"]).json as? [String: Any]).flatMap {
            ($0["network"] as? [String: Any])?["network_interface"] as? String })
        let clash = try ctl.host.exec(ctl.host.name, "ip link add \(bridge) type veth peer name \(bridge)p")
        #expect(clash.status == 0, "\(clash.stderrText)")
        let linksBefore = try ctl.host.linkNames(ctl.host.name)
        let vethsBefore = try ctl.host.json(ctl.host.name, "ip -j link show type veth").compactMap { $0["ifname"] as? String }
        let failed = try ctl.run(["run", "x", "--network", "good", "--network", "bad"])
        #expect(failed.status != 0)
        #expect(failed.stderrText.contains("network bad"), "\(failed.stderrText)")
        #expect(ctl.leftovers() == vethsBefore.map { "veth " + $0 })
        #expect(try ctl.host.linkNames(ctl.host.name).subtracting(["pontoon0"]) == linksBefore.subtracting(["pontoon0"]))
        #expect(try ctl.run(["inspect", "x"]).status != 0)
        // The same name works once the clash is gone.
        try ctl.host.exec(ctl.host.name, "ip link del \(bridge)")
        try ctl.ok(["run", "x", "--network", "good", "--network", "bad"])
        try ctl.ok(["rm", "--force", "x"])
        #expect(ctl.leftovers() == [])
    }

    @Test("CNI backend, pontoon and the reference bridge plugin: traffic, inspect, reload keeps addresses, rm leaves nothing",
          arguments: ["pontoon", "bridge"])
    func cniFlow(plugin: String) throws {
        let ctl = try Ctl("ctlcni")
        defer { ctl.cleanup() }
        try ctl.ok(["network", "create", "cn", "--internal", "--backend", "cni", "--plugin", plugin])
        try ctl.ok(["run", "x", "--network", "cn"])
        try ctl.ok(["run", "y", "--network", "cn:ip=\(try address(try ctl.inspect("x"), "cn").replacingOccurrences(of: ".2", with: ".77")),mac=02:00:00:00:77:77"])
        func onCN(_ settings: [String: Any]) -> [String: Any]? { (settings["Networks"] as? [String: [String: Any]])?["cn"] }
        let x = try #require(onCN(try ctl.inspect("x"))), y = try ctl.inspect("y")
        let yIP = try address(y, "cn")
        #expect(yIP.hasSuffix(".77") && onCN(y)?["MacAddress"] as? String == "02:00:00:00:77:77")
        let links = try ctl.inside("x", "ip -j addr show eth0").json as? [[String: Any]] ?? []
        #expect(links.first?["address"] as? String == x["MacAddress"] as? String)
        #expect(try ctl.ok(["exec", "x", "--", "ping", "-c", "1", "-W", "2", yIP]).status == 0)
        try ctl.ok(["reload", "x"])
        let reloaded = try #require(onCN(try ctl.inspect("x")))
        #expect(reloaded["IPAddress"] as? String == x["IPAddress"] as? String && reloaded["MacAddress"] as? String == x["MacAddress"] as? String)
        #expect(try ctl.ok(["exec", "x", "--", "ping", "-c", "1", "-W", "2", yIP]).status == 0)
        try ctl.ok(["rm", "--force", "x", "y"])
        #expect(ctl.leftovers() == [])
    }
}
