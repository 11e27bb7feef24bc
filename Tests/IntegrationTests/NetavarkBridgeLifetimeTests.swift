import Foundation
import Testing
import TestSupport

/// netavark's bridge lifetime: the network's last container takes the bridge with it, decided
/// under a per-network lock whatever the firewall (internal networks write no rules at all).
@Suite("netavark mode: the bridge goes with the last container", needsRoot)
struct NetavarkBridgeLifetimeTests {
    /// podman's one-network capture without port mappings, pontoon allocating the addresses.
    static func options(routed: Bool, host: PrivateHost) throws -> [String: Any] {
        var stdin = try NetavarkModeTests.capture("podman-netavark-setup.json", host: host)
        var info = stdin["network_info"] as! [String: [String: Any]]
        info["podman"]!["internal"] = !routed
        stdin["network_info"] = info
        var networks = stdin["networks"] as! [String: [String: Any]]
        networks["podman"]!["static_ips"] = nil
        stdin["networks"] = networks
        return stdin
    }

    static func forContainer(_ stdin: [String: Any], _ index: Int) -> [String: Any] {
        var copy = stdin
        copy["container_id"] = String(format: "%064x", index + 1)
        copy["container_name"] = "ctr\(index)"
        return copy
    }

    @Test("teardown of the last container deletes the bridge and the network's state; an earlier one keeps it",
          arguments: [false, true])
    func lastTeardownRemovesBridge(routed: Bool) throws {
        let host = try PrivateHost("nvlife")
        defer { host.cleanup() }
        let a = try host.container("a"), b = try host.container("b")
        let stdin = try Self.options(routed: routed, host: host)
        let first = Self.forContainer(stdin, 0), second = Self.forContainer(stdin, 1)
        #expect(try host.netavark(["setup", PrivateHost.path(a)], first).status == 0)
        #expect(try host.netavark(["setup", PrivateHost.path(b)], second).status == 0)
        #expect(try host.pings(from: a, "10.88.0.3"))
        #expect(try host.netavark(["teardown", PrivateHost.path(a)], first).status == 0)
        #expect(try host.linkNames(host.name).contains("podman0"), "b is still on the bridge")
        #expect(try host.pings(from: b, "10.88.0.1"))

        // The last teardown deletes the veth pair and the bridge in one request, by a device group
        // of their own: a device an administrator put in a group is no part of it.
        let bystanderMade = try host.exec(host.name, "ip link add ptbystander type bridge && ip link set ptbystander group 7")
        try #require(bystanderMade.status == 0, "\(bystanderMade.stderrText)")
        let last = try host.netavark(["teardown", PrivateHost.path(b)], second)
        #expect(last.status == 0, "\(last.stdoutText)")
        let left = try host.linkNames(host.name)
        #expect(left == ["lo", "ptbystander"], "the bridge went with the last container: \(left)")
        #expect(try host.linkNames(b) == ["lo"], "the container's end went with its peer")
        let bystander = try host.json(host.name, "ip -j link show ptbystander").first?["group"] as? String
        #expect(bystander == "7", "the bystander's group: \(bystander ?? "none")")
        try host.exec(host.name, "ip link del ptbystander")
        #expect(!FileManager.default.fileExists(atPath: host.scratch.file("netavark/pontoon/podman")), "no record directory left")
        #expect(!FileManager.default.fileExists(atPath: host.scratch.file("netavark/pontoon/.bridges/podman")), "no lock left")
        if routed {
            #expect(!(try host.exec(host.name, "nft list ruleset").stdoutText.contains("10.88.0")), "the network's rules went too")
        }
        #expect(try host.netavark(["teardown", PrivateHost.path(b)], second).status == 0, "a second teardown is fine")

        // A bridge with something else plugged in is not the network's to delete.
        #expect(try host.netavark(["setup", PrivateHost.path(a)], first).status == 0)
        try host.exec(host.name, "ip link add ptforeign type veth peer name ptforeignp && ip link set ptforeign master podman0")
        #expect(try host.netavark(["teardown", PrivateHost.path(a)], first).status == 0)
        #expect(try host.linkNames(host.name).contains("podman0"), "a foreign port keeps the bridge")
    }

    @Test("a setup failing after it made the bridge (host port taken, 106) leaves no bridge behind", .privateHost("nvlifefail"))
    func failedSetupRemovesBridge() throws {
        let host = try PrivateHost.scoped()
        let a = try host.container("a"), b = try host.container("b")
        var stdin = try Self.options(routed: true, host: host)
        stdin["port_mappings"] = [["host_ip": "", "container_port": 80, "host_port": 8080, "range": 1, "protocol": "tcp"]]
        let first = Self.forContainer(stdin, 0)
        #expect(try host.netavark(["setup", PrivateHost.path(a)], first).status == 0)
        // The same host port on another network, whose bridge this setup makes.
        var second = Self.forContainer(stdin, 1)
        var info = second["network_info"] as! [String: [String: Any]]
        info["podman"]!["network_interface"] = "podman9"
        info["podman"]!["subnets"] = [["subnet": "10.89.0.0/24", "gateway": "10.89.0.1"]]
        second["network_info"] = ["other": info["podman"]!.merging(["name": "other"]) { _, new in new }]
        second["networks"] = ["other": (second["networks"] as! [String: Any])["podman"]!]
        let failing = try host.netavark(["setup", PrivateHost.path(b)], second)
        #expect(failing.status == 1)
        #expect(failing.stdoutText.contains("8080/tcp"), "\(failing.stdoutText)")
        let links = try host.linkNames(host.name)
        #expect(links.contains("podman0") && !links.contains("podman9"), "the failed setup's bridge is gone: \(links)")
        #expect(try host.linkNames(b) == ["lo"])
        #expect(try host.netavark(["teardown", PrivateHost.path(a)], first).status == 0)
        #expect(try host.linkNames(host.name) == ["lo"])
    }

    /// 16 processes at once, half tearing down the containers that hold the bridge, half setting
    /// up new ones: every setup ends on the living bridge, every teardown succeeds, and when the
    /// last container goes the bridge goes.
    @Test("16 concurrent setups and teardowns: no container ends on a deleted bridge", arguments: [false, true])
    func racingSetupsAndTeardowns(routed: Bool) throws {
        let host = try PrivateHost(routed ? "nvrace-r" : "nvrace-i")
        defer { host.cleanup() }
        let containers = try (0..<16).map { try host.container("c\($0)") }
        let stdin = try Self.options(routed: routed, host: host)
        func start(_ verb: String, _ index: Int) throws -> RunningProcess {
            let data = try JSONSerialization.data(withJSONObject: Self.forContainer(stdin, index), options: [.withoutEscapingSlashes])
            return try TestRun.start(PrivateHost.ip, ["netns", "exec", host.name, Binaries.pontoon, "--config", host.scratch.file("netavark"),
                                                      "setup" == verb ? "setup" : "teardown", PrivateHost.path(containers[index])],
                                     environment: [:], stdin: data)
        }
        /// The host ends plugged into the bridge, or nil when there is no bridge.
        func bridgePorts() throws -> Int? {
            let links = try host.json(host.name, "ip -j link show")
            guard links.contains(where: { $0["ifname"] as? String == "podman0" }) else { return nil }
            return links.filter { $0["master"] as? String == "podman0" }.count
        }
        func check(_ up: [Int], _ round: Int) throws {
            #expect(try bridgePorts() == up.count, "round \(round): every container set up is on the living bridge")
            for index in up {
                #expect(try host.linkNames(containers[index]).contains("eth0"), "round \(round): c\(index) has eth0")
            }
            #expect(try host.pings(from: containers[up[0]], "10.88.0.1"), "round \(round): the gateway answers")
        }

        // The sets alternate between one container and fifteen: one teardown of the last container
        // racing fifteen setups, then fifteen teardowns racing one setup.
        let one = [0], fifteen = Array(1..<16)
        #expect(try start("setup", 0).finish().status == 0)
        var up = one
        for round in 1...8 {
            let next = up == one ? fifteen : one
            let processes = try up.map { try start("teardown", $0) } + next.map { try start("setup", $0) }
            for run in processes.map({ $0.finish() }) { #expect(run.status == 0, "round \(round): \(run.stdoutText)") }
            try check(next, round)
            up = next
        }
        let last = try up.map { try start("teardown", $0) }.map { $0.finish() }
        for run in last { #expect(run.status == 0, "\(run.stdoutText)") }
        #expect(try bridgePorts() == nil, "the bridge went with the last container")
        #expect(!FileManager.default.fileExists(atPath: host.scratch.file("netavark/pontoon/podman")))
        if routed {
            #expect(!(try host.exec(host.name, "nft list ruleset").stdoutText.contains("10.88.0")), "the network's rules went too")
        }
    }
}
