import HostSystem
#if canImport(Glibc)
import Glibc
#endif

/// The engine's locks: a `lock` file in the directory it guards, over HostSystem's `FileLock`.
public enum Locks {
    /// Every holder keeps a lock for milliseconds; one that holds it this long is hung, and
    /// waiting forever would hang every ADD behind it.
    public static let defaultTimeout: Duration = .seconds(10)

    /// The exclusive lock that serialises every operation on a lease store (shared with the
    /// reference host-local plugin: it locks the same file the same way), and on the aardvark-dns
    /// and iptables state. The file stays. With `createDirectory` the directory (and its parents,
    /// 0755) is made when missing; without it, nil (and `body` not run) when there is none.
    static func serialising<T>(_ directory: String, createDirectory: Bool, timeout: Duration = defaultTimeout,
                               _ body: () throws -> T) throws -> T? {
        let path = directory + "/lock"
        // Only the directory can be missing here (O_CREAT makes the file itself), or a file stands
        // where a directory should: either way there is no store to work on.
        var lock = try lockFile(path, mode: .exclusive, timeout: timeout, vanishing: false, absentOn: [ENOENT, ENOTDIR])
        if lock == nil {
            guard createDirectory else { return nil }
            try FileSystem.makeDirectories(directory, mode: 0o755)
            lock = try lockFile(path, mode: .exclusive, timeout: timeout, vanishing: false, absentOn: [])
        }
        // Released on every path, the error paths too.
        defer { lock!.unlock() }
        return try body()
    }

    /// A lock that goes away with what it guards (so a state directory is empty once every
    /// container is gone): an exclusive holder may remove the file and its directory (`body` sets
    /// its argument to true), and a waiter then starts over on a fresh one. Shared holders run side
    /// by side; an exclusive holder runs alone. A network's firewall membership and netavark mode's
    /// bridge lifetime. The directory is made (0700) when missing.
    static func vanishing<T>(_ directory: String, mode: FileLock.Mode, _ body: (inout Bool) throws -> T) throws -> T {
        try vanishing(directory, mode: mode, create: true, body)!
    }

    /// The same for what may not exist: nil (and `body` not run) when the directory is absent.
    static func vanishingIfPresent<T>(_ directory: String, mode: FileLock.Mode, _ body: (inout Bool) throws -> T) throws -> T? {
        try vanishing(directory, mode: mode, create: false, body)
    }

    private static func vanishing<T>(_ directory: String, mode: FileLock.Mode, create: Bool,
                                     _ body: (inout Bool) throws -> T) throws -> T? {
        while true {
            guard let lock = try lockFile(directory + "/lock", mode: mode, timeout: nil, vanishing: true, absentOn: [ENOENT]) else {
                // No directory: nothing recorded, or a last holder just removed it. Made only then:
                // the lock is opened first because the directory nearly always exists (a mkdir
                // that fails and a stat saved on every use).
                if create {
                    try FileSystem.makeDirectories(directory, mode: 0o700)
                    continue
                }
                return nil
            }
            defer { lock.unlock() }
            var remove = false
            let result = try body(&remove)
            if remove && mode == .exclusive {
                lock.removeFile()
                rmdir(directory) // fails harmlessly when something else is still there
            }
            return result
        }
    }

    /// nil when opening the lock file fails with one of `absentOn`.
    private static func lockFile(_ path: String, mode: FileLock.Mode, timeout: Duration?, vanishing: Bool,
                                 absentOn: [Int32]) throws(PontoonError) -> FileLock? {
        do throws(SystemError) {
            return try FileLock(path, mode: mode, timeout: timeout, vanishing: vanishing)
        } catch where error.operation == .open && absentOn.contains(error.code) {
            return nil
        } catch {
            throw PontoonError(error, timeout: timeout)
        }
    }
}
