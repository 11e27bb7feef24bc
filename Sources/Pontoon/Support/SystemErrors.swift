import HostSystem

extension PontoonError {
    /// The one place where a failed system call of HostSystem becomes the engine's error, worded
    /// as the doors have always answered it. `timeout`: the lock's, when one was given.
    init(_ error: SystemError, timeout: Duration? = nil) {
        switch error.operation {
        case .lock where error.isTimeout:
            self.init(.tryAgain, "the lease store lock \(error.path) is held by another process for more than \(timeout ?? .zero)",
                      details: "a plugin holding it may be hung; try again later")
        case .open:
            self = FileSystem.ioError("cannot open lock file", error.path, errno: error.code)
        case .lock:
            self = FileSystem.ioError("cannot lock", error.path, errno: error.code)
        case .list:
            self = FileSystem.ioError("cannot list", error.path, errno: error.code)
        case .read:
            self = FileSystem.ioError("cannot read", error.path, errno: error.code)
        case .pipe:
            self.init(.system, "cannot create pipe for \(error.path)", details: error.reason)
        case .spawn:
            self.init(.system, "cannot run \(error.path)", details: error.reason)
        }
    }
}
