import NetAddress
@testable import Pontoon
import Testing

/// The iptables driver's rule text: what `iptables-restore` and `iptables -C` are given (the
/// traffic it carries is tested in IntegrationTests; the choice of driver in FirewallConfigTests).
@Suite("iptables rules")
struct IptablesRulesTests {
    @Test("the iptables kind makes the iptables driver")
    func driver() {
        #expect(FirewallKind.iptables.driver(stateDirectory: "/run/x").kind == .iptables)
    }

    @Test("chain names are stable, distinct per network and fit iptables' 28 characters")
    func chainNames() {
        let long = String(repeating: "n", count: 200)
        for name in ["podman", "a", long] {
            for chain in [IptablesRules.hostPortChain(name), IptablesRules.natChain(name), IptablesRules.forwardChain(name)] {
                #expect(chain.count <= 28, "\(chain)")
            }
        }
        // The names must not change between runs or releases, or a DEL would miss what an older
        // ADD made: FNV-1a, checked against its published value for "a" (0xaf63dc4c8601ec8c).
        #expect(IptablesRules.hash("a") == "af63dc4c86")
        #expect(IptablesRules.natChain("podman") == "PONTOON-NAT-\(IptablesRules.hash("podman"))")
        #expect(IptablesRules.hash("podman") != IptablesRules.hash("podman2"))
    }

    @Test("DNAT rules: one per port of a range, host IP or any local address, the attachment id as comment")
    func dnatRules() throws {
        let id = AttachmentID(containerID: "abc", ifName: "eth0")
        let any = FirewallAttachment.HostPort(hostIP: nil, hostPort: 8080, containerAddress: IPAddress("10.1.0.2")!,
                                              containerPort: 80, transport: .tcp, count: 2)
        let rules = IptablesRules.dnatRules(any, attachment: id, network: "net1")
        #expect(rules.map(\.text) == [
            "-m addrtype --dst-type LOCAL -p tcp -m tcp --dport 8080 -m comment --comment abc/eth0 -j DNAT --to-destination 10.1.0.2:80",
            "-m addrtype --dst-type LOCAL -p tcp -m tcp --dport 8081 -m comment --comment abc/eth0 -j DNAT --to-destination 10.1.0.2:81",
        ])
        #expect(rules.allSatisfy { $0.table == .nat && $0.chain == IptablesRules.hostPortChain("net1") })
        let bound = FirewallAttachment.HostPort(hostIP: IPAddress("2001:db8::1")!, hostPort: 53, containerAddress: IPAddress("fd00::2")!,
                                                containerPort: 5353, transport: .udp, count: 1)
        #expect(IptablesRules.dnatRules(bound, attachment: id, network: "net1").map(\.text) == [
            "-d 2001:db8::1/128 -p udp -m udp --dport 53 -m comment --comment abc/eth0 -j DNAT --to-destination [fd00::2]:5353",
        ])
    }

    @Test("a comment can never break out of its restore line")
    func safeComments() {
        #expect(IptablesRules.safe("id\n-A INPUT -j DROP \"x\"") == "id_-A_INPUT_-j_DROP__x_")
        #expect(IptablesRules.safe("0123abc/eth0") == "0123abc/eth0")
    }
}
