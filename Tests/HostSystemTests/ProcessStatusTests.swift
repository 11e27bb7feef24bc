import Glibc
import HostSystem
import Testing

@Suite("ProcessStatus")
struct ProcessStatusTests {
    @Test("the name runs to the last parenthesis (names may hold spaces and parentheses); the state follows it")
    func parses() {
        #expect(ProcessStatus(stat: "42 (aardvark-dns) S 1 42 42 0 -1") == ProcessStatus(stat: "42 (aardvark-dns) S"))
        let odd = ProcessStatus(stat: "7 (a) b (c) Z 1 7")
        #expect(odd?.name == "a) b (c" && odd?.state == "Z" && odd?.ended == true)
        #expect(ProcessStatus(stat: "9 (slirp4netns) X 1")?.ended == true)
        #expect(ProcessStatus(stat: "9 (slirp4netns) R 1")?.ended == false)
        #expect(ProcessStatus(stat: "") == nil && ProcessStatus(stat: "9 (x)") == nil && ProcessStatus(stat: "9 x) (y S") == nil)
    }

    @Test("this process runs under its own name; a zombie child has ended; a pid that is no process is nil")
    func live() throws {
        let me = try #require(ProcessStatus.of(getpid()))
        #expect(!me.ended && ProcessStatus.running(getpid(), named: me.name))
        #expect(!ProcessStatus.running(getpid(), named: me.name + "-other"))
        let child = fork()
        if child == 0 { _exit(0) }
        // Not reaped yet: a zombie, which kill(pid, 0) still finds.
        var ended = false
        for _ in 0..<500 where !ended {
            ended = ProcessStatus.of(child)?.ended == true
            if !ended { usleep(2_000) }
        }
        #expect(ended && kill(child, 0) == 0 && !ProcessStatus.running(child, named: ""))
        var status: Int32 = 0
        waitpid(child, &status, 0)
        #expect(ProcessStatus.of(child) == nil && ProcessStatus.of(0) == nil)
    }
}
