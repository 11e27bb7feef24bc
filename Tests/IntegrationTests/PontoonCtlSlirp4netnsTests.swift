import Foundation
import Testing
import TestSupport

/// `--network slirp4netns`: a private host with an outside namespace behind a veth; slirp4netns
/// runs in the private host and forwards between it and the container's tap0.
@Suite("pontoonctl: --network slirp4netns", needsRoot, .serialized,
       .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/slirp4netns"), "slirp4netns is not installed"))
struct PontoonCtlSlirp4netnsTests {
    /// The firewall tests' probe server in a container's namespace (their `serve` knows only named ones).
    func serve(_ ctl: Ctl, in container: String, port: Int) throws {
        let started = try ctl.inside(container, "python3 \(try ctl.host.probeScript()) serve \(port) </dev/null >/dev/null 2>&1 &")
        try #require(started.status == 0, "\(started.stderrText)")
        for _ in 0..<100 where !(try ctl.inside(container, "ss -Hlnt | grep -q ':\(port) '").status == 0) { usleep(20_000) }
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

    func nothingLeft(_ ctl: Ctl, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(ctl.leftovers().filter { $0 != "veth to-out" } == [], sourceLocation: sourceLocation)   // the test's own link
        #expect(slirpProcesses(ctl) == [], sourceLocation: sourceLocation)
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
        try serve(ctl, in: "s", port: 80)
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
            #expect(refused.status != 0 && refused.stderrText.contains("network mode \"slirp4netns\" is not supported"), "\(arguments): \(refused.stderrText)")
        }

        try ctl.ok(["reload", "--all"])   // skips it: nothing of its own to reload

        try ctl.ok(["rm", "--force", "s"])
        nothingLeft(ctl)
    }

    @Test("refused before anything is made: bad options, rootlesskit's port handler, a host port already taken")
    func refusals() throws {
        let ctl = try Ctl("ctlslirpno")
        defer { ctl.cleanup() }
        for (arguments, reason) in [
            (["run", "b", "--network", "slirp4netns:bogus=1"], "unknown option for slirp4netns: \"bogus=1\""),
            (["run", "b", "--network", "slirp4netns:mtu=12"], "invalid mtu \"12\""),
            (["run", "b", "--network", "slirp4netns", "-p", "8080:80"], "port_handler=rootlesskit"),
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
}
