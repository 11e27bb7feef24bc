import Foundation
import Testing
import TestSupport

/// An ADD that fails part-way must leave nothing behind: no link, no lease, no record.
@Suite("Rollback", needsRoot)
struct RollbackTests {
    @Test("a requested IP that is taken fails with 101 and leaves nothing", .privateHost("taken"))
    func requestedIPTaken() throws {
        let host = try PrivateHost.scoped()
        let first = try host.container("first"), second = try host.container("second")
        let config = networkConfig(host)
        _ = try host.attach(first, args: "IP=10.99.0.50", config: config)
        let linksBefore = try host.linkNames(host.name)
        let add = try host.cni("ADD", container: second, args: "IP=10.99.0.50", config: config)
        #expect(add.status == 1)
        #expect(add.errorCode == 101, "\(add.stdoutText)")
        #expect(add.errorMessage.contains("10.99.0.50"))
        #expect(try host.linkNames(host.name) == linksBefore)
        #expect(try host.linkNames(second) == ["lo"])
        #expect(host.leases() == ["10.99.0.50"])
        #expect(host.records() == ["\(first)@eth0.json"])
    }

    @Test("an interface name already present in the container fails with 103 and leaves nothing", .privateHost("exists"))
    func interfaceExists() throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        try host.exec(container, "ip link add eth0 type veth peer name eth1")
        let add = try host.cni("ADD", container: container, config: networkConfig(host))
        #expect(add.errorCode == 103, "\(add.stdoutText)")
        #expect(add.errorMessage == "interface eth0 already exists in \(PrivateHost.path(container))")
        #expect(try host.linkNames(host.name) == ["lo"], "not even the bridge")
        #expect(try host.linkNames(container) == ["lo", "eth0", "eth1"], "the container's own interfaces are untouched")
        #expect(host.leases().isEmpty && host.records().isEmpty)
    }

    @Test("a failure after the veth exists (a route the kernel refuses) undoes veth, lease and new bridge", .privateHost("late"))
    func lateFailure() throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        // A gateway outside every on-link subnet: the kernel refuses the route, after everything else was made.
        var config = networkConfig(host)
        config["ipam"] = ["type": "host-local", "dataDir": host.dataDir, "ranges": [[["subnet": "10.99.0.0/24"]]],
                          "routes": [["dst": "192.168.77.0/24", "gw": "172.31.255.1"]]]
        let add = try host.cni("ADD", container: container, config: config)
        #expect(add.status == 1)
        #expect(add.errorCode == 100, "\(add.stdoutText)")
        #expect(add.errorMessage.contains("add route 192.168.77.0/24 via 172.31.255.1"), "\(add.stdoutText)")
        #expect(try host.linkNames(host.name) == ["lo"], "veth and the bridge this ADD created are gone")
        #expect(try host.linkNames(container) == ["lo"])
        #expect(host.leases().isEmpty && host.records().isEmpty)
    }

    @Test("a bridge name taken by another kind of device is a conflict (104) and nothing is made", .privateHost("kind"))
    func bridgeNameTaken() throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        try host.exec(host.name, "ip link add pt0 type veth peer name pt1")
        let add = try host.cni("ADD", container: container, config: networkConfig(host))
        #expect(add.errorCode == 104, "\(add.stdoutText)")
        #expect(add.errorMessage == "pt0 exists and is not a bridge")
        #expect(try host.linkNames(host.name) == ["lo", "pt0", "pt1"])
        #expect(try host.linkNames(container) == ["lo"])
        #expect(host.leases().isEmpty)
    }

    @Test("a missing netns is 'unknown container' (3)", .privateHost("nons"))
    func missingNetns() throws {
        let host = try PrivateHost.scoped()
        let add = try host.cni("ADD", container: "\(host.name)-never-made", config: networkConfig(host))
        #expect(add.errorCode == 3, "\(add.stdoutText)")
        #expect(host.leases().isEmpty)
    }
}
