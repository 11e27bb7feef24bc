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

    @Test("a regular file longer than the read buffer comes byte for byte; nil when it cannot be opened")
    func regularFile() throws {
        let scratch = Scratch()
        let path = scratch.path + "/big"
        let content = String(repeating: "0123456789abcdef\n", count: 4000)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        #expect(content.utf8.withContiguousStorageIfAvailable { write(fd, $0.baseAddress, $0.count) } == content.utf8.count)
        close(fd)
        #expect(KernelFile.text(path) == content)
        #expect(KernelFile.text(scratch.path + "/absent") == nil)
    }
}
