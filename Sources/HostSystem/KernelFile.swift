#if canImport(Glibc)
import Glibc
#endif

/// Reading a file to its end, the one loop the engine's files and `/proc` share. Files the kernel
/// makes up as they are read (`/proc`) have size 0 and hand out at most a page of a table such as
/// `/proc/PID/mountinfo` per read; Foundation's `String(contentsOfFile:)` takes that first read for
/// the whole file, so a table past one page loses its last lines (where the newest mount is).
public enum KernelFile {
    /// What is left to read from `fd`, until the kernel says the end or `limit` bytes are in;
    /// EINTR is retried. Throws the errno of a read that failed.
    public static func readToEnd(_ fd: Int32, path: String, limit: Int = .max) throws(SystemError) -> [UInt8] {
        var bytes: [UInt8] = []
        // A page: what the kernel hands out of a /proc table per read, and more than most of our files.
        var buffer = [UInt8](repeating: 0, count: min(limit, 4096))
        while bytes.count < limit {
            let wanted = min(buffer.count, limit - bytes.count)
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, wanted) }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                throw SystemError(.read, path, code: code)
            }
            if count == 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
        }
        return bytes
    }

    /// The whole text; nil when the file cannot be opened or read (the process is gone, say).
    public static func text(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return (try? readToEnd(fd, path: path)).map { String(decoding: $0, as: UTF8.self) }
    }
}
