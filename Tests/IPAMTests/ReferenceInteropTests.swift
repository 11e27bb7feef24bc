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

    /// Pontoon's lease index lives in the store: the reference must never take it for a lease, and
    /// whatever the reference does behind Pontoon's back must be seen (its ADD changes the store
    /// and `last_reserved_ip`, so Pontoon reads every lease once and rebuilds the index).
    @Test("turn by turn on one store: each sees, refuses and releases the other's leases; the index survives the reference and goes with the last lease")
    func interleaved() throws {
        try withAllocator(Self.sets, leasedTo: ["c1"]) { allocator, scratch throws in
            let store = scratch.store()
            let config = ReferenceHostLocal.config(Self.ipam, dataDir: scratch.dataDir)
            #expect(Disk.names(store).contains(Disk.leaseIndex))

            // The reference adds r1 (its GetByID walks into the index and reads its files).
            let added = try ReferenceHostLocal.run("ADD", containerID: "r1", config: config)
            #expect(added.status == 0 && added.stdout.contains("\"10.9.0.3/24\""), "\(added.stdout)")
            // Pontoon sees r1's lease: a duplicate ADD is refused, the round-robin goes on after it.
            let duplicate = #expect(throws: PontoonError.self) { try allocator.allocate(for: attachment("r1")) }
            #expect(duplicate?.kind == .conflict)
            #expect(try allocator.allocate(for: attachment("c2")).cidrs == ["10.9.0.4/24", "fd00:9::4/120"])

            // The reference releases c1 (Pontoon's): only c1's files go, the index files stay.
            let indexFiles = Disk.names(store + "/" + Disk.leaseIndex)
            let deleted = try ReferenceHostLocal.run("DEL", containerID: "c1", config: config)
            #expect(deleted.status == 0, "\(deleted.stdout)")
            #expect(Disk.leaseNames(store) == ["10.9.0.3", "fd00:9::3", "10.9.0.4", "fd00:9::4"])
            #expect(Disk.names(store + "/" + Disk.leaseIndex) == indexFiles)
            // A reference CHECK of c2 and a duplicate ADD of c2 see Pontoon's leases.
            #expect(try ReferenceHostLocal.run("CHECK", containerID: "c2", config: config).status == 0)
            let refused = try ReferenceHostLocal.run("ADD", containerID: "c2", config: config)
            #expect(refused.status != 0 && refused.stdout.contains("duplicate allocation is not allowed"), "\(refused.stdout)")

            // c1 comes back through Pontoon: its stale entry is no lease, it gets a fresh address.
            #expect(try allocator.allocate(for: attachment("c1")).cidrs == ["10.9.0.5/24", "fd00:9::5/120"])
            // Pontoon releases r1 (the reference's), the reference releases c2 (Pontoon's).
            try allocator.release(id("r1"))
            #expect(try ReferenceHostLocal.run("DEL", containerID: "c2", config: config).status == 0)
            #expect(Disk.leaseNames(store) == ["10.9.0.5", "fd00:9::5"])
            try allocator.check(id("c1"), addresses: [ip("10.9.0.5"), ip("fd00:9::5")])
            try allocator.release(id("c1"))
            #expect(Disk.names(store) == ["lock", "last_reserved_ip.0", "last_reserved_ip.1"])
        }
    }
}
