import Foundation
import Glibc
import HostSystem
import Testing

@Suite("FileLock")
struct FileLockTests {
    @Test("an exclusive lock excludes another process; unlocking lets it in")
    func excludesAcrossProcesses() throws {
        let scratch = Scratch()
        let path = scratch.path + "/lock"
        let lock = try FileLock(path, mode: .exclusive)
        #expect(run("/usr/bin/flock", "--nonblock", path, "/bin/true") == 1)
        lock.unlock()
        #expect(becomesFree(path))
    }

    @Test("shared holders run side by side; an exclusive one waits for them")
    func sharedAndExclusive() throws {
        let scratch = Scratch()
        let path = scratch.path + "/lock"
        let first = try FileLock(path, mode: .shared)
        let second = try FileLock(path, mode: .shared, timeout: .zero)
        #expect(run("/usr/bin/flock", "--shared", "--nonblock", path, "/bin/true") == 0)
        #expect(throws: SystemError(.lock, path, code: EWOULDBLOCK)) { try FileLock(path, mode: .exclusive, timeout: .milliseconds(20)) }
        first.unlock()
        second.unlock()
        // Not .zero: see `becomesFree`.
        #expect(try FileLock(path, mode: .exclusive, timeout: .seconds(2)).isHeld)
    }

    @Test("a timeout gives up on a lock another descriptor holds, after about that long")
    func timeout() throws {
        let scratch = Scratch()
        let path = scratch.path + "/lock"
        let holder = try FileLock(path, mode: .exclusive)
        let clock = ContinuousClock()
        let start = clock.now
        do {
            _ = try FileLock(path, mode: .exclusive, timeout: .milliseconds(150))
            Issue.record("a second exclusive lock was granted")
        } catch {
            #expect(error.isTimeout)
            #expect(error.path == path)
        }
        #expect(clock.now - start >= .milliseconds(150))
        holder.unlock()
    }

    @Test("a missing directory is an open error (ENOENT) and creates nothing")
    func missingDirectory() {
        let scratch = Scratch()
        let path = scratch.path + "/absent/lock"
        #expect(throws: SystemError(.open, path, code: ENOENT)) { try FileLock(path, mode: .exclusive) }
        #expect(access(scratch.path + "/absent", F_OK) != 0)
    }

    @Test("a symbolic link is not followed to a lock file")
    func noSymlinks() throws {
        let scratch = Scratch()
        symlink(scratch.path + "/elsewhere", scratch.path + "/lock")
        #expect(throws: SystemError(.open, scratch.path + "/lock", code: ELOOP)) { try FileLock(scratch.path + "/lock", mode: .exclusive) }
    }

    /// The last holder removes the file while holding it. A waiter that then gets the lock must hold
    /// the file now at the path, or a third process locking that path would hold it at the same time.
    @Test("a vanishing lock removed while waited for is taken again on the file at the path")
    func vanishingRecreated() throws {
        let scratch = Scratch()
        let path = scratch.path + "/lock"
        let holder = try FileLock(path, mode: .exclusive, vanishing: true)
        let acquired = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var waiter: FileLock?
        Thread.detachNewThread {
            waiter = try? FileLock(path, mode: .exclusive, vanishing: true)
            acquired.signal()
        }
        // Wait until the waiter has the old file open (it then blocks in flock on it).
        var waited = 0
        while Scratch.openCount(path) < 2, waited < 1000 { usleep(5_000); waited += 1 }
        try #require(Scratch.openCount(path) >= 2, "the waiter never opened the lock file")

        holder.removeFile()
        holder.unlock()
        acquired.wait()
        let second = try #require(waiter)
        #expect(access(path, F_OK) == 0, "the waiter made a fresh lock file")
        #expect(run("/usr/bin/flock", "--nonblock", path, "/bin/true") == 1, "two holders of one lock")
        second.unlock()
        #expect(becomesFree(path))
    }

    @Test("unlock closes the descriptor once: after it, deinit and a second unlock close nothing")
    func closeOnce() throws {
        let scratch = Scratch()
        let lock = try FileLock(scratch.path + "/lock", mode: .exclusive)
        #expect(lock.isHeld)
        lock.unlock()
        #expect(!lock.isHeld)
        // Whatever takes the number next must survive a second unlock.
        let other = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(other) }
        lock.unlock()
        #expect(fcntl(other, F_GETFD) >= 0)
        #expect(!lock.isHeld)
    }
}
