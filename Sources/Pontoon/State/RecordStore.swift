import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Attachment records on disk: `<stateDirectory>/<network>/<containerID>@<ifName>.json`.
/// Container IDs cannot contain `@`, so the file name maps back to exactly one attachment.
/// Writes go through a temporary file and `rename`, so a reader never sees half a record.
public struct RecordStore: Sendable {
    public let directory: String

    public init(stateDirectory: String) {
        directory = stateDirectory
    }

    func networkDirectory(_ network: String) -> String { "\(directory)/\(network)" }

    func path(network: String, id: AttachmentID) -> String {
        "\(networkDirectory(network))/\(id.containerID)@\(id.ifName).json"
    }

    public func save(_ record: AttachmentRecord) throws {
        let folder = networkDirectory(record.network)
        try FileSystem.makeDirectories(folder, mode: 0o700)
        let final = path(network: record.network, id: record.id)
        let bytes: [UInt8]
        do {
            bytes = Array(try JSONEncoder().encode(record))
        } catch {
            throw PontoonError(.system, "cannot encode the attachment record for \(record.id)", details: "\(error)")
        }
        try FileSystem.writeAtomically(final, contents: bytes, mode: 0o600)
    }

    /// The record, or nil when there is none (or it is unreadable: DEL must still proceed).
    public func load(network: String, id: AttachmentID) -> AttachmentRecord? {
        guard let bytes = try? FileSystem.readFile(path(network: network, id: id)) else { return nil }
        return try? JSONDecoder().decode(AttachmentRecord.self, from: Data(bytes))
    }

    public func remove(network: String, id: AttachmentID) throws {
        try FileSystem.remove(path(network: network, id: id))
    }

    /// Every readable record of a network.
    public func all(network: String) -> [AttachmentRecord] {
        let names = (try? FileSystem.listDirectory(networkDirectory(network))) ?? nil
        return (names ?? []).compactMap { name in
            guard name.hasSuffix(".json"), let bytes = try? FileSystem.readFile("\(networkDirectory(network))/\(name)") else { return nil }
            return try? JSONDecoder().decode(AttachmentRecord.self, from: Data(bytes))
        }
    }
}
