import Foundation
import Testing
import TestSupport

/// A rootless container stopped and started again: the rootless netns goes down when no container
/// runs (stopped ones need none of it), comes back with the next start, and rm leaves nothing.
@Suite("pontoonctl rootless lifecycle", needsRoot, .serialized)
struct RootlessLifecycleTests {
    let containers = RootlessContainerTests()

    /// The user's processes but zombies (the pause process, catatonit, slirp4netns, aardvark-dns).
    func processes(_ session: RootlessSession) throws -> [String] { session.user.liveProcesses() }

    func pings(_ session: RootlessSession, from: String, to: String) throws -> RunResult {
        try containers.inside(session, try containers.attachment(session, from).netns, ["/usr/bin/ping", "-c", "1", "-W", "2", to])
    }

    @Test("stop of both containers takes the rootless netns down though they exist; start brings it back with traffic; rm --force leaves nothing")
    func stopAndStart() throws {
        let session = try containers.prepared()
        defer { session.finish() }
        for name in ["a", "b"] {
            let made = try session.run(["run", name, "--network", "front"])
            try #require(made.status == 0, "run \(name): \(made.stderrText)")
        }
        let a = try containers.attachment(session, "a"), b = try containers.attachment(session, "b")
        let first = try pings(session, from: "a", to: b.ip)
        #expect(first.status == 0, "ping \(b.ip): \(first.stdoutText) \(first.stderrText)")

        // a stops: its namespace goes, the rootless netns stays for b.
        let stopA = try session.run(["stop", "a"])
        #expect(stopA.status == 0, "stop a: \(stopA.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: a.netns))
        #expect(try !processes(session).isEmpty, "the rootless netns went down while b runs")
        let stillB = try containers.inside(session, b.netns, ["/sbin/ip", "-br", "addr", "show", "eth0"])
        #expect(stillB.stdoutText.contains(b.ip), "\(stillB.stdoutText) \(stillB.stderrText)")

        // b stops too: no container runs, so nothing of the rootless netns is left, though both exist.
        let stopB = try session.run(["stop", "b"])
        #expect(stopB.status == 0, "stop b: \(stopB.stderrText)")
        let left = try processes(session)
        #expect(left.isEmpty, "still running: \(left)")
        let state = (try? FileManager.default.contentsOfDirectory(atPath: session.user.runtimeDirectory + "/pontoon")) ?? []
        #expect(state.filter { $0.hasPrefix("rootless-netns") }.isEmpty, "left: \(state)")
        let listed = try session.run(["ps", "-a"]).stdoutText
        #expect(listed.contains("exited") && !listed.contains("running"), "\(listed)")

        // Both start again, with traffic both ways.
        for name in ["a", "b"] {
            let started = try session.run(["start", name])
            try #require(started.status == 0, "start \(name): \(started.stderrText)")
        }
        let a2 = try containers.attachment(session, "a"), b2 = try containers.attachment(session, "b")
        let there = try pings(session, from: "a", to: b2.ip), back = try pings(session, from: "b", to: a2.ip)
        #expect(there.status == 0 && back.status == 0, "\(there.stdoutText) \(there.stderrText) \(back.stdoutText) \(back.stderrText)")

        let refused = try session.run(["rm", "a"])
        #expect(refused.status == 125 && refused.stderrText.contains("as it is running"), "\(refused.stderrText)")
        let removed = try session.run(["rm", "--force", "a", "b"])
        #expect(removed.status == 0, "rm: \(removed.stderrText)")
        try containers.expectNothingLeft(session)
    }
}
