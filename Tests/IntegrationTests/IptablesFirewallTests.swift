import Foundation
import Testing
import TestSupport

/// The nftables traffic tests again with `"firewall": "iptables"`, plus what is particular to the
/// iptables driver: its chains, its host-port claims, `iptables -F` instead of `nft flush ruleset`.
/// The plugin runs in a private host namespace, so iptables there touches only that namespace.
@Suite("Firewall: masquerade and port mappings over iptables", needsRoot)
struct IptablesFirewallTests {
    func config(_ lab: Lab, mappings: [[String: Any]] = [], _ extra: [String: Any] = [:]) -> [String: Any] {
        lab.config(mappings: mappings, ["firewall": "iptables"].merging(extra) { _, new in new })
    }

    /// Both families' iptables rulesets, without the save tool's timestamp comments.
    func rules(_ lab: Lab) throws -> String {
        let text = try lab.host.exec(lab.host.name, "iptables-save && ip6tables-save").stdoutText
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.joined(separator: "\n")
    }

    /// The host-port claim files, as `<family>-<protocol>-<address>-<port>`.
    func claims(_ lab: Lab) -> [String] { hostPortClaims(lab) }

    @Test("masqueraded traffic reaches the outside with the host's source address; ipMasqBackend picks the driver too")
    func masquerade() throws {
        let lab = try Lab("ipt-masq")
        defer { lab.cleanup() }
        let container = try lab.host.container("c")
        _ = try lab.host.attach(container, config: lab.config(["ipMasqBackend": "iptables"]))
        try lab.serve(in: lab.outside, port: 9000)
        #expect(try lab.probe(from: container, "tcp", Lab.outsideV4, 9000).hasPrefix("tcp4 \(Lab.hostV4) "))
        #expect(try lab.probe(from: container, "udp", Lab.outsideV4, 9000).hasPrefix("udp4 \(Lab.hostV4) "))
        #expect(try lab.probe(from: container, "tcp", Lab.outsideV6, 9000).hasPrefix("tcp6 \(Lab.hostV6) "))
        #expect(try lab.probe(from: container, "udp", Lab.outsideV6, 9000).hasPrefix("udp6 \(Lab.hostV6) "))
        let rules = try rules(lab)
        #expect(rules.contains("-A POSTROUTING -m comment --comment pontoon -j PONTOON-POSTROUTING"), "\(rules)")
        #expect(rules.contains("-s 10.99.0.0/24 -m comment --comment \"network:itnet\" -j PONTOON-NAT-"), "\(rules)")
        #expect(rules.contains("-s fd99::/64 -m comment --comment \"network:itnet\" -j PONTOON-NAT-"), "\(rules)")
        #expect(!(try lab.ruleset().contains("table inet pontoon")), "the nftables driver wrote nothing")
    }

    @Test("without ipMasq the outside sees nothing, the network's other rules are in place")
    func noMasquerade() throws {
        let lab = try Lab("ipt-nomasq")
        defer { lab.cleanup() }
        let container = try lab.host.container("c")
        _ = try lab.host.attach(container, config: config(lab, ["ipMasq": false]))
        try lab.serve(in: lab.outside, port: 9000)
        #expect(try lab.probe(from: container, "tcp", Lab.outsideV4, 9000) == "")
        var status = config(lab, ["cniVersion": "1.1.0"])
        status.removeValue(forKey: "runtimeConfig")
        let ready = try lab.host.cni("STATUS", container: nil, config: status)
        #expect(ready.status == 0, "STATUS: \(ready.stdoutText)")
        let rules = try rules(lab)
        #expect(rules.contains("--ctstate DNAT -j MASQUERADE"), "the hairpin masquerade: \(rules)")
        #expect(!rules.contains("-j RETURN"), "no masquerade of leaving traffic: \(rules)")
    }

    @Test("TCP and UDP mapped ports answer from outside, 127.0.0.1, a neighbour and the container itself (hairpin)")
    func mappedPorts() throws {
        let lab = try Lab("ipt-ports")
        defer { lab.cleanup() }
        let server = try lab.host.container("srv"), neighbour = try lab.host.container("nb")
        _ = try lab.host.attach(server, config: config(lab, mappings: [mapping(8080, 80), mapping(8053, 53, "udp")]))
        _ = try lab.host.attach(neighbour, config: config(lab))
        try lab.serve(in: server, port: 80)
        try lab.serve(in: server, port: 53)

        #expect(try lab.probe(from: lab.outside, "tcp", Lab.hostV4, 8080).hasPrefix("tcp4 \(Lab.outsideV4) "))
        #expect(try lab.probe(from: lab.outside, "udp", Lab.hostV4, 8053).hasPrefix("udp4 \(Lab.outsideV4) "))
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.hostV6, 8080).hasPrefix("tcp6 \(Lab.outsideV6) "))
        #expect(try lab.probe(from: lab.outside, "udp", Lab.hostV6, 8053).hasPrefix("udp6 \(Lab.outsideV6) "))
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.otherHostV4, 8080).hasPrefix("tcp4 "))

        #expect(try lab.probe(from: lab.host.name, "tcp", "127.0.0.1", 8080).hasPrefix("tcp4 10.99.0.1 "))
        #expect(try lab.probe(from: lab.host.name, "udp", "127.0.0.1", 8053).hasPrefix("udp4 10.99.0.1 "))
        #expect(try lab.probe(from: lab.host.name, "tcp", Lab.hostV6, 8080).hasPrefix("tcp6 "))

        for client in [neighbour, server] {
            #expect(try lab.probe(from: client, "tcp", Lab.hostV4, 8080).hasPrefix("tcp4 10.99.0.1 "), "from \(client)")
            #expect(try lab.probe(from: client, "udp", Lab.hostV4, 8053).hasPrefix("udp4 10.99.0.1 "), "from \(client)")
            #expect(try lab.probe(from: client, "tcp", Lab.hostV6, 8080).hasPrefix("tcp6 fd99::1 "), "from \(client)")
        }
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.hostV4, 8081) == "")
        #expect(claims(lab) == ["ipv4-tcp-any-8080", "ipv4-udp-any-8053", "ipv6-tcp-any-8080", "ipv6-udp-any-8053"])
    }

    @Test("a mapping bound to one host IP answers there and not on the host's other address")
    func boundHostIP() throws {
        let lab = try Lab("ipt-hostip")
        defer { lab.cleanup() }
        let container = try lab.host.container("c")
        _ = try lab.host.attach(container, config: config(lab, mappings: [
            mapping(8080, 80, hostIP: Lab.hostV4), mapping(8080, 80, hostIP: Lab.hostV6),
        ]))
        try lab.serve(in: container, port: 80)
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.hostV4, 8080).hasPrefix("tcp4 "))
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.otherHostV4, 8080) == "")
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.hostV6, 8080).hasPrefix("tcp6 "))
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.otherHostV6, 8080) == "")
    }

    @Test("a host port already mapped is refused (106, as nftables words it) and nothing is changed")
    func takenPort() throws {
        let lab = try Lab("ipt-taken")
        defer { lab.cleanup() }
        let first = try lab.host.container("a"), second = try lab.host.container("b")
        _ = try lab.host.attach(first, config: config(lab, mappings: [mapping(8080, 80)]))
        let rulesBefore = try rules(lab), claimsBefore = claims(lab)
        let leasesBefore = lab.host.leases(), recordsBefore = lab.host.records(), linksBefore = try lab.host.linkNames(lab.host.name)
        let refused = try lab.host.cni("ADD", container: second, config: config(lab, mappings: [mapping(9090, 90), mapping(8080, 80)]))
        #expect(refused.errorCode == 106, "\(refused.stdoutText)")
        #expect(refused.errorMessage == "host port 8080/tcp on 0.0.0.0 is already mapped to another container", "\(refused.stdoutText)")
        #expect(refused.stderr.isEmpty)
        #expect(try rules(lab) == rulesBefore)
        #expect(claims(lab) == claimsBefore, "the 9090 claim made before the refusal is gone again")
        #expect(lab.host.leases() == leasesBefore && lab.host.records() == recordsBefore)
        #expect(try lab.host.linkNames(lab.host.name) == linksBefore)
        #expect(try lab.host.linkNames(second) == ["lo"])
        // The same port on another protocol is free.
        _ = try lab.host.attach(second, config: config(lab, mappings: [mapping(8080, 80, "udp")]))
    }

    @Test("DEL removes exactly its container's rules (also with the netns gone, also twice); the last DEL leaves none of pontoon's chains")
    func deleteLeavesNothing() throws {
        let lab = try Lab("ipt-del")
        defer { lab.cleanup() }
        let a = try lab.host.container("a"), b = try lab.host.container("b")
        let configA = config(lab, mappings: [mapping(8080, 80), mapping(8053, 53, "udp")])
        _ = try lab.host.attach(a, config: configA)
        _ = try lab.host.attach(b, config: config(lab, mappings: [mapping(8081, 80)]))
        try lab.serve(in: b, port: 80)
        #expect(try rules(lab).contains("--comment \"\(a)/eth0\" -j DNAT"))

        #expect(try lab.host.cni("DEL", container: a, config: configA).status == 0)
        var rules = try rules(lab)
        #expect(!rules.contains(a), "nothing of \(a) is left:\n\(rules)")
        #expect(rules.contains("--comment \"\(b)/eth0\" -j DNAT"))
        #expect(claims(lab) == ["ipv4-tcp-any-8081", "ipv6-tcp-any-8081"])
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.hostV4, 8081).hasPrefix("tcp4 "), "the other container still answers")
        let again = try lab.host.cni("DEL", container: a, config: configA)
        #expect(again.status == 0, "a second DEL succeeds: \(again.stdoutText)")

        try lab.host.delete(b)
        let lastDel = try lab.host.cni("DEL", container: b, config: config(lab))
        #expect(lastDel.status == 0, "\(lastDel.stdoutText)")
        rules = try self.rules(lab)
        #expect(!rules.contains("PONTOON") && !rules.contains("pontoon"), "none of pontoon's chains or rules is left:\n\(rules)")
        #expect(claims(lab).isEmpty)
        #expect(try lab.host.cni("DEL", container: b, config: config(lab)).status == 0)
        #expect(lab.host.records().isEmpty && lab.host.leases().isEmpty)
    }

    @Test("iptables -F (and nft flush ruleset), then firewall-reload restores every mapping; reloading again changes nothing")
    func flushAndReload() throws {
        let lab = try Lab("ipt-reload")
        defer { lab.cleanup() }
        let a = try lab.host.container("a"), b = try lab.host.container("b")
        _ = try lab.host.attach(a, config: config(lab, mappings: [mapping(8080, 80)]))
        _ = try lab.host.attach(b, config: config(lab, mappings: [mapping(8081, 80), mapping(8053, 53, "udp")]))
        try lab.serve(in: a, port: 80)
        try lab.serve(in: b, port: 80)
        try lab.serve(in: b, port: 53)
        let intact = try rules(lab)

        for flush in ["for t in iptables ip6tables; do $t -t nat -F && $t -t filter -F || exit 1; done", "nft flush ruleset"] {
            try lab.host.exec(lab.host.name, flush)
            #expect(try lab.probe(from: lab.outside, "tcp", Lab.hostV4, 8080) == "", "after \(flush)")
            let reload = try lab.reload()
            #expect(reload.status == 0, "\(reload.stdoutText)")
            #expect(reload.stdoutText == "reloaded 1 networks, 2 attachments\n")
            #expect(reload.stderr.isEmpty)
            #expect(try lab.probe(from: lab.outside, "tcp", Lab.hostV4, 8080).hasPrefix("tcp4 "), "after \(flush)")
            #expect(try lab.probe(from: lab.outside, "tcp", Lab.hostV6, 8081).hasPrefix("tcp6 "), "after \(flush)")
            #expect(try lab.probe(from: lab.outside, "udp", Lab.hostV4, 8053).hasPrefix("udp4 "), "after \(flush)")
            let restored = try rules(lab)
            #expect(Set(restored.split(separator: "\n")) == Set(intact.split(separator: "\n")), "after \(flush):\n\(restored)\n---\n\(intact)")
            #expect(try lab.reload().status == 0)
            #expect(try rules(lab) == restored, "a second reload changes nothing")
        }
        // Flushed and never reloaded: the DELs still remove every chain of pontoon's.
        try lab.host.exec(lab.host.name, "iptables -t nat -F && ip6tables -t filter -F")
        for container in [a, b] {
            let del = try lab.host.cni("DEL", container: container, config: config(lab))
            #expect(del.status == 0, "\(del.stdoutText)")
        }
        let left = try rules(lab)
        #expect(!left.contains("PONTOON") && !left.contains("pontoon"), "\(left)")
        #expect(claims(lab).isEmpty)
    }

    @Test("CHECK verifies the mappings: passes after ADD, names a mapping someone deleted (105)")
    func checkMappings() throws {
        let lab = try Lab("ipt-check")
        defer { lab.cleanup() }
        let container = try lab.host.container("c")
        var config = config(lab, mappings: [mapping(8080, 80)])
        let add = try lab.host.attach(container, config: config)
        config["prevResult"] = add.json
        let ok = try lab.host.cni("CHECK", container: container, config: config)
        #expect(ok.status == 0, "\(ok.stdoutText)")
        let chain = try rules(lab).split(separator: "\n").first { $0.contains("--dport 8080") && $0.contains("10.99.0.2") }
        let rule = try #require(chain).replacingOccurrences(of: "-A ", with: "-D ")
        #expect(try lab.host.exec(lab.host.name, "iptables -t nat \(rule)").status == 0)
        let broken = try lab.host.cni("CHECK", container: container, config: config)
        #expect(broken.errorCode == 105)
        #expect(broken.errorMessage == "host port 8080/tcp on 0.0.0.0 is not mapped, expected 10.99.0.2 port 80", "\(broken.stdoutText)")
        // DEL copes with the rule someone else removed.
        #expect(try lab.host.cni("DEL", container: container, config: config).status == 0)
        #expect(!(try rules(lab)).contains("PONTOON"))
    }

    @Test("GC removes the rules and claims of attachments not in the valid list and keeps the others'")
    func garbageCollect() throws {
        let lab = try Lab("ipt-gc")
        defer { lab.cleanup() }
        let keep = try lab.host.container("keep"), drop = try lab.host.container("drop")
        _ = try lab.host.attach(keep, config: config(lab, mappings: [mapping(8080, 80)]))
        _ = try lab.host.attach(drop, config: config(lab, mappings: [mapping(8081, 80)]))
        var config = config(lab, ["cniVersion": "1.1.0"])
        config["cni.dev/valid-attachments"] = [["containerID": keep, "ifname": "eth0"]]
        let gc = try lab.host.cni("GC", container: nil, config: config)
        #expect(gc.status == 0, "\(gc.stdoutText)")
        let rules = try rules(lab)
        #expect(!rules.contains(drop) && rules.contains("--comment \"\(keep)/eth0\""), "\(rules)")
        #expect(claims(lab) == ["ipv4-tcp-any-8080", "ipv6-tcp-any-8080"])
    }

    @Test("16 concurrent ADDs then DELs: distinct addresses, the network's rules exactly once, nothing left")
    func concurrentAddsAndDeletes() throws {
        let lab = try Lab("ipt-race16")
        defer { lab.cleanup() }
        let containers = try (0..<16).map { try lab.host.container("c\($0)") }
        func run(_ command: String, _ index: Int) throws -> RunningProcess {
            let stdin = try JSONSerialization.data(withJSONObject: config(lab, mappings: [mapping(8000 + index, 80)]),
                                                   options: [.withoutEscapingSlashes])
            return try TestRun.start(PrivateHost.ip, ["netns", "exec", lab.host.name, Binaries.pontoon],
                                     environment: ["CNI_COMMAND": command, "CNI_CONTAINERID": containers[index],
                                                   "CNI_NETNS": PrivateHost.path(containers[index]),
                                                   "CNI_IFNAME": "eth0", "CNI_PATH": "/usr/lib/cni"], stdin: stdin)
        }
        let adds = try (0..<16).map { try run("ADD", $0) }.map { $0.finish() }
        for add in adds { #expect(add.status == 0, "\(add.stdoutText)") }
        #expect(Set(adds.flatMap(\.addresses)).count == 32)
        let rules = try rules(lab)
        for subnet in ["10.99.0.0/24", "fd99::/64"] {
            #expect(rules.components(separatedBy: "-A PONTOON-POSTROUTING -s \(subnet)").count - 1 == 1, "one jump for \(subnet):\n\(rules)")
            #expect(rules.components(separatedBy: "-A PONTOON-FORWARD -d \(subnet)").count - 1 == 1, "one jump for \(subnet)")
        }
        #expect(rules.components(separatedBy: "-A PREROUTING").count - 1 == 2, "one base jump per family")
        #expect(rules.components(separatedBy: "-j DNAT").count - 1 == 32, "16 containers x 2 families")
        try lab.serve(in: containers[7], port: 80)
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.hostV4, 8007).hasPrefix("tcp4 "))

        let dels = try (0..<16).map { try run("DEL", $0) }.map { $0.finish() }
        for del in dels { #expect(del.status == 0, "\(del.stdoutText)") }
        #expect(!(try self.rules(lab)).contains("PONTOON"))
        #expect(claims(lab).isEmpty)
        #expect(lab.host.records().isEmpty && lab.host.leases().isEmpty)
    }
}
