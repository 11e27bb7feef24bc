import Foundation
import Testing
import TestSupport

extension RootlessSlirp4netnsTests {
    /// The user's pontoonctl's inspect document.
    func document(_ session: RootlessSession, _ name: String) throws -> [String: Any] {
        let result = try session.run(["inspect", name, "--format", "json"])
        return try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any], "\(result.stderrText)")
    }

    /// Outbound TCP from a container's namespace to the outside's server (198.51.100.2:8080).
    func outbound(_ session: RootlessSession, _ name: String, probe: String) throws -> String {
        let netns = try #require(try settings(session, name)["SandboxKey"] as? String)
        let out = try inside(session, netns, "timeout -s KILL 10 python3 \(probe) tcp 198.51.100.2 8080 0")
        return out.stdoutText + out.stderrText
    }

    @Test("rootless, no --network: slirp4netns, podman's rootless default, reaches the outside; create/start/stop/start of a slirp4netns container with outbound traffic after each start; rm leaves nothing")
    func defaultAndLifecycle() throws {
        let session = try RootlessSession()
        defer { session.finish() }
        _ = try session.wireOutside()
        let probe = try session.host.probeScript()

        let plain = try session.run(["run", "plain"])
        try #require(plain.status == 0, "run: \(plain.stderrText)")
        #expect((try document(session, "plain")["HostConfig"] as? [String: Any])?["NetworkMode"] as? String == "slirp4netns")
        #expect(try processes(session, "slirp4netns").count == 1, "its own slirp4netns, no rootless netns")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: state(session))) ?? []
        #expect(!files.contains("rootless-netns-slirp4netns.pid"), "\(files)")
        #expect(try outbound(session, "plain", probe: probe).hasPrefix("tcp4 198.51.100.1 port "))

        let made = try session.run(["create", "k", "--network", "slirp4netns:enable_ipv6=false"])
        try #require(made.status == 0, "create: \(made.stderrText)")
        #expect(try processes(session, "slirp4netns").count == 1, "create starts nothing")
        for round in 1...2 {
            let started = try session.run(["start", "k"])
            try #require(started.status == 0, "start \(round): \(started.stderrText)")
            #expect(try processes(session, "slirp4netns").count == 2, "round \(round)")
            let out = try outbound(session, "k", probe: probe)
            #expect(out.hasPrefix("tcp4 198.51.100.1 port "), "round \(round): \(out)")
            let stopped = try session.run(["stop", "k"])
            #expect(stopped.status == 0, "stop \(round): \(stopped.stderrText)")
            #expect(eventually { (try? processes(session, "slirp4netns"))?.count == 1 }, "stop ends k's slirp4netns")
            #expect(try settings(session, "k")["SandboxKey"] as? String == "")
        }
        #expect(try outbound(session, "plain", probe: probe).hasPrefix("tcp4 198.51.100.1 port "), "plain is untouched")
        let removed = try session.run(["rm", "--force", "k", "plain"])
        #expect(removed.status == 0, "rm: \(removed.stderrText)")
        try expectNothingLeft(session, ports: [])
    }

    @Test("rootless pod with no --network: its infra on slirp4netns; a create --pod member's start starts the stopped infra, and reaches the outside through it; pod rm leaves nothing")
    func podOnDefault() throws {
        let session = try RootlessSession()
        defer { session.finish() }
        _ = try session.wireOutside()
        let probe = try session.host.probeScript()
        let pod = try session.run(["pod", "create", "p"])
        try #require(pod.status == 0, "pod create: \(pod.stderrText)")
        #expect((try document(session, "p-infra")["HostConfig"] as? [String: Any])?["NetworkMode"] as? String == "slirp4netns")
        let member = try session.run(["create", "m", "--pod", "p"])
        try #require(member.status == 0, "create: \(member.stderrText)")
        #expect(try session.run(["stop", "p-infra"]).status == 0)
        #expect(eventually { (try? processes(session, "slirp4netns"))?.isEmpty == true }, "the infra's slirp4netns stops with it")
        let started = try session.run(["start", "m"])
        try #require(started.status == 0, "start: \(started.stderrText)")
        #expect(try processes(session, "slirp4netns").count == 1)
        let infraNetns = try settings(session, "p-infra")["SandboxKey"] as? String
        let memberNetns = try settings(session, "m")["SandboxKey"] as? String
        #expect(infraNetns != nil && infraNetns != "" && memberNetns == infraNetns)
        #expect(try outbound(session, "m", probe: probe).hasPrefix("tcp4 198.51.100.1 port "))
        let removed = try session.run(["pod", "rm", "--force", "p"])
        #expect(removed.status == 0, "pod rm: \(removed.stderrText)")
        try expectNothingLeft(session, ports: [])
    }
}
