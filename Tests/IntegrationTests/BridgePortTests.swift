import Foundation
import Testing
import TestSupport

/// Bridge and port state promised by the config keys, read back with iproute2 (over netlink).
@Suite("Bridge port state", needsRoot)
struct BridgePortTests {
    /// The host end of the container's veth: the Result's second interface.
    func hostPort(_ add: RunResult) throws -> String {
        try #require(add.interfaces.count == 3 ? add.interfaces[1]["name"] as? String : nil)
    }

    func bridgeMAC(_ host: PrivateHost) throws -> String? {
        try host.json(host.name, "ip -j link show dev pt0").first?["address"] as? String
    }

    /// A bridge takes the lowest MAC of its ports unless its own was set; then the gateway's MAC
    /// changes as containers come and go, and the others' neighbour entries for it go stale.
    @Test("the bridge's MAC is the one ADD reports and stays as ports join and leave, also on a bridge someone else made",
          arguments: [false, true])
    func bridgeMACStays(premade: Bool) throws {
        let host = try PrivateHost(premade ? "macpre" : "mac")
        defer { host.cleanup() }
        if premade { try host.exec(host.name, "ip link add pt0 type bridge && ip link set pt0 up") }
        let before = premade ? try bridgeMAC(host) : nil
        let config = networkConfig(host)
        let a = try host.container("a"), b = try host.container("b"), c = try host.container("c")
        let addA = try host.attach(a, config: config)
        let mac = try #require(try bridgeMAC(host))
        #expect(addA.interfaces[0]["mac"] as? String == mac)
        if premade { #expect(mac == before, "the bridge took a port's MAC instead of keeping its own") }
        #expect(addA.interfaces[1]["mac"] as? String != mac)
        _ = try host.attach(b, config: config)
        _ = try host.attach(c, config: config)
        #expect(try bridgeMAC(host) == mac)
        for container in [a, b] {
            let del = try host.cni("DEL", container: container, config: config)
            #expect(del.status == 0, "\(del.stdoutText)")
            #expect(try bridgeMAC(host) == mac)
        }
    }

    func sysctl(_ host: PrivateHost, _ namespace: String, _ key: String) throws -> String {
        try host.exec(namespace, "cat /proc/sys/net/\(key)").stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Set through /proc/sys, each by one open that reads and then writes only what differs.
    @Test("no duplicate address detection on a new bridge and the container's interface (unless enableDAD); IPv6 neighbours told of a dual-stack container, except on a bridge its ADD made",
          .privateHost("sysctls"))
    func interfaceSysctls() throws {
        let host = try PrivateHost.scoped()
        let a = try host.container("a"), b = try host.container("b"), c = try host.container("c")
        // The container namespace's default for new interfaces is the kernel's (DAD on).
        #expect(try sysctl(host, a, "ipv6/conf/default/accept_dad") == "1")
        let dualStack = networkConfig(host, subnets: ["10.99.0.0/24", "fd99::/64"], routes: ["0.0.0.0/0", "::/0"])
        _ = try host.attach(a, config: dualStack)
        #expect(try sysctl(host, host.name, "ipv6/conf/pt0/accept_dad") == "0")
        #expect(try sysctl(host, a, "ipv6/conf/eth0/accept_dad") == "0")
        #expect(try sysctl(host, a, "ipv6/conf/default/accept_dad") == "1", "only the interface pontoon made may change")
        // The first container made the bridge: no neighbour can know its addresses, no announcement.
        #expect(try sysctl(host, a, "ipv6/conf/eth0/ndisc_notify") == "0")
        _ = try host.attach(c, config: dualStack)
        #expect(try sysctl(host, c, "ipv6/conf/eth0/ndisc_notify") == "1", "a container joining a bridge announces its IPv6")
        let dad = networkConfig(host, subnets: ["10.98.0.0/24"], ["name": "itdad", "bridge": "pt1", "enabledad": true])
        _ = try host.attach(b, config: dad)
        #expect(try sysctl(host, b, "ipv6/conf/eth0/accept_dad") == "1")
        #expect(try sysctl(host, b, "ipv6/conf/eth0/ndisc_notify") == "0", "an IPv4-only container announces nothing over IPv6")
    }

    @Test("hairpinMode and portIsolation set the port flags", .privateHost("flags"))
    func portFlags() throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        let add = try host.attach(container, config: networkConfig(host, ["hairpinMode": true, "portIsolation": true]))
        let port = try hostPort(add)
        let link = try #require(try host.json(host.name, "ip -j -d link show dev \(port)").first)
        let linkInfo = link["linkinfo"] as? [String: Any]
        #expect(linkInfo?["info_slave_kind"] as? String == "bridge")
        let slave = linkInfo?["info_slave_data"] as? [String: Any] ?? [:]
        #expect(slave["hairpin"] as? Bool == true, "\(slave)")
        #expect(slave["isolated"] as? Bool == true, "\(slave)")
        #expect(link["master"] as? String == "pt0")
    }

    /// A bridge port needs no IPv6 of its own; left as the kernel makes it, every port adds entries
    /// to the host's IPv6 tables that every port's removal walks (README, Benchmark: 1,000 ports).
    /// Asked for by a netlink request (address generation "none"), not the `disable_ipv6`
    /// sysctl, whose write spins while the rtnl lock is busy.
    @Test("the host end of the veth makes no IPv6 address (no address, no route but the kernel's multicast one); containers still talk over IPv6",
          .privateHost("portv6"))
    func portWithoutIPv6() throws {
        let host = try PrivateHost.scoped()
        let a = try host.container("a"), b = try host.container("b")
        let config = networkConfig(host, subnets: ["10.99.0.0/24", "fd99::/64"], routes: ["0.0.0.0/0", "::/0"])
        let addA = try host.attach(a, config: config)
        let addB = try host.attach(b, config: config)
        for port in [try hostPort(addA), try hostPort(addB)] {
            let addresses = try host.json(host.name, "ip -j -6 addr show dev \(port)").first?["addr_info"] as? [[String: Any]] ?? []
            #expect(addresses.isEmpty, "\(port) has IPv6 addresses: \(addresses)")
            // The kernel gives every IPv6 link its ff00::/8 multicast route; nothing else may be there.
            let routes = try host.exec(host.name, "ip -6 route show table all dev \(port)").stdoutText
                .split(separator: "\n").filter { !$0.hasPrefix("multicast ff00::/8 ") }
            #expect(routes.isEmpty, "\(port) has IPv6 routes: \(routes)")
            let link = try #require(try host.json(host.name, "ip -d -j link show dev \(port)").first)
            #expect(link["inet6_addr_gen_mode"] as? String == "none", "\(port): \(link["inet6_addr_gen_mode"] ?? "no mode")")
            #expect(link["master"] as? String == "pt0")
            #expect((link["flags"] as? [String] ?? []).contains("UP"))
        }
        // arp_notify on the container's end (set through netlink): its MAC change in `announce`
        // sends the gratuitous ARP that reconnected containers rely on.
        for container in [a, b] {
            let arpNotify = try sysctl(host, container, "ipv4/conf/eth0/arp_notify")
            #expect(arpNotify == "1", "\(container): arp_notify \(arpNotify)")
        }
        let bridgeAddresses = try host.json(host.name, "ip -j -6 addr show dev pt0").first?["addr_info"] as? [[String: Any]] ?? []
        #expect(bridgeAddresses.contains { $0["local"] as? String == "fd99::1" }, "the bridge keeps its gateway: \(bridgeAddresses)")
        #expect(try host.pings(from: a, "fd99::3"))
        #expect(try host.pings(from: b, "fd99::1"), "IPv6 gateway on the bridge")
        #expect(try host.pings(from: a, "10.99.0.3"))
    }

    @Test("without hairpinMode the port does not hairpin", .privateHost("nohair"))
    func noHairpin() throws {
        let host = try PrivateHost.scoped()
        let add = try host.attach(try host.container("c"), config: networkConfig(host))
        let link = try #require(try host.json(host.name, "ip -j -d link show dev \(try hostPort(add))").first)
        let slave = (link["linkinfo"] as? [String: Any])?["info_slave_data"] as? [String: Any] ?? [:]
        #expect(slave["hairpin"] as? Bool == false)
    }

    @Test("vlan makes an access port: PVID, untagged, on a VLAN-filtering bridge; containers on it still talk",
          .enabled(if: KernelFeatures.bridgeVLANFiltering, "this kernel has no bridge VLAN filtering"))
    func accessVLAN() throws {
        let host = try PrivateHost("vlan")
        defer { host.cleanup() }
        let a = try host.container("a"), b = try host.container("b")
        let config = networkConfig(host, ["vlan": 42, "preserveDefaultVlan": false])
        let addA = try host.attach(a, config: config)
        let addB = try host.attach(b, config: config)
        let bridge = try #require(try host.json(host.name, "ip -j -d link show dev pt0").first)
        let bridgeData = (bridge["linkinfo"] as? [String: Any])?["info_data"] as? [String: Any] ?? [:]
        #expect(bridgeData["vlan_filtering"] as? Int == 1)
        let port = try hostPort(addA)
        let vlans = try host.json(host.name, "bridge -j vlan show dev \(port)").first?["vlans"] as? [[String: Any]] ?? []
        #expect(vlans.count == 1, "default VLAN 1 removed: \(vlans)")
        let vlan = try #require(vlans.first)
        #expect(vlan["vlan"] as? Int == 42)
        let flags = vlan["flags"] as? [String] ?? []
        #expect(flags.contains("PVID") && flags.contains("Egress Untagged"), "\(flags)")
        #expect(try host.pings(from: a, bare(addB.addresses[0])), "same VLAN")
        #expect(try host.pings(from: a, "10.99.0.1"), "the bridge joined VLAN 42 to stay the gateway")
    }

    @Test("vlanTrunk makes a tagged trunk port and keeps VLAN 1 by default",
          .enabled(if: KernelFeatures.bridgeVLANFiltering, "this kernel has no bridge VLAN filtering"))
    func trunk() throws {
        let host = try PrivateHost("trunk")
        defer { host.cleanup() }
        let add = try host.attach(try host.container("c"),
                               config: networkConfig(host, ["vlanTrunk": [["id": 101], ["minID": 200, "maxID": 202]]]))
        let vlans = try host.json(host.name, "bridge -j -c vlan show dev \(try hostPort(add))").first?["vlans"] as? [[String: Any]] ?? []
        var ids: [Int] = []
        for entry in vlans {
            guard let first = entry["vlan"] as? Int else { continue }
            ids += Array(first...((entry["vlanEnd"] as? Int) ?? first))
        }
        #expect(ids.sorted() == [1, 101, 200, 201, 202], "\(vlans)")
        let tagged = vlans.filter { ($0["vlan"] as? Int ?? 0) > 1 }
        #expect(tagged.allSatisfy { !(($0["flags"] as? [String]) ?? []).contains("Egress Untagged") })
    }

    @Test("without kernel VLAN filtering, vlan is refused as unsupported (2) and nothing is left behind",
          .enabled(if: !KernelFeatures.bridgeVLANFiltering, "this kernel has bridge VLAN filtering"))
    func vlanUnsupported() throws {
        let host = try PrivateHost("novlan")
        defer { host.cleanup() }
        let container = try host.container("c")
        let add = try host.cni("ADD", container: container, config: networkConfig(host, ["vlan": 42]))
        #expect(add.errorCode == 2, "\(add.stdoutText)")
        #expect(add.errorMessage == "VLAN filtering is not available in this kernel")
        #expect(try host.linkNames(host.name) == ["lo"])
        #expect(try host.linkNames(container) == ["lo"])
        #expect(host.leases().isEmpty && host.records().isEmpty)
    }

    @Test("mtu applies to the bridge and both veth ends; promiscMode sets the bridge promiscuous", .privateHost("mtu"))
    func mtuAndPromisc() throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        let add = try host.attach(container, config: networkConfig(host, version: "1.1.0", ["mtu": 1400, "promiscMode": true]))
        #expect(add.interfaces.compactMap { $0["mtu"] as? Int } == [1400, 1400, 1400])
        let inside = try #require(try host.json(container, "ip -j link show dev eth0").first)
        #expect(inside["mtu"] as? Int == 1400)
        let bridge = try #require(try host.json(host.name, "ip -j -d link show dev pt0").first)
        #expect((bridge["promiscuity"] as? Int ?? 0) > 0)
    }

    @Test("a layer-2 network (no ipam) attaches without addresses; disableContainerInterface leaves the link down", .privateHost("l2"))
    func layerTwo() throws {
        let host = try PrivateHost.scoped()
        let up = try host.container("up"), down = try host.container("down")
        var config = networkConfig(host, ["isGateway": false])
        config["ipam"] = nil
        let addUp = try host.attach(up, config: config)
        #expect(addUp.addresses.isEmpty)
        #expect((try host.json(up, "ip -j link show dev eth0").first?["operstate"] as? String) == "UP")
        config["disableContainerInterface"] = true
        _ = try host.attach(down, config: config)
        let flags = try host.json(down, "ip -j link show dev eth0").first?["flags"] as? [String] ?? []
        #expect(!flags.contains("UP"), "\(flags)")
    }
}
