import Foundation
import Testing
import HostSystem
import TestSupport

/// pontoon as podman's `netavark`: the reference captures replayed into private namespaces.
@Suite("netavark mode", needsRoot)
struct NetavarkModeTests {
    /// A capture's stdin, with every network made internal and without DNS and port mappings
    /// (what this release serves without the firewall), bridge names made unique to the test.
    static func capture(_ name: String, _ step: String? = nil, host: PrivateHost, dns: Bool = false) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: Repository.testdata + "/podman/\(name)"))
        var object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        if let step { object = object[step] as! [String: Any] }
        var stdin = object["stdin"] as! [String: Any]
        var info = stdin["network_info"] as! [String: [String: Any]]
        for (key, var network) in info {
            network["internal"] = true
            network["dns_enabled"] = dns
            info[key] = network
        }
        stdin["network_info"] = info
        stdin["port_mappings"] = [Any]()
        return stdin
    }

    @Test("podman's setup capture: a StatusBlock of the reference's shape, traffic, then teardown leaves nothing", .privateHost("nvone"))
    func setupAndTeardown() throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        let stdin = try Self.capture("podman-netavark-setup.json", host: host)
        let setup = try host.netavark(["setup", PrivateHost.path(container)], stdin)
        #expect(setup.status == 0, "\(setup.stdoutText)")
        #expect(setup.stderr.isEmpty)
        let status = try #require(setup.json as? [String: Any])
        let podman = try #require(status["podman"] as? [String: Any])
        #expect(Set(podman.keys) == ["dns_search_domains", "dns_server_ips", "interfaces"])
        let eth0 = try #require((podman["interfaces"] as? [String: Any])?["eth0"] as? [String: Any])
        let subnets = eth0["subnets"] as? [[String: String]]
        #expect(subnets == [["ipnet": "10.88.0.13/16", "gateway": "10.88.0.1"]])
        let links = try host.json(container, "ip -j link show eth0")
        #expect(links.first?["address"] as? String == eth0["mac_address"] as? String)
        #expect(try host.pings(from: container, "10.88.0.1"))
        #expect(try host.exec(container, "ip route show default").stdoutText.isEmpty, "an internal network has no default route")

        let teardown = try host.netavark(["teardown", PrivateHost.path(container)], stdin)
        #expect(teardown.status == 0, "\(teardown.stdoutText)")
        #expect(teardown.stdout.isEmpty)
        #expect(try host.linkNames(container) == ["lo"])
        #expect(try host.netavark(["teardown", PrivateHost.path(container)], stdin).status == 0, "a second teardown is fine")
    }

    @Test("two networks with podman's static MACs; the second failing takes the first down too", .privateHost("nvtwo"))
    func twoNetworks() throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        let stdin = try Self.capture("podman-netavark-multi-dns.json", "reload_setup_again_with_static_mac", host: host)
        let setup = try host.netavark(["setup", PrivateHost.path(container)], stdin)
        #expect(setup.status == 0, "\(setup.stdoutText)")
        let macs = try host.json(container, "ip -j link show").reduce(into: [String: String]()) {
            $0[$1["ifname"] as? String ?? ""] = $1["address"] as? String
        }
        #expect(macs["eth0"] == "36:39:84:6d:31:4e" && macs["eth1"] == "c2:87:e9:a9:0f:8a", "\(macs)")
        #expect(try host.exec(container, "ping -6 -c 1 -W 2 fd00:92::1 >/dev/null 2>&1").status == 0)
        #expect(try host.netavark(["teardown", PrivateHost.path(container)], stdin).status == 0)
        #expect(try host.linkNames(container) == ["lo"])

        // The second network's bridge name is taken by a device that is not a bridge.
        try host.exec(host.name, "ip link add ptclash type veth peer name ptclashp")
        var clashing = stdin
        var info = clashing["network_info"] as! [String: [String: Any]]
        info["capnet2"]!["network_interface"] = "ptclash"
        info["capnet"]!["network_interface"] = "ptfresh"
        clashing["network_info"] = info
        let before = try host.linkNames(host.name)
        let failing = try host.netavark(["setup", PrivateHost.path(container)], clashing)
        #expect(failing.status == 1)
        let error = (failing.json as? [String: Any])?["error"] as? String ?? ""
        #expect(error.contains("ptclash exists and is not a bridge"), "\(failing.stdoutText)")
        #expect(try host.linkNames(container) == ["lo"], "the first network was undone")
        #expect(try host.linkNames(host.name) == before)
    }

    @Test("without static_ips pontoon allocates from the subnet, and teardown releases it", .privateHost("nvipam"))
    func ownAllocation() throws {
        let host = try PrivateHost.scoped()
        let a = try host.container("a"), b = try host.container("b")
        var stdin = try Self.capture("podman-netavark-setup.json", host: host)
        var networks = stdin["networks"] as! [String: [String: Any]]
        networks["podman"]!["static_ips"] = nil
        stdin["networks"] = networks
        var second = stdin
        second["container_id"] = "b0b0b0b0b0b0"
        let first = try host.netavark(["setup", PrivateHost.path(a)], stdin)
        let other = try host.netavark(["setup", PrivateHost.path(b)], second)
        #expect(first.status == 0 && other.status == 0, "\(first.stdoutText) \(other.stdoutText)")
        func address(_ result: RunResult) -> String? {
            let podman = (result.json as? [String: Any])?["podman"] as? [String: Any]
            let eth0 = (podman?["interfaces"] as? [String: Any])?["eth0"] as? [String: Any]
            return (eth0?["subnets"] as? [[String: String]])?.first?["ipnet"]
        }
        #expect(address(first) == "10.88.0.2/16" && address(other) == "10.88.0.3/16")
        #expect(try host.pings(from: a, "10.88.0.3"))
        #expect(try host.netavark(["teardown", PrivateHost.path(a)], stdin).status == 0)
        let leases = (try? FileManager.default.contentsOfDirectory(atPath: host.scratch.file("netavark/pontoon-ipam/podman"))) ?? []
        #expect(leases.filter { $0.hasPrefix("10.") } == ["10.88.0.3"])
    }

    @Test("teardown after the namespace is gone removes the host side", .privateHost("nvgone"))
    func teardownWithoutNamespace() throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        let stdin = try Self.capture("podman-netavark-setup.json", host: host)
        #expect(try host.netavark(["setup", PrivateHost.path(container)], stdin).status == 0)
        try host.delete(container)
        let teardown = try host.netavark(["teardown", PrivateHost.path(container)], stdin)
        #expect(teardown.status == 0, "\(teardown.stdoutText)")
        #expect(try host.linkNames(host.name).allSatisfy { !$0.hasPrefix("veth") })
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: host.scratch.file("netavark/pontoon/podman"))) ?? []).isEmpty)
    }
}

extension NetavarkModeTests {
    /// Two containers on the DNS capture's internal network: capc1 (10.89.0.2, as captured, alias
    /// web) and capc2 (10.89.0.3, aliases db and its short id).
    static func dnsPair(host: PrivateHost) throws -> (first: [String: Any], second: [String: Any]) {
        var first = try capture("podman-netavark-multi-dns.json", "connect_internal_network", host: host, dns: true)
        first["container_name"] = "capc1"
        var second = first
        second["container_id"] = String(repeating: "2", count: 64)
        second["container_name"] = "capc2"
        var networks = second["networks"] as! [String: [String: Any]]
        networks["capint"]!["static_ips"] = ["10.89.0.3"]
        networks["capint"]!["aliases"] = ["db", "222222222222"]
        second["networks"] = networks
        return (first, second)
    }

    @Test("DNS networks: containers resolve each other by name and alias through aardvark-dns, which stops with the last")
    func nameResolution() throws {
        let host = try PrivateHost("nvdns")
        let aardvarkPID = host.scratch.file("netavark/aardvark-dns/aardvark.pid")
        defer {
            // A failed test must not leave the daemon running.
            if let pid = try? String(contentsOfFile: aardvarkPID, encoding: .utf8), let number = Int32(pid.trimmingCharacters(in: .whitespacesAndNewlines)) {
                kill(number, SIGKILL)
            }
            host.cleanup()
        }
        let one = try host.container("one"), two = try host.container("two")
        let (first, second) = try Self.dnsPair(host: host)

        let setup = try host.netavark(["setup", PrivateHost.path(one)], first)
        #expect(setup.status == 0, "\(setup.stdoutText)")
        let block = (setup.json as? [String: Any])?["capint"] as? [String: Any]
        #expect(block?["dns_server_ips"] as? [String] == ["10.89.0.1"])
        #expect(block?["dns_search_domains"] as? [String] == ["dns.podman"])
        #expect(try host.netavark(["setup", PrivateHost.path(two)], second).status == 0)

        /// Whether `name` resolves to `address`; aardvark-dns reloads asynchronously after SIGHUP,
        /// so the answer is awaited for up to two seconds.
        func resolves(_ name: String, to address: String, from container: String) throws -> Bool {
            for _ in 0..<20 {
                if try host.exec(container, "busybox nslookup \(name) 10.89.0.1 2>/dev/null").stdoutText.contains(address) { return true }
                usleep(100_000)
            }
            return false
        }
        #expect(try resolves("capc2", to: "10.89.0.3", from: one))
        #expect(try resolves("db", to: "10.89.0.3", from: one), "an alias resolves")
        #expect(try resolves("web", to: "10.89.0.2", from: two))
        #expect(try resolves("capc1", to: "10.89.0.2", from: two))
        let file = try String(contentsOfFile: host.scratch.file("netavark/aardvark-dns/capint"), encoding: .utf8)
        #expect(file.hasPrefix("10.89.0.1\n"), "\(file)")
        #expect(file.contains("2222222222222222222222222222222222222222222222222222222222222222 10.89.0.3  capc2,db,222222222222"), "\(file)")

        #expect(try host.netavark(["teardown", PrivateHost.path(two)], second).status == 0)
        let file2 = try String(contentsOfFile: host.scratch.file("netavark/aardvark-dns/capint"), encoding: .utf8)
        #expect(!file2.contains("capc2"), "its entry is gone: \(file2)")
        let pid = try String(contentsOfFile: aardvarkPID, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try host.netavark(["teardown", PrivateHost.path(one)], first).status == 0)
        #expect(!FileManager.default.fileExists(atPath: host.scratch.file("netavark/aardvark-dns/capint")))
        #expect(!FileManager.default.fileExists(atPath: aardvarkPID))
        // Stopped: gone, or a zombie its new parent has not reaped yet.
        var stopped = false
        for _ in 0..<30 where !stopped {
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            stopped = stat.isEmpty || stat.contains(") Z ")
            if !stopped { usleep(100_000) }
        }
        #expect(stopped, "aardvark-dns stopped with the last entry")
    }
}

extension NetavarkModeTests {
    /// A subreaper that never reaps: runs the command after `--` (its exit status to the file in
    /// argv[1]), then holds every orphan of it (aardvark-dns) until killed, so one that dies stays a
    /// zombie, as under an init that reaps lazily (CI's does).
    static let lazyReaper = """
        import ctypes, subprocess, sys, time
        ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
        status = subprocess.run(sys.argv[3:], stdin=open(sys.argv[2], "rb")).returncode
        open(sys.argv[1], "w").write(str(status))
        time.sleep(120)
        """

    @Test("aardvark-dns killed and not yet reaped (a zombie still has its pid and name): the next setup starts it again and names resolve")
    func deadDaemonRestarted() throws {
        let host = try PrivateHost("nvzomb")
        let aardvarkPID = host.scratch.file("netavark/aardvark-dns/aardvark.pid")
        var holder: RunningProcess?
        defer {
            if let text = try? String(contentsOfFile: aardvarkPID, encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                kill(pid, SIGKILL)
            }
            holder?.terminate()
            _ = holder?.finish()
            host.cleanup()
        }
        let one = try host.container("one"), two = try host.container("two")
        let (first, second) = try Self.dnsPair(host: host)

        // The first setup under the reaper that never reaps: aardvark-dns becomes its child.
        let request = host.scratch.file("first.json"), status = host.scratch.file("first.status")
        try JSONSerialization.data(withJSONObject: first).write(to: URL(fileURLWithPath: request))
        holder = try TestRun.start("/usr/bin/python3", ["-c", Self.lazyReaper, status, request] + host.netavarkCommand(["setup", PrivateHost.path(one)]))
        #expect(eventually(10) { (try? String(contentsOfFile: status, encoding: .utf8)) == "0" }, "the first setup under the reaper")
        let old = try #require(Int32(try String(contentsOfFile: aardvarkPID, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(try NetavarkDNSPortTests.resolves(host, "capc1", to: "10.89.0.2", server: "10.89.0.1", from: one))

        kill(old, SIGKILL)
        #expect(eventually(5) { ProcessStatus.of(old)?.ended == true }, "a zombie: \(String(describing: ProcessStatus.of(old)))")
        #expect(kill(old, 0) == 0, "a zombie still answers kill(0)")
        let setup = try host.netavark(["setup", PrivateHost.path(two)], second)
        #expect(setup.status == 0, "\(setup.stdoutText)")
        let restarted = Int32((try? String(contentsOfFile: aardvarkPID, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "")
        #expect(restarted != nil && restarted != old && ProcessStatus.running(restarted!, named: "aardvark"), "aardvark-dns started again: \(String(describing: restarted))")
        #expect(try NetavarkDNSPortTests.resolves(host, "capc2", to: "10.89.0.3", server: "10.89.0.1", from: one))
        #expect(try NetavarkDNSPortTests.resolves(host, "capc1", to: "10.89.0.2", server: "10.89.0.1", from: two))
        for (container, request) in [(two, second), (one, first)] {
            #expect(try host.netavark(["teardown", PrivateHost.path(container)], request).status == 0)
        }
        #expect(!FileManager.default.fileExists(atPath: aardvarkPID))
    }
}

extension PrivateHost {
    /// pontoon run as podman runs netavark, inside the private host, its state under the scratch dir.
    /// `binary`: another netavark-protocol plugin (Debian's netavark 1.4.0), `environment` what podman
    /// would pass (e.g. `NETAVARK_DNS_PORT`). Works with aardvark-dns started: `TestRun` reads the
    /// child's output from files, not from pipes the daemon would hold open.
    func netavark(_ arguments: [String], _ stdin: [String: Any], environment: [String: String] = [:],
                  binary: String = Binaries.pontoon) throws -> RunResult {
        let data = try JSONSerialization.data(withJSONObject: stdin, options: [.withoutEscapingSlashes])
        let command = netavarkCommand(arguments, binary: binary)
        return try TestRun.run(command[0], Array(command.dropFirst()), environment: environment, stdin: data)
    }

    /// The command line `netavark` runs.
    func netavarkCommand(_ arguments: [String], binary: String = Binaries.pontoon) -> [String] {
        // Global options (e.g. --firewall-driver) go before the verb, as podman puts them.
        [Self.ip, "netns", "exec", name, binary, "--config", scratch.file("netavark"), "--rootless=false",
         "--aardvark-binary=/usr/lib/podman/aardvark-dns"] + arguments
    }
}

@Suite("netavark mode with the firewall", needsRoot)
struct NetavarkFirewallTests {
    @Test("a container on two routed networks with one port mapping (podman's two-network capture as sent): the port goes to the first network", .firewallLab("nvfw2"))
    func twoRoutedNetworksOnePort() throws {
        let lab = try Lab.scoped()
        let host = lab.host
        let container = try host.container("c")
        let data = try Data(contentsOf: URL(fileURLWithPath: Repository.testdata + "/podman/podman-netavark-multi-dns.json"))
        let capture = (try JSONSerialization.jsonObject(with: data) as! [String: Any])["setup_two_networks_with_dns"] as! [String: Any]
        var stdin = capture["stdin"] as! [String: Any]
        var info = stdin["network_info"] as! [String: [String: Any]]
        for key in info.keys { info[key]!["dns_enabled"] = false }
        stdin["network_info"] = info
        let setup = try host.netavark(["setup", PrivateHost.path(container)], stdin)
        #expect(setup.status == 0, "\(setup.stdoutText)")
        try lab.serve(in: container, port: 80)
        #expect(try lab.probe(from: lab.outside, "tcp", FirewallLab.hostV4, 18091).contains("tcp4"), "18091 answers from outside")
        #expect(try host.netavark(["teardown", PrivateHost.path(container)], stdin).status == 0)
        #expect(!(try lab.ruleset().contains("10.91.0")), "nothing of the networks is left")
    }

    @Test("podman's capture as sent (masquerade, 8080/tcp and 8053/udp): ports answer from outside and 127.0.0.1, teardown leaves no rules", .firewallLab("nvfw"),
          arguments: ["nftables", "iptables"])
    func masqueradeAndPorts(_ driver: String) throws {
        let lab = try Lab.scoped()
        let host = lab.host
        let container = try host.container("c")
        let data = try Data(contentsOf: URL(fileURLWithPath: Repository.testdata + "/podman/podman-netavark-setup.json"))
        let stdin = (try JSONSerialization.jsonObject(with: data) as! [String: Any])["stdin"] as! [String: Any]
        let options = ["--firewall-driver", driver]
        let setup = try host.netavark(options + ["setup", PrivateHost.path(container)], stdin)
        #expect(setup.status == 0, "\(setup.stdoutText)")
        try lab.serve(in: container, port: 80)
        try lab.serve(in: container, port: 53)
        #expect(try lab.probe(from: lab.outside, "tcp", FirewallLab.hostV4, 8080).contains("tcp4"), "TCP from outside")
        #expect(try lab.probe(from: lab.outside, "udp", FirewallLab.hostV4, 8053).contains("udp4"), "UDP from outside")
        #expect(try lab.probe(from: host.name, "tcp", "127.0.0.1", 8080).contains("tcp4"), "TCP from 127.0.0.1")
        #expect(try host.pings(from: container, FirewallLab.outsideV4), "masqueraded to the outside")

        let teardown = try host.netavark(options + ["teardown", PrivateHost.path(container)], stdin)
        #expect(teardown.status == 0, "\(teardown.stdoutText)")
        #expect(try lab.probe(from: lab.outside, "tcp", FirewallLab.hostV4, 8080).isEmpty)
        let rules = driver == "nftables" ? try lab.ruleset() : try host.exec(host.name, "iptables-save; ip6tables-save").stdoutText
        #expect(!rules.contains("10.88.0"), "nothing of the network is left: \(rules)")
    }
}
