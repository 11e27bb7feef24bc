import Foundation
import HostSystem
import Testing
@testable import PontoonCtl

/// The relay in process, in a network namespace of its own (made by a thread that unshares it; the
/// threads it starts inherit it): its helper's side of the channel answered by a thread here.
@Suite("pontoonctl port proxy: UDP flows", .enabled(if: getuid() == 0, "needs root for a network namespace"))
struct PortProxyRelayTests {
    /// A UDP socket bound to 127.0.0.1 on a free port, and that port.
    func udpSocket() throws -> (fd: Int32, port: Int) {
        guard case .success(let fd) = ProxySocket.listen("udp", "127.0.0.1", 0) else { throw SocketFailure(code: errno) }
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    @Test("a datagram is relayed to the target and its answer back; the flow is dropped once idle")
    func idleFlow() throws {
        let outcome = Outcome()
        let thread = Thread {
            do { try outcome.set(run()) } catch { outcome.set("\(error)") }
        }
        thread.start()
        #expect(outcome.wait(timeout: 20) == "ok")
    }

    private func run() throws -> String {
        guard unshareNamespace(0x4000_0000) == 0 else { return "unshare: \(errno)" }   // CLONE_NEWNET, this thread only
        // HostSystem's runner waits for its own child by pid (Foundation's Process needs a run loop here).
        let up = try ChildProcess.run("/usr/bin/nsenter", arguments: ["--net=/proc/\(getpid())/task/\(threadID())/ns/net", "--",
                                                                      "/sbin/ip", "link", "set", "lo", "up"],
                                      environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"], stdin: [], stderr: .captured)
        guard up.status == 0 else { return "lo up: \(up.status) \(String(decoding: up.stderr, as: UTF8.self))" }

        // The target: echoes each datagram back.
        let target = try udpSocket()
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 2048)
            var peer = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            while true {
                let count = withUnsafeMutablePointer(to: &peer) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(target.fd, &buffer, buffer.count, 0, $0, &length) }
                }
                if count < 0 { return }
                _ = withUnsafePointer(to: &peer) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(target.fd, buffer, count, 0, $0, length) } }
            }
        }
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue), 0, &pair) == 0 else { return "socketpair: \(errno)" }
        let helperEnd = pair[1]
        Thread.detachNewThread { while PortProxyChannel.answer(helperEnd) {} }
        let listener = try udpSocket()
        let relay = PortProxyRelay(channel: PortProxyChannel(fd: pair[0]), target: "127.0.0.1",
                                   forward: .init(proto: "udp", hostAddress: "127.0.0.1", hostPort: listener.port, targetPort: target.port),
                                   listener: listener.fd, udpIdleSeconds: 1)
        Thread.detachNewThread { relay.serve() }

        let client = try udpSocket()
        var timeout = timeval(tv_sec: 3, tv_usec: 0)
        setsockopt(client.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard case (var to, let length)? = ProxySocket.address("127.0.0.1", listener.port) else { return "address" }
        let sent = withUnsafePointer(to: &to) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(client.fd, "ping", 4, 0, $0, length) } }
        guard sent == 4 else { return "send: \(errno)" }
        var answer = [UInt8](repeating: 0, count: 64)
        let got = recv(client.fd, &answer, answer.count, 0)
        guard got == 4, String(decoding: answer[..<4], as: UTF8.self) == "ping" else { return "no echo: \(got) \(errno)" }
        guard relay.flowCount == 1 else { return "flows after a datagram: \(relay.flowCount)" }
        // Idle for 1 s: the replies thread checks every second and drops it.
        for _ in 0..<40 where relay.flowCount != 0 { usleep(100_000) }
        guard relay.flowCount == 0 else { return "flow not dropped when idle" }
        return "ok"
    }
}

/// A result handed from the namespace's thread to the test.
private final class Outcome: @unchecked Sendable {
    private let condition = NSCondition()
    private var value: String?
    func set(_ text: String) { condition.withLock { value = text; condition.signal() } }
    func wait(timeout seconds: Double) -> String? {
        condition.withLock {
            let deadline = Date().addingTimeInterval(seconds)
            while value == nil, condition.wait(until: deadline) {}
            return value
        }
    }
}

@_silgen_name("unshare") private func unshareNamespace(_ flags: Int32) -> Int32
@_silgen_name("gettid") private func threadID() -> Int32
