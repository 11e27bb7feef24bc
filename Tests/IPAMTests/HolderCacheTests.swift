import Foundation
import NetAddress
import Pontoon
import Testing

/// `.pontoon-holders`: ADD and DEL read only the lease files they do not know yet. It must never
/// change an answer, whatever happened to the store behind its back, and must leave nothing once
/// the store holds no lease.
@Suite("host-local: holder cache")
struct HolderCacheTests {
    static let sets = [[range("10.9.0.0/24")]]

    @Test("kept while the store holds leases, removed by the release (or GC) that leaves none")
    func lifetime() throws {
        try withAllocator(Self.sets, leasedTo: ["c1", "c2"]) { allocator, scratch throws in
            let store = scratch.store()
            #expect(Disk.names(store).contains(Disk.holderCache))
            #expect(Disk.text(store + "/" + Disk.holderCache)?.contains("10.9.0.3 ") == true)
            try allocator.release(id("c1"))
            #expect(Disk.names(store).contains(Disk.holderCache))
            try allocator.release(id("c2"))
            #expect(Disk.names(store) == ["lock", "last_reserved_ip.0"])

            _ = try allocator.allocate(for: attachment("c3"))
            try allocator.garbageCollect(keeping: [])
            #expect(Disk.names(store) == ["lock", "last_reserved_ip.0"])
        }
    }

    /// ADD adds its own facts without listing the store again: they must be what a listing (and
    /// reading the files) would have made, or later operations would read those leases again.
    @Test("the facts an ADD records for its own leases are the ones a full rebuild makes")
    func ownFactsMatchRebuild() throws {
        try withAllocator(Self.sets, leasedTo: ["c1"]) { allocator, scratch throws in
            let store = scratch.store()
            _ = try allocator.allocate(for: attachment("  c2 ", "net1"))
            _ = try allocator.allocate(for: attachment("c3", requesting: ["10.9.0.77"]))
            func facts() -> Set<String> {
                Set((Disk.text(store + "/" + Disk.holderCache) ?? "").split(separator: "\n").map(String.init))
            }
            let recorded = facts()
            #expect(recorded.count == 5, "header, 3 facts, end: \(recorded)")
            // A release that finds nothing of its attachment reads every lease and rebuilds the cache.
            try FileManager.default.removeItem(atPath: store + "/" + Disk.holderCache)
            try allocator.release(id("nobody"))
            #expect(facts() == recorded)
        }
    }

    @Test("a lease written behind its back is seen: a duplicate is refused, its release works")
    func unknownLease() throws {
        try withAllocator(Self.sets, leasedTo: ["c1"]) { allocator, scratch throws in
            let store = scratch.store()
            try Disk.write("c9\r\neth0", to: store + "/10.9.0.40")
            let error = #expect(throws: PontoonError.self) { try allocator.allocate(for: attachment("c9")) }
            #expect(error?.kind == .conflict)
            try allocator.release(id("c9"))
            #expect(Disk.leaseNames(store) == ["10.9.0.2"])
        }
    }

    @Test("a lease removed and made again under the same name (another holder) is read again")
    func replacedLease() throws {
        try withAllocator(Self.sets, leasedTo: ["c1", "c2"]) { allocator, scratch throws in
            let store = scratch.store()
            // The cache now knows 10.9.0.2 as c1's. Someone replaces the file (a new inode: made
            // beside it and renamed over it, so the old inode number cannot be reused).
            try Disk.write("c7\r\neth0", to: store + "/replacement")
            #expect(rename(store + "/replacement", store + "/10.9.0.2") == 0)
            let error = #expect(throws: PontoonError.self) { try allocator.allocate(for: attachment("c7")) }
            #expect(error?.message == "10.9.0.2 has been allocated to c7, duplicate allocation is not allowed")
            // c1 no longer holds anything: its release must not take c7's lease.
            try allocator.release(id("c1"))
            #expect(Disk.leaseNames(store) == ["10.9.0.2", "10.9.0.3"])
            try allocator.release(id("c7"))
            #expect(Disk.leaseNames(store) == ["10.9.0.3"])
        }
    }

    @Test("a cache that is garbage, cut short or lies about holders changes no answer")
    func untrustedCache() throws {
        try withAllocator(Self.sets, leasedTo: ["c1", "c2"]) { allocator, scratch throws in
            let store = scratch.store()
            let cache = store + "/" + Disk.holderCache
            let good = try #require(Disk.text(cache))

            try Disk.write("garbage\n", to: cache)
            #expect(throws: PontoonError.self) { try allocator.allocate(for: attachment("c1")) }
            try Disk.write(String(good.dropLast(4)), to: cache)
            #expect(throws: PontoonError.self) { try allocator.allocate(for: attachment("c2")) }

            // A cache claiming that every lease is c1's (what an inode number reused for a name
            // would look like): c2's release finds nothing of its own by the cache, reads every
            // lease and still takes exactly its lease; c1's release reads before it removes.
            try Disk.write(good, to: cache)
            _ = try allocator.allocate(for: attachment("c3"))
            let current = try #require(Disk.text(cache))
            let c1Digest = try #require(Self.digestOf(current, address: "10.9.0.2"))
            let lying = current.split(separator: "\n").map { line -> String in
                let fields = line.split(separator: " ")
                return fields.count == 3 ? "\(fields[0]) \(fields[1]) \(c1Digest)" : String(line)
            }.joined(separator: "\n") + "\n"
            try Disk.write(lying, to: cache)
            try allocator.release(id("c2"))
            #expect(Disk.leaseNames(store) == ["10.9.0.2", "10.9.0.4"])
            try Disk.write(lying, to: cache)
            try allocator.release(id("c1"))
            #expect(Disk.leaseNames(store) == ["10.9.0.4"])
            try allocator.release(id("c3"))
            #expect(Disk.names(store) == ["lock", "last_reserved_ip.0"])
        }
    }

    private static func digestOf(_ cache: String, address: String) -> Substring? {
        cache.split(separator: "\n").first { $0.hasPrefix(address + " ") }?.split(separator: " ").last
    }
}
