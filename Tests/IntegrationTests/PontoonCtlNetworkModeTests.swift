import Foundation
import Testing
import TestSupport

/// podman's network modes with real traffic, in a private host: the default network, none, host,
/// and container: chains.
@Suite("pontoonctl: the default network, --network none|host, container: chains", needsRoot, .serialized)
struct PontoonCtlNetworkModeTests {
    func document(_ ctl: Ctl, _ name: String) throws -> [String: Any] {
        try #require(try ctl.ok(["inspect", name, "--format", "json"]).json as? [String: Any])
    }

    func networkMode(_ ctl: Ctl, _ name: String) throws -> String? {
        (try document(ctl, name)["HostConfig"] as? [String: Any])?["NetworkMode"] as? String
    }

    func interfaces(_ result: RunResult) -> [String] {
        ((result.json as? [[String: Any]]) ?? []).compactMap { $0["ifname"] as? String }.sorted()
    }

    @Test("no --network: both containers on the default network podman (made on first use), and they talk; private is the same network")
    func defaultNetwork() throws {
        let ctl = try Ctl("ctldef")
        defer { ctl.cleanup() }
        try ctl.ok(["run", "a"])
        try ctl.ok(["run", "b", "--network", "private"])
        let networks = try #require(try ctl.ok(["network", "ls", "--format", "json"]).json as? [[String: Any]])
        #expect(networks.count == 1)
        let text = try ctl.ok(["network", "inspect", "podman"]).stdoutText
        #expect(text.contains("10.88.0.0/16") && text.contains("pontoon0") && text.contains("2f259bab93aaaaa2"), "\(text)")
        #expect(try ctl.host.exec(ctl.host.name, "ip link show pontoon0").status == 0)

        // The default network alone: the top-level fields are filled, as podman's.
        let a = try ctl.inspect("a")
        let ip = try #require(a["IPAddress"] as? String)
        #expect(ip.hasPrefix("10.88."))
        #expect((a["Networks"] as? [String: Any])?.keys.sorted() == ["podman"])
        #expect(try networkMode(ctl, "a") == "bridge")
        let ping = try ctl.run(["exec", "b", "--", "ping", "-c", "1", "-W", "2", ip])
        #expect(ping.status == 0, "\(ping.stdoutText) \(ping.stderrText)")
        // Stopped: the network's entry stays, empty (libpod's dummy entry); nothing at the top.
        try ctl.ok(["stop", "a"])
        let stopped = try ctl.inspect("a")
        let entry = try #require((stopped["Networks"] as? [String: Any])?["podman"] as? [String: Any])
        #expect(entry["IPAddress"] as? String == "" && entry["MacAddress"] as? String == "" && stopped["IPAddress"] as? String == "")
        #expect(stopped["SandboxKey"] as? String == "")
        try ctl.ok(["rm", "--force", "a", "b"])
        #expect(ctl.leftovers() == [])
    }

    @Test("--network none: only lo, up; no plugin call; stop removes its namespace, start makes it again; connect refused with podman's message")
    func noneMode() throws {
        let ctl = try Ctl("ctlnone")
        defer { ctl.cleanup() }
        try ctl.ok(["network", "create", "front", "--internal"])
        try ctl.ok(["run", "n", "--network", "none"])
        let links = try ctl.ok(["exec", "n", "--", "ip", "-j", "link", "show"])
        #expect(interfaces(links) == ["lo"], "\(links.stdoutText)")
        #expect(try ctl.inside("n", "ping -c 1 -W 1 127.0.0.1").status == 0, "lo is up")
        #expect(try ctl.inside("n", "ping -c 1 -W 1 192.0.2.1").status != 0, "nothing but loopback")
        let settings = try ctl.inspect("n")
        #expect((settings["Networks"] as? [String: Any])?.isEmpty == true && (settings["SandboxKey"] as? String)?.isEmpty == false)
        #expect(try networkMode(ctl, "n") == "none")
        #expect(try ctl.host.json(ctl.host.name, "ip -j link show type veth").isEmpty, "no plugin ran")

        let connect = try ctl.run(["connect", "n", "front"])
        #expect(connect.status == 125 && connect.stderrText.contains("\"none\" is not supported: invalid network mode"), "\(connect.stderrText)")
        let reload = try ctl.run(["reload", "n"])
        #expect(reload.status != 0 && reload.stderrText.contains("invalid network mode"), "\(reload.stderrText)")
        try ctl.ok(["reload", "--all"])   // nothing to reload: none is skipped, not an error

        try ctl.ok(["stop", "n"])
        let stopped = try ctl.state("n")
        #expect(ctl.netnsFiles().isEmpty && stopped == "exited")
        try ctl.ok(["start", "n"])
        #expect(ctl.netnsFiles().count == 1)
        #expect(try ctl.inside("n", "ping -c 1 -W 1 127.0.0.1").status == 0, "lo is up again")
        try ctl.ok(["rm", "--force", "n"])
        #expect(ctl.leftovers() == [])
    }

    @Test("--network host: no namespace, the host's interfaces, podman's empty settings and no network stats; connect refused")
    func hostMode() throws {
        let ctl = try Ctl("ctlhost")
        defer { ctl.cleanup() }
        try ctl.ok(["network", "create", "front", "--internal"])
        try ctl.ok(["run", "peer", "--network", "front"])
        let peerIP = try #require((ctl.inspect("peer")["Networks"] as? [String: Any]).flatMap { ($0["front"] as? [String: Any])?["IPAddress"] as? String })
        let netnsBefore = ctl.netnsFiles().count
        try ctl.ok(["run", "h", "--network", "host"])
        #expect(ctl.netnsFiles().count == netnsBefore, "host mode makes no namespace")

        // exec runs in the host's namespace: the same interfaces (the bridge among them) and the route to the peer.
        let seen = interfaces(try ctl.ok(["exec", "h", "--", "ip", "-j", "link", "show"]))
        let host = try ctl.host.json(ctl.host.name, "ip -j link show").compactMap { $0["ifname"] as? String }.sorted()
        #expect(seen == host && seen.count > 2, "\(seen) vs \(host)")
        let ping = try ctl.run(["exec", "h", "--", "ping", "-c", "1", "-W", "2", peerIP])
        #expect(ping.status == 0, "\(ping.stdoutText) \(ping.stderrText)")

        let settings = try ctl.inspect("h")
        #expect(settings["SandboxKey"] as? String == "" && (settings["Networks"] as? [String: Any])?.isEmpty == true)
        #expect((settings["IPAddress"] as? String ?? "") == "")
        #expect(try networkMode(ctl, "h") == "host")
        let stats = try #require(try ctl.ok(["stats", "h", "--format", "json"]).json as? [String: Any])
        #expect((stats["interfaces"] as? [Any])?.isEmpty == true)

        let connect = try ctl.run(["connect", "h", "front"])
        #expect(connect.status == 125 && connect.stderrText.contains("\"host\" is not supported: invalid network mode"), "\(connect.stderrText)")
        let disconnect = try ctl.run(["disconnect", "h", "front"])
        #expect(disconnect.status == 125 && disconnect.stderrText.contains("invalid network mode"), "\(disconnect.stderrText)")
        try ctl.ok(["stop", "h"])
        try ctl.ok(["start", "h"])
        try ctl.ok(["rm", "--force", "h", "peer"])
        #expect(try ctl.host.exec(ctl.host.name, "ip link show lo").status == 0, "the host keeps its interfaces")
        #expect(ctl.leftovers() == [])
    }

    @Test("container:c -> container:b -> a: the chain ends in a's namespace; rm of a link refused, rm --force of a takes the chain")
    func chain() throws {
        let ctl = try Ctl("ctlchain")
        defer { ctl.cleanup() }
        try ctl.ok(["network", "create", "front", "--internal"])
        try ctl.ok(["run", "a", "--network", "front"])
        try ctl.ok(["run", "peer", "--network", "front"])
        try ctl.ok(["run", "b", "--network", "container:a"])
        try ctl.ok(["run", "c", "--network", "container:b"])
        let a = try ctl.inspect("a")
        #expect(NSDictionary(dictionary: try ctl.inspect("c")) == NSDictionary(dictionary: a))
        #expect(try ctl.netns("c") == ctl.netns("a"))
        let ip = try #require((a["Networks"] as? [String: Any]).flatMap { ($0["front"] as? [String: Any])?["IPAddress"] as? String })
        let addresses = try ctl.ok(["exec", "c", "--", "ip", "-j", "addr", "show", "eth0"]).json as? [[String: Any]]
        #expect((addresses?.first?["addr_info"] as? [[String: Any]] ?? []).contains { $0["local"] as? String == ip })
        // Real traffic to the chain's end: the peer reaches the address c sees as its own.
        let peerPing = try ctl.run(["exec", "peer", "--", "ping", "-c", "1", "-W", "2", ip])
        #expect(peerPing.status == 0, "\(peerPing.stderrText)")

        let reload = try ctl.run(["reload", "c"])
        #expect(reload.status != 0 && reload.stderrText.contains("\"container:b\" is not supported"), "\(reload.stderrText)")
        let rmLink = try ctl.run(["rm", "--force", "b"])
        #expect(rmLink.status == 0 && rmLink.stderrText.contains("removed container c"), "\(rmLink.stderrText)")
        try ctl.ok(["run", "b2", "--network", "container:a"])
        try ctl.ok(["run", "c2", "--network", "container:b2"])
        let refused = try ctl.run(["rm", "b2"])
        #expect(refused.status != 0 && refused.stderrText.contains("c2"), "\(refused.stderrText)")
        let stop = try ctl.run(["stop", "a"])
        #expect(stop.status != 0 && stop.stderrText.contains("b2, c2"), "\(stop.stderrText)")
        try ctl.ok(["rm", "--force", "a", "peer"])
        #expect(try ctl.run(["inspect", "c2"]).status != 0)
        #expect(ctl.leftovers() == [])
    }
}

/// Pods: the infra container's namespace, shared by the members, named by the pod on the network.
@Suite("pontoonctl: pods", needsRoot, .serialized)
struct PontoonCtlPodTests {
    @Test("two pod members share one namespace, reachable by the pod's name (aardvark-dns) from another container; pod rm refused while members exist")
    func twoMembers() throws {
        let ctl = try Ctl("ctlpod")
        defer { ctl.cleanup() }
        try ctl.ok(["network", "create", "front", "--internal"])
        try ctl.ok(["pod", "create", "shop", "--network", "front"])
        try ctl.ok(["run", "m1", "--pod", "shop"])
        try ctl.ok(["run", "m2", "--pod", "shop"])
        try ctl.ok(["run", "client", "--network", "front"])
        #expect(try ctl.netns("m1") == ctl.netns("m2") && ctl.netns("m1") == ctl.netns("shop-infra"))
        let podIP = try #require((ctl.inspect("m1")["Networks"] as? [String: Any]).flatMap { ($0["front"] as? [String: Any])?["IPAddress"] as? String })

        // The pod's name is the DNS name: the client resolves it to the pod's address and reaches it.
        let resolved = try ctl.ok(["exec", "client", "--", "getent", "ahostsv4", "shop"]).stdoutText
        #expect(resolved.contains(podIP), "\(resolved)")
        let ping = try ctl.run(["exec", "client", "--", "ping", "-c", "1", "-W", "2", "shop"])
        #expect(ping.status == 0, "\(ping.stdoutText) \(ping.stderrText)")
        // m2 sees the pod's address as its own: one namespace for both members.
        let listeners = try ctl.ok(["exec", "m2", "--", "ip", "-j", "addr", "show", "eth0"]).json as? [[String: Any]]
        #expect((listeners?.first?["addr_info"] as? [[String: Any]] ?? []).contains { $0["local"] as? String == podIP })

        // stats: a member reports libpod's figure, the infra's status interfaces (eth0) only; a link
        // added in the namespace by hand (and carrying traffic) shows in the table, not in that figure.
        let added = try ctl.inside("m1", "ip link add x0 type veth peer name x1 && ip link set x1 up && ip link set x0 up "
            + "&& ip addr add 198.51.100.1/24 dev x0 && { ping -c 2 -i 0.2 -W 1 198.51.100.2; true; }")
        #expect(added.status == 0, "\(added.stderrText)")
        let stats = try #require(try ctl.ok(["stats", "m2", "--format", "json"]).json as? [String: Any])
        let rows = try #require(stats["interfaces"] as? [[String: Any]])
        let eth0 = try #require(rows.first { $0["interface"] as? String == "eth0" })
        let dummy = try #require(rows.first { $0["interface"] as? String == "x0" })
        let io = try #require(stats["podman"] as? [String: Any])
        #expect((io["netInput"] as? Int) == (eth0["rxBytes"] as? Int) && (io["netOutput"] as? Int) == (eth0["txBytes"] as? Int), "\(io) \(eth0)")
        #expect((dummy["txBytes"] as? Int ?? 0) > 0 && (io["netInput"] as? Int ?? 0) > 0, "\(dummy)")

        let list = try #require(try ctl.ok(["pod", "ls", "--format", "json"]).json as? [[String: Any]])
        let listed = (list.first?["Containers"] as? [[String: Any]])?.compactMap { $0["Names"] as? String }
        #expect(list.count == 1 && list.first?["Name"] as? String == "shop" && listed == ["shop-infra", "m1", "m2"], "\(list)")
        for (arguments, reason) in [
            (["run", "m3", "--pod", "shop", "--network", "front"], "cannot have --network"),
            (["run", "m4", "--pod", "shop", "-p", "8080:80"], "pod create"),
            (["run", "m5", "--pod", "nopod"], "no pod named nopod"),
            (["pod", "create", "shop"], "already exists"),
            (["rm", "--force", "shop-infra"], "pod rm"),
            (["pod", "rm", "shop"], "m1, m2"),
        ] {
            let refused = try ctl.run(arguments)
            #expect(refused.status != 0 && refused.stderrText.contains(reason), "\(arguments): \(refused.stderrText)")
        }
        #expect(try ctl.state("m1") == "running")
        try ctl.ok(["rm", "--force", "m2"])
        try ctl.ok(["pod", "rm", "--force", "shop"])
        #expect(try ctl.run(["inspect", "m1"]).status != 0 && ctl.run(["inspect", "shop-infra"]).status != 0)
        #expect(try #require(try ctl.ok(["pod", "ls", "--format", "json"]).json as? [Any]).isEmpty)
        try ctl.ok(["rm", "--force", "client"])
        #expect(ctl.leftovers() == [])
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: ctl.state + "/pods")) ?? []).isEmpty)
    }
}
