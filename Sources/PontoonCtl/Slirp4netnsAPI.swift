import Foundation
import NetAddress
import Netavark

/// slirp4netns's API socket: one JSON request per connection, one JSON reply, as libpod's
/// port forwarder speaks it: `add_hostfwd` (one forward per host port), `list_hostfwd` and
/// `remove_hostfwd`.
enum Slirp4netnsAPI {
    struct HostForward: Encodable, Equatable {
        var proto: String
        var host_addr: String
        var host_port: Int
        var guest_port: Int
    }

    struct Request<Arguments: Encodable>: Encodable {
        var execute: String
        var arguments: Arguments?
    }

    /// `remove_hostfwd`'s arguments.
    struct ForwardID: Encodable { var id: Int }

    /// A forward as `list_hostfwd` lists it.
    struct ListedForward: Decodable {
        var id: Int
        var proto: String
        var host_addr: String
        var host_port: Int
    }

    /// `{"return": {...}}` or `{"error": {"desc": "..."}}`.
    struct Reply: Decodable {
        struct Failure: Decodable { var desc: String? }
        struct Return: Decodable { var entries: [ListedForward]? }
        var error: Failure?
        var `return`: Return?
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
        encode(Request(execute: "add_hostfwd", arguments: forward))
    }

    static func encode<Arguments: Encodable>(_ request: Request<Arguments>) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(request)) ?? Data()
    }

    /// nil when slirp4netns accepted it; otherwise its reason.
    static func failure(_ reply: Data) -> String? {
        decode(reply).failure
    }

    /// The reply, or why it is a refusal or unreadable.
    private static func decode(_ reply: Data) -> (reply: Reply?, failure: String?) {
        guard let decoded = try? JSONDecoder().decode(Reply.self, from: reply) else {
            return (nil, "unreadable reply \"\(String(decoding: reply, as: UTF8.self))\"")
        }
        if let error = decoded.error { return (nil, error.desc ?? "an error without a description") }
        return (decoded, nil)
    }

    /// The forwards slirp4netns has.
    static func list(socket path: String) throws(CtlError) -> [ListedForward] {
        let reply = try exchange(encode(Request<ForwardID>(execute: "list_hostfwd", arguments: nil)), socket: path)
        let decoded = decode(reply)
        if let reason = decoded.failure { throw CtlError(.failed, "slirp4netns list_hostfwd: \(reason)") }
        return decoded.reply?.return?.entries ?? []
    }

    static func remove(_ id: Int, socket path: String) throws(CtlError) {
        let reply = try exchange(encode(Request(execute: "remove_hostfwd", arguments: ForwardID(id: id))), socket: path)
        if let reason = failure(reply) { throw CtlError(.failed, "slirp4netns remove_hostfwd: \(reason)") }
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
