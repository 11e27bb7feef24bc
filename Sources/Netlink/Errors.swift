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
        "\(operation)\(path.map { " \($0)" } ?? ""): \(String(cString: strerror(errno)))"
    }
}

/// Symbolic names of the errnos netlink commonly answers with, for operators reading logs.
func errnoName(_ code: Int32) -> String? {
    switch code {
    case EEXIST: "EEXIST"
    case ENODEV: "ENODEV"
    case ENOENT: "ENOENT"
    case EINVAL: "EINVAL"
    case EPERM: "EPERM"
    case EBUSY: "EBUSY"
    case EOPNOTSUPP: "EOPNOTSUPP"
    case ENETUNREACH: "ENETUNREACH"
    case EADDRNOTAVAIL: "EADDRNOTAVAIL"
    case ERANGE: "ERANGE"
    case ENOBUFS: "ENOBUFS"
    default: nil
    }
}
