import Foundation
import Testing
import TestSupport

/// A conflist run the way libcni (cnitool, podman's CNI backend, containerd) runs one: pontoon,
/// then the reference `firewall` and `tuning` plugins, each given the previous result as
/// `prevResult`; CHECK in order and DEL in reverse, both with the final result.
@Suite("Chained after pontoon: the reference firewall and tuning plugins", needsRoot)
struct ChainedPluginsTests {
    struct Chain {
        let lab: Lab
        let plugins: [(binary: String, config: [String: Any])]

        /// Each plugin's config as libcni hands it over: the list's name and cniVersion injected.
        func config(_ index: Int, prevResult: Any?) -> [String: Any] {
            var config = plugins[index].config
            config["name"] = "itnet"
            config["cniVersion"] = "1.0.0"
            if let prevResult { config["prevResult"] = prevResult }
            return config
        }

        func run(_ command: String, _ index: Int, container: String, prevResult: Any?) throws -> RunResult {
            // The reference plugins run iptables from PATH, as under a runtime.
            try lab.host.cni(command, container: container, environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"],
                             config: config(index, prevResult: prevResult), binary: plugins[index].binary)
        }

        /// ADD through the chain; the final result.
        func add(_ container: String) throws -> Any {
            var result: Any? = nil
            for index in plugins.indices {
                let answer = try run("ADD", index, container: container, prevResult: result)
                try #require(answer.status == 0, "ADD \(plugins[index].binary): \(answer.stdoutText)\(answer.stderrText)")
                result = answer.json
            }
            return try #require(result)
        }
    }

    @Test("ADD, CHECK, DEL through pontoon + firewall + tuning; with FORWARD dropping by default the container still gets out (the firewall plugin accepts it) and pontoon's result feeds both",
          arguments: ["nftables", "iptables"])
    func chain(driver: String) throws {
        let lab = try Lab("chain\(driver.prefix(2))")
        defer { lab.cleanup() }
        var pontoon = lab.config(mappings: [mapping(8080, 80)], ["firewall": driver])
        pontoon.removeValue(forKey: "name")
        pontoon.removeValue(forKey: "cniVersion")
        let chain = Chain(lab: lab, plugins: [
            (Binaries.pontoon, pontoon),
            ("/usr/lib/cni/firewall", ["type": "firewall", "backend": "iptables"]),
            ("/usr/lib/cni/tuning", ["type": "tuning", "mtu": 1400, "sysctl": ["net.ipv4.conf.eth0.rp_filter": "2"]]),
        ])
        // What the firewall plugin is for: a host whose FORWARD policy drops.
        try lab.host.exec(lab.host.name, "iptables -P FORWARD DROP && ip6tables -P FORWARD DROP")
        let container = try lab.host.container("c")
        try lab.serve(in: lab.outside, port: 9000)

        let result = try chain.add(container)
        let ips = ((result as? [String: Any])?["ips"] as? [[String: Any]] ?? []).compactMap { $0["address"] as? String }
        #expect(ips == ["10.99.0.2/24", "fd99::2/64"], "pontoon's addresses survive the chain: \(result)")
        // tuning changed the container's interface, firewall wrote its rules for pontoon's addresses.
        #expect(try lab.host.exec(container, "cat /sys/class/net/eth0/mtu").stdoutText.hasPrefix("1400"))
        #expect(try lab.host.exec(container, "sysctl -n net.ipv4.conf.eth0.rp_filter").stdoutText.hasPrefix("2"))
        let rules = try lab.host.exec(lab.host.name, "iptables-save; ip6tables-save").stdoutText
        #expect(rules.contains("CNI-FORWARD") && rules.contains("10.99.0.2") && rules.contains("fd99::2"), "\(rules)")
        // Traffic: out (masqueraded by pontoon, accepted by the firewall plugin's rules), and in
        // through pontoon's mapping.
        try lab.serve(in: container, port: 80)
        #expect(try lab.probe(from: container, "tcp", Lab.outsideV4, 9000).hasPrefix("tcp4 \(Lab.hostV4) "))
        #expect(try lab.probe(from: container, "tcp", Lab.outsideV6, 9000).hasPrefix("tcp6 \(Lab.hostV6) "))
        // New connections in: the firewall plugin accepts only replies and what the container
        // sends. Pontoon's iptables driver accepts DNATed connections in FORWARD itself; an accept
        // in pontoon's nftables table cannot overrule iptables' DROP policy (every base chain of
        // the hook must accept), as with the reference bridge + portmap + firewall chain.
        let inbound = try lab.probe(from: lab.outside, "tcp", Lab.hostV4, 8080)
        if driver == "iptables" {
            #expect(inbound.hasPrefix("tcp4 \(Lab.outsideV4) "))
        } else {
            #expect(inbound == "")
        }

        for index in chain.plugins.indices {
            let check = try chain.run("CHECK", index, container: container, prevResult: result)
            #expect(check.status == 0, "CHECK \(chain.plugins[index].binary): \(check.stdoutText)\(check.stderrText)")
        }
        for index in chain.plugins.indices.reversed() {
            let delete = try chain.run("DEL", index, container: container, prevResult: result)
            #expect(delete.status == 0, "DEL \(chain.plugins[index].binary): \(delete.stdoutText)\(delete.stderrText)")
        }
        let after = try lab.host.exec(lab.host.name, "iptables-save; ip6tables-save; nft list table inet pontoon").stdoutText
        #expect(!after.contains("10.99.0.2") && !after.contains("fd99::2") && !after.contains(container), "\(after)")
        #expect(try lab.host.linkNames(container) == ["lo"])
        #expect(lab.host.records().isEmpty && lab.host.leases().isEmpty)
    }
}
