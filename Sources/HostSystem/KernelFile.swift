#if canImport(Glibc)
import Glibc
#endif

/// Files the kernel makes up as they are read (`/proc`): their size is 0, and a read hands out at
/// most a page of a table such as `/proc/PID/mountinfo`. Foundation's `String(contentsOfFile:)`
/// takes that first read for the whole file, so a table past one page loses its last lines (where
/// the newest mount is). This reads until the kernel says the end.
public enum KernelFile {
    /// The whole text; nil when the file cannot be opened or read (the process is gone, say).
    public static func text(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(contentsOf: buffer[0..<count])
        }
    }
}
