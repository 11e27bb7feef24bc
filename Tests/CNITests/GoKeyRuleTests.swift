import CNI
import CNIDoor
import Foundation
import NetAddress
import Pontoon
import Testing

/// Keys are read by Go's rule, as the reference plugins read them: any casing names the field, the
/// exact spelling wins, unknown keys are ignored. Each casing here is one a real client sends.
@Suite("Go's key rule")
struct GoKeyRuleTests {
    func request(_ json: String, command: String = "ADD") throws -> CNIRequest {
        let env = try CNIEnvironment(["CNI_COMMAND": command, "CNI_CONTAINERID": "c1", "CNI_NETNS": "/run/netns/x",
                                      "CNI_IFNAME": "eth0", "CNI_PATH": "/usr/lib/cni"])
        return try CNIRequest(environment: env, stdin: Array(json.utf8))
    }

    func config(_ runtimeConfig: String) -> String {
        #"{"cniVersion":"1.0.0","name":"net1","type":"pontoon","runtimeConfig":\#(runtimeConfig)}"#
    }

    @Test("port mappings: podman's and cnitool's camelCase, go-cni's Go field names, any other casing", arguments: [
        #"{"hostPort":8080,"containerPort":80,"protocol":"tcp","hostIP":"10.0.0.1"}"#, // podman, cnitool CAP_ARGS
        #"{"HostPort":8080,"ContainerPort":80,"Protocol":"tcp","HostIP":"10.0.0.1"}"#, // go-cni (containerd)
        #"{"hostport":8080,"CONTAINERPORT":80,"PROTOCOL":"TCP","hostIp":"10.0.0.1"}"#,
    ])
    func portMappingCasings(_ entry: String) throws {
        let mappings = try request(config(#"{"portMappings":[\#(entry)]}"#)).portMappings()
        #expect(mappings == [PortMapping(hostIP: IPAddress("10.0.0.1"), hostPort: 8080, containerPort: 80, transport: .tcp)])
    }

    @Test("an empty or absent HostIP means every host address; the protocol defaults to tcp")
    func emptyHostIP() throws {
        let request = try request(config(#"{"PortMappings":[{"HostPort":18080,"ContainerPort":80,"Protocol":"udp","HostIP":""},{"hostPort":1,"containerPort":2}]}"#))
        #expect(try request.portMappings() == [
            PortMapping(hostIP: nil, hostPort: 18080, containerPort: 80, transport: .udp),
            PortMapping(hostIP: nil, hostPort: 1, containerPort: 2, transport: .tcp),
        ])
    }

    @Test("a bad port mapping value is a config error naming the key", arguments: [
        (#"{"HostPort":0,"ContainerPort":80}"#, "runtimeConfig.portMappings[0].hostPort 0 is out of range 1...65535"),
        (#"{"HostPort":80,"ContainerPort":65536}"#, "runtimeConfig.portMappings[0].containerPort 65536 is out of range 1...65535"),
        (#"{"HostPort":80,"ContainerPort":80,"Protocol":"icmp"}"#, "runtimeConfig.portMappings[0].protocol \"icmp\" is not tcp, udp or sctp"),
        (#"{"HostPort":80,"ContainerPort":80,"HostIP":"10.0.0"}"#, "runtimeConfig.portMappings[0].hostIP \"10.0.0\" is not an IP address"),
    ])
    func badPortMapping(_ entry: String, _ message: String) throws {
        let error = #expect(throws: CNIError.self) { try request(config(#"{"portMappings":[\#(entry)]}"#)).portMappings() }
        #expect(error?.code == 7)
        #expect(error?.message == message)
    }

    @Test("DNS, IP ranges and bandwidth in go-cni's Go field names")
    func goCNICapabilities() throws {
        let request = try request(config(#"""
            {"DNS":{"Servers":["10.96.0.10"],"Searches":["svc.cluster.local"],"Options":["ndots:5"]},
             "IPRanges":[[{"Subnet":"10.1.0.0/24","RangeStart":"10.1.0.10","RangeEnd":"10.1.0.20","Gateway":"10.1.0.1"}]],
             "Bandwidth":{"IngressRate":1000,"IngressBurst":2000,"EgressRate":3000,"EgressBurst":4000}}
            """#))
        let runtime = try #require(request.config.runtimeConfig)
        #expect(runtime.dns?.servers == ["10.96.0.10"])
        #expect(runtime.dns?.searches == ["svc.cluster.local"])
        #expect(runtime.dns?.options == ["ndots:5"])
        let range = try #require(runtime.ipRanges?.first?.first)
        #expect([range.subnet, range.rangeStart, range.rangeEnd, range.gateway] == ["10.1.0.0/24", "10.1.0.10", "10.1.0.20", "10.1.0.1"])
        #expect(runtime.bandwidth?.ingressRate == 1000 && runtime.bandwidth?.egressBurst == 4000)
    }

    @Test("config keys in any casing: the network, the bridge keys, ipam, args and prevResult")
    func configCasings() throws {
        let request = try request(#"""
            {"CNIVersion":"0.4.0","Name":"net1","TYPE":"pontoon","Bridge":"br9","IsGateway":true,"isdefaultgateway":true,
             "MTU":1400,"HairpinMode":true,"IPMasq":false,"PreserveDefaultVlan":false,"VlanTrunk":[{"ID":7},{"MinID":10,"MaxID":20}],
             "IPAM":{"Type":"host-local","DataDir":"/tmp/x","Ranges":[[{"Subnet":"10.2.0.0/24"}]],"Routes":[{"Dst":"0.0.0.0/0","GW":"10.2.0.1"}]},
             "DNS":{"Nameservers":["10.2.0.53"],"Domain":"example","Search":["a"],"Options":["b"]},
             "Args":{"CNI":{"IPs":["10.2.0.9"],"MAC":"02:00:00:00:00:09"}},
             "RuntimeConfig":{"IPs":["10.2.0.8"],"Mac":"02:00:00:00:00:08"},
             "PrevResult":{"CNIVersion":"0.4.0","Interfaces":[{"Name":"eth0","Sandbox":"/run/netns/x"}],
                           "IPs":[{"Version":"4","Interface":0,"Address":"10.2.0.8/24","Gateway":"10.2.0.1"}]}}
            """#)
        #expect(request.version == CNIVersion(0, 4, 0))
        let network = try request.bridgeNetwork()
        #expect(network.name == "net1" && network.bridgeName == "br9" && network.isGateway && network.isDefaultGateway)
        #expect(network.mtu == 1400 && network.hairpinMode && !network.preserveDefaultVlan)
        #expect(network.vlanTrunk == [7...7, 10...20])
        #expect(network.dns == DNS(nameservers: ["10.2.0.53"], domain: "example", search: ["a"], options: ["b"]))
        guard case .hostLocal(let ipam) = try request.ipamPlan() else {
            Issue.record("ipam not read as host-local")
            return
        }
        #expect(ipam.dataDir == "/tmp/x" && ipam.rangeSets.count == 1 && ipam.routes.first?.gateway == IPAddress("10.2.0.1"))
        #expect(try request.requestedIPs() == [IPAddress("10.2.0.8")!, IPAddress("10.2.0.9")!])
        let previous = try #require(try request.previousResult())
        #expect(previous.interfaces.first?.name == "eth0" && previous.ips.first?.interface == 0)
    }

    @Test("the exact spelling wins over another casing, whichever comes first", arguments: [
        #"{"hostPort":8080,"HostPort":9090,"containerPort":80}"#,
        #"{"HostPort":9090,"hostPort":8080,"containerPort":80}"#,
    ])
    func exactMatchWins(_ entry: String) throws {
        let mappings = try request(config(#"{"portMappings":[\#(entry)]}"#)).portMappings()
        #expect(mappings.map(\.hostPort) == [8080])
    }

    @Test("exact spelling wins at the top level too")
    func exactMatchTopLevel() throws {
        let request = try request(#"{"cniVersion":"1.0.0","NAME":"other","name":"net1","Name":"third"}"#)
        #expect(try request.networkName() == "net1")
    }

    @Test("unknown keys are ignored at every level, whatever their value")
    func unknownKeys() throws {
        let request = try request(config(#"""
            {"portMappings":[{"HostPort":80,"ContainerPort":8080,"Extra":{"deep":[1,2,{"x":null}]},"hostPortRange":"bad"}],
             "io.kubernetes.cri.pod-annotations":{"a":"b"},"cgroupPath":"/kubepods","unknown":[true]}
            """#))
        #expect(try request.portMappings() == [PortMapping(hostPort: 80, containerPort: 8080, transport: .tcp)])
    }

    @Test("a missing required field still names its key, in the casing the code uses")
    func missingField() throws {
        let error = #expect(throws: CNIError.self) { try request(config(#"{"portMappings":[{"ContainerPort":80}]}"#)) }
        #expect(error?.code == 6)
        #expect(error?.message == #"failed to decode network config: "runtimeConfig.portMappings[0].hostPort": missing"#)
    }

    @Test("a wrong type is reported at the path as the document spells it")
    func wrongType() throws {
        let error = #expect(throws: CNIError.self) { try request(config(#"{"PortMappings":[{"HostPort":"80","ContainerPort":80}]}"#)) }
        #expect(error?.code == 6)
        #expect(error?.message == #"failed to decode network config: "runtimeConfig.PortMappings[0].HostPort": expected an integer"#)
    }

    @Test("map keys are data, not field names: aliases and capabilities keep their spelling")
    func mapKeysKept() throws {
        let request = try request(#"""
            {"cniVersion":"1.0.0","name":"net1","capabilities":{"PortMappings":true},
             "runtimeConfig":{"aliases":{"Net1":["A"],"net1":["b"]}}}
            """#)
        #expect(request.config.capabilities == ["PortMappings": true])
        #expect(request.config.runtimeConfig?.aliases == ["Net1": ["A"], "net1": ["b"]])
    }
}
