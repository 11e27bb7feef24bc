import Foundation
import NetAddress
import Pontoon
import Testing

@Suite("host-local lease store")
struct LeaseStoreTests {
    static let dualStack = [[range("10.9.0.0/29")], [range("fd00:9::/120")]]

    // MARK: On-disk format

    @Test("files are byte-compatible with the reference: contents, names and modes")
    func format() throws {
        try withAllocator(Self.dualStack, leasedTo: ["c1"]) { allocator, scratch throws in
            let store = scratch.store()
            #expect(Disk.names(store) == ["lock", "10.9.0.2", "fd00:9::2", "last_reserved_ip.0", "last_reserved_ip.1", Disk.leaseIndex])
            #expect(Disk.bytes(store + "/10.9.0.2") == Array("c1\r\neth0".utf8))
            #expect(Disk.bytes(store + "/fd00:9::2") == Array("c1\r\neth0".utf8))
            #expect(Disk.bytes(store + "/last_reserved_ip.0") == Array("10.9.0.2".utf8))
            #expect(Disk.bytes(store + "/last_reserved_ip.1") == Array("fd00:9::2".utf8))
            #expect(Disk.bytes(store + "/lock") == [])

            let umask = Disk.umask
            #expect(Disk.mode(store + "/10.9.0.2") == 0o600 & ~umask)
            #expect(Disk.mode(store + "/fd00:9::2") == 0o600 & ~umask)
            #expect(Disk.mode(store + "/last_reserved_ip.0") == 0o600 & ~umask)
            #expect(Disk.mode(store + "/lock") == 0o600 & ~umask)
            // The store and its missing parents are made on the first allocation.
            #expect(Disk.mode(store) == 0o755 & ~umask)
            #expect(Disk.mode(scratch.dataDir) == 0o755 & ~umask)
        }
    }

    @Test("IPv6 lease names are Go's text form (RFC 5952: longest zero run, the first on ties)")
    func ipv6Names() throws {
        try withScratch { scratch throws in
            let tie = hostLocal([[range("fd00:0:0:9::/64", start: "fd00:0:0:9:a:0:0:ff")]], in: scratch)
            #expect(try tie.allocate(for: attachment("c1")).cidrs == ["fd00::9:a:0:0:ff/64"])
            #expect(Disk.leaseNames(scratch.store()) == ["fd00::9:a:0:0:ff"])

            let longest = hostLocal([[range("fd00:0:0:9::/64", start: "fd00:0:0:9::ff")]], in: scratch, name: "net2")
            #expect(try longest.allocate(for: attachment("c1")).cidrs == ["fd00:0:0:9::ff/64"])
            #expect(Disk.leaseNames(scratch.store("net2")) == ["fd00:0:0:9::ff"])
            #expect(Disk.text(scratch.store("net2") + "/last_reserved_ip.0") == "fd00:0:0:9::ff")
        }
    }

    @Test("the container id is trimmed as the reference trims it")
    func trimmedContainerID() throws {
        try withAllocator(Self.dualStack) { allocator, scratch throws in
            _ = try allocator.allocate(for: attachment(" c1 \n"))
            #expect(Disk.text(scratch.store() + "/10.9.0.2") == "c1\r\neth0")
            try allocator.check(id("c1"), addresses: [ip("10.9.0.2")])
            try allocator.release(id("c1 "))
            #expect(Disk.leaseNames(scratch.store()).isEmpty)
        }
    }

    // MARK: DEL

    @Test("release is idempotent and creates nothing when there is no store")
    func releaseIdempotent() throws {
        try withAllocator(Self.dualStack) { allocator, scratch throws in
            try allocator.release(id("c1"))
            #expect(!Disk.exists(scratch.dataDir))

            _ = try allocator.allocate(for: attachment("c1"))
            _ = try allocator.allocate(for: attachment("c2"))
            try allocator.release(id("c1"))
            try allocator.release(id("c1"))
            #expect(Disk.leaseNames(scratch.store()) == ["10.9.0.3", "fd00:9::3"])
            // The round-robin position and the lock stay.
            #expect(Disk.names(scratch.store()).isSuperset(of: ["lock", "last_reserved_ip.0", "last_reserved_ip.1"]))
            #expect(Disk.text(scratch.store() + "/last_reserved_ip.0") == "10.9.0.3")
        }
    }

    @Test("release removes only the matching interface")
    func releaseByInterface() throws {
        try withAllocator(Self.dualStack) { allocator, scratch throws in
            _ = try allocator.allocate(for: attachment("c1", "eth0"))
            _ = try allocator.allocate(for: attachment("c1", "eth1"))
            try allocator.release(id("c1", "eth1"))
            #expect(Disk.leaseNames(scratch.store()) == ["10.9.0.2", "fd00:9::2"])
        }
    }

    @Test("legacy files (container id only) are released when nothing matches the pair")
    func releaseLegacy() throws {
        try withAllocator(Self.dualStack, leasedTo: ["c2"]) { allocator, scratch throws in
            let store = scratch.store()
            try Disk.write("c1", to: store + "/10.9.0.5")
            try Disk.write("c1\n", to: store + "/fd00:9::5")
            try allocator.release(id("c1"))
            #expect(Disk.leaseNames(store) == ["10.9.0.2", "fd00:9::2"])

            // When the pair matches, legacy files of the container are left alone (as the reference does).
            try Disk.write("c2", to: store + "/10.9.0.6")
            try allocator.release(id("c2"))
            #expect(Disk.leaseNames(store) == ["10.9.0.6"])
        }
    }

    @Test("an empty lease (its writer killed between creating and filling it) goes with any release")
    func releaseAbandoned() throws {
        try withAllocator(Self.dualStack, leasedTo: ["c2"]) { allocator, scratch throws in
            let store = scratch.store()
            try Disk.write("", to: store + "/10.9.0.5")
            try allocator.release(id("c1"))
            #expect(Disk.leaseNames(store) == ["10.9.0.2", "fd00:9::2"], "nobody's empty lease is released; c2's stays")
        }
    }

    @Test("files that are not leases are never touched, even when their contents match")
    func releaseIgnoresOtherFiles() throws {
        try withAllocator(Self.dualStack, leasedTo: ["c1"]) { allocator, scratch throws in
            let store = scratch.store()
            try Disk.write("c1\r\neth0", to: store + "/notes")
            try Disk.write("c1", to: store + "/last_reserved_ip.7")
            try FileManager.default.createDirectory(atPath: store + "/10.9.0.6", withIntermediateDirectories: false)
            try allocator.release(id("c1"))
            #expect(Disk.names(store) == ["lock", "notes", "10.9.0.6", "last_reserved_ip.0", "last_reserved_ip.1", "last_reserved_ip.7"])
        }
    }

    // MARK: GC

    @Test("GC removes leases of attachments not kept, keeps legacy files of kept containers")
    func garbageCollect() throws {
        try withAllocator([[range("10.9.0.0/24")]]) { allocator, scratch throws in
            let store = scratch.store()
            for (cid, ifName) in [("c1", "eth0"), ("c2", "eth0"), ("c1", "eth1"), ("c3", "eth0")] {
                _ = try allocator.allocate(for: attachment(cid, ifName))
            }
            #expect(Disk.leaseNames(store) == ["10.9.0.2", "10.9.0.3", "10.9.0.4", "10.9.0.5"])
            try Disk.write("c3", to: store + "/10.9.0.50")      // legacy, container kept
            try Disk.write("c9", to: store + "/10.9.0.51")      // legacy, container gone
            try Disk.write("", to: store + "/10.9.0.52")        // held by no one
            try Disk.write("c9", to: store + "/unrelated")
            let lastReserved = Disk.text(store + "/last_reserved_ip.0")

            try allocator.garbageCollect(keeping: [id("c1"), id("c3", "eth5")])

            #expect(Disk.leaseNames(store) == ["10.9.0.2", "10.9.0.50", "unrelated"])
            #expect(Disk.names(store).contains("lock"))
            #expect(Disk.text(store + "/last_reserved_ip.0") == lastReserved)
        }
    }

    @Test("GC with nothing kept empties the store but keeps lock and last_reserved_ip; no store is fine")
    func garbageCollectEverything() throws {
        try withAllocator(Self.dualStack) { allocator, scratch throws in
            try allocator.garbageCollect(keeping: [])
            #expect(!Disk.exists(scratch.dataDir))
            _ = try allocator.allocate(for: attachment("c1"))
            try allocator.garbageCollect(keeping: [])
            #expect(Disk.names(scratch.store()) == ["lock", "last_reserved_ip.0", "last_reserved_ip.1"])
        }
    }

    // MARK: CHECK

    @Test("check passes for the holder, fails precisely otherwise")
    func check() throws {
        try withAllocator(Self.dualStack) { allocator, scratch throws in

            var error = #expect(throws: PontoonError.self) { try allocator.check(id("c1"), addresses: []) }
            #expect(error?.kind == .checkFailed)
            #expect(error?.message == "no address is leased to c1/eth0: \(scratch.store()) does not exist")
            #expect(!Disk.exists(scratch.dataDir))

            _ = try allocator.allocate(for: attachment("c1"))
            _ = try allocator.allocate(for: attachment("c2"))
            try allocator.check(id("c1"), addresses: [ip("10.9.0.2"), ip("fd00:9::2")])
            try allocator.check(id("c1"), addresses: [])

            error = #expect(throws: PontoonError.self) { try allocator.check(id("c1"), addresses: [ip("10.9.0.3")]) }
            #expect(error?.kind == .checkFailed)
            #expect(error?.message == "10.9.0.3 is leased to c2/eth0, not to c1/eth0")

            error = #expect(throws: PontoonError.self) { try allocator.check(id("c1", "eth1"), addresses: [ip("10.9.0.2")]) }
            #expect(error?.message == "10.9.0.2 is leased to c1/eth0, not to c1/eth1")

            error = #expect(throws: PontoonError.self) { try allocator.check(id("c1"), addresses: [ip("10.9.0.6")]) }
            #expect(error?.message == "10.9.0.6 of c1/eth0 has no lease in \(scratch.store())")

            error = #expect(throws: PontoonError.self) { try allocator.check(id("c1"), addresses: [ip("192.168.1.1")]) }
            #expect(error?.message == "192.168.1.1 of c1/eth0 is outside every range set of network net1")

            error = #expect(throws: PontoonError.self) { try allocator.check(id("c3"), addresses: []) }
            #expect(error?.message == "no address is leased to c3/eth0 in \(scratch.store())")

            // A legacy lease names only the container: it counts for that container.
            try Disk.write("c4", to: scratch.store() + "/10.9.0.6")
            try allocator.check(id("c4", "eth3"), addresses: [ip("10.9.0.6")])
        }
    }

    @Test("leases() lists holders; empty without a store")
    func listing() throws {
        try withAllocator(Self.dualStack) { allocator, scratch throws in
            #expect(try allocator.leases().isEmpty)
            _ = try allocator.allocate(for: attachment("c1"))
            try Disk.write("old", to: scratch.store() + "/10.9.0.6")
            #expect(try allocator.leases() == [
                Lease(address: ip("10.9.0.2"), holder: .attachment(id("c1"))),
                Lease(address: ip("10.9.0.6"), holder: .container("old")),
                Lease(address: ip("fd00:9::2"), holder: .attachment(id("c1"))),
            ])
        }
    }

    // MARK: I/O errors

    @Test("file system failures are I/O errors naming the path and the errno text")
    func ioErrors() throws {
        try withScratch { scratch throws in
            // A file where the data directory should be.
            try Disk.write("", to: scratch.dataDir)
            let allocator = hostLocal(Self.dualStack, in: scratch)
            let error = #expect(throws: PontoonError.self) { try allocator.allocate(for: attachment("c1")) }
            #expect(error?.kind == .io)
            #expect(error?.message == "cannot create directory \(scratch.dataDir): Not a directory")
        }
    }
}
