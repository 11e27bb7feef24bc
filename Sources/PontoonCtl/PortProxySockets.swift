import Foundation

/// The few socket calls the port proxy needs, over Glibc's C types.
enum ProxySocket {
    static func type(_ proto: String) -> Int32 {
        Int32((proto == "udp" ? SOCK_DGRAM : SOCK_STREAM).rawValue) | Int32(SOCK_CLOEXEC.rawValue)
    }

    /// An IPv4 or IPv6 address and port as a sockaddr.
    static func address(_ ip: String, _ port: Int) -> (storage: sockaddr_storage, length: socklen_t)? {
        var storage = sockaddr_storage()
        if ip.contains(":") {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = in_port_t(UInt16(port).bigEndian)
            guard inet_pton(AF_INET6, ip, &address.sin6_addr) == 1 else { return nil }
            withUnsafeBytes(of: address) { source in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: source) } }
            return (storage, socklen_t(MemoryLayout<sockaddr_in6>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, ip, &address.sin_addr) == 1 else { return nil }
        withUnsafeBytes(of: address) { source in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: source) } }
        return (storage, socklen_t(MemoryLayout<sockaddr_in>.size))
    }

    /// A socket of `proto` bound to `ip`:`port` (and listening, for TCP); errno on failure.
    static func listen(_ proto: String, _ ip: String, _ port: Int) -> Result<Int32, SocketFailure> {
        guard case (var storage, let length)? = address(ip, port) else { return .failure(SocketFailure(code: EINVAL)) }
        let fd = socket(Int32(storage.ss_family), type(proto), 0)
        guard fd >= 0 else { return .failure(SocketFailure(code: errno)) }
        var one: Int32 = 1
        if proto == "tcp" { setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size)) }
        if storage.ss_family == sa_family_t(AF_INET6) { setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size)) }
        let bound = withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        if bound != 0 || (proto == "tcp" && Glibc.listen(fd, 128) != 0) {
            let code = errno
            close(fd)
            return .failure(SocketFailure(code: code))
        }
        return .success(fd)
    }

    /// A socket of `proto` connecting to `ip`:`port`, non-blocking (a TCP connect may still be in progress);
    /// with a `source`, first bound to that client's address transparently (`bindTransparently`).
    static func connecting(_ proto: String, _ ip: String, _ port: Int, from source: (address: String, port: Int)? = nil) -> Result<Int32, SocketFailure> {
        guard case (var storage, let length)? = address(ip, port) else { return .failure(SocketFailure(code: EINVAL)) }
        let fd = socket(Int32(storage.ss_family), type(proto) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return .failure(SocketFailure(code: errno)) }
        if let source {
            let code = bindTransparently(fd, source.address, proto == "udp" ? source.port : 0)
            guard code == 0 else {
                close(fd)
                return .failure(SocketFailure(code: code))
            }
        }
        let result = withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) } }
        if result != 0, errno != EINPROGRESS {
            let code = errno
            close(fd)
            return .failure(SocketFailure(code: code))
        }
        return .success(fd)
    }

    /// Waits for a non-blocking TCP connect to finish, then makes the socket blocking.
    static func finishConnect(_ fd: Int32, timeout milliseconds: Int32) -> Int32 {
        var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        var ready: Int32
        repeat { ready = poll(&entry, 1, milliseconds) } while ready < 0 && errno == EINTR
        guard ready > 0 else { return ETIMEDOUT }
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length)
        if code == 0 { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) }
        return code
    }

    /// Sends all of `count` bytes (a stream socket may take fewer at once).
    static func sendAll(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Bool {
        var offset = 0
        while offset < count {
            let sent = send(fd, buffer + offset, count - offset, Int32(MSG_NOSIGNAL))
            if sent < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += sent
        }
        return true
    }
}

struct SocketFailure: Error {
    var code: Int32
    var reason: String { String(cString: strerror(code)) }
}
