import Foundation
import Testing
import TestSupport

extension Ctl {
    /// A container's entry for one network in inspect's `Networks`.
    func networkEntry(_ name: String, _ network: String) throws -> [String: Any] {
        try #require((try inspect(name)["Networks"] as? [String: Any])?[network] as? [String: Any], "\(name) on \(network)")
    }

    /// An interface in a container's namespace as the kernel has it: MAC and IPv4 addresses.
    func kernelInterface(_ container: String, _ interface: String) throws -> (mac: String, addresses: [String]) {
        let link = try #require((try inside(container, "ip -j addr show dev \(interface)").json as? [[String: Any]])?.first,
                                "\(interface) in \(container)")
        let v4 = (link["addr_info"] as? [[String: Any]] ?? []).filter { $0["family"] as? String == "inet" }
        return (link["address"] as? String ?? "", v4.compactMap { $0["local"] as? String })
    }
}

/// Issue 17's flows that involve a plugin, each run with the four backends pontoonctl drives
/// (pontoon through netavark's protocol and through a CNI conflist, Debian's netavark, the
/// reference bridge+portmap+firewall chain): connect on a stopped container, the files that follow
/// connect and disconnect, inspect's top-level fields, `container:` chains and pods.
@Suite("pontoonctl lifecycle and modes with four backends", needsRoot, .serialized)
struct PontoonCtlBackendLifecycleTests {
    @Test("connect on a stopped container (static IP, MAC, interface name) is set up at start and again after stop/start: the kernel and inspect agree, traffic both ways; disconnect while stopped is dropped at start; events in order",
          arguments: CtlBackend.allCases)
    func connectOnStopped(backend: CtlBackend) throws {
        try backend.requireInstalled()
        let ctl = try Ctl("bkstop")
        defer { ctl.cleanup() }
        try ctl.ok(["network", "create", "one"] + backend.networkArguments)
        try ctl.ok(["network", "create", "two"] + backend.networkArguments)
        try ctl.ok(["run", "srv", "--network", "two"])
        let srvIP = try #require(try ctl.networkEntry("srv", "two")["IPAddress"] as? String)
        let staticIP = srvIP.split(separator: ".").dropLast().joined(separator: ".") + ".70", mac = "02:00:00:00:70:70"
        try ctl.ok(["run", "c", "--network", "one"])
        try ctl.ok(["stop", "c"])
        try ctl.ok(["connect", "c", "two", "--ip", staticIP, "--mac", mac, "--interface", "ctl1", "--alias", "client"])
        // Recorded only: no namespace, and the address is not in use yet.
        #expect(try ctl.state("c") == "exited" && ctl.netnsFiles().count == 1, "\(ctl.netnsFiles())")
        // (Not probed with a ping: srv's failed neighbour entry would make its first ping after start fail.)
        #expect(!ctl.leftovers().contains { $0.hasSuffix("/" + staticIP) }, "\(backend): the address is held before start: \(ctl.leftovers())")

        try ctl.ok(["start", "c"])
        let ctl1 = try ctl.kernelInterface("c", "ctl1")
        #expect(ctl1.mac == mac && ctl1.addresses == [staticIP], "\(backend): \(ctl1)")
        let entry = try ctl.networkEntry("c", "two")
        #expect(entry["IPAddress"] as? String == staticIP && entry["MacAddress"] as? String == mac, "\(backend): \(entry)")
        #expect(try ctl.pings("srv", staticIP), "\(backend): srv -> c on two")
        #expect(try ctl.run(["exec", "c", "--", "ping", "-c", "1", "-W", "2", "-I", "ctl1", srvIP]).status == 0, "\(backend): c -> srv from ctl1")
        if backend.servesDNS {
            let resolved = try ctl.resolve("srv", "client", expecting: staticIP)
            #expect(resolved.contains(staticIP), "\(backend): srv resolving c's alias: \(resolved)")
        }

        // Disconnect while stopped: only two is set up at the next start, with the same address, MAC and interface.
        try ctl.ok(["stop", "c"])
        try ctl.ok(["disconnect", "c", "one"])
        try ctl.ok(["start", "c"])
        #expect(try ctl.inside("c", "ip link show eth0").status != 0, "\(backend): one was set up again")
        let again = try ctl.kernelInterface("c", "ctl1")
        #expect(again.mac == mac && again.addresses == [staticIP], "\(backend): \(again)")
        #expect(try (ctl.inspect("c")["Networks"] as? [String: Any])?.keys.sorted() == ["two"])
        #expect(try ctl.pings("srv", staticIP))

        let events = try ctl.events().filter { $0.hasSuffix(" c") || $0.contains(" c ") }
        #expect(events == ["container create c", "container start c", "container stop c", "network connect c two", "container start c",
                           "container stop c", "network disconnect c one", "container start c"], "\(backend): \(events)")
        try ctl.ok(["rm", "--force", "c", "srv"])
        #expect(ctl.leftovers() == [], "\(backend)")
    }

    @Test("hosts and resolv.conf after a live connect then disconnect are what they were, byte for byte, the user's line kept",
          arguments: CtlBackend.allCases)
    func filesAfterConnectDisconnect(backend: CtlBackend) throws {
        try backend.requireInstalled()
        let ctl = try Ctl("bkfiles")
        defer { ctl.cleanup() }
        try ctl.ok(["network", "create", "one"] + backend.networkArguments)
        try ctl.ok(["network", "create", "two"] + backend.networkArguments)
        try ctl.ok(["run", "a", "--network", "one"])
        let hostsPath = ctl.state + "/containers/a/hosts", resolvPath = ctl.state + "/containers/a/resolv.conf"
        let userLine = "192.0.2.99\tbuild.example # added by hand\n"
        // The user adds a line to each, as one would inside a container.
        for (path, line) in [(hostsPath, userLine), (resolvPath, "options ndots:2\n")] {
            let handle = try #require(FileHandle(forWritingAtPath: path))
            handle.seekToEndOfFile()
            handle.write(Data(line.utf8))
            handle.closeFile()
        }
        let hostsBefore = try String(contentsOfFile: hostsPath, encoding: .utf8)
        let resolvBefore = try String(contentsOfFile: resolvPath, encoding: .utf8)
        #expect(hostsBefore.hasSuffix(userLine))

        try ctl.ok(["connect", "a", "two", "--alias", "api"])
        let address = try #require(try ctl.networkEntry("a", "two")["IPAddress"] as? String)
        let hosts = try String(contentsOfFile: hostsPath, encoding: .utf8)
        #expect(hosts.hasPrefix(hostsBefore) && hosts.contains("\(address)\ta api\n"), "\(backend):\n\(hosts)")
        #expect(try ctl.ok(["exec", "a", "--", "cat", "/etc/hosts"]).stdoutText == hosts)
        #expect(try ctl.ok(["exec", "a", "--", "getent", "ahostsv4", "build.example"]).stdoutText.contains("192.0.2.99"))
        let resolv = try String(contentsOfFile: resolvPath, encoding: .utf8)
        #expect(resolv.contains("options ndots:2"), "\(backend): the user's resolv.conf line went:\n\(resolv)")
        if backend.servesDNS {
            // The network's name server (aardvark-dns on its gateway) is added while connected.
            let gateway = try #require(try ctl.networkEntry("a", "two")["Gateway"] as? String)
            #expect(resolv.contains("nameserver \(gateway)\n") && !resolvBefore.contains("nameserver \(gateway)\n"), "\(backend):\n\(resolv)")
        }

        try ctl.ok(["disconnect", "a", "two"])
        #expect(try String(contentsOfFile: hostsPath, encoding: .utf8) == hostsBefore, "\(backend)")
        #expect(try String(contentsOfFile: resolvPath, encoding: .utf8) == resolvBefore, "\(backend)")
        try ctl.ok(["rm", "--force", "a"])
        #expect(ctl.leftovers() == [], "\(backend)")
    }

    @Test("inspect's top-level fields: filled (as the kernel has them) on the default network alone, empty once a second network joins, filled again after it leaves",
          arguments: CtlBackend.allCases)
    func topLevelOnDefault(backend: CtlBackend) throws {
        try backend.requireInstalled()
        let ctl = try Ctl("bkdef")
        defer { ctl.cleanup() }
        // The default network made beforehand with this backend: a container naming no network gets it.
        try ctl.ok(["network", "create", "podman"] + backend.networkArguments)
        try ctl.ok(["network", "create", "other"] + backend.networkArguments)
        try ctl.ok(["run", "a"])
        let kernel = try ctl.kernelView("a")
        let filled = { (settings: [String: Any]) -> Bool in
            settings["IPAddress"] as? String == kernel.address && settings["MacAddress"] as? String == kernel.mac
                && settings["IPPrefixLen"] as? Int == kernel.prefix && settings["Gateway"] as? String == kernel.gateway && !kernel.gateway.isEmpty
        }
        let alone = try ctl.inspect("a")
        #expect((alone["Networks"] as? [String: Any])?.keys.sorted() == ["podman"] && filled(alone), "\(backend): \(alone)")

        try ctl.ok(["connect", "a", "other"])
        let both = try ctl.inspect("a")
        #expect(both["IPAddress"] as? String == "" && both["MacAddress"] as? String == "" && both["Gateway"] as? String == "", "\(backend): \(both)")
        #expect((both["Networks"] as? [String: [String: Any]])?["podman"]?["IPAddress"] as? String == kernel.address)
        try ctl.ok(["disconnect", "a", "other"])
        let after = try ctl.inspect("a")
        #expect(filled(after), "\(backend): \(after)")
        // A container on another network alone: entries only.
        try ctl.ok(["run", "b", "--network", "other"])
        let b = try ctl.inspect("b")
        #expect(b["IPAddress"] as? String == "" && b["MacAddress"] as? String == "", "\(backend): \(b)")
        try ctl.ok(["rm", "--force", "a", "b"])
        #expect(ctl.leftovers() == [], "\(backend)")
    }
}
