import Foundation

/// An exclusive `flock` on a file, released by `unlock()` or when the process ends (a crash
/// never leaves a lock behind).
///
/// `rm` removes a container's lock file while holding it. A process that was waiting on that file
/// would then hold a lock on a name nobody else can open, while a third opens a new file at the
/// path and locks that: two holders. So a lock counts only when the file locked is still the
/// one at the path; otherwise it is taken again on the new file.
final class FileLock {
    private var fd: Int32

    init(_ path: String) throws(CtlError) {
        while true {
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw CtlError(.failed, "cannot open lock \(path): \(String(cString: strerror(errno)))") }
            while flock(fd, LOCK_EX) != 0 {
                if errno == EINTR { continue }
                let message = String(cString: strerror(errno))
                close(fd)
                throw CtlError(.failed, "cannot lock \(path): \(message)")
            }
            var locked = stat(), current = stat()
            if fstat(fd, &locked) == 0, stat(path, &current) == 0, locked.st_ino == current.st_ino, locked.st_dev == current.st_dev {
                self.fd = fd
                return
            }
            close(fd)   // removed (or replaced) while we waited: lock whatever is at the path now
        }
    }

    /// Once only: a second close would close whatever descriptor has reused the number since (a
    /// plugin's pipe, a netlink socket), which is why `deinit` goes through here too.
    func unlock() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
    }
    deinit { unlock() }

    var isHeld: Bool { fd >= 0 }
}
