import Foundation
import Testing
import TestSupport

/// Someone flushes the firewall (a distribution's firewall service, an admin): firewall-reload, or
/// a runtime's DEL and ADD, must bring every rule back. Written once, run over each driver.
@Suite("Firewall: flushed rules come back", needsRoot)
struct FirewallReloadTests {
    /// The flushes each driver must survive: its own tool's, and nft's, which takes iptables-nft's
    /// rules with it.
    func flushes(_ driver: FirewallDriverCase) -> [String] {
        switch driver {
        case .nftables: return ["nft flush ruleset"]
        case .iptables: return ["for t in iptables ip6tables; do $t -t nat -F && $t -t filter -F || exit 1; done", "nft flush ruleset"]
        }
    }

    @Test("a flush (nft flush ruleset; iptables -F too), then firewall-reload restores every mapping; reloading again changes nothing", .firewallLab("reload"),
          arguments: FirewallDriverCase.allCases)
    func flushAndReload(driver: FirewallDriverCase) throws {
        let lab = try Lab.scoped()
        let a = try lab.host.container("a"), b = try lab.host.container("b")
        _ = try lab.host.attach(a, config: driver.config(lab, mappings: [mapping(8080, 80)]))
        _ = try lab.host.attach(b, config: driver.config(lab, mappings: [mapping(8081, 80), mapping(8053, 53, "udp")]))
        try lab.serve(in: a, port: 80)
        try lab.serve(in: b, port: 80)
        try lab.serve(in: b, port: 53)
        let intact = try driver.rules(lab)

        for flush in flushes(driver) {
            try lab.host.exec(lab.host.name, flush)
            #expect(try lab.probe(from: lab.outside, "tcp", Lab.hostV4, 8080) == "", "after \(flush)")
            let reload = try lab.reload()
            #expect(reload.status == 0, "\(reload.stdoutText)")
            #expect(reload.stdoutText == "reloaded 1 networks, 2 attachments\n")
            #expect(reload.stderr.isEmpty)
            #expect(try lab.probe(from: lab.outside, "tcp", Lab.hostV4, 8080).hasPrefix("tcp4 "), "after \(flush)")
            let v6 = try lab.probe(from: lab.outside, "tcp", Lab.hostV6, 8081)
            let state = try lab.ruleset() + lab.host.exec(lab.host.name, "ip -6 neigh; ip -6 route; conntrack -L -f ipv6").stdoutText
            #expect(v6.hasPrefix("tcp6 "), "after \(flush): \(v6) \(state)")
            #expect(try lab.probe(from: lab.outside, "udp", Lab.hostV4, 8053).hasPrefix("udp4 "), "after \(flush)")
            let restored = try driver.rules(lab)
            switch driver {
            case .nftables:
                #expect(restored.count == intact.count, "the restored ruleset has the original's shape")
            case .iptables:
                #expect(Set(restored.split(separator: "\n")) == Set(intact.split(separator: "\n")), "after \(flush):\n\(restored)\n---\n\(intact)")
            }
            #expect(try lab.reload().status == 0)
            #expect(try driver.rules(lab) == restored, "a second reload changes nothing")
        }
        guard driver == .iptables else { return }
        // Flushed and never reloaded: the DELs still remove every chain of pontoon's.
        try lab.host.exec(lab.host.name, "iptables -t nat -F && ip6tables -t filter -F")
        for container in [a, b] {
            let del = try lab.host.cni("DEL", container: container, config: driver.config(lab))
            #expect(del.status == 0, "\(del.stdoutText)")
        }
        let left = try driver.rules(lab)
        #expect(driver.nothingOfNetwork(left), "\(left)")
        #expect(hostPortClaims(lab).isEmpty)
    }

    @Test("nft flush ruleset, then a runtime's reload of one container (DEL, ADD) while others stay, with host ports or without: the network's rules, its masquerade and the mapping come back", .firewallLab("readd"),
          arguments: FirewallDriverCase.allCases)
    func flushThenReaddOneOfTwo(driver: FirewallDriverCase) throws {
        let lab = try Lab.scoped()
        // The driver named outright, nftables too, where the other tests leave the default unnamed.
        func config(_ mappings: [[String: Any]] = []) -> [String: Any] { lab.config(mappings: mappings, ["firewall": driver.rawValue]) }
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
}
