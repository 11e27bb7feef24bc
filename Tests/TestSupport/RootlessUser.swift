import Foundation
import HostSystem

/// An unprivileged user made for one test (root only): a unique name, a subordinate uid/gid range of
/// its own, a `/run/user/UID` as logind would make it, and commands run as that user with a clean
/// environment. `remove()` (call it from a `defer`) kills the user's processes and removes every trace;
/// `traces()` lists what is left, for tests that prove it.
public final class RootlessUser: @unchecked Sendable {
    public let name: String
    public let uid: UInt32
    public let gid: UInt32
    public let home: String
    /// The user's subordinate ids (the same range for uids and gids), nil when made without one.
    public let subordinate: ClosedRange<UInt32>?
    /// Binaries copied where the user can run them (a checkout may not be readable by others).
    private let binaries: TemporaryDirectory
    private var removed = false

    public var runtimeDirectory: String { "/run/user/\(uid)" }
    public static let path = "/usr/local/bin:/usr/bin:/bin"

    public init(subordinateIDs: Bool = true) throws {
        name = "ptu" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        home = "/home/" + name
        binaries = try TemporaryDirectory("pontoon-rootless")
        // A random uid above useradd's own range: a uid reused by the next test's user would make
        // one test see (and kill) another's. Debian's useradd gives new users a subordinate range
        // itself: switched off, so a test decides.
        var made: UInt32?
        for _ in 0..<20 where made == nil {
            let candidate = UInt32.random(in: 200_000..<250_000)
            guard Self.entry(uid: candidate) == nil else { continue }
            do {
                try Self.shadow("useradd", ["--uid", String(candidate), "--create-home", "--home-dir", home, "--shell", "/usr/sbin/nologin",
                                            "--user-group", "-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0", name])
                made = candidate
            } catch where Self.entry(name: name) == nil && Self.entry(uid: candidate) != nil {
                continue
            }
        }
        guard let entry = Self.entry(name: name), made != nil else {
            binaries.remove()
            throw GoldenError("useradd \(name) made no password entry")
        }
        uid = entry.uid
        gid = entry.gid
        // Above login.defs' SUB_UID_MAX (600100000), where useradd never allocates: one range per uid.
        let start = 700_000_000 + (uid - 200_000) * 65_536
        subordinate = subordinateIDs ? start...(start + 65_535) : nil
        do {
            chmod(binaries.path, 0o755)
            if let range = subordinate {
                // usermod refuses the flags when the files are missing (a machine that never had a range).
                for file in ["/etc/subuid", "/etc/subgid"] where !FileManager.default.fileExists(atPath: file) {
                    _ = FileManager.default.createFile(atPath: file, contents: nil, attributes: [.posixPermissions: 0o644])
                }
                let text = "\(range.lowerBound)-\(range.upperBound)"
                try Self.shadow("usermod", ["--add-subuids", text, "--add-subgids", text, name])
            }
            try FileManager.default.createDirectory(atPath: "/run/user", withIntermediateDirectories: true)
            guard mkdir(runtimeDirectory, 0o700) == 0, chown(runtimeDirectory, uid, gid) == 0 else {
                throw GoldenError("cannot make \(runtimeDirectory): \(String(cString: strerror(errno)))")
            }
        } catch {
            remove()
            throw error
        }
    }

    /// A copy of `binary` the user can execute (beside it what it looks for beside itself, if given).
    public func install(_ binary: String) throws -> String {
        let copy = binaries.file((binary as NSString).lastPathComponent)
        try? FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: binary, toPath: copy)
        chmod(copy, 0o755)
        return copy
    }

    /// What a login gives the user: HOME, XDG_RUNTIME_DIR, PATH, USER; `changes` sets (or, with nil, unsets) more.
    public func environment(_ changes: [String: String?] = [:]) -> [String: String] {
        var environment = ["HOME": home, "XDG_RUNTIME_DIR": runtimeDirectory, "PATH": Self.path, "USER": name, "LOGNAME": name]
        for (key, value) in changes { environment[key] = value }
        return environment
    }

    /// Runs a command as the user with exactly `environment(changes)`; inside the network namespace at
    /// `netns` when given, and with `binds` (source → target) mounted over the host's files in a private
    /// mount namespace of its own, so the host's files stay as they are.
    @discardableResult
    public func run(_ executable: String, _ arguments: [String] = [], environment changes: [String: String?] = [:],
                    netns: String? = nil, binds: [(source: String, target: String)] = []) throws -> RunResult {
        try start(executable, arguments, environment: changes, netns: netns, binds: binds).finish()
    }

    /// `run` without waiting: for what outlives the command (a daemon keeps Process's pipes open).
    public func start(_ executable: String, _ arguments: [String] = [], environment changes: [String: String?] = [:],
                      netns: String? = nil, binds: [(source: String, target: String)] = []) throws -> RunningProcess {
        var command = ["/usr/bin/setpriv", "--reuid=\(uid)", "--regid=\(gid)", "--init-groups", "--", executable] + arguments
        if !binds.isEmpty {
            // ${N}: past nine, "$10" is "$1" followed by a 0.
            let mounts = binds.indices.map { "mount --bind \"${\(2 * $0 + 1)}\" \"${\(2 * $0 + 2)}\" && " }.joined()
            command = ["/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
                       mounts + "shift \(2 * binds.count) && exec \"$@\"", "sh"] + binds.flatMap { [$0.source, $0.target] } + command
        }
        if let netns { command = ["/usr/bin/nsenter", "--net=" + netns] + command }
        return try TestRun.start(command[0], Array(command.dropFirst()), environment: environment(changes))
    }

    /// Kills everything the user runs, unmounts what is under its runtime directory and removes the
    /// directory, its subordinate ranges, its home and the user. Safe to call twice.
    public func remove() {
        // Once the user is gone its uid may be another test's: never act on it twice.
        guard !removed else { return }
        removed = true
        let uidText = String(uid)
        for _ in 0..<50 {
            _ = try? TestRun.run("/usr/bin/pkill", ["-KILL", "-U", uidText])
            guard !liveProcesses().isEmpty else { break }
            usleep(100_000)
        }
        for point in Self.mountPoints(under: runtimeDirectory).reversed() {
            _ = try? TestRun.run("/usr/bin/umount", ["--lazy", point])
        }
        try? FileManager.default.removeItem(atPath: runtimeDirectory)
        if let range = subordinate, Self.entry(name: name) != nil {
            let text = "\(range.lowerBound)-\(range.upperBound)"
            try? Self.shadow("usermod", ["--del-subuids", text, "--del-subgids", text, name])
        }
        if Self.entry(name: name) != nil { try? Self.shadow("userdel", ["--remove", name]) }
        try? FileManager.default.removeItem(atPath: home)
        binaries.remove()
    }

    /// The command lines of the user's processes that still run. A zombie is left out: it holds
    /// nothing any more (no namespace, mount or file), and only its parent can reap it (init, for a
    /// daemon whose starter exited; an init that reaps lazily leaves it there a while).
    public func liveProcesses() -> [String] {
        let listed: String
        do {
            listed = try TestRun.run("/usr/bin/ps", ["-u", String(uid), "-o", "stat=,args="]).stdoutText
        } catch {
            return ["(ps did not run: \(error))"]  // never "nothing runs" for want of a listing
        }
        // `stat` is padded to its column's width: split each trimmed line into state and command.
        return listed.split(separator: "\n").compactMap { line in
            let fields = line.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1).map(String.init)
            guard fields.count == 2, !fields[0].hasPrefix("Z") else { return nil }
            return fields[1].trimmingCharacters(in: .whitespaces)
        }
    }

    /// Whether no process of the user is left, zombies included: this machine's init reaps an orphan
    /// only every couple of seconds, and some programs (netavark 1.4.0 with aardvark-dns) take a
    /// zombie for a live process.
    public func reaped() -> Bool {
        (try? TestRun.run("/usr/bin/pgrep", ["-U", String(uid)]))?.status == 1
    }

    /// Everything of the user's still there (empty after `remove()`).
    public func traces() -> [String] {
        var found: [String] = []
        if Self.entry(name: name) != nil { found.append("user \(name)") }
        let processes = liveProcesses()
        if !processes.isEmpty { found.append("processes " + processes.joined(separator: "; ")) }
        for path in [runtimeDirectory, home] where FileManager.default.fileExists(atPath: path) { found.append(path) }
        for file in ["/etc/subuid", "/etc/subgid"] {
            let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n") where line.hasPrefix(name + ":") || line.hasPrefix("\(uid):") {
                found.append("\(file): \(line)")
            }
        }
        found += Self.mountPoints(under: runtimeDirectory).map { "mount " + $0 }
        return found
    }

    /// Mount points at or below `directory` in the test's mount namespace, parents first.
    public static func mountPoints(under directory: String) -> [String] {
        let text = KernelFile.text("/proc/self/mountinfo") ?? ""
        let points = text.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ")
            guard fields.count > 4 else { return nil }
            let point = String(fields[4]).replacingOccurrences(of: "\\040", with: " ")
            return point == directory || point.hasPrefix(directory + "/") ? point : nil
        }
        return points.sorted { $0.count < $1.count }
    }

    /// shadow's tools lock /etc/passwd and friends; another test (or user) may hold them a moment.
    /// A password entry's ids, read with the reentrant calls: tests run on parallel threads, and
    /// getpwnam's and getpwuid's one static entry is shared, so a test could take another test's uid
    /// for its own (then make its /run/user/UID, kill its processes and remove its files).
    static func entry(name: String) -> (uid: UInt32, gid: UInt32)? { lookup { getpwnam_r(name, $0, $1, $2, $3) } }
    static func entry(uid: UInt32) -> (uid: UInt32, gid: UInt32)? { lookup { getpwuid_r(uid, $0, $1, $2, $3) } }

    private static func lookup(_ call: (UnsafeMutablePointer<passwd>, UnsafeMutablePointer<CChar>, Int,
                                        UnsafeMutablePointer<UnsafeMutablePointer<passwd>?>) -> Int32) -> (uid: UInt32, gid: UInt32)? {
        var entry = passwd()
        var found: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        let status = withUnsafeMutablePointer(to: &entry) { entryPointer in
            buffer.withUnsafeMutableBufferPointer { call(entryPointer, $0.baseAddress!, $0.count, &found) }
        }
        guard status == 0, found != nil else { return nil }
        return (entry.pw_uid, entry.pw_gid)
    }

    static func shadow(_ tool: String, _ arguments: [String]) throws {
        var last = RunResult(status: 0, stdout: Data(), stderr: Data())
        for _ in 0..<50 {
            last = try TestRun.run("/usr/sbin/" + tool, arguments, environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"])
            guard last.status != 0 else { return }
            guard last.stderrText.contains("lock") || last.stderrText.contains("try again") else { break }
            usleep(100_000)
        }
        throw GoldenError("\(tool) \(arguments.joined(separator: " ")): exit \(last.status): \(last.stderrText)")
    }
}
