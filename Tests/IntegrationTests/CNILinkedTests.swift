import Foundation
import Testing
import TestSupport

/// The CNI door's macvlan: the same conflist served by the reference `macvlan` plugin and by
/// pontoon give the same result (MAC aside) and the same traffic.
@Suite("CNI: macvlan like the reference plugin", needsRoot)
struct CNILinkedTests {
    /// `dataDir`: the reference's leases apart from pontoon's, so both start at the range's first address.
    static func config(_ host: PrivateHost, type: String, mode: String = "bridge", extra: [String: Any] = [:],
                       dataDir: String? = nil) -> [String: Any] {
        var config: [String: Any] = [
            "cniVersion": "1.0.0", "name": "lan", "type": type, "master": "eth0", "mode": mode, "mtu": 1400,
            "ipam": ["type": "host-local", "dataDir": dataDir ?? host.dataDir,
                     "ranges": [[["subnet": "10.77.0.0/24", "rangeStart": "10.77.0.10", "gateway": "10.77.0.1"]]],
                     "routes": [["dst": "0.0.0.0/0"]]] as [String: Any],
            "stateDir": host.stateDir,
        ]
        config.merge(extra) { _, new in new }
        return config
    }

    /// The result without the MAC (random), as sorted JSON.
    static func normalized(_ result: RunResult) throws -> String {
        var object = try #require(result.json as? [String: Any])
        object["interfaces"] = (object["interfaces"] as? [[String: Any]])?.map { var i = $0; i["mac"] = nil; return i }
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    @Test("ADD answers what the reference macvlan answers, the container reaches the LAN, DEL leaves nothing",
          .privateHost("cnimacvlan"), arguments: ["macvlan", "pontoon"])
    func sameResult(_ type: String) throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        let lan = try LinkedLAN(host)
        let hostLinks = try lan.hostLinks()
        let referenceConfig = Self.config(host, type: "macvlan", dataDir: host.scratch.file("reference-leases"))
        let reference = try host.cni("ADD", container: container, config: referenceConfig, binary: "/usr/lib/cni/macvlan")
        #expect(reference.status == 0, "\(reference.stdoutText)")
        #expect(try host.cni("DEL", container: container, config: referenceConfig, binary: "/usr/lib/cni/macvlan").status == 0)
        let config = type == "pontoon" ? Self.config(host, type: "pontoon", extra: ["driver": "macvlan"]) : Self.config(host, type: "macvlan")
        let ours = try host.cni("ADD", container: container, config: config)
        #expect(ours.status == 0, "\(ours.stdoutText)")
        let mine = try Self.normalized(ours), theirs = try Self.normalized(reference)
        #expect(mine == theirs)
        #expect(try host.pings(from: container, LinkedLAN.gateway))
        #expect(try host.json(container, "ip -j link show eth0").first?["mtu"] as? Int == 1400)
        #expect(try lan.hostLinks() == hostLinks)
        var checked = config
        checked["prevResult"] = ours.json
        let check = try host.cni("CHECK", container: container, config: checked)
        #expect(check.status == 0, "\(check.stdoutText)")
        // A link of another MAC than ADD reported fails CHECK, naming it.
        #expect(try host.exec(container, "ip link set eth0 address 52:54:00:00:00:99").status == 0)
        let changed = try host.cni("CHECK", container: container, config: checked)
        #expect(changed.status != 0 && changed.errorMessage.contains("52:54:00:00:00:99"), "\(changed.stdoutText)")
        let del = try host.cni("DEL", container: container, config: config)
        #expect(del.status == 0, "\(del.stdoutText)")
        #expect(try host.linkNames(container) == ["lo"])
        #expect(host.leases(network: "lan").isEmpty)
        #expect(host.records(network: "lan").isEmpty)
    }

    @Test("bad master, mode and port mappings are refused by name, nothing made", .privateHost("cnimacvlanbad"),
          arguments: ["master", "mode", "portMappings"])
    func refused(_ what: String) throws {
        let cases: [String: ([String: Any], String)] = [
            "master": (["master": "nosuch0"], "parent nosuch0 does not exist"),
            "mode": (["mode": "sideways"], "mode \"sideways\""),
            "portMappings": (["runtimeConfig": ["portMappings": [["hostPort": 8080, "containerPort": 80, "protocol": "tcp"]]]], "portMappings"),
        ]
        let (extra, message) = try #require(cases[what])
        let (host, container) = try PrivateHost.scopedWithContainer()
        let lan = try LinkedLAN(host)
        let hostLinks = try lan.hostLinks()
        let add = try host.cni("ADD", container: container, config: Self.config(host, type: "macvlan", extra: extra))
        #expect(add.status != 0)
        #expect(add.errorMessage.contains(message), "\(add.stdoutText)")
        #expect(try host.linkNames(container) == ["lo"])
        #expect(try lan.hostLinks() == hostLinks)
        #expect(host.leases(network: "lan").isEmpty)
    }
}
