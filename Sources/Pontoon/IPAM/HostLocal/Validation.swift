import NetAddress

extension HostLocalConfig {
    /// The config checked and completed the way the reference host-local does it, before anything
    /// touches the disk: defaults filled in (gateway and rangeStart = the subnet's first address,
    /// rangeEnd = its last one, IPv4 broadcast excluded), every bound inside its subnet, one family
    /// per range set, no overlap anywhere, and a store path that cannot escape `dataDir`.
    /// Idempotent. Throws `.invalidConfiguration` naming the offending key and value.
    public func validated() throws -> HostLocalConfig { try validatedWithRangeSets().config }

    /// `validated()` and its range sets in the allocator's terms, each worked out once.
    func validatedWithRangeSets() throws -> (config: HostLocalConfig, rangeSets: [AllocationRangeSet]) {
        var config = try validatedStoreLocation()
        if let resolvConf, !resolvConf.isEmpty { _ = try ConfigPath.validated(resolvConf, key: "ipam.resolvConf") }
        let rangeSets = try validatedRangeSets()
        config.rangeSets = rangeSets.map { $0.ranges.map(\.model) }
        return (config, rangeSets)
    }

    /// The range sets in the allocator's terms, validated.
    /// Only where the store is (`dataDir`, network name): all that releasing a lease needs.
    func validatedStoreLocation() throws -> HostLocalConfig {
        var config = self
        config.dataDir = try Self.validatedDataDir(dataDir)
        try Self.validateNetworkName(networkName)
        return config
    }

    func validatedRangeSets() throws -> [AllocationRangeSet] {
        guard !rangeSets.isEmpty else { throw invalid("no IP ranges specified") }
        var sets: [AllocationRangeSet] = []
        for (index, ranges) in rangeSets.enumerated() {
            guard !ranges.isEmpty else { throw invalid("range set \(index) is empty") }
            let checked = try ranges.map(Self.validatedRange)
            for range in checked.dropFirst() where range.start.family != checked[0].start.family {
                throw invalid("range set \(index) mixes address families: \(checked[0].subnet) and \(range.subnet)")
            }
            for (i, a) in checked.enumerated() {
                for b in checked[(i + 1)...] where a.overlaps(b) {
                    throw invalid("range set \(index): ranges \(a) (subnet \(a.subnet)) and \(b) (subnet \(b.subnet)) overlap")
                }
            }
            sets.append(AllocationRangeSet(index: index, ranges: checked))
        }
        // One address per set would otherwise be able to come out of the same range twice.
        for (i, a) in sets.enumerated() {
            for b in sets[(i + 1)...] where a.ranges.contains(where: { r in b.ranges.contains(where: r.overlaps) }) {
                throw invalid("range set \(a.index) (\(a)) overlaps range set \(b.index) (\(b))")
            }
        }
        return sets
    }

    private static func validatedRange(_ range: AddressRange) throws -> AllocationRange {
        let subnet = range.subnet
        // A /31 or /32 (/127, /128) leaves nothing once the network address and gateway are taken.
        guard subnet.prefixLength <= subnet.family.bitWidth - 2 else {
            throw invalid("network \(subnet) too small to allocate from")
        }
        guard subnet.isNetworkAddress else {
            throw invalid("subnet \(subnet) has host bits set: its network is \(subnet.masked)")
        }
        let isIPv4 = subnet.family == .v4
        let firstHost = subnet.network.next!
        let lastHost = isIPv4 ? subnet.lastAddress.previous! : subnet.lastAddress

        func check(_ address: IPAddress, _ key: String) throws {
            // The message's start is written only for a message: interpolating it up front cost
            // ~4 K instructions a bound, in every ADD.
            func refuse(_ reason: String) -> PontoonError { invalid("range \(subnet): \(key) \(address) \(reason)") }
            guard address.family == subnet.family else {
                throw refuse("is IPv\(address.family.versionString) but the subnet is IPv\(subnet.family.versionString)")
            }
            guard subnet.contains(address) else { throw refuse("is outside the subnet") }
            guard address != subnet.network else { throw refuse("is the subnet's network address") }
            if isIPv4, address == subnet.lastAddress { throw refuse("is the subnet's broadcast address") }
        }

        let gateway = range.gateway ?? firstHost
        let start = range.rangeStart ?? firstHost
        let end = range.rangeEnd ?? lastHost
        if range.gateway != nil { try check(gateway, "gateway") }
        if range.rangeStart != nil { try check(start, "rangeStart") }
        if range.rangeEnd != nil { try check(end, "rangeEnd") }
        guard start <= end else { throw invalid("range \(subnet): rangeStart \(start) is after rangeEnd \(end)") }
        return AllocationRange(subnet: subnet, start: start, end: end, gateway: gateway)
    }

    /// The name becomes a directory under `dataDir`: it must stay one path component.
    private static func validateNetworkName(_ name: String) throws {
        func allowed(_ byte: UInt8, first: Bool) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
            case UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"): !first
            default: false
            }
        }
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty else { throw invalid("missing network name: it names the lease directory") }
        guard bytes.enumerated().allSatisfy({ allowed($1, first: $0 == 0) }) else {
            throw invalid("invalid network name \"\(name)\": it names the lease directory, so it must start with a letter or digit and hold only letters, digits, '_', '.' and '-'")
        }
    }

    /// An empty dataDir means the default; `..` is refused so a config cannot point the store (and
    /// the files DEL and GC remove) outside the tree the operator named.
    private static func validatedDataDir(_ dataDir: String) throws -> String {
        guard !dataDir.isEmpty else { return defaultDataDir }
        _ = try ConfigPath.validated(dataDir, key: "ipam.dataDir")
        // Drop trailing slashes so the store path is spelled one way (`/` itself stays). Over the
        // bytes: a slash is one byte, and a Substring's count walks every Character.
        var trimmed = Substring(dataDir).utf8
        while trimmed.count > 1, trimmed.last == UInt8(ascii: "/") { trimmed = trimmed.dropLast() }
        return String(Substring(trimmed))
    }
}

private func invalid(_ message: String) -> PontoonError {
    PontoonError(.invalidConfiguration, message)
}
