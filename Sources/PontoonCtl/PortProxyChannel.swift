import Foundation

/// The unix socketpair between the port proxy (host side) and its helper inside the target
/// namespace: the proxy asks for "PROTO ADDRESS PORT", the helper makes that socket in its namespace,
/// starts connecting and hands it back with SCM_RIGHTS; a socket keeps the namespace it was made in,
/// so the proxy uses it from outside. One request at a time (a lock), each answered at once.
final class PortProxyChannel: @unchecked Sendable {
    let fd: Int32
    private let lock = NSLock()

    init(fd: Int32) { self.fd = fd }

    /// CMSG_LEN and CMSG_SPACE of one descriptor.
    private static let header = MemoryLayout<cmsghdr>.size
    private static let controlLength = header + MemoryLayout<Int32>.size
    private static let controlSpace = header + 8

    /// A socket inside the helper's namespace, connected (TCP: the connect finished) to `target`:`port`;
    /// with a `source`, bound to that client's address transparently (the helper's `--transparent`).
    func socket(_ proto: String, _ target: String, _ port: Int, from source: (address: String, port: Int)? = nil) -> Result<Int32, SocketFailure> {
        let answer: (code: Int32, fd: Int32?)? = lock.withLock {
            let request = Array(("\(proto) \(target) \(port)" + (source.map { " \($0.address) \($0.port)" } ?? "")).utf8)
            guard send(fd, request, request.count, Int32(MSG_NOSIGNAL)) == request.count else { return nil }
            return Self.receive(fd)
        }
        guard let answer else { return .failure(SocketFailure(code: EPIPE)) }
        guard answer.code == 0, let socket = answer.fd else {
            if let socket = answer.fd { close(socket) }
            return .failure(SocketFailure(code: answer.code == 0 ? EPROTO : answer.code))
        }
        if proto == "tcp" {
            let code = ProxySocket.finishConnect(socket, timeout: 10_000)
            guard code == 0 else {
                close(socket)
                return .failure(SocketFailure(code: code))
            }
        } else {
            _ = fcntl(socket, F_SETFL, fcntl(socket, F_GETFL) & ~O_NONBLOCK)
        }
        return .success(socket)
    }

    /// The helper's answer: an errno (0: a descriptor follows).
    static func reply(_ channel: Int32, code: Int32, fd: Int32?) -> Bool {
        var value = code
        var control = [UInt8](repeating: 0, count: controlSpace)
        return withUnsafeMutableBytes(of: &value) { payload in
            control.withUnsafeMutableBytes { buffer in
                var vector = iovec(iov_base: payload.baseAddress, iov_len: payload.count)
                return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                    var message = msghdr()
                    message.msg_iov = vectorPointer
                    message.msg_iovlen = 1
                    if let fd {
                        let header = buffer.baseAddress!.assumingMemoryBound(to: cmsghdr.self)
                        header.pointee.cmsg_len = controlLength
                        header.pointee.cmsg_level = SOL_SOCKET
                        header.pointee.cmsg_type = Int32(SCM_RIGHTS)
                        buffer.storeBytes(of: fd, toByteOffset: Self.header, as: Int32.self)
                        message.msg_control = buffer.baseAddress
                        message.msg_controllen = controlSpace
                    }
                    return sendmsg(channel, &message, Int32(MSG_NOSIGNAL)) == payload.count
                }
            }
        }
    }

    private static func receive(_ channel: Int32) -> (code: Int32, fd: Int32?)? {
        var value: Int32 = 0
        var control = [UInt8](repeating: 0, count: controlSpace)
        return withUnsafeMutableBytes(of: &value) { payload -> (Int32, Int32?)? in
            control.withUnsafeMutableBytes { buffer -> (Int32, Int32?)? in
                var vector = iovec(iov_base: payload.baseAddress, iov_len: payload.count)
                return withUnsafeMutablePointer(to: &vector) { vectorPointer -> (Int32, Int32?)? in
                    var message = msghdr()
                    message.msg_iov = vectorPointer
                    message.msg_iovlen = 1
                    message.msg_control = buffer.baseAddress
                    message.msg_controllen = controlSpace
                    var count: Int
                    repeat { count = recvmsg(channel, &message, Int32(MSG_CMSG_CLOEXEC)) } while count < 0 && errno == EINTR
                    guard count == payload.count else { return nil }
                    var received: Int32?
                    if message.msg_controllen >= controlLength {
                        let header = buffer.baseAddress!.assumingMemoryBound(to: cmsghdr.self)
                        if header.pointee.cmsg_level == SOL_SOCKET, header.pointee.cmsg_type == Int32(SCM_RIGHTS) {
                            received = buffer.load(fromByteOffset: Self.header, as: Int32.self)
                        }
                    }
                    return (payload.load(as: Int32.self), received)
                }
            }
        }
    }

    /// The helper's loop, on the channel's other end (`fd` 3), inside the target namespace: says it
    /// is ready ("R", or "E" and why not), then answers until the proxy's end closes (the proxy exited), and exits.
    /// A transparent helper first makes the routing that brings the container's answers back to it.
    static func serveInner(_ channel: Int32, transparent: Bool) -> Never {
        if transparent, let failure = TransparentRouting.setUp() {
            let message = Array(("E" + failure).utf8.prefix(400))
            _ = send(channel, message, message.count, Int32(MSG_NOSIGNAL))
            exit(1)
        }
        _ = send(channel, "R", 1, Int32(MSG_NOSIGNAL))
        while answer(channel) {}
        exit(0)
    }

    /// One request answered; false once the proxy's end is closed.
    static func answer(_ channel: Int32) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 256)
        var count: Int
        repeat { count = recv(channel, &buffer, buffer.count, 0) } while count < 0 && errno == EINTR
        guard count > 0 else { return false }
        let fields = String(decoding: buffer[..<count], as: UTF8.self).split(separator: " ").map(String.init)
        guard fields.count == 3 || fields.count == 5, let port = Int(fields[2]), fields[0] == "tcp" || fields[0] == "udp",
              fields.count == 3 || Int(fields[4]) != nil else {
            _ = reply(channel, code: EINVAL, fd: nil)
            return true
        }
        let source = fields.count == 5 ? (address: fields[3], port: Int(fields[4])!) : nil
        switch ProxySocket.connecting(fields[0], fields[1], port, from: source) {
        case .success(let socket):
            _ = reply(channel, code: 0, fd: socket)
            close(socket)
        case .failure(let failure):
            _ = reply(channel, code: failure.code, fd: nil)
        }
        return true
    }
}
