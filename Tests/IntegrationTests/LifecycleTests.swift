import Foundation
import Testing
import TestSupport

@Suite("DEL, CHECK, GC, STATUS", needsRoot)
struct LifecycleTests {
    @Test("DEL after the runtime deleted the netns frees the lease and leaves no host veth; a second DEL is a no-op", .privateHost("del"))
    func deleteAfterNetnsGone() throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        let config = networkConfig(host)
        let add = try host.attach(container, config: config)
        let port = try #require(add.interfaces[1]["name"] as? String)
        #expect(try host.linkNames(host.name).contains(port))
        try host.delete(container)

        let first = try host.cni("DEL", container: container, config: config)
        #expect(first.status == 0, "\(first.stdoutText)")
        #expect(first.stdout.isEmpty)
        #expect(!(try host.linkNames(host.name).contains(port)))
        #expect(host.leases().isEmpty)
        #expect(host.records().isEmpty)
        let second = try host.cni("DEL", container: container, config: config)
        #expect(second.status == 0, "\(second.stdoutText)")
        let withoutNetns = try host.cni("DEL", container: nil, containerID: container, config: config)
        #expect(withoutNetns.status == 0, "DEL without CNI_NETNS: \(withoutNetns.stdoutText)")
    }

    @Test("DEL with the netns alive removes the interface inside it", .privateHost("dellive"))
    func deleteLive() throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        let config = networkConfig(host)
        _ = try host.attach(container, config: config)
        let del = try host.cni("DEL", container: container, config: config)
        #expect(del.status == 0, "\(del.stdoutText)")
        #expect(try host.linkNames(container) == ["lo"])
        #expect(try host.linkNames(host.name) == ["lo", "pt0"], "only the bridge stays, as with the reference plugin")
        #expect(host.leases().isEmpty && host.records().isEmpty)
    }

    @Test("DEL uses the record when the host veth outlives the netns file (prevResult absent)", .privateHost("delrec"))
    func deleteFromRecord() throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        let config = networkConfig(host)
        let add = try host.attach(container, config: config)
        let port = try #require(add.interfaces[1]["name"] as? String)
        // A process keeps the namespace alive after its file is gone: the veth survives.
        let holder = try TestRun.start(PrivateHost.ip, ["netns", "exec", container, "sleep", "60"])
        defer {
            holder.terminate()
            _ = holder.finish()
        }
        try host.exec(host.name, "sleep 0.2")
        try TestRun.run("/usr/bin/umount", [PrivateHost.path(container)])
        try TestRun.run("/usr/bin/rm", ["-f", PrivateHost.path(container)])
        #expect(try host.linkNames(host.name).contains(port), "the namespace is still alive, held by a process")
        let del = try host.cni("DEL", container: container, config: config)
        #expect(del.status == 0, "\(del.stdoutText)")
        #expect(!(try host.linkNames(host.name).contains(port)), "host veth removed by name from the record")
        #expect(host.leases().isEmpty && host.records().isEmpty)
    }

    /// `container` attached, and the config CHECK gets for it: the ADD's answer as prevResult.
    func attachedForCheck(_ host: PrivateHost, _ container: String) throws -> (config: [String: Any], add: RunResult) {
        var config = networkConfig(host)
        let add = try host.attach(container, config: config)
        config["prevResult"] = add.json
        return (config, add)
    }

    @Test("CHECK passes after ADD and names the address someone deleted", .privateHost("check"))
    func check() throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        let (config, add) = try attachedForCheck(host, container)
        let ok = try host.cni("CHECK", container: container, config: config)
        #expect(ok.status == 0, "\(ok.stdoutText)")
        #expect(ok.stdout.isEmpty)

        let address = try #require(add.addresses.first)
        try host.exec(container, "ip addr del \(address) dev eth0")
        let broken = try host.cni("CHECK", container: container, config: config)
        #expect(broken.status == 1)
        #expect(broken.errorCode == 105)
        #expect(broken.errorMessage == "address \(address) is missing on eth0 in \(PrivateHost.path(container))", "\(broken.stdoutText)")
    }

    @Test("CHECK notices a deleted route and a changed MAC", .privateHost("check2"))
    func checkRouteAndMAC() throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        let config = try attachedForCheck(host, container).config
        try host.exec(container, "ip route del default")
        let noRoute = try host.cni("CHECK", container: container, config: config)
        #expect(noRoute.errorMessage.contains("route 0.0.0.0/0 via 10.99.0.1 is missing"), "\(noRoute.stdoutText)")
        try host.exec(container, "ip route add default via 10.99.0.1 && ip link set eth0 address 02:00:00:00:00:42")
        let newMAC = try host.cni("CHECK", container: container, config: config)
        #expect(newMAC.errorMessage.contains("has MAC 02:00:00:00:00:42"), "\(newMAC.stdoutText)")
    }

    @Test("GC removes the host veth, record and lease of attachments not listed as valid", .privateHost("gc"))
    func garbageCollect() throws {
        let host = try PrivateHost.scoped()
        let keep = try host.container("keep"), drop = try host.container("drop")
        var config = networkConfig(host, version: "1.1.0")
        let kept = try host.attach(keep, config: config)
        let dropped = try host.attach(drop, config: config)
        config["cni.dev/valid-attachments"] = [["containerID": keep, "ifname": "eth0"]]
        let gc = try host.cni("GC", container: nil, config: config)
        #expect(gc.status == 0, "\(gc.stdoutText)")
        let links = try host.linkNames(host.name)
        #expect(links.contains(try #require(kept.interfaces[1]["name"] as? String)))
        #expect(!links.contains(try #require(dropped.interfaces[1]["name"] as? String)))
        #expect(host.leases() == [bare(kept.addresses[0])])
        #expect(host.records() == ["\(keep)@eth0.json"])
        #expect(try host.pings(from: keep, "10.99.0.1"), "the kept attachment still works")
    }

    @Test("STATUS answers ready, and 50 with a reason when the lease store cannot be written", .privateHost("status"))
    func status() throws {
        let host = try PrivateHost.scoped()
        var config = networkConfig(host, version: "1.1.0")
        let ready = try host.cni("STATUS", container: nil, config: config)
        #expect(ready.status == 0, "\(ready.stdoutText)")
        // A dataDir under a regular file can never be created.
        try Data().write(to: URL(fileURLWithPath: host.scratch.file("blocker")))
        config["ipam"] = ["type": "host-local", "dataDir": host.scratch.file("blocker") + "/leases", "ranges": [[["subnet": "10.99.0.0/24"]]]]
        let notReady = try host.cni("STATUS", container: nil, config: config)
        #expect(notReady.status == 1)
        #expect(notReady.errorCode == 50, "\(notReady.stdoutText)")
    }
}
