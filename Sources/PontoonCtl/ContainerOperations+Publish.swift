import Foundation
import NetAddress
import Netavark

/// What `-p` means beyond its syntax: a host port picked when none is given, refused where nothing
/// would serve it, and refused when another container already publishes it.
extension ContainerOperations {
    /// `-p 80` (no host port): a free host port is picked now, at create, and recorded, as podman's
    /// specgen does, so `ps`, `inspect` and every later start show and use the same one.
    func pickingHostPorts(_ request: CreateRequest) throws(CtlError) -> CreateRequest {
        guard request.ports.contains(where: { $0.hostPort == 0 }) else { return request }
        var request = request
        // Ports other containers publish, running or not: a created one claims its ports at start.
        var taken = try store.containers().filter { $0.name != request.name }.flatMap(\.ports)
        taken += request.ports.filter { $0.hostPort != 0 }
        for index in request.ports.indices where request.ports[index].hostPort == 0 {
            request.ports[index].hostPort = try HostPortPicker.pick(request.ports[index], avoiding: taken)
            taken.append(request.ports[index])
        }
        return request
    }

    /// Published ports need a network whose plugin forwards them: netavark and pontoon set up no
    /// port forwarding on an internal network (no firewall at all there), so on internal networks
    /// alone the port would be shown as mapped and never answer. Refused, naming the networks.
    func refuseInternalOnlyPorts(_ record: ContainerRecord) throws(CtlError) {
        guard let networks = try internalOnly(record) else { return }
        throw CtlError(.usage, "cannot publish ports (-p) of container \(record.name): its \(Self.networkList(networks)) internal, "
            + "and an internal network forwards no port; add a network that is not --internal")
    }

    /// The networks of a container that publishes ports when every one of them is internal, else nil.
    func internalOnly(_ record: ContainerRecord) throws(CtlError) -> [String]? {
        guard !record.ports.isEmpty, record.networkMode == nil, !record.networks.isEmpty else { return nil }
        var internalOnes: [String] = []
        for request in record.networks {
            guard try store.network(request.network).network.internal ?? false else { return nil }
            internalOnes.append(request.network)
        }
        return internalOnes
    }

    static func networkList(_ names: [String]) -> String {
        names.count == 1 ? "network \(names[0]) is" : "networks \(names.joined(separator: ", ")) are"
    }

    /// A host port another container publishes is refused naming that container (podman holds
    /// its host ports open, so a second container fails to bind them). Checked and the record
    /// saved under the store lock: two starts at once cannot both take a port.
    func claimHostPorts(_ record: ContainerRecord, save: () throws(CtlError) -> Void) throws(CtlError) {
        guard !record.ports.isEmpty else { return try save() }
        let lock = try store.lockStore()
        defer { lock.unlock() }
        for holder in try store.containers() where holder.name != record.name && holder.state == .running {
            for theirs in holder.ports {
                for mine in record.ports {
                    guard let port = PortMappings.sharedHostPort(mine, theirs) else { continue }
                    let address = (mine.hostIP ?? "").isEmpty ? "" : (mine.hostIP!.contains(":") ? "[\(mine.hostIP!)]:" : mine.hostIP! + ":")
                    throw CtlError(.conflict, "host port \(address)\(port)/\(mine.protocol) of container \(record.name) is already "
                        + "published by container \(holder.name)")
                }
            }
        }
        try save()
    }
}

/// A free host port as podman picks one: the kernel's choice from its ephemeral range (a socket
/// bound to port 0), then every port of the range checked by binding it (podman checks only
/// its own list), 15 candidates tried as podman tries them.
enum HostPortPicker {
    static func pick(_ mapping: PortMapping, avoiding taken: [PortMapping]) throws(CtlError) -> Int {
        let count = mapping.range ?? 1
        let protocols = mapping.protocol.split(separator: ",").map { $0.lowercased() }
        for _ in 0..<15 {
            guard let candidate = kernelPort(mapping.hostIP ?? "", udp: protocols == ["udp"]), candidate + count - 1 <= 65535 else { continue }
            var wanted = mapping
            wanted.hostPort = candidate
            guard !taken.contains(where: { PortMappings.sharedHostPort(wanted, $0) != nil }) else { continue }
            let free = (candidate..<(candidate + count)).allSatisfy { port in
                protocols.allSatisfy { isFree(port, udp: $0 == "udp", hostIP: mapping.hostIP ?? "") }
            }
            if free { return candidate }
        }
        // podman's words (specgen's getRandomHostPort), which gives up after as many tries.
        throw CtlError(.conflict, "failed to find an open port to expose container port \(mapping.containerPort) "
            + (count > 1 ? "with range \(count) " : "") + "on the host")
    }

    /// The port the kernel gives a socket bound to port 0 (sctp is picked as tcp: the same port space here).
    static func kernelPort(_ hostIP: String, udp: Bool) -> Int? {
        withBound(0, udp: udp, hostIP: hostIP) { fd in
            var address = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let named = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            guard named == 0 else { return nil }
            let port: in_port_t = address.ss_family == sa_family_t(AF_INET6)
                ? withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_port } }
                : withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_port } }
            return Int(UInt16(bigEndian: port))
        } ?? nil
    }

    static func isFree(_ port: Int, udp: Bool, hostIP: String) -> Bool {
        withBound(port, udp: udp, hostIP: hostIP) { _ in true } ?? false
    }

    /// Runs `body` with a socket bound to hostIP:port (every address when hostIP is empty), nil when it cannot bind.
    private static func withBound<T>(_ port: Int, udp: Bool, hostIP: String, _ body: (Int32) -> T) -> T? {
        // The family's every address, whatever the host IP: what any address of it holds counts, and a
        // host IP this namespace does not have yet still gets a port.
        let ip = IPAddress(hostIP)?.family == .v6 ? IPAddress("::")! : IPAddress("0.0.0.0")!
        let family = ip.family == .v4 ? AF_INET : AF_INET6
        let fd = socket(family, Int32(udp ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bound: Int32
        if family == AF_INET {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            guard inet_pton(AF_INET, "\(ip)", &address.sin_addr) == 1 else { return nil }
            bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        } else {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = in_port_t(UInt16(port).bigEndian)
            guard inet_pton(AF_INET6, "\(ip)", &address.sin6_addr) == 1 else { return nil }
            bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        }
        return bound == 0 ? body(fd) : nil
    }
}
