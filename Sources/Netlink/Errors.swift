#if canImport(Glibc)
import Glibc
#endif

/// A netlink request the kernel refused: what we were doing, the errno, and the kernel's own
/// explanation when it sent one (extended ACK).
public struct NetlinkError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var errno: Int32
    public var kernelMessage: String?

    public init(operation: String, errno: Int32, kernelMessage: String? = nil) {
        self.operation = operation
        self.errno = errno
        self.kernelMessage = kernelMessage
    }

    public var isExists: Bool { errno == EEXIST }
    public var isNoDevice: Bool { errno == ENODEV }
    /// "The thing is not there" as each object kind says it: ENODEV for links, ESRCH for routes,
    /// EADDRNOTAVAIL for addresses, ENOENT for VLANs and others. For tolerant deletes.
    public var isNotFound: Bool { errno == ENOENT || errno == ESRCH || errno == ENODEV || errno == EADDRNOTAVAIL }

    public var description: String {
        var text = "\(operation): \(String(cString: strerror(errno)))"
        if let name = errnoName(errno) { text += " (\(name))" }
        if let kernelMessage, !kernelMessage.isEmpty { text += ": \(kernelMessage)" }
        return text
    }
}

/// A system call other than a netlink request failed (opening a namespace, a sysctl, a socket).
public struct SystemError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var path: String?
    public var errno: Int32

    public init(operation: String, path: String? = nil, errno: Int32) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    public var isNotFound: Bool { errno == ENOENT }

    public var description: String {
        var text = "\(operation)\(path.map { " \($0)" } ?? ""): \(String(cString: strerror(errno)))"
        if let name = errnoName(errno) { text += " (\(name))" }
        return text
    }
}

/// Symbolic names of the errnos netlink and these system calls commonly answer with, for
/// operators reading logs (strerror's text alone is ambiguous, e.g. "No such device").
func errnoName(_ code: Int32) -> String? {
    switch code {
    case EPERM: "EPERM"
    case ENOENT: "ENOENT"
    case ESRCH: "ESRCH"
    case EINTR: "EINTR"
    case EIO: "EIO"
    case EBADF: "EBADF"
    case EAGAIN: "EAGAIN"
    case ENOMEM: "ENOMEM"
    case EACCES: "EACCES"
    case EBUSY: "EBUSY"
    case EEXIST: "EEXIST"
    case ENODEV: "ENODEV"
    case ENOTDIR: "ENOTDIR"
    case EINVAL: "EINVAL"
    case ENOSPC: "ENOSPC"
    case EROFS: "EROFS"
    case ERANGE: "ERANGE"
    case ENAMETOOLONG: "ENAMETOOLONG"
    case EMSGSIZE: "EMSGSIZE"
    case EPROTONOSUPPORT: "EPROTONOSUPPORT"
    case EOPNOTSUPP: "EOPNOTSUPP"
    case EAFNOSUPPORT: "EAFNOSUPPORT"
    case EADDRINUSE: "EADDRINUSE"
    case EADDRNOTAVAIL: "EADDRNOTAVAIL"
    case ENETDOWN: "ENETDOWN"
    case ENETUNREACH: "ENETUNREACH"
    case ENOBUFS: "ENOBUFS"
    case EHOSTUNREACH: "EHOSTUNREACH"
    default: nil
    }
}
