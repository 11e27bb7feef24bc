import CNI
import CNIDoor
import Foundation
import Pontoon
import Testing
import TestSupport

@Suite("Result conversion")
struct ResultConversionTests {
    static let versions = CNIVersion.supported.map(\.description)

    func load(_ name: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: Repository.testdata + "/results/\(name).json"))
    }

    @Test("a 1.1.0 result rendered in every version matches its golden file", arguments: versions)
    func render(_ version: String) throws {
        let input = try JSONDecoder().decode(WireResult.self, from: try load("input-1.1.0"))
        let model = try input.attachmentResult()
        let rendered = try WireResult(model, version: CNIVersion(version)!)
        let actual = try JSONCompare.parse(Data(rendered.json))
        let expected = try JSONCompare.parse(try load("expected-\(version)"))
        #expect(JSONCompare.equal(actual, expected), "\(version):\n  expected \(JSONCompare.canonical(expected))\n  actual   \(JSONCompare.canonical(actual))")
    }

    @Test("every golden rendering reads back to the model it came from (within what that version can say)", arguments: ["1.1.0", "1.0.0", "0.4.0"])
    func roundTrip(_ version: String) throws {
        let golden = try JSONDecoder().decode(WireResult.self, from: try load("expected-\(version)"))
        let again = try WireResult(try golden.attachmentResult(), version: CNIVersion(version)!)
        #expect(again == golden)
    }

    @Test("a 0.3.1 prevResult is understood")
    func previousResult() throws {
        let wire = try JSONDecoder().decode(WireResult.self, from: try load("prev-0.3.1"))
        let model = try wire.attachmentResult()
        #expect(model.interfaces.map(\.name) == ["cni0", "veth1a2b3c4d", "eth0"])
        #expect(model.interfaces[2].sandbox == "/run/netns/ctr")
        #expect(model.ips.first?.interface == 2)
        #expect(model.ips.first?.address.description == "10.88.9.77/24")
        #expect(model.routes.first?.destination.description == "0.0.0.0/0")
    }

    @Test("a prevResult with a bad address names it")
    func badPreviousResult() throws {
        let wire = try JSONDecoder().decode(WireResult.self, from: Data(#"{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.300/24"}]}"#.utf8))
        let error = #expect(throws: CNIError.self) { try wire.attachmentResult() }
        #expect(error?.code == 6)
        #expect(error?.message.contains("ips[0].address") == true)
    }

    @Test("an IPAM-only result cannot be rendered for 0.2.0 without addresses")
    func legacyNeedsAddress() {
        #expect(throws: CNIError.self) { try WireResult(AttachmentResult(), version: CNIVersion(0, 2, 0)) }
    }
}
