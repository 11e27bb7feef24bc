import Foundation
import Testing
import TestSupport

/// `--network container:OTHER`, `--network ns:PATH`, and two pontoonctl processes at once.
@Suite("pontoonctl: shared and joined namespaces, two processes", needsRoot, .serialized)
struct PontoonCtlModeTests {
    func settingsJSON(_ ctl: Ctl, _ name: String) throws -> NSDictionary {
        NSDictionary(dictionary: try ctl.inspect(name))
    }

    @Test("--network container:OTHER: OTHER's namespace and settings; rm of the sharer leaves OTHER alone; rm of OTHER refused unless --force")
    func sharedNamespace() throws {
        let ctl = try Ctl("ctlshare")
        defer { ctl.cleanup() }
        try ctl.ok(["network", "create", "front"])   // not internal: the owner publishes a port
        try ctl.ok(["run", "owner", "--network", "front", "-p", "8080:80"])
        try ctl.ok(["run", "sharer", "--network", "container:owner"])

        // inspect reports the owner's settings; the namespace is the same one.
        let owner = try ctl.inspect("owner")
        #expect(try settingsJSON(ctl, "sharer") == NSDictionary(dictionary: owner))
        let ownerIP = try #require(((owner["Networks"] as? [String: Any])?["front"] as? [String: Any])?["IPAddress"] as? String)
        let seen = try ctl.ok(["exec", "sharer", "--", "ip", "-j", "addr", "show", "eth0"]).json as? [[String: Any]]
        #expect((seen?.first?["addr_info"] as? [[String: Any]] ?? []).contains { $0["local"] as? String == ownerIP })
        #expect(try ctl.ok(["ps"]).stdoutText.contains("container:owner"))
        let ownerStats = try ctl.stats("owner")
        #expect(try ctl.stats("sharer")["interface"] as? String == ownerStats["interface"] as? String)

        // What a sharer cannot do, each refused with a reason.
        for (arguments, reason) in [
            (["connect", "sharer", "front"], "container:owner"),
            (["run", "s2", "--network", "container:owner", "-p", "9090:90"], "-p"),
            (["run", "s3", "--network", "container:owner", "--network", "front"], "cannot be combined"),
            (["run", "s4", "--network", "container:missing"], "no container with name \"missing\" found: no such container"),
        ] {
            let refused = try ctl.run(arguments)
            #expect(refused.status != 0 && refused.stderrText.contains(reason), "\(arguments): \(refused.stderrText)")
        }

        // rm of the owner is refused while the sharer exists; the owner is untouched.
        let refused = try ctl.run(["rm", "owner"])
        #expect(refused.status != 0 && refused.stderrText.contains("sharer"), "\(refused.stderrText)")
        #expect(try NSDictionary(dictionary: ctl.inspect("owner")) == NSDictionary(dictionary: owner))

        // rm of the sharer: no teardown, the owner keeps its interface, address and state.
        let reload = try ctl.run(["reload", "sharer"])
        #expect(reload.status != 0 && reload.stderrText.contains("\"container:owner\" is not supported: invalid network mode"), "\(reload.stderrText)")
        try ctl.ok(["rm", "--force", "sharer"])
        #expect(try ctl.inside("owner", "ip -br addr show eth0").stdoutText.contains(ownerIP))
        #expect(try settingsJSON(ctl, "owner") == NSDictionary(dictionary: owner))

        // --force removes the owner and its sharers.
        try ctl.ok(["run", "sharer2", "--network", "container:owner"])
        let forced = try ctl.ok(["rm", "--force", "owner"])
        #expect(forced.stderrText.contains("sharer2"))
        #expect(try ctl.run(["inspect", "sharer2"]).status != 0)
        #expect(ctl.leftovers() == [])
    }

    @Test("--network ns:PATH: no plugin call; inspect reads interfaces, addresses and gateways there, without loopback or link-local")
    func joinedNamespace() throws {
        let ctl = try Ctl("ctljoin")
        defer { ctl.cleanup() }
        let joined = try ctl.host.container("joined")
        let path = PrivateHost.path(joined)
        let made = try ctl.host.exec(joined, """
            ip link set lo up && ip link add dummy0 type veth peer name jpeer netns \(ctl.host.name) && \
            ip link set dummy0 address 02:00:00:00:00:42 && ip link set dummy0 up && \
            ip -n \(ctl.host.name) link set jpeer up && ip addr add 192.0.2.10/24 dev dummy0 && ip addr add 169.254.3.3/16 dev dummy0 && \
            ip -6 addr add 2001:db8::10/64 dev dummy0 nodad && ip route add default via 192.0.2.1 && \
            ip -6 route add default via 2001:db8::1 && ip link add bare type veth peer name bare2
            """)
        try #require(made.status == 0, "\(made.stderrText)")
        try ctl.ok(["run", "j", "--network", "ns:" + path])

        // As libpod shows a joined namespace: no SandboxKey (it is not the container's own), and one
        // default gateway, the last default route's: IPv6's here, so no IPv4 gateway. `bare` and `bare2`
        // (down, no address at all) are left out.
        var settings = try ctl.inspect("j")
        #expect(settings["SandboxKey"] as? String == "")
        #expect(settings["IPAddress"] as? String == "192.0.2.10" && settings["IPPrefixLen"] as? Int == 24)
        #expect(settings["Gateway"] as? String == "")
        #expect(settings["MacAddress"] as? String == "02:00:00:00:00:42")
        #expect(settings["GlobalIPv6Address"] as? String == "2001:db8::10" && settings["GlobalIPv6PrefixLen"] as? Int == 64)
        #expect(settings["IPv6Gateway"] as? String == "2001:db8::1")
        // No 169.254/16, no fe80::/10 (dummy0 has one), no loopback address anywhere.
        #expect(settings["SecondaryIPAddresses"] == nil && settings["SecondaryIPv6Addresses"] == nil, "\(settings)")
        #expect(settings["AdditionalMacAddresses"] == nil, "\(settings)")
        #expect((settings["Networks"] as? [String: Any])?.isEmpty == true)
        #expect(try ctl.host.exec(joined, "ip -6 addr show dev dummy0").stdoutText.contains("fe80::"))

        // It reads what is there now, not what was there at create.
        try ctl.host.exec(joined, "ip addr add 192.0.2.11/24 dev dummy0")
        settings = try ctl.inspect("j")
        let secondary = settings["SecondaryIPAddresses"] as? [[String: Any]]
        #expect(secondary?.count == 1 && secondary?.first?["Addr"] as? String == "192.0.2.11", "\(settings)")
        let stats = try #require(try ctl.ok(["stats", "j", "--format", "json"]).json as? [String: Any])
        #expect((stats["interfaces"] as? [[String: Any]])?.compactMap { $0["interface"] as? String } == ["bare", "bare2", "dummy0"])

        for (arguments, reason) in [
            (["run", "k", "--network", "ns:" + path, "-p", "80:80"], "-p"),
            (["run", "k", "--network", "ns:/nonexistent/netns"], "no such file"),
            (["run", "k", "--network", "ns:/etc/hostname"], "not a network namespace"),
            (["run", "k", "--network", "ns:relative/path"], "absolute"),
            (["connect", "j", "front"], "ns:"),
        ] {
            let refused = try ctl.run(arguments)
            #expect(refused.status != 0 && refused.stderrText.contains(reason), "\(arguments): \(refused.stderrText)")
        }
        try ctl.ok(["reload", "--all"])

        // rm forgets the container; the namespace and what is in it stay.
        try ctl.ok(["rm", "--force", "j"])
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(try ctl.host.exec(joined, "ip -br addr show dummy0").stdoutText.contains("192.0.2.10"))
        #expect(ctl.leftovers() == ["veth jpeer"])
    }

    /// Two processes, 8 containers each, on one network at once; then both race on one name.
    @Test("two pontoonctl processes at once: no duplicate address, consistent state, nothing left after rm")
    func twoProcesses() throws {
        let ctl = try Ctl("ctlconc")
        defer { ctl.cleanup() }
        try ctl.ok(["network", "create", "shared"])
        let command = "nsenter --net=\(PrivateHost.path(ctl.host.name)) \(Binaries.directory)/pontoonctl --state-dir \(ctl.state) "
            + "--config-dir \(ctl.config) --netns-dir \(ctl.netnsDir)"
        func both(_ script: (String) -> String) throws -> [RunResult] {
            let running = try ["p", "q"].map { prefix in
                try TestRun.start("/bin/sh", ["-c", script(prefix)], environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"])
            }
            return try running.map { try $0.finish() }
        }

        let created = try both { p in "for i in 1 2 3 4 5 6 7 8; do \(command) run \(p)$i --network shared >/dev/null || echo FAILED \(p)$i; done" }
        for result in created { #expect(result.status == 0 && !result.stdoutText.contains("FAILED"), "\(result.stdoutText) \(result.stderrText)") }
        let records = try #require(try ctl.ok(["ps", "-a", "--format", "json"]).json as? [[String: Any]])
        #expect(records.count == 16)
        var addresses: [String] = []
        for record in records {
            let name = try #require((record["Names"] as? [String])?.first)
            let kernel = try ctl.kernelView(name)
            let entry = (try ctl.inspect(name)["Networks"] as? [String: [String: Any]])?["shared"]
            #expect(entry?["IPAddress"] as? String == kernel.address, "\(name)")
            addresses.append(kernel.address)
        }
        #expect(Set(addresses).count == 16, "duplicate addresses: \(addresses.sorted())")
        let reservations = (try? FileManager.default.contentsOfDirectory(atPath: ctl.state + "/ipam/shared")) ?? []
        #expect(Set(reservations) == Set(addresses))
        #expect(try ctl.pings("p1", addresses.last!) && ctl.pings("q8", addresses.first!))

        let removed = try both { p in "for i in 1 2 3 4 5 6 7 8; do \(command) rm --force \(p)$i >/dev/null || echo FAILED \(p)$i; done" }
        for result in removed { #expect(result.status == 0 && !result.stdoutText.contains("FAILED"), "\(result.stdoutText) \(result.stderrText)") }
        #expect(ctl.leftovers() == [])

        // One name, two processes: every create and rm is serialised by the container's lock, so
        // each fails cleanly ("already exists", "no container") or succeeds, and the state agrees.
        let raced = try both { _ in "for i in 1 2 3 4 5 6; do \(command) run x --network shared >/dev/null 2>&1; \(command) rm --force x >/dev/null 2>&1; done; true" }
        for result in raced { #expect(result.status == 0) }
        let left = try #require(try ctl.ok(["ps", "-a", "--format", "json"]).json as? [[String: Any]])
        let netnsFiles = (try? FileManager.default.contentsOfDirectory(atPath: ctl.netnsDir)) ?? []
        let reserved = (try? FileManager.default.contentsOfDirectory(atPath: ctl.state + "/ipam/shared")) ?? []
        #expect(netnsFiles.count == left.count && reserved.count == left.count, "ps \(left.count), netns \(netnsFiles), reservations \(reserved)")
        if !left.isEmpty { try ctl.ok(["rm", "--force", "x"]) }
        #expect(ctl.leftovers() == [])
    }
}
