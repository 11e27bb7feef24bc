#if canImport(Glibc)
import Glibc
#endif

/// `/proc/sys` keys. Files under /proc/sys/net belong to the network namespace of the thread that
/// opens them, so container-side keys are set inside `NetworkNamespace.run`.
public enum Sysctl {
    public static func path(_ key: String) -> String { "/proc/sys/" + key }

    public static func get(_ key: String) throws -> String {
        let fd = open(path(key), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError(operation: "read sysctl", path: path(key), errno: errno) }
        defer { close(fd) }
        guard let value = value(of: fd) else { throw SystemError(operation: "read sysctl", path: path(key), errno: errno) }
        return value
    }

    /// The value an open key holds, without its trailing newline; nil when the read fails.
    private static func value(of fd: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count >= 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self).trimmingTrailingNewlines()
    }

    /// Set `key` to `value`; an unchanged value is not written again (no needless kernel work, and
    /// no write permission needed when the host is already configured). Read and written through
    /// one open: each path walk under /proc/sys/net compares the name against every network
    /// namespace's entry of that name (`proc_sys_compare`), so on a host of many containers a walk
    /// costs far more than the read or the write.
    ///
    /// With `ifPresent`, a key that does not exist (IPv6 disabled, an interface without that
    /// setting) returns false instead of failing.
    @discardableResult
    public static func set(_ key: String, _ value: String, ifPresent: Bool = false) throws -> Bool {
        let fd = open(path(key), O_RDWR | O_CLOEXEC)
        guard fd >= 0 else {
            let openError = errno
            if openError == ENOENT && ifPresent { return false }
            // Read-only /proc or no write permission: fine while the value is already right.
            if let current = try? get(key), current == value { return true }
            throw SystemError(operation: "write sysctl", path: path(key), errno: openError)
        }
        defer { close(fd) }
        if Self.value(of: fd) == value { return true }
        let bytes = Array(value.utf8)
        // At offset 0: after the read the file position is past the value, and the kernel ignores
        // a write to an integer key that does not start at 0.
        let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        guard written == bytes.count else { throw SystemError(operation: "write sysctl", path: path(key), errno: errno) }
        return true
    }

    /// For a value pontoon prefers but the network works without (DAD, announcements, IPv6 off on
    /// bridge ports): set like `set`, but a read-only /proc (podman run inside a container, a
    /// hardened host) answers false instead of failing the setup. netavark sets up there too, as
    /// long as what it needs (forwarding) is already on; those keys still use `set`.
    @discardableResult
    public static func tune(_ key: String, _ value: String, ifPresent: Bool = false) throws -> Bool {
        do {
            return try set(key, value, ifPresent: ifPresent)
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
