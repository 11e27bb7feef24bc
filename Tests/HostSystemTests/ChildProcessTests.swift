import Glibc
import HostSystem
import Testing

@Suite("ChildProcess")
struct ChildProcessTests {
    private func shell(_ script: String, environment: [String: String] = [:], stdin: [UInt8] = [],
                       stderr: ChildProcess.ErrorOutput = .captured, endsWithChild: Bool = false) throws -> ChildProcess.Outcome {
        try ChildProcess.run("/bin/sh", arguments: ["-c", script], environment: environment, stdin: stdin,
                             stderr: stderr, endsWithChild: endsWithChild)
    }

    private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test("the exit status; 128 + the signal for a child killed by one", arguments: [false, true])
    func exitStatus(endsWithChild: Bool) throws {
        #expect(try shell("exit 0", endsWithChild: endsWithChild).status == 0)
        #expect(try shell("exit 3", endsWithChild: endsWithChild).status == 3)
        #expect(try shell("kill -KILL $$", endsWithChild: endsWithChild).status == 128 + SIGKILL)
    }

    @Test("stdout and stderr are captured apart, or stderr merged into stdout")
    func capture() throws {
        let apart = try shell("echo out; echo err >&2")
        #expect(text(apart.stdout) == "out\n")
        #expect(text(apart.stderr) == "err\n")
        let merged = try shell("echo out; echo err >&2", stderr: .mergedIntoStdout)
        #expect(text(merged.stdout) == "out\nerr\n")
        #expect(merged.stderr.isEmpty)
    }

    @Test("the environment is exactly the one given", arguments: [false, true])
    func environment(endsWithChild: Bool) throws {
        let outcome = try ChildProcess.run("/usr/bin/env", environment: ["CNI_COMMAND": "ADD"], stdin: [],
                                           endsWithChild: endsWithChild)
        #expect(text(outcome.stdout) == "CNI_COMMAND=ADD\n")
    }

    @Test("a stdin larger than a pipe while the child answers as much: no deadlock", arguments: [false, true])
    func largeStdin(endsWithChild: Bool) throws {
        let input = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let outcome = try ChildProcess.run("/bin/cat", environment: [:], stdin: input, endsWithChild: endsWithChild)
        #expect(outcome.status == 0)
        #expect(outcome.stdout == input)
    }

    @Test("a child that answers without reading its stdin")
    func unreadStdin() throws {
        signal(SIGPIPE, SIG_IGN)
        let outcome = try shell("echo early", stdin: [UInt8](repeating: 65, count: 1 << 20), endsWithChild: true)
        #expect(outcome.status == 0)
        #expect(text(outcome.stdout) == "early\n")
    }

    @Test("endsWithChild: the run ends when the child exits, though a daemon it started holds its stdout")
    func daemonHoldsOutput() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let outcome = try shell("sleep 5 & echo started", endsWithChild: true)
        #expect(clock.now - start < .seconds(3))
        #expect(outcome.status == 0)
        #expect(text(outcome.stdout) == "started\n")
    }

    @Test("only 0, 1 and 2 reach the child when asked")
    func onlyStandardDescriptors() throws {
        let fd = open("/dev/null", O_RDONLY) // not close-on-exec
        defer { close(fd) }
        let script = "test -e /proc/self/fd/\(fd) && echo inherited || echo closed"
        let inherits = try ChildProcess.run("/bin/sh", arguments: ["-c", script], environment: [:], stdin: [])
        #expect(text(inherits.stdout) == "inherited\n")
        let isolated = try ChildProcess.run("/bin/sh", arguments: ["-c", script], environment: [:], stdin: [],
                                            onlyStandardDescriptors: true)
        #expect(text(isolated.stdout) == "closed\n")
    }

    @Test("a missing executable is a spawn error naming it")
    func missingExecutable() {
        #expect(throws: SystemError(.spawn, "/nonexistent/plugin", code: ENOENT)) {
            try ChildProcess.run("/nonexistent/plugin", environment: [:], stdin: [])
        }
        #expect(throws: SystemError(.spawn, "/nonexistent/daemon", code: ENOENT)) {
            try ChildProcess.launchDetached("/nonexistent/daemon", arguments: [], environment: [:])
        }
    }

    @Test("a detached launch returns the launcher's exit status, the service's output going nowhere")
    func launchDetached() throws {
        #expect(try ChildProcess.launchDetached("/bin/sh", arguments: ["-c", "echo noise; exit 4"], environment: [:]) == 4)
    }

    @Test("find looks through the directories in order for an executable")
    func find() {
        #expect(ChildProcess.find("sh", in: ["", "/nonexistent", "/bin/"]) == "/bin/sh")
        #expect(ChildProcess.find("no-such-tool", in: ["/bin", "/usr/bin"]) == nil)
    }
}
