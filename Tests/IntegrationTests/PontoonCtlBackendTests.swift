import Foundation
import Testing
import TestSupport

/// The four backends pontoonctl drives, each only through its protocol: pontoonctl knows a network's
/// backend type and plugin name and nothing else about it.
enum CtlBackend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    /// pontoon through netavark's protocol (pontoonctl's default).
    case pontoonNetavark
    /// pontoon through a CNI conflist.
    case pontoonCNI
    /// Debian's netavark 1.4.0 (iptables; aardvark-dns for names).
    case netavark
    /// The reference `bridge` followed by `portmap` and `firewall` in a CNI conflist, as podman's CNI backend.
    case reference

    static let netavarkBinary = "/usr/lib/podman/netavark"

    var testDescription: String { rawValue }

    var networkArguments: [String] {
        switch self {
        case .pontoonNetavark: []
        case .pontoonCNI: ["--backend", "cni", "--plugin", "pontoon"]
        case .netavark: ["--plugin", Self.netavarkBinary]
        case .reference: ["--backend", "cni", "--plugin", "bridge"]
        }
    }

    /// Names resolve only where a name server is part of the backend: netavark's protocol starts
    /// aardvark-dns; a CNI conflist of bridge-like plugins has none (podman's CNI backend adds the
    /// separate `dnsname` plugin, which is not part of this chain). Stated, not faked.
    var servesDNS: Bool { self == .pontoonNetavark || self == .netavark }

    /// What a backend needs on this machine (scripts/setup installs it): missing is a failure, not a skip.
    func requireInstalled() throws {
        let needed: [String] = switch self {
        case .pontoonNetavark, .pontoonCNI: [Binaries.pontoon]
        case .netavark: [Self.netavarkBinary, "/usr/lib/podman/aardvark-dns"]
        case .reference: ["/usr/lib/cni/bridge", "/usr/lib/cni/portmap", "/usr/lib/cni/firewall", "/usr/lib/cni/host-local"]
        }
        for path in needed {
            try #require(FileManager.default.isExecutableFile(atPath: path), "\(path) is needed for the \(rawValue) backend (scripts/setup)")
        }
    }
}

/// The outside world of a private host: a namespace on a veth with no route to any container
/// subnet, so only masqueraded or port-mapped traffic gets an answer.
struct CtlOutside {
    static let hostIP = "198.51.100.1", outsideIP = "198.51.100.2"
    let name: String

    init(_ ctl: Ctl) throws {
        name = try ctl.host.container("out")
        let wired = try ctl.host.exec(ctl.host.name, """
            ip link add uplink type veth peer name world netns \(name) && ip addr add \(Self.hostIP)/24 dev uplink && \
            ip link set uplink up && ip netns exec \(name) sh -c 'ip link set lo up && ip link set world up && \
            ip addr add \(Self.outsideIP)/24 dev world'
            """)
        try #require(wired.status == 0, "outside: \(wired.stderrText)")
    }
}

extension Ctl {
    /// The netprobe TCP/UDP server (it answers with the peer it saw) inside a container's namespace.
    func serve(in container: String, port: Int) throws {
        let script = try host.probeScript()
        let started = try inside(container, "python3 \(script) serve \(port) </dev/null >/dev/null 2>&1 &")
        try #require(started.status == 0, "server in \(container): \(started.stderrText)")
        for _ in 0..<100 {
            if try inside(container, "ss -Hltn | grep -c ':\(port) '").stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) != "0" {
                return
            }
            usleep(20_000)
        }
        Issue.record("server on port \(port) in \(container) did not start")
    }

    /// What a TCP connection to the private host's `port` from the outside got back ("" when nothing).
    func probeFromOutside(_ outside: CtlOutside, port: Int) throws -> String {
        try host.probe(from: outside.name, "tcp", CtlOutside.hostIP, port)
    }

    /// The container's eth0 as the kernel has it: MAC, IPv4 address/prefix, default gateway.
    func kernelView(_ container: String) throws -> (mac: String, address: String, prefix: Int, gateway: String) {
        let link = try #require((try inside(container, "ip -j addr show dev eth0").json as? [[String: Any]])?.first)
        let v4 = try #require((link["addr_info"] as? [[String: Any]])?.first { $0["family"] as? String == "inet" })
        let route = (try inside(container, "ip -j -4 route show default").json as? [[String: Any]])?.first
        return (link["address"] as? String ?? "", v4["local"] as? String ?? "", v4["prefixlen"] as? Int ?? -1,
                route?["gateway"] as? String ?? "")
    }

    /// What `name` resolves to inside `container` (getent, through its resolv.conf), asked again for
    /// a few seconds until `address` is among the answers: netavark 1.4.0 tells aardvark-dns about a
    /// new entry with SIGHUP and returns before aardvark-dns has read it again.
    func resolve(_ container: String, _ name: String, expecting address: String) throws -> String {
        var answer = ""
        for _ in 0..<20 {
            answer = try run(["exec", container, "--", "getent", "ahostsv4", name]).stdoutText
            if answer.contains(address) { break }
            usleep(250_000)
        }
        return answer
    }

    func pings(_ container: String, _ address: String) throws -> Bool {
        try run(["exec", container, "--", "ping", "-c", "1", "-W", "2", address]).status == 0
    }
}

@Suite("pontoonctl with four backends", needsRoot, .serialized)
struct PontoonCtlBackendTests {
    /// Two containers with mapped ports on one network and one on a second network: traffic
    /// between them, out (masqueraded) and in through every mapped port; inspect against the kernel;
    /// stats move; names (where the backend serves them); `nft flush ruleset` then `reload --all`
    /// brings everything back with the same addresses and MACs; rm and network rm leave nothing.
    @Test("two networks, three containers, mapped ports, flush and reload, rm", arguments: CtlBackend.allCases)
    func flow(backend: CtlBackend) throws {
        try backend.requireInstalled()
        let ctl = try Ctl("bk")
        defer { ctl.cleanup() }
        let outside = try CtlOutside(ctl)
        try ctl.ok(["network", "create", "one"] + backend.networkArguments)
        try ctl.ok(["network", "create", "two"] + backend.networkArguments)
        let ports = ["a": 18080, "b": 18081, "c": 18082]
        try ctl.ok(["run", "a", "--network", "one", "-p", "18080:80"])
        try ctl.ok(["run", "b", "--network", "one", "-p", "18081:80"])
        try ctl.ok(["run", "c", "--network", "two", "-p", "18082:80"])

        // inspect is what the kernel has.
        var views: [String: (mac: String, address: String, prefix: Int, gateway: String)] = [:]
        for name in ["a", "b", "c"] {
            let settings = try ctl.inspect(name)
            let kernel = try ctl.kernelView(name)
            views[name] = kernel
            // Not podman's default network: the addresses are in the network's entry only, as podman shows them.
            let network = name == "c" ? "two" : "one"
            let entry = (settings["Networks"] as? [String: [String: Any]])?[network]
            #expect(entry?["IPAddress"] as? String == kernel.address, "\(name): \(settings)")
            #expect(entry?["IPPrefixLen"] as? Int == kernel.prefix)
            #expect(entry?["MacAddress"] as? String == kernel.mac)
            #expect(entry?["Gateway"] as? String == kernel.gateway && !kernel.gateway.isEmpty)
            #expect(settings["IPAddress"] as? String == "" && settings["MacAddress"] as? String == "", "\(name): \(settings)")
            let published = settings["Ports"] as? [String: [[String: String]]]
            #expect(published?["80/tcp"]?.first?["HostPort"] == "\(ports[name]!)", "\(name): \(String(describing: published))")
        }
        let a = views["a"]!.address, b = views["b"]!.address, c = views["c"]!.address

        // Traffic between them (same network, across networks), out, and stats that move.
        let before = try ctl.stats("a")
        #expect(try ctl.ok(["exec", "a", "--", "ping", "-c", "3", "-i", "0.2", "-W", "2", b]).status == 0)
        let after = try ctl.stats("a")
        #expect((after["txPackets"] as? Int ?? 0) >= (before["txPackets"] as? Int ?? 0) + 3, "\(before) \(after)")
        #expect((after["rxBytes"] as? Int ?? 0) > (before["rxBytes"] as? Int ?? 0))
        #expect(try ctl.pings("a", c))
        #expect(try ctl.pings("c", a))
        for name in ["a", "b", "c"] { #expect(try ctl.pings(name, CtlOutside.outsideIP), "\(name) -> outside") }
        if backend.servesDNS {
            let resolved = try ctl.resolve("a", "b", expecting: b)
            #expect(resolved.contains(b), "a resolving b: \(resolved)")
        }

        // connect/disconnect live: d (on two, with a mapped port its connect sends again) gets an
        // interface on one, reachable from a and, where names are served, by its alias; disconnect
        // takes it away.
        try ctl.ok(["run", "d", "--network", "two", "-p", "18099:80"])
        try ctl.ok(["connect", "d", "one", "--alias", "dee"])
        let dOne = try #require(((try ctl.inspect("d"))["Networks"] as? [String: [String: Any]])?["one"]?["IPAddress"] as? String)
        #expect(try ctl.inside("d", "ip -br addr show eth1").stdoutText.contains(dOne))
        #expect(try ctl.pings("a", dOne))
        if backend.servesDNS {
            let resolved = try ctl.resolve("a", "dee", expecting: dOne)
            #expect(resolved.contains(dOne), "a resolving d's alias: \(resolved)")
        }
        try ctl.ok(["disconnect", "d", "one"])
        #expect(try ctl.inside("d", "ip link show eth1").status != 0)
        #expect(try !ctl.pings("a", dOne))
        try ctl.ok(["rm", "--force", "d"])

        // Into them through the mapped ports, from the outside.
        for name in ["a", "b", "c"] { try ctl.serve(in: name, port: 80) }
        for name in ["a", "b", "c"] {
            let answer = try ctl.probeFromOutside(outside, port: ports[name]!)
            #expect(answer.hasPrefix("tcp4 "), "\(backend) \(name): mapped port \(ports[name]!) answered \"\(answer)\"")
        }

        // A flushed firewall breaks the mapped ports and the way out; reload brings both back.
        try ctl.host.exec(ctl.host.name, "nft flush ruleset")
        #expect(try ctl.probeFromOutside(outside, port: 18080) == "", "the flush did not remove the mapping")
        #expect(try !ctl.pings("a", CtlOutside.outsideIP), "the flush did not remove the masquerade")
        let restored = { () throws in
            try ctl.ok(["reload", "--all"])
            for name in ["a", "b", "c"] {
                let kernel = try ctl.kernelView(name)
                #expect(kernel.mac == views[name]!.mac && kernel.address == views[name]!.address, "\(name) changed in reload")
                let entry = (try ctl.inspect(name)["Networks"] as? [String: [String: Any]])?[name == "c" ? "two" : "one"]
                #expect(entry?["IPAddress"] as? String == kernel.address && entry?["MacAddress"] as? String == kernel.mac)
                let answer = try ctl.probeFromOutside(outside, port: ports[name]!)
                #expect(answer.hasPrefix("tcp4 "), "\(backend) \(name) after reload: mapped port answered \"\(answer)\"")
                #expect(try ctl.pings(name, CtlOutside.outsideIP), "\(name) -> outside after reload")
            }
            #expect(try ctl.pings("a", b) && ctl.pings("a", c))
        }
        try restored()

        for name in ["a", "b", "c"] { ctl.killInside(try ctl.netns(name)) }
        try ctl.ok(["rm", "--force", "a", "b", "c"])
        #expect(ctl.leftovers() == ["veth uplink"])
        let rules = try ctl.host.exec(ctl.host.name, "nft list ruleset").stdoutText
        for address in [a, b, c] { #expect(!rules.contains(address + " ") && !rules.contains(address + ":"), "rules for \(address) left") }
        for port in ports.values { #expect(!rules.contains("dport \(port)"), "rules for port \(port) left:\n\(rules)") }
        try ctl.ok(["network", "rm", "one"])
        try ctl.ok(["network", "rm", "two"])
        #expect((try ctl.ok(["network", "ls", "--format", "json"]).json as? [Any])?.isEmpty == true)
    }

    /// The second network's bridge name is taken by a veth: every backend refuses it, and what was
    /// made for the first network (interfaces, addresses, port rules, namespace, state) is gone.
    @Test("a create that fails on its second network leaves nothing", arguments: CtlBackend.allCases)
    func failedCreate(backend: CtlBackend) throws {
        try backend.requireInstalled()
        let ctl = try Ctl("bkfail")
        defer { ctl.cleanup() }
        try ctl.ok(["network", "create", "good"] + backend.networkArguments)
        try ctl.ok(["network", "create", "bad"] + backend.networkArguments)
        let definition = { (name: String) throws -> [String: Any] in
            try #require((try ctl.ok(["network", "inspect", name]).json as? [String: Any])?["network"] as? [String: Any])
        }
        let bridge = try #require(try definition("bad")["network_interface"] as? String)
        let subnet = try #require(((try definition("good")["subnets"] as? [[String: Any]])?.first?["subnet"] as? String))
        let firstAddress = subnet.replacingOccurrences(of: ".0/24", with: ".2")
        try #require(try ctl.host.exec(ctl.host.name, "ip link add \(bridge) type veth peer name \(bridge)p").status == 0)
        let vethsBefore = try ctl.host.json(ctl.host.name, "ip -j link show type veth").compactMap { $0["ifname"] as? String }

        let failed = try ctl.run(["run", "x", "--network", "good", "--network", "bad", "-p", "18090:80"])
        #expect(failed.status != 0)
        #expect(failed.stderrText.contains("bad"), "\(failed.stderrText)")
        #expect(ctl.leftovers() == vethsBefore.map { "veth " + $0 })
        #expect(try ctl.run(["inspect", "x"]).status != 0)
        let rules = try ctl.host.exec(ctl.host.name, "nft list ruleset").stdoutText
        #expect(!rules.contains("18090") && !rules.contains(firstAddress + " ") && !rules.contains(firstAddress + ":"),
                "rules of the failed create left:\n\(rules)")

        // The same name, networks and port work once the clash is gone (like podman's CNI backend,
        // pontoonctl gives a CNI container's port mappings to every network: they map once).
        try ctl.host.exec(ctl.host.name, "ip link del \(bridge)")
        try ctl.ok(["run", "x", "--network", "good", "--network", "bad", "-p", "18090:80"])
        try ctl.ok(["rm", "--force", "x"])
        #expect(ctl.leftovers() == [])
    }
}
