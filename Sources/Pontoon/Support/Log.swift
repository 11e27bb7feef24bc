#if canImport(Glibc)
import Glibc
#endif

/// Diagnostics for operators. Silent unless a log file is configured: some callers merge stderr
/// into stdout, so nothing is ever written to stderr, and stdout belongs to the protocol.
public enum Log {
    public enum Level: Int, Comparable, Sendable {
        case error = 0, warning, info, debug

        public init?(name: String) {
            switch name.lowercased() {
            case "error": self = .error
            case "warn", "warning": self = .warning
            case "info": self = .info
            case "debug": self = .debug
            default: return nil
            }
        }

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }

        /// The case's name as a line shows it, spelled out: interpolating the enum itself reflects
        /// on its metadata (Mirror), about 1.5 million instructions on a process's first line.
        var name: String {
            switch self {
            case .error: "error"
            case .warning: "warning"
            case .info: "info"
            case .debug: "debug"
            }
        }
    }

    // The plugin is one short-lived, single-threaded process: a plain global is enough.
    nonisolated(unsafe) private static var fd: Int32 = -1
    nonisolated(unsafe) private static var threshold: Level = .info
    nonisolated(unsafe) private static var prefix = ""

    /// Append diagnostics to `path` from now on; `prefix` tags every line (e.g. command and container).
    public static func configure(path: String, level: Level, prefix: String) {
        // Non-blocking open: a FIFO without a reader would otherwise hang the plugin here. Only a
        // regular file (or a character device such as /dev/null) is logged to.
        let opened = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NONBLOCK, 0o600)
        guard opened >= 0 else { return }
        var info = stat()
        guard fstat(opened, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG || (info.st_mode & S_IFMT) == S_IFCHR else {
            close(opened)
            return
        }
        if fd >= 0 { close(fd) }
        fd = opened
        threshold = level
        Self.prefix = prefix
    }

    public static var isEnabled: Bool { fd >= 0 }
    public static var isDebug: Bool { fd >= 0 && threshold == .debug }

    public static func error(_ message: @autoclosure () -> String) { write(.error, message) }
    public static func warning(_ message: @autoclosure () -> String) { write(.warning, message) }
    public static func info(_ message: @autoclosure () -> String) { write(.info, message) }
    public static func debug(_ message: @autoclosure () -> String) { write(.debug, message) }

    private static func write(_ level: Level, _ message: () -> String) {
        guard fd >= 0, level <= threshold else { return }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let millis = Int(now.tv_nsec) / 1_000_000
        let stamp = "\(now.tv_sec).\(millis < 10 ? "00" : millis < 100 ? "0" : "")\(millis)"
        let line = "\(stamp) pid=\(getpid()) \(level.name) \(prefix) \(message())\n"
        var bytes = Array(line.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    }
}

/// Phase timestamps of one operation for the debug log: CLOCK_MONOTONIC, written as one line
/// (`timing main=<ns> <phase>=<ms since the previous phase> …`) when the operation ends. Only the
/// start of `main` is taken before the log level is known (one vDSO clock read); every later mark
/// costs nothing unless debug logging is on. scripts/bench reads these lines.
public enum Timing {
    nonisolated(unsafe) private static var start: Int64 = 0
    nonisolated(unsafe) private static var marks: [(phase: StaticString, at: Int64)] = []

    private static func now() -> Int64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec)
    }

    /// The first instruction of `main`.
    public static func begin() { start = now() }

    public static func mark(_ phase: StaticString) {
        guard Log.isDebug else { return }
        marks.append((phase, now()))
    }

    /// Writes the line; nothing when debug logging is off.
    public static func finish() {
        guard Log.isDebug, start != 0 else { return }
        var line = "timing main=\(start)"
        var previous = start
        for mark in marks {
            let micros = (mark.at - previous) / 1000
            line += " \(mark.phase)=\(micros / 1000).\(String(micros % 1000 + 1000).dropFirst())"
            previous = mark.at
        }
        Log.debug(line)
    }
}
