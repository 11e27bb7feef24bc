import Foundation
import Testing
import TestSupport

/// `--network slirp4netns`: a private host with an outside namespace behind a veth; slirp4netns
/// runs in the private host and forwards between it and the container's tap0.
@Suite("pontoonctl: --network slirp4netns", needsRoot, .serialized,
       .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/slirp4netns"), "slirp4netns is not installed"))
struct PontoonCtlSlirp4netnsTests {
    /// The firewall tests' probe server in a container's namespace (their `serve` knows only named ones);
    /// returns its pid for the caller to kill: the test runner's children start with SIGALRM blocked,
    /// so the probe's own alarm never ends it.
    @discardableResult
    func serve(_ ctl: Ctl, in container: String, port: Int) throws -> Int32 {
        let started = try ctl.inside(container, "python3 \(try ctl.host.probeScript()) serve \(port) </dev/null >/dev/null 2>&1 & echo $!")
        let pid = try #require(Int32(started.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)), "\(started.stderrText)")
        for _ in 0..<100 where !(try ctl.inside(container, "ss -Hlnt | grep -q ':\(port) '").status == 0) { usleep(20_000) }
        return pid
    }

    /// The private host with 192.0.2.1/24 towards an outside namespace at 192.0.2.2/24.
    func outside(_ ctl: Ctl) throws -> String {
        let outside = try ctl.host.container("outside")
        let made = try ctl.host.exec(ctl.host.name, """
            ip link add to-out type veth peer name to-host netns \(outside) && ip addr add 192.0.2.1/24 dev to-out && ip link set to-out up && \
            ip -n \(outside) addr add 192.0.2.2/24 dev to-host && ip -n \(outside) link set to-host up && ip -n \(outside) link set lo up
            """)
        try #require(made.status == 0, "\(made.stderrText)")
        return outside
    }

    /// slirp4netns processes (not zombies) serving this test's containers.
    func slirpProcesses(_ ctl: Ctl) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry -> String? in
            guard Int32(entry) != nil, let command = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"),
                  let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8), !stat.contains(") Z ") else { return nil }
            let text = String(decoding: command, as: UTF8.self).replacingOccurrences(of: "\0", with: " ")
            return text.contains("slirp4netns") && text.contains(ctl.netnsDir) ? "\(entry): \(text)" : nil
        }
    }

    /// Port proxies (and their helpers) of this test's containers.
    func proxyProcesses(_ ctl: Ctl) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry -> String? in
            guard Int32(entry) != nil, let command = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"),
                  let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8), !stat.contains(") Z ") else { return nil }
            let text = String(decoding: command, as: UTF8.self).replacingOccurrences(of: "\0", with: " ")
            return text.contains("port-proxy") && (text.contains(ctl.state) || text.contains(ctl.netnsDir)) ? "\(entry): \(text)" : nil
        }
    }

    func nothingLeft(_ ctl: Ctl, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(ctl.leftovers().filter { $0 != "veth to-out" } == [], sourceLocation: sourceLocation)   // the test's own link
        #expect(slirpProcesses(ctl) == [], sourceLocation: sourceLocation)
        #expect(eventually { proxyProcesses(ctl).isEmpty }, "\(proxyProcesses(ctl))", sourceLocation: sourceLocation)
        let sockets = ((try? FileManager.default.contentsOfDirectory(atPath: ctl.state)) ?? []).filter { $0.hasSuffix(".net") }
        #expect(sockets == [], sourceLocation: sourceLocation)
    }

    @Test("outbound TCP to the outside; a published port answers the outside with the client's own address seen inside; rm leaves nothing")
    func traffic() throws {
        let ctl = try Ctl("ctlslirp")
        defer { ctl.cleanup() }
        let outside = try outside(ctl)
        try ctl.ok(["run", "s", "--network", "slirp4netns:port_handler=slirp4netns,enable_ipv6=false,mtu=1500", "-p", "8080:80"])
        #expect(slirpProcesses(ctl).count == 1)
        #expect(try ctl.inside("s", "ip -br addr show tap0").stdoutText.contains("10.0.2.100/24"))
        #expect(try ctl.inside("s", "ip link show tap0").stdoutText.contains(" mtu 1500 "))

        // Outbound: slirp4netns connects from the private host's own address.
        try ctl.host.serve(in: outside, port: 7000)
        let outbound = try ctl.inside("s", "timeout -s KILL 10 python3 \(try ctl.host.probeScript()) tcp 192.0.2.2 7000 0")
        #expect(outbound.stdoutText.hasPrefix("tcp4 192.0.2.1 port"), "\(outbound.stdoutText) \(outbound.stderrText)")

        // Inbound through add_hostfwd: the container sees the outside's address, not slirp's.
        let server = try serve(ctl, in: "s", port: 80)
        defer { kill(server, SIGKILL) }
        let inbound = try ctl.host.probe(from: outside, "tcp", "192.0.2.1", 8080)
        #expect(inbound.hasPrefix("tcp4 192.0.2.2 port"), "\(inbound)")

        let settings = try ctl.inspect("s")
        #expect((settings["Networks"] as? [String: Any])?.isEmpty == true && settings["IPAddress"] as? String == "")
        #expect((settings["Ports"] as? [String: Any])?["80/tcp"] != nil)
        let stats = try #require(try ctl.ok(["stats", "s", "--format", "json"]).json as? [String: Any])
        let interfaces = (stats["interfaces"] as? [[String: Any]] ?? []).compactMap { $0["interface"] as? String }
        #expect(interfaces == ["tap0"])
        #expect((try ctl.stats("s")["rxBytes"] as? Int ?? 0) > 0)

        for arguments in [["connect", "s", "front"], ["disconnect", "s", "front"], ["reload", "s"]] {
            let refused = try ctl.run(arguments)
            #expect(refused.status != 0 && refused.stderrText.contains("\"slirp4netns\" is not supported: invalid network mode"), "\(arguments): \(refused.stderrText)")
        }

        try ctl.ok(["reload", "--all"])   // skips it: nothing of its own to reload

        try ctl.ok(["rm", "--force", "s"])
        nothingLeft(ctl)
    }

    @Test("refused before anything is made: bad options, a protocol the proxy cannot carry, --port-handler with slirp4netns, a host port already taken")
    func refusals() throws {
        let ctl = try Ctl("ctlslirpno")
        defer { ctl.cleanup() }
        for (arguments, reason) in [
            (["run", "b", "--network", "slirp4netns:bogus=1"], "unknown option for slirp4netns: \"bogus=1\""),
            (["run", "b", "--network", "slirp4netns:mtu=12"], "invalid mtu \"12\""),
            (["run", "b", "--network", "slirp4netns", "-p", "8080:80/sctp"], "port_handler=rootlesskit proxies only tcp and udp"),
            (["run", "b", "--network", "slirp4netns", "--port-handler", "rootlesskit"], "--network slirp4netns:port_handler=rootlesskit"),
            (["run", "b", "--network", "front", "--port-handler", "rootlesskit"], "--port-handler applies to rootless containers"),
        ] {
            let refused = try ctl.run(arguments)
            #expect(refused.status == 125, "\(arguments): \(refused.stderrText)")
            #expect(refused.stderrText.contains(reason) && refused.stderrText.split(separator: "\n").count == 1, "\(refused.stderrText)")
            nothingLeft(ctl)
        }

        try ctl.host.serve(in: ctl.host.name, port: 8090)
        let taken = try ctl.run(["run", "t", "--network", "slirp4netns:port_handler=slirp4netns", "-p", "8089-8090:80-81"])
        #expect(taken.status != 0 && taken.stderrText.contains("0.0.0.0:8090/tcp") && taken.stderrText.contains("in use"), "\(taken.stderrText)")
        nothingLeft(ctl)
    }

    @Test("port_handler=rootlesskit: the port proxy answers TCP and UDP from the outside, the container seeing its own address as the peer; a taken port is refused and leaves nothing; rm stops the proxy")
    func rootlesskitProxy() throws {
        let ctl = try Ctl("ctlslirprk")
        defer { ctl.cleanup() }
        let outside = try outside(ctl)
        try ctl.ok(["run", "k", "--network", "slirp4netns:enable_ipv6=false", "-p", "8080:80", "-p", "8081:80/udp"])
        #expect(slirpProcesses(ctl).count == 1)
        #expect(proxyProcesses(ctl).count == 2, "the proxy and its helper in the namespace: \(proxyProcesses(ctl))")
        let server = try serve(ctl, in: "k", port: 80)
        defer { kill(server, SIGKILL) }

        // rootlessport's promise: the container sees the proxy's inner socket (its own tap0 address), not the client.
        let tcp = try ctl.host.probe(from: outside, "tcp", "192.0.2.1", 8080)
        #expect(tcp.hasPrefix("tcp4 10.0.2.100 port"), "\(tcp)")
        let udp = try ctl.host.probe(from: outside, "udp", "192.0.2.1", 8081)
        #expect(udp.hasPrefix("udp4 10.0.2.100 port"), "\(udp)")
        let local = try ctl.host.probe(from: ctl.host.name, "tcp", "127.0.0.1", 8080)
        #expect(local.hasPrefix("tcp4 10.0.2.100 port"), "\(local)")
        try ctl.ok(["rm", "--force", "k"])
        nothingLeft(ctl)
        let listening = try ctl.host.exec(ctl.host.name, "ss -Hlntu").stdoutText
        #expect(!listening.contains(":8080 ") && !listening.contains(":8081 "), "\(listening)")

        // Both directions and a half-close: the client sends, shuts its side, and still gets the answer.
        try ctl.ok(["run", "e", "--network", "slirp4netns", "-p", "8090:90"])
        let script = ctl.host.scratch.file("count-server.py"), client = ctl.host.scratch.file("half-close-client.py")
        try Self.echoServer.write(toFile: script, atomically: true, encoding: .utf8)
        try Self.halfCloseClient.write(toFile: client, atomically: true, encoding: .utf8)
        let started = try ctl.inside("e", "python3 \(script) 90 </dev/null >/dev/null 2>&1 & echo $!")
        let counter = try #require(Int32(started.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)), "\(started.stderrText)")
        defer { kill(counter, SIGKILL) }
        for _ in 0..<100 where !(try ctl.inside("e", "ss -Hlnt | grep -q ':90 '").status == 0) { usleep(20_000) }
        #expect(try ctl.inside("e", "ss -Hlnt | grep -q ':90 '").status == 0, "the echo server did not start")
        let reply = try ctl.host.exec(outside, "timeout -s KILL 10 python3 \(client) 192.0.2.1 8090")
        #expect(reply.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "\(3 * 200_000)", "\(reply.stdoutText) \(reply.stderrText)")
        try ctl.ok(["rm", "--force", "e"])

        try ctl.host.serve(in: ctl.host.name, port: 8095)
        let taken = try ctl.run(["run", "t", "--network", "slirp4netns", "-p", "8094-8095:80-81"])
        #expect(taken.status != 0 && taken.stderrText.contains("cannot publish 0.0.0.0:8095/tcp: Address already in use"), "\(taken.stderrText)")
        #expect(taken.stderrText.split(separator: "\n").count == 1)
        nothingLeft(ctl)
        let after = try ctl.host.exec(ctl.host.name, "ss -Hlnt").stdoutText
        #expect(!after.contains(":8094 "), "\(after)")
    }

    /// A TCP server on port argv[1] for one connection (and 30 s at most): reads until the client's
    /// half-close, then answers three lines of how many bytes it got.
    static let echoServer = """
        import os, signal, socket, sys
        os.closerange(3, 65536)
        signal.alarm(30)
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", int(sys.argv[1])))
        s.listen(8)
        c, _ = s.accept()
        n = 0
        while True:
            d = c.recv(65536)
            if not d:
                break
            n += len(d)
        c.sendall((str(n) + "\\n").encode() * 3)
        c.close()
        """

    /// Sends 200000 bytes, shuts its sending side down, reads to the end; prints the count times the lines.
    static let halfCloseClient = """
        import socket, sys
        s = socket.create_connection((sys.argv[1], int(sys.argv[2])), 5)
        s.sendall(b"x" * 200000)
        s.shutdown(socket.SHUT_WR)
        b = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            b += d
        l = b.decode().split()
        print(int(l[0]) * len(l))
        """
}
