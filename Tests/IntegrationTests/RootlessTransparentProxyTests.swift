import Foundation
import Testing
import TestSupport

/// The transparent port proxy of rootless bridge containers: its helper binds each inner socket to
/// the client's address inside the rootless netns, so the container sees the real peer.
extension RootlessSlirp4netnsTests {
    /// A command run by the test user in a rootless container's namespace.
    func userInside(_ session: RootlessSession, _ netns: String, _ command: [String]) throws -> RunResult {
        try session.run(["rootless-netns", "exec", "--", "/usr/bin/nsenter", "--net=" + netns, "--"] + command)
    }

    @Test("the default --port-handler transparent: TCP and UDP from the outside show the container the real client, a loopback client its gateway, hairpin its host address; a 200 kB upload with half-close; rm leaves no proxy and no listener")
    func transparentProxy() throws {
        let session = try RootlessSession()
        defer { session.finish() }
        _ = try session.user.install(Binaries.pontoon)
        let network = try session.run(["network", "create", "front"])
        try #require(network.status == 0, "network create: \(network.stderrText)")
        let outside = try session.wireOutside()
        // The default port handler of rootless bridge containers.
        let made = try session.run(["run", "web", "--network", "front", "-p", "8080:80", "-p", "8081:80/udp", "-p", "8090:90"])
        try #require(made.status == 0, "create: \(made.stderrText)")
        #expect(try processes(session, "port-proxy").count == 2, "the proxy and its helper")
        let view = try settings(session, "web")
        let netns = try #require(view["SandboxKey"] as? String)
        let front = try #require((view["Networks"] as? [String: Any])?["front"] as? [String: Any])
        let gateway = try #require(front["Gateway"] as? String)
        let probe = try session.user.install(try session.host.probeScript())
        let started = try userInside(session, netns, ["/bin/sh", "-c", "/usr/bin/python3 \(probe) serve 80 </dev/null >/dev/null 2>&1 & echo $!"])
        let server = try #require(Int32(started.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)), "\(started.stderrText)")
        defer { kill(server, SIGKILL) }
        #expect(eventually { (try? userInside(session, netns, ["/bin/ss", "-Hlnt"]))?.stdoutText.contains(":80 ") == true })

        let tcp = try session.host.probe(from: outside, "tcp", "198.51.100.1", 8080)
        #expect(tcp.hasPrefix("tcp4 198.51.100.2 port "), "the container sees the real client: \(tcp)")
        let again = try session.host.probe(from: outside, "tcp", "198.51.100.1", 8080)
        #expect(again.hasPrefix("tcp4 198.51.100.2 port "), "a second connection: \(again)")
        let udp = try session.host.probe(from: outside, "udp", "198.51.100.1", 8081, sourcePort: 40123)
        #expect(udp == "udp4 198.51.100.2 port 40123", "UDP keeps the client's address and port: \(udp)")
        // A loopback client cannot be bound in the rootless netns: the container sees its gateway.
        let local = try session.host.probe(from: session.host.name, "tcp", "127.0.0.1", 8080)
        #expect(local.hasPrefix("tcp4 \(gateway) port "), "from 127.0.0.1: \(local)")
        // Hairpin: the container to its host's address comes back from that address.
        let hairpin = try userInside(session, netns, ["/usr/bin/timeout", "-s", "KILL", "10", "/usr/bin/python3", probe, "tcp", "198.51.100.1", "8080", "0"])
        #expect(hairpin.stdoutText.hasPrefix("tcp4 198.51.100.1 port "), "hairpin: \(hairpin.stdoutText) \(hairpin.stderrText)")

        // The routing that brings answers back, made once in the rootless netns.
        let rules = try session.run(["rootless-netns", "exec", "--", "/sbin/ip", "rule", "show"]).stdoutText
        #expect(rules.components(separatedBy: "fwmark 0x1470 lookup 5232").count == 2, "\(rules)")
        let table = try session.run(["rootless-netns", "exec", "--", "/usr/sbin/nft", "list", "table", "inet", "pontoon-proxy"]).stdoutText
        #expect(table.contains("socket transparent 1") && table.contains("meta mark set 0x00001470"), "\(table)")

        // Both directions and a half-close.
        let script = session.host.scratch.file("count-server.py"), client = session.host.scratch.file("half-close-client.py")
        try PontoonCtlSlirp4netnsTests.echoServer.write(toFile: script, atomically: true, encoding: .utf8)
        try PontoonCtlSlirp4netnsTests.halfCloseClient.write(toFile: client, atomically: true, encoding: .utf8)
        let counterScript = try session.user.install(script)
        let counted = try userInside(session, netns, ["/bin/sh", "-c", "/usr/bin/python3 \(counterScript) 90 </dev/null >/dev/null 2>&1 & echo $!"])
        let counter = try #require(Int32(counted.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)), "\(counted.stderrText)")
        defer { kill(counter, SIGKILL) }
        #expect(eventually { (try? userInside(session, netns, ["/bin/ss", "-Hlnt"]))?.stdoutText.contains(":90 ") == true })
        let reply = try session.host.exec(outside, "timeout -s KILL 10 python3 \(client) 198.51.100.1 8090")
        #expect(reply.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "\(3 * 200_000)", "\(reply.stdoutText) \(reply.stderrText)")

        kill(server, SIGKILL)
        kill(counter, SIGKILL)
        let removed = try session.run(["rm", "--force", "web"])
        #expect(removed.status == 0, "rm: \(removed.stderrText)")
        #expect(try processes(session, "port-proxy").isEmpty)
        try expectNothingLeft(session, ports: [8080, 8081, 8090])
    }
}
