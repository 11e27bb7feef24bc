import Foundation
import Testing
import TestSupport

/// What traffic the firewall lets through, written once and run over each driver. The plugin runs
/// in a private host namespace, so nft and iptables there touch only that namespace.
@Suite("Firewall: masquerade and port mappings", needsRoot)
struct FirewallTrafficTests {
    @Test("masqueraded traffic reaches the outside with the host's source address (IPv4 and IPv6); ipMasqBackend picks the driver too", .firewallLab("masq"),
          arguments: FirewallDriverCase.allCases)
    func masquerade(driver: FirewallDriverCase) throws {
        let lab = try Lab.scoped()
        let container = try lab.host.container("c")
        let backend: [String: Any] = driver == .nftables ? [:] : ["ipMasqBackend": driver.rawValue]
        _ = try lab.host.attach(container, config: lab.config(backend))
        try lab.serve(in: lab.outside, port: 9000)
        #expect(try lab.probe(from: container, "tcp", Lab.outsideV4, 9000).hasPrefix("tcp4 \(Lab.hostV4) "))
        #expect(try lab.probe(from: container, "udp", Lab.outsideV4, 9000).hasPrefix("udp4 \(Lab.hostV4) "))
        #expect(try lab.probe(from: container, "tcp", Lab.outsideV6, 9000).hasPrefix("tcp6 \(Lab.hostV6) "))
        #expect(try lab.probe(from: container, "udp", Lab.outsideV6, 9000).hasPrefix("udp6 \(Lab.hostV6) "))
        if driver == .iptables {
            let rules = try driver.rules(lab)
            #expect(rules.contains("-A POSTROUTING -m comment --comment pontoon -j PONTOON-POSTROUTING"), "\(rules)")
            #expect(rules.contains("-s 10.99.0.0/24 -m comment --comment \"network:itnet\" -j PONTOON-NAT-"), "\(rules)")
            #expect(rules.contains("-s fd99::/64 -m comment --comment \"network:itnet\" -j PONTOON-NAT-"), "\(rules)")
            #expect(!(try lab.ruleset().contains("table inet pontoon")), "the nftables driver wrote nothing")
        }
    }

    @Test("without ipMasq the outside sees nothing (it has no route back), STATUS is ready, the network's other rules are in place", .firewallLab("nomasq"),
          arguments: FirewallDriverCase.allCases)
    func noMasquerade(driver: FirewallDriverCase) throws {
        let lab = try Lab.scoped()
        let container = try lab.host.container("c")
        _ = try lab.host.attach(container, config: driver.config(lab, ["ipMasq": false]))
        try lab.serve(in: lab.outside, port: 9000)
        #expect(try lab.probe(from: container, "tcp", Lab.outsideV4, 9000) == "")
        var status = driver.config(lab, ["cniVersion": "1.1.0"])
        status.removeValue(forKey: "runtimeConfig")
        let ready = try lab.host.cni("STATUS", container: nil, config: status)
        #expect(ready.status == 0, "STATUS: \(ready.stdoutText)")
        let rules = try driver.rules(lab)
        switch driver {
        case .nftables:
            #expect(rules.contains("chain net-itnet"))
            #expect(!rules.contains("meta nfproto ipv4 masquerade"), "only the hairpin masquerade: \(rules)")
        case .iptables:
            #expect(rules.contains("--ctstate DNAT -j MASQUERADE"), "the hairpin masquerade: \(rules)")
            #expect(!rules.contains("-j RETURN"), "no masquerade of leaving traffic: \(rules)")
        }
    }

    @Test("TCP and UDP mapped ports answer from outside, 127.0.0.1, a neighbour and the container itself (hairpin)", .firewallLab("ports"),
          arguments: FirewallDriverCase.allCases)
    func mappedPorts(driver: FirewallDriverCase) throws {
        let lab = try Lab.scoped()
        let server = try lab.host.container("srv"), neighbour = try lab.host.container("nb")
        let add = try lab.host.attach(server, config: driver.config(lab, mappings: [mapping(8080, 80), mapping(8053, 53, "udp")]))
        _ = try lab.host.attach(neighbour, config: driver.config(lab))
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
        #expect(try lab.probe(from: lab.host.name, "tcp", "127.0.0.1", 8080).hasPrefix("tcp4 10.99.0.1 "))
        #expect(try lab.probe(from: lab.host.name, "udp", "127.0.0.1", 8053).hasPrefix("udp4 10.99.0.1 "))
        #expect(try lab.probe(from: lab.host.name, "tcp", Lab.hostV6, 8080).hasPrefix("tcp6 "))

        // From a neighbour on the bridge and from the container itself: masqueraded, so replies
        // return through the host.
        for client in [neighbour, server] {
            #expect(try lab.probe(from: client, "tcp", Lab.hostV4, 8080).hasPrefix("tcp4 10.99.0.1 "), "from \(client)")
            #expect(try lab.probe(from: client, "udp", Lab.hostV4, 8053).hasPrefix("udp4 10.99.0.1 "), "from \(client)")
            #expect(try lab.probe(from: client, "tcp", Lab.hostV6, 8080).hasPrefix("tcp6 fd99::1 "), "from \(client)")
        }
        // An unmapped port is not forwarded.
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.hostV4, 8081) == "")
        #expect(hostPortClaims(lab) == ["ipv4-tcp-any-8080", "ipv4-udp-any-8053", "ipv6-tcp-any-8080", "ipv6-udp-any-8053"])
    }

    @Test("a mapping bound to one host IP answers there and not on the host's other address", .firewallLab("hostip"),
          arguments: FirewallDriverCase.allCases)
    func boundHostIP(driver: FirewallDriverCase) throws {
        let lab = try Lab.scoped()
        let container = try lab.host.container("c")
        _ = try lab.host.attach(container, config: driver.config(lab, mappings: [
            mapping(8080, 80, hostIP: Lab.hostV4), mapping(8080, 80, hostIP: Lab.hostV6),
        ]))
        try lab.serve(in: container, port: 80)
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.hostV4, 8080).hasPrefix("tcp4 "))
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.otherHostV4, 8080) == "")
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.hostV6, 8080).hasPrefix("tcp6 "))
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.otherHostV6, 8080) == "")
    }

    @Test("a host port already mapped is refused (106, naming it, in the same words on every driver) and nothing is changed", .firewallLab("taken"),
          arguments: FirewallDriverCase.allCases)
    func takenPort(driver: FirewallDriverCase) throws {
        let lab = try Lab.scoped()
        let first = try lab.host.container("a"), second = try lab.host.container("b")
        _ = try lab.host.attach(first, config: driver.config(lab, mappings: [mapping(8080, 80)]))
        let rulesBefore = try driver.rules(lab), claimsBefore = hostPortClaims(lab)
        let leasesBefore = lab.host.leases(), recordsBefore = lab.host.records(), linksBefore = try lab.host.linkNames(lab.host.name)
        let refused = try lab.host.cni("ADD", container: second, config: driver.config(lab, mappings: [mapping(9090, 90), mapping(8080, 80)]))
        #expect(refused.errorCode == 106, "\(refused.stdoutText)")
        #expect(refused.errorMessage == "host port 8080/tcp on 0.0.0.0 is already mapped to another container", "\(refused.stdoutText)")
        #expect(refused.stderr.isEmpty)
        #expect(try driver.rules(lab) == rulesBefore)
        #expect(hostPortClaims(lab) == claimsBefore, "the 9090 claim made before the refusal is gone again")
        #expect(lab.host.leases() == leasesBefore && lab.host.records() == recordsBefore)
        #expect(try lab.host.linkNames(lab.host.name) == linksBefore)
        #expect(try lab.host.linkNames(second) == ["lo"])
        // The same port on another protocol is free.
        _ = try lab.host.attach(second, config: driver.config(lab, mappings: [mapping(8080, 80, "udp")]))
    }
}
