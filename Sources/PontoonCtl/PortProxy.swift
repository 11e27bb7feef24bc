import Foundation
import HostSystem

/// The port proxy itself (`pontoonctl port-proxy SPEC`, hidden), rootlessport's role: it runs in
/// the namespace the ports are published in, binds every listener first and reports on its ready
/// fd ("ok", or the listener it could not bind and why) so that create fails before it returns,
/// then relays each TCP connection and UDP flow through a socket its helper made inside the target
/// namespace. The container sees the inner socket's address as its peer; in transparent mode the
/// client's own address (`TransparentRouting`), but for loopback clients.
public enum PortProxy {
    /// Runs until killed (or until its helper is gone); `ready` is the fd create waits on.
    public static func run(specPath: String, ready: Int32) -> Never {
        signal(SIGPIPE, SIG_IGN)
        func fail(_ message: String) -> Never {
            let line = Array((message + "\n").utf8)
            _ = write(ready, line, line.count)
            // Also on stderr: its log when create started it, the terminal when run by hand (no fd 3).
            _ = write(2, line, line.count)
            exit(1)
        }
        guard let data = FileManager.default.contents(atPath: specPath),
              let spec = try? JSONDecoder().decode(PortProxySpec.self, from: data) else { fail("cannot read the port proxy's spec \(specPath)") }
        var listeners: [(PortProxySpec.Forward, Int32)] = []
        for forward in spec.forwards {
            switch ProxySocket.listen(forward.proto, forward.hostAddress, forward.hostPort) {
            case .success(let fd): listeners.append((forward, fd))
            case .failure(let failure): fail("cannot publish \(forward.listener): \(failure.reason)")
            }
        }
        let (channel, helper) = startHelper(spec, fail: fail)
        let ok = Array("ok\n".utf8)
        _ = write(ready, ok, ok.count)
        close(ready)
        for (forward, fd) in listeners {
            let relay = PortProxyRelay(channel: channel, target: spec.target, forward: forward, listener: fd,
                                       udpIdleSeconds: spec.udpIdleSeconds, transparent: spec.transparent)
            Thread.detachNewThread { relay.serve() }
        }
        // Without its helper no connection can be made: then the proxy ends too.
        var status: Int32 = 0
        while waitpid(helper, &status, 0) < 0 && errno == EINTR {}
        exit(1)
    }

    /// The helper, started through nsenter into the target namespace (and first into the pause
    /// process's user and mount namespaces, rootless), with its end of the channel as fd 3 (the namespace on its command line names it to ps); its
    /// "R" says it got there.
    private static func startHelper(_ spec: PortProxySpec, fail: (String) -> Never) -> (PortProxyChannel, Int32) {
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            fail("cannot make the port proxy's channel: \(String(cString: strerror(errno)))")
        }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let inner = ["nsenter", "--net=" + spec.netns, "--", executable, "port-proxy", "--inner", spec.netns] + (spec.transparent ? ["--transparent"] : [])
        let command = spec.pause.map { [RootlessNetNS.nsenter] + RootlessNetNS.joining($0) + inner } ?? [RootlessNetNS.nsenter] + inner.dropFirst()
        let pid: Int32
        do throws(SystemError) {
            pid = try ChildProcess.startService(command[0], arguments: Array(command.dropFirst()), environment: ProcessInfo.processInfo.environment,
                                                descriptors: [pair[1]], log: "/dev/stderr")
        } catch {
            fail("cannot start the port proxy's helper: \(error.reason)")
        }
        close(pair[1])
        var entry = pollfd(fd: pair[0], events: Int16(POLLIN), revents: 0)
        var answer = [UInt8](repeating: 0, count: 512)
        let count = poll(&entry, 1, 10_000) > 0 ? recv(pair[0], &answer, answer.count, 0) : -1
        guard count == 1, answer[0] == UInt8(ascii: "R") else {
            kill(pid, SIGKILL)
            if count > 1, answer[0] == UInt8(ascii: "E") {
                fail("the port proxy's helper cannot route to transparent sockets in \(spec.netns): " + String(decoding: answer[1..<count], as: UTF8.self))
            }
            fail("the port proxy's helper could not enter \(spec.netns) (see the proxy's log)")
        }
        return (PortProxyChannel(fd: pair[0]), pid)
    }
}

extension PortProxy {
    /// The helper's side (`pontoonctl port-proxy --inner`), already inside the target namespace.
    public static func serveInner(channel: Int32, transparent: Bool) -> Never { PortProxyChannel.serveInner(channel, transparent: transparent) }
}
