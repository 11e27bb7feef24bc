import Foundation
import Testing
import TestSupport

/// macvlan and ipvlan networks in netavark mode, on a LAN of private namespaces (`LinkedLAN`),
/// pontoon beside netavark 1.4.0 where both should behave alike.
@Suite("netavark mode: macvlan and ipvlan", needsRoot)
struct NetavarkLinkedTests {
    static let idA = String(repeating: "1", count: 64), idB = String(repeating: "2", count: 64)

    @Test("a container on the parent's LAN reaches a neighbour, with a default route (metric 100) through the gateway; teardown leaves nothing",
          .privateHost("nvlan"), arguments: NetavarkPlugin.allCases, ["macvlan"])
    func reachesNeighbour(_ plugin: NetavarkPlugin, _ driver: String) throws {
        try Self.reachesNeighbour(plugin, driver)
    }

    /// netavark 1.4.0 has no ipvlan driver: pontoon alone. On a kernel without ipvlan (this
    /// machine's), the refusal must say so and leave nothing.
    @Test("ipvlan l2, l3, l3s: a container reaches a neighbour where the kernel has ipvlan; refused by name, nothing made, where it has not",
          .privateHost("nvipvlan"), arguments: ["l2", "l3", "l3s"])
    func ipvlan(_ mode: String) throws {
        let host = try PrivateHost.scoped()
        let lan = try LinkedLAN(host)
        let hasIpvlan = try host.exec(host.name, "ip link add ipvprobe link eth0 type ipvlan mode l2 && ip link del ipvprobe").status == 0
        if hasIpvlan && mode == "l2" {
            try Self.reachesNeighbour(.pontoon, "ipvlan")
            return
        }
        let container = try host.container("c")
        let hostLinks = try lan.hostLinks()
        let request = LinkedLAN.request(id: Self.idA, [.init(driver: "ipvlan", options: ["mode": mode])])
        let setup = try host.netavark(["setup", PrivateHost.path(container)], request)
        if hasIpvlan {
            // l3 and l3s: no ARP through the parent's segment, but the link is of that mode and up.
            #expect(setup.status == 0, "\(setup.stdoutText)")
            let info = try host.json(container, "ip -j -d link show eth0").first?["linkinfo"] as? [String: Any]
            #expect((info?["info_data"] as? [String: Any])?["mode"] as? String == mode)
            #expect(try host.netavark(["teardown", PrivateHost.path(container)], request).status == 0)
        } else {
            #expect(setup.status == 1)
            #expect(setup.netavarkError.contains("this kernel has no ipvlan support"), "\(setup.stdoutText)")
        }
        #expect(try host.linkNames(container) == ["lo"])
        #expect(try lan.hostLinks() == hostLinks)
    }

    static func reachesNeighbour(_ plugin: NetavarkPlugin, _ driver: String) throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        let lan = try LinkedLAN(host)
        let hostLinks = try lan.hostLinks()
        let request = LinkedLAN.request(id: Self.idA, [.init(driver: driver)])
        let setup = try host.netavark(["setup", PrivateHost.path(container)], request, environment: plugin.environment, binary: plugin.binary)
        #expect(setup.status == 0, "\(setup.stdoutText) \(setup.stderrText)")
        let links = try host.json(container, "ip -j -d link show eth0")
        let kind = (links.first?["linkinfo"] as? [String: Any])?["info_kind"] as? String
        #expect(kind == driver)
        #expect(try host.pings(from: container, LinkedLAN.gateway))
        // netavark leaves duplicate address detection on (pontoon turns it off): wait until the
        // address is usable (3 s at most), then a few echoes.
        let wait = "for i in $(seq 30); do ip -6 addr show dev eth0 tentative | grep -q . || break; sleep 0.1; done"
        #expect(try host.exec(container, "\(wait); ping -6 -c 3 -i 0.3 -W 2 fd00:77::1").status == 0)
        let route = try host.json(container, "ip -4 -j route show default").first
        #expect(route?["gateway"] as? String == LinkedLAN.gateway)
        #expect(route?["metric"] as? Int == 100)
        #expect(try lan.hostLinks() == hostLinks, "nothing on the host")
        if plugin == .pontoon { #expect(!lan.stateFiles().isEmpty, "the attachment's record") }
        let teardown = try host.netavark(["teardown", PrivateHost.path(container)], request, environment: plugin.environment, binary: plugin.binary)
        #expect(teardown.status == 0, "\(teardown.stdoutText) \(teardown.stderrText)")
        #expect(try host.linkNames(container) == ["lo"])
        #expect(try lan.hostLinks() == hostLinks)
        #expect(lan.stateFiles().isEmpty, "\(lan.stateFiles())")
    }

    @Test("two macvlan containers on one parent talk in bridge mode and not in private mode",
          .privateHost("nvlanmode"), arguments: ["bridge", "private"])
    func modes(_ mode: String) throws {
        let host = try PrivateHost.scoped()
        let lan = try LinkedLAN(host)
        let a = try host.container("a"), b = try host.container("b")
        let requestA = LinkedLAN.request(id: Self.idA, [.init(options: ["mode": mode])])
        let requestB = LinkedLAN.request(id: Self.idB, [.init(options: ["mode": mode], staticIPs: ["10.77.0.11", "fd00:77::11"])])
        #expect(try host.netavark(["setup", PrivateHost.path(a)], requestA).status == 0)
        #expect(try host.netavark(["setup", PrivateHost.path(b)], requestB).status == 0)
        let info = try host.json(a, "ip -j -d link show eth0").first?["linkinfo"] as? [String: Any]
        let kernelMode = (info?["info_data"] as? [String: Any])?["mode"] as? String
        #expect(kernelMode == mode)
        // Both reach the outside in either mode: the parent's wire is theirs.
        #expect(try host.pings(from: a, LinkedLAN.gateway))
        #expect(try host.pings(from: b, LinkedLAN.gateway))
        let talk = try host.pings(from: a, "10.77.0.11")
        #expect(talk == (mode == "bridge"))
        #expect(try host.netavark(["teardown", PrivateHost.path(a)], requestA).status == 0)
        #expect(try host.netavark(["teardown", PrivateHost.path(b)], requestB).status == 0)
        #expect(try host.linkNames(a) == ["lo"] && host.linkNames(b) == ["lo"])
        _ = lan
    }

    @Test("internal: no default route; static MAC honoured; ipam none: the interface without an address", .privateHost("nvlanopt"))
    func options() throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        _ = try LinkedLAN(host)
        let request = LinkedLAN.request(id: Self.idA, [
            .init(name: "inner", isInternal: true, staticMAC: "52:54:00:12:34:56"),
            .init(name: "bare", ipam: "none", subnets: [], staticIPs: [], ifName: "eth1"),
        ])
        let setup = try host.netavark(["setup", PrivateHost.path(container)], request)
        #expect(setup.status == 0, "\(setup.stdoutText)")
        #expect(try host.json(container, "ip -4 -j route show default").isEmpty)
        #expect(try host.json(container, "ip -6 -j route show default").isEmpty)
        let eth0 = try host.json(container, "ip -j link show eth0").first
        #expect(eth0?["address"] as? String == "52:54:00:12:34:56")
        #expect(try host.pings(from: container, LinkedLAN.gateway), "internal still reaches its own subnet")
        let bare = try host.json(container, "ip -j addr show eth1").first
        let global = (bare?["addr_info"] as? [[String: Any]] ?? []).filter { $0["scope"] as? String == "global" }
        #expect(bare != nil && global.isEmpty)
        let status = (setup.json as? [String: Any])?["bare"] as? [String: Any]
        let bareInterface = (status?["interfaces"] as? [String: Any])?["eth1"] as? [String: Any]
        #expect(bareInterface != nil && (bareInterface?["subnets"] as? [Any] ?? []).isEmpty, "\(setup.stdoutText)")
        #expect(try host.netavark(["teardown", PrivateHost.path(container)], request).status == 0)
        #expect(try host.linkNames(container) == ["lo"])
    }

    @Test("pontoon and netavark 1.4.0 return equal StatusBlocks for the same request",
          .privateHost("nvlansb"), arguments: ["macvlan"])
    func statusBlocks(_ driver: String) throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        _ = try LinkedLAN(host)
        let request = LinkedLAN.request(id: Self.idA, [
            .init(name: "lan", driver: driver, staticMAC: driver == "macvlan" ? "52:54:00:aa:bb:01" : nil),
            .init(name: "lan2", driver: driver, options: ["mtu": "1400"], isInternal: true,
                  subnets: [("10.78.0.0/24", "10.78.0.1")], staticIPs: ["10.78.0.10"],
                  staticMAC: driver == "macvlan" ? "52:54:00:aa:bb:02" : nil, ifName: "eth1"),
        ])
        var blocks: [NetavarkPlugin: Any] = [:]
        for plugin in NetavarkPlugin.allCases {
            let setup = try host.netavark(["setup", PrivateHost.path(container)], request, environment: plugin.environment, binary: plugin.binary)
            #expect(setup.status == 0, "\(plugin): \(setup.stdoutText) \(setup.stderrText)")
            blocks[plugin] = setup.json
            #expect(try host.json(container, "ip -j link show eth1").first?["mtu"] as? Int == 1400)
            #expect(try host.netavark(["teardown", PrivateHost.path(container)], request, environment: plugin.environment,
                                      binary: plugin.binary).status == 0)
            #expect(try host.linkNames(container) == ["lo"])
        }
        let ours = try JSONSerialization.data(withJSONObject: blocks[.pontoon] ?? [:], options: [.sortedKeys])
        let theirs = try JSONSerialization.data(withJSONObject: blocks[.netavark] ?? [:], options: [.sortedKeys])
        #expect(String(decoding: ours, as: UTF8.self) == String(decoding: theirs, as: UTF8.self))
    }

    @Test("several macvlan networks per container; an empty parent is the default route's device; a host device of the container's name is no conflict",
          .privateHost("nvlanmulti"))
    func severalNetworks() throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        let lan = try LinkedLAN(host)
        let request = LinkedLAN.request(id: Self.idA, [
            .init(name: "lan", parent: ""),
            .init(name: "lan2", subnets: [("10.78.0.0/24", "10.78.0.1")], staticIPs: ["10.78.0.10"], ifName: "eth1"),
        ])
        #expect(try host.exec(lan.outside, "ip addr add 10.78.0.1/24 dev eth0").status == 0)
        let setup = try host.netavark(["setup", PrivateHost.path(container)], request)
        #expect(setup.status == 0, "\(setup.stdoutText)")
        #expect(try host.pings(from: container, LinkedLAN.gateway))
        #expect(try host.exec(container, "ping -c 1 -W 2 -I eth1 10.78.0.1").status == 0)
        #expect(try host.linkNames(container) == ["lo", "eth0", "eth1"])
        #expect(try host.netavark(["teardown", PrivateHost.path(container)], request).status == 0)
        #expect(try host.linkNames(container) == ["lo"])
    }

    @Test("teardown after the container's namespace is gone: the link went with it; the record goes, no error", .privateHost("nvlangone"))
    func namespaceGone() throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        let lan = try LinkedLAN(host)
        let hostLinks = try lan.hostLinks()
        let request = LinkedLAN.request(id: Self.idA, [.init()])
        #expect(try host.netavark(["setup", PrivateHost.path(container)], request).status == 0)
        #expect(!lan.stateFiles().isEmpty)
        try host.delete(container)
        let teardown = try host.netavark(["teardown", PrivateHost.path(container)], request)
        #expect(teardown.status == 0, "\(teardown.stdoutText)")
        #expect(lan.stateFiles().isEmpty, "\(lan.stateFiles())")
        #expect(try lan.hostLinks() == hostLinks)
    }

    @Test("bad input is refused naming what is wrong, nothing made",
          .privateHost("nvlanbad"), arguments: [
              ("nosuch0", [String: String](), "parent nosuch0 does not exist"),
              ("lo", [:], "parent lo is the loopback device"),
              ("eth0", ["mode": "sideways"], "mode \"sideways\""),
              ("eth0", ["mtu": "9000"], "mtu 9000 is above the MTU 1500 of parent eth0"),
              ("eth0", ["isolate": "true"], "option isolate"),
          ])
    func refused(_ parent: String, _ options: [String: String], _ message: String) throws {
        try Self.refused([.init(parent: parent, options: options)], message)
    }

    @Test("all or nothing: a second network that cannot be made takes the first one's link and lease along", .privateHost("nvlanundo"))
    func secondNetworkFails() throws {
        try Self.refused([.init(), .init(name: "lan2", parent: "nosuch0", subnets: [("10.78.0.0/24", "10.78.0.1")],
                                         staticIPs: ["10.78.0.10"], ifName: "eth1")],
                         "parent nosuch0 does not exist")
    }

    @Test("ipvlan with a static MAC is refused by name: ipvlan links share the parent's MAC", .privateHost("nvipvlanmac"))
    func ipvlanStaticMAC() throws {
        try Self.refused([.init(driver: "ipvlan", staticMAC: "52:54:00:12:34:56")], "static MAC 52:54:00:12:34:56 cannot be honoured")
    }

    static func refused(_ networks: [LinkedLAN.Net], _ message: String) throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        let lan = try LinkedLAN(host)
        let hostLinks = try lan.hostLinks()
        let request = LinkedLAN.request(id: idA, networks)
        let setup = try host.netavark(["setup", PrivateHost.path(container)], request)
        #expect(setup.status == 1)
        #expect(setup.netavarkError.contains(message), "\(setup.stdoutText)")
        #expect(try host.linkNames(container) == ["lo"])
        #expect(try lan.hostLinks() == hostLinks)
        #expect(lan.stateFiles().isEmpty, "no record or lease left")
    }
}
