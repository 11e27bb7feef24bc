import Foundation
@testable import Pontoon
import Testing

/// Which network holds a container's host ports, and where they go when it leaves: the engine's
/// rule for both doors, tested without root through a recording firewall.
@Suite("Engine: host-port ownership")
struct HostPortPolicyTests {
    @Test("one setup of several networks maps the ports once, on the first network that carries them (netavark's setup)")
    func portsOnFirstNetwork() throws {
        try EngineFixture.with { fixture in
            let ports = [EngineFixture.tcp8080]
            _ = try fixture.engine.attach([fixture.request("c1", on: "alpha", ports: ports), fixture.request("c1", on: "beta", ports: ports)])
            #expect(fixture.log.portsAdded(on: "alpha") == [8080])
            #expect(fixture.log.portsAdded(on: "beta") == [])
            #expect(fixture.records.load(network: "beta", id: .init(containerID: "c1", ifName: "eth-beta"))?.portMappings == [])
        }
    }

    @Test("an ADD to a second network keeps the ports where the container holds them (podman's CNI backend sends them with every ADD)")
    func portsStayWhereHeld() throws {
        try EngineFixture.with { fixture in
            let ports = [EngineFixture.tcp8080]
            _ = try fixture.engine.attach([fixture.request("c1", on: "alpha", ports: ports)])
            _ = try fixture.engine.attach([fixture.request("c1", on: "beta", ports: ports)])
            #expect(fixture.log.portsAdded(on: "alpha") == [8080])
            #expect(fixture.log.portsAdded(on: "beta") == [])
            // Another container's ADD is not affected by c1's records.
            _ = try fixture.engine.attach([fixture.request("c2", on: "beta", ports: [PortMapping(hostPort: 9090, containerPort: 80, transport: .tcp)])])
            #expect(fixture.log.portsAdded(on: "beta") == [9090])
        }
    }

    @Test("the network holding the ports leaves: they move to the container's remaining routed network")
    func handOver() throws {
        try EngineFixture.with { fixture in
            let ports = [EngineFixture.tcp8080]
            _ = try fixture.engine.attach([fixture.request("c1", on: "alpha", ports: ports), fixture.request("c1", on: "beta", ports: ports)])
            try fixture.engine.detach([fixture.request("c1", on: "alpha", ports: ports)])
            #expect(fixture.log.calls.contains(.remove(kind: .nftables, network: "alpha", last: true, hostPorts: [8080])))
            #expect(fixture.log.portsAdded(on: "beta") == [8080])
            let moved = fixture.records.load(network: "beta", id: .init(containerID: "c1", ifName: "eth-beta"))
            #expect(moved?.portMappings == ports)
            #expect(moved?.firewall?.hostPorts.map(\.hostPort) == [8080])
            // Leaving the last network removes them for good: nothing to move to.
            try fixture.engine.detach([fixture.request("c1", on: "beta", ports: ports)])
            #expect(fixture.log.calls.last == .remove(kind: .nftables, network: "beta", last: true, hostPorts: [8080]))
        }
    }

    @Test("no hand-over to a network without a firewall, nor when the teardown failed")
    func noHandOver() throws {
        try EngineFixture.with { fixture in
            let ports = [EngineFixture.tcp8080]
            _ = try fixture.engine.attach([fixture.request("c1", on: "alpha", ports: ports),
                                           fixture.request("c1", on: "beta", firewall: .none, ports: ports)])
            try fixture.engine.detach([fixture.request("c1", on: "alpha", ports: ports)])
            #expect(fixture.log.portsAdded(on: "beta") == [])

            _ = try fixture.engine.attach([fixture.request("c2", on: "gamma", ports: [PortMapping(hostPort: 7070, containerPort: 80, transport: .tcp)]),
                                           fixture.request("c2", on: "delta")])
            fixture.failing = ["gamma"]
            #expect(throws: FakeDriver.Refused.self) { try fixture.engine.detach([fixture.request("c2", on: "gamma")]) }
            #expect(fixture.log.portsAdded(on: "delta") == [])
        }
    }

    @Test("later members follow the firewall driver the network was made with, whatever kind they ask for")
    func driverOfTheNetwork() throws {
        try EngineFixture.with { fixture in
            _ = try fixture.engine.attach([fixture.request("c1", on: "alpha", firewall: .nftables)])
            _ = try fixture.engine.attach([fixture.request("c2", on: "alpha", firewall: .iptables)])
            #expect(fixture.log.calls == [.add(kind: .nftables, network: "alpha", first: true, hostPorts: []),
                                          .add(kind: .nftables, network: "alpha", first: false, hostPorts: [])])
            let reloaded = try fixture.engine.reloadFirewall()
            #expect(reloaded.networks == 1 && reloaded.attachments == 2)
            #expect(fixture.log.calls.last == .reload(kind: .nftables, network: "alpha", attachments: 2))
        }
    }
}
