import Foundation
import NetAddress
import Netavark

/// slirp4netns's API socket: one JSON request per connection, one JSON reply, as libpod's
/// port forwarder speaks it. Only `add_hostfwd` is used: one forward per host port.
enum Slirp4netnsAPI {
    struct HostForward: Encodable, Equatable {
        var proto: String
        var host_addr: String
        var host_port: Int
        var guest_port: Int
    }

    struct Request: Encodable {
        var execute = "add_hostfwd"
        var arguments: HostForward
    }

    /// `{"return": {...}}` or `{"error": {"desc": "..."}}`.
    struct Reply: Decodable {
        struct Failure: Decodable { var desc: String? }
        var error: Failure?
    }

    /// The forwards of `-p` mappings, a range port by port; what slirp4netns cannot forward is refused.
    static func forwards(_ mappings: [PortMapping]) throws(CtlError) -> [HostForward] {
        var result: [HostForward] = []
        for mapping in mappings {
            guard mapping.protocol == "tcp" || mapping.protocol == "udp" else {
                throw CtlError(.usage, "port mapping \(mapping.hostPort)/\(mapping.protocol): slirp4netns forwards only tcp and udp")
            }
            let host = mapping.hostIP ?? ""
            guard host.isEmpty || IPAddress(host)?.family == .v4 else {
                throw CtlError(.usage, "port mapping [\(host)]:\(mapping.hostPort): port_handler=slirp4netns forwards only IPv4 host addresses")
            }
            for offset in 0..<(mapping.range ?? 1) {
                result.append(HostForward(proto: mapping.protocol, host_addr: host.isEmpty ? "0.0.0.0" : host,
                                          host_port: mapping.hostPort + offset, guest_port: mapping.containerPort + offset))
            }
        }
        return result
    }

    static func encode(_ forward: HostForward) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(Request(arguments: forward))) ?? Data()
    }

    /// nil when slirp4netns accepted it; otherwise its reason.
    static func failure(_ reply: Data) -> String? {
        guard let decoded = try? JSONDecoder().decode(Reply.self, from: reply) else {
            return "unreadable reply \"\(String(decoding: reply, as: UTF8.self))\""
        }
        guard let error = decoded.error else { return nil }
        return error.desc ?? "an error without a description"
    }

    static func add(_ forward: HostForward, socket path: String) throws(CtlError) {
        let reply = try exchange(encode(forward), socket: path)
        if let reason = failure(reply) {
            throw CtlError(.conflict, "cannot publish \(forward.host_addr):\(forward.host_port)/\(forward.proto) through slirp4netns "
                + "(is the host port already in use?): \(reason)")
        }
    }

    /// Connect, send, half-close (slirp4netns reads to the end), read the reply to the end.
    static func exchange(_ request: Data, socket path: String) throws(CtlError) -> Data {
        func failed(_ what: String) -> CtlError {
            CtlError(.failed, "slirp4netns API socket \(path): cannot \(what): \(String(cString: strerror(errno)))")
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw failed("make a socket") }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.prefix(buffer.count - 1).enumerated() { buffer[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { throw failed("connect") }
        var sent = 0
        while sent < request.count {
            let count = request.withUnsafeBytes { send(fd, $0.baseAddress! + sent, request.count - sent, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw failed("send") }
            sent += count
        }
        shutdown(fd, Int32(SHUT_WR))
        var reply = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw failed("read the reply") }
            if count == 0 { break }
            reply.append(contentsOf: buffer[0..<count])
        }
        return reply
    }
}
