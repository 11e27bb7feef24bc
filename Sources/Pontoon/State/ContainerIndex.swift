#if canImport(Glibc)
import Glibc
#endif

/// Which networks hold a record of a container, so its records on other networks (host-port
/// ownership, the hand-over when a network is torn down) are found without listing every other
/// network's records, which grows with the containers attached there.
///
/// `<stateDirectory>/.containers/<container>/<network>@<ifName>`: one empty file per record,
/// made before the record is written and removed after it, so every record is named by one (an
/// entry whose record is missing is skipped). `<container>` is the container id, shortened as
/// record names are when it is long. `.containers` cannot be a network name (they start with a
/// letter or digit), and neither network names nor container ids contain `@`.
///
/// Records written before the index existed are found by one scan of every network's records,
/// the first time a lookup finds no `.containers/.complete`; the scan ends by making it. Until
/// then lookups list the networks, as they did before. `.complete` is an empty directory, not a
/// file: what looks for state a container left (`NamespaceEpoch`, a runtime's cleanup checks)
/// counts files, and the index's empty folders count as nothing.
struct ContainerIndex {
    static let directoryName = ".containers"
    /// Made once every record of the state directory has its entry.
    static let completeName = ".complete"

    let stateDirectory: String
    var directory: String { stateDirectory + "/" + Self.directoryName }

    func folder(_ containerID: String) -> String {
        let name = containerID.utf8.count > RecordName.plainLimit
            ? "\(String(containerID.utf8.prefix(64))!)~\(RecordName.hash(containerID))" : containerID
        return directory + "/" + name
    }

    private func entry(network: String, id: AttachmentID) -> String {
        folder(id.containerID) + "/" + network + "@" + id.ifName
    }

    /// Names the record before it is written.
    func add(network: String, id: AttachmentID) throws {
        let path = entry(network: network, id: id)
        var attempt = 0
        while true {
            switch FileSystem.open(path, O_WRONLY | O_CREAT | O_NOFOLLOW, mode: 0o600) {
            case .success(let fd):
                close(fd)
                return
            case .failure(let error) where error.code == ENOENT && attempt < 5:
                // The container's first record, or its folder just removed with another's last.
                attempt += 1
                try FileSystem.makeDirectories(folder(id.containerID), mode: 0o700)
            case .failure(let error):
                throw FileSystem.ioError("cannot create", path, errno: error.code)
            }
        }
    }

    /// After the record is gone; the container's folder goes with its last entry.
    func remove(network: String, id: AttachmentID) throws {
        try FileSystem.remove(entry(network: network, id: id))
        rmdir(folder(id.containerID)) // ENOTEMPTY: the container has records on other networks
    }

    /// The container's (network, interface) pairs; nil while the index is not known complete.
    func attachments(of containerID: String) -> [(network: String, ifName: String)]? {
        guard access(directory + "/" + Self.completeName, F_OK) == 0 else { return nil }
        return ((try? FileSystem.listDirectory(folder(containerID))) ?? nil ?? []).compactMap { name in
            guard let at = name.firstIndex(of: "@") else { return nil }
            return (String(name[..<at]), String(name[name.index(after: at)...]))
        }
    }

    /// Gives every record of the state directory its entry, then declares the index complete.
    func build(records: [(network: String, id: AttachmentID)]) throws {
        for record in records { try add(network: record.network, id: record.id) }
        try FileSystem.makeDirectories(directory + "/" + Self.completeName, mode: 0o700)
    }
}
