import Foundation
import HostSystem

extension ContainerOperations {
    /// A container's interface counters. As root they are read over rtnetlink in its namespace; a
    /// rootless container's namespace is mounted only in the pause process's mount namespace and
    /// owned by its user namespace, which the caller cannot enter by setns from a threaded process:
    /// `ip -s -j link` runs there instead (nsenter re-executes into both).
    public func statistics(_ name: String) throws(CtlError) -> [InterfaceStatistics] {
        let record = try store.container(name)
        guard let environment = paths.rootless else { return try InterfaceStatistics.read(netns: record.netns) }
        let netns = RootlessNetNS(host: try environment.preflight(), stateDirectory: paths.stateDirectory)
        guard let pause = netns.pause else {
            throw CtlError(.failed, "cannot read interface statistics of \(name): the rootless pause process is not running")
        }
        let ip = ChildProcess.find("ip", in: ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]) ?? "/sbin/ip"
        let run = try netns.joined(pause, ["nsenter", "--net=" + record.netns, "--", ip, "-s", "-j", "link", "show"])
        try netns.expect(run, "cannot read interface statistics in \(record.netns)")
        return try InterfaceStatistics.parse(ipJSON: run.stdout)
    }
}

extension InterfaceStatistics {
    private struct Link: Decodable {
        struct Counters: Decodable { var bytes: UInt64?; var packets: UInt64?; var errors: UInt64?; var dropped: UInt64? }
        struct Statistics: Decodable { var rx: Counters?; var tx: Counters? }
        var ifname: String
        var stats64: Statistics?
    }

    /// `ip -s -j link show`'s links but loopback, sorted by name, as `read` returns them.
    static func parse(ipJSON: Data) throws(CtlError) -> [InterfaceStatistics] {
        let links: [Link]
        do { links = try JSONDecoder().decode([Link].self, from: ipJSON) } catch {
            throw CtlError(.failed, "cannot parse the output of ip -s -j link: \(error)")
        }
        return links.filter { $0.ifname != "lo" }.sorted { $0.ifname < $1.ifname }.map { link in
            var entry = InterfaceStatistics(interface: link.ifname)
            let rx = link.stats64?.rx, tx = link.stats64?.tx
            entry.rxBytes = rx?.bytes ?? 0
            entry.rxPackets = rx?.packets ?? 0
            entry.rxErrors = rx?.errors ?? 0
            entry.rxDropped = rx?.dropped ?? 0
            entry.txBytes = tx?.bytes ?? 0
            entry.txPackets = tx?.packets ?? 0
            entry.txErrors = tx?.errors ?? 0
            entry.txDropped = tx?.dropped ?? 0
            return entry
        }
    }
}
