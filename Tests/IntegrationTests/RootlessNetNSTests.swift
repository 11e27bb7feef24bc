import Foundation
import Testing
import TestSupport

/// The rootless network namespace on its own (`pontoonctl rootless-netns`), run by a test user inside
/// a private host with an outside namespace behind it: slirp4netns must carry traffic out.
@Suite("pontoonctl rootless network namespace", needsRoot, .serialized)
struct RootlessNetNSTests {
    /// SIGKILL to the pid in a pid file's text, returning once it has died (a zombie or reaped).
    func killAndWait(_ pidText: String) throws {
        let pid = try #require(Int32(pidText.trimmingCharacters(in: .whitespacesAndNewlines)))
        kill(pid, SIGKILL)
        #expect(eventually {
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            return stat.isEmpty || stat.contains(") Z ")
        })
    }

    @Test("up: a pause process, the namespace and slirp4netns carry TCP to the outside, a killed slirp4netns or pause process is restarted; down leaves nothing")
    func upTrafficDown() throws {
        let session = try RootlessSession()
        defer { session.finish() }
        _ = try session.wireOutside()
        let probe = try session.user.install(try session.host.probeScript())

        let up = try session.run(["rootless-netns", "up"])
        try #require(up.status == 0, "up: \(up.stderrText)")
        let netns = up.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(netns.hasPrefix(session.user.runtimeDirectory + "/netns/rootless-netns-"))
        // A second up finds everything running and makes nothing new.
        let pids = session.user.runtimeDirectory + "/pontoon/rootless-netns-slirp4netns.pid"
        let slirp = try String(contentsOfFile: pids, encoding: .utf8)
        #expect(try session.run(["rootless-netns", "up"]).status == 0)
        #expect(try String(contentsOfFile: pids, encoding: .utf8) == slirp)

        // A killed slirp4netns is noticed by the next up, which makes the namespace and connector anew.
        try killAndWait(slirp)
        #expect(try session.run(["rootless-netns", "up"]).status == 0)
        #expect(try String(contentsOfFile: pids, encoding: .utf8) != slirp)
        // So is a killed pause process: its namespace is gone, so the connector is replaced too.
        let restarted = try String(contentsOfFile: pids, encoding: .utf8)
        let pause = try String(contentsOfFile: session.user.runtimeDirectory + "/pontoon/rootless-netns-pause.pid", encoding: .utf8)
        try killAndWait(pause)
        #expect(try session.run(["rootless-netns", "up"]).status == 0)
        #expect(try String(contentsOfFile: pids, encoding: .utf8) != restarted)

        let addresses = try session.run(["rootless-netns", "exec", "--", "/sbin/ip", "-o", "-4", "addr", "show", "tap0"])
        #expect(addresses.stdoutText.contains("10.0.2.100/24"), "\(addresses.stdoutText) \(addresses.stderrText)")
        // slirp4netns opens the connection from the private host: the outside sees the host's address.
        let answer = try session.run(["rootless-netns", "exec", "--", "/usr/bin/python3", probe, "tcp", "198.51.100.2", "8080", "0"])
        #expect(answer.stdoutText.hasPrefix("tcp4 198.51.100.1 port "), "\(answer.stdoutText) \(answer.stderrText)")

        let down = try session.run(["rootless-netns", "down"])
        #expect(down.status == 0, "down: \(down.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: netns))
        let left = (try? FileManager.default.contentsOfDirectory(atPath: session.user.runtimeDirectory + "/pontoon")) ?? []
        #expect(left.filter { $0.hasPrefix("rootless-netns") }.isEmpty, "left: \(left)")
        let running = session.user.liveProcesses()
        #expect(running.isEmpty, "still running: \(running)")
        #expect(try session.run(["rootless-netns", "exec", "--", "true"]).stderrText.contains("the rootless network namespace is not up"))
    }
}
