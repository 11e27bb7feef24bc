import Foundation
import Testing
import TestSupport

/// What rootless containers do after `create`: connect and disconnect, reload, exec, stats, a
/// connector restarted with its forwards, published ports from loopback and hairpin, and `rm` without
/// slirp4netns. A test user in a private host with an outside namespace behind it, as
/// `RootlessContainerTests` runs them (its fixtures are reused); every check is real traffic.
@Suite("pontoonctl rootless container operations", needsRoot, .serialized)
struct RootlessOperationsTests {
    let fixtures = RootlessContainerTests()

    /// A container's server answering with the peer it saw, on `port` inside its namespace; returns its pid.
    func serve(_ session: RootlessSession, _ netns: String, port: Int, probe: String) throws -> Int32 {
        let server = try fixtures.inside(session, netns, ["/bin/sh", "-c", "/usr/bin/python3 \(probe) serve \(port) </dev/null >/dev/null 2>&1 & echo $!"])
        let pid = try #require(Int32(server.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)), "\(server.stderrText)")
        let listening = eventually { (try? fixtures.inside(session, netns, ["/bin/ss", "-Hltn"]))?.stdoutText.contains(":\(port) ") == true }
        #expect(listening, "server on \(port) in \(netns)")
        return pid
    }

    /// A TCP probe through `pontoonctl exec` (the verb under test): what the server answered, "" when nothing.
    func probe(_ session: RootlessSession, from name: String, _ address: String, _ port: Int, probe: String) throws -> String {
        try session.run(["exec", name, "--", "/usr/bin/timeout", "-s", "KILL", "10", "/usr/bin/python3", probe, "tcp", address, String(port), "0"])
            .stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A probe from a namespace of the private host (the outside, or the host itself).
    func probe(_ session: RootlessSession, in namespace: String, _ address: String, _ port: Int, probe: String) throws -> String {
        try session.host.exec(namespace, "timeout -s KILL 10 python3 \(probe) tcp \(address) \(port) 0").stdoutText
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `stats NAME --format json`: the summed counters.
    func total(_ session: RootlessSession, _ name: String) throws -> [String: Any] {
        let result = try session.run(["stats", name, "--format", "json"])
        let document = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any], "stats: \(result.stderrText)")
        return try #require(document["total"] as? [String: Any])
    }

    /// The container's address on `network`, from `inspect`.
    func address(_ session: RootlessSession, _ name: String, on network: String) throws -> String? {
        let result = try session.run(["inspect", name, "--format", "json"])
        let document = try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any]
        let networks = (document?["NetworkSettings"] as? [String: Any])?["Networks"] as? [String: Any]
        return (networks?[network] as? [String: Any])?["IPAddress"] as? String
    }

    @Test("connect puts a running rootless container on a second network with real traffic to a container there; disconnect takes it away")
    func connectDisconnect() throws {
        let session = try fixtures.prepared()
        defer { session.finish() }
        let probe = try session.user.install(try session.host.probeScript())
        // Two isolated networks (netavark's isolate drops traffic between isolated networks): before
        // connect and after disconnect, a (on side) cannot route through the rootless netns to back.
        for network in ["side", "back"] {
            try #require(try session.run(["network", "create", network, "--opt", "isolate=true"]).status == 0)
        }
        for (name, network) in [("a", "side"), ("srv", "back")] {
            let made = try session.run(["run", name, "--network", network])
            try #require(made.status == 0, "create \(name): \(made.stderrText)")
        }
        let server = try #require(try address(session, "srv", on: "back"))
        let aNetns = try sandbox(session, "a")
        let srvPid = try serve(session, try sandbox(session, "srv"), port: 80, probe: probe)
        defer { kill(srvPid, SIGKILL) }
        #expect(try self.probe(session, from: "a", server, 80, probe: probe) == "", "a reached back before connect")

        let connected = try session.run(["connect", "a", "back"])
        try #require(connected.status == 0, "connect: \(connected.stderrText)")
        let aBack = try #require(try address(session, "a", on: "back"))
        let links = try fixtures.inside(session, aNetns, ["/sbin/ip", "-br", "addr", "show", "eth1"]).stdoutText
        #expect(links.contains(aBack), "eth1 of a: \(links)")
        // The server on back sees a's new address on back: the traffic went over the new interface.
        let answer = try self.probe(session, from: "a", server, 80, probe: probe)
        #expect(answer.hasPrefix("tcp4 \(aBack) port "), "a -> srv after connect: \(answer)")

        let disconnected = try session.run(["disconnect", "a", "back"])
        #expect(disconnected.status == 0, "disconnect: \(disconnected.stderrText)")
        #expect(try fixtures.inside(session, aNetns, ["/sbin/ip", "link", "show", "eth1"]).status != 0, "eth1 still in a")
        #expect(try self.probe(session, from: "a", server, 80, probe: probe) == "", "a still reaches back after disconnect")
        #expect(try address(session, "a", on: "back") == nil)

        kill(srvPid, SIGKILL)
        for name in ["a", "srv"] { #expect(try session.run(["rm", "--force", name]).status == 0) }
        try fixtures.expectNothingLeft(session)
    }

    /// The container's namespace path.
    func sandbox(_ session: RootlessSession, _ name: String) throws -> String {
        let result = try session.run(["inspect", name, "--format", "json"])
        let document = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any], "\(result.stderrText)")
        return try #require((document["NetworkSettings"] as? [String: Any])?["SandboxKey"] as? String)
    }

    @Test("reload restores a published port and the way out after nft flush ruleset inside the rootless netns")
    func reloadAfterFlush() throws {
        let session = try fixtures.prepared()
        defer { session.finish() }
        let outside = try session.wireOutside()
        let probe = try session.user.install(try session.host.probeScript())
        let made = try session.run(["run", "web", "--network", "front", "-p", "8080:80"])
        try #require(made.status == 0, "create: \(made.stderrText)")
        let web = try fixtures.attachment(session, "web")
        let pid = try serve(session, web.netns, port: 80, probe: probe)
        defer { kill(pid, SIGKILL) }
        let before = try self.probe(session, in: outside, "198.51.100.1", 8080, probe: probe)
        #expect(before.hasPrefix("tcp4 198.51.100.2 port "), "before: \(before)")

        let flushed = try session.run(["rootless-netns", "exec", "--", "/usr/sbin/nft", "flush", "ruleset"])
        try #require(flushed.status == 0, "flush: \(flushed.stderrText)")
        #expect(try self.probe(session, in: outside, "198.51.100.1", 8080, probe: probe) == "", "the flush did not break the published port (the transparent proxy's routing)")
        #expect(try self.probe(session, from: "web", "198.51.100.2", 8080, probe: probe) == "", "the flush did not remove the masquerade")

        let reloaded = try session.run(["reload", "web"])
        #expect(reloaded.status == 0, "reload: \(reloaded.stderrText)")
        #expect(try fixtures.attachment(session, "web").ip == web.ip, "reload changed the address")
        let after = try self.probe(session, in: outside, "198.51.100.1", 8080, probe: probe)
        #expect(after.hasPrefix("tcp4 198.51.100.2 port "), "after reload: \(after)")
        let out = try self.probe(session, from: "web", "198.51.100.2", 8080, probe: probe)
        #expect(out.hasPrefix("tcp4 198.51.100.1 port "), "out after reload: \(out)")

        kill(pid, SIGKILL)
        #expect(try session.run(["rm", "--force", "web"]).status == 0)
        try fixtures.expectNothingLeft(session)
    }

    @Test("once the pause process died, exec, stats, connect, disconnect and reload say the namespace is gone and run nothing outside it")
    func pauseDied() throws {
        let session = try fixtures.prepared()
        defer { session.finish() }
        let made = try session.run(["run", "lone", "--network", "front"])
        try #require(made.status == 0, "create: \(made.stderrText)")
        let text = try String(contentsOfFile: session.user.runtimeDirectory + "/pontoon/rootless-netns-pause.pid", encoding: .utf8)
        let pause = try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        kill(pause, SIGKILL)
        #expect(eventually { RootlessConnectorTests.gone(pause) })
        let links = try session.host.exec(session.host.name, "ip -br link").stdoutText
        for verb in [["exec", "lone", "--", "true"], ["stats", "lone"], ["connect", "lone", "front"], ["disconnect", "lone", "front"],
                     ["reload", "lone"]] {
            let result = try session.run(verb)
            #expect(result.status == 1 && result.stderrText.contains("the rootless network namespace of container lone is gone"),
                    "\(verb[0]): \(result.status) \(result.stderrText)")
        }
        // Nothing ran in the private host instead: no bridge or veth appeared there.
        #expect(try session.host.exec(session.host.name, "ip -br link").stdoutText == links)
        let missing = try session.run(["exec", "nobody", "--", "true"])
        #expect(missing.status == 125 && missing.stderrText.contains("no container with name \"nobody\" found"), "\(missing.stderrText)")
        let removed = try session.run(["rm", "--force", "lone"])
        #expect(removed.status == 0 && removed.stderrText.contains("is gone"), "\(removed.stderrText)")
        try fixtures.expectNothingLeft(session)
    }

    @Test("exec runs inside the rootless container (its address, its resolv.conf); stats count the traffic")
    func execAndStats() throws {
        let session = try fixtures.prepared()
        defer { session.finish() }
        let made = try session.run(["run", "a", "--network", "front", "--dns", "192.0.2.53"])
        try #require(made.status == 0, "create: \(made.stderrText)")
        let a = try fixtures.attachment(session, "a")

        let addresses = try session.run(["exec", "a", "--", "/sbin/ip", "-br", "addr", "show", "eth0"])
        #expect(addresses.status == 0 && addresses.stdoutText.contains(a.ip + "/"), "exec ip addr: \(addresses.stdoutText) \(addresses.stderrText)")
        let resolv = try session.run(["exec", "a", "--", "/bin/cat", "/etc/resolv.conf"]).stdoutText
        let stored = try String(contentsOfFile: session.user.runtimeDirectory + "/pontoon/containers/a/resolv.conf", encoding: .utf8)
        #expect(resolv.contains("192.0.2.53") && resolv.trimmingCharacters(in: .whitespacesAndNewlines)
                == stored.trimmingCharacters(in: .whitespacesAndNewlines), "exec resolv.conf: \(resolv)")
        let status = try session.run(["exec", "a", "--", "/bin/sh", "-c", "exit 7"]).status
        #expect(status == 7)

        let before = try total(session, "a")
        let ping = try session.run(["exec", "a", "--", "/usr/bin/ping", "-c", "3", "-i", "0.2", "-W", "2", a.gateway])
        #expect(ping.status == 0, "ping \(a.gateway): \(ping.stdoutText) \(ping.stderrText)")
        let after = try total(session, "a")
        let sent = (after["txPackets"] as? Int ?? 0) - (before["txPackets"] as? Int ?? 0)
        let received = (after["rxBytes"] as? Int ?? 0) - (before["rxBytes"] as? Int ?? 0)
        #expect(sent >= 3 && received > 0, "before \(before) after \(after)")
        let table = try session.run(["stats", "a"]).stdoutText
        #expect(table.contains("eth0") && !table.contains("lo "), "\(table)")

        #expect(try session.run(["rm", "--force", "a"]).status == 0)
        try fixtures.expectNothingLeft(session)
        let gone = try session.run(["exec", "a", "--", "true"])
        #expect(gone.status == 125 && gone.stderrText.contains("a"), "exec after rm: \(gone.status) \(gone.stderrText)")
    }
}
