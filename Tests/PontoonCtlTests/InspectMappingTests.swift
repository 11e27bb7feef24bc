import Foundation
import CNI
import NetAddress
import Netavark
import Testing
@testable import PontoonCtl

@Suite("pontoonctl inspect mapping and helpers")
struct InspectMappingTests {
    func record(_ networks: [(String, String, StatusBlock)]) -> ContainerRecord {
        ContainerRecord(id: String(repeating: "ab", count: 32), name: "c", netns: "/run/netns/netns-x",
                        ports: [PortMapping(hostIP: "", containerPort: 80, hostPort: 8080, range: 2, protocol: "tcp")],
                        networks: networks.map { NetworkRequest(network: $0.0, interface: $0.1, aliases: ["abababababab"]) },
                        status: Dictionary(uniqueKeysWithValues: networks.map { ($0.0, $0.2) }))
    }

    @Test("dual stack on the default network alone: the first address of each family is primary, the rest secondary")
    func dualStack() {
        let status = StatusBlock(interfaces: ["eth0": .init(macAddress: "02:00:00:00:00:01", subnets: [
            .init(ipnet: "10.1.0.2/24", gateway: "10.1.0.1"), .init(ipnet: "fd00::2/64", gateway: "fd00::1"),
            .init(ipnet: "10.2.0.2/16", gateway: nil), .init(ipnet: "fd01::2/64", gateway: nil),
        ])])
        let settings = InspectMapping.settings(record([("podman", "eth0", status)]))
        #expect(settings.Networks["podman"]?.basic == settings.basic)
        #expect(settings.basic.IPAddress == "10.1.0.2" && settings.basic.IPPrefixLen == 24 && settings.basic.Gateway == "10.1.0.1")
        #expect(settings.basic.GlobalIPv6Address == "fd00::2" && settings.basic.GlobalIPv6PrefixLen == 64 && settings.basic.IPv6Gateway == "fd00::1")
        #expect(settings.basic.SecondaryIPAddresses == [.init(Addr: "10.2.0.2", PrefixLength: 16)])
        #expect(settings.basic.SecondaryIPv6Addresses == [.init(Addr: "fd01::2", PrefixLength: 64)])
        #expect(settings.basic.MacAddress == "02:00:00:00:00:01" && settings.basic.AdditionalMacAddresses == nil)
        #expect(settings.Networks["podman"]?.Aliases == ["abababababab"])
        #expect(settings.Ports == ["80/tcp": [.init(HostIp: "", HostPort: "8080")], "81/tcp": [.init(HostIp: "", HostPort: "8081")]])
        #expect(settings.SandboxKey == "/run/netns/netns-x")
    }

    @Test("several networks: one entry each, no top-level addresses; interfaces in sorted order inside a status")
    func severalNetworks() {
        let one = StatusBlock(interfaces: ["eth0": .init(macAddress: "02:00:00:00:00:01", subnets: [.init(ipnet: "10.1.0.2/24", gateway: "10.1.0.1")])])
        let two = StatusBlock(interfaces: [
            "eth2": .init(macAddress: "02:00:00:00:00:03", subnets: [.init(ipnet: "10.3.0.2/24", gateway: "10.3.0.1")]),
            "eth1": .init(macAddress: "02:00:00:00:00:02", subnets: [.init(ipnet: "10.2.0.2/24", gateway: "10.2.0.1")]),
        ])
        let settings = InspectMapping.settings(record([("a", "eth0", one), ("b", "eth1", two)]))
        #expect(settings.basic.IPAddress.isEmpty && settings.basic.MacAddress.isEmpty)
        #expect(settings.Networks["a"]?.basic.IPAddress == "10.1.0.2")
        let b = settings.Networks["b"]!.basic
        #expect(b.IPAddress == "10.2.0.2" && b.MacAddress == "02:00:00:00:00:02")
        #expect(b.SecondaryIPAddresses == [.init(Addr: "10.3.0.2", PrefixLength: 24)] && b.AdditionalMacAddresses == ["02:00:00:00:00:03"])
        #expect(settings.Networks["b"]?.InterfaceNames == ["eth1", "eth2"])
    }

    @Test("top-level fields only for the default network alone (libpod v4: len(networks) == 1 && isDefaultNet)")
    func defaultNetworkRule() {
        let one = StatusBlock(interfaces: ["eth0": .init(macAddress: "02:00:00:00:00:01", subnets: [.init(ipnet: "10.88.0.2/16", gateway: "10.88.0.1")])])
        let two = StatusBlock(interfaces: ["eth1": .init(macAddress: "02:00:00:00:00:02", subnets: [.init(ipnet: "10.2.0.2/24", gateway: "10.2.0.1")])])
        let alone = InspectMapping.settings(record([("podman", "eth0", one)]))
        #expect(alone.basic.IPAddress == "10.88.0.2" && alone.basic.Gateway == "10.88.0.1" && alone.basic.MacAddress == "02:00:00:00:00:01")
        // Another network alone: its entry only, as podman shows a user network.
        let other = InspectMapping.settings(record([("front", "eth0", one)]))
        #expect(other.basic == InspectNetworkSettings.Basic())
        #expect(other.Networks["front"]?.basic.IPAddress == "10.88.0.2")
        // The default network among others: entries only, the default's too.
        let both = InspectMapping.settings(record([("podman", "eth0", one), ("back", "eth1", two)]))
        #expect(both.basic == InspectNetworkSettings.Basic())
        #expect(both.Networks["podman"]?.basic.IPAddress == "10.88.0.2" && both.Networks["back"]?.basic.IPAddress == "10.2.0.2")
        #expect(both.SandboxKey == "/run/netns/netns-x")
    }

    @Test("ns:PATH as inspectJoinedNetworkNS reads it: no address, no entry; link-local skipped; one default gateway, the last")
    func joinedNamespace() {
        let interfaces = [
            JoinedNamespace.Interface(name: "eth0", mac: "02:00:00:00:00:42", addresses: [
                IPNetwork("192.0.2.10/24")!, IPNetwork("169.254.3.3/16")!, IPNetwork("2001:db8::10/64")!, IPNetwork("fe80::42/64")!,
            ]),
            JoinedNamespace.Interface(name: "bare", mac: "02:00:00:00:00:43", addresses: []),
            JoinedNamespace.Interface(name: "ll", mac: "02:00:00:00:00:44", addresses: [IPNetwork("fe80::44/64")!]),
        ]
        // IPv4's default route, then IPv6's: the IPv6 gateway is the one (the v4 address gets none).
        let both = JoinedNamespace.block(interfaces, defaultRoutes: [IPAddress("192.0.2.1"), IPAddress("2001:db8::1")])
        #expect(both.interfaces.keys.sorted() == ["eth0", "ll"], "bare has no address; ll has one, link-local, and stays with none")
        #expect(both.interfaces["ll"]?.subnets.isEmpty == true)
        #expect(both.interfaces["eth0"]?.subnets == [.init(ipnet: "192.0.2.10/24", gateway: nil), .init(ipnet: "2001:db8::10/64", gateway: "2001:db8::1")])
        let v4Only = JoinedNamespace.block(interfaces, defaultRoutes: [IPAddress("192.0.2.1")])
        #expect(v4Only.interfaces["eth0"]?.subnets.first == .init(ipnet: "192.0.2.10/24", gateway: "192.0.2.1"))
        // A last default route without a gateway (a device route) leaves none.
        let device = JoinedNamespace.block(interfaces, defaultRoutes: [IPAddress("192.0.2.1"), nil])
        #expect(device.interfaces["eth0"]?.subnets.allSatisfy { $0.gateway == nil } == true)

        var record = ContainerRecord(id: "x", name: "j", netns: "", networkMode: .path("/run/netns/other"))
        record.ports = []
        let settings = InspectMapping.settings(joined: record, status: v4Only)
        #expect(settings.SandboxKey == "" && settings.Networks.isEmpty)
        #expect(settings.basic.IPAddress == "192.0.2.10" && settings.basic.Gateway == "192.0.2.1" && settings.basic.GlobalIPv6Address == "2001:db8::10")
        #expect(settings.basic.MacAddress == "02:00:00:00:00:42" && settings.basic.AdditionalMacAddresses == ["02:00:00:00:00:44"])
        // A namespace that could not be read: empty settings, not a failure.
        #expect(InspectMapping.settings(joined: record, status: nil).basic == InspectNetworkSettings.Basic())
    }

    @Test("ns:PATH with interfaces but no address at all (loopback-like, down, link-local only): no gateway, no address, empty settings")
    func joinedWithoutAddresses() {
        let interfaces = [
            JoinedNamespace.Interface(name: "bare", mac: "02:00:00:00:00:43", addresses: []),
            JoinedNamespace.Interface(name: "ll", mac: "02:00:00:00:00:44", addresses: [IPNetwork("fe80::44/64")!]),
        ]
        let block = JoinedNamespace.block(interfaces, defaultRoutes: [IPAddress("192.0.2.1")])
        #expect(block.interfaces.values.allSatisfy { $0.subnets.isEmpty })
        let record = ContainerRecord(id: "x", name: "j", netns: "", networkMode: .path("/run/netns/other"))
        let settings = InspectMapping.settings(joined: record, status: block)
        #expect(settings.basic.IPAddress == "" && settings.basic.Gateway == "" && settings.basic.GlobalIPv6Address == "")
        #expect(settings.basic.IPv6Gateway == "" && settings.Networks.isEmpty && settings.SandboxKey == "")
    }

    @Test("a container: sharer that is not running shows nothing of its owner's; a running one shows the owner's; NetworkMode names the owner by ID")
    func sharerStates() throws {
        let scratch = try LifecycleStateTests.Scratch()
        let store = scratch.operations.store
        var owner = record([("front", "eth0", StatusBlock(interfaces: ["eth0": .init(macAddress: "02:00:00:00:00:01",
                                                                                         subnets: [.init(ipnet: "10.89.0.5/24", gateway: "10.89.0.1")])]))])
        owner.name = "owner"
        owner.state = .running
        try store.save(owner)
        var sharer = ContainerRecord(id: String(repeating: "cd", count: 32), name: "s", netns: "", networkMode: .container("owner"))
        sharer.sharedNamespaceID = owner.id
        sharer.state = .stopped
        try store.save(sharer)
        let stopped = try scratch.operations.inspect("s").1
        #expect(stopped.SandboxKey == "" && stopped.Networks.isEmpty && stopped.basic == InspectNetworkSettings.Basic())
        sharer.state = .running
        sharer.netns = owner.netns
        try store.save(sharer)
        let running = try scratch.operations.inspect("s").1
        #expect(running.Networks.keys.sorted() == ["front"] && running.SandboxKey == owner.netns)
        #expect(sharer.podmanNetworkMode == "container:" + owner.id)
    }

    @Test("ns:PATH that cannot be read: inspect answers with empty settings and logs why, as libpod does")
    func joinedUnreadable() throws {
        let directory = FileManager.default.temporaryDirectory.path + "/pontoonctl-inspect-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = Store(paths: ControlPaths(stateDirectory: directory + "/state", configDirectory: directory + "/config",
                                              netnsDirectory: directory + "/ns", pluginDirectories: [], aardvarkBinary: "",
                                              selfDirectory: directory))
        try store.save(ContainerRecord(id: "x", name: "j", netns: "", networkMode: .path(directory + "/gone")))
        let warnings = Warnings()
        let (_, settings) = try ContainerOperations(store: store, warn: { warnings.add($0) }).inspect("j")
        #expect(settings.basic == InspectNetworkSettings.Basic() && settings.SandboxKey == "" && settings.Networks.isEmpty)
        let logged = warnings.all
        #expect(logged.count == 1 && logged.first?.contains("inspect j: cannot read the network namespace \(directory)/gone") == true, "\(logged)")
    }

    final class Warnings: @unchecked Sendable {
        var all: [String] = []
        func add(_ text: String) { all.append(text) }
    }

    @Test("no network: everything empty")
    func none() {
        let settings = InspectMapping.settings(ContainerRecord(id: "x", name: "c", netns: "/n"))
        #expect(settings.basic == InspectNetworkSettings.Basic() && settings.Networks.isEmpty && settings.Ports.isEmpty)
    }

    @Test("subnet picking skips used subnets and routes; bridge names skip used ones")
    func picking() throws {
        let used = [IPNetwork("10.89.0.0/24")!, IPNetwork("10.89.1.0/25")!, IPNetwork("10.0.0.0/15")!]
        #expect(try SubnetPicker.freeIPv4(avoiding: used) == IPNetwork("10.89.2.0/24"))
        #expect(try SubnetPicker.freeIPv4(avoiding: [IPNetwork("10.88.0.0/14")!]) == IPNetwork("10.92.0.0/24"))
        let v6 = try SubnetPicker.freeIPv6(avoiding: [IPNetwork("fd00::/9")!], random: { 0xff_ffff_ffff })
        #expect(v6 == IPNetwork("fdff:ffff:ffff::/64"))
        #expect(SubnetPicker.freeBridgeName(avoiding: ["pontoon0", "pontoon1", "pontoon3"]) == "pontoon2")
    }

    @Test("--network options and resolv.conf from the stored status")
    func attachAndFiles() throws {
        let attach = try AttachRequest.parse("n:ip=10.1.0.5,mac=02:00:00:00:00:09,interface=eth3,alias=web,alias=www")
        #expect(attach == AttachRequest(network: "n", ips: ["10.1.0.5"], mac: "02:00:00:00:00:09", interface: "eth3", aliases: ["web", "www"]))
        #expect { try AttachRequest.parse("n:bogus=1") } throws: { ($0 as? CtlError)?.description.contains("unknown option bogus") == true }
        var status = StatusBlock(dnsSearchDomains: ["dns.podman"], dnsServerIPs: ["10.1.0.1"],
                                 interfaces: ["eth0": .init(macAddress: "02:00:00:00:00:01", subnets: [.init(ipnet: "10.1.0.2/24", gateway: "10.1.0.1")])])
        let r = record([("n", "eth0", status)])
        #expect(ContainerFiles.resolvConf(r, hostResolvConf: "nameserver 9.9.9.9\n") == "search dns.podman\nnameserver 10.1.0.1\n")
        status.dnsServerIPs = []
        status.dnsSearchDomains = []
        #expect(ContainerFiles.resolvConf(record([("n", "eth0", status)]), hostResolvConf: "nameserver 127.0.0.53\nnameserver 9.9.9.9\n")
                == "nameserver 9.9.9.9\n")
        #expect(ContainerFiles.hosts(r).contains("10.1.0.2\tc\n"))
    }

    @Test("CNI results in netavark's shape: sandbox interfaces only, addresses by interface index")
    func cniResult() {
        var result = WireResult()
        result.cniVersion = "1.0.0"
        result.interfaces = [.init(name: "br0", mac: "aa:aa:aa:aa:aa:aa"), .init(name: "veth1", mac: "bb:bb:bb:bb:bb:bb"),
                             .init(name: "eth0", mac: "cc:cc:cc:cc:cc:cc", sandbox: "/run/netns/x")]
        result.ips = [.init(interface: 2, address: "10.1.0.2/24", gateway: "10.1.0.1")]
        result.dns = DNSConf(nameservers: ["10.1.0.1"])
        let status = CNIBackend.status(result, netns: "/run/netns/x", interface: "eth0")
        #expect(status == StatusBlock(dnsServerIPs: ["10.1.0.1"], interfaces: [
            "eth0": .init(macAddress: "cc:cc:cc:cc:cc:cc", subnets: [.init(ipnet: "10.1.0.2/24", gateway: "10.1.0.1")])]))
        #expect(CNIBackend.atLeast("1.0.0", [0, 4, 0]) && !CNIBackend.atLeast("0.3.1", [0, 4, 0]))
    }
}
