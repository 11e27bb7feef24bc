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
    ///
    /// Spawned and reaped here (posix_spawn, waitpid), not with Foundation's `Process`: that one
    /// learns of a child's exit from a descriptor the child inherits, so a daemon the child starts
    /// (netavark's aardvark-dns) holds it and the child is never seen to exit. For the same reason
    /// stdin, stdout and stderr are anonymous files, not pipes: a file is complete when the child
    /// exits, whoever else holds it, and writing stdin cannot block or raise SIGPIPE.
    public static func start(_ executable: String, _ arguments: [String] = [], environment: [String: String]? = nil,
                             stdin: Data = Data()) throws -> RunningProcess {
        let input = try AnonymousFile("stdin"), output = try AnonymousFile("stdout"), errors = try AnonymousFile("stderr")
        try input.write(stdin)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // A descriptor of its own for the child's stdin, so its offset starts at 0.
        let childIn = open("/proc/self/fd/\(input.fd)", O_RDONLY | O_CLOEXEC)
        guard childIn >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(childIn) }
        posix_spawn_file_actions_adddup2(&actions, childIn, 0)
        posix_spawn_file_actions_adddup2(&actions, output.fd, 1)
        posix_spawn_file_actions_adddup2(&actions, errors.fd, 2)
        // Nothing else of ours: a descriptor another thread holds open without O_CLOEXEC (a binary
        // being copied for a test user) would otherwise live on in a long-running child and make
        // the copy's exec fail with ETXTBSY. Foundation's Process closed them too.
        _ = closeFrom(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer { argv.forEach { free($0) }; envp?.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned: Int32
        if let envp {
            spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        } else {
            spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        }
        guard spawned == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO, userInfo: [NSLocalizedDescriptionKey: "posix_spawn \(executable)"])
        }
        return RunningProcess(pid: pid, output: output, errors: errors)
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
    public let pid: Int32
    let output: AnonymousFile
    let errors: AnonymousFile
    let exit: ChildExit

    init(pid: Int32, output: AnonymousFile, errors: AnonymousFile) {
        self.pid = pid
        self.output = output
        self.errors = errors
        exit = ChildExit(pid: pid)
    }

    /// Stop the child. SIGKILL, because a child can inherit an ignored SIGTERM from the test runner.
    /// Not once it is reaped: its pid may be someone else's by then.
    public func terminate() { exit.whileRunning { kill(pid, SIGKILL) } }

    /// Wait for the child and collect what it printed. The status: the exit code, or the signal
    /// that ended it (as Foundation's `terminationStatus`).
    public func finish() -> RunResult {
        let status = exit.wait()
        let code = status & 0x7f == 0 ? (status >> 8) & 0xff : status & 0x7f
        return RunResult(status: code, stdout: output.contents(), stderr: errors.contents())
    }
}

/// Reaps one child as soon as it exits, whether or not anyone calls `finish()` (as Foundation's
/// Process did): a child a test starts and only kills (a `sleep` as a user's process) must not
/// stay a zombie that `pgrep` still counts as the user's.
final class ChildExit: @unchecked Sendable {
    private let lock = NSCondition()
    private var status: Int32?

    init(pid: Int32) {
        Thread.detachNewThread { [self] in
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
            lock.lock()
            status = raw
            lock.broadcast()
            lock.unlock()
        }
    }

    func wait() -> Int32 {
        lock.lock()
        defer { lock.unlock() }
        while status == nil { lock.wait() }
        return status!
    }

    /// `body` unless the child is known to be reaped (a pid reaped but not yet recorded is a
    /// window of microseconds, as with Foundation's Process).
    func whileRunning(_ body: () -> Void) {
        lock.lock()
        defer { lock.unlock() }
        if status == nil { body() }
    }
}

/// A file without a name (made in the temporary directory and unlinked at once), for a child's
/// stdin, stdout or stderr. Nothing to clean up; a daemon holding it only keeps its space until it exits.
final class AnonymousFile: @unchecked Sendable {
    let fd: Int32

    init(_ name: String) throws {
        var template = Array((NSTemporaryDirectory() + "/testrun-\(name)-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        self.fd = fd
    }

    deinit { close(fd) }

    func write(_ data: Data) throws {
        var offset = 0
        while offset < data.count {
            let count = data.withUnsafeBytes { pwrite(fd, $0.baseAddress! + offset, $0.count - offset, off_t(offset)) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            offset += count
        }
    }

    /// Everything in the file, read from the start (pread: the child's writes moved the shared offset).
    func contents() -> Data {
        var data = Data(), offset: off_t = 0
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            data.append(contentsOf: buffer[0..<count])
            offset += off_t(count)
        }
        return data
    }
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which Swift's Glibc module does not
/// import: found by name once, called through its C signature.
private let closeFrom: @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32 = {
    guard let symbol = dlsym(nil /* RTLD_DEFAULT */, "posix_spawn_file_actions_addclosefrom_np") else {
        fatalError("glibc without posix_spawn_file_actions_addclosefrom_np (needs 2.34 or later)")
    }
    return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
}()
