import FoundationEssentials

/// First in, last out: which attachments of a network hold firewall state, kept in
/// `<stateDir>/.firewall/<network>/network.json` and changed only under the flock on `lock` beside
/// it (`FirewallLock`; both go with the network's last attachment). The first attachment to join makes the network's rules, the last to leave removes them;
/// concurrent ADDs and DELs of one network see each other's membership, never a half-made network.
struct FirewallMembership {
    let stateDirectory: String
    let network: String

    struct Record: Codable {
        /// The network as its first attachment made it: the last DEL removes exactly that.
        var network: FirewallNetwork
        /// `AttachmentID.description` of each member.
        var members: [String]
        /// What each member asked the firewall for, written before the rules: a DEL whose ADD was
        /// killed before the attachment record existed still removes exactly its host ports.
        var states: [String: FirewallAttachment]? = nil
    }

    /// `.firewall` cannot be a network name (they start with a letter or digit), so it never meets
    /// a network's record directory.
    var directory: String { "\(stateDirectory)/.firewall/\(network)" }
    private var path: String { "\(directory)/network.json" }

    /// Add the attachment's firewall state, and the network's when it is the first member. The
    /// membership is written first, so an ADD killed halfway leaves a member that DEL removes
    /// (tolerating what was never made), never rules that no record names.
    func join(_ attachment: FirewallAttachment, network definition: FirewallNetwork, firewall: any Firewall) throws {
        _ = try FirewallLock.withLock(directory: directory, create: true) { remove in
            removeAbandonedTemporaries()
            let before = try load()
            var record = before ?? Record(network: definition, members: [])
            let first = record.members.isEmpty
            if first { record.network = definition }
            // Later members follow the driver the network was made with.
            let driver = record.network.kind == firewall.kind ? firewall : record.network.kind.driver(stateDirectory: stateDirectory)
            if !record.members.contains(attachment.id.description) { record.members.append(attachment.id.description) }
            record.states = (record.states ?? [:]).merging([attachment.id.description: attachment]) { _, new in new }
            try save(record)
            do {
                try driver.add(attachment, network: record.network, firstInNetwork: first)
            } catch {
                if let before, !before.members.isEmpty {
                    try? save(before)
                } else {
                    _ = try? FileSystem.remove(path)
                    remove = true
                }
                throw error
            }
        }
    }

    /// Remove the attachment's firewall state (nil: it made none that is known), and the
    /// network's when no other member is left. Nothing recorded: nothing to do.
    func leave(_ id: AttachmentID, attachment: FirewallAttachment?) throws {
        _ = try FirewallLock.withLock(directory: directory, create: false) { remove in
            removeAbandonedTemporaries()
            guard var record = try load() else {
                remove = true
                return
            }
            let remaining = record.members.filter { $0 != id.description }
            let last = remaining.isEmpty
            let driver = record.network.kind.driver(stateDirectory: stateDirectory)
            // What this member recorded when it joined comes first; the caller's reconstruction otherwise.
            let state = record.states?[id.description] ?? attachment
            try driver.remove(state ?? FirewallAttachment(id: id, addresses: [], hostPorts: []),
                              network: record.network, lastInNetwork: last)
            record.members = remaining
            record.states?[id.description] = nil
            if last {
                _ = try FileSystem.remove(path)
                remove = true
            } else {
                try save(record)
            }
        }
    }

    /// The network as recorded, for CHECK (nil when no attachment holds firewall state).
    func recorded() throws -> FirewallNetwork? { try load()?.network }

    /// GC: members that are neither valid nor recorded any more (their DEL was lost) leave; the
    /// network's rules go when no member is left. Abandoned temporary files are removed.
    func collect(keeping valid: Set<AttachmentID>, records: RecordStore) throws {
        _ = try FirewallLock.withLock(directory: directory, create: false) { remove in
            removeAbandonedTemporaries()
            guard var record = try load() else {
                remove = true
                return
            }
            let validNames = Set(valid.map(\.description))
            let gone = record.members.filter { !validNames.contains($0) }
            guard !gone.isEmpty else { return }
            let remaining = record.members.filter { validNames.contains($0) }
            try record.network.kind.driver(stateDirectory: stateDirectory).remove(FirewallAttachment(id: AttachmentID(containerID: "", ifName: ""), addresses: [], hostPorts: []),
                                                    network: record.network, lastInNetwork: remaining.isEmpty)
            record.members = remaining
            if remaining.isEmpty {
                _ = try FileSystem.remove(path)
                remove = true
            } else {
                try save(record)
            }
        }
    }

    /// Temporary files of writers that were killed before their rename.
    private func removeAbandonedTemporaries() {
        for name in (try? FileSystem.listDirectory(directory)) ?? [] {
            guard let writer = FileSystem.temporaryWriter(name), !Processes.isRunning(writer) else { continue }
            _ = try? FileSystem.remove("\(directory)/\(name)")
        }
    }

    /// Rewrite the network's rules and every member's mappings (firewall-reload).
    func reload(records: RecordStore) throws -> Int {
        let outcome = try FirewallLock.withLock(directory: directory, create: false) { _ throws -> Int in
            guard let record = try load(), !record.members.isEmpty else { return 0 }
            let attachments = record.members.compactMap { member -> FirewallAttachment? in
                guard let at = member.lastIndex(of: "/") else { return nil }
                let id = AttachmentID(containerID: String(member[..<at]), ifName: String(member[member.index(after: at)...]))
                return records.load(network: network, id: id)?.firewall
            }
            try record.network.kind.driver(stateDirectory: stateDirectory).reload(network: record.network, attachments: attachments)
            return attachments.count
        }
        return outcome ?? 0
    }

    /// Networks with firewall state under `stateDirectory`.
    static func networks(stateDirectory: String) throws -> [String] {
        (try FileSystem.listDirectory("\(stateDirectory)/.firewall") ?? []).sorted()
    }

    /// nil when nothing is recorded; an unreadable record is an error (the operation can be
    /// retried), never mistaken for "nothing to remove".
    private func load() throws -> Record? {
        guard let bytes = try FileSystem.readFile(path) else { return nil }
        do {
            return try JSONDecoder().decode(Record.self, from: Data(bytes))
        } catch {
            throw PontoonError(.io, "cannot read the firewall record \(path)", details: "\(error)")
        }
    }

    private func save(_ record: Record) throws {
        let bytes: [UInt8]
        do {
            bytes = Array(try JSONEncoder().encode(record))
        } catch {
            throw PontoonError(.system, "cannot encode the firewall record of network \(network)", details: "\(error)")
        }
        try FileSystem.writeAtomically(path, contents: bytes, mode: 0o600)
    }
}
