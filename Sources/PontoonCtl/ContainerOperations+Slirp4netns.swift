import Foundation
import NetAddress

extension ContainerOperations {
    /// `--network slirp4netns[:…]`: a namespace of its own and one slirp4netns for it, started as
    /// the calling user (it needs no privilege over a namespace that user owns). Published ports go
    /// through slirp4netns's API socket with `port_handler=slirp4netns`, or through pontoonctl's port
    /// proxy connecting to the container's tap0 address with `port_handler=rootlesskit` (podman's default).
    func createSlirp4netns(_ request: CreateRequest, _ options: Slirp4netnsOptions) throws(CtlError) -> ContainerRecord {
        guard request.networks.isEmpty else {
            throw CtlError(.usage, "--network slirp4netns cannot be combined with other networks")
        }
        for server in request.dnsServers where IPAddress(server) == nil {
            throw CtlError(.usage, "--dns \"\(server)\" is not an IP address")
        }
        let ports = try PortMappings.normalise(request.ports)
        let forwards = options.portHandler == .slirp4netns ? try Slirp4netnsAPI.forwards(ports) : []
        let proxied = options.portHandler == .rootlesskit ? try PortProxySpec.forwards(ports) : []
        let lock = try store.lockContainer(request.name)
        defer { lock.unlock() }
        try store.refuseTakenContainerName(request.name)
        var record = ContainerRecord(id: Names.randomHex(32), name: request.name, netns: "", hostname: request.hostname,
                                     dnsServers: request.dnsServers, ports: ports, networkMode: .slirp4netns(options))
        var made = false
        do throws(CtlError) {
            record.netns = try makeNamespace()
            made = true
            // Before slirp4netns starts (a crash leaves what rm can finish), its host ports claimed.
            try claimHostPorts(record) { () throws(CtlError) in try store.save(record) }
            let apiSocket = options.portHandler == .slirp4netns ? paths.stateDirectory + "/" + record.id + ".net" : nil
            // Rootless, the namespace is mounted only in the pause process's mount namespace and owned
            // by its user namespace: slirp4netns starts inside both (nsenter execs it, the pid stays its own).
            let launcher = rootless?.pause.map { [RootlessNetNS.nsenter] + RootlessNetNS.joining($0) }
            record.slirp4netns = try Slirp4netnsProcess.start(netns: record.netns, options: options,
                                                              directory: paths.containerDirectory(record.name), apiSocket: apiSocket,
                                                              launcher: launcher)
            try store.save(record)
            if let apiSocket {
                for forward in forwards { try Slirp4netnsAPI.add(forward, socket: apiSocket) }
            }
            if !proxied.isEmpty {
                let spec = PortProxySpec(netns: record.netns, pause: rootless?.pause, target: options.guestAddress, forwards: proxied)
                record.portProxy = try PortProxyProcess.start(spec, directory: paths.containerDirectory(record.name))
                try store.save(record)
            }
            try ContainerFiles.write(record, paths: paths)
        } catch {
            record.portProxy?.stop()
            record.slirp4netns?.stop()
            if !record.netns.isEmpty { try? removeNamespace(record.netns) }
            if made { store.removeContainer(record.name) }
            throw error
        }
        return record
    }

    /// podman's refusal of connect, disconnect and reload on a container not on bridge networks.
    func refuseSlirp4netns(_ record: ContainerRecord) throws(CtlError) {
        if case .slirp4netns? = record.networkMode {
            throw CtlError(.usage, "invalid network mode: network mode \"slirp4netns\" is not supported")
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
    /// Its namespace is its own to remove: made for its networks or for its slirp4netns.
    var ownsNamespace: Bool {
        switch networkMode {
        case nil, .slirp4netns?, .noNetwork?: true
        case .container?, .path?, .host?: false
        }
    }
}
