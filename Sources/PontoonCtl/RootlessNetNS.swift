import Foundation
import HostSystem
import Netavark

/// The rootless network namespace, as podman's RootlessNetNS keeps it: a pause process holds a user
/// namespace (the user as root, then its subordinate ids) and a mount namespace; the network
/// namespace is bind-mounted inside that mount namespace, so only commands that join the pause
/// process see it; slirp4netns connects it to the host. Everything is made and removed under a lock.
public struct RootlessNetNS {
    public let host: RootlessHost
    /// Where the pid files, the lock and slirp4netns' log live (pontoonctl's state directory).
    public let stateDirectory: String

    public init(host: RootlessHost, stateDirectory: String) {
        self.host = host
        self.stateDirectory = stateDirectory
    }

    static let readyTimeout = 5.0
    /// slirp4netns' MTU, which rootless bridge networks default to.
    public static let mtu = 65520

    var pausePidFile: String { stateDirectory + "/rootless-netns-pause.pid" }
    var slirpPidFile: String { stateDirectory + "/rootless-netns-slirp4netns.pid" }
    /// slirp4netns' API socket, which publishes rootless containers' ports (`SlirpForwards`).
    var apiSocket: String { stateDirectory + "/rootless-netns-slirp4netns.sock" }
    var lockPath: String { stateDirectory + "/rootless-netns.lock" }

    /// `rootless-netns-<hash of the state directory>`, so two state directories never share one.
    public var path: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in stateDirectory.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return host.runtimeDirectory + "/netns/rootless-netns-" + String(hash, radix: 16)
    }

    /// Makes what is missing of the pause process, the namespace and slirp4netns; returns the namespace's path.
    @discardableResult
    public func up(published: () -> [PortMapping] = { [] }, warn: (String) -> Void = { _ in }) throws(CtlError) -> String {
        try locked { () throws(CtlError) in _ = try upLocked(published: published, warn: warn) }
        return path
    }

    /// `body` under the lock, which every change to the namespace, its connector and the containers in it holds.
    func locked<T>(_ body: () throws(CtlError) -> T) throws(CtlError) -> T {
        try Store.makeDirectory(stateDirectory)
        let lock = try FileLock(lockPath)
        defer { lock.unlock() }
        return try body()
    }

    /// `up` with the lock held; returns the pause process's pid. A connector that died (killed,
    /// OOM) while the pause process lived is restarted here, by the next command that brings the
    /// namespace up, and `published` (every container's published ports, read under this lock)
    /// are forwarded again: a fresh slirp4netns has none, and podman 4.3 stays unreachable until
    /// every container stopped. A port that cannot be forwarded again is a warning, not a failure
    /// of the command that noticed the dead connector.
    func upLocked(published: () -> [PortMapping] = { [] }, warn: (String) -> Void = { _ in }) throws(CtlError) -> Int32 {
        let (pause, fresh) = try pauseProcess()
        if !fresh, connectorRunning { return pause }
        // A connector left by a pause process that died serves a namespace no one can join any more.
        connector()?.stop()
        // The namespace a surviving pause process still holds is kept: the containers' bridges, veths
        // and rules are in it (made again, it would cut every container off).
        let kept = !fresh && isMounted(in: pause)
        if !kept {
            try Store.makeDirectory(host.runtimeDirectory + "/netns")
            // The mount point; if it cannot be made, unshare --net= below fails and says so.
            if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
            let ip = ChildProcess.find("ip", in: ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]) ?? "/sbin/ip"
            _ = try? joined(pause, ["umount", path])
            try expect(joined(pause, ["unshare", "--net=" + path, ip, "link", "set", "lo", "up"]), "cannot make the rootless network namespace")
        }
        try startSlirp(pause)
        if kept {
            warn("the rootless network namespace's slirp4netns had died: restarted, with the published ports")
            for failure in SlirpForwards(socket: apiSocket).restore(published()) { warn(failure.description) }
        }
        return pause
    }

    /// The pause process alone, started when it is not running (with the lock held): what a
    /// `--network slirp4netns` container needs, whose slirp4netns is its own.
    func pauseLocked() throws(CtlError) -> Int32 { try pauseProcess().pid }

    /// Whether the rootless netns is mounted in the pause process's mount namespace (its mount table
    /// is readable by the user that owns it).
    private func isMounted(in pause: Int32) -> Bool {
        let table = KernelFile.text("/proc/\(pause)/mountinfo") ?? ""
        return table.split(separator: "\n").contains { line in
            let fields = line.split(separator: " ")
            return fields.count > 4 && fields[4].replacingOccurrences(of: "\\040", with: " ") == path
        }
    }

    /// Whether slirp4netns of the rootless netns runs (one that died is restarted by the next `upLocked`).
    var connectorRunning: Bool { running(slirpPidFile, "slirp4netns") != nil }

    /// Stops slirp4netns and the pause process and removes the namespace and the files.
    public func down() throws(CtlError) {
        guard FileManager.default.fileExists(atPath: stateDirectory) else { return }
        try locked { () throws(CtlError) in downLocked() }
    }

    /// `down` with the lock held.
    func downLocked() {
        connector()?.stop()
        if let pause = running(pausePidFile, "unshare") { _ = try? joined(pause, ["umount", path]) }
        Self.stop(running(pausePidFile, "unshare"), signal: SIGKILL)
        // The lock file goes too (held, it vanishes safely: see FileLock).
        for file in [path, slirpPidFile, pausePidFile, stateDirectory + "/\(Self.connectorName).log", apiSocket, lockPath, pluginDirectory] {
            try? FileManager.default.removeItem(atPath: file)
        }
    }

    /// The connector and the rootless netns alone, the pause process kept (with the lock held): when
    /// the last bridge container left and `--network slirp4netns` containers, which need only the pause
    /// process, remain — as podman stops the rootless netns with its last bridge container.
    func connectorDownLocked() {
        connector()?.stop()
        if let pause = running(pausePidFile, "unshare") { _ = try? joined(pause, ["umount", path]) }
        for file in [path, slirpPidFile, stateDirectory + "/\(Self.connectorName).log", apiSocket, pluginDirectory] {
            try? FileManager.default.removeItem(atPath: file)
        }
    }

    /// A command inside the rootless network namespace (and the pause process's namespaces).
    public func run(_ command: [String]) throws(CtlError) -> (status: Int32, stdout: Data, stderr: Data) {
        guard let pause = running(pausePidFile, "unshare"), running(slirpPidFile, "slirp4netns") != nil else {
            throw CtlError(.notFound, "the rootless network namespace is not up")
        }
        let run = try joined(pause, ["nsenter", "--net=" + path, "--"] + command)
        return (run.status, run.stdout, run.stderr)
    }

    // MARK: pieces

    /// nsenter joins the user namespace by re-executing: setns into a user namespace needs a single-threaded process.
    func joined(_ pause: Int32, _ command: [String]) throws(CtlError) -> PluginRun {
        try PluginRun.run(Self.nsenter, Self.joining(pause) + command, environment: [:], stdin: Data())
    }

    static let nsenter = "/usr/bin/nsenter"

    /// nsenter's arguments that join the pause process's user and mount namespaces, as the user's root there.
    static func joining(_ pause: Int32) -> [String] { ["--preserve-credentials", "-U", "-m", "-t", String(pause), "--"] }

    func expect(_ run: PluginRun, _ what: String) throws(CtlError) {
        guard run.status == 0 else {
            throw CtlError(.failed, "\(what): \(String(decoding: run.stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }

    /// The pause process's pid, started when it is not running: root in its user namespace is the
    /// user, ids from 1 are the subordinate range (as podman maps them).
    private func pauseProcess() throws(CtlError) -> (pid: Int32, fresh: Bool) {
        if let pid = running(pausePidFile, "unshare") { return (pid, false) }
        guard let uids = host.uidRanges.first, let gids = host.gidRanges.first else {
            throw CtlError(.usage, "no subordinate id range for the rootless network namespace")
        }
        let unshare = "/usr/bin/unshare --user --map-root-user --map-users=\(uids.start),1,\(uids.count) "
            + "--map-groups=\(gids.start),1,\(gids.count) --mount --fork --kill-child \"$2\" -P"
        try detach(unshare + " & echo $! >\"$1\"", pausePidFile, host.catatonit)
        guard let pid = Self.pid(pausePidFile) else { throw CtlError(.failed, "the pause process wrote no pid") }
        // unshare maps the ids (through newuidmap) just after it made the namespaces: joining earlier finds no map.
        let mapped = Self.waitFor(Self.readyTimeout) {
            (KernelFile.text("/proc/\(pid)/uid_map") ?? "").split(separator: "\n").count >= 2
        }
        guard mapped else {
            Self.stop(pid, signal: SIGKILL)
            throw CtlError(.failed, "the pause process's user namespace got no id map in \(Int(Self.readyTimeout)) s "
                           + "(newuidmap with the ranges of /etc/subuid and /etc/subgid)")
        }
        return (pid, true)
    }

    /// The connector's files in the state directory: `<name>.exit` (its exit FIFO) and `<name>.log`.
    static let connectorName = "rootless-netns-slirp4netns"

    /// slirp4netns as podman runs it for the rootless netns (`--disable-host-loopback --mtu=65520
    /// --enable-ipv6`, sandboxed, with an API socket for published ports), started inside the pause
    /// process's user and mount namespaces by the launcher every slirp4netns of ours goes through.
    private func startSlirp(_ pause: Int32) throws(CtlError) {
        unlink(apiSocket)
        var options = Slirp4netnsOptions()
        options.mtu = Self.mtu
        let process = try Slirp4netnsProcess.start(netns: path, options: options, directory: stateDirectory, apiSocket: apiSocket,
                                                   launcher: [Self.nsenter] + Self.joining(pause), name: Self.connectorName)
        guard FileManager.default.createFile(atPath: slirpPidFile, contents: Data("\(process.pid)\n".utf8)) else {
            process.stop()
            throw CtlError(.failed, "cannot write \(slirpPidFile)")
        }
    }

    /// The running connector, to stop it (its exit FIFO's hangup, then signals; the FIFO and the API socket go).
    private func connector() -> Slirp4netnsProcess? {
        guard let pid = running(slirpPidFile, "slirp4netns") else { return nil }
        return Slirp4netnsProcess(pid: pid, exitFIFO: stateDirectory + "/\(Self.connectorName).exit", apiSocket: apiSocket,
                                  log: stateDirectory + "/\(Self.connectorName).log")
    }

    /// A shell line that starts a daemon in the background and records its pid, run to its end.
    private func detach(_ line: String, _ arguments: String...) throws(CtlError) {
        let status: Int32
        do throws(SystemError) {
            status = try ChildProcess.launchDetached("/bin/sh", arguments: ["-c", line, "sh"] + arguments,
                                                     environment: ProcessInfo.processInfo.environment)
        } catch {
            throw CtlError(.failed, "cannot start /bin/sh: \(error.reason)")
        }
        guard status == 0 else { throw CtlError(.failed, "cannot start \(line.prefix(40))…: exit \(status)") }
    }

    /// The pid in a pid file while that process runs and is the one named (a pid is reused once it ends).
    func running(_ file: String, _ command: String) -> Int32? {
        guard let pid = Self.pid(file), ProcessStatus.running(pid, named: command) else { return nil }
        return pid
    }

    static func pid(_ file: String) -> Int32? {
        (try? String(contentsOfFile: file, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    static func alive(_ pid: Int32?) -> Bool {
        guard let pid, let status = ProcessStatus.of(pid) else { return false }
        return !status.ended
    }

    static func stop(_ pid: Int32?, signal: Int32) {
        guard let pid, alive(pid) else { return }
        kill(pid, signal)
        if !waitFor(2, { !alive(pid) }) { kill(pid, SIGKILL) }
    }

    static func waitFor(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }
}
