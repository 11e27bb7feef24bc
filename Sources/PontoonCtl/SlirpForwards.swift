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

    /// Adds every forward of `ports` again, after slirp4netns was restarted: each on its own, so one
    /// that fails (its host port taken meanwhile) leaves the others working; the failures are returned.
    func restore(_ ports: [PortMapping]) -> [CtlError] {
        var failures: [CtlError] = []
        let wanted: [Slirp4netnsAPI.HostForward]
        do throws(CtlError) { wanted = try Self.forwards(ports) } catch { return [error] }
        for forward in wanted {
            do throws(CtlError) { try Slirp4netnsAPI.add(forward, socket: socket) } catch { failures.append(error) }
        }
        return failures
    }

    /// Removes the listeners of `forwards` that slirp4netns has (found by `list_hostfwd`).
    func remove(_ forwards: [Slirp4netnsAPI.HostForward]) throws(CtlError) {
        for listed in try Slirp4netnsAPI.list(socket: socket) where forwards.contains(where: {
            $0.proto == listed.proto && $0.host_addr == listed.host_addr && $0.host_port == listed.host_port
        }) {
            try Slirp4netnsAPI.remove(listed.id, socket: socket)
        }
    }
}
