import CNI
import CNIDoor
import Foundation
import Pontoon
import Testing
import TestSupport

/// What real podman 4.3.1 sent (captured into testdata/podman) must decode into the
/// attachment podman meant. The captures are the contract.
@Suite("podman captures")
struct ReferenceCaptureTests {
    struct Capture: Decodable {
        var env: [String: String]
    }

    func load(_ name: String) throws -> (env: [String: String], stdin: [UInt8]) {
        let url = URL(fileURLWithPath: Repository.testdata + "/podman/\(name)")
        let data = try Data(contentsOf: url)
        let object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let stdin = try JSONSerialization.data(withJSONObject: object["stdin"]!)
        return (object["env"] as! [String: String], Array(stdin))
    }

    @Test("static IP and MAC from CNI_ARGS")
    func staticIPAndMAC() throws {
        let capture = try load("podman-cni-static-ip-mac.json")
        let request = try CNIRequest(environment: try CNIEnvironment(capture.env), stdin: capture.stdin)
        var network = BridgeNetwork(name: "fakenet")
        network.bridgeName = "cni-fake0"
        let attachment = try request.attachment(network: network)
        #expect(attachment.requestedIPs.map(\.description) == ["10.88.9.77"])
        #expect(attachment.requestedMAC?.description == "02:00:00:00:09:77")
        #expect(attachment.id.ifName == "eth0")
        guard case .hostLocal(let config) = try request.ipamPlan() else {
            Issue.record("expected host-local")
            return
        }
        #expect(config.networkName == "fakenet")
        #expect(config.dataDir == "/var/lib/cni/networks")
        #expect(config.routes.map(\.destination.description) == ["0.0.0.0/0"])
    }

    @Test("the DEL capture decodes its prevResult")
    func deleteWithPreviousResult() throws {
        let capture = try load("podman-cni-del.json")
        let request = try CNIRequest(environment: try CNIEnvironment(capture.env), stdin: capture.stdin)
        let previous = try #require(try request.previousResult())
        #expect(previous.interfaces.map(\.name) == ["cni-fake0", "veth5fe7d220", "eth0"])
        #expect(previous.ips.first?.address.description == "10.88.9.3/24")
        let network = try request.bridgeNetwork()
        #expect(network.bridgeName == "cni-fake0")
        #expect(network.isGateway && network.hairpinMode && network.ipMasq)
    }

    @Test("the podman ADD capture maps to a masquerading nftables network with its two port mappings")
    func addWithFirewall() throws {
        let capture = try load("podman-cni-add.json")
        let request = try CNIRequest(environment: try CNIEnvironment(capture.env), stdin: capture.stdin)
        #expect(request.version == CNIVersion(1, 0, 0))
        let network = try request.bridgeNetwork()
        #expect(network.ipMasq && network.firewall == .nftables)
        let attachment = try request.attachment(network: network)
        #expect(attachment.portMappings == [
            PortMapping(hostPort: 8080, containerPort: 80, transport: .tcp),
            PortMapping(hostPort: 8053, containerPort: 53, transport: .udp),
        ])
    }
}
