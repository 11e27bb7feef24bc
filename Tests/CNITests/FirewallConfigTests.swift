import CNI
import CNIDoor
import Foundation
import NetAddress
import Pontoon
import Testing

/// How the firewall keys and port mappings of a network config reach the engine.
@Suite("Firewall configuration")
struct FirewallConfigTests {
    private func request(_ extra: [String: Any], command: String = "ADD") throws -> CNIRequest {
        var config: [String: Any] = ["cniVersion": "1.0.0", "name": "net", "type": "pontoon",
                                     "ipam": ["type": "host-local", "ranges": [[["subnet": "10.1.0.0/24"]]]]]
        config.merge(extra) { _, new in new }
        let stdin = Array(try JSONSerialization.data(withJSONObject: config))
        let env = try CNIEnvironment(["CNI_COMMAND": command, "CNI_CONTAINERID": "c1", "CNI_NETNS": "/run/netns/x",
                                      "CNI_IFNAME": "eth0", "CNI_PATH": "/usr/lib/cni"])
        return try CNIRequest(environment: env, stdin: stdin)
    }

    @Test("nftables by default; firewall wins over ipMasqBackend; iptables and none are accepted")
    func driverChoice() throws {
        #expect(try request([:]).bridgeNetwork().firewall == .nftables)
        #expect(try request(["ipMasqBackend": "nftables"]).bridgeNetwork().firewall == .nftables)
        #expect(try request(["firewall": "none", "ipMasqBackend": "iptables"]).bridgeNetwork().firewall == FirewallKind.none)
        #expect(try request(["ipMasq": true]).bridgeNetwork().ipMasq)
        #expect(try request(["firewall": "iptables"]).bridgeNetwork().firewall == .iptables)
        #expect(try request(["ipMasqBackend": "iptables"]).bridgeNetwork().firewall == .iptables)
        #expect(throws: CNIError.self) { try request(["ipMasqBackend": "none"]).bridgeNetwork() }
    }

    @Test("an unknown driver is a config error (7); isolate is strict isolation; isolate and macspoofchk without a firewall are refused (2)")
    func refused() throws {
        let unknown = #expect(throws: CNIError.self) { try request(["firewall": "pf"]).bridgeNetwork() }
        #expect(unknown?.code == 7)
        #expect(unknown?.message == "invalid firewall \"pf\": must be nftables, iptables or none")
        #expect(try request(["isolate": true]).bridgeNetwork().isolation == .strict)
        #expect(try request(["isolate": false]).bridgeNetwork().isolation == .off)
        #expect(try request(["macspoofchk": true]).bridgeNetwork().macSpoofCheck)
        for extra: [String: Any] in [["isolate": true, "firewall": "none"], ["macspoofchk": true, "firewall": "none"]] {
            let error = #expect(throws: CNIError.self) { try request(extra).bridgeNetwork() }
            #expect(error?.code == 2, "\(extra)")
        }
        // DEL is never refused for them.
        #expect(try request(["macspoofchk": true], command: "DEL").bridgeNetwork().macSpoofCheck)
    }

    @Test("port mappings resolve against the container's families; 0.0.0.0 means every IPv4 address")
    func resolution() throws {
        let id = AttachmentID(containerID: "c1", ifName: "eth0")
        let addresses = [IPAddress("10.1.0.2")!, IPAddress("fd01::2")!]
        let state = try FirewallAttachment(id: id, addresses: addresses, mappings: [
            PortMapping(hostPort: 8080, containerPort: 80, transport: .tcp),
            PortMapping(hostIP: IPAddress("0.0.0.0")!, hostPort: 8053, containerPort: 53, transport: .udp),
            PortMapping(hostIP: IPAddress("192.0.2.1")!, hostPort: 8443, containerPort: 443, transport: .tcp),
        ])
        #expect(state.hostPorts.map(\.hostDescription) == [
            "8080/tcp on 0.0.0.0", "8080/tcp on [::]", "8053/udp on 0.0.0.0", "8443/tcp on 192.0.2.1",
        ])
        #expect(state.hostPorts.map(\.containerAddress.description) == ["10.1.0.2", "fd01::2", "10.1.0.2", "10.1.0.2"])
        let noV6 = #expect(throws: PontoonError.self) {
            try FirewallAttachment(id: id, addresses: [IPAddress("10.1.0.2")!],
                                   mappings: [PortMapping(hostIP: IPAddress("2001:db8::1")!, hostPort: 1, containerPort: 1, transport: .tcp)])
        }
        #expect(noV6?.message == "port mapping 1/tcp on 2001:db8::1: the container has no address of that family")
    }
}
