import Foundation
import Testing
import TestSupport

@Suite("netavark mode: default route metric", needsRoot)
struct NetavarkRouteMetricTests {
    /// The metric of the container's default route of one family (nil: no default route; 0 when
    /// iproute2 prints none, the kernel's IPv4 default).
    static func defaultMetric(_ host: PrivateHost, _ container: String, family: String) throws -> Int? {
        let routes = try host.json(container, "ip \(family) -j route show default")
        guard let route = routes.first else { return nil }
        return route["metric"] as? Int ?? 0
    }

    @Test("both families' default routes get metric 100, or the network's metric option, as with netavark 1.4.0",
          .privateHost("nvmetric"), arguments: NetavarkPlugin.allCases, [nil, "250"])
    func metric(_ plugin: NetavarkPlugin, _ option: String?) throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        var request = try dualStackRequest(id: String(repeating: "6", count: 64), name: "capc1", v4: "10.92.0.2", v6: "fd00:92::2",
                                           options: option.map { ["metric": $0] })
        // Names play no part here: no aardvark-dns.
        var info = request["network_info"] as! [String: [String: Any]]
        info["capnet2"]!["dns_enabled"] = false
        request["network_info"] = info
        let setup = try host.netavark(["setup", PrivateHost.path(container)], request, environment: plugin.environment, binary: plugin.binary)
        #expect(setup.status == 0, "\(setup.stdoutText) \(setup.stderrText)")
        let expected = option.flatMap(Int.init) ?? 100
        #expect(try Self.defaultMetric(host, container, family: "-4") == expected)
        #expect(try Self.defaultMetric(host, container, family: "-6") == expected)
        // The route is used: the gateway answers through it.
        #expect(try host.exec(container, "ip -6 route get 2001:db8::1").stdoutText.contains("via fd00:92::1"))
        #expect(try host.netavark(["teardown", PrivateHost.path(container)], request, environment: plugin.environment,
                                  binary: plugin.binary).status == 0)
        #expect(try host.linkNames(container) == ["lo"])
    }

    @Test("pontoon: a metric that is not 0-4294967295 is refused by name, nothing made",
          .privateHost("nvmetricbad"), arguments: ["-1", "4294967296", "x"])
    func refused(_ value: String) throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        let request = try dualStackRequest(id: String(repeating: "7", count: 64), name: "capc1", v4: "10.92.0.2", v6: "fd00:92::2",
                                           options: ["metric": value])
        let setup = try host.netavark(["setup", PrivateHost.path(container)], request)
        #expect(setup.status == 1)
        let error = (setup.json as? [String: Any])?["error"] as? String ?? ""
        #expect(error.contains("option metric") && error.contains(value), "\(setup.stdoutText)")
        #expect(try host.linkNames(container) == ["lo"])
    }
}
