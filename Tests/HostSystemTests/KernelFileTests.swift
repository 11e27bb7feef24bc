import Glibc
import HostSystem
import Testing

@Suite("KernelFile")
struct KernelFileTests {
    /// /proc/self/smaps is handed out a page or so per read; the stack's mapping sits near its end,
    /// far past the first read for a process with this many libraries.
    @Test("a /proc table longer than one read comes whole, up to its last mappings")
    func wholeTable() throws {
        let text = try #require(KernelFile.text("/proc/self/smaps"))
        #expect(text.utf8.count > 3 * 4096)
        #expect(text.contains("[stack]") && text.hasSuffix("\n"))
    }

    @Test("a regular file longer than the read buffer comes byte for byte, a limit to the byte; nil when it cannot be opened, the errno when a read fails")
    func regularFile() throws {
        let scratch = Scratch()
        let path = scratch.path + "/big"
        let content = String(repeating: "0123456789abcdef\n", count: 4000)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        #expect(content.utf8.withContiguousStorageIfAvailable { write(fd, $0.baseAddress, $0.count) } == content.utf8.count)
        close(fd)
        #expect(KernelFile.text(path) == content)
        #expect(KernelFile.text(scratch.path + "/absent") == nil)
        // A limit is kept to the byte, also past one read's worth.
        let limited = open(path, O_RDONLY | O_CLOEXEC)
        defer { close(limited) }
        #expect(try KernelFile.readToEnd(limited, path: path, limit: 5000) == Array(content.utf8.prefix(5000)))
        #expect(try KernelFile.readToEnd(limited, path: path, limit: 10) == Array(content.utf8.dropFirst(5000).prefix(10)))
        #expect(throws: SystemError(.read, "/", code: EISDIR)) {
            let directory = open("/", O_RDONLY | O_CLOEXEC)
            defer { close(directory) }
            _ = try KernelFile.readToEnd(directory, path: "/")
        }
    }
}
