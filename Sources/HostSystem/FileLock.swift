#if canImport(Glibc)
import Glibc
#endif

/// A `flock` on a lock file, held from a successful init until `unlock()` (or deinit), or until the
/// process ends: a crash never leaves a lock behind.
///
/// flock belongs to an open file description, not to a process or thread: every lock opens its own
/// descriptor, so two threads of one process exclude each other exactly as two processes do.
///
/// A lock file may go away with what it guards: its last holder removes it (`removeFile`) while
/// holding it. A waiter that was blocked on that file would then hold a lock on a name nobody else
/// can open, while a third process creates a fresh file at the path and locks that: two holders. A
/// `vanishing` lock therefore counts only when the file locked is still the one at the path, and is
/// taken again on the file there otherwise.
public final class FileLock {
    public enum Mode: Sendable { case shared, exclusive }

    public let path: String
    private var fd: Int32

    /// Opens (creating it with `permissions` when missing, never through a symbolic link) and locks
    /// `path`. A missing directory is `.open` with ENOENT (or ENOTDIR): whether to create it is the
    /// caller's business.
    ///
    /// - timeout: nil waits as long as it takes; otherwise a holder that keeps the lock longer makes
    ///   this throw `.lock` with EWOULDBLOCK (`SystemError.isTimeout`).
    /// - vanishing: the file may be removed by a holder (see the type's comment).
    public init(_ path: String, mode: Mode, timeout: Duration? = nil, vanishing: Bool = false,
                permissions: mode_t = 0o600) throws(SystemError) {
        self.path = path
        while true {
            let fd = try Self.open(path, permissions: permissions)
            do throws(SystemError) {
                if let timeout {
                    try Self.poll(fd, path: path, mode: mode, timeout: timeout)
                } else {
                    try Self.wait(fd, path: path, mode: mode)
                }
            } catch {
                close(fd)
                throw error
            }
            if !vanishing || Self.isStillNamed(fd, by: path) {
                self.fd = fd
                return
            }
            close(fd) // removed (or replaced) while we waited: lock whatever is at the path now
        }
    }

    /// Whether the lock is still held (`unlock` not called yet).
    public var isHeld: Bool { fd >= 0 }

    /// Removes the lock file while holding it, for a last holder that takes it with what it guards.
    /// Waiters of a `vanishing` lock notice and start over; the lock itself lasts until `unlock`.
    public func removeFile() {
        unlink(path)
    }

    /// Releases the lock. Once only: a second close would close whatever descriptor has reused the
    /// number since (a child's pipe, a netlink socket), which is why deinit goes through here too.
    public func unlock() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
    }

    deinit { unlock() }

    private static func open(_ path: String, permissions: mode_t) throws(SystemError) -> Int32 {
        while true {
            let fd = Glibc.open(path, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, permissions)
            if fd >= 0 { return fd }
            let code = errno
            if code != EINTR { throw SystemError(.open, path, code: code) }
        }
    }

    private static func operation(_ mode: Mode) -> Int32 { mode == .shared ? LOCK_SH : LOCK_EX }

    private static func wait(_ fd: Int32, path: String, mode: Mode) throws(SystemError) {
        while flock(fd, operation(mode)) != 0 {
            let code = errno
            if code != EINTR { throw SystemError(.lock, path, code: code) }
        }
    }

    /// Polls a non-blocking flock with a growing pause (1 ms up to 50 ms) until `timeout`. (A
    /// blocking flock cannot be given a deadline without signals, which a library must not steal
    /// from its process.)
    private static func poll(_ fd: Int32, path: String, mode: Mode, timeout: Duration) throws(SystemError) {
        let (seconds, attoseconds) = timeout.components
        let deadline = monotonicNanoseconds() + seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        var pauseMicroseconds: UInt32 = 1000
        while flock(fd, operation(mode) | LOCK_NB) != 0 {
            let code = errno
            if code == EINTR { continue }
            guard code == EWOULDBLOCK, monotonicNanoseconds() < deadline else { throw SystemError(.lock, path, code: code) }
            usleep(pauseMicroseconds) // an early wake-up (EINTR) only means an earlier retry
            pauseMicroseconds = min(pauseMicroseconds * 2, 50_000)
        }
    }

    /// CLOCK_MONOTONIC, read directly: `ContinuousClock` would link the Concurrency runtime, whose
    /// constructors (and libdispatch's) run before `main` in every plugin process.
    private static func monotonicNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    /// The locked descriptor's file is the one `path` names now.
    private static func isStillNamed(_ fd: Int32, by path: String) -> Bool {
        var held = stat(), named = stat()
        return fstat(fd, &held) == 0 && stat(path, &named) == 0 && held.st_ino == named.st_ino && held.st_dev == named.st_dev
    }
}
