import Glibc
import NetAddress

/// Who holds which lease, kept beside the leases so ADD and DEL find an attachment's leases with
/// a few opens instead of listing (and reading) every lease of the network, which is what the
/// reference plugin does and what made our ADD grow with the number of containers.
///
/// In the store, under `.pontoon-index/`:
/// - `by-holder/<hash of the holder>`: the addresses one holder (an attachment, a legacy container
///   id, or the empty holder of an abandoned reservation) has leases for. ADD writes its entry
///   *before* creating each lease file, so every lease Pontoon makes is named by an entry before it
///   exists; an entry may name more (a reservation that failed, a lease someone else removed), so
///   every address an entry gives is checked against its lease file before anything is decided.
/// - `marker`: the store directory's inode and ctime, and the `last_reserved_ip.*` contents, as
///   the last Pontoon operation that brought the index up to date left them. The index is trusted
///   to be complete only while both still match: any file created or removed in the store by
///   anyone (the reference plugin, an older Pontoon, an operation of ours killed halfway) changes the
///   directory's ctime, and every reservation of either plugin rewrites `last_reserved_ip.<set>`
///   (which also covers file systems whose timestamps are too coarse to tell two changes apart).
///   When they do not match, the operation lists and reads every lease once and rebuilds the index.
///
/// The reference plugin reads every file under the store when it looks leases up by container (it
/// walks subdirectories too) and removes those whose trimmed contents equal `<id>\r\n<ifname>` or
/// `<id>`: an index file starts with a header line and never equals either, so it is never taken
/// for a lease. The index goes with the last lease, so an emptied store looks as the reference
/// leaves it. Every method expects the caller to hold the store's lock.
struct LeaseIndex {
    static let directoryName = ".pontoon-index"
    /// The per-name cache an earlier Pontoon kept in the store; removed when the index is rebuilt.
    static let formerCacheName = ".pontoon-holders"
    private static let entryHeader = "pontoon-lease-index 1"
    private static let markerHeader = "pontoon-lease-marker 1"

    let store: String
    var directory: String { store + "/" + Self.directoryName }
    private var entries: String { directory + "/by-holder" }
    private var markerPath: String { directory + "/marker" }

    // MARK: Entries

    private func entryPath(_ holder: Lease.Holder) -> String {
        entries + "/" + RecordName.hash(Self.canonical(holder))
    }

    /// The first lines of an entry: which holder it is for (a hash collision then reads as no entry).
    private static func prefix(_ holder: Lease.Holder) -> String {
        switch holder {
        case .attachment(let id): "\(entryHeader)\nattachment\n\(id.containerID)\n\(id.ifName)\n"
        case .container(let containerID): "\(entryHeader)\ncontainer\n\(containerID)\n"
        }
    }

    private static func canonical(_ holder: Lease.Holder) -> String {
        switch holder {
        case .attachment(let id): "A" + id.containerID + "\r\n" + id.ifName
        case .container(let containerID): "C" + containerID
        }
    }

    /// The addresses `holder`'s entry names; nil when there is no entry, or one cut short or for
    /// another holder (the caller then treats the holder as unknown).
    func addresses(of holder: Lease.Holder) -> [IPAddress]? {
        guard let bytes = try? FileSystem.readFile(entryPath(holder), limit: 1 << 20, absentOn: [ENOENT, ENOTDIR, EISDIR, ELOOP]) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        let prefix = Self.prefix(holder)
        guard text.hasPrefix(prefix), text.hasSuffix("\n") else { return nil }
        let lines = text.dropFirst(prefix.count).dropLast().split(separator: "\n", omittingEmptySubsequences: false)
        guard let last = lines.last, last == "end \(lines.count - 1)" else { return nil }
        var addresses: [IPAddress] = []
        for line in lines.dropLast() {
            guard let address = IPAddress(String(line)) else { return nil }
            addresses.append(address)
        }
        return addresses
    }

    /// Writes `holder`'s entry (in place: the lock is held, and a write cut short reads as none).
    func record(_ holder: Lease.Holder, addresses: [IPAddress]) throws {
        // Appended, not joined(): that generic's first use in a process costs 0.1 M instructions.
        var text = Self.prefix(holder)
        for address in addresses { text += address.description + "\n" }
        text += "end \(addresses.count)\n"
        let path = entryPath(holder)
        do {
            try FileSystem.writeFile(path, contents: Array(text.utf8), mode: LeaseStore.fileMode)
        } catch {
            // The first entry of the store: make the directories, once.
            try FileSystem.makeDirectories(entries, mode: 0o700)
            try FileSystem.writeFile(path, contents: Array(text.utf8), mode: LeaseStore.fileMode)
        }
    }

    /// Removes `holder`'s entry (nothing when it has none).
    func forget(_ holder: Lease.Holder) throws {
        try FileSystem.remove(entryPath(holder))
    }

    // MARK: Marker

    /// What the store looked like when the index was last known complete.
    struct Marker: Equatable {
        var inode: UInt64
        var ctimeSeconds: Int
        var ctimeNanoseconds: Int
        /// `last_reserved_ip.<set>` file name -> its contents.
        var lastReserved: [String: String]
    }

    /// The store directory's identity and ctime now.
    private func stamp() throws -> (inode: UInt64, seconds: Int, nanoseconds: Int) {
        var info = stat()
        guard stat(store, &info) == 0 else { throw FileSystem.ioError("cannot inspect", store, errno: errno) }
        return (UInt64(info.st_ino), info.st_ctim.tv_sec, info.st_ctim.tv_nsec)
    }

    func marker() -> Marker? {
        guard let bytes = try? FileSystem.readFile(markerPath, limit: 1 << 16, absentOn: [ENOENT, ENOTDIR, EISDIR, ELOOP]),
              bytes.last == UInt8(ascii: "\n") else { return nil }
        // Read as bytes: the marker is ASCII, and String's generic splitting and joining of the
        // same 90 bytes cost 0.24 M instructions, a tenth of an ADD's user-space work.
        let lines = bytes.dropLast().split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        guard lines.count >= 3, String(decoding: lines[0], as: UTF8.self) == Self.markerHeader else { return nil }
        let words = lines.dropFirst().map { $0.split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) } }
        guard let store = words.first, store.count == 4, store[0] == "store",
              let inode = UInt64(store[1]), let seconds = Int(store[2]), let nanoseconds = Int(store[3]),
              words.last == ["end", String(lines.count - 3)] else { return nil }
        var lastReserved: [String: String] = [:]
        for fields in words.dropFirst().dropLast() {
            guard fields.count == 2, fields[0].hasPrefix(LeaseStore.lastReservedPrefix) else { return nil }
            lastReserved[fields[0]] = fields[1]
        }
        return Marker(inode: inode, ctimeSeconds: seconds, ctimeNanoseconds: nanoseconds, lastReserved: lastReserved)
    }

    /// The marker, when the index is complete: nothing in the store was created or removed since it
    /// was written, and each of `lastReserved` (file name -> contents now, nil when absent) is as it says.
    func current(lastReserved: [String: String?] = [:]) -> Marker? {
        guard let marker = marker(), let now = try? stamp(),
              marker.inode == now.inode, marker.ctimeSeconds == now.seconds, marker.ctimeNanoseconds == now.nanoseconds,
              lastReserved.allSatisfy({ marker.lastReserved[$0.key] == $0.value }) else { return nil }
        return marker
    }

    /// Declares the index complete for the store as it is now, after an operation brought it up to
    /// date; or, when no entry is left, removes the index (an emptied store looks as the reference
    /// leaves it). Last step of every operation that changed the store.
    func settle(lastReserved: [String: String]) throws {
        if rmdir(entries) != 0, errno == ENOTEMPTY {
            let now = try stamp()
            // A contents the marker cannot hold (never an address) is left out: it then never matches.
            let kept = lastReserved.filter { !$0.value.isEmpty && !$0.value.contains(where: { $0 == " " || $0 == "\n" }) }
            var text = Self.markerHeader + "\nstore \(now.inode) \(now.seconds) \(now.nanoseconds)\n"
            for (name, contents) in kept.sorted(by: { $0.key < $1.key }) { text += name + " " + contents + "\n" }
            text += "end \(kept.count)\n"
            try FileSystem.writeFile(markerPath, contents: Array(text.utf8), mode: LeaseStore.fileMode)
        } else {
            try FileSystem.remove(markerPath)
            rmdir(directory)
        }
    }

    /// Makes the next operation rebuild the index (after a change the index may not describe).
    func invalidate() {
        _ = try? FileSystem.remove(markerPath)
    }

    /// Replaces the index by one made from `leases` (every lease of the store, just read) and
    /// declares it complete. `indexFound`: the store's listing, just made under the lock, showed an
    /// index or the former cache; when it did not, there is nothing to clear first (a network's
    /// first ADD: six calls that could only fail), and with no lease nothing to write either.
    func rebuild(from leases: [Lease], lastReserved: [String: String], indexFound: Bool = true) throws {
        if indexFound {
            invalidate()
            _ = try? FileSystem.remove(store + "/" + Self.formerCacheName)
        }
        var byHolder: [String: (holder: Lease.Holder, addresses: [IPAddress])] = [:]
        for lease in leases {
            byHolder[Self.canonical(lease.holder), default: (lease.holder, [])].addresses.append(lease.address)
        }
        guard indexFound || !byHolder.isEmpty else { return }
        if indexFound {
            let kept = Set(byHolder.keys.map(RecordName.hash))
            for name in try FileSystem.listDirectory(entries) ?? [] where !kept.contains(name) {
                try FileSystem.remove(entries + "/" + name)
            }
        }
        for entry in byHolder.values { try record(entry.holder, addresses: entry.addresses.sorted()) }
        try settle(lastReserved: lastReserved)
    }
}
