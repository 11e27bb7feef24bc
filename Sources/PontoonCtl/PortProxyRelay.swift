import Foundation

/// One listener of the port proxy and what it relays: a thread per TCP connection direction (each
/// copies until EOF, then half-closes its destination, so either side may finish sending first),
/// or, for UDP, one inner socket per client address, dropped after `udpIdleSeconds` without traffic.
final class PortProxyRelay: @unchecked Sendable {
    let channel: PortProxyChannel
    let target: String
    let forward: PortProxySpec.Forward
    let listener: Int32
    let udpIdleSeconds: Int
    /// The inner sockets carry the client's address (but a loopback client's).
    let transparent: Bool

    init(channel: PortProxyChannel, target: String, forward: PortProxySpec.Forward, listener: Int32, udpIdleSeconds: Int,
         transparent: Bool = false) {
        self.channel = channel
        self.target = target
        self.forward = forward
        self.listener = listener
        self.udpIdleSeconds = udpIdleSeconds
        self.transparent = transparent
    }

    /// The address the inner socket is bound to for a client: none (the helper's own), unless transparent.
    private func source(_ client: sockaddr_storage) -> (address: String, port: Int)? {
        guard transparent, let peer = ProxySocket.peer(client), ProxySocket.canBindTransparently(peer.address, to: target) else { return nil }
        return peer
    }

    func serve() {
        if forward.proto == "udp" { serveUDP() } else { serveTCP() }
    }

    // MARK: TCP

    private func serveTCP() {
        while true {
            var peer = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let client = withUnsafeMutablePointer(to: &peer) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listener, $0, &length) } }
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE { usleep(errno == EMFILE ? 100_000 : 0); continue }
                return
            }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            let relay = self, from = source(peer)
            Thread.detachNewThread { relay.connect(client, from: from) }
        }
    }

    private func connect(_ client: Int32, from source: (address: String, port: Int)?) {
        guard case .success(let inner) = channel.socket("tcp", target, forward.targetPort, from: source) else {
            close(client)   // the container's port does not answer: the client sees its connection end
            return
        }
        // The container's answer is copied by this thread, already running: a server that speaks first
        // (or answers a short request) waits for no second thread to start.
        let pair = SocketPair(client, inner)
        Thread.detachNewThread { pair.copy(from: client, to: inner) }
        pair.copy(from: inner, to: client)
    }

    // MARK: UDP

    private final class Flow: @unchecked Sendable {
        let inner: Int32
        var lastUsed = Date()
        init(inner: Int32) { self.inner = inner }
    }

    private let flowsLock = NSLock()
    private var flows: [Data: Flow] = [:]

    /// The UDP flows alive now (for tests of the idle timeout).
    var flowCount: Int { flowsLock.withLock { flows.count } }

    private func serveUDP() {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let count = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(listener, &buffer, buffer.count, 0, $0, &length) }
            }
            if count < 0 {
                if errno == EINTR { continue }
                return
            }
            let key = withUnsafeBytes(of: storage) { Data($0.prefix(Int(length))) }
            flowsLock.lock()
            var flow = flows[key]
            if flow == nil, case .success(let inner) = channel.socket("udp", target, forward.targetPort, from: source(storage)) {
                let made = Flow(inner: inner)
                flows[key] = made
                flow = made
                let relay = self, client = storage, clientLength = length
                Thread.detachNewThread { relay.replies(made, key: key, client: client, length: clientLength) }
            }
            if let flow {
                flow.lastUsed = Date()
                _ = send(flow.inner, buffer, count, Int32(MSG_NOSIGNAL))
            }
            flowsLock.unlock()
        }
    }

    /// The container's datagrams back to the client, from the listener's address; the flow ends when idle.
    private func replies(_ flow: Flow, key: Data, client: sockaddr_storage, length: socklen_t) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var address = client
        while true {
            var entry = pollfd(fd: flow.inner, events: Int16(POLLIN), revents: 0)
            let ready = poll(&entry, 1, 1_000)
            if ready > 0 {
                let count = recv(flow.inner, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                if count >= 0 {
                    flowsLock.withLock { flow.lastUsed = Date() }
                    _ = withUnsafePointer(to: &address) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(listener, buffer, count, Int32(MSG_NOSIGNAL), $0, length) }
                    }
                    continue
                }
                // ECONNREFUSED: nothing listens on the container's port yet; the flow lives on.
            }
            let done: Bool = flowsLock.withLock {
                guard Date().timeIntervalSince(flow.lastUsed) >= Double(udpIdleSeconds) else { return false }
                flows[key] = nil
                close(flow.inner)   // under the lock: the listener's thread never sends on a closed descriptor
                return true
            }
            if done { return }
        }
    }
}

/// Both sockets of one TCP connection, closed once both directions are done.
private final class SocketPair: @unchecked Sendable {
    let first: Int32, second: Int32
    private let lock = NSLock()
    private var running = 2

    init(_ first: Int32, _ second: Int32) {
        self.first = first
        self.second = second
    }

    func copy(from source: Int32, to destination: Int32) {
        let ended = Self.splice(from: source, to: destination) ?? Self.readWrite(from: source, to: destination)
        if ended {
            shutdown(destination, Int32(SHUT_WR))
        } else {
            // A reset on either side resets the other and wakes the other direction.
            shutdown(source, Int32(SHUT_RDWR))
            shutdown(destination, Int32(SHUT_RDWR))
        }
        let last = lock.withLock { running -= 1; return running == 0 }
        if last {
            close(first)
            close(second)
        }
    }

    /// Socket to socket through a pipe, as Go's io.Copy between TCP connections (rootlessport) does:
    /// the bytes stay in the kernel (copying them through user space cost a fifth of the throughput
    /// here). true: the source ended (EOF); false: an error; nil: splice is not possible here, and
    /// nothing was moved yet.
    static func splice(from source: Int32, to destination: Int32) -> Bool? {
        var pipe: [Int32] = [-1, -1]
        guard Glibc.pipe(&pipe) == 0 else { return nil }
        defer { close(pipe[0]); close(pipe[1]) }
        _ = fcntl(pipe[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(pipe[1], F_SETFD, FD_CLOEXEC)
        _ = fcntl(pipe[1], 1031 /* F_SETPIPE_SZ */, 1 << 20)
        let flags: UInt32 = 1   // SPLICE_F_MOVE
        var moved = false
        while true {
            let count = spliceCall(source, nil, pipe[1], nil, 1 << 20, flags)
            if count < 0, errno == EINTR { continue }
            if count < 0 { return moved || errno != EINVAL ? false : nil }
            if count == 0 { return true }
            moved = true
            var left = count
            while left > 0 {
                let sent = spliceCall(pipe[0], nil, destination, nil, left, flags)
                if sent < 0, errno == EINTR { continue }
                if sent <= 0 { return false }
                left -= sent
            }
        }
    }

    /// The copy through user space, where splice cannot be used.
    static func readWrite(from source: Int32, to destination: Int32) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(source, &buffer, buffer.count)
            if count < 0, errno == EINTR { continue }
            if count == 0 { return true }
            if count < 0 || !buffer.withUnsafeBytes({ ProxySocket.sendAll(destination, $0.baseAddress!, count) }) { return false }
        }
    }
}

/// glibc's splice(2): Swift's Glibc module leaves out the GNU extensions (splice, F_SETPIPE_SZ,
/// SPLICE_F_MOVE), and pontoonctl has no C shim of its own for one call.
@_silgen_name("splice")
private func spliceCall(_ input: Int32, _ inputOffset: UnsafeMutablePointer<Int64>?, _ output: Int32,
                        _ outputOffset: UnsafeMutablePointer<Int64>?, _ length: Int, _ flags: UInt32) -> Int
