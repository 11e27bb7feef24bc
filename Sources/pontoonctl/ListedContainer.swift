import Netavark
import PontoonCtl

/// A container as `ps --format json` (and its templates) show it: podman's ps keys (`Id`, `Names`,
/// `State`, `Networks`, `Ports` as netavark's port mappings, `Pod`…), one style for the command.
struct ListedContainer: Encodable {
    let record: ContainerRecord

    init(_ record: ContainerRecord) { self.record = record }

    enum CodingKeys: String, CodingKey { case Id, Names, State, Networks, Ports, PodName, IsInfra }

    func encode(to encoder: any Encoder) throws {
        var values = encoder.container(keyedBy: CodingKeys.self)
        try values.encode(record.id, forKey: .Id)
        try values.encode([record.name], forKey: .Names)
        try values.encode(record.state.podmanStatus, forKey: .State)
        // As podman lists them: a container in a mode (none, host, container:) has no networks of its own.
        try values.encode(record.networks.map(\.network), forKey: .Networks)
        try values.encode(record.ports, forKey: .Ports)
        try values.encode(record.pod ?? "", forKey: .PodName)
        try values.encode(record.pod != nil && record.networkMode == nil, forKey: .IsInfra)
    }
}

/// What a `ps --format` template reads, as podman's ps templates see a container (its psReporter):
/// `.ID` the short ID, `.Names` the name, `.Networks` and `.Ports` as the table prints them; the
/// JSON keys (`.Id`, `.State`, `.PodName`, …) too.
struct ReportedContainer: Encodable {
    let listed: ListedContainer

    enum CodingKeys: String, CodingKey { case Id, ID, Names, State, Networks, Ports, PodName, IsInfra }

    func encode(to encoder: any Encoder) throws {
        let record = listed.record
        var values = encoder.container(keyedBy: CodingKeys.self)
        try values.encode(record.id, forKey: .Id)
        try values.encode(record.shortID, forKey: .ID)
        try values.encode(record.name, forKey: .Names)
        try values.encode(record.state.podmanStatus, forKey: .State)
        try values.encode(record.networks.map(\.network).joined(separator: ","), forKey: .Networks)
        try values.encode(Views.ports(record.ports).joined(separator: ", "), forKey: .Ports)
        try values.encode(record.pod ?? "", forKey: .PodName)
        try values.encode(record.pod != nil && record.networkMode == nil, forKey: .IsInfra)
    }
}
