#if canImport(Glibc)
import Glibc
#endif

/// The exclusive flock on `<directory>/lock` that serialises a network's firewall membership.
/// Unlike a lease store's lock, it disappears with the network's last attachment (so a state
/// directory is empty once every container is gone): the holder may unlink the file and its
/// directory, and a waiter that then gets the lock of an unlinked file notices (the path no longer
/// names its inode) and starts over.
enum FirewallLock {
    /// Runs `body` with the lock held; nil when the directory does not exist and `create` is false.
    /// `body` sets its argument to true to remove the lock file and directory before unlocking.
    static func withLock<T>(directory: String, create: Bool, _ body: (inout Bool) throws -> T) throws -> T? {
        let path = directory + "/lock"
        while true {
            if create { try FileSystem.makeDirectories(directory, mode: 0o700) }
            let fd: Int32
            switch FileSystem.open(path, O_RDONLY | O_CREAT | O_NOFOLLOW, mode: 0o600) {
            case .success(let opened):
                fd = opened
            case .failure(let error) where error.code == ENOENT:
                // No directory: nothing recorded (or it was just removed by a last leaver).
                if create { continue }
                return nil
            case .failure(let error):
                throw FileSystem.ioError("cannot open lock file", path, errno: error.code)
            }
            defer { close(fd) }
            while flock(fd, LOCK_EX) != 0 {
                let code = errno
                if code != EINTR { throw FileSystem.ioError("cannot lock", path, errno: code) }
            }
            var held = stat(), named = stat()
            guard fstat(fd, &held) == 0, stat(path, &named) == 0, held.st_ino == named.st_ino, held.st_dev == named.st_dev else {
                continue // the previous holder removed this lock file: take the current one
            }
            var remove = false
            let result = try body(&remove)
            if remove {
                unlink(path)
                rmdir(directory) // fails harmlessly when something else is still there
            }
            return result
        }
    }
}
