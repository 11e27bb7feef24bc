import Foundation
import HostSystem

/// One slirp4netns serving one container's namespace, as libpod's `setupSlirp4netns` runs it, but
/// outliving pontoonctl: there is no conmon to hold its exit fd. The exit fd is the read end of a
/// FIFO in the container's state directory that nobody holds open for writing; slirp4netns exits
/// on its hangup, which the first writer to open and close it causes (`stop`).
public struct Slirp4netnsProcess: Codable, Sendable, Equatable {
    public var pid: Int32
    /// The FIFO whose read end is slirp4netns's exit fd.
    public var exitFIFO: String
    /// `--api-socket`, for `port_handler=slirp4netns`.
    public var apiSocket: String?
    public var log: String

    static let readyTimeout: Int32 = 10_000   // ms; slirp4netns configures tap0 in a few ms

    /// Starts it on `netns` with tap0 configured and waits for its ready fd; on failure nothing
    /// it made is left and the error carries its log. `launcher`: a command that runs it in other
    /// namespaces and then execs it (nsenter into the rootless pause process), so the pid is still
    /// slirp4netns's; its mount namespace must be private. `name` names the FIFO and the log in
    /// `directory`.
    static func start(netns: String, options: Slirp4netnsOptions, directory: String, apiSocket: String?,
                      launcher: [String]? = nil, name: String = "slirp4netns") throws(CtlError) -> Slirp4netnsProcess {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin"
        guard let binary = ChildProcess.find("slirp4netns", in: path.split(separator: ":").map(String.init)) else {
            throw CtlError(.failed, "--network slirp4netns: slirp4netns is not installed (not found in PATH)")
        }
        let help = try PluginRun.run(binary, ["--help"], environment: [:], stdin: Data())
        // --enable-sandbox pivots out of a copy of our mount namespace and detaches the old root;
        // where /run is no mount of its own, /run/netns stays shared and that detach unmounts every
        // named network namespace of the host. Run as root, it gets a private mount namespace first
        // (unshare execs it: the pid stays slirp4netns's); otherwise no sandbox unless a launcher
        // gives it one.
        let prefix = launcher ?? (getuid() == 0 ? NamespaceExec.unshare.map { [$0, "--mount", "--propagation", "private"] } ?? [] : [])
        let flags = try options.arguments(supported: help.stdoutText + String(decoding: help.stderr, as: UTF8.self),
                                          apiSocket: apiSocket, sandbox: !prefix.isEmpty)
        if let apiSocket, apiSocket.utf8.count >= 108 {
            throw CtlError(.failed, "slirp4netns API socket path \(apiSocket) is too long for a unix socket")
        }
        var process = Slirp4netnsProcess(pid: 0, exitFIFO: directory + "/\(name).exit", apiSocket: apiSocket, log: directory + "/\(name).log")
        unlink(process.exitFIFO)
        guard mkfifo(process.exitFIFO, 0o600) == 0 else {
            throw CtlError(.failed, "cannot make \(process.exitFIFO): \(String(cString: strerror(errno)))")
        }
        let exitFD = open(process.exitFIFO, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        var ready: [Int32] = [-1, -1]
        guard exitFD >= 0, pipe(&ready) == 0 else {
            if exitFD >= 0 { close(exitFD) }
            unlink(process.exitFIFO)
            throw CtlError(.failed, "cannot make slirp4netns's exit and ready fds: \(String(cString: strerror(errno)))")
        }
        for fd in ready { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        defer { close(exitFD); close(ready[0]) }
        do throws(SystemError) {
            let arguments = flags + ["-c", "-e", "3", "-r", "4", "--netns-type=path", netns, "tap0"]
            let command = prefix + [binary] + arguments
            process.pid = try ChildProcess.startService(command[0], arguments: Array(command.dropFirst()),
                                                        environment: ["PATH": path], descriptors: [exitFD, ready[1]], log: process.log)
            close(ready[1])
        } catch {
            close(ready[1])
            unlink(process.exitFIFO)
            throw CtlError(.failed, "cannot start \(binary): \(error.reason)")
        }
        if let failure = waitReady(ready[0]) {
            process.stop()
            let log = (try? String(contentsOfFile: process.log, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            throw CtlError(.failed, "slirp4netns \(failure)" + (log.isEmpty ? "" : ": " + log.replacingOccurrences(of: "\n", with: "; ")))
        }
        return process
    }

    /// nil once slirp4netns wrote to its ready fd; otherwise why not.
    private static func waitReady(_ fd: Int32) -> String? {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        var result: Int32
        repeat { result = poll(&entry, 1, readyTimeout) } while result < 0 && errno == EINTR
        guard result > 0 else { return "did not report ready within \(readyTimeout / 1000) s" }
        var byte: UInt8 = 0
        return read(fd, &byte, 1) == 1 ? nil : "exited before it was ready"
    }

    /// Hangup of the exit fd, then SIGTERM and SIGKILL if it lingers; the FIFO and the API socket
    /// go (podman 4.3 leaves the socket behind). Only a live slirp4netns is signalled: a pid can be
    /// reused.
    func stop() {
        let writer = open(exitFIFO, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        if writer >= 0 { close(writer) }
        ServiceProcess(pid: pid, matches: Self.isSlirp4netns).stop(grace: 2_000)
        unlink(exitFIFO)
        if let apiSocket { unlink(apiSocket) }
    }

    static func isSlirp4netns(_ pid: Int32) -> Bool {
        ProcessStatus.of(pid)?.name.hasPrefix("slirp4netns") == true
    }
}
