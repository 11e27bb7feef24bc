import Foundation
import NetAddress

extension ContainerOperations {
    /// `--port-handler` chooses between the rootless netns' slirp4netns forwards (the client's address
    /// kept) and the port proxy; it means nothing for root, whose DNAT serves published ports, or for a
    /// container not on bridge networks (slirp4netns has its own `port_handler=` option).
    func refusePortHandler(_ request: CreateRequest) throws(CtlError) {
        guard let handler = request.portHandler else { return }
        if case .slirp4netns? = request.mode {
            throw CtlError(.usage, "--port-handler applies to bridge networks: use --network slirp4netns:port_handler="
                           + (handler == .transparent ? "slirp4netns (which keeps the client's address)" : handler.rawValue))
        }
        guard request.mode == nil else { throw CtlError(.usage, "--port-handler cannot be combined with --network \(request.mode!)") }
        guard paths.rootless != nil else {
            throw CtlError(.usage, "--port-handler applies to rootless containers: as root, published ports are served by the network's DNAT")
        }
        // The mappings each handler can carry are checked by refuseUnsupported, before anything is made.
    }

    /// How a rootless bridge container's ports are published without `--port-handler`.
    /// The transparent proxy: the client's address kept, and faster than slirp4netns's forwards.
    static let defaultPortHandler = Slirp4netnsOptions.PortHandler.transparent

    /// The proxy for a rootless bridge container: its helper joins the rootless netns and connects to
    /// the container's first IPv4 address there; the container sees the client's address as its peer
    /// when `transparent` (but a loopback or IPv6 client's), the network's gateway otherwise.
    func startPortProxy(_ record: ContainerRecord, _ rootless: RootlessAttachment, transparent: Bool) throws(CtlError) -> PortProxyProcess {
        guard let pause = rootless.pause else { throw CtlError(.failed, "the rootless network namespace is not up") }
        let addresses = record.networks.compactMap { record.status[$0.network] }.flatMap { $0.interfaces.values.flatMap(\.subnets) }
        guard let target = addresses.lazy.compactMap({ IPNetwork($0.ipnet)?.address }).first(where: { $0.family == .v4 }) else {
            throw CtlError(.usage, "--port-handler \(transparent ? "transparent" : "rootlesskit"): the container has no IPv4 address on its networks to forward to")
        }
        var spec = PortProxySpec(netns: rootless.netns.path, pause: pause, target: "\(target)",
                                 forwards: try PortProxySpec.forwards(record.ports))
        spec.transparent = transparent
        return try PortProxyProcess.start(spec, directory: paths.containerDirectory(record.name))
    }

    /// reload of a rootless container whose ports go through the transparent proxy: the proxy's
    /// routing in the rootless netns, made again (a flushed ruleset took its nft table with it, and
    /// its helpers make it only when they start).
    func restoreTransparentRouting(_ record: ContainerRecord) throws(CtlError) {
        guard let rootless, let pause = rootless.pause, !record.ports.isEmpty, record.networkMode == nil,
              (record.portHandler ?? Self.defaultPortHandler) == .transparent else { return }
        guard let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else {
            throw CtlError(.failed, "cannot find pontoonctl's own executable to restore the port proxy's routing")
        }
        try rootless.netns.expect(rootless.netns.joined(pause, ["nsenter", "--net=" + rootless.netns.path, "--", executable, "port-proxy", "--routing"]),
                                  "reload \(record.name): cannot restore the transparent port proxy's routing")
    }
}
