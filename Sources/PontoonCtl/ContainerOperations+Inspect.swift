import Netavark

extension ContainerOperations {
    /// podman's network settings: a sharer reports its owner's, a joined namespace what is
    /// configured there, any other container its stored status.
    /// It needs no rootless scope: a rootless container's settings are its stored status (its namespace
    /// is not read), and a rootless user cannot have `ns:PATH` (validating the path needs setns).
    public func inspect(_ name: String) throws(CtlError) -> (ContainerRecord, InspectNetworkSettings) {
        let record = try store.container(name)
        switch record.networkMode {
        case .container? where record.state != .running:
            // Not in the owner's namespace until it starts: nothing of the owner's is its own.
            return (record, InspectMapping.settings(record))
        case .container?:
            // The chain's owner answers, whatever its own mode (a sharer of a sharer shows the same).
            let owner = try namespaceOwner(record)
            return (record, try inspect(owner.name).1)
        case .path(let path)?:
            // As libpod: a namespace that cannot be read is logged, and inspect still answers.
            var status: StatusBlock?
            do throws(CtlError) { status = try JoinedNamespace.status(netns: path) } catch { warn("inspect \(name): \(error)") }
            return (record, InspectMapping.settings(joined: record, status: status))
        case .slirp4netns?:
            return (record, Self.slirp4netnsSettings(record))
        case nil, .noNetwork?, .host?:
            // none: its namespace, no network; host: no namespace either (SandboxKey empty, as podman).
            return (record, InspectMapping.settings(record))
        }
    }

    /// Where `exec` finds the container's resolv.conf and hosts: a sharer uses its chain's owner's.
    public func filesDirectory(_ record: ContainerRecord) -> String {
        paths.containerDirectory(((try? namespaceOwner(record)) ?? record).name)
    }
}
