import Foundation
import Testing
import TestSupport

/// What a podman user's habits meet on pontoonctl's command line: a picked host port, `-p` where no
/// network forwards it, a host port another container holds, several names at once, `--network
/// none`'s loopback, `--hostname`, processes left in a namespace, and no lock file for a name that
/// never existed. Each in a private host; traffic where traffic is the point.
@Suite("pontoonctl: what a podman user's commands mean", needsRoot, .serialized)
struct PontoonCtlSemanticsTests {
    func hostPort(_ ctl: Ctl, _ name: String, _ key: String = "80/tcp") throws -> Int {
        let ports = try #require(try ctl.inspect(name)["Ports"] as? [String: [[String: String]]], "\(name) has no Ports")
        return try #require(ports[key]?.first?["HostPort"].flatMap { Int($0) }, "\(name): \(ports)")
    }

    /// `inspect --format json`'s top level (Id, State.Status), a shape podman's and every pontoonctl's agree on.
    func inspected(_ ctl: Ctl, _ name: String) throws -> [String: Any] {
        try #require(try ctl.ok(["inspect", name, "--format", "json"]).json as? [String: Any])
    }

    func status(_ ctl: Ctl, _ name: String) throws -> String {
        try #require((try inspected(ctl, name)["State"] as? [String: Any])?["Status"] as? String)
    }

    /// The processes in a namespace, found as pontoonctl finds them (by the namespace's inode).
    func namespacePIDs(_ netns: String) -> [Int32] {
        var target = stat()
        guard stat(netns, &target) == 0 else { return [] }
        return ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry -> Int32? in
            var info = stat()
            guard let pid = Int32(entry), stat("/proc/\(entry)/ns/net", &info) == 0, info.st_ino == target.st_ino,
                  info.st_dev == target.st_dev else { return nil }
            return pid
        }.sorted()
    }

    func lockFiles(_ ctl: Ctl) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: ctl.state + "/locks")) ?? []).filter { $0.hasPrefix("container-") }.sorted()
    }

    @Test("-p 80 picks a free host port at create that answers from outside, is kept over stop/start, and a second container asking for it is refused naming the holder")
    func pickedHostPort() throws {
        let ctl = try Ctl("ctlpick")
        defer { ctl.cleanup() }
        let outside = try CtlOutside(ctl)
        let baseline = ctl.leftovers()   // the outside's veth
        try ctl.ok(["network", "create", "front"])
        try ctl.ok(["create", "web", "--network", "front", "-p", "80", "-p", "90-91/udp"])
        let picked = try hostPort(ctl, "web")
        let range = try ctl.host.exec(ctl.host.name, "cat /proc/sys/net/ipv4/ip_local_port_range").stdoutText
            .split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        #expect(range.count == 2 && (range[0]...range[1]).contains(picked), "\(picked) is outside the ephemeral range \(range)")
        let udp90 = try hostPort(ctl, "web", "90/udp"), udp91 = try hostPort(ctl, "web", "91/udp")
        #expect(udp91 == udp90 + 1 && udp90 != picked, "udp range \(udp90), \(udp91)")
        try ctl.ok(["start", "web"])
        #expect(try ctl.ok(["ps"]).stdoutText.contains("\(picked)"))
        try ctl.serve(in: "web", port: 80)
        let answer = try ctl.probeFromOutside(outside, port: picked)
        #expect(answer.hasPrefix("tcp4 \(CtlOutside.outsideIP) "), "picked port \(picked) answered \"\(answer)\"")

        // stop/start: the same host port, answering again (a server in the new namespace).
        ctl.killInside(try ctl.netns("web"))
        try ctl.ok(["stop", "web"])
        try ctl.ok(["start", "web"])
        #expect(try hostPort(ctl, "web") == picked)
        try ctl.serve(in: "web", port: 80)
        let again = try ctl.probeFromOutside(outside, port: picked)
        #expect(again.hasPrefix("tcp4 \(CtlOutside.outsideIP) "), "after stop/start \(picked) answered \"\(again)\"")

        // The same host port for another container: refused naming web, nothing of it left.
        let before = ctl.leftovers()
        let thief = try ctl.run(["run", "thief", "--network", "front", "-p", "\(picked):8080"])
        #expect(thief.status != 0 && thief.stderrText.contains("host port \(picked)/tcp of container thief is already published by container web"),
                "\(thief.stderrText)")
        #expect(ctl.leftovers() == before && lockFiles(ctl) == ["container-web"])
        #expect(try ctl.run(["inspect", "thief"]).status != 0)
        // The holder still answers.
        #expect(try ctl.probeFromOutside(outside, port: picked).hasPrefix("tcp4 "))
        try ctl.ok(["rm", "--force", "web"])
        #expect(ctl.leftovers() == baseline && lockFiles(ctl) == [])
    }

    @Test("-p on internal networks only is refused naming them and leaves nothing; beside a network that is not internal it answers")
    func internalOnly() throws {
        let ctl = try Ctl("ctlintern")
        defer { ctl.cleanup() }
        let outside = try CtlOutside(ctl)
        let baseline = ctl.leftovers()   // the outside's veth
        try ctl.ok(["network", "create", "front", "--internal"])
        try ctl.ok(["network", "create", "back", "--internal", "--ipv6"])
        let rulesBefore = try ctl.host.exec(ctl.host.name, "nft list ruleset").stdoutText
        let refused = try ctl.run(["run", "web", "--network", "front", "--network", "back:alias=www", "-p", "8080:80"])
        #expect(refused.status == 125, "\(refused.stderrText)")
        #expect(refused.stderrText == "Error: cannot publish ports (-p) of container web: its networks front, back are internal, "
            + "and an internal network forwards no port; add a network that is not --internal\n")
        #expect(ctl.leftovers() == baseline && lockFiles(ctl) == [])   // no container record either
        #expect(try ctl.host.exec(ctl.host.name, "nft list ruleset").stdoutText == rulesBefore)
        #expect(try ctl.run(["create", "web", "--network", "front", "-p", "8080:80"]).status == 125)

        // The README's example as it now reads: front not internal, back internal; the port answers.
        try ctl.ok(["network", "rm", "front"])
        try ctl.ok(["network", "create", "front"])
        try ctl.ok(["run", "web", "--network", "front", "--network", "back:alias=www", "-p", "8080:80"])
        try ctl.serve(in: "web", port: 80)
        let answer = try ctl.probeFromOutside(outside, port: 8080)
        #expect(answer.hasPrefix("tcp4 \(CtlOutside.outsideIP) "), "8080 answered \"\(answer)\"")
        // Nor can a disconnect leave the port on the internal network alone: refused, the port still answers.
        let stranded = try ctl.run(["disconnect", "web", "front"])
        #expect(stranded.status == 125 && stranded.stderrText == "Error: cannot disconnect container web from network front: its published "
            + "ports (-p) would be left on internal network back only, which forwards no port (--force disconnects it all the same)\n",
                "\(stranded.stderrText)")
        #expect(try ctl.probeFromOutside(outside, port: 8080).hasPrefix("tcp4 "))
        try ctl.ok(["rm", "--force", "web"])
        try ctl.ok(["network", "rm", "front", "back"])
        #expect(ctl.leftovers() == baseline)
    }

    @Test("rm, stop, start and network rm carry on past a missing name: one line each, the rest done, exit 1, no lock file for it")
    func severalNames() throws {
        let ctl = try Ctl("ctlnames")
        defer { ctl.cleanup() }
        for name in ["a", "b"] { try ctl.ok(["create", name, "--network", "none"]) }
        let missing = "Error: no container with name \"nosuch\" found: no such container\n"

        let started = try ctl.run(["start", "a", "nosuch", "b"])
        #expect(started.status == 1 && started.stderrText == missing, "\(started.stderrText)")
        #expect(try status(ctl, "a") == "running" && status(ctl, "b") == "running")

        let stopped = try ctl.run(["stop", "a", "nosuch", "b"])
        #expect(stopped.status == 1 && stopped.stderrText == missing && stopped.stdoutText == "a\nb\n", "\(stopped.stderrText)")
        #expect(try status(ctl, "a") == "exited" && status(ctl, "b") == "exited")

        for verb in [["inspect"], ["rm"], ["stop"], ["start"], ["restart"], ["reload"], ["exec"], ["stats"], ["disconnect"]] {
            let arguments = verb + ["nosuch"] + (verb == ["exec"] ? ["--", "true"] : verb == ["disconnect"] ? ["front"] : [])
            #expect(try ctl.run(arguments).status != 0, "\(arguments)")
        }
        #expect(lockFiles(ctl) == ["container-a", "container-b"], "\(lockFiles(ctl))")

        let removed = try ctl.run(["rm", "a", "nosuch", "b"])
        #expect(removed.status == 1 && removed.stderrText == missing && removed.stdoutText == "a\nb\n", "\(removed.stderrText)")
        #expect(ctl.leftovers() == [], "a record is left")

        try ctl.ok(["network", "create", "n1"])
        try ctl.ok(["network", "create", "n2"])
        let networks = try ctl.run(["network", "rm", "n1", "nosuch", "n2"])
        #expect(networks.status == 1 && networks.stdoutText == "n1\nn2\n", "\(networks.stderrText)")
        #expect(networks.stderrText == "Error: unable to find network with name or ID nosuch: network not found\n")
        #expect((try ctl.ok(["network", "ls", "--format", "json"]).json as? [Any])?.isEmpty == true)
        #expect(ctl.leftovers() == [] && lockFiles(ctl) == [])
    }

    @Test("errors name what is in the way: the network whose subnet overlaps, a name in use")
    func namedConflicts() throws {
        let ctl = try Ctl("ctlclash")
        defer { ctl.cleanup() }
        try ctl.ok(["network", "create", "a", "--subnet", "10.99.0.0/24"])
        let overlap = try ctl.run(["network", "create", "b", "--subnet", "10.99.0.0/16"])
        #expect(overlap.status == 125 && overlap.stderrText == "Error: --subnet 10.99.0.0/16 overlaps subnet 10.99.0.0/24 of network a\n",
                "\(overlap.stderrText)")
        let again = try ctl.run(["network", "create", "a"])
        #expect(again.status == 125 && again.stderrText.hasPrefix("Error: network a already exists (ID "), "\(again.stderrText)")
        try ctl.ok(["create", "c", "--network", "none"])
        let twice = try ctl.run(["create", "c", "--network", "none"])
        let id = try #require(try inspected(ctl, "c")["Id"] as? String)
        #expect(twice.status == 125 && twice.stderrText == "Error: a container named c already exists (ID \(id.prefix(12))): remove it to reuse the name\n",
                "\(twice.stderrText)")
        try ctl.ok(["rm", "c"])
        try ctl.ok(["network", "rm", "a"])
        #expect(ctl.leftovers() == [] && lockFiles(ctl) == [])
    }

    @Test("--network none has lo up (127.0.0.1 answers inside, nothing else there); --hostname names the container in its hosts file only")
    func loopbackAndHostname() throws {
        let ctl = try Ctl("ctllo")
        defer { ctl.cleanup() }
        try ctl.ok(["run", "lonely", "--network", "none"])
        #expect(try ctl.ok(["exec", "lonely", "--", "ping", "-c", "1", "-W", "2", "127.0.0.1"]).status == 0)
        let links = try #require(try ctl.inside("lonely", "ip -j link show").json as? [[String: Any]])
        #expect(links.compactMap { $0["ifname"] as? String } == ["lo"])
        #expect((links.first?["flags"] as? [String])?.contains("UP") == true, "\(links)")

        try ctl.ok(["network", "create", "front"])
        try ctl.ok(["run", "h", "--network", "front", "--hostname", "db.example"])
        let hosts = try String(contentsOfFile: ctl.state + "/containers/h/hosts", encoding: .utf8)
        let address = try #require(((try ctl.inspect("h"))["Networks"] as? [String: [String: Any]])?["front"]?["IPAddress"] as? String)
        #expect(hosts.contains("\(address)\tdb.example h"), "\(hosts)")
        // No UTS namespace: exec sees the host's own hostname.
        let inside = try ctl.ok(["exec", "h", "--", "hostname"]).stdoutText
        #expect(inside == (try TestRun.run("/usr/bin/hostname", [], environment: [:]).stdoutText))
        let bad = try ctl.run(["run", "x", "--network", "front", "--hostname", "a b"])
        #expect(bad.status == 125 && bad.stderrText.contains("--hostname \"a b\" is not a host name"), "\(bad.stderrText)")
        // A pod's name is its infra's hostname: a name with an underscore is one.
        try ctl.ok(["pod", "create", "my_pod", "--network", "front"])
        try ctl.ok(["pod", "rm", "--force", "my_pod"])
        try ctl.ok(["rm", "--force", "lonely", "h"])
        #expect(ctl.leftovers() == [] && lockFiles(ctl) == [])
    }

    @Test("rm of a running container names the processes in its namespace; rm --force ends them")
    func processesInside() throws {
        let ctl = try Ctl("ctlprocs")
        defer { ctl.cleanup() }
        try ctl.ok(["run", "web", "--network", "none"])
        let netns = try ctl.netns("web")
        // A long command, its inherited descriptors closed (the test's runner waits for them), as exec would leave one.
        let sleeper = "python3 -c 'import os, time; os.closerange(3, 65536); time.sleep(300)' </dev/null >/dev/null 2>&1 &"
        #expect(try ctl.inside("web", sleeper).status == 0)
        // Only it is left in the namespace once the shell that started it has gone.
        var found: [Int32] = []
        for _ in 0..<250 {
            found = namespacePIDs(netns)
            if found.count == 1, (try? String(contentsOfFile: "/proc/\(found[0])/comm", encoding: .utf8)) == "python3\n" { break }
            usleep(20_000)
        }
        try #require(found.count == 1, "processes in the namespace: \(found)")
        let pid = found[0]

        let refused = try ctl.run(["rm", "web"])
        #expect(refused.status != 0 && refused.stderrText.contains("(processes \(pid) in its network namespace)"), "\(refused.stderrText)")
        #expect(kill(pid, 0) == 0)
        let forced = try ctl.ok(["rm", "--force", "web"])
        #expect(forced.stderrText.contains("ended processes \(pid) in its network namespace"), "\(forced.stderrText)")
        var gone = false
        for _ in 0..<100 where !gone {
            let state = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.split(separator: " ").dropFirst(2).first
            gone = state == nil || state == "Z"
            if !gone { usleep(20_000) }
        }
        #expect(gone, "process \(pid) still runs after rm --force")
        #expect(ctl.leftovers() == [] && lockFiles(ctl) == [])
    }
}
