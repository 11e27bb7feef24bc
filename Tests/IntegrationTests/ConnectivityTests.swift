import Foundation
import Testing
import TestSupport

@Suite("Connectivity", needsRoot)
struct ConnectivityTests {
    @Test("two containers on one network ping each other and the gateway", .privateHost("ping"))
    func twoContainers() throws {
        let host = try PrivateHost.scoped()
        let a = try host.container("a"), b = try host.container("b")
        let config = networkConfig(host)
        let addA = try host.attach(a, config: config)
        let addB = try host.attach(b, config: config)
        #expect(addA.stderr.isEmpty && addB.stderr.isEmpty, "the plugin must stay silent on stderr")
        let ipA = bare(try #require(addA.addresses.first)), ipB = bare(try #require(addB.addresses.first))
        #expect(ipA != ipB)
        #expect(try host.pings(from: a, ipB))
        #expect(try host.pings(from: b, ipA))
        #expect(try host.pings(from: a, "10.99.0.1"), "gateway on the bridge")
        #expect(try host.pings(from: host.name, ipA), "the host reaches the container through the bridge")
    }

    @Test("with isGateway and no masquerading, containers reach an outside network routed through the host", .privateHost("out"))
    func routedToOutside() throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        let outside = try host.container("outside")
        // The outside world: a veth from the private host to a third namespace, routing back to the containers.
        try host.exec(host.name, """
            ip link add up0 type veth peer name eth0 netns \(outside) && ip addr add 192.0.2.1/24 dev up0 && ip link set up0 up
            """)
        try host.exec(outside, "ip addr add 192.0.2.2/24 dev eth0 && ip link set eth0 up && ip link set lo up && ip route add 10.99.0.0/24 via 192.0.2.1")
        let add = try host.attach(container, config: networkConfig(host, ["ipMasq": false]))
        #expect(try host.exec(host.name, "cat /proc/sys/net/ipv4/ip_forward").stdoutText.hasPrefix("1"), "forwarding on in the private host")
        #expect(try host.pings(from: container, "192.0.2.2"))
        // The outside sees the container's own address: no NAT happened.
        #expect(try host.pings(from: outside, bare(add.addresses[0])))
    }

    @Test("dual-stack: both families configured, pingable, IPv6 usable at once (no DAD wait)", .privateHost("dual"))
    func dualStack() throws {
        let host = try PrivateHost.scoped()
        let a = try host.container("a"), b = try host.container("b")
        let config = networkConfig(host, subnets: ["10.99.0.0/24", "fd99::/64"], routes: ["0.0.0.0/0", "::/0"])
        _ = try host.attach(a, config: config)
        // Right after ADD, before any ping: no address of the container may still be tentative.
        let addresses = try host.json(a, "ip -j addr show dev eth0").first?["addr_info"] as? [[String: Any]] ?? []
        #expect(addresses.contains { $0["local"] as? String == "fd99::2" } == true)
        let tentative = addresses.filter { $0["tentative"] as? Bool == true }
        #expect(tentative.isEmpty, "tentative addresses: \(tentative)")
        let addB = try host.attach(b, config: config)
        #expect(addB.addresses == ["10.99.0.3/24", "fd99::3/64"])
        #expect(try host.pings(from: a, "fd99::3"))
        #expect(try host.pings(from: a, "10.99.0.3"))
        #expect(try host.pings(from: b, "fd99::1"), "IPv6 gateway on the bridge")
        let routes = try host.exec(a, "ip -6 route show default").stdoutText
        #expect(routes.contains("via fd99::1"), "default route: \(routes)")
    }

    @Test("IPv6-only network", .privateHost("v6"))
    func ipv6Only() throws {
        let host = try PrivateHost.scoped()
        let a = try host.container("a"), b = try host.container("b")
        let config = networkConfig(host, subnets: ["fd98::/64"], routes: ["::/0"])
        _ = try host.attach(a, config: config)
        let addB = try host.attach(b, config: config)
        #expect(try host.pings(from: a, bare(addB.addresses[0])))
        #expect(try host.exec(host.name, "cat /proc/sys/net/ipv6/conf/all/forwarding").stdoutText.hasPrefix("1"))
    }
}
