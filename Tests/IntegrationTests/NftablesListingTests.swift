import Foundation
import Testing
import TestSupport

/// What an operator sees with `nft list ruleset` while debugging: every set and map of Pontoon's
/// tables prints as what it holds (the sets carry nft's userdata: key and data byte order).
@Suite("nftables: the ruleset reads as what it holds", needsRoot)
struct NftablesListingTests {
    /// Every string anywhere in a JSON value.
    static func strings(_ value: Any) -> [String] {
        switch value {
        case let text as String: [text]
        case let array as [Any]: array.flatMap(strings)
        case let object as [String: Any]: object.values.flatMap(strings)
        default: []
        }
    }

    /// The `set` or `map` object named `name` of a table in `nft -j list ruleset`.
    static func set(_ name: String, table: String = "pontoon", family: String = "inet", in ruleset: [[String: Any]]) -> [String: Any]? {
        for entry in ruleset {
            for kind in ["set", "map"] {
                if let set = entry[kind] as? [String: Any], set["name"] as? String == name,
                   set["table"] as? String == table, set["family"] as? String == family { return set }
            }
        }
        return nil
    }

    @Test("nft list ruleset shows bridge names, subnets, host ports and their targets (text and JSON), and nft -f loads the printed ruleset back faithfully",
          .firewallLab("nftlist"))
    func listed() throws {
        let lab = try Lab.scoped()
        let a = try lab.host.container("a")
        let config = lab.config(mappings: [mapping(8080, 80), mapping(8053, 53, "udp", hostIP: Lab.hostV4),
                                           mapping(8081, 81, hostIP: Lab.hostV6)],
                                ["isolate": true, "macspoofchk": true])
        _ = try lab.host.attach(a, config: config)
        let veth = try lab.host.json(lab.host.name, "ip -j link show master pt0").compactMap { $0["ifname"] as? String }.first ?? "?"
        let mac = try lab.host.exec(a, "cat /sys/class/net/eth0/address").stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)

        let text = try lab.ruleset()
        #expect(!text.contains("\"\""), "an element printed as an empty name:\n\(text)")
        for expected in [
            "elements = { \"pt0\" }",                                             // set bridges
            "\"pt0\" : jump iso-itnet",                                            // map isolation
            "10.99.0.0/24 : jump net-itnet", "fd99::/64 : jump net-itnet",         // subnets4/6
            "10.99.0.0/24 : jump fwd-itnet", "fd99::/64 : jump fwd-itnet",         // forward4/6
            "tcp . 8080 comment \"\(a)/eth0\" : 10.99.0.2 . 80",                   // hostports4_any
            "tcp . 8080 comment \"\(a)/eth0\" : fd99::2 . 80",                     // hostports6_any
            "192.0.2.1 . udp . 8053 comment \"\(a)/eth0\" : 10.99.0.2 . 53",       // hostports4
            "2001:db8:2::1 . tcp . 8081 comment \"\(a)/eth0\" : fd99::2 . 81",     // hostports6
            "elements = { \"\(veth)\" ",                                           // bridge pontoon: spoofports
            "\"\(veth)\" . \(mac)",                                                // spoofallowed
        ] {
            #expect(text.contains(expected), "nft list ruleset lacks \(expected):\n\(text)")
        }

        let json = try lab.host.exec(lab.host.name, "nft -j list ruleset").stdoutText
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let ruleset = try #require(document["nftables"] as? [[String: Any]])
        let bridges = try #require(Self.set("bridges", in: ruleset))
        #expect(bridges["type"] as? String == "ifname")
        #expect(bridges["elem"] as? [String] == ["pt0"])
        let hostports = try #require(Self.set("hostports4", in: ruleset))
        let strings = Self.strings(hostports["elem"] ?? [])
        #expect(strings.contains("192.0.2.1") && strings.contains("10.99.0.2") && strings.contains("udp"), "\(hostports)")
        #expect(!Self.strings(ruleset).contains(""), "an empty string in nft -j list ruleset")

        // What nft printed loads back as the same ruleset, and it still works: the mapping answers,
        // and DEL (which deletes by key) finds its elements.
        let saved = lab.host.scratch.file("ruleset.nft")
        let reloaded = try lab.host.exec(lab.host.name, "nft list ruleset > \(saved) && nft flush ruleset && nft -f \(saved)")
        #expect(reloaded.status == 0, "\(reloaded.stderrText)")
        #expect(try lab.ruleset() == text)
        try lab.serve(in: a, port: 80)
        #expect(try lab.probe(from: lab.outside, "tcp", Lab.hostV4, 8080).hasPrefix("tcp4 "))
        #expect(try lab.host.cni("DEL", container: a, config: config).status == 0)
        let after = try lab.ruleset()
        #expect(!after.contains("8080") && !after.contains("pt0") && !after.contains("itnet"), "\(after)")
    }
}
