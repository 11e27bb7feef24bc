import Foundation
import Netavark

/// A rootless container's published ports: slirp4netns of the rootless netns listens on the host port
/// (`add_hostfwd` on its API socket) and forwards into the rootless netns on the same port, where
/// pontoon's own DNAT takes the connection to the container. slirp4netns hands an outside peer's
/// address through, so the container sees the real client (a host-loopback client arrives as slirp's
/// gateway, 10.0.2.2).
struct SlirpForwards {
    let socket: String

    /// Every listener `ports` need, each forwarded to the same port of the rootless netns (slirp4netns'
    /// address there, 10.0.2.100, is its default guest); what slirp4netns cannot forward is refused.
    static func forwards(_ ports: [PortMapping]) throws(CtlError) -> [Slirp4netnsAPI.HostForward] {
        try Slirp4netnsAPI.forwards(ports).map { forward in
            var same = forward
            same.guest_port = forward.host_port
            return same
        }
    }

    /// Adds every forward, all or nothing.
    func add(_ forwards: [Slirp4netnsAPI.HostForward]) throws(CtlError) {
        for (index, forward) in forwards.enumerated() {
            do throws(CtlError) {
                try Slirp4netnsAPI.add(forward, socket: socket)
            } catch {
                try? remove(Array(forwards[..<index]))
                throw error
            }
        }
    }

    /// Removes the listeners of `forwards` that slirp4netns has (found by `list_hostfwd`).
    func remove(_ forwards: [Slirp4netnsAPI.HostForward]) throws(CtlError) {
        let entries = (try request(["execute": "list_hostfwd"])["entries"] as? [[String: Any]]) ?? []
        for entry in entries {
            guard let id = entry["id"] as? Int, forwards.contains(where: {
                $0.proto == entry["proto"] as? String && $0.host_addr == entry["host_addr"] as? String && $0.host_port == entry["host_port"] as? Int
            }) else { continue }
            _ = try request(["execute": "remove_hostfwd", "arguments": ["id": id]])
        }
    }

    /// One request on the API socket; its `return` object.
    private func request(_ message: [String: Any]) throws(CtlError) -> [String: Any] {
        let reply = try Slirp4netnsAPI.exchange((try? JSONSerialization.data(withJSONObject: message)) ?? Data(), socket: socket)
        if let reason = Slirp4netnsAPI.failure(reply) { throw CtlError(.failed, "slirp4netns \(message["execute"] ?? ""): \(reason)") }
        return ((try? JSONSerialization.jsonObject(with: reply)) as? [String: Any])?["return"] as? [String: Any] ?? [:]
    }
}
