import Foundation
import HostSystem
import Testing
import TestSupport

extension Ctl {
    /// podman's `State.Status` from `inspect`.
    func state(_ name: String) throws -> String {
        let document = try #require(try ok(["inspect", name, "--format", "json"]).json as? [String: Any])
        return try #require((document["State"] as? [String: Any])?["Status"] as? String)
    }

    /// Every file under the state directory that names the container's ID, but its own record and
    /// the event log: what a plugin or pontoonctl kept for it (a stopped container keeps nothing).
    func filesNaming(_ id: String) -> [String] {
        let grep = (try? TestRun.run("/usr/bin/grep", ["-rl", "--exclude=events.log", "--exclude-dir=containers", id, state]))?.stdoutText ?? ""
        return grep.split(separator: "\n").map(String.init)
    }

    func id(_ name: String) throws -> String {
        try #require((try ok(["inspect", name, "--format", "json"]).json as? [String: Any])?["Id"] as? String)
    }

    func netnsFiles() -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: netnsDir)) ?? [] }

    /// The events as `events --format json` lists them: "type action container[ network]".
    func events(_ extra: [String] = []) throws -> [String] {
        try ok(["events", "--format", "json"] + extra).stdoutText.split(separator: "\n").map { line in
            let event = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let words = [event["Type"], event["Status"], event["Name"], event["Network"]].compactMap { $0 as? String }
            return words.joined(separator: " ")
        }
    }
}

@Suite("pontoonctl: create, start, stop, restart, rm, events", needsRoot, .serialized)
struct PontoonCtlLifecycleTests {
    func address(_ settings: [String: Any], _ network: String) throws -> String {
        let entry = try #require((settings["Networks"] as? [String: Any])?[network] as? [String: Any])
        return try #require(entry["IPAddress"] as? String)
    }

    @Test("""
        create records, start sets up with real traffic, stop leaves no namespace, veth, plugin state or reservation, \
        start again keeps the static IP and MAC with traffic, a dynamic one is leased again; rm of a running one needs --force; \
        events list it in order, --since from the first stop
        """, arguments: [[], ["--backend", "cni", "--plugin", "pontoon"]])
    func stopAndStartAgain(backend: [String]) throws {
        let ctl = try Ctl("ctllife")
        defer { ctl.cleanup() }
        try ctl.ok(["network", "create", "front", "--internal"] + backend)
        try ctl.ok(["run", "peer", "--network", "front"])
        let peerIP = try address(try ctl.inspect("peer"), "front")
        let prefix = peerIP.split(separator: ".").dropLast().joined(separator: ".")
        let staticIP = prefix + ".50", mac = "02:00:00:00:50:50"

        // create: a record, nothing else.
        let created = try ctl.ok(["create", "web", "--network", "front:ip=\(staticIP),mac=\(mac),interface=ctl0"])
        #expect(created.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines).count == 64)
        #expect(try ctl.state("web") == "created")
        #expect(ctl.netnsFiles().count == 1)
        let refusedExec = try ctl.run(["exec", "web", "--", "true"])
        #expect(refusedExec.status == 125 && refusedExec.stderrText.contains("is created, not running"), "\(refusedExec.stderrText)")
        let id = try ctl.id("web")
        let vethsBefore = ctl.leftovers().filter { $0.hasPrefix("veth ") }
        #expect(ctl.filesNaming(id) == [])

        // start: traffic both ways on the asked-for address and interface.
        try ctl.ok(["start", "web"])
        #expect(try ctl.state("web") == "running")
        #expect(try ctl.ok(["ps"]).stdoutText.contains("running"))
        let view = try ctl.inside("web", "ip -j addr show ctl0").json as? [[String: Any]]
        #expect(view?.first?["address"] as? String == mac)
        #expect(try ctl.pings("web", peerIP) && ctl.pings("peer", staticIP))

        // stop: the namespace, the veth, every plugin record and the reservation go; the record stays.
        let webNetns = try ctl.netns("web")
        try ctl.ok(["stop", "web"])
        #expect(try ctl.state("web") == "exited")
        #expect(!FileManager.default.fileExists(atPath: webNetns) && ctl.netnsFiles().count == 1)
        #expect(ctl.filesNaming(id) == [], "plugin state left after stop")
        let left = ctl.leftovers()
        #expect(left.filter { $0.hasPrefix("veth ") } == vethsBefore, "\(left)")
        #expect(!left.contains { $0.hasSuffix("/" + staticIP) }, "the address is still held: \(left)")
        #expect(try !ctl.pings("peer", staticIP))
        #expect(try ctl.ok(["stop", "web"]).status == 0, "stop of a stopped container is nothing to do")

        // start again: the same address, MAC and interface, and traffic.
        try ctl.ok(["start", "web"])
        let again = try ctl.inside("web", "ip -j addr show ctl0").json as? [[String: Any]]
        #expect(again?.first?["address"] as? String == mac)
        #expect(try address(try ctl.inspect("web"), "front") == staticIP)
        #expect(try ctl.pings("web", peerIP) && ctl.pings("peer", staticIP))

        // A dynamic address is a new lease each start (whatever it is), and it works.
        try ctl.ok(["stop", "peer"])
        try ctl.ok(["restart", "web"])
        try ctl.ok(["start", "peer"])
        let newPeerIP = try address(try ctl.inspect("peer"), "front")
        #expect(newPeerIP.hasPrefix(prefix + ".") && newPeerIP != staticIP)
        #expect(try ctl.pings("peer", staticIP) && ctl.pings("web", newPeerIP))

        // rm of a running container: refused with podman's words, nothing changed; --force stops it first.
        let refused = try ctl.run(["rm", "web"])
        #expect(refused.status == 125 && refused.stderrText.contains(
            "cannot remove container web as it is running - running or paused containers cannot be removed without force"), "\(refused.stderrText)")
        #expect(try ctl.pings("peer", staticIP))
        try ctl.ok(["rm", "--force", "web"])
        try ctl.ok(["stop", "peer"])
        try ctl.ok(["rm", "peer"])
        #expect(ctl.leftovers() == [])

        let all = try ctl.events().filter { $0.hasPrefix("container") && $0.hasSuffix(" web") }
        #expect(all == ["container create web", "container start web", "container stop web", "container start web",
                        "container stop web", "container start web", "container stop web", "container remove web"], "\(all)")
        // --since the first stop's time: everything from it on, in order.
        let lines = try ctl.ok(["events", "--format", "json"]).stdoutText.split(separator: "\n")
        let firstStop = try #require(lines.first { $0.contains("\"Status\":\"stop\"") && $0.contains("\"Name\":\"web\"") })
        let since = try #require((try JSONSerialization.jsonObject(with: Data(firstStop.utf8)) as? [String: Any])?["Time"] as? String)
        let later = try ctl.events(["--since", since]).filter { $0.hasSuffix(" web") }
        #expect(later == Array(all.dropFirst(2)), "\(later)")
        #expect(try ctl.events(["--since", "1h"]).count == ctl.events().count)
        let table = try ctl.ok(["events", "--since", since]).stdoutText
        #expect(table.contains("container stop web") && !table.contains("container create web"), "\(table)")
    }

    @Test("stop and start with each backend: the static IP and MAC are kept, the published port stops answering while stopped and answers again after start",
          arguments: CtlBackend.allCases)
    func publishedAcrossStop(backend: CtlBackend) throws {
        try backend.requireInstalled()
        let ctl = try Ctl("lfbk")
        defer { ctl.cleanup() }
        let outside = try CtlOutside(ctl)
        try ctl.ok(["network", "create", "one"] + backend.networkArguments)
        try ctl.ok(["run", "peer", "--network", "one"])
        let prefix = try address(try ctl.inspect("peer"), "one").split(separator: ".").dropLast().joined(separator: ".")
        let staticIP = prefix + ".60", mac = "02:00:00:00:60:60"
        try ctl.ok(["create", "web", "--network", "one:ip=\(staticIP),mac=\(mac)", "-p", "18080:80"])
        try ctl.ok(["start", "web"])
        try ctl.serve(in: "web", port: 80)
        #expect(try ctl.probeFromOutside(outside, port: 18080).hasPrefix("tcp4 \(CtlOutside.outsideIP) "), "\(backend) before stop")
        let first = try ctl.kernelView("web")
        #expect(first.address == staticIP && first.mac == mac, "\(backend): \(first)")

        ctl.killInside(try ctl.netns("web"))   // the server would hold the namespace past stop
        try ctl.ok(["stop", "web"])
        #expect(try ctl.probeFromOutside(outside, port: 18080) == "", "\(backend): the port answers while stopped")
        try ctl.ok(["start", "web"])
        let again = try ctl.kernelView("web")
        #expect(again.address == staticIP && again.mac == mac && again.gateway == first.gateway, "\(backend): \(again)")
        try ctl.serve(in: "web", port: 80)
        #expect(try ctl.probeFromOutside(outside, port: 18080).hasPrefix("tcp4 \(CtlOutside.outsideIP) "), "\(backend) after start")
        #expect(try ctl.pings("peer", staticIP))
        ctl.killInside(try ctl.netns("web"))
        try ctl.ok(["rm", "--force", "web", "peer"])
        #expect(ctl.leftovers() == ["veth uplink"], "the outside's veth only")
    }

    @Test("connect on a stopped container is recorded and set up at start (traffic on that network); disconnect while stopped only forgets it; both are events")
    func connectWhileStopped() throws {
        let ctl = try Ctl("ctlconn")
        defer { ctl.cleanup() }
        try ctl.ok(["network", "create", "front", "--internal"])
        try ctl.ok(["network", "create", "back", "--internal"])
        try ctl.ok(["run", "srv", "--network", "back"])
        let srvIP = try address(try ctl.inspect("srv"), "back")
        try ctl.ok(["run", "c", "--network", "front"])
        #expect(try !ctl.pings("c", srvIP))
        try ctl.ok(["stop", "c"])
        try ctl.ok(["connect", "c", "back", "--alias", "client"])
        #expect(try ctl.state("c") == "exited" && ctl.netnsFiles().count == 1)
        try ctl.ok(["start", "c"])
        #expect(try ctl.pings("c", srvIP))
        let cBack = try address(try ctl.inspect("c"), "back")
        #expect(try ctl.pings("srv", cBack))
        #expect(try ctl.inside("c", "ip -br link show eth1").status == 0)

        // Disconnect while stopped: at the next start only back is set up.
        try ctl.ok(["stop", "c"])
        try ctl.ok(["disconnect", "c", "front"])
        try ctl.ok(["start", "c"])
        #expect(try ctl.inside("c", "ip -br link show eth0").status != 0)
        #expect(try ctl.pings("c", srvIP))
        // Live disconnect: the interface goes at once.
        try ctl.ok(["disconnect", "c", "back"])
        #expect(try ctl.inside("c", "ip -br link show eth1").status != 0)
        #expect(try !ctl.pings("srv", cBack))
        #expect(try ctl.events().filter { $0.hasPrefix("network") } == ["network connect c back", "network disconnect c front", "network disconnect c back"])
        try ctl.ok(["rm", "--force", "c", "srv"])
        #expect(ctl.leftovers() == [])
    }

    @Test("disconnect in libpod's order: the network leaves the record first, then its teardown fails and is the command's error (--force: a warning)")
    func disconnectTeardownFails() throws {
        let ctl = try Ctl("ctldisc")
        defer { ctl.cleanup() }
        try ctl.ok(["network", "create", "front", "--internal"])
        try ctl.ok(["network", "create", "cn", "--internal", "--backend", "cni", "--plugin", "pontoon"])
        try ctl.ok(["run", "c", "--network", "front"])
        try ctl.ok(["connect", "c", "cn"])
        #expect(try ctl.inside("c", "ip -br link show eth1").status == 0)
        // The conflist goes: cn's teardown cannot run.
        let conflist = ctl.config + "/cn.conflist", aside = ctl.config + "/cn.aside"
        try FileManager.default.moveItem(atPath: conflist, toPath: aside)
        let failed = try ctl.run(["disconnect", "c", "cn"])
        #expect(failed.status != 0 && failed.stderrText.hasPrefix("Error: ") && failed.stderrText.contains("cn.conflist"), "\(failed.stderrText)")
        let networks = try #require(try ctl.inspect("c")["Networks"] as? [String: Any])
        #expect(Array(networks.keys) == ["front"], "the network left the record before its teardown: \(networks.keys)")
        #expect(try ctl.events().last == "network disconnect c cn")
        // Put back, connected again and disconnected with --force over a failing teardown: a warning, exit 0.
        try FileManager.default.moveItem(atPath: aside, toPath: conflist)
        try ctl.ok(["connect", "c", "cn", "--interface", "eth5"])
        try FileManager.default.moveItem(atPath: conflist, toPath: aside)
        let forced = try ctl.run(["disconnect", "--force", "c", "cn"])
        #expect(forced.status == 0 && forced.stderrText.hasPrefix("Warning: disconnect c from cn:"), "\(forced.stderrText)")
        try FileManager.default.moveItem(atPath: aside, toPath: conflist)
        try ctl.ok(["rm", "--force", "c"])
    }

    @Test("create --pid adopts a running process's namespace: start configures it (traffic), stop takes the networks out and leaves the process alone")
    func adoptProcess() throws {
        let ctl = try Ctl("ctlpid")
        defer { ctl.cleanup() }
        try ctl.ok(["network", "create", "front", "--internal"])
        try ctl.ok(["run", "peer", "--network", "front"])
        let peerIP = try address(try ctl.inspect("peer"), "front")
        // unshare execs sleep in its own process: the pid is the sleeper's, in a namespace of its own.
        let sleeper = try TestRun.start("/usr/bin/unshare", ["--net", "/bin/sleep", "120"])
        let pid = sleeper.pid
        defer {
            sleeper.terminate()
            _ = sleeper.finish()
        }
        for _ in 0..<50 where (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe"))?.hasSuffix("sleep") != true {
            usleep(20_000)
        }
        let missing = try ctl.run(["create", "ghost", "--network", "front", "--pid", "999999999"])
        #expect(missing.status == 125 && missing.stderrText.contains("no such process"), "\(missing.stderrText)")
        // A process that ended but is not reaped yet (a zombie of ours) has no namespace either.
        let zombie = fork()
        if zombie == 0 { _exit(0) }
        defer { var status: Int32 = 0; waitpid(zombie, &status, 0) }
        #expect(eventually(5) { ProcessStatus.of(zombie)?.ended == true })
        let ended = try ctl.run(["create", "ghost", "--network", "front", "--pid", String(zombie)])
        #expect(ended.status == 125 && ended.stderrText.contains("no such process"), "\(ended.stderrText)")

        try ctl.ok(["create", "proc", "--network", "front", "--pid", String(pid)])
        try ctl.ok(["start", "proc"])
        let procIP = try address(try ctl.inspect("proc"), "front")
        // The process itself sees the interface: it is its namespace that was configured.
        let seen = try TestRun.run("/usr/bin/nsenter", ["-t", String(pid), "-n", "/sbin/ip", "-j", "addr", "show", "eth0"])
        #expect(seen.stdoutText.contains(procIP), "\(seen.stdoutText) \(seen.stderrText)")
        let reach = try TestRun.run("/usr/bin/nsenter", ["-t", String(pid), "-n", "/usr/bin/ping", "-c", "1", "-W", "2", peerIP])
        #expect(reach.status == 0, "\(reach.stdoutText) \(reach.stderrText)")
        #expect(try ctl.pings("peer", procIP))

        try ctl.ok(["stop", "proc"])
        let after = try TestRun.run("/usr/bin/nsenter", ["-t", String(pid), "-n", "/sbin/ip", "-br", "link"])
        #expect(after.status == 0 && !after.stdoutText.contains("eth0"), "\(after.stdoutText)")
        #expect(kill(pid, 0) == 0, "the adopted process still runs")
        #expect(ctl.netnsFiles().count == 1)
        // Started again while the process lives: its namespace again.
        try ctl.ok(["start", "proc"])
        let again = try TestRun.run("/usr/bin/nsenter", ["-t", String(pid), "-n", "/usr/bin/ping", "-c", "1", "-W", "2", peerIP])
        #expect(again.status == 0, "\(again.stdoutText) \(again.stderrText)")
        try ctl.ok(["rm", "--force", "proc", "peer"])
        #expect(ctl.leftovers() == [])
    }

    @Test("joined modes have the lifecycle: a container: sharer stops, starts and restarts without touching its owner; an owner with a running sharer cannot stop")
    func joinedModes() throws {
        let ctl = try Ctl("ctljoin")
        defer { ctl.cleanup() }
        try ctl.ok(["network", "create", "front", "--internal"])
        try ctl.ok(["run", "owner", "--network", "front"])
        try ctl.ok(["run", "sharer", "--network", "container:owner"])
        #expect(try ctl.state("sharer") == "running")
        let ownerNetns = try ctl.netns("owner")
        for verb in ["stop", "start", "restart"] {
            try ctl.ok([verb, "sharer"])
            #expect(try ctl.state("owner") == "running" && ctl.netns("owner") == ownerNetns, "\(verb)")
        }
        #expect(try ctl.state("sharer") == "running" && ctl.netns("sharer") == ownerNetns)
        try ctl.ok(["create", "s2", "--network", "container:owner"])   // created: it holds nothing
        let stop = try ctl.run(["stop", "owner"])
        #expect(stop.status == 125 && stop.stderrText.contains("sharer") && !stop.stderrText.contains("s2"), "\(stop.stderrText)")
        try ctl.ok(["rm", "--force", "sharer", "s2"])
        try ctl.ok(["stop", "owner"])
        let joinStopped = try ctl.run(["run", "s3", "--network", "container:owner"])
        #expect(joinStopped.status == 125 && joinStopped.stderrText.contains("not running"), "\(joinStopped.stderrText)")
        #expect(try ctl.run(["inspect", "s3"]).status != 0, "a failed run leaves nothing")
        // Started again, shared again; rm --force of the owner removes the sharer first, and says so in the events.
        try ctl.ok(["start", "owner"])
        try ctl.ok(["run", "sharer2", "--network", "container:owner"])
        try ctl.ok(["rm", "--force", "owner"])
        let last = try ctl.events().suffix(3)
        #expect(Array(last) == ["container remove sharer2", "container stop owner", "container remove owner"], "\(last)")
        #expect(ctl.leftovers() == [])
    }
}
