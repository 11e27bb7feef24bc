import Foundation
import Testing
import TestSupport

/// The root flows' four backends (`CtlBackend`), run by a test user: pontoonctl drives each through
/// its protocol inside the rootless netns, and the traffic is what podman's rootless bridge networks
/// promise (out through the connector, between containers, in through a published port with the
/// client's address kept), and rm leaves nothing.
@Suite("pontoonctl rootless over four backends", needsRoot, .serialized)
struct RootlessBackendTests {
    /// The helpers of the pontoon-netavark rootless tests (attachment on `front`, a command inside a
    /// container, nothing left), shared rather than written twice.
    let containers = RootlessContainerTests()

    @Test("two containers on a rootless bridge network, one publishing 8080→80: out, between them (by name where served), in with the client's address, rm leaves nothing",
          arguments: CtlBackend.allCases)
    func flow(backend: CtlBackend) throws {
        try backend.requireInstalled()
        let session = try RootlessSession()
        defer { session.finish() }
        _ = try session.user.install(Binaries.pontoon)
        let outside = try session.wireOutside()
        let probe = try session.user.install(try session.host.probeScript())
        let made = try session.run(["network", "create", "front"] + backend.networkArguments)
        try #require(made.status == 0, "network create: \(made.stderrText)")
        try expectRootlessMTU(session, backend)

        let web = try session.run(["run", "web", "--network", "front", "-p", "8080:80", "--port-handler", "slirp4netns"])
        try #require(web.status == 0, "create web: \(web.stderrText)")
        let client = try session.run(["run", "client", "--network", "front"])
        try #require(client.status == 0, "create client: \(client.stderrText)")
        let a = try containers.attachment(session, "web"), b = try containers.attachment(session, "client")
        #expect(a.netns.hasPrefix(session.user.runtimeDirectory + "/netns/netns-") && a.ip != b.ip, "\(a) \(b)")
        let state = session.user.runtimeDirectory + Self.stateUnderRuntime(backend)
        let kept = (try? FileManager.default.contentsOfDirectory(atPath: state)) ?? []
        #expect(!kept.isEmpty, "\(backend) keeps nothing in \(state)")
        let link = try containers.inside(session, a.netns, ["/sbin/ip", "-o", "link", "show", "eth0"])
        #expect(link.stdoutText.contains("mtu 65520"), "\(backend): \(link.stdoutText) \(link.stderrText)")
        // Loopback up, as podman leaves it with every backend (its CNI backend sets it up itself).
        let loopback = try containers.inside(session, a.netns, ["/sbin/ip", "-o", "link", "show", "lo"])
        #expect(loopback.stdoutText.contains(",UP"), "\(backend): \(loopback.stdoutText) \(loopback.stderrText)")

        var servers: [Int32] = []
        defer { for pid in servers { kill(pid, SIGKILL) } }
        for netns in [a.netns, b.netns] { servers.append(try serve(session, netns, probe)) }

        // Out: masqueraded by the backend into the rootless netns, then by slirp4netns from the private host.
        for (name, netns) in [("web", a.netns), ("client", b.netns)] {
            let out = try containers.inside(session, netns, ["/usr/bin/timeout", "-s", "KILL", "10", "/usr/bin/python3", probe, "tcp",
                                                              "198.51.100.2", "8080", "0"])
            #expect(out.stdoutText.hasPrefix("tcp4 198.51.100.1 port "), "\(backend) \(name) out: \(out.stdoutText) \(out.stderrText)")
        }

        // Between them: client reaches web's server and web sees client's own address (no NAT on the bridge);
        // by name through aardvark-dns where the backend serves names.
        var target = a.ip
        if backend.servesDNS {
            let lookup = try containers.inside(session, b.netns, ["/usr/bin/python3", "-c", RootlessContainerTests.query, b.gateway, "web"])
            let resolved = lookup.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(resolved == a.ip, "\(backend): client resolving web: \(lookup.stdoutText) \(lookup.stderrText)")
            target = resolved
        }
        let across = try containers.inside(session, b.netns, ["/usr/bin/timeout", "-s", "KILL", "10", "/usr/bin/python3", probe, "tcp",
                                                               target, "80", "0"])
        #expect(across.stdoutText.hasPrefix("tcp4 \(b.ip) port "), "\(backend) client -> web \(target): \(across.stdoutText) \(across.stderrText)")

        // In: from the outside namespace to the private host's 8080, through slirp4netns into the rootless
        // netns on the same port, where the backend's DNAT takes it to web; web sees the outside's address.
        let answer = try session.host.exec(outside, "timeout -s KILL 10 python3 \(probe) tcp 198.51.100.1 8080 0").stdoutText
        #expect(answer.hasPrefix("tcp4 198.51.100.2 port "), "\(backend) in: \"\(answer)\"")
        // From the private host's loopback (slirp4netns hands it in as its host address 10.0.2.2), and
        // hairpin: client to the published port through the host's address, out through slirp4netns and
        // back in through its forward (so web sees the host's address, which slirp4netns connected from).
        let local = try session.host.exec(session.host.name, "timeout -s KILL 10 python3 \(probe) tcp 127.0.0.1 8080 0").stdoutText
        #expect(local.hasPrefix("tcp4 10.0.2.2 port "), "\(backend) from 127.0.0.1: \"\(local)\"")
        let hairpin = try containers.inside(session, b.netns, ["/usr/bin/timeout", "-s", "KILL", "10", "/usr/bin/python3", probe, "tcp",
                                                                "198.51.100.1", "8080", "0"])
        #expect(hairpin.stdoutText.hasPrefix("tcp4 198.51.100.1 port "), "\(backend) hairpin: \(hairpin.stdoutText) \(hairpin.stderrText)")

        for pid in servers { kill(pid, SIGKILL) }
        for name in ["web", "client"] {
            let removed = try session.run(["rm", "--force", name])
            #expect(removed.status == 0, "\(backend) rm \(name): \(removed.stderrText)")
        }
        try containers.expectNothingLeft(session)
        try expectNoSocketsOrHostFiles(session)
        try expectNoStateLeft(session, backend)
        let listening = try session.host.exec(session.host.name, "ss -Hltn").stdoutText
        #expect(!listening.contains(":8080 "), "\(backend): 8080 still listened on: \(listening)")
        let dropped = try session.run(["network", "rm", "front"])
        #expect(dropped.status == 0, "\(backend) network rm: \(dropped.stderrText)")
    }

    @Test("a published port the host already listens on is refused with every backend, and the plugins' work is undone",
          arguments: CtlBackend.allCases)
    func takenPort(backend: CtlBackend) throws {
        try backend.requireInstalled()
        let session = try RootlessSession()
        defer { session.finish() }
        _ = try session.user.install(Binaries.pontoon)
        let made = try session.run(["network", "create", "front"] + backend.networkArguments)
        try #require(made.status == 0, "network create: \(made.stderrText)")
        try session.host.serve(in: session.host.name, port: 8081)
        let taken = try session.run(["run", "web", "--network", "front", "-p", "8081:80", "--port-handler", "slirp4netns"])
        #expect(taken.status != 0 && taken.stderrText.contains("cannot publish 0.0.0.0:8081/tcp"), "\(backend): \(taken.status) \(taken.stderrText)")
        #expect(try session.run(["inspect", "web"]).status != 0)
        try containers.expectNothingLeft(session)
        try expectNoSocketsOrHostFiles(session)
        try expectNoStateLeft(session, backend)
        // The same container on a free port: the network was left usable.
        let again = try session.run(["run", "web", "--network", "front", "-p", "8082:80", "--port-handler", "slirp4netns"])
        #expect(again.status == 0, "\(backend): \(again.stderrText)")
        #expect(try session.run(["rm", "--force", "web"]).status == 0)
        try containers.expectNothingLeft(session)
    }

    /// Where, under the user's runtime directory, each backend keeps a container's state: pontoon's
    /// netavark door and netavark under podman's rootless `--config`, pontoon as a CNI plugin in its
    /// conflist's `stateDir`, host-local (the reference chain's IPAM) in its `dataDir`.
    static func stateUnderRuntime(_ backend: CtlBackend) -> String {
        switch backend {
        case .pontoonNetavark: "/containers/networks/pontoon"
        case .netavark: "/containers/networks/aardvark-dns"
        case .pontoonCNI: "/pontoon/pontoon"
        case .reference: "/pontoon/cni-ipam/front"
        }
    }

    /// The network file, and the conflist `network create` wrote for the CNI backends, carry the
    /// rootless MTU default.
    func expectRootlessMTU(_ session: RootlessSession, _ backend: CtlBackend, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let directory = session.user.home + "/.config/pontoon/networks/"
        let file = try Data(contentsOf: URL(fileURLWithPath: directory + "front.json"))
        let options = ((try JSONSerialization.jsonObject(with: file) as? [String: Any])?["network"] as? [String: Any])?["options"] as? [String: Any]
        #expect(options?["mtu"] as? String == "65520", "\(String(decoding: file, as: UTF8.self))", sourceLocation: sourceLocation)
        guard backend == .pontoonCNI || backend == .reference else { return }
        let conflist = try Data(contentsOf: URL(fileURLWithPath: directory + "front.conflist"))
        let plugins = (try JSONSerialization.jsonObject(with: conflist) as? [String: Any])?["plugins"] as? [[String: Any]]
        #expect(plugins?.first?["mtu"] as? Int == 65520, "\(String(decoding: conflist, as: UTF8.self))", sourceLocation: sourceLocation)
    }

    /// The probe's server inside a container's namespace, listening before this returns; its pid.
    func serve(_ session: RootlessSession, _ netns: String, _ probe: String) throws -> Int32 {
        let server = try containers.inside(session, netns, ["/bin/sh", "-c", "/usr/bin/python3 \(probe) serve 80 </dev/null >/dev/null 2>&1 & echo $!"])
        let pid = try #require(Int32(server.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)), "\(server.stderrText)")
        let listening = eventually { (try? containers.inside(session, netns, ["/bin/ss", "-Hltn"]))?.stdoutText.contains(":80 ") == true }
        #expect(listening, "server in \(netns) did not start")
        return pid
    }

    /// Only locks, host-local's cursor and pontoonctl's event log stay under the runtime directory: no
    /// lease, cached CNI result, attachment record or DNS entry, so every plugin's teardown ran.
    func expectNoStateLeft(_ session: RootlessSession, _ backend: CtlBackend, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let files = try TestRun.run("/usr/bin/find", [session.user.runtimeDirectory, "-type", "f"]).stdoutText.split(separator: "\n")
        let remaining = files.filter { path in
            let name = path.split(separator: "/").last ?? ""
            return !name.hasSuffix("lock") && name != "store" && name != "events" && name != "events.log" && !name.hasPrefix("last_reserved_ip")
        }
        #expect(remaining.isEmpty, "\(backend) left: \(remaining)", sourceLocation: sourceLocation)
    }

    /// No socket left in the user's runtime directory (slirp4netns' API socket, aardvark-dns'), and
    /// nothing of the user's in the host's own /run: plugins run by a rootless container (pontoon through
    /// either protocol, netavark, the reference chain) keep their state where the rootless mounts put it.
    func expectNoSocketsOrHostFiles(_ session: RootlessSession, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let sockets = try TestRun.run("/usr/bin/find", [session.user.runtimeDirectory, "-type", "s"])
        #expect(sockets.stdoutText.isEmpty, "sockets left: \(sockets.stdoutText)", sourceLocation: sourceLocation)
        let range = session.user.subordinate!
        let owned = try TestRun.run("/usr/bin/find", ["/run", "-xdev", "-path", session.user.runtimeDirectory, "-prune", "-o", "(",
                                                      "-uid", String(session.user.uid), "-o", "-uid", "+\(range.lowerBound - 1)",
                                                      ")", "-print"])
        #expect(owned.stdoutText.isEmpty, "the user's files in the host's /run: \(owned.stdoutText)", sourceLocation: sourceLocation)
    }

    @Test("a conflist whose host-local keeps its leases in /var/lib/cni (its default) gets the rootless netns' private one")
    func privateCNIState() throws {
        try CtlBackend.reference.requireInstalled()
        let session = try RootlessSession()
        defer { session.finish() }
        let made = try session.run(["network", "create", "front"] + CtlBackend.reference.networkArguments)
        try #require(made.status == 0, "network create: \(made.stderrText)")
        let path = session.user.home + "/.config/pontoon/networks/front.conflist"
        var list = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        var plugins = try #require(list["plugins"] as? [[String: Any]])
        var ipam = try #require(plugins[0]["ipam"] as? [String: Any])
        ipam["dataDir"] = nil
        plugins[0]["ipam"] = ipam
        list["plugins"] = plugins
        try JSONSerialization.data(withJSONObject: list).write(to: URL(fileURLWithPath: path))
        let hostHad = FileManager.default.fileExists(atPath: "/var/lib/cni")

        let created = try session.run(["run", "lone", "--network", "front"])
        try #require(created.status == 0, "create: \(created.stderrText)")
        let lone = try containers.attachment(session, "lone")
        let leases = session.user.runtimeDirectory + "/pontoon/rootless-netns/var/lib/cni/networks/front"
        let held = (try? FileManager.default.contentsOfDirectory(atPath: leases)) ?? []
        #expect(held.contains(lone.ip), "leases in \(leases): \(held)")
        #expect(FileManager.default.fileExists(atPath: "/var/lib/cni") == hostHad, "the host's /var/lib/cni changed")
        let ping = try containers.inside(session, lone.netns, ["/usr/bin/ping", "-c", "1", "-W", "2", lone.gateway])
        #expect(ping.status == 0, "ping \(lone.gateway): \(ping.stdoutText) \(ping.stderrText)")

        let removed = try session.run(["rm", "--force", "lone"])
        #expect(removed.status == 0, "rm: \(removed.stderrText)")
        try containers.expectNothingLeft(session)
    }
}
