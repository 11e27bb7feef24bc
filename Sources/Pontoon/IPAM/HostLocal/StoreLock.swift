import Glibc

/// The exclusive `flock` on `<store>/lock` that serialises every operation on one lease store, shared
/// with the reference host-local plugin (it locks the same file the same way).
///
/// flock belongs to an open file description, not to a process or thread: each operation opens its
/// own descriptor, so two threads of one process exclude each other exactly as two processes do.
enum StoreLock {
    static let fileName = "lock"
    static let mode: mode_t = 0o600

    enum Outcome<T> {
        case ran(T)
        /// The store directory does not exist and the caller did not ask to create it.
        case noStore
    }

    /// Runs `body` with the lock held. With `createDirectory` the store directory (and its parents,
    /// 0755) is created when missing; without it, a missing directory is reported as `.noStore`
    /// and nothing is created.
    static func withLock<T>(directory: String, createDirectory: Bool, _ body: () throws -> T) throws -> Outcome<T> {
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
        while flock(fd, LOCK_EX) != 0 {
            let code = errno
            if code != EINTR { throw FileSystem.ioError("cannot lock", path, errno: code) }
        }
        return .ran(try body())
    }
}
