import Glibc
import NetAddress

/// A host-local lease directory, byte-compatible with the reference plugin so both can serve one
/// network at the same time:
///
/// - `<store>/lock`: empty, flocked for the whole of every operation;
/// - `<store>/<ip>` (Go's text form of the address): `<containerID>\r\n<ifname>`, created with O_EXCL;
/// - `<store>/last_reserved_ip.<n>`: the address last reserved in range set `n`, for round-robin;
/// - `<store>/.pontoon-index/`: Pontoon's index of who holds which lease (`LeaseIndex`), only
///   while the store holds leases.
///
/// Every method except `withLock` expects the caller to hold the lock.
public struct LeaseStore: Sendable {
    public static let lastReservedPrefix = "last_reserved_ip."
    /// Lease and bookkeeping files are private to root: they name containers.
    static let fileMode: mode_t = 0o600

    public let directory: String
    public let lockTimeout: Duration

    public init(directory: String, lockTimeout: Duration = Locks.defaultTimeout) {
        self.directory = directory
        self.lockTimeout = lockTimeout
    }

    /// Runs `body` holding the store's lock; nil (and nothing created) when the store does not exist
    /// and `createDirectory` is false.
    public func withLock<T>(createDirectory: Bool, _ body: () throws -> T) throws -> T? {
        try Locks.serialising(directory, createDirectory: createDirectory, timeout: lockTimeout, body)
    }

    func path(_ name: String) -> String { directory + "/" + name }

    /// The addresses that have a lease file, from the names alone (no file is read). Only names that
    /// are an address in Go's text form are leases (the only names either plugin creates): `lock`
    /// and `last_reserved_ip.*` never are.
    public func leasedAddresses() throws -> [IPAddress] {
        try (FileSystem.listDirectory(directory) ?? []).compactMap { name in
            IPAddress(name).flatMap { $0.description == name ? $0 : nil }
        }
    }

    /// The holder written in one lease file; nil when the file is gone or is not a regular file
    /// (a directory or symlink named like an address is no lease).
    public func holder(of address: IPAddress) throws -> Lease.Holder? {
        // Read whole: the holder's container id has no length limit.
        try FileSystem.readFile(path(address.description), absentOn: [ENOENT, EISDIR, ELOOP])
            .map { Lease.Holder(contents: String(decoding: $0, as: UTF8.self)) }
    }

    /// Every lease whose address satisfies `filter` (the filter runs before any file is read).
    public func leases(where filter: (IPAddress) -> Bool = { _ in true }) throws -> [Lease] {
        try leasedAddresses().filter(filter).sorted().compactMap { address in
            try holder(of: address).map { Lease(address: address, holder: $0) }
        }
    }

    /// Atomically claims `address` for `id` (O_EXCL) and records it as range set `rangeSetIndex`'s
    /// last reservation; false when someone holds it already.
    public func reserve(_ address: IPAddress, for id: AttachmentID, rangeSetIndex: Int) throws -> Bool {
        let leasePath = path(address.description)
        let contents = Array(Lease.Holder.contents(for: id).utf8)
        guard try FileSystem.createExclusive(leasePath, contents: contents, mode: Self.fileMode) else { return false }
        do {
            try FileSystem.writeFile(path(Self.lastReservedPrefix + String(rangeSetIndex)),
                                     contents: Array(address.description.utf8), mode: Self.fileMode)
        } catch {
            // A reservation the caller never hears about must not stay behind.
            _ = try? FileSystem.remove(leasePath)
            throw error
        }
        return true
    }

    /// Removes one lease file; false when it was already gone.
    @discardableResult
    public func removeLease(_ address: IPAddress) throws -> Bool {
        try FileSystem.remove(path(address.description))
    }

    /// What `last_reserved_ip.<index>` holds (nil when absent, empty or unreadable).
    func lastReservedText(rangeSetIndex index: Int) -> String? {
        guard let bytes = try? FileSystem.readFile(path(Self.lastReservedPrefix + String(index)), limit: 256),
              !bytes.isEmpty else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The address last reserved in range set `index`, if recorded and readable.
    public func lastReservedAddress(rangeSetIndex index: Int) -> IPAddress? {
        lastReservedText(rangeSetIndex: index).flatMap { IPAddress(Lease.trimmingSpace($0)) }
    }

    var index: LeaseIndex { LeaseIndex(store: directory) }

    /// Every lease and every `last_reserved_ip.*` file's contents, from one listing; then the index
    /// rebuilt from them (unless it is known complete). What an operation does when the index
    /// cannot answer.
    func readAll(rebuildingIndex rebuild: Bool = true) throws -> (leases: [Lease], lastReserved: [String: String]) {
        var addresses: [IPAddress] = []
        var lastReserved: [String: String] = [:]
        var indexFound = false
        for name in try FileSystem.listDirectory(directory) ?? [] {
            if name == LeaseIndex.directoryName || name == LeaseIndex.formerCacheName {
                indexFound = true
            } else if let address = IPAddress(name), address.description == name {
                addresses.append(address)
            } else if name.hasPrefix(Self.lastReservedPrefix),
                      let bytes = try? FileSystem.readFile(path(name), limit: 256), !bytes.isEmpty {
                lastReserved[name] = String(decoding: bytes, as: UTF8.self)
            }
        }
        let leases = try addresses.sorted().compactMap { address in
            try holder(of: address).map { Lease(address: address, holder: $0) }
        }
        if rebuild { try index.rebuild(from: leases, lastReserved: lastReserved, indexFound: indexFound) }
        return (leases, lastReserved)
    }

    /// Removes the attachment's leases, as the reference's DEL does: files holding exactly
    /// `<containerID>\r\n<ifname>`; when there are none, legacy files holding only the container id.
    /// Every matching file is attempted; the first failure is reported after that.
    ///
    /// With the index complete, only the lease files its entries name are read. Otherwise (and when
    /// the index knows nothing of this attachment: a repeated DEL, a lease written by another
    /// plugin) every lease is read, as the reference does.
    @discardableResult
    public func release(_ id: AttachmentID) throws -> [IPAddress] {
        let index = self.index
        let containerID = Lease.trimmingSpace(id.containerID)
        let exact = Lease.Holder.attachment(AttachmentID(containerID: containerID, ifName: id.ifName))
        let legacy = Lease.Holder.container(containerID), abandonedHolder = Lease.Holder.container("")
        let marker = index.current()
        var matching: [Lease] = [], abandoned: [Lease] = [], lastReserved: [String: String] = [:]
        if let marker {
            // Read (never trust) what the entries name.
            func held(by holder: Lease.Holder) throws -> [Lease] {
                try (index.addresses(of: holder) ?? []).compactMap { address in
                    try self.holder(of: address).flatMap { $0 == holder ? Lease(address: address, holder: $0) : nil }
                }
            }
            matching = try held(by: exact)
            if matching.isEmpty { matching = try held(by: legacy) }
            if !matching.isEmpty { abandoned = try held(by: abandonedHolder) }
            lastReserved = marker.lastReserved
        }
        var othersLeft = true
        if matching.isEmpty {
            let all = try readAll(rebuildingIndex: marker == nil)
            matching = all.leases.filter { $0.holder == exact }
            if matching.isEmpty { matching = all.leases.filter { $0.holder == legacy } }
            // An empty lease file is a reservation whose process died between creating the file and
            // writing its holder (we hold the lock, so nobody is writing it now). No holder can ever
            // name it, so every release takes it; a netavark teardown has no GC to do it later.
            abandoned = all.leases.filter { $0.holder == abandonedHolder }
            lastReserved = all.lastReserved
            othersLeft = all.leases.count > matching.count + abandoned.count
        }
        let removed = try removeAll(matching.map(\.address) + abandoned.map(\.address))
        // Every lease was read and none is left: whatever the index still says goes with them.
        guard othersLeft else {
            try index.rebuild(from: [], lastReserved: lastReserved)
            return removed
        }
        // The attachment's entry goes even when it named nothing held (an ADD killed before its
        // lease file existed).
        for holder in Set([exact] + matching.map(\.holder) + abandoned.map(\.holder)) { try index.forget(holder) }
        try index.settle(lastReserved: lastReserved)
        return removed
    }

    /// Removes every lease not held by one of `valid`. A legacy file (container id only) stays when
    /// any valid attachment belongs to that container: it cannot say which interface it was for.
    @discardableResult
    public func garbageCollect(keeping valid: Set<AttachmentID>) throws -> [IPAddress] {
        let validPairs = Set(valid.map { AttachmentID(containerID: Lease.trimmingSpace($0.containerID), ifName: $0.ifName) })
        let validContainers = Set(validPairs.map(\.containerID))
        let all = try readAll()
        let stale = all.leases.filter { lease in
            switch lease.holder {
            case .attachment(let id): !validPairs.contains(id)
            case .container(let containerID): !validContainers.contains(containerID)
            }
        }
        let removed = try removeAll(stale.map(\.address))
        for holder in Set(stale.map(\.holder)) { try index.forget(holder) }
        try index.settle(lastReserved: all.lastReserved)
        return removed
    }

    private func removeAll(_ addresses: [IPAddress]) throws -> [IPAddress] {
        var removed: [IPAddress] = []
        var firstError: (any Error)?
        for address in addresses {
            do {
                if try removeLease(address) { removed.append(address) }
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        if let firstError { throw firstError }
        return removed
    }
}
