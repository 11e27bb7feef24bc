import Foundation
import Testing
import TestSupport

@Suite("Firewall cost does not grow with the number of containers", needsRoot)
struct FirewallScaleTests {
    static let crowd = 500
    static let subnets = ["10.96.0.0/22", "fd96::/64"]

    @Test("one ADD and one DEL send as many netlink messages with 500 containers attached as with 1")
    func messageCount() throws {
        let lab = try Lab("scale")
        defer { lab.cleanup() }
        let mappings = [mapping(8080, 80), mapping(8053, 53, "udp")]
        _ = try lab.host.attach(try lab.host.container("first"), config: lab.config(subnets: Self.subnets))

        let withOne = try measure(lab, label: "one", mappings: mappings)

        // The crowd: every attachment with a port mapping of its own, added eight at a time.
        let names = try (0..<Self.crowd).map { try lab.host.container("n\($0)") }
        for start in stride(from: 0, to: names.count, by: 8) {
            let batch = try names[start..<min(start + 8, names.count)].enumerated().map { offset, name in
                let config = lab.config(mappings: [mapping(10000 + start + offset, 80)], subnets: Self.subnets)
                let stdin = try JSONSerialization.data(withJSONObject: config, options: [.withoutEscapingSlashes])
                return try TestRun.start(PrivateHost.ip, ["netns", "exec", lab.host.name, Binaries.pontoon],
                                         environment: ["CNI_COMMAND": "ADD", "CNI_CONTAINERID": name, "CNI_NETNS": PrivateHost.path(name),
                                                       "CNI_IFNAME": "eth0", "CNI_PATH": "/usr/lib/cni"], stdin: stdin)
            }
            for run in batch {
                let result = run.finish()
                try #require(result.status == 0, "\(result.stdoutText)")
            }
        }
        #expect(try lab.ruleset().components(separatedBy: "comment \"").count - 1 >= 2 * Self.crowd)

        let withCrowd = try measure(lab, label: "last", mappings: mappings)
        #expect(withOne.add == withCrowd.add, "ADD: \(withOne.add) messages with 1 attached, \(withCrowd.add) with \(Self.crowd + 1)")
        #expect(withOne.delete == withCrowd.delete, "DEL: \(withOne.delete) messages with 1 attached, \(withCrowd.delete) with \(Self.crowd + 1)")
        #expect(withOne.add > 0 && withOne.delete > 0)
        print("netlink messages: ADD \(withCrowd.add), DEL \(withCrowd.delete) (masquerade, 2 port mappings, dual-stack)")
    }

    /// ADD then DEL of one more container, returning the netlink messages each sent (from the
    /// plugin's debug log).
    private func measure(_ lab: Lab, label: String, mappings: [[String: Any]]) throws -> (add: Int, delete: Int) {
        let container = try lab.host.container(label)
        let addLog = lab.host.scratch.file("\(label)-add.log"), delLog = lab.host.scratch.file("\(label)-del.log")
        // A flow the host tracks (its own ping to the gateway, through lo), as a real host always has
        // some: with none at all, an ADD skips its conntrack flush of the UDP port (two messages),
        // and whether the crowd's start-up left one would decide the count.
        try trackFlow(lab)
        _ = try lab.host.attach(container, config: lab.config(mappings: mappings, subnets: Self.subnets, ["logFile": addLog, "logLevel": "debug"]))
        try trackFlow(lab)
        let del = try lab.host.cni("DEL", container: container, config: lab.config(mappings: mappings, subnets: Self.subnets, ["logFile": delLog, "logLevel": "debug"]))
        try #require(del.status == 0, "\(del.stdoutText)")
        return (try count(addLog), try count(delLog))
    }

    private func trackFlow(_ lab: Lab) throws {
        let ping = try lab.host.exec(lab.host.name, "ping -c 1 -W 1 10.96.0.1")
        try #require(ping.status == 0, "ping of the gateway from the host: \(ping.stdoutText)\(ping.stderrText)")
        let tracked = try lab.host.exec(lab.host.name, "cat /proc/sys/net/netfilter/nf_conntrack_count").stdoutText
        try #require((Int(tracked.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > 0, "no flow tracked: \(tracked)")
    }

    private func count(_ log: String) throws -> Int {
        let text = try String(contentsOfFile: log, encoding: .utf8)
        let line = try #require(text.split(separator: "\n").last { $0.contains("netlink messages sent: ") }, "log: \(text)")
        // The messages of the work asked; looks repeated while the carrier comes up are counted apart.
        let count = line.split(separator: "netlink messages sent: ").last?.prefix { $0.isNumber } ?? ""
        return Int(count) ?? -1
    }
}
