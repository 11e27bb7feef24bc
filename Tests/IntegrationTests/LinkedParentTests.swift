import Foundation
import Testing
import TestSupport

/// The parent rules of macvlan in both doors: a macvlan named as parent (the kernel hangs the new
/// link off that one's own parent, the real device), passthru's "this device alone", an MTU above
/// the parent's, ipvlan on a kernel without it. Each refusal names the parent and the mode, with
/// the door's error (netavark: exit 1 and the error JSON; CNI: code 7, or 2 for a missing driver),
/// and leaves no link, lease or record.
@Suite("macvlan parents: the kernel's rules, refused by name in both doors", needsRoot)
struct LinkedParentTests {
    enum Door: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case netavark, cni
        var testDescription: String { rawValue }
    }

    /// What the private host holds before the request (`OTHER`: a second container's namespace,
    /// where a link is out of sight of the host), the request's parent, driver and mode, the
    /// error's words and CNI code.
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var setup = ""
        var parent = "eth0"
        var driver = "macvlan"
        var mode = "bridge"
        var mtu: Int?
        var message: String
        var cniCode = 7
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "parent is a passthru macvlan", setup: "ip link add mvpt link eth0 type macvlan mode passthru", parent: "mvpt",
             message: "parent mvpt is a macvlan in passthru mode: the kernel allows no other macvlan on eth0 beside it"),
        Case(name: "parent is a macvlan of another mode", setup: "ip link add mvb link eth0 type macvlan mode bridge", parent: "mvb",
             mode: "private", message: "parent mvb is a macvlan in mode bridge, not private: the kernel would put mode private links on eth0 beside it"),
        Case(name: "passthru asked on a macvlan parent", setup: "ip link add mvb link eth0 type macvlan mode bridge", parent: "mvb",
             mode: "passthru", message: "parent mvb is itself a macvlan (mode bridge): mode passthru needs eth0 to itself"),
        Case(name: "the parent is held by a passthru macvlan", setup: "ip link add mvpt link eth0 type macvlan mode passthru",
             message: "the kernel refused a macvlan in mode bridge on parent eth0: a macvlan in passthru mode already holds it"),
        Case(name: "passthru on a parent that has macvlans (in another namespace)",
             setup: "ip link add link eth0 name mvb netns OTHER type macvlan mode bridge", mode: "passthru",
             message: "the kernel refused a macvlan in mode passthru on parent eth0: mode passthru needs the parent to itself"),
        Case(name: "an MTU above the parent's", mtu: 9000, message: "mtu 9000 is above the MTU 1500 of parent eth0"),
        Case(name: "ipvlan on a kernel without it", driver: "ipvlan", mode: "l2",
             message: "this kernel has no ipvlan support", cniCode: 2),
    ]

    @Test("refused by name, nothing made", .privateHost("lnkparent"), arguments: Door.allCases, Self.cases)
    func refused(_ door: Door, _ refusal: Case) throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        let lan = try LinkedLAN(host)
        let other = try host.container("other")
        if refusal.driver == "ipvlan" {
            let probe = try host.exec(host.name, "ip link add ipvprobe link eth0 type ipvlan mode l2 && ip link del ipvprobe")
            guard probe.status != 0 else { return }  // a kernel with ipvlan: NetavarkLinkedTests.ipvlan covers it
        }
        if !refusal.setup.isEmpty {
            let made = try host.exec(host.name, refusal.setup.replacingOccurrences(of: "OTHER", with: other))
            try #require(made.status == 0, "\(made.stderrText)")
        }
        let hostLinks = try lan.hostLinks(), otherLinks = try host.linkNames(other)
        switch door {
        case .netavark:
            var options = ["mode": refusal.mode]
            if let mtu = refusal.mtu { options["mtu"] = String(mtu) }
            let request = LinkedLAN.request(id: String(repeating: "7", count: 64),
                                            [.init(driver: refusal.driver, parent: refusal.parent, options: options)])
            let setup = try host.netavark(["setup", PrivateHost.path(container)], request)
            #expect(setup.status == 1)
            #expect(setup.netavarkError.contains(refusal.message), "\(setup.stdoutText)")
            #expect(lan.stateFiles().isEmpty, "no record or lease left: \(lan.stateFiles())")
        case .cni:
            var extra: [String: Any] = ["master": refusal.parent]
            if let mtu = refusal.mtu { extra["mtu"] = mtu }
            let config = CNILinkedTests.config(host, type: refusal.driver, mode: refusal.mode, extra: extra)
            let add = try host.cni("ADD", container: container, config: config)
            #expect(add.status != 0)
            #expect(add.errorCode == refusal.cniCode, "\(add.stdoutText)")
            #expect(add.errorMessage.contains(refusal.message), "\(add.stdoutText)")
            #expect(host.leases(network: "lan").isEmpty && host.records(network: "lan").isEmpty)
        }
        #expect(try host.linkNames(container) == ["lo"])
        #expect(try lan.hostLinks() == hostLinks)
        #expect(try host.linkNames(other) == otherLinks)
    }

    @Test("a macvlan parent of the same mode is what the kernel makes of it: the link hangs off the real device and reaches the LAN",
          .privateHost("lnksame"))
    func sameModeParent() throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        let lan = try LinkedLAN(host)
        try #require(try host.exec(host.name, "ip link add mvb link eth0 type macvlan mode bridge").status == 0)
        let request = LinkedLAN.request(id: String(repeating: "7", count: 64), [.init(parent: "mvb")])
        let setup = try host.netavark(["setup", PrivateHost.path(container)], request)
        #expect(setup.status == 0, "\(setup.stdoutText)")
        #expect(try host.pings(from: container, LinkedLAN.gateway))
        #expect(try host.netavark(["teardown", PrivateHost.path(container)], request).status == 0)
        #expect(try host.linkNames(container) == ["lo"])
        #expect(lan.stateFiles().isEmpty)
    }
}

/// CNI's `linkInContainer`, GC and CHECK on a macvlan network.
@Suite("CNI: macvlan linkInContainer, GC and CHECK", needsRoot)
struct CNILinkedLifecycleTests {
    @Test("linkInContainer: the master is the container's own device; the macvlan is made beside it and reaches its LAN; DEL leaves the master",
          .privateHost("cnilic"))
    func linkInContainer() throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        let outside = try host.container("out")
        // The master exists only in the container: a lookup on the host would fail.
        let made = try host.exec(host.name, "ip link add lic0 netns \(container) type veth peer name lic1 netns \(outside)")
        try #require(made.status == 0, "\(made.stderrText)")
        try #require(try host.exec(container, "ip link set lic0 up").status == 0)
        try #require(try host.exec(outside, "ip link set lo up && ip addr add 10.77.0.1/24 dev lic1 && ip link set lic1 up").status == 0)
        let hostLinks = try host.linkNames(host.name)
        var config = CNILinkedTests.config(host, type: "macvlan", extra: ["master": "lic0", "linkInContainer": true])
        let add = try host.cni("ADD", container: container, config: config)
        #expect(add.status == 0, "\(add.stdoutText)")
        let link = try host.json(container, "ip -j -d link show eth0").first
        #expect((link?["linkinfo"] as? [String: Any])?["info_kind"] as? String == "macvlan")
        #expect(link?["link"] as? String == "lic0", "the master is the container's lic0")
        #expect(try host.pings(from: container, "10.77.0.1"))
        #expect(try host.linkNames(host.name) == hostLinks, "nothing on the host")
        config["prevResult"] = add.json
        let check = try host.cni("CHECK", container: container, config: config)
        #expect(check.status == 0, "\(check.stdoutText)")
        #expect(try host.cni("DEL", container: container, config: config).status == 0)
        #expect(try host.linkNames(container) == ["lo", "lic0"])
        #expect(host.leases(network: "lan").isEmpty && host.records(network: "lan").isEmpty)

        // Without linkInContainer the same master is looked for on the host, and is not there.
        config["linkInContainer"] = nil
        config["prevResult"] = nil
        let refused = try host.cni("ADD", container: container, config: config)
        #expect(refused.errorCode == 7 && refused.errorMessage.contains("parent lic0 does not exist"), "\(refused.stdoutText)")
        #expect(try host.linkNames(container) == ["lo", "lic0"])
    }

    @Test("GC releases the leases and links of attachments not listed as valid; CHECK verifies the kept one's interface",
          .privateHost("cnilangc"))
    func garbageCollectAndCheck() throws {
        let host = try PrivateHost.scoped()
        let lan = try LinkedLAN(host)
        let hostLinks = try lan.hostLinks()
        let keep = try host.container("keep"), drop = try host.container("drop")
        var config = CNILinkedTests.config(host, type: "macvlan", extra: ["cniVersion": "1.1.0"])
        let kept = try host.attach(keep, config: config)
        _ = try host.attach(drop, config: config)
        #expect(host.leases(network: "lan") == ["10.77.0.10", "10.77.0.11"])
        var gc = config
        gc["cni.dev/valid-attachments"] = [["containerID": keep, "ifname": "eth0"]]
        let collected = try host.cni("GC", container: nil, config: gc)
        #expect(collected.status == 0, "\(collected.stdoutText)")
        #expect(host.leases(network: "lan") == ["10.77.0.10"])
        #expect(host.records(network: "lan") == ["\(keep)@eth0.json"])
        #expect(try host.linkNames(drop) == ["lo"], "the dropped attachment's macvlan went too")
        #expect(try host.pings(from: keep, LinkedLAN.gateway), "the kept attachment still works")
        #expect(try lan.hostLinks() == hostLinks)

        config["prevResult"] = kept.json
        let check = try host.cni("CHECK", container: keep, config: config)
        #expect(check.status == 0, "\(check.stdoutText)")
        try host.exec(keep, "ip link del eth0")
        let missing = try host.cni("CHECK", container: keep, config: config)
        #expect(missing.status != 0 && missing.errorMessage.contains("macvlan eth0 is missing"), "\(missing.stdoutText)")
        #expect(try host.cni("DEL", container: keep, config: config).status == 0)
        #expect(host.leases(network: "lan").isEmpty && host.records(network: "lan").isEmpty)
    }
}
