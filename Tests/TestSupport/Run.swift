import Foundation

/// The outcome of a child process, as a runtime sees it.
public struct RunResult: Sendable {
    public var status: Int32
    public var stdout: Data
    public var stderr: Data

    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }

    /// stdout parsed as a JSON document (nil when empty or not JSON).
    public var json: Any? {
        stdout.isEmpty ? nil : try? JSONSerialization.jsonObject(with: stdout, options: [.fragmentsAllowed])
    }
}

public enum TestRun {
    /// Run `executable` with exactly `environment` (nothing inherited), feeding `stdin`.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String] = [], environment: [String: String]? = nil,
                           stdin: Data = Data()) throws -> RunResult {
        try start(executable, arguments, environment: environment, stdin: stdin).finish()
    }

    /// Start a child without waiting for it, so many can race; `finish()` collects it.
    public static func start(_ executable: String, _ arguments: [String] = [], environment: [String: String]? = nil,
                             stdin: Data = Data()) throws -> RunningProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        if !stdin.isEmpty { withoutSIGPIPE { try? input.fileHandleForWriting.write(contentsOf: stdin) } }
        try? input.fileHandleForWriting.close()
        return RunningProcess(process: process, output: output, errors: errors)
    }

    /// Runs `body` so that writing to a pipe whose reader has gone (a child that exits before
    /// reading all its stdin, as a failing plugin may) fails with EPIPE instead of killing the
    /// whole test process with SIGPIPE. Not by ignoring SIGPIPE here: children inherit an ignored
    /// signal through exec (code under test that runs plugins in-process may still ignore it for
    /// the whole process). The signal is blocked for this thread only, and one our write raised is
    /// taken before unblocking.
    static func withoutSIGPIPE<T>(_ body: () throws -> T) rethrows -> T {
        var pipeSignal = sigset_t(), previous = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &pipeSignal, &previous)
        defer {
            var now = timespec(tv_sec: 0, tv_nsec: 0)
            while sigtimedwait(&pipeSignal, nil, &now) == SIGPIPE {}
            pthread_sigmask(SIG_SETMASK, &previous, nil)
        }
        return try body()
    }

    /// Run a shell command line; used for `ip` and friends in integration tests.
    @discardableResult
    public static func sh(_ command: String) throws -> RunResult {
        try run("/bin/sh", ["-c", command], environment: ProcessInfo.processInfo.environment)
    }
}

/// Paths of the executables this package builds, next to the test bundle.
public enum Binaries {
    public static var directory: String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return (me as NSString).deletingLastPathComponent
    }

    public static var pontoon: String { directory + "/pontoon" }

    /// A `host-local` link to pontoon in `directory`, so the binary serves the IPAM plugin.
    public static func hostLocalLink(in directory: String) throws -> String {
        let link = directory + "/host-local"
        if !FileManager.default.fileExists(atPath: link) {
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: pontoon)
        }
        return link
    }

    /// The reference plugins from Debian's containernetworking-plugins.
    public static let referenceDirectory = "/usr/lib/cni"
}

/// A child started by `TestRun.start`.
public struct RunningProcess {
    let process: Process
    let output: Pipe
    let errors: Pipe

    public var pid: Int32 { process.processIdentifier }

    /// Stop the child. SIGKILL, because a child can inherit an ignored SIGTERM from the test runner.
    public func terminate() { kill(process.processIdentifier, SIGKILL) }

    /// Wait for the child and collect what it printed.
    public func finish() -> RunResult {
        // Drain both pipes concurrently so a chatty child cannot block on a full pipe.
        nonisolated(unsafe) var errorData = Data()
        let errorHandle = errors.fileHandleForReading
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errorData = errorHandle.readDataToEndOfFile()
            group.leave()
        }
        let outData = output.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return RunResult(status: process.terminationStatus, stdout: outData, stderr: errorData)
    }
}
