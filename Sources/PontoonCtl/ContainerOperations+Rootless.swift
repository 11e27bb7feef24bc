import Netavark

extension ContainerOperations {
    /// What a container verb needs of the rootless network namespace.
    enum RootlessNeed {
        /// `start`, `run`, `restart`: every preflight check; the pause process, the namespace and the connector are
        /// made when missing, and a connector that died is restarted with every published port.
        case bringUp
        /// `run --network slirp4netns`: every preflight check and the pause process alone (the
        /// container's namespace is made in its user namespace); its slirp4netns is its own, so the
        /// rootless netns and its connector are not started, as podman starts neither for it.
        case pauseOnly
        /// `connect`, `disconnect`, `reload`: plugins run inside the container's namespace, so the
        /// pause process that holds it must run (one that died took the namespace with it); a
        /// connector that died is restarted as for `bringUp`.
        case running
        /// `exec`, `stats`: the pause process must run, to be joined; nothing is started, so only
        /// `XDG_RUNTIME_DIR` is checked.
        case join
        /// `stop`, `rm`: only `XDG_RUNTIME_DIR` (teardown starts nothing: no slirp4netns, catatonit or tun
        /// is needed); a pause process that died is tolerated (the attachment's pause is nil).
        case teardown
    }

    /// The one way every container verb reaches the rootless network namespace: for root, `body`
    /// runs on `self`; for a rootless user, under the rootless netns' lock, on a copy whose
    /// `rootless` attachment makes every plugin run inside that namespace. `name` is the container
    /// the verb is about (a missing one is reported as such, not as a missing namespace). After a
    /// `start` (which failed), a `run --network slirp4netns`, a `stop` or an `rm`, the last running
    /// container out takes the namespace, its connector and the pause process with it, as podman
    /// does: created and stopped containers need none of them; the last running bridge container
    /// out takes the namespace and its connector when slirp4netns containers still run.
    func inRootlessScope<T>(_ need: RootlessNeed, for name: String,
                            _ body: (ContainerOperations) throws(CtlError) -> T) throws(CtlError) -> T {
        guard let environment = paths.rootless else { return try body(self) }
        let host = switch need {
        case .bringUp, .pauseOnly, .running: try environment.preflight()
        case .join, .teardown: try environment.teardownHost()
        }
        let netns = RootlessNetNS(host: host, stateDirectory: paths.stateDirectory)
        return try netns.locked { () throws(CtlError) -> T in
            let pause: Int32?
            switch need {
            case .bringUp:
                pause = try netns.upLocked(published: publishedPorts, warn: warn)
            case .pauseOnly:
                pause = try netns.pauseLocked()
            case .running, .join:
                guard netns.pause != nil else {
                    try requireRunning(try store.container(name), need == .join ? "exec or stats" : "this")
                    throw CtlError(.failed, "the rootless network namespace of container \(name) is gone (its pause process died): "
                                   + "rm --force it and run it again")
                }
                pause = need == .join ? netns.pause : try netns.upLocked(published: publishedPorts, warn: warn)
            case .teardown:
                pause = netns.pause
            }
            var scoped = self
            scoped.rootless = try RootlessAttachment(netns: netns, pause: pause)
            defer {
                if need != .running, need != .join, let running = try? store.containers().filter({ $0.state == .running }) {
                    if running.isEmpty {
                        if pause == nil { netns.stopStrandedDNS(configDirectory: paths.netavarkConfigDirectory) }
                        netns.downLocked()
                    } else if !running.contains(where: { $0.networkMode == nil }) {
                        // Only slirp4netns (or joined) containers run: they keep the pause process, which
                        // holds their namespaces, but no bridge container needs the netns or its connector.
                        netns.connectorDownLocked()
                    }
                }
            }
            return try body(scoped)
        }
    }

    /// The published ports of every container served by the rootless netns' connector (a
    /// `--network slirp4netns` container has a connector of its own, a `--port-handler rootlesskit`
    /// one its proxy), for a connector restarted after it died; a created or stopped container
    /// publishes nothing. Read with the rootless netns' lock held, so no start, stop or rm is halfway.
    public func publishedPorts() -> [PortMapping] {
        ((try? store.containers()) ?? []).filter { $0.networkMode == nil && $0.state == .running && $0.portProxy == nil }.flatMap(\.ports)
    }
}
