import Foundation
import Netavark

/// A rootless container's published ports: slirp4netns listens on the host port (its API socket's
/// `add_hostfwd`) and forwards into the rootless netns on the same port, where pontoon's own DNAT
/// takes the connection to the container. slirp4netns hands an outside peer's address through, so
/// the container sees the real client (a host-loopback client arrives as slirp's gateway, 10.0.2.2).
struct SlirpForwards {
    /// One listener of slirp4netns: a protocol on a host address and port.
    struct Forward: Equatable {
        var proto: String
        var hostAddress: String
        var port: Int
    }

    /// slirp4netns' own address in the rootless netns (`-c`): where the forwards arrive.
    static let guestAddress = "10.0.2.100"

    let socket: String

    /// Every listener `ports` need; what slirp4netns cannot forward is refused.
    static func forwards(_ ports: [PortMapping]) throws(CtlError) -> [Forward] {
        var result: [Forward] = []
        for port in ports {
            let host = port.hostIP.flatMap { $0.isEmpty ? nil : $0 } ?? "0.0.0.0"
            guard !host.contains(":") else {
                throw CtlError(.usage, "publishing on IPv6 host address \(host) is not supported for rootless containers yet")
            }
            for proto in port.protocol.split(separator: ",").map(String.init) {
                guard proto == "tcp" || proto == "udp" else {
                    throw CtlError(.usage, "publishing \(proto) ports is not supported for rootless containers: slirp4netns forwards tcp and udp")
                }
                for offset in 0..<max(port.range ?? 1, 1) { result.append(Forward(proto: proto, hostAddress: host, port: port.hostPort + offset)) }
            }
        }
        return result
    }

    /// Adds every forward, all or nothing.
    func add(_ forwards: [Forward]) throws(CtlError) {
        var added: [Int] = []
        for forward in forwards {
            do throws(CtlError) {
                let answer = try request("add_hostfwd", ["proto": forward.proto, "host_addr": forward.hostAddress, "host_port": forward.port,
                                                         "guest_addr": Self.guestAddress, "guest_port": forward.port])
                if let id = answer["id"] as? Int { added.append(id) }
            } catch {
                for id in added { _ = try? request("remove_hostfwd", ["id": id]) }
                throw CtlError(.conflict, "cannot publish \(forward.hostAddress):\(forward.port)/\(forward.proto): \(error.description)")
            }
        }
    }

    /// Removes the listeners of `forwards` that slirp4netns has.
    func remove(_ forwards: [Forward]) throws(CtlError) {
        let entries = (try request("list_hostfwd", nil)["entries"] as? [[String: Any]]) ?? []
        for entry in entries {
            let forward = Forward(proto: entry["proto"] as? String ?? "", hostAddress: entry["host_addr"] as? String ?? "",
                                  port: entry["host_port"] as? Int ?? -1)
            if forwards.contains(forward), let id = entry["id"] as? Int { _ = try request("remove_hostfwd", ["id": id]) }
        }
    }

    /// One request on the API socket (one per connection, as slirp4netns reads it); its `return` object.
    func request(_ command: String, _ arguments: [String: Any]?) throws(CtlError) -> [String: Any] {
        var message: [String: Any] = ["execute": command]
        if let arguments { message["arguments"] = arguments }
        let reply = try exchange((try? JSONSerialization.data(withJSONObject: message)) ?? Data())
        guard let object = (try? JSONSerialization.jsonObject(with: reply)) as? [String: Any] else {
            throw CtlError(.failed, "slirp4netns answered \(command) with \"\(String(decoding: reply, as: UTF8.self))\"")
        }
        if let error = object["error"] as? [String: Any] { throw CtlError(.failed, error["desc"] as? String ?? "\(error)") }
        return object["return"] as? [String: Any] ?? [:]
    }

    private func exchange(_ message: Data) throws(CtlError) -> Data {
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw CtlError(.failed, "cannot make a socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(socket.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw CtlError(.failed, "\(socket): path too long") }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { throw CtlError(.failed, "cannot reach slirp4netns at \(socket): \(String(cString: strerror(errno)))") }
        let sent = message.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard sent == message.count else { throw CtlError(.failed, "cannot write to slirp4netns at \(socket)") }
        var reply = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            reply.append(contentsOf: buffer[0..<count])
        }
        return reply
    }
}
