import Foundation
import NetAddress
import Pontoon
import Testing

/// Pontoon and containernetworking-plugins' host-local serving one store directory: each must
/// read, respect and release the other's leases.
@Suite("host-local: sharing a store with the reference plugin", .enabled(if: ReferenceHostLocal.isInstalled))
struct ReferenceInteropTests {
    static let ipam = #""ranges":[[{"subnet":"10.9.0.0/24"}],[{"subnet":"fd00:9::/120"}]]"#
    static let sets = [[range("10.9.0.0/24")], [range("fd00:9::/120")]]

    @Test("Pontoon reads, checks and releases leases the reference wrote, and continues its round-robin")
    func readsReferenceLeases() throws {
        try withScratch { scratch throws in
            let config = ReferenceHostLocal.config(Self.ipam, dataDir: scratch.dataDir)
            let added = try ReferenceHostLocal.run("ADD", containerID: "ref1", config: config)
            #expect(added.status == 0, "\(added.stdout)")
            #expect(added.stdout.contains("\"10.9.0.2/24\""))

            let allocator = hostLocal(Self.sets, in: scratch)
            #expect(try allocator.leases().map(\.holder) == [.attachment(id("ref1")), .attachment(id("ref1"))])
            try allocator.check(id("ref1"), addresses: [ip("10.9.0.2"), ip("fd00:9::2")])
            // Duplicate detection sees the reference's lease.
            #expect(throws: PontoonError.self) { try allocator.allocate(for: attachment("ref1")) }
            #expect(try allocator.allocate(for: attachment("c2")).cidrs == ["10.9.0.3/24", "fd00:9::3/120"])

            try allocator.release(id("ref1"))
            #expect(Disk.leaseNames(scratch.store()) == ["10.9.0.3", "fd00:9::3"])
        }
    }

    @Test("the reference reads, checks and releases leases Pontoon wrote, and continues its round-robin")
    func referenceReadsOurLeases() throws {
        try withAllocator(Self.sets, leasedTo: ["c1"]) { allocator, scratch throws in
            let config = ReferenceHostLocal.config(Self.ipam, dataDir: scratch.dataDir)

            let check = try ReferenceHostLocal.run("CHECK", containerID: "c1", config: config)
            #expect(check.status == 0, "\(check.stdout)")
            let duplicate = try ReferenceHostLocal.run("ADD", containerID: "c1", config: config)
            #expect(duplicate.status != 0)
            #expect(duplicate.stdout.contains("10.9.0.2 has been allocated to c1, duplicate allocation is not allowed"))

            let added = try ReferenceHostLocal.run("ADD", containerID: "ref2", config: config)
            #expect(added.stdout.contains("\"10.9.0.3/24\"") && added.stdout.contains("\"fd00:9::3/120\""), "\(added.stdout)")

            let deleted = try ReferenceHostLocal.run("DEL", containerID: "c1", config: config)
            #expect(deleted.status == 0, "\(deleted.stdout)")
            #expect(Disk.leaseNames(scratch.store()) == ["10.9.0.3", "fd00:9::3"])
            #expect(Disk.text(scratch.store() + "/10.9.0.3") == "ref2\r\neth0")
        }
    }

    @Test("a requested address the reference holds is refused; the reference refuses ours")
    func requestedAcrossPlugins() throws {
        try withScratch { scratch throws in
            let config = ReferenceHostLocal.config(Self.ipam, dataDir: scratch.dataDir)
            try ReferenceHostLocal.run("ADD", containerID: "ref1", config: config)
            let allocator = hostLocal(Self.sets, in: scratch)
            let error = #expect(throws: PontoonError.self) { try allocator.allocate(for: attachment("c1", requesting: ["10.9.0.2"])) }
            #expect(error?.details == "it is leased to ref1/eth0")
            // All or nothing: nothing of c1 stayed.
            #expect(Disk.leaseNames(scratch.store()) == ["10.9.0.2", "fd00:9::2"])
        }
    }
}
