import Netavark
@testable import NetavarkDoor
import NetAddress
import Pontoon
import Testing

/// netavark's two small contracts in the door: `NETAVARK_DNS_PORT` and the default route metric.
@Suite("netavark door: NETAVARK_DNS_PORT and the default route metric")
struct DNSPortAndMetricTests {
    @Test("NETAVARK_DNS_PORT: 53 when unset or empty, else a port 1-65535")
    func dnsPort() throws {
        #expect(try NetavarkInvocation.dnsPort([:]) == 53)
        #expect(try NetavarkInvocation.dnsPort(["NETAVARK_DNS_PORT": ""]) == 53)
        #expect(try NetavarkInvocation.dnsPort(["NETAVARK_DNS_PORT": "5354"]) == 5354)
        #expect(try NetavarkInvocation.dnsPort(["NETAVARK_DNS_PORT": "65535"]) == 65535)
        for bad in ["0", "65536", "-1", "+53", " 53", "53 ", "0x35", "abc", "99999999999999999999"] {
            // Empty when it did not throw.
            let message = Self.message { try NetavarkInvocation.dnsPort(["NETAVARK_DNS_PORT": bad]) }
            #expect(message.contains("NETAVARK_DNS_PORT \"\(bad)\" is not a port number"), "\(bad): \(message)")
        }
    }

    static func message(_ body: () throws -> UInt16) -> String {
        do { _ = try body(); return "" } catch { return NetavarkInvocation.message(error) }
    }

    /// A dual-stack network with static IPs and `options`.
    static func plan(options: [String: String]?, dnsPort: UInt16 = 53, dns: Bool = true) throws -> NetworkPlan {
        var network = """
            "name": "n1", "id": "1111", "driver": "bridge", "network_interface": "pt9",
            "subnets": [{"subnet": "10.92.0.0/24", "gateway": "10.92.0.1"}, {"subnet": "fd00:92::/64", "gateway": "fd00:92::1"}],
            "ipv6_enabled": true, "internal": false, "dns_enabled": \(dns), "ipam_options": {"driver": "host-local"}
            """
        if let options {
            network += ", \"options\": {" + options.map { "\"\($0.key)\": \"\($0.value)\"" }.joined(separator: ", ") + "}"
        }
        let json = """
            {"container_id": "c1", "container_name": "one",
             "networks": {"n1": {"static_ips": ["10.92.0.2", "fd00:92::2"], "interface_name": "eth0"}},
             "network_info": {"n1": {\(network)}}}
            """
        let request = try NetavarkJSON.decode(NetworkOptions.self, from: Array(json.utf8))
        return try NetworkPlan(request.networks[0], request: request, netns: "/run/netns/x", leaseDirectory: "/nonexistent",
                               firewall: .nftables, servesPorts: false, forSetup: true, dnsPort: dnsPort)
    }

    static func defaultRoutes(_ plan: NetworkPlan) throws -> [Route] {
        let allocator = try #require(plan.allocator as? StaticAllocator)
        return allocator.assigned.routes.filter { $0.destination.prefixLength == 0 }
    }

    @Test("default routes of both families get metric 100, the network's metric when set; no_default_route has none")
    func metric() throws {
        let plain = try Self.defaultRoutes(Self.plan(options: nil))
        #expect(plain.map(\.destination.description).sorted() == ["0.0.0.0/0", "::/0"])
        #expect(plain.allSatisfy { $0.priority == 100 })
        #expect(try Self.defaultRoutes(Self.plan(options: ["metric": "250"])).map(\.priority) == [250, 250])
        #expect(try Self.defaultRoutes(Self.plan(options: ["metric": "0"])).map(\.priority) == [0, 0])
        #expect(try Self.defaultRoutes(Self.plan(options: ["no_default_route": "true"])).isEmpty)
        for bad in ["-1", "4294967296", "x"] {
            #expect(throws: PontoonError.self, "\(bad)") { try Self.plan(options: ["metric": bad]) }
        }
    }

    @Test("a DNS network gets the port to redirect to when it is not 53; a network without DNS never does")
    func dnsPortReachesTheNetwork() throws {
        #expect(try Self.plan(options: nil).network.dnsPort == nil)
        #expect(try Self.plan(options: nil, dnsPort: 5354).network.dnsPort == 5354)
        #expect(try Self.plan(options: nil, dnsPort: 5354, dns: false).network.dnsPort == nil)
    }
}
