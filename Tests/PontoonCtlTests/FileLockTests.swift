import Foundation
import NetAddress
import Testing
import HostSystem
@testable import PontoonCtl

@Suite("pontoonctl's container lock")
struct FileLockTests {
    /// The lock itself (vanishing, timeouts) is HostSystem's and tested there; this is what
    /// pontoonctl adds: which lock `FileLock(path)` is, and its messages.
    @Test("FileLock(path) is exclusive and its failures name the lock file")
    func pontoonctlLock() throws {
        let directory = NSTemporaryDirectory() + "pontoonctl-lock-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/container-x"

        let holder = try FileLock(path)
        #expect(throws: (any Error).self, "a shared lock got in beside pontoonctl's") {
            try HostSystem.FileLock(path, mode: .shared, timeout: .milliseconds(20))
        }
        holder.unlock()

        let missing = directory + "/no-such-directory/container-y"
        let error = #expect(throws: CtlError.self) { try FileLock(missing) }
        #expect(error?.description == "cannot open lock \(missing): No such file or directory")
        #expect(error?.kind == .failed)
    }
}

@Suite("pontoonctl network modes")
struct NetworkModeTests {
    @Test("container: and ns: are modes; anything else is a network name")
    func parse() throws {
        #expect(try NetworkMode.parse("container:web") == .container("web"))
        #expect(try NetworkMode.parse("ns:/run/netns/x") == .path("/run/netns/x"))
        #expect(try NetworkMode.parse("front") == nil)
        #expect(try NetworkMode.parse("front:ip=10.0.0.2") == nil)
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
