import Foundation
import Testing
import TestSupport

/// Tests run on the nftables driver alone: its base written once per table, GC of a member that
/// has no record yet, and conntrack entries flushed for newly mapped UDP ports.
@Suite("Firewall: what is particular to nftables", needsRoot)
struct NftablesFirewallTests {
    /// `nft -a list chain` of a base chain: its rules with their handles.
    func baseChain(_ lab: Lab, _ chain: String) throws -> String {
        try lab.host.exec(lab.host.name, "nft -a list chain inet pontoon \(chain)").stdoutText
    }

    @Test("a network's first container leaves a complete base as it is (same rule handles); without the marker (an older Pontoon's table) or after a flushed table the base is written again, and traffic flows", .firewallLab("base"))
    func baseWrittenOnce() throws {
        let lab = try Lab.scoped()
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

    @Test("GC removes the mappings of a member with neither a record nor a place in the valid list (its ADD killed before the record)", .firewallLab("gcu"))
    func garbageCollectUnrecorded() throws {
        let lab = try Lab.scoped()
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
}
