import Glibc
import HostSystem
import Testing

@Suite("Directory")
struct DirectoryTests {
    func populated(_ count: Int) -> Scratch {
        let scratch = Scratch()
        for index in 0..<count {
            let fd = open("\(scratch.path)/file\(index)", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            close(fd)
        }
        return scratch
    }

    @Test("entries: every name once, without . and ..; nil for a missing directory")
    func entries() throws {
        let scratch = populated(700)  // more than one getdents buffer of libc's
        let names = try #require(try Directory.entries(scratch.path)).map(\.name)
        #expect(names.count == 700 && Set(names) == Set((0..<700).map { "file\($0)" }))
        #expect(try Directory.entries(scratch.path + "/absent") == nil)
    }

    @Test("scan stops where visit says so (false), visits everything otherwise (true), nil when absent")
    func scanStops() throws {
        let scratch = populated(700)
        var seen: [String] = []
        let stopped = try Directory.scan(scratch.path) { name, _ in
            seen.append(name)
            return seen.count < 2
        }
        #expect(stopped == false && seen.count == 2)
        var all = 0
        let finished = try Directory.scan(scratch.path) { _, _ in all += 1; return true }
        #expect(finished == true && all == 700)
        #expect(try Directory.scan(scratch.path + "/absent") { _, _ in true } == nil)
    }

    @Test("a path that is not a directory is an error naming it")
    func notADirectory() {
        let scratch = populated(1)
        #expect(throws: SystemError.self) { try Directory.scan("\(scratch.path)/file0") { _, _ in true } }
    }
}
