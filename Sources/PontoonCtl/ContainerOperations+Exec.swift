import Foundation
import HostSystem

extension ContainerOperations {
    /// `exec`: the command replaces pontoonctl inside the container's network namespace, with the
    /// container's resolv.conf and hosts (`NamespaceExec`). A rootless container's namespace is
    /// reached through the pause process, found under the rootless netns' lock; the lock is let go
    /// before the command runs (it would otherwise be held for as long as the command lives).
    public func exec(_ name: String, _ command: [String]) throws(CtlError) -> Never {
        let (record, joining) = try inRootlessScope(.join, for: name) { scoped throws(CtlError) in
            let record = try scoped.store.container(name)
            try scoped.requireRunning(record, "exec")
            return (record, scoped.rootless?.pause.map { [RootlessNetNS.nsenter] + RootlessNetNS.joining($0) } ?? [])
        }
        // A host-mode container (or a sharer of one) has no namespace: the command runs in the host's.
        let netns = record.netns.isEmpty ? "/proc/self/ns/net" : record.netns
        try NamespaceExec.exec(netns: netns, files: filesDirectory(record), joining: joining, command)
    }

    /// `stats`: per-interface counters inside the container's namespace.
    public func stats(_ name: String) throws(CtlError) -> [InterfaceStatistics] {
        try inRootlessScope(.join, for: name) { scoped throws(CtlError) in
            let record = try scoped.store.container(name)
            try scoped.requireRunning(record, "stats")
            // As libpod's getContainerNetIO: no namespace of its own (host), no network statistics.
            if record.netns.isEmpty { return [] }
            guard let rootless = scoped.rootless, let pause = rootless.pause else { return try InterfaceStatistics.read(netns: record.netns) }
            // pontoonctl cannot setns into a rootless container's namespace (it is owned by the pause
            // process's user namespace, and entering needs CAP_SYS_ADMIN in our own; joining that user
            // namespace needs a single-threaded process), so a child placed by nsenter reads the
            // counters: iproute2, whose `ip -s -j link` is the same IFLA_STATS64 read over rtnetlink,
            // rather than a hidden mode of pontoonctl's own binary (which a library cannot name).
            let ip = ChildProcess.find("ip", in: ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]) ?? "/sbin/ip"
            let run = try rootless.netns.joined(pause, [RootlessNetNS.nsenter, "--net=" + record.netns, "--", ip, "-s", "-j", "link", "show"])
            try rootless.netns.expect(run, "cannot read interface statistics in \(record.netns)")
            return try InterfaceStatistics.parse(iproute2: run.stdout)
        }
    }
}
