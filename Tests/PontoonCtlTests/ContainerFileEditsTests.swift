import Foundation
import Netavark
import Testing
@testable import PontoonCtl

@Suite("pontoonctl hosts and resolv.conf edited in place by connect and disconnect")
struct ContainerFileEditsTests {
    /// `c` on `front` (IPv4 only, DNS 10.1.0.1), connected to `back` (dual stack, DNS 10.2.0.1 and fd02::1).
    func record(ipv6OnBack: Bool = true) -> ContainerRecord {
        let front = StatusBlock(dnsSearchDomains: ["dns.podman"], dnsServerIPs: ["10.1.0.1"],
                                interfaces: ["eth0": .init(macAddress: "02:00:00:00:00:01", subnets: [.init(ipnet: "10.1.0.2/24", gateway: "10.1.0.1")])])
        let backSubnets: [StatusBlock.NetAddress] = [.init(ipnet: "10.2.0.5/24", gateway: "10.2.0.1")]
            + (ipv6OnBack ? [.init(ipnet: "fd02::5/64", gateway: "fd02::1")] : [])
        let back = StatusBlock(dnsSearchDomains: ["dns.podman"], dnsServerIPs: ["10.2.0.1", "fd02::1"],
                               interfaces: ["eth1": .init(macAddress: "02:00:00:00:00:02", subnets: backSubnets)])
        var record = ContainerRecord(id: String(repeating: "ab", count: 32), name: "c", netns: "/run/netns/x", hostname: "web")
        record.networks = [NetworkRequest(network: "front", interface: "eth0", aliases: [record.shortID]),
                           NetworkRequest(network: "back", interface: "eth1", aliases: ["db", record.shortID])]
        record.status = ["front": front, "back": back]
        return record
    }

    @Test("a network's hosts entries: each address with hostname, name and its aliases (not the short ID)")
    func entries() {
        #expect(ContainerFileEdits.hostEntries(record(), network: "back") == [
            .init(ip: "10.2.0.5", names: ["web", "c", "db"]), .init(ip: "fd02::5", names: ["web", "c", "db"]),
        ])
        #expect(ContainerFileEdits.hostEntries(record(), network: "front") == [.init(ip: "10.1.0.2", names: ["web", "c"])])
        #expect(ContainerFileEdits.hostEntries(record(), network: "gone").isEmpty)
    }

    @Test("hosts: connect appends the network's lines, disconnect takes exactly them out; user lines stay, the round trip is exact")
    func hosts() {
        let entries = ContainerFileEdits.hostEntries(record(), network: "back")
        // What create wrote for `front`, then a line the user appended, and one of theirs for the same address.
        let before = "127.0.0.1\tlocalhost\n::1\tlocalhost\n10.1.0.2\tweb c\n192.0.2.7 gateway.example # mine\n10.2.0.5 mydb\n"
        let connected = ContainerFileEdits.addingHosts(entries, to: before)
        #expect(connected == before + "10.2.0.5\tweb c db\nfd02::5\tweb c db\n")
        #expect(ContainerFileEdits.addingHosts(entries, to: connected) == connected, "added twice")
        let disconnected = ContainerFileEdits.removingHosts(entries, from: connected)
        #expect(disconnected == before)
        #expect(disconnected.contains("10.2.0.5 mydb\n") && disconnected.contains("192.0.2.7 gateway.example # mine\n"))
        // A file without a final newline still gets whole lines.
        #expect(ContainerFileEdits.addingHosts([.init(ip: "10.9.0.1", names: ["x"])], to: "1.2.3.4 y") == "1.2.3.4 y\n10.9.0.1\tx\n")
    }

    @Test("resolv.conf: the network's servers go first, IPv6 ones only when the container has IPv6; disconnect removes them")
    func nameServers() {
        let withV6 = record()
        #expect(ContainerFileEdits.hasIPv6(withV6))
        #expect(ContainerFileEdits.nameServers(withV6.status["back"], ipv6: true) == ["10.2.0.1", "fd02::1"])
        let withoutV6 = record(ipv6OnBack: false)
        #expect(!ContainerFileEdits.hasIPv6(withoutV6))
        #expect(ContainerFileEdits.nameServers(withoutV6.status["back"], ipv6: false) == ["10.2.0.1"])

        let before = "search dns.podman\nnameserver 10.1.0.1\noptions ndots:2\n# the user's\nnameserver 9.9.9.9\n"
        let connected = ContainerFileEdits.addingNameServers(["10.2.0.1", "fd02::1"], to: before)
        #expect(connected == "search dns.podman\nnameserver 10.2.0.1\nnameserver fd02::1\nnameserver 10.1.0.1\noptions ndots:2\n# the user's\nnameserver 9.9.9.9\n")
        #expect(ContainerFileEdits.addingNameServers(["10.1.0.1"], to: before) == before, "a server already there is not added again")
        #expect(ContainerFileEdits.removingNameServers(["10.2.0.1", "fd02::1"], from: connected) == before)
        #expect(ContainerFileEdits.addingNameServers(["10.2.0.1"], to: "search x\n") == "search x\nnameserver 10.2.0.1\n")
        #expect(ContainerFileEdits.addingNameServers(["10.2.0.1"], to: "") == "nameserver 10.2.0.1\n")
    }

    @Test("connected then disconnected on real files: edited in place, user lines kept, a server another network gives stays")
    func files() throws {
        let directory = FileManager.default.temporaryDirectory.path + "/pontoonctl-files-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let paths = ControlPaths(stateDirectory: directory, configDirectory: directory + "/config", netnsDirectory: directory + "/ns",
                                 pluginDirectories: [], aardvarkBinary: "", selfDirectory: directory)
        var connected = record(ipv6OnBack: false)
        // back also names front's server: it must survive back's disconnect.
        connected.status["back"]!.dnsServerIPs = ["10.2.0.1", "fd02::1", "10.1.0.1"]
        var before = connected
        before.networks.removeLast()
        before.status.removeValue(forKey: "back")
        try FileManager.default.createDirectory(atPath: paths.containerDirectory("c"), withIntermediateDirectories: true)
        try ContainerFiles.write(before, paths: paths)
        let hostsPath = paths.containerDirectory("c") + "/hosts", resolvPath = paths.containerDirectory("c") + "/resolv.conf"
        let hostsBefore = try String(contentsOfFile: hostsPath, encoding: .utf8) + "192.0.2.7 mine\n"
        let resolvBefore = try String(contentsOfFile: resolvPath, encoding: .utf8) + "options ndots:1\n"
        try hostsBefore.write(toFile: hostsPath, atomically: false, encoding: .utf8)
        try resolvBefore.write(toFile: resolvPath, atomically: false, encoding: .utf8)
        var info = stat()
        stat(hostsPath, &info)
        let inode = info.st_ino

        try ContainerFiles.connected("back", connected, paths: paths)
        #expect(try String(contentsOfFile: hostsPath, encoding: .utf8) == hostsBefore + "10.2.0.5\tweb c db\n")
        // No IPv6 on the container: fd02::1 stays out; 10.1.0.1 is there already.
        #expect(try String(contentsOfFile: resolvPath, encoding: .utf8)
                == "search dns.podman\nnameserver 10.2.0.1\nnameserver 10.1.0.1\noptions ndots:1\n")
        stat(hostsPath, &info)
        #expect(info.st_ino == inode, "the file was replaced, not edited")

        try ContainerFiles.disconnected("back", before: connected, paths: paths)
        #expect(try String(contentsOfFile: hostsPath, encoding: .utf8) == hostsBefore)
        #expect(try String(contentsOfFile: resolvPath, encoding: .utf8) == resolvBefore)

        // reload with the same addresses leaves the files alone; a changed address rewrites them.
        try ContainerFiles.reloaded(before: before, after: before, paths: paths)
        #expect(try String(contentsOfFile: hostsPath, encoding: .utf8) == hostsBefore)
        var moved = before
        moved.status["front"]!.interfaces["eth0"]!.subnets = [.init(ipnet: "10.1.0.9/24", gateway: "10.1.0.1")]
        try ContainerFiles.reloaded(before: before, after: moved, paths: paths)
        #expect(try String(contentsOfFile: hostsPath, encoding: .utf8) == ContainerFiles.hosts(moved))
    }

    @Test("the whole hosts file create writes uses the same entries")
    func wholeFile() {
        #expect(ContainerFiles.hosts(record()) == "127.0.0.1\tlocalhost\n::1\tlocalhost\n10.1.0.2\tweb c\n10.2.0.5\tweb c db\nfd02::5\tweb c db\n")
    }
}
