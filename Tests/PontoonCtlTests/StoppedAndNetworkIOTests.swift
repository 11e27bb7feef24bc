import Foundation
import Netavark
import Testing
@testable import PontoonCtl

/// libpod's answers for what is not running and for `stats`' figure, from records alone.
@Suite("inspect of a stopped container; libpod's network IO figure")
struct StoppedAndNetworkIOTests {
    @Test("a stopped container: each network an empty entry with its aliases (libpod's dummies), ports from its config, no SandboxKey")
    func stoppedInspect() {
        var request = NetworkRequest(network: NetworkFile.defaultName, interface: "eth0", aliases: ["www"], staticIPs: ["10.88.0.9"])
        request.askedIPs = ["10.88.0.9"]
        var record = ContainerRecord(id: "x", name: "web", netns: "", networks: [request])
        record.ports = [PortMapping(containerPort: 80, hostPort: 8080, protocol: "tcp")]
        record.state = .stopped
        let settings = InspectMapping.settings(record)
        let entry = settings.Networks[NetworkFile.defaultName]
        #expect(entry?.Aliases == ["www"] && entry?.basic == InspectNetworkSettings.Basic() && entry?.InterfaceNames == [])
        #expect(settings.basic == InspectNetworkSettings.Basic(), "the default network alone, but stopped: no address at the top")
        #expect(settings.SandboxKey == "")
        #expect(settings.Ports["80/tcp"]?.first?.HostPort == "8080")
    }

    @Test("libpod's NetInput/NetOutput: only the network status' interfaces count; slirp4netns counts tap0")
    func networkIO() {
        var eth0 = InterfaceStatistics(interface: "eth0")
        eth0.rxBytes = 100
        eth0.txBytes = 40
        var extra = InterfaceStatistics(interface: "dummy0")
        extra.rxBytes = 7
        extra.txBytes = 9
        var tap = InterfaceStatistics(interface: "tap0")
        tap.rxBytes = 5
        tap.txBytes = 6
        var status = StatusBlock()
        status.interfaces["eth0"] = StatusBlock.NetInterface(macAddress: "02:00:00:00:00:01", subnets: [])
        let owner = ContainerRecord(id: "x", name: "a", netns: "/n", status: ["front": status])
        #expect(NetworkIO.libpod(owner: owner, [eth0, extra, tap]) == NetworkIO(NetInput: 100, NetOutput: 40))
        let slirp = ContainerRecord(id: "y", name: "s", netns: "/n", networkMode: .slirp4netns(Slirp4netnsOptions()))
        #expect(NetworkIO.libpod(owner: slirp, [eth0, tap]) == NetworkIO(NetInput: 5, NetOutput: 6))
        #expect(NetworkIO.libpod(owner: ContainerRecord(id: "z", name: "h", netns: "", networkMode: .host), []) == NetworkIO())
    }
}
