import HostSystem
import WireCoding
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
        "\(networkDirectory(network))/\(RecordName.fileName(for: id))"
    }

    public func save(_ record: AttachmentRecord) throws {
        let folder = networkDirectory(record.network)
        try FileSystem.makeDirectories(folder, mode: 0o700)
        let final = path(network: record.network, id: record.id)
        if RecordName.isHashed(record.id), let existing = loadFile(final), existing.id != record.id {
            // Two ids whose shortened names collide: refuse rather than let one overwrite the other.
            throw PontoonError(.conflict, "the record file \(final) already belongs to attachment \(existing.id)")
        }
        try containers.add(network: record.network, id: record.id)
        do {
            try FileSystem.writeAtomically(final, contents: WireJSON.write(record), mode: 0o600)
        } catch {
            // A first save that failed leaves no entry; a record that existed keeps its own.
            if access(final, F_OK) != 0 { try? containers.remove(network: record.network, id: record.id) }
            throw error
        }
    }

    var containers: ContainerIndex { ContainerIndex(stateDirectory: directory) }

    /// The record, or nil when there is none (or it is unreadable: DEL must still proceed).
    public func load(network: String, id: AttachmentID) -> AttachmentRecord? {
        loadFile(path(network: network, id: id)).flatMap { $0.id == id ? $0 : nil }
    }

    private func loadFile(_ path: String) -> AttachmentRecord? {
        guard let bytes = try? FileSystem.readFile(path) else { return nil }
        return try? WireJSON.read(AttachmentRecord.self, from: bytes)
    }

    /// Removes the record, and temporary copies killed ADDs left, of it or of others. Returns
    /// whether the network still has a record file (readable or not): the bridge's lifetime check.
    /// The folder is read only until another record turns up, so a DEL costs the same beside
    /// 1,000 records as beside one (the whole folder is several `getdents` calls and 1,000 names
    /// decoded). The network's last DEL reads every name, so no temporary outlives the network;
    /// until then one met after the first other record waits for a later DEL or GC, inert (its
    /// name is no record's).
    @discardableResult
    public func remove(network: String, id: AttachmentID) throws -> Bool {
        let final = path(network: network, id: id)
        try FileSystem.remove(final)
        let prefix = RecordName.fileName(for: id) + FileSystem.temporaryInfix
        var othersRecorded = false
        var temporaries: [String] = []
        try FileSystem.scanDirectory(networkDirectory(network)) { name in
            if name.hasPrefix(prefix) {
                temporaries.append(name)
            } else if let writer = FileSystem.temporaryWriter(name) {
                if !Processes.isRunning(writer) { temporaries.append(name) }
            } else if name.hasSuffix(".json") {
                othersRecorded = true
                return false
            }
            return true
        }
        for name in temporaries { try FileSystem.remove("\(networkDirectory(network))/\(name)") }
        try containers.remove(network: network, id: id)
        return othersRecorded
    }

    /// Removes temporary records whose writer is no longer running (an ADD killed between writing
    /// and renaming): nothing else would ever remove them.
    public func removeAbandonedTemporaries(network: String) throws {
        for name in (try FileSystem.listDirectory(networkDirectory(network)) ?? []) {
            guard let writer = FileSystem.temporaryWriter(name), !Processes.isRunning(writer) else { continue }
            try FileSystem.remove("\(networkDirectory(network))/\(name)")
        }
    }

    /// The container's records on networks other than `excluded` (netavark mode: what a
    /// `network connect` joins). Reads the container's index entries and its own records only.
    public func records(ofContainer containerID: String, excluding excluded: Set<String>) -> [AttachmentRecord] {
        if let attachments = containers.attachments(of: containerID) {
            return attachments.filter { !excluded.contains($0.network) }.compactMap { attachment in
                load(network: attachment.network, id: AttachmentID(containerID: containerID, ifName: attachment.ifName))
            }
        }
        // Records older than the index: every network's records are listed once, and indexed.
        var every: [AttachmentRecord] = []
        for network in ((try? FileSystem.listDirectory(directory)) ?? nil) ?? [] where !network.hasPrefix(".") {
            every += all(network: network)
        }
        _ = try? containers.build(records: every.map { ($0.network, $0.id) })
        return every.filter { $0.containerID == containerID && !excluded.contains($0.network) }
    }

    /// Every readable record of a network.
    public func all(network: String) -> [AttachmentRecord] {
        let names = (try? FileSystem.listDirectory(networkDirectory(network))) ?? nil
        return (names ?? []).compactMap { name in
            guard name.hasSuffix(".json") else { return nil }
            return loadFile("\(networkDirectory(network))/\(name)")
        }
    }
}

/// Record file names. Most are `<containerID>@<ifName>.json`; an id so long that the name would
/// pass the file system's limit (255 bytes, with room for the temporary suffix) is shortened to
/// its first 64 characters, `~` and a 128-bit hash of the whole id. `~` never occurs in a container
/// id, so a shortened name cannot equal a plain one; the record inside names the full id, and a
/// collision of hashes is refused on save.
enum RecordName {
    static let plainLimit = 200

    static func fileName(for id: AttachmentID) -> String {
        let plain = "\(id.containerID)@\(id.ifName).json"
        guard plain.utf8.count > plainLimit else { return plain }
        return "\(String(id.containerID.utf8.prefix(64))!)~\(hash(id.containerID))@\(id.ifName).json"
    }

    static func isHashed(_ id: AttachmentID) -> Bool { fileName(for: id).contains("~") }

    /// How a record file of the container can begin (plain or shortened, whatever the interface).
    static func prefixes(for containerID: String) -> [String] {
        ["\(containerID)@", "\(String(containerID.utf8.prefix(64))!)~\(hash(containerID))@"]
    }

    /// FNV-1a, 128 bits, as 32 hex digits: stable across runs and builds (unlike `Hasher`).
    static func hash(_ text: String) -> String {
        var value: UInt128 = 0x6c62272e_07bb0142_62b82175_6295c58d
        let prime: UInt128 = 0x00000000_01000000_00000000_0000013b
        for byte in text.utf8 {
            value ^= UInt128(byte)
            value = value &* prime
        }
        // Nibble by nibble: String(_:radix:) divides a UInt128 generically, ~30 K instructions.
        return String(unsafeUninitializedCapacity: 32) { hex in
            for index in 0..<32 {
                let nibble = UInt8(truncatingIfNeeded: value >> UInt128(124 - 4 * index)) & 0xF
                hex[index] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
            }
            return 32
        }
    }
}

/// Whether a process still runs, for telling abandoned temporary files from ones being written
/// (a writer killed but not yet reaped is a zombie: it writes nothing more).
enum Processes {
    static func isRunning(_ pid: pid_t) -> Bool {
        ProcessStatus.of(pid)?.ended == false
    }
}
