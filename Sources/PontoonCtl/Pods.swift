import Foundation

/// A pod as libpod keeps one for networking: a name, an ID, and its infra container, which holds
/// the namespace every member shares. `<state dir>/pods/<name>.json`.
public struct PodRecord: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    /// The infra container's name (`<pod>-infra`): a container record like any other, running from
    /// `pod create` until `pod rm`.
    public var infra: String

    public var shortID: String { String(id.prefix(12)) }

    static func infraName(_ pod: String) -> String { pod + "-infra" }
}

extension Store {
    var podsDirectory: String { paths.stateDirectory + "/pods" }
    func podPath(_ name: String) -> String { podsDirectory + "/" + name + ".json" }

    public func pod(_ name: String) throws(CtlError) -> PodRecord {
        try Names.validate(name, what: "pod")
        guard let pod = try Self.read(PodRecord.self, at: podPath(name)) else { throw CtlError(.notFound, "no pod named \(name)") }
        return pod
    }

    public func pods() throws(CtlError) -> [PodRecord] {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: podsDirectory)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        var result: [PodRecord] = []
        for file in files {
            if let pod = try Self.read(PodRecord.self, at: podsDirectory + "/" + file) { result.append(pod) }
        }
        return result
    }

    func savePod(_ pod: PodRecord) throws(CtlError) {
        try Self.makeDirectory(podsDirectory)
        try Self.write(Self.encode(pod), to: podPath(pod.name))
    }

    func lockPods() throws(CtlError) -> FileLock {
        try Self.makeDirectory(paths.locksDirectory)
        return try FileLock(paths.locksDirectory + "/pods")
    }

    func removePod(_ name: String) { try? FileManager.default.removeItem(atPath: podPath(name)) }
}
