#if canImport(Glibc)
import Glibc
#endif

/// Directory listings, for the engine's stores and for the descriptors a child must not inherit.
public enum Directory {
    /// Names and inode numbers (getdents' d_ino: no stat per entry) in a directory, without `.`
    /// and `..`; nil when the directory does not exist.
    public static func entries(_ path: String) throws(SystemError) -> [(name: String, inode: UInt64)]? {
        guard let stream = opendir(path) else {
            let code = errno
            if code == ENOENT { return nil }
            throw SystemError(.list, path, code: code)
        }
        defer { closedir(stream) }
        var entries: [(name: String, inode: UInt64)] = []
        while true {
            // readdir answers NULL both at the end and on an error: only errno tells them apart,
            // and a listing cut short would make a caller miss what it must remove.
            errno = 0
            guard let entry = readdir(stream) else {
                let code = errno
                if code == 0 { return entries }
                if code == EINTR { continue }
                throw SystemError(.list, path, code: code)
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { entries.append((name, UInt64(entry.pointee.d_ino))) }
        }
    }
}
