import Foundation
import Testing
import TestSupport

/// `"isolate": true` and `macspoofchk: true`, with traffic, for both firewall drivers where they
/// apply. Three networks on three bridges in one private host: an isolated one and two plain ones.
@Suite("Firewall: isolation between Pontoon bridges and the MAC spoof check", needsRoot)
struct FirewallIsolationTests {
    /// A network of the lab on its own bridge and subnets (`index` picks them).
    func network(_ lab: Lab, _ name: String, bridge: String, index: Int, driver: String,
                 _ extra: [String: Any] = [:], mappings: [[String: Any]] = []) -> [String: Any] {
        var settings: [String: Any] = ["name": name, "bridge": bridge, "firewall": driver]
        settings.merge(extra) { _, new in new }
        return lab.config(mappings: mappings, subnets: ["10.9\(index).0.0/24", "fd9\(index)::/64"], settings)
    }

    /// Every rule the driver wrote, as text.
    func rules(_ lab: Lab, driver: String) throws -> String {
        driver == "nftables" ? try lab.ruleset()
            : try lab.host.exec(lab.host.name, "iptables-save && ip6tables-save").stdoutText
    }

    @Test("an isolated network reaches neither another Pontoon bridge nor is reached from one (IPv4, IPv6), still reaches the outside; plain networks still talk",
          arguments: ["nftables", "iptables"])
    func isolation(driver: String) throws {
        let lab = try Lab("iso\(driver.prefix(2))")
        defer { lab.cleanup() }
        let isolated = network(lab, "isonet", bridge: "pti0", index: 7, driver: driver, ["isolate": true],
                               mappings: [mapping(8080, 7000)])
        let plainB = network(lab, "plainb", bridge: "ptb0", index: 8, driver: driver)
        let plainC = network(lab, "plainc", bridge: "ptc0", index: 6, driver: driver)
        let a = try lab.host.container("a"), a2 = try lab.host.container("a2")
        let b = try lab.host.container("b"), c = try lab.host.container("c")
        let addA = try lab.host.attach(a, config: isolated)
        _ = try lab.host.attach(a2, config: network(lab, "isonet", bridge: "pti0", index: 7, driver: driver, ["isolate": true]))
        _ = try lab.host.attach(b, config: plainB)
        _ = try lab.host.attach(c, config: plainC)
        for container in [a, b, c] { try lab.serve(in: container, port: 7000) }
        try lab.serve(in: lab.outside, port: 9000)

        // Plain networks reach each other (masqueraded to the bridge they leave by).
        #expect(try lab.probe(from: b, "tcp", "10.96.0.2", 7000).hasPrefix("tcp4 "))
        #expect(try lab.probe(from: c, "tcp", "fd98::2", 7000).hasPrefix("tcp6 "))
        // The isolated network: nothing across, either way, either family.
        #expect(try lab.probe(from: a, "tcp", "10.98.0.2", 7000) == "")
        #expect(try lab.probe(from: b, "tcp", "10.97.0.2", 7000) == "")
        #expect(try lab.probe(from: a, "tcp", "fd96::2", 7000) == "")
        #expect(try lab.probe(from: c, "tcp", "fd97::2", 7000) == "")
        #expect(try !lab.host.pings(from: a, "10.98.0.2"))
        #expect(try !lab.host.pings(from: b, "10.97.0.2"))
        // Its own bridge, its host port from a neighbour (hairpin) and the outside still work.
        #expect(try lab.probe(from: a2, "tcp", "10.97.0.2", 7000).hasPrefix("tcp4 10.97.0.3 "))
        #expect(try lab.probe(from: a2, "tcp", Lab.hostV4, 8080).hasPrefix("tcp4 10.97.0.1 "))
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.hostV4, 8080).hasPrefix("tcp4 \(Lab.outsideV4) "))
        #expect(try lab.probe(from: a, "tcp", Lab.outsideV4, 9000).hasPrefix("tcp4 \(Lab.hostV4) "))
        #expect(try lab.probe(from: a, "tcp", Lab.outsideV6, 9000).hasPrefix("tcp6 \(Lab.hostV6) "))

        // CHECK passes; the last DEL of the isolated network leaves nothing of it, the others still talk.
        var checked = isolated
        checked["prevResult"] = addA.json
        let check = try lab.host.cni("CHECK", container: a, config: checked)
        #expect(check.status == 0, "\(check.stdoutText)")
        // Someone removes the isolation: CHECK says so (and DEL still cleans up).
        try lab.host.exec(lab.host.name, driver == "nftables" ? "nft delete element inet pontoon isolation '{ \"pti0\" }'"
                          : "iptables -F PONTOON-ISOLATION")
        let broken = try lab.host.cni("CHECK", container: a, config: checked)
        #expect(broken.errorCode == 105 && broken.errorMessage.contains("isolate bridge pti0"), "\(broken.stdoutText)")
        #expect(try lab.host.cni("DEL", container: a, config: isolated).status == 0)
        #expect(try lab.host.cni("DEL", container: a2, config: isolated).status == 0)
        let left = try rules(lab, driver: driver)
        #expect(!left.contains("pti0") && !left.contains("isonet"), "\(left)")
        #expect(try lab.probe(from: c, "tcp", "10.98.0.2", 7000).hasPrefix("tcp4 "))
        #expect(try lab.host.cni("DEL", container: b, config: plainB).status == 0)
        #expect(try lab.host.cni("DEL", container: c, config: plainC).status == 0)
        let none = try rules(lab, driver: driver)
        #expect(!none.contains("ptb0") && !none.contains("ptc0"), "\(none)")
        if driver == "iptables" { #expect(!none.contains("PONTOON"), "\(none)") }
    }

    @Test("isolation holds after nft flush ruleset and firewall-reload")
    func isolationAfterReload() throws {
        let lab = try Lab("isoreload")
        defer { lab.cleanup() }
        let a = try lab.host.container("a"), b = try lab.host.container("b")
        _ = try lab.host.attach(a, config: network(lab, "isonet", bridge: "pti0", index: 7, driver: "nftables", ["isolate": true]))
        _ = try lab.host.attach(b, config: network(lab, "plainb", bridge: "ptb0", index: 8, driver: "nftables"))
        try lab.serve(in: b, port: 7000)
        #expect(try lab.probe(from: a, "tcp", "10.98.0.2", 7000) == "")
        try lab.host.exec(lab.host.name, "nft flush ruleset")
        #expect(try lab.probe(from: a, "tcp", "10.98.0.2", 7000).hasPrefix("tcp4 "), "flushed: nothing isolates")
        #expect(try lab.reload().status == 0)
        #expect(try lab.probe(from: a, "tcp", "10.98.0.2", 7000) == "")
    }

    @Test("macspoofchk: frames with another source MAC are dropped, the container's own pass; DEL removes its elements",
          arguments: ["nftables", "iptables"])
    func macSpoofCheck(driver: String) throws {
        let lab = try Lab("spoof\(driver.prefix(3))")
        defer { lab.cleanup() }
        let config = lab.config(["macspoofchk": true, "firewall": driver])
        let a = try lab.host.container("a"), b = try lab.host.container("b")
        let addA = try lab.host.attach(a, config: config)
        _ = try lab.host.attach(b, config: config)
        try lab.serve(in: b, port: 7000)
        #expect(try lab.probe(from: a, "tcp", "10.99.0.3", 7000).hasPrefix("tcp4 10.99.0.2 "))
        let own = try lab.host.exec(a, "cat /sys/class/net/eth0/address").stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try lab.ruleset().contains(own), "the container's MAC is allowed on its port")

        try lab.host.exec(a, "ip link set eth0 address 02:00:00:00:be:ef && ip neigh flush dev eth0")
        #expect(try lab.probe(from: a, "tcp", "10.99.0.3", 7000) == "", "spoofed source MAC")
        #expect(try lab.probe(from: a, "tcp", "fd99::3", 7000) == "")
        try lab.host.exec(a, "ip link set eth0 address \(own)")
        #expect(try lab.probe(from: a, "tcp", "10.99.0.3", 7000).hasPrefix("tcp4 10.99.0.2 "))
        var checked = config
        checked["prevResult"] = addA.json
        let check = try lab.host.cni("CHECK", container: a, config: checked)
        #expect(check.status == 0, "\(check.stdoutText)")

        #expect(try lab.host.cni("DEL", container: a, config: config).status == 0)
        #expect(try !lab.ruleset().contains(own), "DEL removes the container's elements")
        #expect(try lab.host.cni("DEL", container: a, config: config).status == 0, "twice")
        #expect(try lab.host.cni("DEL", container: b, config: config).status == 0)
        let left = try lab.ruleset()
        #expect(!left.contains("elements"), "no element is left: \(left)")
    }

    @Test("without macspoofchk a changed source MAC still passes (the check is what drops it)")
    func noMacSpoofCheck() throws {
        let lab = try Lab("nospoof")
        defer { lab.cleanup() }
        let a = try lab.host.container("a"), b = try lab.host.container("b")
        _ = try lab.host.attach(a, config: lab.config())
        _ = try lab.host.attach(b, config: lab.config())
        try lab.serve(in: b, port: 7000)
        try lab.host.exec(a, "ip link set eth0 address 02:00:00:00:be:ef && ip neigh flush dev eth0")
        #expect(try lab.probe(from: a, "tcp", "10.99.0.3", 7000).hasPrefix("tcp4 10.99.0.2 "))
    }

    @Test("the none driver refuses isolate and macspoofchk (2, naming the key); nothing is left")
    func refusals() throws {
        let lab = try Lab("spoofnone")
        defer { lab.cleanup() }
        let a = try lab.host.container("a")
        let recordsBefore = lab.host.records(), leasesBefore = lab.host.leases()
        for (extra, message) in [
            (["firewall": "none", "isolate": true] as [String: Any], "isolate needs a firewall driver, but firewall is \"none\""),
            (["firewall": "none", "macspoofchk": true], "macspoofchk needs a firewall driver, but firewall is \"none\""),
        ] {
            let refused = try lab.host.cni("ADD", container: a, config: lab.config(extra))
            #expect(refused.errorCode == 2, "\(refused.stdoutText)")
            #expect(refused.errorMessage == message)
            #expect(try lab.host.linkNames(a) == ["lo"])
            #expect(lab.host.records() == recordsBefore && lab.host.leases() == leasesBefore)
        }
        let text = try lab.host.exec(lab.host.name, "iptables-save; nft list ruleset").stdoutText
        #expect(!text.contains("PONTOON") && !text.contains("10.99.0."), "\(text)")
    }
}

/// netavark's `isolate` option: "true" cuts a network off from other isolated networks, "strict"
/// from every other network; both ways.
@Suite("netavark mode: the isolate option", needsRoot)
struct NetavarkIsolationTests {
    /// podman's setup capture for one container on one network of its own.
    func stdin(network: String, index: Int, isolate: String?, container: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: Repository.testdata + "/podman/podman-netavark-setup.json"))
        var stdin = (try JSONSerialization.jsonObject(with: data) as! [String: Any])["stdin"] as! [String: Any]
        var info = (stdin["network_info"] as! [String: [String: Any]])["podman"]!
        info["name"] = network
        info["id"] = String(repeating: "\(index)", count: 64)
        info["network_interface"] = "nvb\(index)"
        info["subnets"] = [["subnet": "10.8\(index).0.0/24", "gateway": "10.8\(index).0.1"]]
        if let isolate { info["options"] = ["isolate": isolate] }
        stdin["network_info"] = [network: info]
        stdin["networks"] = [network: ["static_ips": ["10.8\(index).0.2"], "interface_name": "eth0"]]
        stdin["port_mappings"] = []
        stdin["container_id"] = String(repeating: "c\(index)", count: 32)
        stdin["container_name"] = container
        return stdin
    }

    @Test("true: two isolated networks cannot talk, each still talks to a plain one; strict: not even with a plain one",
          arguments: ["nftables", "iptables"])
    func isolateOption(driver: String) throws {
        let lab = try FirewallLab("nviso\(driver.prefix(2))")
        defer { lab.cleanup() }
        let host = lab.host
        let options = ["--firewall-driver", driver]
        let specs: [(String, Int, String?)] = [("isoa", 1, "true"), ("isob", 2, "true"), ("plain", 3, nil), ("strict", 4, "strict")]
        var containers: [String: (String, [String: Any])] = [:]
        for (network, index, isolate) in specs {
            let container = try host.container(network)
            let input = try stdin(network: network, index: index, isolate: isolate, container: network)
            let setup = try host.netavark(options + ["setup", PrivateHost.path(container)], input)
            try #require(setup.status == 0, "\(network): \(setup.stdoutText)")
            try lab.serve(in: container, port: 7000)
            containers[network] = (container, input)
        }
        func reaches(_ from: String, _ index: Int) throws -> Bool {
            try lab.probe(from: containers[from]!.0, "tcp", "10.8\(index).0.2", 7000).hasPrefix("tcp4 ")
        }
        #expect(try !reaches("isoa", 2) && !reaches("isob", 1), "isolated networks are cut off from each other")
        #expect(try reaches("isoa", 3) && reaches("plain", 1), "an isolated network still talks to a plain one")
        #expect(try !reaches("strict", 3) && !reaches("plain", 4) && !reaches("strict", 1), "strict talks to no other network")
        #expect(try host.pings(from: containers["strict"]!.0, FirewallLab.outsideV4), "strict still reaches the outside")
        for (network, _, _) in specs {
            let (container, input) = containers[network]!
            let teardown = try host.netavark(options + ["teardown", PrivateHost.path(container)], input)
            #expect(teardown.status == 0, "\(network): \(teardown.stdoutText) \(teardown.stderrText)")
        }
        let rules = driver == "nftables" ? try lab.ruleset() : try host.exec(host.name, "iptables-save; ip6tables-save").stdoutText
        #expect(!rules.contains("nvb") && !rules.contains("10.8"), "nothing of the networks is left: \(rules)")
    }
}
