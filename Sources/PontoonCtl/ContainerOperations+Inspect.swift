import Netavark

extension ContainerOperations {
    /// podman's network settings: a sharer reports its owner's, a joined namespace what is
    /// configured there, any other container its stored status.
    /// It needs no rootless scope: a rootless container's settings are its stored status (its namespace
    /// is not read), and a rootless user cannot have `ns:PATH` (validating the path needs setns).
    public func inspect(_ name: String) throws(CtlError) -> (ContainerRecord, InspectNetworkSettings) {
        let record = try store.container(name)
        switch record.networkMode {
        case .container(let other)?:
            return (record, InspectMapping.settings(try store.container(other)))
        case .path(let path)?:
            // As libpod: a namespace that cannot be read is logged, and inspect still answers.
            var status: StatusBlock?
            do throws(CtlError) { status = try JoinedNamespace.status(netns: path) } catch { warn("inspect \(name): \(error)") }
            return (record, InspectMapping.settings(joined: record, status: status))
        case .slirp4netns?:
            return (record, Self.slirp4netnsSettings(record))
        case nil:
            return (record, InspectMapping.settings(record))
        }
    }

    /// Where `exec` finds the container's resolv.conf and hosts: a sharer uses its owner's.
    public func filesDirectory(_ record: ContainerRecord) -> String {
        if case .container(let other)? = record.networkMode { return paths.containerDirectory(other) }
        return paths.containerDirectory(record.name)
    }
}
