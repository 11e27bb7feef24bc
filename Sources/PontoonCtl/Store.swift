import Foundation
import NetAddress
import Netavark

/// Where pontoonctl keeps things, from the global options.
public struct ControlPaths: Sendable {
    public var stateDirectory: String
    public var configDirectory: String
    public var netnsDirectory: String
    public var pluginDirectories: [String]
    public var aardvarkBinary: String
    /// Where pontoonctl itself lives: pontoon is looked for beside it first.
    public var selfDirectory: String

    public init(stateDirectory: String, configDirectory: String, netnsDirectory: String, pluginDirectories: [String],
                aardvarkBinary: String, selfDirectory: String) {
        self.stateDirectory = stateDirectory
        self.configDirectory = configDirectory
        self.netnsDirectory = netnsDirectory
        self.pluginDirectories = pluginDirectories
        self.aardvarkBinary = aardvarkBinary
        self.selfDirectory = selfDirectory
    }

    public static let defaultPluginDirectories = ["/usr/lib/cni", "/opt/cni/bin"]

    /// CNI_PATH: the user's plugin dirs, then the standard ones.
    public var searchPath: [String] { [selfDirectory] + pluginDirectories + Self.defaultPluginDirectories }

    /// A plugin by name (`pontoon`, `bridge`, …) or an absolute path.
    public func plugin(_ name: String) throws(CtlError) -> String {
        if name.hasPrefix("/") {
            guard FileManager.default.isExecutableFile(atPath: name) else { throw CtlError(.notFound, "plugin \(name) is not an executable") }
            return name
        }
        guard !name.isEmpty, !name.contains("/") else { throw CtlError(.usage, "plugin name \"\(name)\" is not a plain name") }
        for directory in searchPath where FileManager.default.isExecutableFile(atPath: directory + "/" + name) {
            return directory + "/" + name
        }
        throw CtlError(.notFound, "plugin \(name) not found in \(searchPath.joined(separator: ", "))")
    }

    var containersDirectory: String { stateDirectory + "/containers" }
    func containerDirectory(_ name: String) -> String { containersDirectory + "/" + name }
    var locksDirectory: String { stateDirectory + "/locks" }
    var ipamDirectory: String { stateDirectory + "/ipam" }
    var cniCacheDirectory: String { stateDirectory + "/cni-results" }
    /// `--config` of netavark-protocol plugins: their records, leases and aardvark-dns config.
    var netavarkConfigDirectory: String { stateDirectory + "/netavark" }
}

/// Names that become file names: what podman accepts for container and network names.
public enum Names {
    public static func validate(_ name: String, what: String) throws(CtlError) {
        let allowed = name.unicodeScalars.allSatisfy {
            ($0.value < 128) && (CharacterSet.alphanumerics.contains($0) || "_.-".unicodeScalars.contains($0))
        }
        guard !name.isEmpty, name.count <= 64, allowed, name.first!.isLetter || name.first!.isNumber else {
            throw CtlError(.usage, "\(what) name \"\(name)\" must be 1-64 characters of [a-zA-Z0-9_.-] starting with a letter or digit")
        }
    }

    public static func randomHex(_ bytes: Int) -> String {
        (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }
}

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

    /// Serialises one container's operations; different containers proceed in parallel.
    func lockContainer(_ name: String) throws(CtlError) -> FileLock {
        try Self.makeDirectory(paths.locksDirectory)
        return try FileLock(paths.locksDirectory + "/container-" + name)
    }

    /// Held briefly for store-wide decisions: a new name, an address, a network file.
    func lockStore() throws(CtlError) -> FileLock {
        try Self.makeDirectory(paths.locksDirectory)
        return try FileLock(paths.locksDirectory + "/store")
    }

    // MARK: networks

    func networkPath(_ name: String) -> String { paths.configDirectory + "/" + name + ".json" }

    public func networks() throws(CtlError) -> [NetworkFile] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: paths.configDirectory)) ?? []
        var result: [NetworkFile] = []
        for file in names.sorted() where file.hasSuffix(".json") {
            if let network = try Self.read(NetworkFile.self, at: paths.configDirectory + "/" + file) { result.append(network) }
        }
        return result
    }

    public func network(_ name: String) throws(CtlError) -> NetworkFile {
        try Names.validate(name, what: "network")
        guard let network = try Self.read(NetworkFile.self, at: networkPath(name)) else {
            throw CtlError(.notFound, "network \(name) not found in \(paths.configDirectory)")
        }
        guard network.network.name == name else {
            throw CtlError(.failed, "\(networkPath(name)) describes network \"\(network.network.name)\", not \(name)")
        }
        return network
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
            throw CtlError(.notFound, "no container named \(name)")
        }
        return record
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
