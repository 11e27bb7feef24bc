import Foundation
import Glibc
import NetAddress
import Pontoon
import Synchronization
import Testing

/// Allocations racing on one store: the flock on `<store>/lock` is all that keeps them apart.
@Suite("host-local under concurrency")
struct ConcurrencyTests {
    /// Runs `count` closures on their own threads at once and returns their results in order.
    static func onThreads<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
        let results = Mutex<[Int: T]>([:])
        let group = DispatchGroup()
        for index in 0..<count {
            group.enter()
            let thread = Thread {
                let value = body(index)
                results.withLock { $0[index] = value }
                group.leave()
            }
            thread.start()
        }
        group.wait()
        return results.withLock { all in (0..<count).map { all[$0]! } }
    }

    @Test("threads allocating at once get distinct addresses")
    func threads() throws {
        try withAllocator([[range("10.9.0.0/26")], [range("fd00:9::/120")]]) { allocator, scratch throws in
            let results = Self.onThreads(40) { n in
                Result { try allocator.allocate(for: attachment("c\(n)")).cidrs }
            }
            let cidrs = try results.map { try $0.get() }
            #expect(Set(cidrs.map { $0[0] }).count == 40)
            #expect(Set(cidrs.map { $0[1] }).count == 40)
            #expect(Disk.leaseNames(scratch.store()).count == 80)
            // Each file names the thread that got it.
            for (n, pair) in cidrs.enumerated() {
                let name = String(pair[0].split(separator: "/")[0])
                #expect(Disk.text(scratch.store() + "/" + name) == "c\(n)\r\neth0")
            }
        }
    }

    @Test("threads racing for the last addresses: exactly as many win as there are addresses")
    func exhaustionRace() throws {
        try withScratch { scratch throws in
            let allocator = hostLocal([[range("10.9.0.0/28")]], in: scratch)  // 10.9.0.2-10.9.0.14: 13 addresses
            let results = Self.onThreads(20) { n in
                Result { try allocator.allocate(for: attachment("c\(n)")).cidrs[0] }
            }
            let won = results.compactMap { try? $0.get() }
            #expect(won.count == 13)
            #expect(Set(won).count == 13)
            for case .failure(let error) in results {
                #expect((error as? PontoonError)?.kind == .addressesExhausted)
            }
        }
    }

    @Test("the same attachment added from many threads at once gets exactly one lease")
    func duplicateRace() throws {
        try withAllocator([[range("10.9.0.0/24")]]) { allocator, scratch throws in
            _ = try allocator.allocate(for: attachment("warm-up"))  // the store exists: all threads race on leases only
            for round in 0..<5 {
                let results = Self.onThreads(12) { _ in
                    Result { try allocator.allocate(for: attachment("c\(round)")).cidrs[0] }
                }
                // Without the lock, two threads both pass the duplicate check and both get an address.
                #expect(results.filter { (try? $0.get()) != nil }.count == 1)
                for case .failure(let error) in results {
                    #expect((error as? PontoonError)?.kind == .conflict)
                }
            }
            #expect(Disk.leaseNames(scratch.store()).count == 6)
        }
    }

    @Test("an allocation waits while someone else holds the store's flock")
    func waitsForTheLock() throws {
        try withAllocator([[range("10.9.0.0/29")]]) { allocator, scratch throws in
            _ = try allocator.allocate(for: attachment("c0"))  // creates the store and its lock file
            let fd = open(scratch.store() + "/lock", O_RDONLY)
            try #require(fd >= 0)
            defer { close(fd) }
            #expect(flock(fd, LOCK_EX) == 0)

            let done = Mutex<Bool>(false)
            let group = DispatchGroup()
            group.enter()
            Thread {
                _ = try? allocator.allocate(for: attachment("c1"))
                done.withLock { $0 = true }
                group.leave()
            }.start()
            usleep(300_000)
            #expect(done.withLock { $0 } == false)
            #expect(!Disk.exists(scratch.store() + "/10.9.0.3"))

            #expect(flock(fd, LOCK_UN) == 0)
            group.wait()
            #expect(Disk.text(scratch.store() + "/10.9.0.3") == "c1\r\neth0")
        }
    }

    @Test("Pontoon threads and reference processes racing on one store get distinct addresses",
          .enabled(if: ReferenceHostLocal.isInstalled))
    func mixedWithReference() throws {
        try withScratch { scratch throws in
            let ipam = #""ranges":[[{"subnet":"10.9.0.0/26"}]]"#
            let config = ReferenceHostLocal.config(ipam, dataDir: scratch.dataDir)
            let allocator = hostLocal([[range("10.9.0.0/26")]], in: scratch)
            // Reference processes first (they take a few ms to start), then our threads.
            let started = try (0..<10).map { try ReferenceHostLocal.start("ADD", containerID: "ref\($0)", config: config) }
            let ours = Self.onThreads(10) { n in
                Result { try allocator.allocate(for: attachment("own\(n)")).cidrs[0] }
            }
            let theirs = started.map(ReferenceHostLocal.finish)
            for outcome in theirs { #expect(outcome.status == 0, "\(outcome.stdout)") }

            let leases = try allocator.leases()
            #expect(leases.count == 20)
            #expect(Set(leases.map(\.address)).count == 20)
            let holders = Set(leases.map(\.holder.description))
            #expect(holders == Set((0..<10).map { "ref\($0)/eth0" } + (0..<10).map { "own\($0)/eth0" }))
            #expect(try ours.map { try $0.get() }.count == 10)
        }
    }
}
