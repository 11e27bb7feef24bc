import Foundation
import NetAddress
import Netavark

/// The state store: networks in the config dir, containers under the state dir, locks.
public struct Store: Sendable {
    public let paths: ControlPaths

    public init(paths: ControlPaths) { self.paths = paths }

    static func makeDirectory(_ path: String) throws(CtlError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw CtlError(.failed, "cannot create directory \(path): \(error.localizedDescription)")
        }
    }

    static func write(_ data: Data, to path: String) throws(CtlError) {
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw CtlError(.failed, "cannot write \(path): \(error.localizedDescription)")
        }
    }

    static func encode<T: Encodable>(_ value: T) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)) ?? Data()
    }

    static func read<T: Decodable>(_ type: T.Type, at path: String) throws(CtlError) -> T? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw CtlError(.failed, "cannot read \(path): \(error)")
        }
    }

    // MARK: locks

    /// Serialises one container's operations; different containers proceed in parallel. The lock
    /// file goes when it is let go while no container has the name (see `ContainerLock`).
    func lockContainer(_ name: String) throws(CtlError) -> ContainerLock {
        try Names.validate(name, what: "container")
        try Self.makeDirectory(paths.locksDirectory)
        return ContainerLock(lock: try FileLock(paths.locksDirectory + "/container-" + name), recordPath: recordPath(name))
    }

    /// Held briefly for store-wide decisions: a new name, an address, a network file.
    func lockStore() throws(CtlError) -> FileLock {
        try Self.makeDirectory(paths.locksDirectory)
        return try FileLock(paths.locksDirectory + "/store")
    }

    // MARK: networks

    func networkPath(_ name: String) -> String { paths.configDirectory + "/" + name + ".json" }

    /// Every network, each with its ID (derived for a file that has none, see `NetworkLookup`).
    public func networks() throws(CtlError) -> [NetworkFile] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: paths.configDirectory)) ?? []
        var result: [NetworkFile] = []
        for file in names.sorted() where file.hasSuffix(".json") {
            if let network = try Self.read(NetworkFile.self, at: paths.configDirectory + "/" + file) {
                result.append(NetworkLookup.withID(network))
            }
        }
        return result
    }

    /// The network called `nameOrID`, or whose ID is or starts with it (the one place names and IDs
    /// are resolved; see `NetworkLookup`). A name is looked up by its file first: no directory scan.
    public func network(_ nameOrID: String) throws(CtlError) -> NetworkFile {
        try Names.validate(nameOrID, what: "network")
        guard let network = try Self.read(NetworkFile.self, at: networkPath(nameOrID)) else {
            return try NetworkLookup.resolve(nameOrID, among: networks())
        }
        guard network.network.name == nameOrID else {
            throw CtlError(.failed, "\(networkPath(nameOrID)) describes network \"\(network.network.name)\", not \(nameOrID)")
        }
        return NetworkLookup.withID(network)
    }

    /// Whether a network has exactly this name (a new network's name must be free; IDs do not count).
    func hasNetwork(named name: String) -> Bool {
        FileManager.default.fileExists(atPath: networkPath(name))
    }

    func saveNetwork(_ network: NetworkFile) throws(CtlError) {
        try Self.makeDirectory(paths.configDirectory)
        try Self.write(Self.encode(network), to: networkPath(network.network.name))
    }

    func removeNetworkFile(_ name: String) {
        try? FileManager.default.removeItem(atPath: networkPath(name))
    }

    // MARK: containers

    func recordPath(_ name: String) -> String { paths.containerDirectory(name) + "/container.json" }

    public func container(_ name: String) throws(CtlError) -> ContainerRecord {
        try Names.validate(name, what: "container")
        guard let record = try Self.read(ContainerRecord.self, at: recordPath(name)) else {
            throw CtlError(.notFound, "no container with name \"\(name)\" found: no such container")
        }
        return record
    }

    /// A new container's name must be free; the container in the way is named with its ID, as podman names it.
    func refuseTakenContainerName(_ name: String) throws(CtlError) {
        guard FileManager.default.fileExists(atPath: recordPath(name)) else { return }
        let id = (try? container(name)).map { " (ID \($0.shortID))" } ?? ""
        throw CtlError(.conflict, "a container named \(name) already exists\(id): remove it to reuse the name")
    }

    public func containerNames() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: paths.containersDirectory)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: recordPath($0)) }.sorted()
    }

    public func containers() throws(CtlError) -> [ContainerRecord] {
        var result: [ContainerRecord] = []
        for name in containerNames() {
            if let record = try Self.read(ContainerRecord.self, at: recordPath(name)) { result.append(record) }
        }
        return result
    }

    func save(_ record: ContainerRecord) throws(CtlError) {
        try Self.makeDirectory(paths.containerDirectory(record.name))
        try Self.write(Self.encode(record), to: recordPath(record.name))
    }

    func removeContainer(_ name: String) {
        try? FileManager.default.removeItem(atPath: paths.containerDirectory(name))
        try? FileManager.default.removeItem(atPath: paths.locksDirectory + "/container-" + name)
    }

    // MARK: addresses of netavark networks (podman allocates them; so does pontoonctl)

    /// Reserve `requested` or the next free address of every subnet, under the store lock.
    /// A reservation is a file `<ipam>/<network>/<ip>` holding the container id.
    func reserve(network: Network, containerID: String, requested: [IPAddress]) throws(CtlError) -> [IPAddress] {
        let directory = paths.ipamDirectory + "/" + network.name
        try Self.makeDirectory(directory)
        let subnets: [(IPNetwork, IPAddress?)] = (network.subnets ?? []).compactMap { subnet in
            IPNetwork(subnet.subnet).map { ($0.masked, subnet.gateway.flatMap(IPAddress.init)) }
        }
        var chosen: [IPAddress] = []
        func take(_ ip: IPAddress) -> Bool {
            let fd = open(directory + "/\(ip)", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard fd >= 0 else { return false }
            _ = containerID.withCString { Glibc.write(fd, $0, strlen($0)) }
            close(fd)
            chosen.append(ip)
            return true
        }
        func reserveAll() throws(CtlError) {
            for ip in requested {
                guard let subnet = subnets.first(where: { $0.0.contains(ip) }) else {
                    throw CtlError(.usage, "address \(ip) is not in a subnet of network \(network.name)")
                }
                guard ip != subnet.1, ip != subnet.0.network, !(ip.family == .v4 && ip == subnet.0.lastAddress) else {
                    throw CtlError(.usage, "address \(ip) is the gateway, network or broadcast address of network \(network.name)")
                }
                guard take(ip) else { throw CtlError(.conflict, "address \(ip) of network \(network.name) is already in use") }
            }
            for (subnet, gateway) in subnets where !chosen.contains(where: { subnet.contains($0) }) {
                var candidate = subnet.network.next
                var found = false
                while let ip = candidate, subnet.contains(ip), !(ip.family == .v4 && ip == subnet.lastAddress) {
                    if ip != gateway, take(ip) { found = true; break }
                    candidate = ip.next
                }
                guard found else { throw CtlError(.conflict, "no free address left in \(subnet) of network \(network.name)") }
            }
        }
        do {
            try reserveAll()
        } catch {
            release(network: network.name, addresses: chosen.map { "\($0)" }, containerID: containerID)
            throw error
        }
        return chosen
    }

    /// Only this container's reservations go: a stale record must not free another's address.
    func release(network: String, addresses: [String], containerID: String) {
        for address in addresses {
            let bare = address.split(separator: "/").first.map(String.init) ?? address
            let path = paths.ipamDirectory + "/" + network + "/" + bare
            guard let owner = FileManager.default.contents(atPath: path), String(decoding: owner, as: UTF8.self) == containerID else {
                continue
            }
            try? FileManager.default.removeItem(atPath: path)
        }
    }
}
