#if canImport(Glibc)
import Glibc
#endif

/// Directory listings, for the engine's stores and for the descriptors a child must not inherit.
public enum Directory {
    /// Names and inode numbers (getdents' d_ino: no stat per entry) in a directory, without `.`
    /// and `..`; nil when the directory does not exist.
    public static func entries(_ path: String) throws(SystemError) -> [(name: String, inode: UInt64)]? {
        var entries: [(name: String, inode: UInt64)] = []
        guard try scan(path, { entries.append(($0, $1)); return true }) != nil else { return nil }
        return entries
    }

    /// Hands each name (without `.` and `..`) and inode number to `visit`, in the order the file
    /// system keeps them, until `visit` answers false. A caller asking whether some other entry
    /// exists stops at the first: it decodes a few names, not the thousands a store may hold, and
    /// the kernel fills one buffer (libc's, 32 KiB) instead of all of them. Returns true when every
    /// name was visited, false when `visit` stopped early, nil when the directory does not exist.
    @discardableResult
    public static func scan(_ path: String, _ visit: (String, UInt64) -> Bool) throws(SystemError) -> Bool? {
        guard let stream = opendir(path) else {
            let code = errno
            if code == ENOENT { return nil }
            throw SystemError(.list, path, code: code)
        }
        defer { closedir(stream) }
        while true {
            // readdir answers NULL both at the end and on an error: only errno tells them apart,
            // and a listing cut short would make a caller miss what it must remove.
            errno = 0
            guard let entry = readdir(stream) else {
                let code = errno
                if code == 0 { return true }
                if code == EINTR { continue }
                throw SystemError(.list, path, code: code)
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != "..", !visit(name, UInt64(entry.pointee.d_ino)) { return false }
        }
    }
}
