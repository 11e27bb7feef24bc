import Foundation
import Testing
import TestSupport

/// podman passes `--ip`/`--mac-address` in CNI_ARGS; other runtimes use runtimeConfig (the `ips`
/// and `mac` capabilities) or `args.cni`. Each way must land on the container's interface.
@Suite("Static IP and MAC", needsRoot)
struct StaticAddressTests {
    enum Way: String, CaseIterable, Sendable { case cniArgs, runtimeConfig, argsCNI }

    @Test("requested address and MAC are applied", arguments: Way.allCases)
    func staticAddress(_ way: Way) throws {
        let host = try PrivateHost("static")
        defer { host.cleanup() }
        let container = try host.container("c")
        var config = networkConfig(host)
        var args: String?
        switch way {
        case .cniArgs: args = "IgnoreUnknown=1;K8S_POD_NAME=x;MAC=02:00:00:00:09:77;IP=10.99.0.77"
        case .runtimeConfig: config["runtimeConfig"] = ["ips": ["10.99.0.77/24"], "mac": "02:00:00:00:09:77"]
        case .argsCNI: config["args"] = ["cni": ["ips": ["10.99.0.77"], "mac": "02:00:00:00:09:77"]]
        }
        let add = try host.attach(container, args: args, config: config)
        #expect(add.addresses == ["10.99.0.77/24"])
        #expect(add.interfaces.last?["mac"] as? String == "02:00:00:00:09:77")
        let link = try #require(try host.json(container, "ip -j addr show dev eth0").first)
        #expect(link["address"] as? String == "02:00:00:00:09:77")
        let addresses = (link["addr_info"] as? [[String: Any]] ?? []).compactMap { $0["local"] as? String }
        #expect(addresses.contains("10.99.0.77"))
        #expect(host.leases() == ["10.99.0.77"])
        #expect(try host.pings(from: container, "10.99.0.1"))
    }
}
