import Foundation
import Testing
import TestSupport

/// The verbs after `create` for a rootless container on each of the root flows' four backends: what
/// `RootlessOperationsTests` proves for pontoon through netavark's protocol, with the plugins of each
/// backend run inside the rootless netns. Real traffic each time.
@Suite("pontoonctl rootless container operations over four backends", needsRoot, .serialized)
struct RootlessBackendOperationsTests {
    let containers = RootlessContainerTests()
    let operations = RootlessOperationsTests()

    @Test("exec and stats, connect to a second network and disconnect, reload after nft flush ruleset restores the published port",
          arguments: CtlBackend.allCases)
    func operations(backend: CtlBackend) throws {
        try backend.requireInstalled()
        let session = try RootlessSession()
        defer { session.finish() }
        _ = try session.user.install(Binaries.pontoon)
        let outside = try session.wireOutside()
        let probe = try session.user.install(try session.host.probeScript())
        for network in ["front", "back"] {
            let made = try session.run(["network", "create", network] + backend.networkArguments)
            try #require(made.status == 0, "network create \(network): \(made.stderrText)")
        }
        for (name, network, ports) in [("web", "front", ["-p", "8080:80"]), ("srv", "back", [])] {
            let made = try session.run(["run", name, "--network", network] + ports)
            try #require(made.status == 0, "\(backend) create \(name): \(made.stderrText)")
        }
        let web = try containers.attachment(session, "web")
        let server = try #require(try operations.address(session, "srv", on: "back"))
        var servers = [try operations.serve(session, web.netns, port: 80, probe: probe),
                       try operations.serve(session, try operations.sandbox(session, "srv"), port: 80, probe: probe)]
        defer { for pid in servers { kill(pid, SIGKILL) } }

        // exec is inside web; stats count what it sent.
        let addresses = try session.run(["exec", "web", "--", "/sbin/ip", "-br", "addr", "show", "eth0"])
        #expect(addresses.stdoutText.contains(web.ip + "/"), "\(backend) exec: \(addresses.stdoutText) \(addresses.stderrText)")
        let before = try operations.total(session, "web")
        let ping = try session.run(["exec", "web", "--", "/usr/bin/ping", "-c", "3", "-i", "0.2", "-W", "2", web.gateway])
        #expect(ping.status == 0, "\(backend) ping \(web.gateway): \(ping.stdoutText) \(ping.stderrText)")
        let after = try operations.total(session, "web")
        let sent = (after["txPackets"] as? Int ?? 0) - (before["txPackets"] as? Int ?? 0)
        #expect(sent >= 3, "\(backend) stats before \(before) after \(after)")

        // connect: web gets an interface on back and reaches srv over it (srv sees web's address on back).
        let connected = try session.run(["connect", "web", "back"])
        try #require(connected.status == 0, "\(backend) connect: \(connected.stderrText)")
        let webBack = try #require(try operations.address(session, "web", on: "back"))
        let across = try operations.probe(session, from: "web", server, 80, probe: probe)
        #expect(across.hasPrefix("tcp4 \(webBack) port "), "\(backend) web -> srv after connect: \(across)")
        let disconnected = try session.run(["disconnect", "web", "back"])
        #expect(disconnected.status == 0, "\(backend) disconnect: \(disconnected.stderrText)")
        #expect(try session.run(["exec", "web", "--", "/sbin/ip", "link", "show", "eth1"]).status != 0, "\(backend): eth1 left in web")
        let gone = try operations.probe(session, from: "srv", webBack, 80, probe: probe)
        #expect(gone == "", "\(backend): web's address on back still answers after disconnect: \(gone)")

        // reload after a flush of the rootless netns' firewall brings the published port back.
        let answer = try operations.probe(session, in: outside, "198.51.100.1", 8080, probe: probe)
        #expect(answer.hasPrefix("tcp4 198.51.100.2 port "), "\(backend) in: \(answer)")
        let flushed = try session.run(["rootless-netns", "exec", "--", "/usr/sbin/nft", "flush", "ruleset"])
        try #require(flushed.status == 0, "flush: \(flushed.stderrText)")
        #expect(try operations.probe(session, in: outside, "198.51.100.1", 8080, probe: probe) == "", "\(backend): the flush left the DNAT")
        let reloaded = try session.run(["reload", "--all"])
        #expect(reloaded.status == 0, "\(backend) reload: \(reloaded.stderrText)")
        let again = try operations.probe(session, in: outside, "198.51.100.1", 8080, probe: probe)
        #expect(again.hasPrefix("tcp4 198.51.100.2 port "), "\(backend) in after reload: \(again)")
        let out = try operations.probe(session, from: "web", "198.51.100.2", 8080, probe: probe)
        #expect(out.hasPrefix("tcp4 198.51.100.1 port "), "\(backend) out after reload: \(out)")

        for pid in servers { kill(pid, SIGKILL) }
        servers = []
        for name in ["web", "srv"] {
            let removed = try session.run(["rm", "--force", name])
            #expect(removed.status == 0, "\(backend) rm \(name): \(removed.stderrText)")
        }
        try containers.expectNothingLeft(session)
    }
}
