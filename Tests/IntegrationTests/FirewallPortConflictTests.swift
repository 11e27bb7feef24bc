import Foundation
import Testing
import TestSupport

/// Host ports mapped on one host IP and on every address of the family: the same port and
/// protocol cannot be both, in either order, with either driver.
@Suite("Firewall: host-port conflicts between one host IP and every address", needsRoot)
struct FirewallPortConflictTests {
    func rules(_ lab: Lab, driver: String) throws -> String {
        try lab.host.exec(lab.host.name, driver == "nftables" ? "nft list ruleset" : "iptables-save | grep -v '^#'; ip6tables-save | grep -v '^#'").stdoutText
    }

    @Test("a host port on one host IP and on every address: the second is refused (106, naming the port), nothing changed",
          arguments: ["nftables", "iptables"], [true, false])
    func specificThenAny(driver: String, specificFirst: Bool) throws {
        let lab = try Lab("conf\(driver.prefix(2))\(specificFirst ? 1 : 0)")
        defer { lab.cleanup() }
        let first = try lab.host.container("a"), second = try lab.host.container("b")
        let specific = [mapping(8080, 80, hostIP: Lab.hostV4)], any = [mapping(8080, 80, hostIP: "0.0.0.0")]
        _ = try lab.host.attach(first, config: lab.config(mappings: specificFirst ? specific : any, ["firewall": driver]))
        try lab.serve(in: first, port: 80)
        let rulesBefore = try rules(lab, driver: driver), claimsBefore = hostPortClaims(lab)
        let leasesBefore = lab.host.leases(), recordsBefore = lab.host.records()

        let config = lab.config(mappings: [mapping(9090, 90)] + (specificFirst ? any : specific), ["firewall": driver])
        let refused = try lab.host.cni("ADD", container: second, config: config)
        #expect(refused.errorCode == 106, "\(refused.stdoutText)")
        let named = specificFirst ? "host port 8080/tcp on 0.0.0.0" : "host port 8080/tcp on \(Lab.hostV4)"
        #expect(refused.errorMessage == "\(named) is already mapped to another container", "\(refused.stdoutText)")
        #expect(try rules(lab, driver: driver) == rulesBefore)
        #expect(hostPortClaims(lab) == claimsBefore)
        #expect(lab.host.leases() == leasesBefore && lab.host.records() == recordsBefore)
        #expect(try lab.host.linkNames(second) == ["lo"])
        // The first still answers; another host IP of the same family alone is free.
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.hostV4, 8080).hasPrefix("tcp4 "))
        if specificFirst {
            _ = try lab.host.attach(second, config: lab.config(mappings: [mapping(8080, 80, hostIP: Lab.otherHostV4)], ["firewall": driver]))
            try lab.serve(in: second, port: 80)
            #expect(try lab.probe(from: lab.outside, "tcp", Lab.otherHostV4, 8080).hasPrefix("tcp4 "))
            #expect(try lab.host.cni("DEL", container: second, config: config).status == 0)
        }
        // Once the first is gone, the other kind is free.
        #expect(try lab.host.cni("DEL", container: first, config: lab.config(["firewall": driver])).status == 0)
        #expect(hostPortClaims(lab).isEmpty, "\(hostPortClaims(lab))")
        _ = try lab.host.attach(second, config: lab.config(mappings: specificFirst ? any : specific, ["firewall": driver]))
    }
}
