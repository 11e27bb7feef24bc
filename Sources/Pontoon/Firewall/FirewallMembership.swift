import WireCoding

/// First in, last out: which attachments of a network hold firewall state. Under
/// `<stateDir>/.firewall/<network>/`, changed only under the flock on `lock` there (`Locks.vanishing`;
/// everything goes with the network's last attachment):
///
/// - `network.json`: the network as its first member made it (the last DEL removes exactly that);
/// - `member.<record name>`: one file per member, what it asked the firewall for, written before
///   the rules, so a DEL whose ADD was killed before the attachment record existed still removes
///   exactly its host ports.
///
/// One file per member keeps ADD and DEL from decoding and rewriting every member's state: the
/// first member is the one that finds no `network.json`, the last the one that leaves no member
/// file (names read only until another member's, no file read). The first attachment to join makes the network's rules,
/// the last to leave removes them; concurrent ADDs and DELs of one network see each other's
/// membership, never a half-made network.
struct FirewallMembership {
    let stateDirectory: String
    let network: String
    /// Every driver comes from here, always of the kind the network was made with.
    let firewalls: FirewallFactory

    /// `network.json`. `members` and `states` are the layout before member files (one file for
    /// all): a record that still has them is moved to member files when it is next locked.
    struct Record: Codable {
        var network: FirewallNetwork
        var members: [String]? = nil
        var states: [String: FirewallAttachment]? = nil
    }

    /// `.firewall` cannot be a network name (they start with a letter or digit), so it never meets
    /// a network's record directory.
    var directory: String { "\(stateDirectory)/.firewall/\(network)" }
    private var path: String { "\(directory)/network.json" }
    private static let memberPrefix = "member."

    private func memberPath(_ id: AttachmentID) -> String { "\(directory)/\(Self.memberPrefix)\(RecordName.fileName(for: id))" }

    /// Names of the member files now (temporaries of killed writers are removed on the way).
    private func memberFiles() throws -> [String] {
        var members: [String] = []
        for name in try FileSystem.listDirectory(directory) ?? [] {
            if let writer = FileSystem.temporaryWriter(name) {
                if !Processes.isRunning(writer) { _ = try? FileSystem.remove("\(directory)/\(name)") }
            } else if name.hasPrefix(Self.memberPrefix) {
                members.append(name)
            }
        }
        return members
    }

    /// Whether a member other than `name` has a file, read only as far as the first one (a
    /// network of 1,000 members costs a DEL the same as one of two); temporaries of killed
    /// writers met on the way are removed. When no other member is left every name has been
    /// read, so the last member's DEL removes every abandoned temporary before the directory
    /// goes (and GC's `collect` lists them all); until then they are inert.
    private func anotherMember(than name: String) throws -> Bool {
        var found = false
        var abandoned: [String] = []
        try FileSystem.scanDirectory(directory) { entry in
            if let writer = FileSystem.temporaryWriter(entry) {
                if !Processes.isRunning(writer) { abandoned.append(entry) }
            } else if entry.hasPrefix(Self.memberPrefix), entry != name {
                found = true
                return false
            }
            return true
        }
        for entry in abandoned { _ = try? FileSystem.remove("\(directory)/\(entry)") }
        return found
    }

    /// Add the attachment's firewall state, and the network's when it is the first member. The
    /// membership is written first, so an ADD killed halfway leaves a member that DEL removes
    /// (tolerating what was never made), never rules that no record names.
    func join(_ attachment: FirewallAttachment, network definition: FirewallNetwork) throws {
        _ = try Locks.vanishing(directory, mode: .exclusive) { remove in
            let recorded = try migratedRecord()
            let mine = memberPath(attachment.id)
            // The network's record exists from its first join to its last leave: without it, this
            // is the first member (no listing, which would grow with the members). A member file
            // left by a first join killed before the record was written changes nothing: the
            // network is made now, as it was not then.
            let first = recorded == nil
            // The member file first: killed before `network.json`, the member's DEL finds no
            // network and removes just its file; killed after, it finds both.
            let previous = try FileSystem.readFile(mine)
            try FileSystem.writeAtomically(mine, contents: WireJSON.write(attachment), mode: 0o600)
            var network = definition
            do {
                if !first, let recorded {
                    network = recorded.network
                } else {
                    try save(Record(network: definition))
                }
                // Later members follow the driver the network was made with.
                try firewalls.driver(network.kind).add(attachment, network: network, firstInNetwork: first)
            } catch {
                if let previous {
                    try? FileSystem.writeAtomically(mine, contents: previous, mode: 0o600)
                } else {
                    _ = try? FileSystem.remove(mine)
                    if first {
                        _ = try? FileSystem.remove(path)
                        remove = true
                    }
                }
                throw error
            }
        }
    }

    /// Remove the attachment's firewall state (nil: it made none that is known), and the
    /// network's when no other member is left. Nothing recorded: nothing to do.
    func leave(_ id: AttachmentID, attachment: FirewallAttachment?) throws {
        _ = try Locks.vanishingIfPresent(directory, mode: .exclusive) { remove in
            let mine = memberPath(id)
            let name = String(mine.split(separator: "/").last!)
            let record = try migratedRecord()
            // The scan also removes temporaries of killed writers, so it runs before anything returns.
            let othersRemain = try anotherMember(than: name)
            guard let record else {
                _ = try FileSystem.remove(mine)
                remove = true
                return
            }
            let last = !othersRemain
            let driver = firewalls.driver(record.network.kind)
            // What this member recorded when it joined comes first; the caller's reconstruction otherwise.
            let state = try loadMember(mine) ?? attachment
            try driver.remove(state ?? FirewallAttachment(id: id, addresses: [], hostPorts: []),
                              network: record.network, lastInNetwork: last)
            _ = try FileSystem.remove(mine)
            if last {
                _ = try FileSystem.remove(path)
                remove = true
            }
        }
    }

    /// The network as recorded, for CHECK (nil when no attachment holds firewall state).
    func recorded() throws -> FirewallNetwork? { try load()?.network }

    /// GC: members that are neither valid nor recorded any more (their DEL was lost) leave, each
    /// removing the host ports it recorded; the network's rules go when no member is left.
    /// Abandoned temporary files are removed.
    func collect(keeping valid: Set<AttachmentID>, records: RecordStore) throws {
        _ = try Locks.vanishingIfPresent(directory, mode: .exclusive) { remove in
            let recordedNetwork = try migratedRecord()
            let files = try memberFiles()
            guard let record = recordedNetwork else {
                for name in files { _ = try FileSystem.remove("\(directory)/\(name)") }
                remove = true
                return
            }
            var gone: [(file: String, state: FirewallAttachment?)] = []
            var remaining = 0
            for name in files {
                let state = try loadMember("\(directory)/\(name)")
                if let state, valid.contains(state.id) {
                    remaining += 1
                } else {
                    gone.append((name, state))
                }
            }
            guard !gone.isEmpty || files.isEmpty else { return }
            let driver = firewalls.driver(record.network.kind)
            for (index, member) in gone.enumerated() {
                let lastInNetwork = remaining == 0 && index == gone.count - 1
                try driver.remove(member.state ?? FirewallAttachment(id: AttachmentID(containerID: "", ifName: ""), addresses: [], hostPorts: []),
                                  network: record.network, lastInNetwork: lastInNetwork)
                _ = try FileSystem.remove("\(directory)/\(member.file)")
            }
            if remaining == 0 {
                if gone.isEmpty {
                    // A network whose first member was killed before its member file: no rules are owned.
                    try driver.remove(FirewallAttachment(id: AttachmentID(containerID: "", ifName: ""), addresses: [], hostPorts: []),
                                      network: record.network, lastInNetwork: true)
                }
                _ = try FileSystem.remove(path)
                remove = true
            }
        }
    }

    /// Rewrite the network's rules and every member's mappings (firewall-reload).
    func reload(records: RecordStore) throws -> Int {
        let outcome = try Locks.vanishingIfPresent(directory, mode: .exclusive) { _ throws -> Int in
            let recorded = try migratedRecord()
            let files = try memberFiles()
            guard let record = recorded, !files.isEmpty else { return 0 }
            let attachments = try files.compactMap { name -> FirewallAttachment? in
                guard let member = try loadMember("\(directory)/\(name)") else { return nil }
                return records.load(network: network, id: member.id)?.firewall
            }
            try firewalls.driver(record.network.kind).reload(network: record.network, attachments: attachments)
            return attachments.count
        }
        return outcome ?? 0
    }

    /// Networks with firewall state under `stateDirectory`.
    static func networks(stateDirectory: String) throws -> [String] {
        (try FileSystem.listDirectory("\(stateDirectory)/.firewall") ?? []).sorted()
    }

    /// `network.json`; a record of the one-file layout first has its members moved to member files.
    private func migratedRecord() throws -> Record? {
        guard let record = try load() else { return nil }
        guard let members = record.members else { return record }
        for member in members {
            guard let at = member.lastIndex(of: "/") else { continue }
            let id = AttachmentID(containerID: String(member[..<at]), ifName: String(member[member.index(after: at)...]))
            let state = record.states?[member] ?? FirewallAttachment(id: id, addresses: [], hostPorts: [])
            try FileSystem.writeAtomically(memberPath(id), contents: WireJSON.write(state), mode: 0o600)
        }
        let migrated = Record(network: record.network)
        try save(migrated)
        return migrated
    }

    /// nil when nothing is recorded; an unreadable record is an error (the operation can be
    /// retried), never mistaken for "nothing to remove".
    private func load() throws -> Record? {
        guard let bytes = try FileSystem.readFile(path) else { return nil }
        do {
            return try WireJSON.read(Record.self, from: bytes)
        } catch {
            throw PontoonError(.io, "cannot read the firewall record \(path)", details: WireJSON.describe(any: error))
        }
    }

    private func loadMember(_ memberPath: String) throws -> FirewallAttachment? {
        guard let bytes = try FileSystem.readFile(memberPath) else { return nil }
        do {
            return try WireJSON.read(FirewallAttachment.self, from: bytes)
        } catch {
            throw PontoonError(.io, "cannot read the firewall member record \(memberPath)", details: WireJSON.describe(any: error))
        }
    }

    private func save(_ record: Record) throws {
        try FileSystem.writeAtomically(path, contents: WireJSON.write(record), mode: 0o600)
    }

}

extension FirewallMembership.Record: WireDecodable {
    /// Read without `Decodable`, as the synthesized `init(from:)` reads it.
    init(wire value: WireReader) throws {
        let object = try value.object()
        network = try object.decode(CodingKeys.network)
        members = try object.decodeIfPresent(CodingKeys.members) { try $0.array(String.self) }
        states = try object.decodeIfPresent(CodingKeys.states) { try $0.dictionary(FirewallAttachment.self) }
    }
}
