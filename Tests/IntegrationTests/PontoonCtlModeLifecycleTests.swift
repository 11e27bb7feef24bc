import Foundation
import Testing
import TestSupport

/// Every mode has libpod's lifecycle: a pod member, a `container:` sharer and a slirp4netns
/// container are created, started, stopped and started again; the user's hosts lines survive.
@Suite("pontoonctl: create/start/stop of pod members, container: and slirp4netns; hosts across restart", needsRoot, .serialized)
struct PontoonCtlModeLifecycleTests {
    /// The probe's servers on `port` in a container's namespace; their pid, for the caller to kill.
    func serve(_ ctl: Ctl, in container: String, port: Int) throws -> Int32 {
        try PontoonCtlSlirp4netnsTests().serve(ctl, in: container, port: port)
    }

    @Test("create --pod: recorded, the stopped infra started by the member's start; pod and members reachable by the pod's name; a member's stop leaves the pod; pod events")
    func createdPodMember() throws {
        let ctl = try Ctl("ctlpodlife")
        defer { ctl.cleanup() }
        try ctl.ok(["network", "create", "front", "--internal"])
        try ctl.ok(["pod", "create", "shop", "--network", "front"])
        try ctl.ok(["create", "m1", "--pod", "shop"])
        #expect(try ctl.state("m1") == "created" && ctl.netns("m1").isEmpty)
        // inspect names the infra by ID, as podman shows NetNsCtr.
        let infraID = try #require(try ctl.ok(["inspect", "shop-infra", "--format", "json"]).json as? [String: Any])["Id"] as? String
        let document = try #require(try ctl.ok(["inspect", "m1", "--format", "json"]).json as? [String: Any])
        #expect((document["HostConfig"] as? [String: Any])?["NetworkMode"] as? String == "container:" + (infraID ?? "?"), "\(document)")

        // The infra stopped (no running member holds it); the member's start starts it first.
        try ctl.ok(["stop", "shop-infra"])
        #expect(try ctl.state("shop-infra") == "exited")
        try ctl.ok(["start", "m1"])
        #expect(try ctl.state("shop-infra") == "running" && ctl.state("m1") == "running")
        #expect(try ctl.netns("m1") == ctl.netns("shop-infra") && !ctl.netns("m1").isEmpty)
        try ctl.ok(["run", "m2", "--pod", "shop"])
        try ctl.ok(["run", "client", "--network", "front"])

        // Real traffic by the pod's name: a server in the pod's namespace answers the client.
        let server = try serve(ctl, in: "m1", port: 7001)
        defer { kill(server, SIGKILL) }
        let clientIP = try #require((ctl.inspect("client")["Networks"] as? [String: Any]).flatMap { ($0["front"] as? [String: Any])?["IPAddress"] as? String })
        let probe = try ctl.host.probeScript()
        // exec: the client's own resolv.conf, so the name is aardvark-dns's answer.
        let byName = ["exec", "client", "--", "timeout", "-s", "KILL", "10", "python3", probe, "tcp", "shop", "7001", "0"]
        let answer = try ctl.ok(byName).stdoutText
        #expect(answer.hasPrefix("tcp4 \(clientIP) port "), "\(answer)")
        // m2 is in the same namespace: it reaches the server on loopback.
        #expect(try ctl.inside("m2", "timeout -s KILL 10 python3 \(probe) tcp 127.0.0.1 7001 0").stdoutText.hasPrefix("tcp4 127.0.0.1 port "))

        // m1's stop leaves the pod's namespace; the pod still answers (m1's server runs in the namespace, not in m1).
        try ctl.ok(["stop", "m1"])
        #expect(try ctl.state("m1") == "exited" && ctl.netns("m1").isEmpty && ctl.state("shop-infra") == "running")
        let still = try ctl.ok(byName).stdoutText
        #expect(still.hasPrefix("tcp4 \(clientIP) port "), "\(still)")
        let refused = try ctl.run(["stop", "shop-infra"])
        #expect(refused.status != 0 && refused.stderrText.contains("m2") && !refused.stderrText.contains("m1"), "\(refused.stderrText)")
        try ctl.ok(["start", "m1"])
        #expect(try ctl.netns("m1") == ctl.netns("m2"))

        kill(server, SIGKILL)
        try ctl.ok(["rm", "--force", "client"])
        try ctl.ok(["pod", "rm", "--force", "shop"])
        let seen = try ctl.events()   // "Type Status Name", podman's keys
        let podCreate = try #require(seen.firstIndex(of: "pod create shop"), "\(seen)")
        let infraCreate = try #require(seen.firstIndex(of: "container create shop-infra"), "\(seen)")
        let infraStarts = seen.indices.filter { seen[$0] == "container start shop-infra" }
        let m1Start = try #require(seen.firstIndex(of: "container start m1"), "\(seen)")
        #expect(podCreate < infraCreate && infraStarts.count == 2 && infraStarts[1] < m1Start, "\(seen)")
        #expect(seen.last == "pod remove shop", "\(seen)")
        #expect(ctl.leftovers() == [])
    }

    @Test("container:OTHER created before OTHER runs: start refused naming OTHER, joins once it runs, stop leaves OTHER untouched, start joins again")
    func sharerLifecycle() throws {
        let ctl = try Ctl("ctlsharelife")
        defer { ctl.cleanup() }
        try ctl.ok(["network", "create", "front", "--internal"])
        try ctl.ok(["create", "owner", "--network", "front"])
        try ctl.ok(["run", "peer", "--network", "front"])
        try ctl.ok(["create", "sharer", "--network", "container:owner"])
        let ownerID = try #require(try ctl.ok(["inspect", "owner", "--format", "json"]).json as? [String: Any])["Id"] as? String
        let document = try #require(try ctl.ok(["inspect", "sharer", "--format", "json"]).json as? [String: Any])
        #expect((document["HostConfig"] as? [String: Any])?["NetworkMode"] as? String == "container:" + (ownerID ?? "?"))

        let early = try ctl.run(["start", "sharer"])
        #expect(early.status != 0 && early.stderrText.contains("owner") && early.stderrText.contains("not running"), "\(early.stderrText)")
        #expect(try ctl.state("sharer") == "created")
        try ctl.ok(["start", "owner"])
        try ctl.ok(["start", "sharer"])
        #expect(try ctl.netns("sharer") == ctl.netns("owner"))
        let ownerIP = try #require((ctl.inspect("owner")["Networks"] as? [String: Any]).flatMap { ($0["front"] as? [String: Any])?["IPAddress"] as? String })

        // The sharer's server answers the peer at the owner's address: one namespace.
        let probe = try ctl.host.probeScript()
        var server = try serve(ctl, in: "sharer", port: 7002)
        defer { kill(server, SIGKILL) }
        let peerIP = try #require((ctl.inspect("peer")["Networks"] as? [String: Any]).flatMap { ($0["front"] as? [String: Any])?["IPAddress"] as? String })
        #expect(try ctl.inside("peer", "timeout -s KILL 10 python3 \(probe) tcp \(ownerIP) 7002 0").stdoutText.hasPrefix("tcp4 \(peerIP) port "))

        // stop of the sharer: the owner keeps its namespace, address and traffic.
        try ctl.ok(["stop", "sharer"])
        #expect(try ctl.state("sharer") == "exited" && ctl.state("owner") == "running")
        #expect(try ctl.inside("owner", "ip -br addr show eth0").stdoutText.contains(ownerIP))
        #expect(try ctl.inside("peer", "timeout -s KILL 10 python3 \(probe) tcp \(ownerIP) 7002 0").stdoutText.hasPrefix("tcp4 \(peerIP) port "))
        kill(server, SIGKILL)

        // The owner stops and starts (a new namespace): the sharer's next start joins the new one.
        try ctl.ok(["stop", "owner"])
        try ctl.ok(["start", "owner"])
        try ctl.ok(["start", "sharer"])
        #expect(try ctl.netns("sharer") == ctl.netns("owner"))
        server = try serve(ctl, in: "sharer", port: 7003)
        let again = try #require((ctl.inspect("owner")["Networks"] as? [String: Any]).flatMap { ($0["front"] as? [String: Any])?["IPAddress"] as? String })
        // The owner's new interface may have its old address with a new MAC: the peer's cached
        // neighbour entry would hold the first SYNs back for seconds (no gratuitous ARP is sent).
        _ = try ctl.inside("peer", "ip neigh flush all")
        let reached = try ctl.inside("peer", "timeout -s KILL 10 python3 \(probe) tcp \(again) 7003 0")
        let seenInside = try ctl.inside("sharer", "ip -br addr; ss -Hlnt").stdoutText
        #expect(reached.stdoutText.hasPrefix("tcp4 \(peerIP) port "), "\(reached.stdoutText) \(reached.stderrText) \(again) \(seenInside)")
        kill(server, SIGKILL)
        try ctl.ok(["rm", "--force", "owner", "peer"])
        #expect(try ctl.run(["inspect", "sharer"]).status != 0)
        #expect(ctl.leftovers() == [])
    }

    @Test("a line the user added to hosts survives stop and start (and is resolved inside); the networks' lines follow the addresses")
    func hostsKept() throws {
        let ctl = try Ctl("ctlhostskept")
        defer { ctl.cleanup() }
        try ctl.ok(["network", "create", "front", "--internal"])
        try ctl.ok(["run", "web", "--network", "front"])
        let hosts = ctl.state + "/containers/web/hosts"
        let first = try String(contentsOfFile: hosts, encoding: .utf8)
        let handle = try #require(FileHandle(forWritingAtPath: hosts))
        handle.seekToEndOfFile()
        handle.write(Data("192.0.2.77\tuserhost\n".utf8))
        try handle.close()
        let ip = try #require((ctl.inspect("web")["Networks"] as? [String: Any]).flatMap { ($0["front"] as? [String: Any])?["IPAddress"] as? String })
        #expect(first.contains(ip + "\tweb"))

        try ctl.ok(["stop", "web"])
        let stopped = try String(contentsOfFile: hosts, encoding: .utf8)
        #expect(stopped.contains("192.0.2.77\tuserhost") && !stopped.contains(ip + "\t"), "\(stopped)")
        try ctl.ok(["network", "create", "back", "--internal"])
        try ctl.ok(["connect", "web", "back"])   // applied at start: its line arrives then
        try ctl.ok(["start", "web"])
        let started = try String(contentsOfFile: hosts, encoding: .utf8)
        let lines = started.split(separator: "\n").map(String.init)
        #expect(lines.first == "127.0.0.1\tlocalhost" && lines.filter { $0 == "192.0.2.77\tuserhost" }.count == 1, "\(started)")
        let networks = try #require(ctl.inspect("web")["Networks"] as? [String: Any])
        for name in ["front", "back"] {
            let address = try #require((networks[name] as? [String: Any])?["IPAddress"] as? String)
            #expect(lines.filter { $0.hasPrefix(address + "\t") }.count == 1, "\(name): \(started)")
        }
        let resolved = try ctl.ok(["exec", "web", "--", "getent", "hosts", "userhost"]).stdoutText
        #expect(resolved.contains("192.0.2.77"), "\(resolved)")
        try ctl.ok(["rm", "--force", "web"])
        #expect(ctl.leftovers() == [])
    }
}

extension PontoonCtlSlirp4netnsTests {
    @Test("create, start, stop, start of a slirp4netns container: its slirp4netns and published port come and go with it; outbound and inbound after each start")
    func slirpLifecycle() throws {
        let ctl = try Ctl("ctlslirplife")
        defer { ctl.cleanup() }
        let outside = try outside(ctl)
        try ctl.host.serve(in: outside, port: 7000)
        try ctl.ok(["create", "s", "--network", "slirp4netns:port_handler=slirp4netns,enable_ipv6=false", "-p", "8080:80"])
        #expect(try ctl.state("s") == "created" && slirpProcesses(ctl).isEmpty)
        let probe = try ctl.host.probeScript()
        var namespaces: [String] = []
        for round in 1...2 {
            try ctl.ok(["start", "s"])
            #expect(slirpProcesses(ctl).count == 1, "round \(round)")
            namespaces.append(try ctl.netns("s"))
            let outbound = try ctl.inside("s", "timeout -s KILL 10 python3 \(probe) tcp 192.0.2.2 7000 0")
            #expect(outbound.stdoutText.hasPrefix("tcp4 192.0.2.1 port"), "round \(round): \(outbound.stdoutText) \(outbound.stderrText)")
            let server = try serve(ctl, in: "s", port: 80)
            let inbound = try ctl.host.probe(from: outside, "tcp", "192.0.2.1", 8080)
            kill(server, SIGKILL)
            #expect(inbound.hasPrefix("tcp4 192.0.2.2 port"), "round \(round): \(inbound)")
            try ctl.ok(["stop", "s"])
            #expect(try ctl.state("s") == "exited" && ctl.netns("s").isEmpty)
            #expect(slirpProcesses(ctl).isEmpty, "stop ends its slirp4netns")
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: ctl.netnsDir)) ?? []).isEmpty, "stop removes its namespace")
            #expect(try ctl.host.probe(from: outside, "tcp", "192.0.2.1", 8080).isEmpty, "the port is closed while stopped")
        }
        #expect(namespaces.count == 2 && namespaces[0] != namespaces[1])
        try ctl.ok(["rm", "s"])
        nothingLeft(ctl)
    }
}
