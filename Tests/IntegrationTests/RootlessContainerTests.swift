import Foundation
import Testing
import TestSupport

/// Rootless containers on a bridge network served by pontoon through netavark's protocol, made by a
/// test user inside a private host with an outside namespace behind it.
@Suite("pontoonctl rootless containers", needsRoot, .serialized)
struct RootlessContainerTests {
    /// A session whose user can run pontoon beside pontoonctl, with a rootless network `front`.
    func prepared() throws -> RootlessSession {
        let session = try RootlessSession()
        do {
            _ = try session.user.install(Binaries.pontoon)
            let made = try session.run(["network", "create", "front"])
            guard made.status == 0 else { throw GoldenError("network create: \(made.stderrText)") }
        } catch {
            session.finish()
            throw error
        }
        return session
    }

    /// The container's namespace and its address on `front`, from `inspect`.
    func attachment(_ session: RootlessSession, _ name: String) throws -> (netns: String, ip: String, gateway: String) {
        let result = try session.run(["inspect", name, "--format", "json"])
        let document = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any], "\(result.stderrText)")
        let settings = try #require(document["NetworkSettings"] as? [String: Any])
        let front = try #require((settings["Networks"] as? [String: Any])?["front"] as? [String: Any])
        return (try #require(settings["SandboxKey"] as? String), try #require(front["IPAddress"] as? String),
                try #require(front["Gateway"] as? String))
    }

    /// A command inside a container's namespace, reached through the rootless netns as its owner.
    func inside(_ session: RootlessSession, _ netns: String, _ command: [String]) throws -> RunResult {
        try session.run(["rootless-netns", "exec", "--", "/usr/bin/nsenter", "--net=" + netns, "--"] + command)
    }

    /// No process of the user, no namespace file, no container state, no rootless netns file: the
    /// network's own files (config and lease directories) are all that may persist.
    func expectNothingLeft(_ session: RootlessSession, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let running = session.user.liveProcesses()
        #expect(running.isEmpty, "still running: \(running)", sourceLocation: sourceLocation)
        let fm = FileManager.default
        let runtime = session.user.runtimeDirectory
        #expect(((try? fm.contentsOfDirectory(atPath: runtime + "/netns")) ?? []).isEmpty, sourceLocation: sourceLocation)
        #expect(((try? fm.contentsOfDirectory(atPath: runtime + "/pontoon/containers")) ?? []).isEmpty, sourceLocation: sourceLocation)
        let state = (try? fm.contentsOfDirectory(atPath: runtime + "/pontoon")) ?? []
        #expect(state.filter { $0.hasPrefix("rootless-netns") }.isEmpty, "left: \(state)", sourceLocation: sourceLocation)
        #expect(RootlessUser.mountPoints(under: runtime).isEmpty, sourceLocation: sourceLocation)
    }

    @Test("two containers on a rootless bridge network reach each other and the outside through the connector; rm of both leaves nothing")
    func twoContainers() throws {
        let session = try prepared()
        defer { session.finish() }
        _ = try session.wireOutside()
        let probe = try session.user.install(try session.host.probeScript())
        let file = try Data(contentsOf: URL(fileURLWithPath: session.user.home + "/.config/pontoon/networks/front.json"))
        let network = (try JSONSerialization.jsonObject(with: file) as? [String: Any])?["network"] as? [String: Any]
        let options = network?["options"] as? [String: Any]
        #expect(options?["mtu"] as? String == "65520", "\(String(decoding: file, as: UTF8.self))")

        for name in ["a", "b"] {
            let made = try session.run(["run", name, "--network", "front"])
            try #require(made.status == 0, "create \(name): \(made.stderrText)")
        }
        let a = try attachment(session, "a"), b = try attachment(session, "b")
        #expect(a.netns.hasPrefix(session.user.runtimeDirectory + "/netns/netns-"))
        #expect(a.ip != b.ip)
        let link = try inside(session, a.netns, ["/sbin/ip", "-o", "link", "show", "eth0"])
        #expect(link.stdoutText.contains("mtu 65520"), "\(link.stdoutText) \(link.stderrText)")
        let ping = try inside(session, a.netns, ["/usr/bin/ping", "-c", "1", "-W", "2", b.ip])
        #expect(ping.status == 0, "ping \(b.ip): \(ping.stdoutText) \(ping.stderrText)")
        let back = try inside(session, b.netns, ["/usr/bin/ping", "-c", "1", "-W", "2", a.ip])
        #expect(back.status == 0, "ping \(a.ip): \(back.stdoutText) \(back.stderrText)")
        // Masqueraded by pontoon into the rootless netns, then by slirp4netns from the private host.
        let out = try inside(session, a.netns, ["/usr/bin/python3", probe, "tcp", "198.51.100.2", "8080", "0"])
        #expect(out.stdoutText.hasPrefix("tcp4 198.51.100.1 port "), "\(out.stdoutText) \(out.stderrText)")

        // aardvark-dns, started by pontoon inside the rootless netns, answers for the network's names.
        let lookup = try inside(session, a.netns, ["/usr/bin/python3", "-c", Self.query, a.gateway, "b"])
        #expect(lookup.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == b.ip, "\(lookup.stdoutText) \(lookup.stderrText)")

        for name in ["a", "b"] {
            let removed = try session.run(["rm", "--force", name])
            #expect(removed.status == 0, "rm \(name): \(removed.stderrText)")
        }
        try expectNothingLeft(session)
    }

    @Test("a published port reaches the container through slirp4netns with the outside client's address; a taken port is refused and leaves nothing")
    func publishedPort() throws {
        let session = try prepared()
        defer { session.finish() }
        let outside = try session.wireOutside()
        let probe = try session.user.install(try session.host.probeScript())
        let made = try session.run(["run", "web", "--network", "front", "-p", "8080:80", "--port-handler", "slirp4netns"])
        try #require(made.status == 0, "create: \(made.stderrText)")
        let web = try attachment(session, "web")
        let server = try inside(session, web.netns, ["/bin/sh", "-c", "/usr/bin/python3 \(probe) serve 80 </dev/null >/dev/null 2>&1 & echo $!"])
        let pid = try #require(Int32(server.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)), "\(server.stderrText)")
        defer { kill(pid, SIGKILL) }
        #expect(eventually { (try? inside(session, web.netns, ["/bin/ss", "-Hltn"]))?.stdoutText.contains(":80 ") == true })

        // slirp4netns hands the peer through and pontoon's DNAT keeps it: the container sees the outside's address.
        let answer = try session.host.exec(outside, "timeout -s KILL 10 python3 \(probe) tcp 198.51.100.1 8080 0").stdoutText
        #expect(answer.hasPrefix("tcp4 198.51.100.2 port "), "\(answer)")
        let local = try session.host.exec(session.host.name, "timeout -s KILL 10 python3 \(probe) tcp 127.0.0.1 8080 0").stdoutText
        #expect(local.hasPrefix("tcp4 "), "from 127.0.0.1: \(local)")

        // Taken by another container (pontoonctl refuses it naming the holder), or by a server of the host (slirp4netns cannot listen).
        let mapped = try session.run(["run", "again", "--network", "front", "-p", "8080:80", "--port-handler", "slirp4netns"])
        #expect(mapped.status != 0 && mapped.stderrText.contains("host port 8080/tcp of container again is already published by container web"),
                "\(mapped.stderrText)")
        try session.host.serve(in: session.host.name, port: 8081)
        let taken = try session.run(["run", "again", "--network", "front", "-p", "8081:80", "--port-handler", "slirp4netns"])
        #expect(taken.status != 0 && taken.stderrText.contains("cannot publish 0.0.0.0:8081/tcp"), "\(taken.status) \(taken.stderrText)")
        #expect(try session.run(["inspect", "again"]).status != 0)
        let files = (try? FileManager.default.contentsOfDirectory(atPath: session.user.runtimeDirectory + "/netns")) ?? []
        #expect(files.filter { $0.hasPrefix("netns-") } == [URL(fileURLWithPath: web.netns).lastPathComponent], "\(files)")

        kill(pid, SIGKILL)
        let removed = try session.run(["rm", "--force", "web"])
        #expect(removed.status == 0, "rm: \(removed.stderrText)")
        try expectNothingLeft(session)
        let listening = try session.host.exec(session.host.name, "ss -Hltnu").stdoutText
        #expect(!listening.contains(":8080 ") && listening.components(separatedBy: ":8081 ").count == 5, "\(listening)")
    }

    @Test("rm of a container whose pause process died forgets its networks with a warning and leaves nothing")
    func pauseDied() throws {
        let session = try prepared()
        defer { session.finish() }
        let made = try session.run(["run", "lone", "--network", "front"])
        try #require(made.status == 0, "create: \(made.stderrText)")
        let text = try String(contentsOfFile: session.user.runtimeDirectory + "/pontoon/rootless-netns-pause.pid", encoding: .utf8)
        let pause = try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        kill(pause, SIGKILL)
        #expect(eventually { kill(pause, 0) != 0 || ((try? String(contentsOfFile: "/proc/\(pause)/stat", encoding: .utf8)) ?? "").contains(") Z ") })
        let removed = try session.run(["rm", "--force", "lone"])
        #expect(removed.status == 0 && removed.stderrText.contains("the rootless network namespace of container lone is gone"),
                "\(removed.status) \(removed.stderrText)")
        try expectNothingLeft(session)
        // pontoon's records still hold what the lost namespace had: a new namespace starts anyway.
        let next = try session.run(["run", "next", "--network", "front"])
        #expect(next.status == 0, "create after: \(next.stderrText)")
        let gateway = try attachment(session, "next")
        let ping = try inside(session, gateway.netns, ["/usr/bin/ping", "-c", "1", "-W", "2", gateway.gateway])
        #expect(ping.status == 0, "ping \(gateway.gateway): \(ping.stdoutText) \(ping.stderrText)")
        #expect(try session.run(["rm", "--force", "next"]).status == 0)
        try expectNothingLeft(session)
    }

    /// One A query over UDP (no resolver tool in the image): the answer's last four bytes.
    static let query = """
        import socket, struct, sys
        name = b"".join(bytes([len(p)]) + p.encode() for p in sys.argv[2].split(".")) + b"\\0"
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(2)
        s.sendto(struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + name + struct.pack(">HH", 1, 1), (sys.argv[1], 53))
        print(socket.inet_ntoa(s.recv(512)[-4:]))
        """

    @Test("8 concurrent creates make one connector and distinct addresses; 8 concurrent rms leave nothing")
    func concurrent() throws {
        let session = try prepared()
        defer { session.finish() }
        let names = (0..<8).map { "c\($0)" }
        let results = Results()
        DispatchQueue.concurrentPerform(iterations: names.count) { index in
            results.add((try? session.run(["run", names[index], "--network", "front"])).map { "\($0.status) \($0.stderrText)" })
        }
        #expect(results.all.allSatisfy { $0?.hasPrefix("0 ") == true }, "\(results.all)")
        let slirps = try TestRun.run("/usr/bin/pgrep", ["-u", String(session.user.uid), "-x", "slirp4netns"])
        #expect(slirps.stdoutText.split(separator: "\n").count == 1, "slirp4netns: \(slirps.stdoutText)")
        let addresses = try names.map { try attachment(session, $0).ip }
        #expect(Set(addresses).count == names.count, "\(addresses)")

        let removals = Results()
        DispatchQueue.concurrentPerform(iterations: names.count) { index in
            removals.add((try? session.run(["rm", "--force", names[index]])).map { "\($0.status) \($0.stderrText)" })
        }
        #expect(removals.all.allSatisfy { $0?.hasPrefix("0 ") == true }, "\(removals.all)")
        try expectNothingLeft(session)
    }
}

/// What concurrent runs answered, gathered under a lock.
private final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String?] = []
    func add(_ item: String?) { lock.withLock { items.append(item) } }
    var all: [String?] { lock.withLock { items } }
}
