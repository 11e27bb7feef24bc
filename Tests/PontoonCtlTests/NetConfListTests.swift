import CNI
import Foundation
import Netavark
import Testing
@testable import PontoonCtl

/// The typed conflist pontoonctl runs: what a runtime reads is typed, every other key survives a
/// round trip and reaches the plugin as given.
@Suite("typed CNI conflists")
struct NetConfListTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static func bytes(_ path: String) throws -> Data {
        try #require(FileManager.default.contents(atPath: repository + "/" + path), "\(path) is missing")
    }

    /// The same document, compared as JSON (key order and whitespace aside).
    static func json(_ data: Data) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: data)
    }

    static let conflists = ["conf/10-pontoon.conflist", "conf/20-pontoon-dualstack.conflist", "testdata/podman/podman-cni-fakenet.conflist"]

    @Test("conflists read, typed and written back unchanged", arguments: conflists)
    func roundTrip(_ path: String) throws {
        let data = try Self.bytes(path)
        let list = try JSONDecoder().decode(NetConfList.self, from: data)
        #expect(list.name?.isEmpty == false)
        #expect(list.cniVersion != nil)
        let plugins = try #require(list.plugins)
        #expect(!plugins.isEmpty && plugins.allSatisfy { $0.type?.isEmpty == false })
        #expect(try Self.json(Data(JSONCoding.encode(list))) == Self.json(data))
        #expect(try JSONDecoder().decode(NetConfList.self, from: Data(JSONCoding.encode(list))) == list)
    }

    @Test("the plugin configs podman sent (testdata inputs) survive a round trip as plugin entries",
          arguments: ["podman-cni-add.json", "podman-cni-chained-add.json", "podman-cni-del.json"])
    func pluginInputs(_ name: String) throws {
        let captured = try #require(Self.json(Self.bytes("testdata/podman/" + name)).object?["stdin"]?.object)
        let plugin = PluginConf(fields: captured)
        #expect(plugin.type?.isEmpty == false)
        #expect(try Self.json(Data(JSONCoding.encode(plugin.fields))) == .object(captured))
    }

    @Test("unknown keys, nested values and numbers are kept; wrong types read as absent, not as errors")
    func unknownKeys() throws {
        let text = """
            {"cniVersion": "1.1.0", "name": "n", "disableCheck": true, "cniVersions": ["1.0.0", "1.1.0"],
             "plugins": [{"type": "vendor", "mtu": 1500, "rate": 1.5, "limit": -3, "empty": null,
                          "nested": {"list": [1, "two", false, {"deep": []}]}, "capabilities": {"ips": true, "mac": false, "x": 1}}]}
            """
        let list = try JSONDecoder().decode(NetConfList.self, from: Data(text.utf8))
        #expect(list.fields["disableCheck"] == .bool(true))
        let plugin = try #require(list.plugins?.first)
        #expect(plugin.type == "vendor")
        #expect(plugin.capabilities == ["ips"])
        #expect(plugin.fields["mtu"] == .int(1500) && plugin.fields["rate"] == .double(1.5) && plugin.fields["empty"] == .null)
        let written = String(decoding: JSONCoding.encode(list), as: UTF8.self)
        #expect(written.contains("\"mtu\":1500") && written.contains("\"rate\":1.5") && written.contains("\"limit\":-3"))
        #expect(try Self.json(Data(written.utf8)) == Self.json(Data(text.utf8)))

        let odd = try JSONDecoder().decode(NetConfList.self, from: Data(#"{"name": 7, "plugins": [{"type": "a"}, 3]}"#.utf8))
        #expect(odd.name == nil && odd.cniVersion == nil && odd.plugins == nil)
        #expect(odd.fields["name"] == .int(7))
    }

    /// What podman 4.3.1 (libcni) sent each plugin of testdata's conflist, built again from it.
    @Test("each plugin's stdin as libcni builds it: list name and version, prevResult, declared capabilities only")
    func pluginConfig() throws {
        let list = try JSONDecoder().decode(NetConfList.self, from: Self.bytes("testdata/podman/podman-cni-fakenet.conflist"))
        let plugins = try #require(list.plugins)
        let add = try #require(Self.json(Self.bytes("testdata/podman/podman-cni-add.json")).object)
        let chained = try #require(Self.json(Self.bytes("testdata/podman/podman-cni-chained-add.json")).object)
        let ports: JSONValue = [["hostPort": 8080, "containerPort": 80, "protocol": "tcp"],
                                ["hostPort": 8053, "containerPort": 53, "protocol": "udp"]]
        let runtime: [String: JSONValue] = ["aliases": ["fakenet": ["8daeb537cd9c"]], "portMappings": ports, "ips": ["10.88.9.3"]]
        let first = plugins[0].config(name: "fakenet", cniVersion: "1.0.0", prevResult: nil,
                                      runtimeValues: runtime.filter { $0.key != "ips" })
        #expect(JSONValue.object(first) == add["stdin"])

        let answer = try #require(add["stdout_from_reference_bridge"])
        let result = try JSONDecoder().decode(WireResult.self, from: Data(JSONCoding.encode(answer)))
        let second = plugins[1].config(name: "fakenet", cniVersion: "1.0.0", prevResult: result, runtimeValues: runtime)
        #expect(JSONValue.object(second) == chained["stdin"])

        let bare = PluginConf(fields: ["type": "firewall", "runtimeConfig": ["stale": true]])
        #expect(bare.config(name: "n", cniVersion: "1.0.0", prevResult: nil, runtimeValues: runtime)["runtimeConfig"] == nil)
    }

    @Test("pontoonctl's generated conflists read back typed")
    func generated() throws {
        let operations = NetworkOperations(store: Store(paths: ControlPaths(
            stateDirectory: "/state", configDirectory: "/config", netnsDirectory: "/netns", pluginDirectories: [],
            aardvarkBinary: "/aardvark", selfDirectory: "/bin")))
        let network = Network(name: "n", id: "x", driver: "bridge", networkInterface: "pontoon3",
                              subnets: [.init(subnet: "10.89.3.0/24", gateway: "10.89.3.1"), .init(subnet: "fd00:1::/64", gateway: "fd00:1::1")],
                              ipv6Enabled: true, internal: false, dnsEnabled: false, options: ["mtu": "1400"], ipamOptions: nil)
        let list = try JSONDecoder().decode(NetConfList.self, from: operations.conflistData(network, type: "bridge"))
        #expect(list.name == "n" && list.cniVersion == "1.0.0")
        #expect(list.plugins?.map(\.type) == ["bridge", "portmap", "firewall"])
        let expected: JSONValue = [
            "type": "bridge", "bridge": "pontoon3", "isGateway": true, "ipMasq": true, "hairpinMode": true, "mtu": 1400,
            "capabilities": ["ips": true, "mac": true],
            "ipam": ["type": "host-local", "dataDir": "/state/cni-ipam",
                     "ranges": [[["subnet": "10.89.3.0/24", "gateway": "10.89.3.1"]], [["subnet": "fd00:1::/64", "gateway": "fd00:1::1"]]],
                     "routes": [["dst": "0.0.0.0/0"], ["dst": "::/0"]]],
        ]
        #expect(list.plugins.map { JSONValue.object($0[0].fields) } == expected)
        #expect(list.plugins?[1].capabilities == ["portMappings"])
    }
}
