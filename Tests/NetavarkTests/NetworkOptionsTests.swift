import Foundation
import Netavark
import Testing
import TestSupport

/// What podman 4.3.1 really sent netavark (testdata/podman) decodes into what podman meant.
@Suite("netavark NetworkOptions")
struct NetworkOptionsTests {
    func capture(_ name: String, _ step: String? = nil) throws -> [UInt8] {
        let data = try Data(contentsOf: URL(fileURLWithPath: Repository.testdata + "/podman/\(name)"))
        var object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        if let step { object = object[step] as! [String: Any] }
        return Array(try JSONSerialization.data(withJSONObject: object["stdin"]!))
    }

    @Test("one network with two port mappings, as `podman run -p` sends it")
    func singleNetwork() throws {
        let options = try NetavarkJSON.decode(NetworkOptions.self, from: try capture("podman-netavark-setup.json"))
        #expect(options.containerName == "nvctr")
        #expect(options.networks.map(\.name) == ["podman"])
        #expect(options.networks[0].options.staticIPs == ["10.88.0.13"])
        #expect(options.networks[0].options.interfaceName == "eth0")
        #expect(options.portMappings?.map(\.hostPort) == [8080, 8053])
        #expect(options.portMappings?.map(\.protocol) == ["tcp", "udp"])
        let network = try #require(options.networkInfo["podman"])
        #expect(network.networkInterface == "podman0" && network.driver == "bridge")
        #expect(network.subnets?.first?.gateway == "10.88.0.1")
        #expect(network.ipamOptions?["driver"] == "host-local")
    }

    @Test("every step of the two-network DNS capture decodes; networks come in interface order",
          arguments: ["setup_two_networks_with_dns", "connect_internal_network", "disconnect_internal_network",
                      "reload_setup_again_with_static_mac", "rm_teardown"])
    func multiNetwork(_ step: String) throws {
        let options = try NetavarkJSON.decode(NetworkOptions.self, from: try capture("podman-netavark-multi-dns.json", step))
        let interfaces = options.networks.map(\.options.interfaceName)
        #expect(interfaces == interfaces.sorted())
        for entry in options.networks {
            #expect(options.networkInfo[entry.name] != nil)
        }
        if step == "reload_setup_again_with_static_mac" {
            #expect(options.networks.map(\.options.staticMAC) == ["36:39:84:6d:31:4e", "c2:87:e9:a9:0f:8a"])
        }
    }

    @Test("podman 6's ordered array of networks keeps its order")
    func arrayForm() throws {
        let json = """
        {"container_id":"abc","container_name":"c","networks":[{"name":"b","interface_name":"eth0"},{"name":"a","interface_name":"eth1","static_ips":["10.1.0.2"]}],
         "network_info":{"a":{"name":"a","driver":"bridge"},"b":{"name":"b","driver":"bridge"}},"unknown_field":{"x":1}}
        """
        let options = try NetavarkJSON.decode(NetworkOptions.self, from: Array(json.utf8))
        #expect(options.networks.map(\.name) == ["b", "a"])
        #expect(options.networks[1].options.staticIPs == ["10.1.0.2"])
    }

    @Test("keys follow the same Go rule as the CNI door: any casing, the exact spelling wins")
    func keyCasing() throws {
        let json = """
        {"Container_ID":"upper","container_id":"exact","CONTAINER_NAME":"c","Networks":{"n":{"Interface_Name":"eth0"}},"Network_Info":{}}
        """
        let options = try NetavarkJSON.decode(NetworkOptions.self, from: Array(json.utf8))
        #expect(options.containerID == "exact" && options.containerName == "c")
        #expect(options.networks.map(\.options.interfaceName) == ["eth0"])
    }

    @Test("a map of networks is ordered by interface number, eth2 before eth10")
    func mapOrder() throws {
        let json = """
        {"container_id":"abc","container_name":"c","networks":{"x":{"interface_name":"eth10"},"y":{"interface_name":"eth2"},"z":{"interface_name":"eth0"}},
         "network_info":{}}
        """
        let options = try NetavarkJSON.decode(NetworkOptions.self, from: Array(json.utf8))
        #expect(options.networks.map(\.name) == ["z", "y", "x"])
    }

    @Test("a missing or mistyped field is named with its key path", arguments: [
        (#"{"container_name":"c","networks":{},"network_info":{}}"#, "invalid network options: \"container_id\": missing"),
        (#"{"container_id":"a","container_name":"c","networks":{"n":{}},"network_info":{}}"#, "invalid network options: \"networks.n.interface_name\": missing"),
        (#"{"container_id":"a","container_name":"c","networks":[{"interface_name":"eth0"}],"network_info":{}}"#, "invalid network options: \"networks[0].name\": missing"),
        (#"{"container_id":"a","container_name":"c","networks":7,"network_info":{}}"#, "invalid network options: \"networks\": expected an array"),
        ("{", "invalid network options: malformed JSON (The given data was not valid JSON.)"),
    ])
    func missingFields(_ input: (String, String)) throws {
        let error = #expect(throws: NetavarkJSON.DecodeError.self) {
            try NetavarkJSON.decode(NetworkOptions.self, from: Array(input.0.utf8))
        }
        #expect(error?.description == input.1)
    }

    @Test("a StatusBlock encodes with netavark's field names")
    func statusBlock() {
        let block = StatusBlock(dnsSearchDomains: ["dns.podman"], dnsServerIPs: ["10.89.0.1"],
                                interfaces: ["eth0": .init(macAddress: "02:00:00:00:00:01", subnets: [.init(ipnet: "10.89.0.2/24", gateway: "10.89.0.1")])])
        let text = String(decoding: NetavarkJSON.encode(["net": block]), as: UTF8.self)
        #expect(text == #"{"net":{"dns_search_domains":["dns.podman"],"dns_server_ips":["10.89.0.1"],"interfaces":{"eth0":{"mac_address":"02:00:00:00:00:01","subnets":[{"gateway":"10.89.0.1","ipnet":"10.89.0.2\/24"}]}}}}"#.replacingOccurrences(of: "\\/", with: "/") + "\n")
    }
}
