#if canImport(Glibc)
import Glibc
#endif

/// `/proc/sys` keys. Files under /proc/sys/net belong to the network namespace of the thread that
/// opens them, so container-side keys are set inside `NetworkNamespace.run`.
public enum Sysctl {
    public static func path(_ key: String) -> String { "/proc/sys/" + key }

    public static func exists(_ key: String) -> Bool { access(path(key), F_OK) == 0 }

    public static func get(_ key: String) throws -> String {
        let fd = open(path(key), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError(operation: "read sysctl", path: path(key), errno: errno) }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count >= 0 else { throw SystemError(operation: "read sysctl", path: path(key), errno: errno) }
        return String(decoding: buffer[0..<count], as: UTF8.self).trimmingTrailingNewlines()
    }

    /// Set `key` to `value`; an unchanged value is not written again (no needless kernel work, and
    /// no write permission needed when the host is already configured).
    public static func set(_ key: String, _ value: String) throws {
        if let current = try? get(key), current == value { return }
        let fd = open(path(key), O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError(operation: "write sysctl", path: path(key), errno: errno) }
        defer { close(fd) }
        let bytes = Array(value.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw SystemError(operation: "write sysctl", path: path(key), errno: errno) }
    }

    /// For a value pontoon prefers but the network works without (DAD, announcements, IPv6 off on
    /// bridge ports): set like `set`, but a read-only /proc (podman run inside a container, a
    /// hardened host) answers false instead of failing the setup. netavark sets up there too, as
    /// long as what it needs (forwarding) is already on; those keys still use `set`.
    @discardableResult
    public static func tune(_ key: String, _ value: String) throws -> Bool {
        do {
            try set(key, value)
            return true
        } catch let error as SystemError where error.errno == EROFS {
            return false
        }
    }
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var text = Substring(self)
        while text.last == "\n" { text = text.dropLast() }
        return String(text)
    }
}
