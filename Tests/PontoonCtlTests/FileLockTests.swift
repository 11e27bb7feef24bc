import Foundation
import NetAddress
import Testing
@testable import PontoonCtl

@Suite("pontoonctl's container lock")
struct FileLockTests {
    /// `rm` removes the lock file while holding it. A waiter that then gets the lock must hold the
    /// file now at the path, or a third process locking that path would hold it at the same time.
    @Test("a lock whose file was removed while waiting is taken again on the file at the path")
    func removedWhileWaiting() throws {
        let directory = NSTemporaryDirectory() + "pontoonctl-lock-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/container-x"

        let holder = try FileLock(path)
        let acquired = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var waiter: FileLock?
        Thread.detachNewThread {
            waiter = try? FileLock(path)
            acquired.signal()
        }
        // Wait until the waiter has the old file open (it then blocks in flock on it).
        func openCount() -> Int {
            ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).filter {
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0)) == path
            }.count
        }
        var waited = 0
        while openCount() < 2, waited < 1000 { usleep(5_000); waited += 1 }
        try #require(openCount() >= 2, "the waiter never opened the lock file")

        // What rm does: remove the file, then release.
        unlink(path)
        holder.unlock()
        acquired.wait()
        let second = try #require(waiter)

        // A third party opening the path must find it locked.
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        try #require(fd >= 0)
        defer { close(fd) }
        let third = flock(fd, LOCK_EX | LOCK_NB)
        #expect(third != 0 && errno == EWOULDBLOCK, "two holders of one container's lock")
        second.unlock()
        #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
    }
}

@Suite("pontoonctl network modes")
struct NetworkModeTests {
    @Test("container: and ns: are modes; anything else is a network name")
    func parse() {
        #expect(NetworkMode.parse("container:web") == .container("web"))
        #expect(NetworkMode.parse("ns:/run/netns/x") == .path("/run/netns/x"))
        #expect(NetworkMode.parse("front") == nil)
        #expect(NetworkMode.parse("front:ip=10.0.0.2") == nil)
        #expect("\(NetworkMode.container("web"))" == "container:web")
    }

    @Test("link-local addresses are what a joined namespace's inspect leaves out")
    func linkLocal() {
        #expect(JoinedNamespace.isLinkLocal(IPNetwork("169.254.3.3/16")!))
        #expect(JoinedNamespace.isLinkLocal(IPNetwork("fe80::1/64")!))
        #expect(!JoinedNamespace.isLinkLocal(IPNetwork("192.0.2.10/24")!))
        #expect(!JoinedNamespace.isLinkLocal(IPNetwork("2001:db8::10/64")!))
    }

    @Test("a record of an older pontoonctl (no networkMode) still reads")
    func oldRecord() throws {
        let json = #"{"id":"ab","name":"x","netns":"/run/netns/n","dnsServers":[],"ports":[],"networks":[],"status":{}}"#
        let record = try JSONDecoder().decode(ContainerRecord.self, from: Data(json.utf8))
        #expect(record.networkMode == nil)
    }

    /// `defer { lock.unlock() }` and then deinit used to close the descriptor twice; the second
    /// close hit whatever had reused the number meanwhile (in the test runner: another test's
    /// child's stdout pipe, whose child then died of SIGPIPE while its neighbour's output was read
    /// in its place).
    @Test("unlock gives the descriptor back once: after it, deinit closes nothing")
    func unlockClosesOnce() throws {
        let directory = NSTemporaryDirectory() + "pontoonctl-lock-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let lock = try FileLock(directory + "/container-y")
        #expect(lock.isHeld)
        lock.unlock()
        #expect(!lock.isHeld)
        lock.unlock()   // harmless
        #expect(!lock.isHeld)
    }
}
