import Foundation
import NetAddress
import Pontoon
import Testing

@Suite("host-local config validation")
struct ValidationTests {
    /// A wrong config, the message that must name its culprit.
    struct Case: Sendable, CustomTestStringConvertible {
        var sets: [[AddressRange]]
        var name = "net1"
        var dataDir: String?
        var message: String
        var testDescription: String { message }
        /// The problem is where the store is (name, dataDir), not the ranges.
        var misplacesStore: Bool { name != "net1" || dataDir != nil }
    }

    static let cases: [Case] = [
        Case(sets: [], message: "no IP ranges specified"),
        Case(sets: [[range("10.1.0.0/24")], []], message: "range set 1 is empty"),
        Case(sets: [[range("10.0.0.0/31")]], message: "network 10.0.0.0/31 too small to allocate from"),
        Case(sets: [[range("10.0.0.0/32")]], message: "network 10.0.0.0/32 too small to allocate from"),
        Case(sets: [[range("fd00::/127")]], message: "network fd00::/127 too small to allocate from"),
        Case(sets: [[range("10.0.0.5/24")]], message: "subnet 10.0.0.5/24 has host bits set: its network is 10.0.0.0/24"),
        Case(sets: [[range("10.1.0.0/24", start: "10.2.0.5")]], message: "range 10.1.0.0/24: rangeStart 10.2.0.5 is outside the subnet"),
        Case(sets: [[range("10.1.0.0/24", end: "10.2.0.5")]], message: "range 10.1.0.0/24: rangeEnd 10.2.0.5 is outside the subnet"),
        Case(sets: [[range("10.1.0.0/24", gateway: "10.2.0.5")]], message: "range 10.1.0.0/24: gateway 10.2.0.5 is outside the subnet"),
        Case(sets: [[range("10.1.0.0/24", start: "fd00::1")]], message: "range 10.1.0.0/24: rangeStart fd00::1 is IPv6 but the subnet is IPv4"),
        Case(sets: [[range("10.1.0.0/24", start: "10.1.0.0")]], message: "range 10.1.0.0/24: rangeStart 10.1.0.0 is the subnet's network address"),
        Case(sets: [[range("10.1.0.0/24", end: "10.1.0.255")]], message: "range 10.1.0.0/24: rangeEnd 10.1.0.255 is the subnet's broadcast address"),
        Case(sets: [[range("10.1.0.0/24", start: "10.1.0.50", end: "10.1.0.10")]],
             message: "range 10.1.0.0/24: rangeStart 10.1.0.50 is after rangeEnd 10.1.0.10"),
        Case(sets: [[range("10.1.0.0/24"), range("fd00::/64")]], message: "range set 0 mixes address families: 10.1.0.0/24 and fd00::/64"),
        Case(sets: [[range("10.1.0.0/24"), range("10.1.0.0/25")]],
             message: "range set 0: ranges 10.1.0.1-10.1.0.254 (subnet 10.1.0.0/24) and 10.1.0.1-10.1.0.126 (subnet 10.1.0.0/25) overlap"),
        Case(sets: [[range("10.1.0.0/24")], [range("fd00::/64")], [range("10.1.0.0/25")]],
             message: "range set 0 (10.1.0.1-10.1.0.254) overlaps range set 2 (10.1.0.1-10.1.0.126)"),
        Case(sets: [[range("10.1.0.0/24")]], name: "../etc",
             message: "invalid network name \"../etc\": it names the lease directory, so it must start with a letter or digit and hold only letters, digits, '_', '.' and '-'"),
        Case(sets: [[range("10.1.0.0/24")]], name: "a/b",
             message: "invalid network name \"a/b\": it names the lease directory, so it must start with a letter or digit and hold only letters, digits, '_', '.' and '-'"),
        Case(sets: [[range("10.1.0.0/24")]], name: "", message: "missing network name: it names the lease directory"),
        Case(sets: [[range("10.1.0.0/24")]], dataDir: "/tmp/../etc", message: "invalid ipam.dataDir \"/tmp/../etc\": must be an absolute path without \"..\""),
        Case(sets: [[range("10.1.0.0/24")]], dataDir: "/tmp/..", message: "invalid ipam.dataDir \"/tmp/..\": must be an absolute path without \"..\""),
        // The kernel walks up at a `..` whatever follows the next slash.
        Case(sets: [[range("10.1.0.0/24")]], dataDir: "/tmp/../\u{301}etc",
             message: "invalid ipam.dataDir \"/tmp/../\u{301}etc\": must be an absolute path without \"..\""),
    ]

    @Test("an invalid config is refused with a message naming the culprit, before the store exists", arguments: cases)
    func refused(_ invalid: Case) throws {
        try withScratch { scratch throws in
            let config = HostLocalConfig(networkName: invalid.name, dataDir: invalid.dataDir ?? scratch.dataDir, rangeSets: invalid.sets)
            let error = #expect(throws: PontoonError.self) { try config.validated() }
            #expect(error?.kind == .invalidConfiguration)
            #expect(error?.message == invalid.message)

            // Every operation validates first, so none of them touches the disk. Releasing needs only
            // the store's location: bad ranges must not stop a DEL, a bad location must.
            let allocator = HostLocalAllocator(config: config)
            #expect(throws: PontoonError.self) { try allocator.allocate(for: attachment("c1")) }
            if invalid.misplacesStore {
                #expect(throws: PontoonError.self) { try allocator.release(id("c1")) }
            } else {
                try allocator.release(id("c1"))
            }
            #expect(throws: PontoonError.self) { try allocator.garbageCollect(keeping: []) }
            #expect(!Disk.exists(scratch.dataDir))
        }
    }

    @Test("defaults: gateway and rangeStart are the first address, rangeEnd the last (IPv4 broadcast excluded)")
    func defaults() throws {
        let config = HostLocalConfig(networkName: "net1", rangeSets: [[range("10.1.0.0/24")], [range("fd00:9::/120")]])
        let validated = try config.validated()
        #expect(validated.rangeSets == [
            [range("10.1.0.0/24", start: "10.1.0.1", end: "10.1.0.254", gateway: "10.1.0.1")],
            [range("fd00:9::/120", start: "fd00:9::1", end: "fd00:9::ff", gateway: "fd00:9::1")],
        ])
        #expect(validated.dataDir == "/var/lib/cni/networks")
        #expect(validated.storeDirectory == "/var/lib/cni/networks/net1")
        // Validating again changes nothing.
        #expect(try validated.validated().rangeSets == validated.rangeSets)
    }

    @Test("explicit bounds are kept; disjoint ranges of one subnet may share a set")
    func explicitBounds() throws {
        let config = HostLocalConfig(networkName: "my-net_2.0", dataDir: "/tmp/x/", rangeSets: [[
            range("10.1.0.0/24", start: "10.1.0.10", end: "10.1.0.20", gateway: "10.1.0.254"),
            range("10.1.0.0/24", start: "10.1.0.30", end: "10.1.0.40"),
        ]])
        let validated = try config.validated()
        #expect(validated.rangeSets[0][0] == range("10.1.0.0/24", start: "10.1.0.10", end: "10.1.0.20", gateway: "10.1.0.254"))
        #expect(validated.rangeSets[0][1] == range("10.1.0.0/24", start: "10.1.0.30", end: "10.1.0.40", gateway: "10.1.0.1"))
        #expect(validated.dataDir == "/tmp/x")
    }

    @Test("an empty dataDir means the default")
    func emptyDataDir() throws {
        let config = HostLocalConfig(networkName: "net1", dataDir: "", rangeSets: [[range("10.1.0.0/24")]])
        #expect(try config.validated().dataDir == HostLocalConfig.defaultDataDir)
    }

    @Test("a /30 leaves one address once the gateway is skipped")
    func smallestSubnet() throws {
        try withAllocator([[range("10.1.0.0/30")]]) { allocator, scratch throws in
            #expect(try allocator.allocate(for: attachment("c1")).cidrs == ["10.1.0.2/30"])
            let error = #expect(throws: PontoonError.self) { try allocator.allocate(for: attachment("c2")) }
            #expect(error?.kind == .addressesExhausted)
            #expect(error?.message == "no IP addresses available in range set 10.1.0.1-10.1.0.2")
        }
    }
}
