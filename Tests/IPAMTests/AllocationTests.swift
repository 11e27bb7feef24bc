import Foundation
import NetAddress
import Pontoon
import Testing

@Suite("host-local allocation")
struct AllocationTests {
    /// 10.9.0.0/29: range 10.9.0.1-10.9.0.6, gateway 10.9.0.1, so five addresses.
    static let small = [[range("10.9.0.0/29")]]

    @Test("addresses come in order, skipping the gateway, with the subnet's prefix and gateway")
    func sequence() throws {
        try withAllocator(Self.small) { allocator, scratch throws in
            let first = try allocator.allocate(for: attachment("c1"))
            #expect(first.addresses == [AssignedAddress(address: net("10.9.0.2/29"), gateway: ip("10.9.0.1"))])
            #expect(try allocator.allocate(for: attachment("c2")).cidrs == ["10.9.0.3/29"])
            #expect(try allocator.allocate(for: attachment("c3")).cidrs == ["10.9.0.4/29"])
            #expect(Disk.leaseNames(scratch.store()) == ["10.9.0.2", "10.9.0.3", "10.9.0.4"])
        }
    }

    @Test("round-robin: a released address is not handed out again until the set wraps around")
    func roundRobinWraps() throws {
        try withAllocator(Self.small) { allocator, scratch throws in
            #expect(try allocator.allocate(for: attachment("c1")).cidrs == ["10.9.0.2/29"])
            #expect(try allocator.allocate(for: attachment("c2")).cidrs == ["10.9.0.3/29"])
            try allocator.release(id("c1"))
            #expect(try allocator.allocate(for: attachment("c3")).cidrs == ["10.9.0.4/29"])
            #expect(try allocator.allocate(for: attachment("c4")).cidrs == ["10.9.0.5/29"])
            #expect(try allocator.allocate(for: attachment("c5")).cidrs == ["10.9.0.6/29"])
            // After the range's end (.6): wrap to its start, skip the gateway .1; .2 is free again.
            #expect(try allocator.allocate(for: attachment("c6")).cidrs == ["10.9.0.2/29"])
            #expect(Disk.text(scratch.store() + "/last_reserved_ip.0") == "10.9.0.2")
        }
    }

    @Test("exhaustion names the range set and leaves nothing behind")
    func exhaustion() throws {
        try withAllocator(Self.small) { allocator, scratch throws in
            for n in 1...5 { _ = try allocator.allocate(for: attachment("c\(n)")) }
            let before = Disk.names(scratch.store())
            let error = #expect(throws: PontoonError.self) { try allocator.allocate(for: attachment("c6")) }
            #expect(error?.kind == .addressesExhausted)
            #expect(error?.message == "no IP addresses available in range set 10.9.0.1-10.9.0.6")
            #expect(Disk.names(scratch.store()) == before)
        }
    }

    @Test("a last_reserved_ip outside the set restarts at the first range's start")
    func lastReservedOutsideSet() throws {
        try withAllocator(Self.small, leasedTo: ["c1"]) { allocator, scratch throws in
            try Disk.write("192.168.7.7", to: scratch.store() + "/last_reserved_ip.0")
            #expect(try allocator.allocate(for: attachment("c2")).cidrs == ["10.9.0.3/29"])
            try Disk.write("garbage", to: scratch.store() + "/last_reserved_ip.0")
            #expect(try allocator.allocate(for: attachment("c3")).cidrs == ["10.9.0.4/29"])
        }
    }

    @Test("several ranges in a set are walked in order and wrap; each range's own gateway is skipped")
    func multipleRanges() throws {
        try withScratch { scratch throws in
            let sets = [[
                range("10.9.0.0/24", start: "10.9.0.10", end: "10.9.0.11", gateway: "10.9.0.11"),
                range("10.9.1.0/24", start: "10.9.1.1", end: "10.9.1.2"),  // gateway 10.9.1.1
            ]]
            let allocator = hostLocal(sets, in: scratch)
            #expect(try allocator.allocate(for: attachment("c1")).addresses
                    == [AssignedAddress(address: net("10.9.0.10/24"), gateway: ip("10.9.0.11"))])
            #expect(try allocator.allocate(for: attachment("c2")).addresses
                    == [AssignedAddress(address: net("10.9.1.2/24"), gateway: ip("10.9.1.1"))])
            let error = #expect(throws: PontoonError.self) { try allocator.allocate(for: attachment("c3")) }
            #expect(error?.message == "no IP addresses available in range set 10.9.0.10-10.9.0.11,10.9.1.1-10.9.1.2")
            try allocator.release(id("c1"))
            #expect(try allocator.allocate(for: attachment("c4")).cidrs == ["10.9.0.10/24"])
        }
    }

    @Test("a gateway in the middle of the range is skipped")
    func gatewayInTheMiddle() throws {
        try withAllocator([[range("10.9.0.0/29", gateway: "10.9.0.3")]]) { allocator, scratch throws in
            let cidrs = try (1...5).map { try allocator.allocate(for: attachment("c\($0)")).cidrs[0] }
            #expect(cidrs == ["10.9.0.1/29", "10.9.0.2/29", "10.9.0.4/29", "10.9.0.5/29", "10.9.0.6/29"])
        }
    }

    @Test("one address per range set, in order; routes and no DNS come back")
    func dualStack() throws {
        try withScratch { scratch throws in
            let routes = [Route(destination: net("0.0.0.0/0")), Route(destination: net("::/0"), gateway: ip("fd00:9::fe"))]
            let allocator = hostLocal([[range("10.9.0.0/29")], [range("fd00:9::/120")]], in: scratch, routes: routes)
            let result = try allocator.allocate(for: attachment("c1"))
            #expect(result.addresses == [
                AssignedAddress(address: net("10.9.0.2/29"), gateway: ip("10.9.0.1")),
                AssignedAddress(address: net("fd00:9::2/120"), gateway: ip("fd00:9::1")),
            ])
            #expect(result.routes == routes)
            #expect(result.dns.isEmpty)
            #expect(Disk.text(scratch.store() + "/last_reserved_ip.1") == "fd00:9::2")
        }
    }

    // MARK: Requested addresses

    @Test("a requested address is reserved and becomes the round-robin position")
    func requested() throws {
        try withAllocator(Self.small) { allocator, scratch throws in
            #expect(try allocator.allocate(for: attachment("c1", requesting: ["10.9.0.5"])).cidrs == ["10.9.0.5/29"])
            #expect(Disk.text(scratch.store() + "/last_reserved_ip.0") == "10.9.0.5")
            #expect(try allocator.allocate(for: attachment("c2")).cidrs == ["10.9.0.6/29"])
        }
    }

    @Test("a requested address that is taken is refused, naming it, the set and who holds it")
    func requestedTaken() throws {
        try withAllocator(Self.small, leasedTo: ["c1"]) { allocator, scratch throws in
            let error = #expect(throws: PontoonError.self) { try allocator.allocate(for: attachment("c2", requesting: ["10.9.0.2"])) }
            #expect(error?.kind == .addressUnavailable)
            #expect(error?.message == "requested IP address 10.9.0.2 is not available in range set 10.9.0.1-10.9.0.6")
            #expect(error?.details == "it is leased to c1/eth0")
            #expect(Disk.text(scratch.store() + "/10.9.0.2") == "c1\r\neth0")
        }
    }

    @Test("requesting a gateway, an address outside every set, or two in one set is refused before the store exists")
    func requestedInvalid() throws {
        try withAllocator([[range("10.9.0.0/29")], [range("fd00:9::/120")]]) { allocator, scratch throws in

            var error = #expect(throws: PontoonError.self) { try allocator.allocate(for: attachment("c1", requesting: ["10.9.0.1"])) }
            #expect(error?.kind == .invalidConfiguration)
            #expect(error?.message == "requested IP 10.9.0.1 is the gateway of range 10.9.0.1-10.9.0.6 (subnet 10.9.0.0/29)")

            error = #expect(throws: PontoonError.self) { try allocator.allocate(for: attachment("c1", requesting: ["10.3.0.1"])) }
            #expect(error?.kind == .addressUnavailable)
            #expect(error?.message == "requested IP address 10.3.0.1 is outside every range set of network net1")
            #expect(error?.details == "range sets: 10.9.0.1-10.9.0.6; fd00:9::1-fd00:9::ff")

            // The IPv4 broadcast address is outside the range even though it is inside the subnet.
            error = #expect(throws: PontoonError.self) { try allocator.allocate(for: attachment("c1", requesting: ["10.9.0.7"])) }
            #expect(error?.message == "requested IP address 10.9.0.7 is outside every range set of network net1")

            error = #expect(throws: PontoonError.self) {
                try allocator.allocate(for: attachment("c1", requesting: ["10.9.0.2", "10.9.0.3"]))
            }
            #expect(error?.kind == .invalidConfiguration)
            #expect(error?.message == "requested IPs 10.9.0.2 and 10.9.0.3 are both in range set 10.9.0.1-10.9.0.6")

            #expect(!Disk.exists(scratch.dataDir))
        }
    }

    @Test("requested addresses in several sets, and a repeated request, are all honoured")
    func requestedPerSet() throws {
        try withAllocator([[range("10.9.0.0/29")], [range("fd00:9::/120")]]) { allocator, scratch throws in
            let result = try allocator.allocate(for: attachment("c1", requesting: ["fd00:9::42", "10.9.0.4", "10.9.0.4"]))
            #expect(result.cidrs == ["10.9.0.4/29", "fd00:9::42/120"])
            // A set without a request still allocates round-robin.
            let second = try allocator.allocate(for: attachment("c2", requesting: ["fd00:9::43"]))
            #expect(second.cidrs == ["10.9.0.5/29", "fd00:9::43/120"])
            // An IPv4-mapped IPv6 address means the IPv4 address, as in the reference.
            let mapped = try allocator.allocate(for: attachment("c3", requesting: ["::ffff:10.9.0.2"]))
            #expect(mapped.cidrs == ["10.9.0.2/29", "fd00:9::44/120"])
            try allocator.check(id("c3"), addresses: [ip("::ffff:10.9.0.2")])
        }
    }

    // MARK: All or nothing

    @Test("when a later set fails, the addresses already reserved in this call are given back")
    func rollbackOnTakenRequest() throws {
        try withAllocator([[range("10.9.0.0/29")], [range("fd00:9::/120")]]) { allocator, scratch throws in
            _ = try allocator.allocate(for: attachment("c9", requesting: ["fd00:9::5"]))
            let error = #expect(throws: PontoonError.self) { try allocator.allocate(for: attachment("c1", requesting: ["fd00:9::5"])) }
            #expect(error?.kind == .addressUnavailable)
            #expect(error?.message == "requested IP address fd00:9::5 is not available in range set fd00:9::1-fd00:9::ff")
            #expect(Disk.leaseNames(scratch.store()) == ["10.9.0.2", "fd00:9::5"])
            #expect(Disk.text(scratch.store() + "/10.9.0.2") == "c9\r\neth0")
        }
    }

    @Test("exhaustion of a later set rolls back the earlier set's lease")
    func rollbackOnExhaustion() throws {
        try withScratch { scratch throws in
            // fd00:9::/126: fd00:9::1-fd00:9::3, gateway ::1, so two addresses.
            let allocator = hostLocal([[range("10.9.0.0/24")], [range("fd00:9::/126")]], in: scratch)
            _ = try allocator.allocate(for: attachment("c1"))
            _ = try allocator.allocate(for: attachment("c2"))
            let error = #expect(throws: PontoonError.self) { try allocator.allocate(for: attachment("c3")) }
            #expect(error?.kind == .addressesExhausted)
            #expect(error?.message == "no IP addresses available in range set fd00:9::1-fd00:9::3")
            #expect(Disk.leaseNames(scratch.store()) == ["10.9.0.2", "10.9.0.3", "fd00:9::2", "fd00:9::3"])
        }
    }

    // MARK: Duplicates

    @Test("a second ADD for the same attachment is refused; another interface of the container is not")
    func duplicate() throws {
        try withAllocator(Self.small, leasedTo: ["c1"]) { allocator, scratch throws in
            let error = #expect(throws: PontoonError.self) { try allocator.allocate(for: attachment("c1")) }
            #expect(error?.kind == .conflict)
            #expect(error?.message == "10.9.0.2 has been allocated to c1, duplicate allocation is not allowed")
            // With a requested address too: no second lease either.
            #expect(throws: PontoonError.self) { try allocator.allocate(for: attachment("c1", requesting: ["10.9.0.6"])) }
            #expect(Disk.leaseNames(scratch.store()) == ["10.9.0.2"])

            #expect(try allocator.allocate(for: attachment("c1", "eth1")).cidrs == ["10.9.0.3/29"])
        }
    }

    @Test("a legacy lease (container id only) counts as held by every interface of that container")
    func duplicateLegacy() throws {
        try withAllocator(Self.small, leasedTo: ["other"]) { allocator, scratch throws in
            try Disk.write("c1", to: scratch.store() + "/10.9.0.4")
            let error = #expect(throws: PontoonError.self) { try allocator.allocate(for: attachment("c1", "eth7")) }
            #expect(error?.message == "10.9.0.4 has been allocated to c1, duplicate allocation is not allowed")
        }
    }

    // MARK: DNS

    @Test("resolvConf fills the result's DNS; a missing file is an I/O error naming it, before the store exists")
    func resolvConf() throws {
        try withScratch { scratch throws in
            let file = scratch.path + "/resolv.conf"
            try Disk.write("nameserver 10.9.0.53\nsearch example.org\n", to: file)
            let allocator = hostLocal(Self.small, in: scratch, resolvConf: file)
            #expect(try allocator.allocate(for: attachment("c1")).dns == DNS(nameservers: ["10.9.0.53"], search: ["example.org"]))

            let missing = scratch.path + "/nope.conf"
            let broken = HostLocalAllocator(config: HostLocalConfig(networkName: "net2", dataDir: scratch.dataDir,
                                                                    rangeSets: Self.small, resolvConf: missing))
            let error = #expect(throws: PontoonError.self) { try broken.allocate(for: attachment("c1")) }
            #expect(error?.kind == .io)
            #expect(error?.message == "cannot read resolvConf \(missing): No such file or directory")
            #expect(!Disk.exists(scratch.store("net2")))
        }
    }

    // MARK: STATUS

    @Test("readiness: fine before the first lease, not ready once a set is exhausted")
    func readiness() throws {
        try withAllocator([[range("10.9.0.0/30")], [range("fd00:9::/64")]]) { allocator, scratch throws in
            try allocator.readiness()
            #expect(!Disk.exists(scratch.dataDir))
            _ = try allocator.allocate(for: attachment("c1"))
            let error = #expect(throws: PontoonError.self) { try allocator.readiness() }
            #expect(error?.kind == .notReady)
            #expect(error?.message == "no IP addresses available in range set 10.9.0.1-10.9.0.2")
        }
    }
}
