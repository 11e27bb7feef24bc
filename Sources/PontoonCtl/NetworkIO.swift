/// podman's own network figure for `stats` (libpod's getContainerNetIO): received and sent bytes
/// summed over the interfaces of the network status only, not every link in the namespace. A
/// container sharing another's namespace reports its owner's; slirp4netns counts its `tap0`.
public struct NetworkIO: Codable, Sendable, Equatable {
    public var NetInput: UInt64
    public var NetOutput: UInt64

    /// In `stats --format json` beside the per-interface counters (`rxBytes`, …): one key style for the command.
    enum CodingKeys: String, CodingKey { case NetInput = "netInput", NetOutput = "netOutput" }

    public init(NetInput: UInt64 = 0, NetOutput: UInt64 = 0) {
        self.NetInput = NetInput
        self.NetOutput = NetOutput
    }

    /// `owner`: the container whose namespace it is (the end of a `container:` chain; the infra of a pod).
    public static func libpod(owner: ContainerRecord, _ entries: [InterfaceStatistics]) -> NetworkIO {
        var counted = Set(owner.status.values.flatMap(\.interfaces.keys))
        if case .slirp4netns? = owner.networkMode { counted.insert("tap0") }
        return entries.filter { counted.contains($0.interface) }.reduce(into: NetworkIO()) { total, entry in
            total.NetInput += entry.rxBytes
            total.NetOutput += entry.txBytes
        }
    }
}

extension ContainerOperations {
    /// `stats`' per-interface table with libpod's figure beside it.
    public func statsWithNetworkIO(_ name: String) throws(CtlError) -> ([InterfaceStatistics], NetworkIO) {
        let entries = try stats(name)
        let owner = try namespaceOwner(try store.container(name))
        return (entries, NetworkIO.libpod(owner: owner, entries))
    }
}
