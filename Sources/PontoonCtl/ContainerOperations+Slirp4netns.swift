import Foundation
import NetAddress

extension ContainerOperations {
    /// `--network slirp4netns[:…]` at start: one slirp4netns for the namespace just made (and saved
    /// in the record), started as the calling user (it needs no privilege over a namespace that user
    /// owns). Published ports go through slirp4netns's API socket with `port_handler=slirp4netns`, or
    /// through pontoonctl's port proxy connecting to the container's tap0 address with
    /// `port_handler=rootlesskit` (podman's default). The caller stops what is recorded on failure.
    func startSlirp4netns(_ record: inout ContainerRecord, _ options: Slirp4netnsOptions) throws(CtlError) {
        let forwards = options.portHandler == .slirp4netns ? try Slirp4netnsAPI.forwards(record.ports) : []
        let proxied = options.portHandler == .rootlesskit ? try PortProxySpec.forwards(record.ports) : []
        let apiSocket = options.portHandler == .slirp4netns ? paths.stateDirectory + "/" + record.id + ".net" : nil
        // Rootless, the namespace is mounted only in the pause process's mount namespace and owned
        // by its user namespace: slirp4netns starts inside both (nsenter execs it, the pid stays its own).
        let launcher = rootless?.pause.map { [RootlessNetNS.nsenter] + RootlessNetNS.joining($0) }
        record.slirp4netns = try Slirp4netnsProcess.start(netns: record.netns, options: options,
                                                          directory: paths.containerDirectory(record.name), apiSocket: apiSocket,
                                                          launcher: launcher)
        try store.save(record)   // a crash from here leaves what stop or rm can finish
        if let apiSocket {
            for forward in forwards { try Slirp4netnsAPI.add(forward, socket: apiSocket) }
        }
        if !proxied.isEmpty {
            let spec = PortProxySpec(netns: record.netns, pause: rootless?.pause, target: options.guestAddress, forwards: proxied)
            record.portProxy = try PortProxyProcess.start(spec, directory: paths.containerDirectory(record.name))
            try store.save(record)
        }
    }

    /// `reload --all`: every running container in bridge mode; any other mode has nothing to
    /// reload and its reload by name is refused (created and stopped ones have nothing set up).
    public func reloadTargets() -> [String] {
        store.containerNames().filter { name in
            guard let record = try? store.container(name) else { return true }   // its reload reports why
            guard record.state == .running else { return false }
            return record.networkMode == nil   // every other mode's reload is refused by name (not bridge)
        }
    }

    /// What podman 4.3 shows of a slirp4netns container: the namespace and the published ports, no
    /// per-network entry and no address (slirp4netns's are not a network's).
    static func slirp4netnsSettings(_ record: ContainerRecord) -> InspectNetworkSettings {
        InspectNetworkSettings(basic: InspectNetworkSettings.Basic(), SandboxKey: record.netns,
                               Ports: InspectMapping.ports(record.ports), Networks: [:])
    }
}

extension ContainerRecord {
    /// `container:OTHER`: OTHER, whose namespace (and files) it uses.
    var sharedNamespaceOwner: String? {
        if case .container(let other)? = networkMode { return other }
        return nil
    }

    /// Its namespace is its own to remove: made for its networks or for its slirp4netns.
    var ownsNamespace: Bool {
        switch networkMode {
        case nil, .slirp4netns?, .noNetwork?: true
        case .container?, .path?, .host?: false
        }
    }
}
