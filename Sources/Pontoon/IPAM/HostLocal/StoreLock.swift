import Glibc

/// The exclusive `flock` on `<store>/lock` that serialises every operation on one lease store, shared
/// with the reference host-local plugin (it locks the same file the same way).
///
/// flock belongs to an open file description, not to a process or thread: each operation opens its
/// own descriptor, so two threads of one process exclude each other exactly as two processes do.
public enum StoreLock {
    static let fileName = "lock"
    static let mode: mode_t = 0o600
    /// Every holder keeps the lock for milliseconds; one that holds it this long is hung, and
    /// waiting forever would hang every ADD behind it.
    public static let defaultTimeout: Duration = .seconds(10)

    enum Outcome<T> {
        case ran(T)
        /// The store directory does not exist and the caller did not ask to create it.
        case noStore
    }

    /// Runs `body` with the lock held. With `createDirectory` the store directory (and its parents,
    /// 0755) is created when missing; without it, a missing directory is reported as `.noStore`
    /// and nothing is created.
    static func withLock<T>(directory: String, createDirectory: Bool, timeout: Duration = defaultTimeout,
                            _ body: () throws -> T) throws -> Outcome<T> {
        let path = directory + "/" + fileName
        var fd: Int32
        switch FileSystem.open(path, O_RDONLY | O_CREAT | O_NOFOLLOW, mode: mode) {
        case .success(let opened):
            fd = opened
        case .failure(let error) where error.code == ENOENT || error.code == ENOTDIR:
            // Only the directory can be missing here (O_CREAT makes the file itself), or a file
            // stands where a directory should: either way there is no store to work on.
            guard createDirectory else { return .noStore }
            try FileSystem.makeDirectories(directory, mode: 0o755)
            switch FileSystem.open(path, O_RDONLY | O_CREAT | O_NOFOLLOW, mode: mode) {
            case .success(let opened): fd = opened
            case .failure(let error): throw FileSystem.ioError("cannot open lock file", path, errno: error.code)
            }
        case .failure(let error):
            throw FileSystem.ioError("cannot open lock file", path, errno: error.code)
        }
        // Closing the descriptor releases the lock, also on the error paths.
        defer { close(fd) }
        try acquire(fd, path: path, timeout: timeout)
        return .ran(try body())
    }

    /// Polls a non-blocking flock with a growing pause (1 ms up to 50 ms) until `timeout`, then
    /// answers "try again later" naming the lock. (A blocking flock cannot be given a deadline
    /// without signals, which a plugin must not steal from its caller.)
    private static func acquire(_ fd: Int32, path: String, timeout: Duration) throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        var pauseMicroseconds: UInt32 = 1000
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            if code == EINTR { continue }
            guard code == EWOULDBLOCK else { throw FileSystem.ioError("cannot lock", path, errno: code) }
            guard clock.now < deadline else {
                throw PontoonError(.tryAgain, "the lease store lock \(path) is held by another process for more than \(timeout)",
                                   details: "a plugin holding it may be hung; try again later")
            }
            usleep(pauseMicroseconds) // an early wake-up (EINTR) only means an earlier retry
            pauseMicroseconds = min(pauseMicroseconds * 2, 50_000)
        }
    }
}
