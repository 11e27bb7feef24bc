#if canImport(Glibc)
import Glibc
#endif

/// A flock on `<directory>/lock` that goes away with what it guards (so a state directory is empty
/// once every container is gone): an exclusive holder may unlink the file and its directory, and a
/// waiter that then gets the lock of the unlinked file notices (the path no longer names its inode)
/// and starts over on a fresh one. Shared holders run side by side; an exclusive holder runs alone.
/// Used for a network's firewall membership and for netavark mode's bridge lifetime.
enum VanishingLock {
    enum Mode { case shared, exclusive }

    /// Runs `body` with the lock held, making the directory when needed. `body` sets its argument
    /// to true (exclusive mode only) to remove the lock file and directory before unlocking.
    static func withLock<T>(directory: String, mode: Mode, _ body: (inout Bool) throws -> T) throws -> T {
        try lock(directory: directory, mode: mode, create: true, body)!
    }

    /// The same for what may not exist: nil (and `body` not run) when the directory is absent.
    static func withExistingLock<T>(directory: String, mode: Mode, _ body: (inout Bool) throws -> T) throws -> T? {
        try lock(directory: directory, mode: mode, create: false, body)
    }

    private static func lock<T>(directory: String, mode: Mode, create: Bool, _ body: (inout Bool) throws -> T) throws -> T? {
        let path = directory + "/lock"
        while true {
            if create { try FileSystem.makeDirectories(directory, mode: 0o700) }
            let fd: Int32
            switch FileSystem.open(path, O_RDONLY | O_CREAT | O_NOFOLLOW, mode: 0o600) {
            case .success(let opened):
                fd = opened
            case .failure(let error) where error.code == ENOENT:
                // No directory: nothing recorded, or a last holder just removed it.
                if create { continue }
                return nil
            case .failure(let error):
                throw FileSystem.ioError("cannot open lock file", path, errno: error.code)
            }
            defer { close(fd) }
            while flock(fd, mode == .shared ? LOCK_SH : LOCK_EX) != 0 {
                let code = errno
                if code != EINTR { throw FileSystem.ioError("cannot lock", path, errno: code) }
            }
            var held = stat(), named = stat()
            guard fstat(fd, &held) == 0, stat(path, &named) == 0, held.st_ino == named.st_ino, held.st_dev == named.st_dev else {
                continue // an exclusive holder removed this lock file: take the current one
            }
            var remove = false
            let result = try body(&remove)
            if remove && mode == .exclusive {
                unlink(path)
                rmdir(directory) // fails harmlessly when something else is still there
            }
            return result
        }
    }
}
