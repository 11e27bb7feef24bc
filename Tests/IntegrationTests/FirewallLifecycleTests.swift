import Foundation
import Testing
import TestSupport

/// A container's rules through DEL, CHECK, GC and concurrent ADDs, written once and run over each
/// driver.
@Suite("Firewall: DEL, CHECK, GC and concurrency", needsRoot)
struct FirewallLifecycleTests {
    @Test("DEL removes exactly its container's mappings and claims (also with the netns gone, also twice); the last DEL removes the network's rules", .firewallLab("del"),
          arguments: FirewallDriverCase.allCases)
    func deleteLeavesNothing(driver: FirewallDriverCase) throws {
        let lab = try Lab.scoped()
        let a = try lab.host.container("a"), b = try lab.host.container("b")
        let configA = driver.config(lab, mappings: [mapping(8080, 80), mapping(8053, 53, "udp")])
        _ = try lab.host.attach(a, config: configA)
        _ = try lab.host.attach(b, config: driver.config(lab, mappings: [mapping(8081, 80)]))
        try lab.serve(in: b, port: 80)
        #expect(try driver.rules(lab).contains(driver.mappingMark(a)))

        #expect(try lab.host.cni("DEL", container: a, config: configA).status == 0)
        var rules = try driver.rules(lab)
        #expect(!rules.contains(a), "nothing of \(a) is left:\n\(rules)")
        #expect(rules.contains(driver.mappingMark(b)))
        #expect(hostPortClaims(lab) == ["ipv4-tcp-any-8081", "ipv6-tcp-any-8081"])
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.hostV4, 8081).hasPrefix("tcp4 "), "the other container still answers")
        let again = try lab.host.cni("DEL", container: a, config: configA)
        #expect(again.status == 0, "a second DEL succeeds: \(again.stdoutText)")

        // The last container's namespace is gone before its DEL: the record says what to remove.
        try lab.host.delete(b)
        let lastDel = try lab.host.cni("DEL", container: b, config: driver.config(lab))
        #expect(lastDel.status == 0, "\(lastDel.stdoutText)")
        rules = try driver.rules(lab)
        #expect(driver.nothingOfNetwork(rules), "nothing of the network is left:\n\(rules)")
        #expect(!rules.contains(b))
        #expect(hostPortClaims(lab).isEmpty)
        #expect(try lab.host.cni("DEL", container: b, config: driver.config(lab)).status == 0)
        #expect(lab.host.records().isEmpty && lab.host.leases().isEmpty)
    }

    /// Removes the 8080 mapping behind the plugin's back, the way each driver's own tool would.
    func deleteMapping(_ lab: Lab, driver: FirewallDriverCase) throws {
        switch driver {
        case .nftables:
            try lab.host.exec(lab.host.name, "nft delete element inet pontoon hostports4_any '{ tcp . 8080 }'")
        case .iptables:
            let chain = try driver.rules(lab).split(separator: "\n").first { $0.contains("--dport 8080") && $0.contains("10.99.0.2") }
            let rule = try #require(chain).replacingOccurrences(of: "-A ", with: "-D ")
            #expect(try lab.host.exec(lab.host.name, "iptables -t nat \(rule)").status == 0)
        }
    }

    @Test("CHECK verifies the mappings: passes after ADD, names a mapping someone deleted (105); DEL copes with it", .firewallLab("check"),
          arguments: FirewallDriverCase.allCases)
    func checkMappings(driver: FirewallDriverCase) throws {
        let lab = try Lab.scoped()
        let container = try lab.host.container("c")
        var config = driver.config(lab, mappings: [mapping(8080, 80)])
        let add = try lab.host.attach(container, config: config)
        config["prevResult"] = add.json
        let ok = try lab.host.cni("CHECK", container: container, config: config)
        #expect(ok.status == 0, "\(ok.stdoutText)")
        try deleteMapping(lab, driver: driver)
        let broken = try lab.host.cni("CHECK", container: container, config: config)
        #expect(broken.errorCode == 105)
        #expect(broken.errorMessage == "host port 8080/tcp on 0.0.0.0 is not mapped, expected 10.99.0.2 port 80", "\(broken.stdoutText)")
        #expect(try lab.host.cni("DEL", container: container, config: config).status == 0)
        let rules = try driver.rules(lab)
        #expect(driver.nothingOfNetwork(rules), "\(rules)")
    }

    @Test("GC removes the mappings and claims of attachments not in the valid list and keeps the others'", .firewallLab("gc"),
          arguments: FirewallDriverCase.allCases)
    func garbageCollect(driver: FirewallDriverCase) throws {
        let lab = try Lab.scoped()
        let keep = try lab.host.container("keep"), drop = try lab.host.container("drop")
        _ = try lab.host.attach(keep, config: driver.config(lab, mappings: [mapping(8080, 80)]))
        _ = try lab.host.attach(drop, config: driver.config(lab, mappings: [mapping(8081, 80)]))
        var config = driver.config(lab, ["cniVersion": "1.1.0"])
        config["cni.dev/valid-attachments"] = [["containerID": keep, "ifname": "eth0"]]
        let gc = try lab.host.cni("GC", container: nil, config: config)
        #expect(gc.status == 0, "\(gc.stdoutText)")
        let rules = try driver.rules(lab)
        #expect(!rules.contains(drop) && rules.contains(driver.mappingMark(keep)), "\(rules)")
        if driver == .nftables { #expect(rules.contains("chain net-itnet")) }
        #expect(hostPortClaims(lab) == ["ipv4-tcp-any-8080", "ipv6-tcp-any-8080"])
    }

    /// The rules 16 attachments of one network should leave: the network's own exactly once.
    func expectOneNetwork(_ rules: String, driver: FirewallDriverCase) {
        switch driver {
        case .nftables:
            #expect(rules.components(separatedBy: "chain net-itnet").count == 2, "one network chain")
            #expect(rules.components(separatedBy: ": jump net-itnet").count == 3, "one element per subnet")
            #expect(rules.components(separatedBy: "comment \"").count - 1 == 32, "16 containers x 2 families")
        case .iptables:
            for subnet in ["10.99.0.0/24", "fd99::/64"] {
                #expect(rules.components(separatedBy: "-A PONTOON-POSTROUTING -s \(subnet)").count - 1 == 1, "one jump for \(subnet):\n\(rules)")
                #expect(rules.components(separatedBy: "-A PONTOON-FORWARD -d \(subnet)").count - 1 == 1, "one jump for \(subnet)")
            }
            #expect(rules.components(separatedBy: "-A PREROUTING").count - 1 == 2, "one base jump per family")
            #expect(rules.components(separatedBy: "-j DNAT").count - 1 == 32, "16 containers x 2 families")
        }
    }

    @Test("16 concurrent ADDs then DELs: distinct addresses, the network's rules exactly once, nothing left", .firewallLab("race16"),
          arguments: FirewallDriverCase.allCases)
    func concurrentAddsAndDeletes(driver: FirewallDriverCase) throws {
        let lab = try Lab.scoped()
        let containers = try (0..<16).map { try lab.host.container("c\($0)") }
        func run(_ command: String, _ index: Int) throws -> RunningProcess {
            let stdin = try JSONSerialization.data(withJSONObject: driver.config(lab, mappings: [mapping(8000 + index, 80)]),
                                                   options: [.withoutEscapingSlashes])
            return try TestRun.start(PrivateHost.ip, ["netns", "exec", lab.host.name, Binaries.pontoon],
                                     environment: ["CNI_COMMAND": command, "CNI_CONTAINERID": containers[index],
                                                   "CNI_NETNS": PrivateHost.path(containers[index]),
                                                   "CNI_IFNAME": "eth0", "CNI_PATH": "/usr/lib/cni"], stdin: stdin)
        }
        let adds = try (0..<16).map { try run("ADD", $0) }.map { $0.finish() }
        for add in adds { #expect(add.status == 0, "\(add.stdoutText)") }
        #expect(Set(adds.flatMap(\.addresses)).count == 32)
        expectOneNetwork(try driver.rules(lab), driver: driver)
        try lab.serve(in: containers[7], port: 80)
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.hostV4, 8007).hasPrefix("tcp4 "))

        let dels = try (0..<16).map { try run("DEL", $0) }.map { $0.finish() }
        for del in dels { #expect(del.status == 0, "\(del.stdoutText)") }
        let after = try driver.rules(lab)
        #expect(driver.nothingOfNetwork(after), "\(after)")
        #expect(hostPortClaims(lab).isEmpty)
        #expect(lab.host.records().isEmpty && lab.host.leases().isEmpty)
    }
}
