import Foundation
import Testing
import TestSupport

/// The rootless netns' connector and published ports from the host's side: a slirp4netns killed with
/// -9 is restarted by the next `create` with every published port, ports answer from loopback and
/// hairpin, and `rm` needs no slirp4netns. Fixtures as `RootlessOperationsTests`.
@Suite("pontoonctl rootless connector and published ports", needsRoot, .serialized)
struct RootlessConnectorTests {
    let fixtures = RootlessContainerTests()
    let operations = RootlessOperationsTests()

    /// The connector's pid from its pid file.
    func connector(_ session: RootlessSession) throws -> Int32 {
        let text = try String(contentsOfFile: session.user.runtimeDirectory + "/pontoon/rootless-netns-slirp4netns.pid", encoding: .utf8)
        return try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    /// The user's processes and the rootless netns' pid files, for failure messages.
    func processes(_ session: RootlessSession) throws -> String {
        let listed = try TestRun.run("/usr/bin/ps", ["-u", String(session.user.uid), "-o", "pid=,ppid=,stat=,args="]).stdoutText
        let state = session.user.runtimeDirectory + "/pontoon/"
        let files = ["rootless-netns-pause.pid", "rootless-netns-slirp4netns.pid"].map { name in
            name + ": " + ((try? String(contentsOfFile: state + name, encoding: .utf8)) ?? "absent").trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return listed + files.joined(separator: ", ")
    }

    /// Bind mounts that grow the mount table `run` starts the pause process with (it copies the
    /// caller's) past one page: the kernel hands /proc/PID/mountinfo out a page per read, and the
    /// rootless netns' mount is its last line. A busy host (CI, with parallel tests' mounts) has
    /// such a table; a reader that stops after the first read misses the namespace and makes a new
    /// one, which cuts every container off.
    static func paddedMountTable(in directory: TemporaryDirectory, count: Int = 48) throws -> [(source: String, target: String)] {
        try (0..<count).map { index in
            let target = directory.file("padding-mount-point-\(index)")
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
            return (source: directory.path, target: target)
        }
    }

    static func gone(_ pid: Int32) -> Bool {
        kill(pid, 0) != 0 || ((try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? "").contains(") Z ")
    }

    @Test("kill -9 of the connector, then create: outbound works again from both containers and the first one's published port answers")
    func connectorRestarted() throws {
        let padding = try TemporaryDirectory("pontoon-mount-padding")
        defer { padding.remove() }
        let session = try fixtures.prepared()
        defer { session.finish() }
        let outside = try session.wireOutside()
        let probe = try session.user.install(try session.host.probeScript())
        let made = try session.run(["run", "web", "--network", "front", "-p", "8080:80", "-p", "8053:53/udp", "--port-handler", "slirp4netns"],
                                   binds: try Self.paddedMountTable(in: padding))
        try #require(made.status == 0, "create: \(made.stderrText)")
        let web = try fixtures.attachment(session, "web")
        let pid = try operations.serve(session, web.netns, port: 80, probe: probe)
        defer { kill(pid, SIGKILL) }
        let inBefore = try operations.probe(session, in: outside, "198.51.100.1", 8080, probe: probe)
        #expect(inBefore.hasPrefix("tcp4 198.51.100.2 port "), "before: \(inBefore)")

        let slirp = try connector(session)
        kill(slirp, SIGKILL)
        #expect(eventually { Self.gone(slirp) })
        // What podman 4.3 leaves until every container stopped: no way out, no way in.
        #expect(try operations.probe(session, from: "web", "198.51.100.2", 8080, probe: probe) == "", "out with the connector dead")
        #expect(try operations.probe(session, in: outside, "198.51.100.1", 8080, probe: probe) == "", "in with the connector dead")

        // What ran before `run next`: a failure here says whether the pause process was still there.
        let before = try processes(session)
        let next = try session.run(["run", "next", "--network", "front"])
        try #require(next.status == 0, "create after the kill: \(next.stderrText)")
        #expect(next.stderrText.contains("slirp4netns had died: restarted, with the published ports"),
                "\(next.stderrText)\nbefore run next:\n\(before)\nafter:\n\((try? processes(session)) ?? "")")
        let restarted = try connector(session)
        #expect(restarted != slirp && !Self.gone(restarted))
        for name in ["web", "next"] {
            let out = try operations.probe(session, from: name, "198.51.100.2", 8080, probe: probe)
            #expect(out.hasPrefix("tcp4 198.51.100.1 port "), "\(name) out after the restart: \(out)")
        }
        let inAfter = try operations.probe(session, in: outside, "198.51.100.1", 8080, probe: probe)
        #expect(inAfter.hasPrefix("tcp4 198.51.100.2 port "), "in after the restart: \(inAfter)")
        // Every forward is back, the udp one too, and only once.
        let listening = try session.host.exec(session.host.name, "ss -Hlntu").stdoutText.split(separator: "\n")
        #expect(listening.filter { $0.contains(":8080 ") }.count == 1 && listening.filter { $0.contains(":8053 ") }.count == 1, "\(listening)")

        kill(pid, SIGKILL)
        for name in ["web", "next"] { #expect(try session.run(["rm", "--force", name]).status == 0) }
        try fixtures.expectNothingLeft(session)
        let left = try session.host.exec(session.host.name, "ss -Hlntu").stdoutText
        #expect(!left.contains(":8080 ") && !left.contains(":8053 "), "\(left)")
    }

    @Test("rm of a container with published ports after the connector died: no error (its forwards died with it); reload restarts the connector with the ports left")
    func removeAfterConnectorDied() throws {
        let session = try fixtures.prepared()
        defer { session.finish() }
        for (name, port) in [("web", "8080:80"), ("other", "8081:80")] {
            let made = try session.run(["run", name, "--network", "front", "-p", port, "--port-handler", "slirp4netns"])
            try #require(made.status == 0, "create \(name): \(made.stderrText)")
        }
        let slirp = try connector(session)
        kill(slirp, SIGKILL)
        #expect(eventually { Self.gone(slirp) })
        let removed = try session.run(["rm", "--force", "web"])
        #expect(removed.status == 0 && removed.stderrText.isEmpty, "rm: \(removed.status) \(removed.stderrText)")
        // reload brings the namespace up too: the connector restarted forwards only what is left.
        let reloaded = try session.run(["reload", "other"])
        #expect(reloaded.status == 0 && reloaded.stderrText.contains("slirp4netns had died: restarted"), "reload: \(reloaded.stderrText)")
        let listening = try session.host.exec(session.host.name, "ss -Hlnt").stdoutText
        #expect(!listening.contains(":8080 ") && listening.contains(":8081 "), "\(listening)")
        #expect(try session.run(["rm", "--force", "other"]).status == 0)
        try fixtures.expectNothingLeft(session)
    }

    /// Hairpin works to the host's own address (198.51.100.1 here): the connection leaves through the
    /// connector, reaches the host's listener on 0.0.0.0:8080 and comes back in through the same
    /// forward, and the container sees the host's address as the peer. It works to 10.0.2.100 (the
    /// rootless netns' address on the connector's side) too, without slirp4netns. slirp's 10.0.2.2
    /// does not: it is the host's loopback, which `--disable-host-loopback` closes, as podman runs it.
    @Test("a published port answers a client on the host's 127.0.0.1 and a hairpin client on the same rootless network")
    func loopbackAndHairpin() throws {
        let session = try fixtures.prepared()
        defer { session.finish() }
        _ = try session.wireOutside()
        let probe = try session.user.install(try session.host.probeScript())
        for (name, ports) in [("web", ["-p", "8080:80", "--port-handler", "slirp4netns"]), ("client", [])] {
            let made = try session.run(["run", name, "--network", "front"] + ports)
            try #require(made.status == 0, "create \(name): \(made.stderrText)")
        }
        let web = try fixtures.attachment(session, "web")
        let pid = try operations.serve(session, web.netns, port: 80, probe: probe)
        defer { kill(pid, SIGKILL) }

        let local = try operations.probe(session, in: session.host.name, "127.0.0.1", 8080, probe: probe)
        #expect(local.hasPrefix("tcp4 10.0.2.2 port "), "from 127.0.0.1: \(local)")
        let hairpin = try operations.probe(session, from: "client", "198.51.100.1", 8080, probe: probe)
        #expect(hairpin.hasPrefix("tcp4 198.51.100.1 port "), "hairpin through 198.51.100.1: \(hairpin)")
        // The rootless netns' own address on the connector's side: pontoon's DNAT there takes it
        // without a trip through slirp4netns, and masquerades it as a hairpin on one bridge (as
        // netavark does): the container sees the network's gateway.
        let inner = try operations.probe(session, from: "client", "10.0.2.100", 8080, probe: probe)
        #expect(inner.hasPrefix("tcp4 \(web.gateway) port "), "hairpin through 10.0.2.100: \(inner)")
        let loopback = try operations.probe(session, from: "client", "10.0.2.2", 8080, probe: probe)
        #expect(loopback == "", "10.0.2.2 is the host's loopback, which --disable-host-loopback closes: \(loopback)")

        kill(pid, SIGKILL)
        for name in ["web", "client"] { #expect(try session.run(["rm", "--force", name]).status == 0) }
        try fixtures.expectNothingLeft(session)
    }

    @Test("rm of a rootless container works with slirp4netns and catatonit gone from PATH and /dev/net/tun closed")
    func removeWithoutConnectorTools() throws {
        let session = try fixtures.prepared()
        defer { session.finish() }
        let made = try session.run(["run", "web", "--network", "front", "-p", "8080:80", "--port-handler", "slirp4netns"])
        try #require(made.status == 0, "create: \(made.stderrText)")
        let web = try fixtures.attachment(session, "web")
        let ping = try fixtures.inside(session, web.netns, ["/usr/bin/ping", "-c", "1", "-W", "2", web.gateway])
        #expect(ping.status == 0, "ping \(web.gateway): \(ping.stdoutText) \(ping.stderrText)")

        // A PATH with every tool of /usr/bin but those two, and a tun device the user cannot open.
        let bin = session.host.scratch.file("bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        chmod(session.host.scratch.path, 0o755)
        for tool in try FileManager.default.contentsOfDirectory(atPath: "/usr/bin") where tool != "slirp4netns" && tool != "catatonit" {
            try FileManager.default.createSymbolicLink(atPath: bin + "/" + tool, withDestinationPath: "/usr/bin/" + tool)
        }
        let closed = session.host.scratch.file("tun")
        #expect(FileManager.default.createFile(atPath: closed, contents: nil, attributes: [.posixPermissions: 0o600]))
        let refused = try session.run(["run", "other", "--network", "front"], environment: ["PATH": bin])
        #expect(refused.status == 125 && refused.stderrText.contains("slirp4netns is not in PATH"), "\(refused.stderrText)")

        let removed = try session.run(["rm", "--force", "web"], environment: ["PATH": bin], binds: [(closed, "/dev/net/tun")])
        #expect(removed.status == 0 && removed.stderrText.isEmpty, "rm: \(removed.status) \(removed.stderrText)")
        try fixtures.expectNothingLeft(session)
        let listening = try session.host.exec(session.host.name, "ss -Hlntu").stdoutText
        #expect(!listening.contains(":8080 "), "\(listening)")
    }
}
