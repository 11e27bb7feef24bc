import Foundation
import NetAddress
import Pontoon
import Testing

/// `.pontoon-index`: ADD and DEL find an attachment's leases from its index entry instead of
/// reading every lease of the network. It must never change an answer, whatever happened to the
/// store behind its back, and must leave nothing once the store holds no lease.
///
/// Neither plugin ever rewrites a lease file in place (both create it with O_EXCL), so a test that
/// does rewrites one without the store directory changing: whether an operation then acts on the
/// rewritten contents shows whether it read that file.
@Suite("host-local: lease index")
struct LeaseIndexTests {
    static let sets = [[range("10.9.0.0/24")]]

    static func index(_ store: String) -> String { store + "/" + Disk.leaseIndex }

    /// Rewrites a lease file's contents in place (same inode, the directory untouched).
    static func rewriteInPlace(_ path: String, _ text: String) throws {
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
    }

    @Test("kept while the store holds leases, removed by the release (or GC) that leaves none")
    func lifetime() throws {
        try withAllocator(Self.sets, leasedTo: ["c1", "c2"]) { allocator, scratch throws in
            let store = scratch.store()
            #expect(Disk.names(store) == ["lock", "last_reserved_ip.0", "10.9.0.2", "10.9.0.3", Disk.leaseIndex])
            #expect(Disk.names(Self.index(store)) == ["marker", "by-holder"])
            #expect(Disk.names(Self.index(store) + "/by-holder").count == 2)
            try allocator.release(id("c1"))
            #expect(Disk.names(Self.index(store) + "/by-holder").count == 1)
            try allocator.release(id("c2"))
            #expect(Disk.names(store) == ["lock", "last_reserved_ip.0"])

            _ = try allocator.allocate(for: attachment("c3"))
            try allocator.garbageCollect(keeping: [])
            #expect(Disk.names(store) == ["lock", "last_reserved_ip.0"])
        }
    }

    @Test("with the index complete, ADD and DEL read no other attachment's lease file")
    func readsOnlyItsOwn() throws {
        try withAllocator(Self.sets, leasedTo: ["c1", "c2"]) { allocator, scratch throws in
            let store = scratch.store()
            // c2's file now says c9: a listing ADD of c9 would refuse it as a duplicate.
            try Self.rewriteInPlace(store + "/10.9.0.3", "c9\r\neth0")
            #expect(try allocator.allocate(for: attachment("c9")).cidrs == ["10.9.0.4/24"])
            // c1's release reads only c1's file.
            try allocator.release(id("c1"))
            #expect(Disk.leaseNames(store) == ["10.9.0.3", "10.9.0.4"])
            // c9's release takes the lease its entry names, not the file that claims c9 in place.
            try allocator.release(id("c9"))
            #expect(Disk.leaseNames(store) == ["10.9.0.3"])
            // A DEL for an attachment the index does not know reads every lease (a repeated DEL,
            // or a lease another plugin wrote): it finds the rewritten file.
            try allocator.release(id("c9"))
            #expect(Disk.names(store) == ["lock", "last_reserved_ip.0"])
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
            // And the index was rebuilt: c1's release leaves an empty store.
            try allocator.release(id("c1"))
            #expect(Disk.names(store) == ["lock", "last_reserved_ip.0"])
        }
    }

    @Test("a lease removed and made again under the same name (another holder) is read again")
    func replacedLease() throws {
        try withAllocator(Self.sets, leasedTo: ["c1", "c2"]) { allocator, scratch throws in
            let store = scratch.store()
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

    @Test("a reservation made elsewhere that only rewrote last_reserved_ip makes the next ADD read every lease")
    func lastReservedChanged() throws {
        try withAllocator(Self.sets, leasedTo: ["c1", "c2"]) { allocator, scratch throws in
            let store = scratch.store()
            try Self.rewriteInPlace(store + "/10.9.0.3", "c9\r\neth0")
            try Self.rewriteInPlace(store + "/last_reserved_ip.0", "10.9.0.7")
            let error = #expect(throws: PontoonError.self) { try allocator.allocate(for: attachment("c9")) }
            #expect(error?.kind == .conflict)
        }
    }

    @Test("an index that is garbage, cut short or lies about holders changes no answer")
    func untrustedIndex() throws {
        try withAllocator(Self.sets, leasedTo: ["c1", "c2"]) { allocator, scratch throws in
            let store = scratch.store()
            let entries = Self.index(store) + "/by-holder"
            let marker = Self.index(store) + "/marker"
            let good = try #require(Disk.text(marker))

            // A marker that is garbage or cut short: the index is rebuilt, duplicates still refused.
            try Self.rewriteInPlace(marker, "garbage\n")
            #expect(throws: PontoonError.self) { try allocator.allocate(for: attachment("c1")) }
            try Self.rewriteInPlace(marker, String(good.dropLast(4)))
            #expect(throws: PontoonError.self) { try allocator.allocate(for: attachment("c2")) }

            // Every entry claiming every lease (written in place, the marker still current): c1's
            // release still reads before it removes, and takes exactly its own lease.
            for name in Disk.names(entries) {
                let text = try #require(Disk.text(entries + "/" + name))
                let lines = text.split(separator: "\n").map(String.init)
                let lying = lines.prefix(while: { IPAddress($0) == nil && !$0.hasPrefix("end ") })
                    + ["10.9.0.2", "10.9.0.3", "end 2"]
                try Self.rewriteInPlace(entries + "/" + name, lying.joined(separator: "\n") + "\n")
            }
            try allocator.release(id("c1"))
            #expect(Disk.leaseNames(store) == ["10.9.0.3"])
            // An entry cut short reads as none: the release falls back to reading every lease.
            for name in Disk.names(entries) { try Self.rewriteInPlace(entries + "/" + name, "pontoon-lease-index 1\natt") }
            try allocator.release(id("c2"))
            #expect(Disk.names(store) == ["lock", "last_reserved_ip.0"])
        }
    }

    @Test("an ADD killed after its index entry, before its lease file: nothing is held, nothing leaks")
    func killedBeforeLease() throws {
        try withAllocator(Self.sets, leasedTo: ["c1"]) { allocator, scratch throws in
            let store = scratch.store()
            // What c3's ADD leaves when killed right after writing its entry (the marker still current).
            _ = try allocator.allocate(for: attachment("c3"))
            let entries = Self.index(store) + "/by-holder"
            let saved = Dictionary(uniqueKeysWithValues: Disk.names(entries).map { ($0, Disk.text(entries + "/" + $0)!) })
            try allocator.release(id("c3"))
            try FileManager.default.createDirectory(atPath: entries, withIntermediateDirectories: true)
            for (name, text) in saved { try Disk.write(text, to: entries + "/" + name) }
            // The state a kill leaves: c3's entry names 10.9.0.3, which has no file; the marker is current.
            #expect(try allocator.allocate(for: attachment("c3")).cidrs == ["10.9.0.4/24"])
            try allocator.release(id("c3"))
            #expect(Disk.leaseNames(store) == ["10.9.0.2"])
            try allocator.release(id("c1"))
            #expect(Disk.names(store) == ["lock", "last_reserved_ip.0"])
        }
    }

    @Test("an ADD killed after its lease file, before the marker: the duplicate is refused and DEL releases it")
    func killedAfterLease() throws {
        try withAllocator(Self.sets, leasedTo: ["c1"]) { allocator, scratch throws in
            let store = scratch.store()
            // The lease file exists, its entry too, last_reserved_ip moved, the marker did not.
            let marker = Self.index(store) + "/marker"
            let before = try #require(Disk.text(marker))
            _ = try allocator.allocate(for: attachment("c3"))
            try Self.rewriteInPlace(marker, before)
            let error = #expect(throws: PontoonError.self) { try allocator.allocate(for: attachment("c3")) }
            #expect(error?.kind == .conflict)
            // Same with the entry lost too (killed before the entry reached the disk whole).
            for name in Disk.names(Self.index(store) + "/by-holder") {
                try Self.rewriteInPlace(Self.index(store) + "/by-holder/" + name, "")
            }
            try Self.rewriteInPlace(marker, before)
            #expect(throws: PontoonError.self) { try allocator.allocate(for: attachment("c3")) }
            try allocator.release(id("c3"))
            try allocator.release(id("c1"))
            #expect(Disk.names(store) == ["lock", "last_reserved_ip.0"])
        }
    }

    @Test("a DEL of a container never added removes nothing and keeps the index complete")
    func releaseNeverAdded() throws {
        try withAllocator(Self.sets, leasedTo: ["c1", "c2"]) { allocator, scratch throws in
            let store = scratch.store()
            try allocator.release(id("never"))
            #expect(Disk.leaseNames(store) == ["10.9.0.2", "10.9.0.3"])
            // Still complete: the next ADD reads no other lease (see readsOnlyItsOwn).
            try Self.rewriteInPlace(store + "/10.9.0.3", "c9\r\neth0")
            #expect(try allocator.allocate(for: attachment("c9")).cidrs == ["10.9.0.4/24"])
        }
    }

    @Test("an earlier Pontoon's holder cache is removed when the index is first built")
    func formerCache() throws {
        try withScratch { scratch throws in
            let store = scratch.store()
            try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: true)
            try Disk.write("pontoon-holders 1\nend 0\n", to: store + "/.pontoon-holders")
            try Disk.write("c1\r\neth0", to: store + "/10.9.0.2")
            let allocator = hostLocal(Self.sets, in: scratch)
            #expect(try allocator.allocate(for: attachment("c2")).cidrs == ["10.9.0.3/24"])
            #expect(!Disk.names(store).contains(".pontoon-holders"))
            try allocator.release(id("c1"))
            try allocator.release(id("c2"))
            #expect(Disk.names(store) == ["lock", "last_reserved_ip.0"])
        }
    }
}
