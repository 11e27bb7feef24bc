import Foundation
import Testing
import TestSupport

/// A real dual-stack ADD answered in every cniVersion, compared with testdata/datapath/add-<v>.json
/// after replacing run-dependent values (MACs, the random host veth name, the netns path).
@Suite("ADD results per version", needsRoot)
struct ResultGoldenTests {
    static let versions = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]

    @Test("ADD result matches its golden file", arguments: versions)
    func result(_ version: String) throws {
        let host = try PrivateHost("golden")
        defer { host.cleanup() }
        let container = try host.container("c")
        let config = networkConfig(host, version: version, subnets: ["10.99.0.0/24", "fd99::/64"], routes: [],
                                   ["isDefaultGateway": true, "dns": ["nameservers": ["10.99.0.53"], "search": ["example.internal"]]])
        let add = try host.attach(container, config: config)
        let actual = JSONCompare.normalise(try #require(add.json), [
            (#"^([0-9a-f]{2}:){5}[0-9a-f]{2}$"#, "<mac>"),
            (#"^veth[0-9a-f]{8}$"#, "<veth>"),
            ("^" + PrivateHost.path(container) + "$", "<netns>"),
        ])
        let expected = try JSONCompare.parse(Data(contentsOf: URL(fileURLWithPath: Repository.testdata + "/datapath/add-\(version).json")))
        #expect(JSONCompare.equal(actual, expected), "\n  expected \(JSONCompare.canonical(expected))\n  actual   \(JSONCompare.canonical(actual))")
        #expect(try host.pings(from: container, "fd99::1"))
    }
}
