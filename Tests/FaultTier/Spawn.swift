import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One child process as a runtime starts it: raw bytes for argv and environment (so invalid UTF-8
/// reaches the plugin unchanged), stdin from a file, stdout and stderr into files. Files instead of
/// pipes: no thread is needed to drain them, a 10 MB stdin cannot deadlock, and spawning stays cheap.
struct Invocation {
    var arguments: [[UInt8]]
    var environment: [[UInt8]]
    var stdin: [UInt8] = []

    init(_ arguments: [String], environment: [[UInt8]] = [], stdin: [UInt8] = []) {
        self.arguments = arguments.map { Array($0.utf8) }
        self.environment = environment
        self.stdin = stdin
    }
}

/// What came back: an exit status or a signal, and the two output streams.
struct Outcome {
    var exitStatus: Int32?
    var signal: Int32?
    var stdout: [UInt8]
    var stderr: [UInt8]
    var timedOut = false
    var seconds: Double

    var exitedZero: Bool { exitStatus == 0 }
    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    var stderrText: String { String(decoding: stderr, as: UTF8.self) }

    var summary: String {
        let how = timedOut ? "hung (killed after the time limit)" : signal.map { "killed by signal \($0)" } ?? "exit \(exitStatus ?? -1)"
        var text = "\(how); stdout \(clip(stdoutText))"
        if !stderr.isEmpty { text += "; stderr \(clip(stderrText))" }
        return text
    }
}

func clip(_ text: String, _ limit: Int = 400) -> String {
    let escaped = text.debugDescription
    return escaped.count <= limit ? escaped : String(escaped.prefix(limit)) + "…(\(text.utf8.count) bytes)"
}

/// Spawns children; every worker owns one (its scratch files are per worker).
final class Spawner {
    let ioDirectory: String
    private var counter = 0

    init(ioDirectory: String) {
        self.ioDirectory = ioDirectory
        try? FileManager.default.createDirectory(atPath: ioDirectory, withIntermediateDirectories: true)
    }

    /// Runs to completion (or `limit` seconds, then SIGKILL). `killAfter`: SIGKILL after that many
    /// seconds even when healthy — the kill -9 trials.
    func run(_ invocation: Invocation, limit: Double = 20, killAfter: Double? = nil) -> Outcome {
        counter += 1
        let inPath = ioDirectory + "/stdin", outPath = ioDirectory + "/stdout", errPath = ioDirectory + "/stderr"
        writeFile(inPath, invocation.stdin)
        let inFD = open(inPath, O_RDONLY | O_CLOEXEC)
        let outFD = open(outPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        let errFD = open(errPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        precondition(inFD >= 0 && outFD >= 0 && errFD >= 0, "cannot open the driver's io files in \(ioDirectory)")
        defer { close(inFD); close(outFD); close(errFD) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inFD, 0)
        posix_spawn_file_actions_adddup2(&actions, outFD, 1)
        posix_spawn_file_actions_adddup2(&actions, errFD, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The driver ignores SIGPIPE; the plugin must start with default dispositions, as under a runtime.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF))

        let argv = cStrings(invocation.arguments), envp = cStrings(invocation.environment)
        defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
        var pid: pid_t = 0
        let start = Date()
        let spawned = posix_spawn(&pid, argv[0]!, &actions, &attributes, argv + [nil], envp + [nil])
        precondition(spawned == 0, "posix_spawn \(String(decoding: invocation.arguments[0], as: UTF8.self)): \(String(cString: strerror(spawned)))")

        let watchdog = Watchdog(pid: pid, after: killAfter ?? limit)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let timedOut = watchdog.finish() && killAfter == nil
        var outcome = Outcome(exitStatus: nil, signal: nil, stdout: readFile(outPath), stderr: readFile(errPath),
                              timedOut: timedOut, seconds: Date().timeIntervalSince(start))
        if status & 0x7f == 0 { outcome.exitStatus = (status >> 8) & 0xff } else { outcome.signal = status & 0x7f }
        return outcome
    }

    /// A plain command (ip, strace …) whose output matters only on failure.
    @discardableResult
    func command(_ arguments: [String], _ stdin: [UInt8] = []) -> Outcome {
        run(Invocation(arguments, environment: [Array("PATH=/usr/sbin:/usr/bin:/sbin:/bin".utf8)], stdin: stdin))
    }

    private func cStrings(_ items: [[UInt8]]) -> [UnsafeMutablePointer<CChar>?] {
        items.map { bytes -> UnsafeMutablePointer<CChar>? in
            // malloc'd, so `free` releases it. An embedded NUL ends the C string there, as with execve.
            let pointer = malloc(bytes.count + 1)!.assumingMemoryBound(to: CChar.self)
            for (index, byte) in bytes.enumerated() { pointer[index] = CChar(bitPattern: byte) }
            pointer[bytes.count] = 0
            return pointer
        }
    }
}

/// Kills a child after a deadline unless it finished first; `finish()` says whether it fired.
final class Watchdog: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false
    private var fired = false
    private let pid: pid_t

    init(pid: pid_t, after seconds: Double) {
        self.pid = pid
        if seconds < 0.002 {
            // Sub-millisecond kills: no timer thread would be that precise; spin here instead.
            let until = Date().addingTimeInterval(seconds)
            while Date() < until {}
            fire()
            return
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in fire() }
    }

    private func fire() {
        lock.withLock {
            guard !done else { return }
            fired = true
            kill(pid, SIGKILL)
        }
    }

    /// Called once the child is reaped; the pid must not be signalled after this.
    func finish() -> Bool {
        lock.withLock {
            done = true
            return fired
        }
    }
}

func writeFile(_ path: String, _ bytes: [UInt8]) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    precondition(fd >= 0, "cannot write \(path)")
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
        precondition(n > 0 || errno == EINTR, "write \(path) failed")
        if n > 0 { offset += n }
    }
    close(fd)
}

func readFile(_ path: String) -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else { return [] }
    return Array(data)
}

extension Spawner {
    /// Starts every invocation at once and collects them all: the concurrency rounds.
    func runAll(_ invocations: [Invocation], limit: Double = 60) -> [Outcome] {
        struct Started { var pid: pid_t; var out: String; var err: String; var watchdog: Watchdog; var start: Date }
        var started: [Started] = []
        for (index, invocation) in invocations.enumerated() {
            let base = ioDirectory + "/p\(index)"
            writeFile(base + ".in", invocation.stdin)
            let inFD = open(base + ".in", O_RDONLY | O_CLOEXEC)
            let outFD = open(base + ".out", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            let errFD = open(base + ".err", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            posix_spawn_file_actions_adddup2(&actions, inFD, 0)
            posix_spawn_file_actions_adddup2(&actions, outFD, 1)
            posix_spawn_file_actions_adddup2(&actions, errFD, 2)
            let argv = invocation.arguments.map { strdup(String(decoding: $0, as: UTF8.self)) }
            let envp = invocation.environment.map { strdup(String(decoding: $0, as: UTF8.self)) }
            var pid: pid_t = 0
            let spawned = posix_spawn(&pid, argv[0]!, &actions, nil, argv + [nil], envp + [nil])
            precondition(spawned == 0, "posix_spawn: \(String(cString: strerror(spawned)))")
            posix_spawn_file_actions_destroy(&actions)
            argv.forEach { free($0) }; envp.forEach { free($0) }
            close(inFD); close(outFD); close(errFD)
            started.append(Started(pid: pid, out: base + ".out", err: base + ".err", watchdog: Watchdog(pid: pid, after: limit), start: Date()))
        }
        return started.map { child in
            var status: Int32 = 0
            while waitpid(child.pid, &status, 0) < 0 && errno == EINTR {}
            var outcome = Outcome(exitStatus: nil, signal: nil, stdout: readFile(child.out), stderr: readFile(child.err),
                                  timedOut: child.watchdog.finish(), seconds: Date().timeIntervalSince(child.start))
            if status & 0x7f == 0 { outcome.exitStatus = (status >> 8) & 0xff } else { outcome.signal = status & 0x7f }
            return outcome
        }
    }
}
