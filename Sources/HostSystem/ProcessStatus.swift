#if canImport(Glibc)
import Glibc
#endif

/// What `/proc/PID/stat` says of a process: its name (`comm`, at most 15 bytes) and its state. A
/// daemon whose starter exited is init's child, and an init that reaps lazily leaves it a zombie a
/// while: it still answers `kill(pid, 0)` and still has a `comm`, but it serves nothing.
public struct ProcessStatus: Equatable, Sendable {
    public let name: String
    /// The state letter: R, S, D, T, t, Z (a zombie), X (dead), I, …
    public let state: Character

    /// A zombie waiting for its parent, or dead: it holds nothing and serves nothing.
    public var ended: Bool { state == "Z" || state == "X" }

    /// Parses `pid (name) state …`; the name may hold spaces and parentheses, so it ends at the last `)`.
    public init?(stat: String) {
        guard let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")"), open < close else { return nil }
        let rest = stat[stat.index(after: close)...].drop { $0 == " " }
        guard let state = rest.first else { return nil }
        name = String(stat[stat.index(after: open)..<close])
        self.state = state
    }

    /// The process's status now; nil when there is no such process.
    public static func of(_ pid: Int32) -> ProcessStatus? {
        guard pid > 0, let stat = KernelFile.text("/proc/\(pid)/stat") else { return nil }
        return ProcessStatus(stat: stat)
    }

    /// Whether `pid` is a process named with `prefix` that has not ended (a pid file's pid may be
    /// reused by another program once its own ended).
    public static func running(_ pid: Int32, named prefix: String) -> Bool {
        guard let status = of(pid) else { return false }
        return !status.ended && status.name.hasPrefix(prefix)
    }
}
