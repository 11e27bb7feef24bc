import Foundation
import Testing
import TestSupport

typealias Lab = FirewallLab

@Suite("Firewall: masquerade and port mappings over nftables", needsRoot)
struct FirewallTests {
    @Test("masqueraded traffic reaches the outside with the host's source address (IPv4 and IPv6)")
    func masquerade() throws {
        let lab = try Lab("masq")
        defer { lab.cleanup() }
        let container = try lab.host.container("c")
        _ = try lab.host.attach(container, config: lab.config())
        try lab.serve(in: lab.outside, port: 9000)
        #expect(try lab.probe(from: container, "tcp", Lab.outsideV4, 9000).hasPrefix("tcp4 \(Lab.hostV4) "))
        #expect(try lab.probe(from: container, "udp", Lab.outsideV4, 9000).hasPrefix("udp4 \(Lab.hostV4) "))
        #expect(try lab.probe(from: container, "tcp", Lab.outsideV6, 9000).hasPrefix("tcp6 \(Lab.hostV6) "))
        #expect(try lab.probe(from: container, "udp", Lab.outsideV6, 9000).hasPrefix("udp6 \(Lab.hostV6) "))
    }

    @Test("without ipMasq the outside sees nothing (it has no route back), the rules are otherwise in place")
    func noMasquerade() throws {
        let lab = try Lab("nomasq")
        defer { lab.cleanup() }
        let container = try lab.host.container("c")
        _ = try lab.host.attach(container, config: lab.config(["ipMasq": false]))
        try lab.serve(in: lab.outside, port: 9000)
        #expect(try lab.probe(from: container, "tcp", Lab.outsideV4, 9000) == "")
        let rules = try lab.ruleset()
        #expect(rules.contains("chain net-itnet"))
        #expect(!rules.contains("meta nfproto ipv4 masquerade"), "only the hairpin masquerade: \(rules)")
    }

    @Test("TCP and UDP mapped ports answer from outside, 127.0.0.1, a neighbour and the container itself (hairpin)")
    func mappedPorts() throws {
        let lab = try Lab("ports")
        defer { lab.cleanup() }
        let server = try lab.host.container("srv"), neighbour = try lab.host.container("nb")
        let config = lab.config(mappings: [mapping(8080, 80), mapping(8053, 53, "udp")])
        let add = try lab.host.attach(server, config: config)
        _ = try lab.host.attach(neighbour, config: lab.config())
        try lab.serve(in: server, port: 80)
        try lab.serve(in: server, port: 53)
        #expect(add.addresses == ["10.99.0.2/24", "fd99::2/64"])

        // From outside: the container sees the client's own address (no source NAT on the way in).
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.hostV4, 8080).hasPrefix("tcp4 \(Lab.outsideV4) "))
        #expect(try lab.probe(from: lab.outside, "udp", Lab.hostV4, 8053).hasPrefix("udp4 \(Lab.outsideV4) "))
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.hostV6, 8080).hasPrefix("tcp6 \(Lab.outsideV6) "))
        #expect(try lab.probe(from: lab.outside, "udp", Lab.hostV6, 8053).hasPrefix("udp6 \(Lab.outsideV6) "))
        // Any host address serves a mapping without hostIP.
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.otherHostV4, 8080).hasPrefix("tcp4 "))

        // From the host itself, through loopback: masqueraded to the bridge address.
        #expect(try lab.probe(from: lab.host.name, "tcp", "127.0.0.1", 8080) .hasPrefix("tcp4 10.99.0.1 "))
        #expect(try lab.probe(from: lab.host.name, "udp", "127.0.0.1", 8053).hasPrefix("udp4 10.99.0.1 "))
        #expect(try lab.probe(from: lab.host.name, "tcp", Lab.hostV6, 8080).hasPrefix("tcp6 "))

        // From a neighbour on the bridge and from the container itself: masqueraded, so replies
        // return through the host.
        for client in [neighbour, server] {
            #expect(try lab.probe(from: client, "tcp", Lab.hostV4, 8080).hasPrefix("tcp4 10.99.0.1 "), "from \(client)")
            #expect(try lab.probe(from: client, "udp", Lab.hostV4, 8053).hasPrefix("udp4 10.99.0.1 "), "from \(client)")
            #expect(try lab.probe(from: client, "tcp", Lab.hostV6, 8080).hasPrefix("tcp6 \("fd99::1") "), "from \(client)")
        }
        // An unmapped port is not forwarded.
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.hostV4, 8081) == "")
    }

    @Test("a mapping bound to one host IP answers there and not on the host's other address")
    func boundHostIP() throws {
        let lab = try Lab("hostip")
        defer { lab.cleanup() }
        let container = try lab.host.container("c")
        _ = try lab.host.attach(container, config: lab.config(mappings: [
            mapping(8080, 80, hostIP: Lab.hostV4), mapping(8080, 80, hostIP: Lab.hostV6),
        ]))
        try lab.serve(in: container, port: 80)
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.hostV4, 8080).hasPrefix("tcp4 "))
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.otherHostV4, 8080) == "")
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.hostV6, 8080).hasPrefix("tcp6 "))
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.otherHostV6, 8080) == "")
    }

    @Test("a host port already mapped is refused (106, naming it) and nothing is changed")
    func takenPort() throws {
        let lab = try Lab("taken")
        defer { lab.cleanup() }
        let first = try lab.host.container("a"), second = try lab.host.container("b")
        _ = try lab.host.attach(first, config: lab.config(mappings: [mapping(8080, 80)]))
        let rulesBefore = try lab.ruleset()
        let leasesBefore = lab.host.leases(), recordsBefore = lab.host.records(), linksBefore = try lab.host.linkNames(lab.host.name)
        let refused = try lab.host.cni("ADD", container: second, config: lab.config(mappings: [mapping(9090, 90), mapping(8080, 80)]))
        #expect(refused.errorCode == 106, "\(refused.stdoutText)")
        #expect(refused.errorMessage == "host port 8080/tcp on 0.0.0.0 is already mapped to another container", "\(refused.stdoutText)")
        #expect(refused.stderr.isEmpty)
        #expect(try lab.ruleset() == rulesBefore)
        #expect(lab.host.leases() == leasesBefore && lab.host.records() == recordsBefore)
        #expect(try lab.host.linkNames(lab.host.name) == linksBefore)
        #expect(try lab.host.linkNames(second) == ["lo"])
        // The same port on another protocol is free.
        _ = try lab.host.attach(second, config: lab.config(mappings: [mapping(8080, 80, "udp")]))
    }

    @Test("DEL removes exactly its container's mappings (also with the netns gone, also twice); the last DEL removes the network's rules")
    func deleteLeavesNothing() throws {
        let lab = try Lab("del")
        defer { lab.cleanup() }
        let a = try lab.host.container("a"), b = try lab.host.container("b")
        let configA = lab.config(mappings: [mapping(8080, 80), mapping(8053, 53, "udp")])
        let configB = lab.config(mappings: [mapping(8081, 80)])
        _ = try lab.host.attach(a, config: configA)
        _ = try lab.host.attach(b, config: configB)
        try lab.serve(in: b, port: 80)
        #expect(try lab.ruleset().contains("comment \"\(a)/eth0\""))

        #expect(try lab.host.cni("DEL", container: a, config: configA).status == 0)
        var rules = try lab.ruleset()
        #expect(!rules.contains(a), "nothing of \(a) is left:\n\(rules)")
        #expect(rules.contains("comment \"\(b)/eth0\""))
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.hostV4, 8081).hasPrefix("tcp4 "), "the other container still answers")
        #expect(try lab.host.cni("DEL", container: a, config: configA).status == 0, "a second DEL succeeds")

        // The last container's namespace is gone before its DEL: the record says what to remove.
        try lab.host.delete(b)
        let lastDel = try lab.host.cni("DEL", container: b, config: lab.config())
        #expect(lastDel.status == 0, "\(lastDel.stdoutText)")
        rules = try lab.ruleset()
        #expect(!rules.contains("itnet") && !rules.contains("elements"), "nothing of the network is left:\n\(rules)")
        #expect(!rules.contains(b))
        #expect(try lab.host.cni("DEL", container: b, config: lab.config()).status == 0)
        #expect(lab.host.records().isEmpty && lab.host.leases().isEmpty)
    }

    @Test("nft flush ruleset, then firewall-reload restores every mapping; reloading again changes nothing")
    func flushAndReload() throws {
        let lab = try Lab("reload")
        defer { lab.cleanup() }
        let a = try lab.host.container("a"), b = try lab.host.container("b")
        _ = try lab.host.attach(a, config: lab.config(mappings: [mapping(8080, 80)]))
        _ = try lab.host.attach(b, config: lab.config(mappings: [mapping(8081, 80), mapping(8053, 53, "udp")]))
        try lab.serve(in: a, port: 80)
        try lab.serve(in: b, port: 80)
        try lab.serve(in: b, port: 53)
        let intact = try lab.ruleset()
        try lab.host.exec(lab.host.name, "nft flush ruleset")
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.hostV4, 8080) == "")

        let reload = try lab.reload()
        #expect(reload.status == 0, "\(reload.stdoutText)")
        #expect(reload.stdoutText == "reloaded 1 networks, 2 attachments\n")
        #expect(reload.stderr.isEmpty)
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.hostV4, 8080).hasPrefix("tcp4 "))
        let v6 = try lab.probe(from: lab.outside, "tcp", Lab.hostV6, 8081)
        let state = try lab.ruleset() + lab.host.exec(lab.host.name, "ip -6 neigh; ip -6 route; conntrack -L -f ipv6").stdoutText
        #expect(v6.hasPrefix("tcp6 "), "\(v6) \(state)")
        #expect(try lab.probe(from: lab.outside, "udp", Lab.hostV4, 8053).hasPrefix("udp4 "))
        let restored = try lab.ruleset()
        #expect(try lab.reload().status == 0)
        #expect(try lab.ruleset() == restored, "a second reload changes nothing")
        #expect(restored.count == intact.count, "the restored ruleset has the original's shape")
    }

    @Test("nft flush ruleset, then a runtime's reload of one container (DEL, ADD) while others stay, with host ports or without: the network's rules, its masquerade and the mapping come back",
          arguments: ["nftables", "iptables"])
    func flushThenReaddOneOfTwo(driver: String) throws {
        let lab = try Lab("readd-\(driver.prefix(3))")
        defer { lab.cleanup() }
        func config(_ mappings: [[String: Any]] = []) -> [String: Any] { lab.config(mappings: mappings, ["firewall": driver]) }
        let a = try lab.host.container("a"), b = try lab.host.container("b"), c = try lab.host.container("c")
        let configA = config([mapping(8080, 80)]), configC = config()
        _ = try lab.host.attach(a, config: configA)
        _ = try lab.host.attach(b, config: config([mapping(8081, 80)]))
        _ = try lab.host.attach(c, config: configC)
        try lab.serve(in: a, port: 80)
        try lab.serve(in: lab.outside, port: 9000)
        try lab.host.exec(lab.host.name, "nft flush ruleset")
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.hostV4, 8080) == "")

        // A container without host ports has nothing of its own to write, yet its reload must
        // bring back the masquerade it relies on.
        #expect(try lab.host.cni("DEL", container: c, config: configC).status == 0)
        let readded = try lab.host.cni("ADD", container: c, config: configC)
        #expect(readded.status == 0, "\(readded.stdoutText)")
        #expect(try lab.probe(from: c, "tcp", Lab.outsideV4, 9000).hasPrefix("tcp4 \(Lab.hostV4) "), "c is masqueraded again")

        // What podman's `network reload` does per container: teardown, then setup again. b is
        // still a member, so a is not the network's first: its setup must still remake the rules.
        #expect(try lab.host.cni("DEL", container: a, config: configA).status == 0)
        let again = try lab.host.cni("ADD", container: a, config: configA)
        #expect(again.status == 0, "\(again.stdoutText)")
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.hostV4, 8080).hasPrefix("tcp4 "), "a's mapping answers")
        #expect(try lab.probe(from: a, "tcp", Lab.outsideV4, 9000).hasPrefix("tcp4 \(Lab.hostV4) "), "a is masqueraded again")
    }

    /// `nft -a list chain` of a base chain: its rules with their handles.
    func baseChain(_ lab: Lab, _ chain: String) throws -> String {
        try lab.host.exec(lab.host.name, "nft -a list chain inet pontoon \(chain)").stdoutText
    }

    @Test("a network's first container leaves a complete base as it is (same rule handles); without the marker (an older Pontoon's table) or after a flushed table the base is written again, and traffic flows")
    func baseWrittenOnce() throws {
        let lab = try Lab("base")
        defer { lab.cleanup() }
        let a = try lab.host.container("a"), b = try lab.host.container("b"), c = try lab.host.container("c")
        let configA = lab.config(mappings: [mapping(8080, 80)])
        func other(_ index: Int) -> [String: Any] {
            lab.config(mappings: [mapping(8090 + index, 80)], subnets: ["10.9\(index).0.0/24"],
                       ["name": "other\(index)", "bridge": "pt\(index)"])
        }
        _ = try lab.host.attach(a, config: configA)
        let written = try baseChain(lab, "prerouting") + baseChain(lab, "forward")
        #expect(written.contains("dnat"))

        // Another network's first container: nothing of the base is rewritten.
        _ = try lab.host.attach(b, config: other(1))
        #expect(try baseChain(lab, "prerouting") + baseChain(lab, "forward") == written)

        // An older table: no marker. The next network writes the base again (new handles), once.
        try lab.host.exec(lab.host.name, "nft delete chain inet pontoon base-v1")
        _ = try lab.host.attach(c, config: other(2))
        let rewritten = try baseChain(lab, "prerouting") + baseChain(lab, "forward")
        #expect(rewritten != written)
        #expect(rewritten.components(separatedBy: "dnat").count == written.components(separatedBy: "dnat").count,
                "the rewrite replaced the base's rules instead of adding to them")
        try lab.serve(in: c, port: 80)
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.hostV4, 8092).hasPrefix("tcp4 "))

        // A flushed table (rules gone, chains and maps kept): the next network's first container
        // brings the base back, and with it every mapping still in the maps.
        #expect(try lab.host.cni("DEL", container: c, config: other(2)).status == 0)
        try lab.host.exec(lab.host.name, "nft flush table inet pontoon")
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.hostV4, 8080) == "")
        #expect(try lab.host.cni("ADD", container: c, config: other(2)).status == 0)
        try lab.serve(in: a, port: 80)
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.hostV4, 8080).hasPrefix("tcp4 "), "a's mapping answers again")
    }

    @Test("CHECK verifies the mappings: passes after ADD, names a mapping someone deleted (105)")
    func checkMappings() throws {
        let lab = try Lab("check")
        defer { lab.cleanup() }
        let container = try lab.host.container("c")
        var config = lab.config(mappings: [mapping(8080, 80)])
        let add = try lab.host.attach(container, config: config)
        config["prevResult"] = add.json
        let ok = try lab.host.cni("CHECK", container: container, config: config)
        #expect(ok.status == 0, "\(ok.stdoutText)")
        try lab.host.exec(lab.host.name, "nft delete element inet pontoon hostports4_any '{ tcp . 8080 }'")
        let broken = try lab.host.cni("CHECK", container: container, config: config)
        #expect(broken.errorCode == 105)
        #expect(broken.errorMessage == "host port 8080/tcp on 0.0.0.0 is not mapped, expected 10.99.0.2 port 80", "\(broken.stdoutText)")
    }

    @Test("GC removes the mappings of attachments not in the valid list and keeps the others'")
    func garbageCollect() throws {
        let lab = try Lab("gc")
        defer { lab.cleanup() }
        let keep = try lab.host.container("keep"), drop = try lab.host.container("drop")
        _ = try lab.host.attach(keep, config: lab.config(mappings: [mapping(8080, 80)]))
        _ = try lab.host.attach(drop, config: lab.config(mappings: [mapping(8081, 80)]))
        var config = lab.config(["cniVersion": "1.1.0"])
        config["cni.dev/valid-attachments"] = [["containerID": keep, "ifname": "eth0"]]
        let gc = try lab.host.cni("GC", container: nil, config: config)
        #expect(gc.status == 0, "\(gc.stdoutText)")
        let rules = try lab.ruleset()
        #expect(!rules.contains(drop) && rules.contains("comment \"\(keep)/eth0\""), "\(rules)")
        #expect(rules.contains("chain net-itnet"))
    }

    @Test("GC removes the mappings of a member with neither a record nor a place in the valid list (its ADD killed before the record)")
    func garbageCollectUnrecorded() throws {
        let lab = try Lab("gcu")
        defer { lab.cleanup() }
        let keep = try lab.host.container("keep"), lost = try lab.host.container("lost")
        _ = try lab.host.attach(keep, config: lab.config(mappings: [mapping(8080, 80)]))
        _ = try lab.host.attach(lost, config: lab.config(mappings: [mapping(8081, 80), mapping(8053, 53, "udp")]))
        // As if the ADD had been killed after joining the firewall, before writing its record.
        try FileManager.default.removeItem(atPath: "\(lab.host.stateDir)/itnet/\(lost)@eth0.json")
        #expect(try lab.ruleset().contains("comment \"\(lost)/eth0\""))
        var config = lab.config(["cniVersion": "1.1.0"])
        config["cni.dev/valid-attachments"] = [["containerID": keep, "ifname": "eth0"]]
        let gc = try lab.host.cni("GC", container: nil, config: config)
        #expect(gc.status == 0, "\(gc.stdoutText)")
        let rules = try lab.ruleset()
        #expect(!rules.contains(lost) && !rules.contains("8081") && !rules.contains("8053"), "\(rules)")
        #expect(rules.contains("comment \"\(keep)/eth0\"") && rules.contains("chain net-itnet"), "\(rules)")
        let members = try FileManager.default.contentsOfDirectory(atPath: "\(lab.host.stateDir)/.firewall/itnet")
        #expect(members.filter { $0.hasPrefix("member.") } == ["member.\(keep)@eth0.json"])
    }

    /// Flows to the host's UDP ports `ports`, tracked and unanswered (no mapping yet).
    func staleFlows(_ lab: Lab, _ ports: [Int]) throws {
        for port in ports {
            _ = try lab.probe(from: lab.outside, "udp", Lab.hostV4, port, sourcePort: 40000 + port % 10000)
            #expect(try tracked(lab, port).contains("sport=\(40000 + port % 10000)"), "the flow to \(port) is tracked")
        }
    }

    func tracked(_ lab: Lab, _ port: Int) throws -> String {
        try lab.host.exec(lab.host.name, "conntrack -L -p udp --dport \(port) 2>/dev/null").stdoutText
    }

    /// A few ports are flushed one by one (the kernel filters by port); more than
    /// `portsFlushedOneByOne` are found by one dump. Either way only those flows go.
    @Test("UDP flows that reached host ports before they were mapped are forwarded once the mappings exist; flows to other ports stay tracked",
          arguments: [false, true])
    func staleConntrack(range: Bool) throws {
        let lab = try Lab(range ? "ctrange" : "ct")
        defer { lab.cleanup() }
        let container = try lab.host.container("c"), first = try lab.host.container("first")
        // Another container's network rules make the host track connections (nat hooks).
        _ = try lab.host.attach(first, config: lab.config())
        let mapped = range ? [8053, 8062] : [8053, 8054], unmapped = range ? 8063 : 8055
        try staleFlows(lab, mapped + [unmapped])
        let mappings = (0..<(range ? 10 : 2)).map { mapping(8053 + $0, 53, "udp") }
        _ = try lab.host.attach(container, config: lab.config(mappings: mappings))
        #expect(try tracked(lab, unmapped).contains("sport=\(40000 + unmapped % 10000)"), "a flow to an unmapped port was deleted")
        try lab.serve(in: container, port: 53)
        for port in mapped {
            #expect(try lab.probe(from: lab.outside, "udp", Lab.hostV4, port, sourcePort: 40000 + port % 10000)
                .hasPrefix("udp4 \(Lab.outsideV4) port \(40000 + port % 10000)"), "port \(port)")
        }
    }

    @Test("16 concurrent ADDs then DELs: distinct addresses, the network's rules exactly once, nothing left")
    func concurrentAddsAndDeletes() throws {
        let lab = try Lab("race16")
        defer { lab.cleanup() }
        let containers = try (0..<16).map { try lab.host.container("c\($0)") }
        func run(_ command: String, _ index: Int) throws -> RunningProcess {
            let stdin = try JSONSerialization.data(withJSONObject: lab.config(mappings: [mapping(8000 + index, 80)]),
                                                   options: [.withoutEscapingSlashes])
            return try TestRun.start(PrivateHost.ip, ["netns", "exec", lab.host.name, Binaries.pontoon],
                                     environment: ["CNI_COMMAND": command, "CNI_CONTAINERID": containers[index],
                                                   "CNI_NETNS": PrivateHost.path(containers[index]),
                                                   "CNI_IFNAME": "eth0", "CNI_PATH": "/usr/lib/cni"], stdin: stdin)
        }
        let adds = try (0..<16).map { try run("ADD", $0) }.map { $0.finish() }
        for add in adds { #expect(add.status == 0, "\(add.stdoutText)") }
        #expect(Set(adds.flatMap(\.addresses)).count == 32)
        let rules = try lab.ruleset()
        #expect(rules.components(separatedBy: "chain net-itnet").count == 2, "one network chain")
        #expect(rules.components(separatedBy: ": jump net-itnet").count == 3, "one element per subnet")
        #expect(rules.components(separatedBy: "comment \"").count - 1 == 32, "16 containers x 2 families")
        try lab.serve(in: containers[7], port: 80)
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.hostV4, 8007).hasPrefix("tcp4 "))

        let dels = try (0..<16).map { try run("DEL", $0) }.map { $0.finish() }
        for del in dels { #expect(del.status == 0, "\(del.stdoutText)") }
        let after = try lab.ruleset()
        #expect(!after.contains("itnet") && !after.contains("elements"), "\(after)")
        #expect(lab.host.records().isEmpty && lab.host.leases().isEmpty)
    }
}
