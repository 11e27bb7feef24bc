import Foundation
import Netavark
import Testing
@testable import PontoonCtl

/// The network modes' rules that need no namespace: what `--network` values mean, where a
/// `container:` chain ends, what each mode refuses, and the default network made on first use.
@Suite("network modes: parsing, chains, refusals, the default network")
struct NetworkModeRuleTests {
    typealias Scratch = LifecycleStateTests.Scratch

    func parsed(_ values: [String]) throws(CtlError) -> ContainerOperations.CreateRequest {
        var request = ContainerOperations.CreateRequest(name: "c")
        for value in values { try request.addNetwork(value) }
        return request
    }

    @Test("--network values: none, host, container:, ns: are modes; private and bridge[:…] are the default network; one mode at most")
    func parsing() throws {
        #expect(try parsed(["none"]).mode == .noNetwork)
        #expect(try parsed(["host"]).mode == .host)
        #expect(try parsed(["container:a"]).mode == .container("a"))
        #expect(try parsed(["ns:/run/netns/x"]).mode == .path("/run/netns/x"))
        let privateMode = try parsed(["private"])
        #expect(privateMode.mode == nil && privateMode.networks.map(\.network) == ["podman"])
        let bridge = try parsed(["bridge:ip=10.88.0.9,alias=www"])
        #expect(bridge.networks.map(\.network) == ["podman"] && bridge.networks.first?.ips == ["10.88.0.9"])
        #expect(bridge.networks.first?.aliases == ["www"])
        #expect(try parsed(["front", "back"]).networks.map(\.network) == ["front", "back"])
        let twice = #expect(throws: CtlError.self) { _ = try parsed(["host", "none"]) }
        #expect(twice?.kind == .usage)
        #expect(NetworkMode.noNetwork.description == "none" && NetworkMode.host.description == "host")
    }

    @Test("none and host are created, then started: recorded as created; -p, other networks and --pid refused")
    func lifecycleModes() throws {
        let scratch = try Scratch()
        var host = ContainerOperations.CreateRequest(name: "h")
        host.mode = .host
        let record = try scratch.operations.create(host)
        #expect(record.state == .created && record.networks.isEmpty && record.podmanNetworkMode == "host")
        var none = ContainerOperations.CreateRequest(name: "n")
        none.mode = .noNetwork
        #expect(try scratch.operations.create(none).podmanNetworkMode == "none")
        for (change, reason) in [
            ({ (request: inout ContainerOperations.CreateRequest) in request.ports = [PortMapping(containerPort: 80, hostPort: 8080, protocol: "tcp")] }, "-p"),
            ({ (request: inout ContainerOperations.CreateRequest) in request.networks = [AttachRequest(network: "front")] }, "cannot be combined"),
            ({ (request: inout ContainerOperations.CreateRequest) in request.pid = 1 }, "--pid"),
        ] {
            var request = ContainerOperations.CreateRequest(name: "x")
            request.mode = .host
            change(&request)
            let refused = #expect(throws: CtlError.self) { _ = try scratch.operations.create(request) }
            #expect(refused?.kind == .usage && refused?.description.contains(reason) == true, "\(String(describing: refused))")
        }
        #expect(scratch.operations.store.containerNames().sorted() == ["h", "n"])
    }

    @Test("connect, disconnect and reload of a container not in bridge mode: podman's ErrNetworkModeInvalid, nothing changes")
    func notBridge() throws {
        let scratch = try Scratch()
        var host = ContainerOperations.CreateRequest(name: "h")
        host.mode = .host
        let before = try scratch.operations.create(host)
        let connect = #expect(throws: CtlError.self) { _ = try scratch.operations.connect("h", AttachRequest(network: "front")) }
        #expect(connect?.description == "\"host\" is not supported: invalid network mode")
        let disconnect = #expect(throws: CtlError.self) { try scratch.operations.disconnect("h", network: "front", force: false) }
        #expect(disconnect?.description == "\"host\" is not supported: invalid network mode")
        var sharer = ContainerRecord(id: String(repeating: "c", count: 32), name: "s", netns: "", networkMode: .container("h"))
        sharer.state = .running
        try scratch.operations.store.save(sharer)
        let reload = #expect(throws: CtlError.self) { _ = try scratch.operations.reload("s") }
        #expect(reload?.description == "\"container:h\" is not supported: invalid network mode")
        #expect(try scratch.operations.store.container("h") == before)
        #expect(!scratch.operations.reloadTargets().contains("s"), "reload --all skips what reload by name refuses")
    }

    @Test("a container: chain ends at its owner; sharers are found through the chain; rm of a link refused while others hang on it")
    func chains() throws {
        let scratch = try Scratch()
        let store = scratch.operations.store
        var owner = ContainerRecord(id: String(repeating: "a", count: 32), name: "a", netns: "/run/netns/a")
        owner.state = .running
        try store.save(owner)
        try store.save(ContainerRecord(id: String(repeating: "b", count: 32), name: "b", netns: "/run/netns/a", networkMode: .container("a")))
        try store.save(ContainerRecord(id: String(repeating: "c", count: 32), name: "c", netns: "/run/netns/a", networkMode: .container("b")))
        #expect(try scratch.operations.namespaceOwner(store.container("c")).name == "a")
        #expect(try scratch.operations.sharers(of: "a").map(\.name) == ["b", "c"])
        #expect(try scratch.operations.sharers(of: "b").map(\.name) == ["c"])
        #expect(try scratch.operations.filesDirectory(store.container("c")) == store.paths.containerDirectory("a"))

        let refused = #expect(throws: CtlError.self) { _ = try scratch.operations.remove("b") }
        #expect(refused?.kind == .conflict && refused?.description.contains("c") == true)
        #expect(store.containerNames().sorted() == ["a", "b", "c"])
        #expect(try scratch.operations.remove("b", force: true).isEmpty)
        #expect(store.containerNames() == ["a"])
        #expect(scratch.warnings.contains { $0.contains("removed container c") })

        // A chain that loops (records edited by hand) is an error, not a hang.
        try store.save(ContainerRecord(id: String(repeating: "d", count: 32), name: "d", netns: "", networkMode: .container("e")))
        try store.save(ContainerRecord(id: String(repeating: "e", count: 32), name: "e", netns: "", networkMode: .container("d")))
        #expect(throws: CtlError.self) { _ = try scratch.operations.namespaceOwner(store.container("d")) }
    }

    @Test("no --network: the default network podman (10.88.0.0/16, bridge pontoon0, podman's ID, no DNS), made once on first use")
    func defaultNetwork() throws {
        let scratch = try Scratch()
        let record = try scratch.operations.create(ContainerOperations.CreateRequest(name: "d"))
        #expect(record.networks.map(\.network) == ["podman"] && record.networks.first?.interface == "eth0")
        let file = try scratch.operations.store.network("podman")
        #expect(file.network.subnets?.map(\.subnet) == ["10.88.0.0/16"])
        #expect(file.network.networkInterface == "pontoon0")
        #expect(file.network.id == "2f259bab93aaaaa2542ba43ef33eb990d0999ee1b9924b557b7be53c0b7a1bb9", "podman's default network ID")
        #expect(file.network.dnsEnabled == false)
        // Named as private, or again: the same network, not a second one.
        var again = ContainerOperations.CreateRequest(name: "e")
        try again.addNetwork("private")
        #expect(try scratch.operations.create(again).networks.map(\.network) == ["podman"])
        #expect(try scratch.operations.store.network("podman") == file)
    }

    @Test("the default network yields pontoon0 to a network that took it first; a subnet already in use is refused naming the default network")
    func defaultNetworkClashes() throws {
        let scratch = try Scratch()
        let store = scratch.operations.store
        var first = Network(name: "early", id: String(repeating: "e", count: 64), driver: "bridge", networkInterface: "pontoon0")
        first.subnets = [Network.Subnet(subnet: "10.90.0.0/24", gateway: "10.90.0.1")]
        try store.saveNetwork(NetworkFile(network: first, backend: .init(type: .netavark)))
        _ = try scratch.operations.create(ContainerOperations.CreateRequest(name: "d"))
        #expect(try store.network("podman").network.networkInterface == "pontoon1")

        let other = try Scratch()
        var overlapping = Network(name: "wide", id: String(repeating: "f", count: 64), driver: "bridge", networkInterface: "pt-wide")
        overlapping.subnets = [Network.Subnet(subnet: "10.88.5.0/24", gateway: "10.88.5.1")]
        try other.operations.store.saveNetwork(NetworkFile(network: overlapping, backend: .init(type: .netavark)))
        let refused = #expect(throws: CtlError.self) { _ = try other.operations.create(ContainerOperations.CreateRequest(name: "d")) }
        #expect(refused?.description.hasPrefix("cannot create the default network podman (10.88.0.0/16): ") == true, "\(String(describing: refused))")
        #expect(other.operations.store.containerNames().isEmpty && !other.operations.store.hasNetwork(named: "podman"))
    }
}
