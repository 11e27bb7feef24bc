import Foundation
import Testing
import TestSupport

/// Host-port edge cases: one host IP against every address, IPv6 loopback, the first IPv6 SYN.
@Suite("Firewall: host-port edge cases", needsRoot)
struct FirewallHostPortTests {
    @Test("a host port on one host IP and on every address: the second is refused (106, naming the port), nothing changed",
          arguments: FirewallDriverCase.allCases, [true, false])
    func specificThenAny(driver: FirewallDriverCase, specificFirst: Bool) throws {
        let lab = try Lab("conf\(driver.rawValue.prefix(2))\(specificFirst ? 1 : 0)")
        defer { lab.cleanup() }
        let first = try lab.host.container("a"), second = try lab.host.container("b")
        let specific = [mapping(8080, 80, hostIP: Lab.hostV4)], any = [mapping(8080, 80, hostIP: "0.0.0.0")]
        _ = try lab.host.attach(first, config: lab.config(mappings: specificFirst ? specific : any, ["firewall": driver.rawValue]))
        try lab.serve(in: first, port: 80)
        let rulesBefore = try driver.rules(lab), claimsBefore = hostPortClaims(lab)
        let leasesBefore = lab.host.leases(), recordsBefore = lab.host.records()

        let config = lab.config(mappings: [mapping(9090, 90)] + (specificFirst ? any : specific), ["firewall": driver.rawValue])
        let refused = try lab.host.cni("ADD", container: second, config: config)
        #expect(refused.errorCode == 106, "\(refused.stdoutText)")
        let named = specificFirst ? "host port 8080/tcp on 0.0.0.0" : "host port 8080/tcp on \(Lab.hostV4)"
        #expect(refused.errorMessage == "\(named) is already mapped to another container", "\(refused.stdoutText)")
        #expect(try driver.rules(lab) == rulesBefore)
        #expect(hostPortClaims(lab) == claimsBefore)
        #expect(lab.host.leases() == leasesBefore && lab.host.records() == recordsBefore)
        #expect(try lab.host.linkNames(second) == ["lo"])
        // The first still answers; another host IP of the same family alone is free.
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.hostV4, 8080).hasPrefix("tcp4 "))
        if specificFirst {
            _ = try lab.host.attach(second, config: lab.config(mappings: [mapping(8080, 80, hostIP: Lab.otherHostV4)], ["firewall": driver.rawValue]))
            try lab.serve(in: second, port: 80)
            #expect(try lab.probe(from: lab.outside, "tcp", Lab.otherHostV4, 8080).hasPrefix("tcp4 "))
            #expect(try lab.host.cni("DEL", container: second, config: config).status == 0)
        }
        // Once the first is gone, the other kind is free.
        #expect(try lab.host.cni("DEL", container: first, config: lab.config(["firewall": driver.rawValue])).status == 0)
        #expect(hostPortClaims(lab).isEmpty, "\(hostPortClaims(lab))")
        _ = try lab.host.attach(second, config: lab.config(mappings: specificFirst ? any : specific, ["firewall": driver.rawValue]))
    }

    /// SYNs the namespace's TCP had to send again (the kernel's own counter, not a clock).
    func synRetransmits(_ lab: Lab, in namespace: String) throws -> Int {
        let text = try lab.host.exec(namespace, "nstat -saz TcpExtTCPSynRetrans").stdoutText
        let line = text.split(separator: "\n").first { $0.hasPrefix("TcpExtTCPSynRetrans") } ?? ""
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? -1
    }

    @Test("the first IPv6 SYN to a mapped port on a fresh network is answered, not retransmitted (the bridge does no DAD)",
          arguments: FirewallDriverCase.allCases)
    func firstIPv6Syn(driver: FirewallDriverCase) throws {
        let lab = try Lab("syn6\(driver.rawValue.prefix(2))")
        defer { lab.cleanup() }
        let container = try lab.host.container("c")
        _ = try lab.host.attach(container, config: lab.config(mappings: [mapping(8080, 80)], ["firewall": driver.rawValue]))
        try lab.serve(in: container, port: 80)
        let linkLocal = try lab.host.exec(lab.host.name, "ip -6 addr show dev pt0 scope link").stdoutText
        #expect(!linkLocal.contains("tentative"), "the bridge's link-local address is usable at once: \(linkLocal)")
        let before = try synRetransmits(lab, in: lab.outside)
        #expect(before >= 0)
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.hostV6, 8080).hasPrefix("tcp6 \(Lab.outsideV6) "))
        #expect(try synRetransmits(lab, in: lab.outside) == before, "no SYN was lost")
    }

    @Test("[::1]:hostPort is not forwarded (IPv6 has no route_localnet: the kernel drops the reply addressed to ::1 arriving on the bridge); 127.0.0.1 and the host's IPv6 address are")
    func ipv6Loopback() throws {
        let lab = try Lab("loop6")
        defer { lab.cleanup() }
        let container = try lab.host.container("c")
        _ = try lab.host.attach(container, config: lab.config(mappings: [mapping(8080, 80)]))
        try lab.serve(in: container, port: 80)
        #expect(try lab.probe(from: lab.host.name, "tcp", "127.0.0.1", 8080).hasPrefix("tcp4 10.99.0.1 "))
        #expect(try lab.probe(from: lab.host.name, "tcp", Lab.hostV6, 8080).hasPrefix("tcp6 "))
        // If a kernel ever delivers it, this fails and the README's note must change.
        #expect(try lab.probe(from: lab.host.name, "tcp", "::1", 8080) == "")
    }
}
