import NetAddress

/// host-local served in-process, with the reference plugin's semantics and on-disk store: one
/// address from each range set, requested addresses honoured all-or-nothing, round-robin otherwise.
/// Each operation holds the store's flock from start to end, so Pontoon, the reference plugin and
/// concurrent threads can all allocate from one directory.
public struct HostLocalAllocator: AddressAllocator, Sendable {
    /// The config as given; every operation validates it first (microseconds), so an invalid config
    /// is refused before any file is touched.
    public let config: HostLocalConfig

    public init(config: HostLocalConfig) {
        self.config = config
    }

    /// The validated, completed config and its range sets.
    private struct Plan {
        var config: HostLocalConfig
        var rangeSets: [AllocationRangeSet]
        var store: LeaseStore { LeaseStore(directory: config.storeDirectory, lockTimeout: config.lockTimeout) }
    }

    private func plan() throws -> Plan {
        // The range sets as validation made them: the completed config would only give the same
        // again (validation is idempotent), at twice the cost.
        let (validated, rangeSets) = try config.validatedWithRangeSets()
        return Plan(config: validated, rangeSets: rangeSets)
    }

    /// The lease store of this network (`<dataDir>/<networkName>`), once the config is valid.
    public func leaseStore() throws -> LeaseStore { try plan().store }

    // MARK: ADD

    public func allocate(for id: AttachmentID, requesting requestedIPs: [IPAddress]) throws -> IPAMResult {
        let plan = try plan()
        // Everything that can be refused without the store is refused before it is created.
        let requested = try requestedAddressesBySet(requestedIPs, plan: plan)
        var dns = DNS()
        if let path = plan.config.resolvConf, !path.isEmpty { dns = try ResolvConf.read(path) }
        let store = plan.store
        let addresses = try store.withLock(createDirectory: true) {
            try reserve(for: id, requested: requested, sets: plan.rangeSets, in: store)
        } ?? []
        return IPAMResult(addresses: addresses, routes: plan.config.routes, dns: dns)
    }

    /// Each requested address mapped to the index of the range set that will serve it.
    private func requestedAddressesBySet(_ addresses: [IPAddress], plan: Plan) throws -> [Int: IPAddress] {
        let rangeSets = plan.rangeSets
        var bySet: [Int: IPAddress] = [:]
        for address in addresses.map(Self.canonical) {
            if let range = rangeSets.lazy.flatMap(\.ranges).first(where: { $0.gateway == address }) {
                throw PontoonError(.invalidConfiguration, "requested IP \(address) is the gateway of range \(range) (subnet \(range.subnet))")
            }
            guard let set = rangeSets.first(where: { $0.contains(address) }) else {
                throw PontoonError(.addressUnavailable, "requested IP address \(address) is outside every range set of network \(plan.config.networkName)",
                                   details: "range sets: " + rangeSets.map(\.description).joined(separator: "; "))
            }
            if let other = bySet[set.index], other != address {
                throw PontoonError(.invalidConfiguration, "requested IPs \(other) and \(address) are both in range set \(set)",
                                   details: "one address is allocated from each range set")
            }
            bySet[set.index] = address
        }
        return bySet
    }

    /// Runs with the lock held: one address per range set, or none at all.
    ///
    /// Its work does not grow with the network while the lease index is complete (`LeaseIndex`):
    /// the attachment's own entries are read for the duplicate check, and candidates are tried with
    /// O_EXCL from the last reservation on, as the reference does. Otherwise every lease is read
    /// once (the index is rebuilt from them) and known leases are skipped.
    private func reserve(for id: AttachmentID, requested: [Int: IPAddress], sets rangeSets: [AllocationRangeSet],
                         in store: LeaseStore) throws -> [AssignedAddress] {
        let index = store.index
        let exact = Lease.Holder.attachment(AttachmentID(containerID: Lease.trimmingSpace(id.containerID), ifName: id.ifName))
        let legacy = Lease.Holder.container(exact.containerID)
        var lastReservedNow: [String: String?] = [:]
        for set in rangeSets { lastReservedNow[LeaseStore.lastReservedPrefix + String(set.index)] = store.lastReservedText(rangeSetIndex: set.index) }

        // This attachment's leases, and (without a complete index) every lease.
        var held: [Lease]
        var leased: Set<IPAddress>?
        var lastReserved: [String: String]
        if let marker = index.current(lastReserved: lastReservedNow) {
            held = []
            for holder in [exact, legacy] {
                for address in index.addresses(of: holder) ?? [] {
                    if let found = try store.holder(of: address), found == holder { held.append(Lease(address: address, holder: found)) }
                }
            }
            lastReserved = marker.lastReserved
        } else {
            let all = try store.readAll()
            held = all.leases.filter { $0.holder.belongs(to: id) }
            leased = Set(all.leases.map(\.address))
            lastReserved = all.lastReserved
        }
        for lease in held where rangeSets.contains(where: { $0.contains(lease.address) }) {
            // The spec forbids a second ADD for one attachment; handing out another address would leak one.
            throw PontoonError(.conflict, "\(lease.address) has been allocated to \(lease.holder.containerID), duplicate allocation is not allowed")
        }
        // The entry keeps what the attachment holds elsewhere (another range-set configuration).
        let keptElsewhere = held.filter { $0.holder == exact }.map(\.address)

        var reserved: [IPAddress] = []
        var assigned: [AssignedAddress] = []
        /// The entry names a lease before its file exists: a reservation killed halfway is still found.
        func tryReserve(_ address: IPAddress, set: AllocationRangeSet) throws -> Bool {
            try index.record(exact, addresses: keptElsewhere + reserved + [address])
            return try store.reserve(address, for: id, rangeSetIndex: set.index)
        }
        do {
            for set in rangeSets {
                let address: IPAddress
                if let wanted = requested[set.index] {
                    guard try tryReserve(wanted, set: set) else {
                        let holder = try? store.holder(of: wanted)
                        throw PontoonError(.addressUnavailable, "requested IP address \(wanted) is not available in range set \(set)",
                                           details: holder.map { "it is leased to \($0)" })
                    }
                    address = wanted
                } else {
                    var found: IPAddress?
                    let last = lastReservedNow[LeaseStore.lastReservedPrefix + String(set.index)]?.flatMap { IPAddress(Lease.trimmingSpace($0)) }
                    for candidate in set.candidates(after: last)
                    where !(leased?.contains(candidate) ?? false) {
                        if try tryReserve(candidate, set: set) {
                            found = candidate
                            break
                        }
                    }
                    guard let found else {
                        throw PontoonError(.addressesExhausted, "no IP addresses available in range set \(set)")
                    }
                    address = found
                }
                reserved.append(address)
                lastReserved[LeaseStore.lastReservedPrefix + String(set.index)] = address.description
                let range = set.range(containing: address)!
                assigned.append(AssignedAddress(address: IPNetwork(address: address, prefixLength: range.subnet.prefixLength)!,
                                                gateway: range.gateway))
            }
            try index.settle(lastReserved: lastReserved)
        } catch {
            // All or nothing: give back what this call took (and only that). The index is brought
            // back to match, or, if that fails, left for the next operation to rebuild.
            var undone = true
            for address in reserved where (try? store.removeLease(address)) == nil { undone = false }
            do {
                guard undone else { throw error }
                if keptElsewhere.isEmpty { try index.forget(exact) } else { try index.record(exact, addresses: keptElsewhere) }
                // The reservations rewrote last_reserved_ip: the marker must say so.
                for set in rangeSets { lastReserved[LeaseStore.lastReservedPrefix + String(set.index)] = store.lastReservedText(rangeSetIndex: set.index) }
                try index.settle(lastReserved: lastReserved)
            } catch {
                index.invalidate()
            }
            throw error
        }
        return assigned
    }

    /// An IPv4-mapped IPv6 address (`::ffff:10.9.0.5`) means its IPv4 address, as Go's To4() has it.
    static func canonical(_ address: IPAddress) -> IPAddress {
        guard case .v6(let v6) = address, v6.high == 0, v6.low >> 32 == 0xffff else { return address }
        return .v4(IPv4Address(UInt32(truncatingIfNeeded: v6.low)))
    }

    // MARK: DEL, CHECK, GC

    /// Idempotent: succeeds when nothing is held or the store does not exist (and creates nothing).
    /// Needs only the store's location, so a DEL whose config lost or broke its ranges still releases.
    public func release(_ id: AttachmentID) throws {
        let store = LeaseStore(directory: try config.validatedStoreLocation().storeDirectory)
        _ = try store.withLock(createDirectory: false) { try store.release(id) }
    }

    /// Every address must be leased to this attachment (a legacy lease naming only its container
    /// counts, as in the reference). With no addresses, at least one lease must be held.
    public func check(_ id: AttachmentID, addresses: [IPAddress]) throws {
        let plan = try plan()
        let store = plan.store
        let checked: Void? = try store.withLock(createDirectory: false) {
            if addresses.isEmpty {
                guard try store.leases().contains(where: { $0.holder.belongs(to: id) }) else {
                    throw PontoonError(.checkFailed, "no address is leased to \(id) in \(store.directory)")
                }
            }
            for address in addresses.map(Self.canonical) {
                guard plan.rangeSets.contains(where: { $0.contains(address) }) else {
                    throw PontoonError(.checkFailed, "\(address) of \(id) is outside every range set of network \(plan.config.networkName)")
                }
                guard let holder = try store.holder(of: address) else {
                    throw PontoonError(.checkFailed, "\(address) of \(id) has no lease in \(store.directory)")
                }
                guard holder.belongs(to: id) else {
                    throw PontoonError(.checkFailed, "\(address) is leased to \(holder), not to \(id)")
                }
            }
        }
        if checked == nil {
            throw PontoonError(.checkFailed, "no address is leased to \(id): \(store.directory) does not exist")
        }
    }

    /// Removes every lease not held by one of `valid`; succeeds when the store does not exist.
    public func garbageCollect(keeping valid: Set<AttachmentID>) throws {
        let store = try plan().store
        _ = try store.withLock(createDirectory: false) { try store.garbageCollect(keeping: valid) }
    }

    /// CNI STATUS: the config is valid, leases can be written, and every range set has a free
    /// address. Reads the directory without locking or creating anything.
    public func readiness() throws {
        let plan = try plan()
        let store = plan.store
        guard FileSystem.isWritable(store.directory) else {
            throw PontoonError(.notReady, "cannot write leases: \(store.directory) is not writable")
        }
        let leased = try store.leasedAddresses()
        for set in plan.rangeSets {
            let used = UInt64(Set(leased.filter(set.contains)).count)
            if used >= set.capacity {
                throw PontoonError(.notReady, "no IP addresses available in range set \(set)")
            }
        }
    }

    /// The leases in this network's store (for inspection); empty when the store does not exist.
    public func leases() throws -> [Lease] {
        let store = try plan().store
        return try store.withLock(createDirectory: false) { try store.leases() } ?? []
    }
}
