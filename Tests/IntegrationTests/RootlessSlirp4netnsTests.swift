import Foundation
import Testing
import TestSupport

/// A rootless user's `--network slirp4netns` containers (each with its own slirp4netns inside the
/// pause process's namespaces, no rootless netns connector) and the port proxy (`port_handler=
/// rootlesskit`), for slirp4netns and for a bridge network; a test user in a private host with an
/// outside namespace behind it (198.51.100.1 is the private host, .2 the outside).
@Suite("pontoonctl rootless slirp4netns and port proxy", needsRoot, .serialized,
       .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/slirp4netns"), "slirp4netns is not installed"))
struct RootlessSlirp4netnsTests {
    func state(_ session: RootlessSession) -> String { session.user.runtimeDirectory + "/pontoon" }

    /// The container's namespace path, from `inspect`, and its settings.
    func settings(_ session: RootlessSession, _ name: String) throws -> [String: Any] {
        let result = try session.run(["inspect", name, "--format", "json"])
        let document = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any], "\(result.stderrText)")
        return try #require(document["NetworkSettings"] as? [String: Any])
    }

    func pause(_ session: RootlessSession) throws -> Int32 {
        let text = try String(contentsOfFile: state(session) + "/rootless-netns-pause.pid", encoding: .utf8)
        return try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    /// A shell command (as root) in a rootless container's namespace, which only the pause process's mount namespace holds.
    func inside(_ session: RootlessSession, _ netns: String, _ command: String) throws -> RunResult {
        try TestRun.run("/usr/bin/nsenter", ["-t", String(try pause(session)), "-m", "--", "/usr/bin/nsenter", "--net=" + netns, "--",
                                             "/bin/sh", "-c", command], environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"])
    }

    /// The probe's TCP and UDP servers on `port` in the container; returns their pid (killed by the caller).
    func serve(_ session: RootlessSession, _ netns: String, port: Int) throws -> Int32 {
        let probe = try session.host.probeScript()
        let started = try inside(session, netns, "python3 \(probe) serve \(port) </dev/null >/dev/null 2>&1 & echo $!")
        let pid = try #require(Int32(started.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)), "\(started.stderrText)")
        #expect(eventually { (try? inside(session, netns, "ss -Hlnt"))?.stdoutText.contains(":\(port) ") == true })
        return pid
    }

    /// The user's live processes (not zombies) named `name` (`slirp4netns`), or whose command line has `name` in it (`port-proxy`).
    func processes(_ session: RootlessSession, _ name: String) throws -> [String] {
        let listed = try TestRun.run("/usr/bin/ps", ["-u", String(session.user.uid), "-o", "stat=,comm=,args="]).stdoutText
        return listed.split(separator: "\n").map(String.init).filter { line in
            let fields = line.split(separator: " ", maxSplits: 2).map(String.init)
            guard fields.count == 3, !fields[0].hasPrefix("Z") else { return false }
            return name == "slirp4netns" ? fields[1] == name : fields[2].contains(name)
        }
    }

    /// No process of the user, no namespace file, no container state, no rootless netns file, no API
    /// socket, none of `ports` listening in the private host.
    func expectNothingLeft(_ session: RootlessSession, ports: [Int], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let alive = eventually { session.user.liveProcesses().isEmpty }
        #expect(alive, "still running: \(session.user.liveProcesses())", sourceLocation: sourceLocation)
        let fm = FileManager.default
        let runtime = session.user.runtimeDirectory
        #expect(((try? fm.contentsOfDirectory(atPath: runtime + "/netns")) ?? []).isEmpty, sourceLocation: sourceLocation)
        #expect(((try? fm.contentsOfDirectory(atPath: runtime + "/pontoon/containers")) ?? []).isEmpty, sourceLocation: sourceLocation)
        let files = (try? fm.contentsOfDirectory(atPath: state(session))) ?? []
        #expect(files.filter { $0.hasPrefix("rootless-netns") || $0.hasSuffix(".net") }.isEmpty, "left: \(files)", sourceLocation: sourceLocation)
        #expect(RootlessUser.mountPoints(under: runtime).isEmpty, sourceLocation: sourceLocation)
        let listening = try session.host.exec(session.host.name, "ss -Hlntu").stdoutText
        for port in ports { #expect(!listening.contains(":\(port) "), "\(port) still listens: \(listening)", sourceLocation: sourceLocation) }
    }

    @Test("port_handler=slirp4netns: outbound TCP, a published port seen from the real client, inspect and stats of tap0; rm leaves nothing")
    func slirpHandler() throws {
        let session = try RootlessSession()
        defer { session.finish() }
        let outside = try session.wireOutside()
        let probe = try session.host.probeScript()
        let made = try session.run(["run", "s", "--network", "slirp4netns:port_handler=slirp4netns,enable_ipv6=false", "-p", "8080:80"])
        try #require(made.status == 0, "create: \(made.stderrText)")
        // Its own slirp4netns, and the pause process; no rootless netns and no connector.
        #expect(try processes(session, "slirp4netns").count == 1)
        let files = (try? FileManager.default.contentsOfDirectory(atPath: state(session))) ?? []
        #expect(files.contains("rootless-netns-pause.pid") && !files.contains("rootless-netns-slirp4netns.pid"), "\(files)")
        let netns = try #require(try settings(session, "s")["SandboxKey"] as? String)
        #expect(netns.hasPrefix(session.user.runtimeDirectory + "/netns/netns-"))
        #expect(try inside(session, netns, "ip -br addr show tap0").stdoutText.contains("10.0.2.100/24"))

        let out = try inside(session, netns, "timeout -s KILL 10 python3 \(probe) tcp 198.51.100.2 8080 0")
        #expect(out.stdoutText.hasPrefix("tcp4 198.51.100.1 port "), "\(out.stdoutText) \(out.stderrText)")

        let server = try serve(session, netns, port: 80)
        defer { kill(server, SIGKILL) }
        let answer = try session.host.probe(from: outside, "tcp", "198.51.100.1", 8080)
        #expect(answer.hasPrefix("tcp4 198.51.100.2 port "), "slirp4netns keeps the client: \(answer)")

        let view = try settings(session, "s")
        #expect((view["Networks"] as? [String: Any])?.isEmpty == true && (view["Ports"] as? [String: Any])?["80/tcp"] != nil, "\(view)")
        let stats = try session.run(["stats", "s", "--format", "json"])
        let document = try #require(try JSONSerialization.jsonObject(with: stats.stdout) as? [String: Any], "\(stats.stderrText)")
        let interfaces = (document["interfaces"] as? [[String: Any]] ?? []).compactMap { $0["interface"] as? String }
        #expect(interfaces == ["tap0"])
        #expect(((document["total"] as? [String: Any])?["rxBytes"] as? Int ?? 0) > 0, "\(document)")
        // podman's NET IO figure counts tap0 for a slirp4netns container.
        let io = document["podman"] as? [String: Any]
        #expect((io?["netInput"] as? Int ?? 0) > 0 && (io?["netOutput"] as? Int ?? 0) > 0, "\(document)")

        kill(server, SIGKILL)
        let removed = try session.run(["rm", "--force", "s"])
        #expect(removed.status == 0, "rm: \(removed.stderrText)")
        try expectNothingLeft(session, ports: [8080])
    }

    @Test("port_handler=rootlesskit: TCP and UDP through the port proxy, the container seeing its own address; a taken port is refused and leaves nothing; rm leaves nothing")
    func proxyHandler() throws {
        let session = try RootlessSession()
        defer { session.finish() }
        let outside = try session.wireOutside()
        let made = try session.run(["run", "k", "--network", "slirp4netns:enable_ipv6=false", "-p", "8080:80", "-p", "8081:80/udp"])
        try #require(made.status == 0, "create: \(made.stderrText)")
        let proxies = try processes(session, "port-proxy")
        #expect(proxies.count == 2, "the proxy and its helper: \(proxies)")
        let netns = try #require(try settings(session, "k")["SandboxKey"] as? String)
        let server = try serve(session, netns, port: 80)
        defer { kill(server, SIGKILL) }

        let tcp = try session.host.probe(from: outside, "tcp", "198.51.100.1", 8080)
        #expect(tcp.hasPrefix("tcp4 10.0.2.100 port "), "the proxy's inner socket, not the client: \(tcp)")
        let udp = try session.host.probe(from: outside, "udp", "198.51.100.1", 8081)
        #expect(udp.hasPrefix("udp4 10.0.2.100 port "), "\(udp)")
        let local = try session.host.probe(from: session.host.name, "tcp", "127.0.0.1", 8080)
        #expect(local.hasPrefix("tcp4 10.0.2.100 port "), "\(local)")

        try session.host.serve(in: session.host.name, port: 8091)
        let taken = try session.run(["run", "t", "--network", "slirp4netns", "-p", "8090-8091:80-81"])
        #expect(taken.status != 0 && taken.stderrText.contains("cannot publish 0.0.0.0:8091/tcp: Address already in use"), "\(taken.stderrText)")
        #expect(try session.run(["inspect", "t"]).status != 0)
        let files = (try? FileManager.default.contentsOfDirectory(atPath: session.user.runtimeDirectory + "/netns")) ?? []
        #expect(files == [URL(fileURLWithPath: netns).lastPathComponent], "\(files)")
        let (slirps, stillProxies) = (try processes(session, "slirp4netns"), try processes(session, "port-proxy"))
        #expect(slirps.count == 1 && stillProxies.count == 2, "\(slirps) \(stillProxies)")
        #expect(!(try session.host.exec(session.host.name, "ss -Hlnt").stdoutText.contains(":8090 ")))

        kill(server, SIGKILL)
        let removed = try session.run(["rm", "--force", "k"])
        #expect(removed.status == 0, "rm: \(removed.stderrText)")
        try expectNothingLeft(session, ports: [8080, 8081, 8090])
    }

    @Test("a rootless bridge container with --port-handler rootlesskit answers through the proxy from the gateway, beside a slirp4netns container (which keeps the pause process, not the connector); rm of all leaves nothing")
    func bridgeProxy() throws {
        let session = try RootlessSession()
        defer { session.finish() }
        _ = try session.user.install(Binaries.pontoon)
        let network = try session.run(["network", "create", "front"])
        try #require(network.status == 0, "network create: \(network.stderrText)")
        let outside = try session.wireOutside()
        let sctp = try session.run(["run", "x", "--network", "front", "-p", "8080:80/sctp", "--port-handler", "rootlesskit"])
        #expect(sctp.status == 125 && sctp.stderrText.contains("port_handler=rootlesskit proxies only tcp and udp"), "\(sctp.stderrText)")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: session.user.runtimeDirectory + "/netns")) ?? []).isEmpty)
        let before = session.user.liveProcesses()
        #expect(before.isEmpty, "refused before the pause process starts: \(before)")
        let made = try session.run(["run", "web", "--network", "front", "-p", "8080:80", "-p", "8081:80/udp", "-p", "[::1]:8086:80",
                                    "--port-handler", "rootlesskit"])
        try #require(made.status == 0, "create: \(made.stderrText)")
        let view = try settings(session, "web")
        let front = try #require((view["Networks"] as? [String: Any])?["front"] as? [String: Any])
        let gateway = try #require(front["Gateway"] as? String)
        let probe = try session.user.install(try session.host.probeScript())   // run by the user
        var servers: [Int32] = []
        defer { for server in servers { kill(server, SIGKILL) } }
        /// The probe's servers on port 80 in web's current namespace (a start makes a new one).
        func serveWeb() throws -> Int32 {
            let netns = try #require(try settings(session, "web")["SandboxKey"] as? String)
            let started = try session.run(["rootless-netns", "exec", "--", "/usr/bin/nsenter", "--net=" + netns, "--", "/bin/sh", "-c",
                                           "/usr/bin/python3 \(probe) serve 80 </dev/null >/dev/null 2>&1 & echo $!"])
            let server = try #require(Int32(started.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)), "\(started.stderrText)")
            servers.append(server)
            #expect(eventually { (try? session.run(["rootless-netns", "exec", "--", "/usr/bin/nsenter", "--net=" + netns, "--", "/bin/ss", "-Hlnt"]))?
                .stdoutText.contains(":80 ") == true })
            return server
        }
        var server = try serveWeb()

        let tcp = try session.host.probe(from: outside, "tcp", "198.51.100.1", 8080)
        #expect(tcp.hasPrefix("tcp4 \(gateway) port "), "the proxy connects from the rootless netns: \(tcp)")
        let udp = try session.host.probe(from: outside, "udp", "198.51.100.1", 8081)
        #expect(udp.hasPrefix("udp4 \(gateway) port "), "\(udp)")
        // An IPv6 host address the rootless netns' slirp4netns could not forward: the proxy listens there too.
        let six = try session.host.probe(from: session.host.name, "tcp", "::1", 8086)
        #expect(six.hasPrefix("tcp4 \(gateway) port "), "\(six)")

        // Its counters, read inside the rootless user namespace.
        let stats = try session.run(["stats", "web", "--format", "json"])
        let document = try #require(try JSONSerialization.jsonObject(with: stats.stdout) as? [String: Any], "\(stats.stderrText)")
        #expect((document["interfaces"] as? [[String: Any]] ?? []).compactMap { $0["interface"] as? String } == ["eth0"], "\(document)")

        // stop takes the proxy down with the networks; start publishes again with the handler recorded at create.
        kill(server, SIGKILL)
        let stopped = try session.run(["stop", "web"])
        #expect(stopped.status == 0, "stop: \(stopped.stderrText)")
        #expect(eventually { (try? processes(session, "port-proxy"))?.isEmpty == true }, "the proxy outlived stop")
        #expect(!(try session.host.exec(session.host.name, "ss -Hlntu").stdoutText.contains(":8080 ")))
        let restarted = try session.run(["start", "web"])
        try #require(restarted.status == 0, "start: \(restarted.stderrText)")
        #expect(!(try processes(session, "port-proxy")).isEmpty, "the proxy again")
        server = try serveWeb()
        let afterStart = try session.host.probe(from: outside, "tcp", "198.51.100.1", 8080)
        #expect(afterStart.hasPrefix("tcp4 \(gateway) port "), "through the proxy after start: \(afterStart)")

        // A slirp4netns container beside it shares the pause process, not the connector; either may go first.
        let slirp = try session.run(["run", "s", "--network", "slirp4netns:port_handler=slirp4netns", "-p", "8082:80"])
        try #require(slirp.status == 0, "create s: \(slirp.stderrText)")
        let both = try processes(session, "slirp4netns")
        #expect(both.count == 2, "the connector and the container's: \(both)")
        kill(server, SIGKILL)
        let removed = try session.run(["rm", "--force", "web"])
        #expect(removed.status == 0, "rm: \(removed.stderrText)")
        let s = try #require(try settings(session, "s")["SandboxKey"] as? String)
        let slirpServer = try serve(session, s, port: 80)
        defer { kill(slirpServer, SIGKILL) }
        let kept = try session.host.probe(from: outside, "tcp", "198.51.100.1", 8082)
        #expect(kept.hasPrefix("tcp4 198.51.100.2 port "), "\(kept)")
        // With only the slirp4netns container left the connector is gone; the next bridge container brings it back.
        #expect(try processes(session, "slirp4netns").count == 1)
        let again = try session.run(["run", "again", "--network", "front"])
        try #require(again.status == 0, "create again: \(again.stderrText)")
        let againNetns = try #require(try settings(session, "again")["SandboxKey"] as? String)
        let out = try session.run(["rootless-netns", "exec", "--", "/usr/bin/nsenter", "--net=" + againNetns, "--",
                                   "/usr/bin/timeout", "-s", "KILL", "10", "/usr/bin/python3", probe, "tcp", "198.51.100.2", "8080", "0"])
        #expect(out.stdoutText.hasPrefix("tcp4 198.51.100.1 port "), "through the connector: \(out.stdoutText) \(out.stderrText)")
        #expect(try session.run(["rm", "--force", "again"]).status == 0)
        kill(slirpServer, SIGKILL)
        let last = try session.run(["rm", "--force", "s"])
        #expect(last.status == 0, "rm s: \(last.stderrText)")
        try expectNothingLeft(session, ports: [8080, 8081, 8082, 8086])

        // Refused with no container left: the pause process it started goes too.
        try session.host.serve(in: session.host.name, port: 8083)
        let taken = try session.run(["run", "t", "--network", "slirp4netns", "-p", "8083:80"])
        #expect(taken.status != 0 && taken.stderrText.contains("cannot publish 0.0.0.0:8083/tcp"), "\(taken.stderrText)")
        try expectNothingLeft(session, ports: [])
    }
}
