import Foundation
import HostSystem

/// The namespaces podman runs in during a test: the private host's *network* namespace, plus a
/// private *mount* and *PID* namespace held open by `catatonit -P` as PID 1.
///
/// Why each one:
/// - network: podman, conmon, the plugin and aardvark-dns must only ever see the private host.
/// - mount: podman keeps real-host state under fixed paths that no flag moves — container netns
///   bind mounts in `/run/netns/netns-<uuid>`, netavark's `/run/containers/networks` (IPAM db,
///   aardvark-dns config), runc's `/run/runc`, libcni's cache in `/var/lib/cni`. Fresh tmpfs
///   mounts over `/run` and `/var/lib/cni` inside the sandbox keep all of it private and make it
///   vanish with the sandbox. The rest of the mount table (`/sys/fs/cgroup` above all) is the
///   host's, unchanged — `ip netns exec` would remount `/sys` and podman would find no cgroups.
/// - PID: conmon and aardvark-dns daemonise and would be re-parented to the machine's PID 1,
///   which here reaps late (exited conmons were seen lingering as zombies) and which a test must
///   not depend on. catatonit reaps them inside the sandbox, and SIGKILL to it makes the kernel
///   kill everything in the sandbox, containers included: nothing can outlive `stop()`.
final class PodmanSandbox: @unchecked Sendable {
    private let holder: Process
    /// catatonit's PID as seen from the test (PID 1 inside the sandbox).
    let initPID: pid_t
    private let hostNamespace: String

    static let unshare = "/usr/bin/unshare"
    static let nsenter = "/usr/bin/nsenter"
    static let catatonit = "/usr/bin/catatonit"

    /// Start the sandbox; `scratch` is a directory for its readiness marker. `binds` are bind-mounted
    /// (source over target) in the sandbox only, e.g. a test's `/etc/containers`.
    init(hostNamespace: String, scratch: String, binds: [(source: String, target: String)] = []) throws {
        for tool in [Self.unshare, Self.nsenter, Self.catatonit] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw GoldenError("\(tool) is missing: run scripts/setup")
        }
        self.hostNamespace = hostNamespace
        let ready = scratch + "/sandbox-ready"
        // `mkdir -p /var/lib/cni` is the one change outside the sandbox: an empty directory, the
        // mount point (podman itself creates it on first use of the CNI backend).
        let script = """
            set -e
            mount -t tmpfs -o mode=0755 pontoon-test-run /run
            mkdir /run/netns
            mkdir -p /var/lib/cni
            mount -t tmpfs -o mode=0700 pontoon-test-cni /var/lib/cni
            \(binds.map { "mount --bind '\($0.source)' '\($0.target)'" }.joined(separator: "\n"))
            : > \(ready)
            exec \(Self.catatonit) -P
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.unshare)
        process.arguments = ["--pid", "--fork", "--mount", "--mount-proc", "--propagation", "private",
                             "--", "/bin/sh", "-c", script]
        process.environment = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        // A file, not a pipe nobody drains: catatonit lives as long as the test.
        let log = scratch + "/sandbox.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: log)
        try process.run()
        holder = process

        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: ready) {
            guard process.isRunning, Date() < deadline else {
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                process.waitUntilExit()
                let why = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                throw GoldenError("podman sandbox did not start: \(why)")
            }
            usleep(10_000)
        }
        // The sandbox's PID 1 is unshare's only child.
        guard let child = Self.children(of: process.processIdentifier).first else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw GoldenError("podman sandbox: no init process under unshare")
        }
        initPID = child
    }

    /// The command prefix that runs a program inside the sandbox and the private host's netns.
    /// nsenter opens every namespace file before entering any, so `/run/netns/<host>` is read
    /// from the real mount table.
    ///
    /// The program starts with only stdin, stdout and stderr open. Foundation's `Process` learns
    /// that a child exited when every copy of a socket it hands the child is closed; podman does
    /// not close inherited descriptors before starting conmon, so without this a `podman run -d`
    /// would only "exit" for the test when its container's conmon does.
    var enter: [String] {
        [Self.nsenter, "--mount=/proc/\(initPID)/ns/mnt", "--pid=/proc/\(initPID)/ns/pid",
         "--net=\(PrivateHost.path(hostNamespace))", "--", "/bin/bash", "-c", Self.closeInheritedDescriptors, "sandboxed"]
    }

    /// bash: close every descriptor above 2, then exec the arguments.
    static let closeInheritedDescriptors = """
        for fd in /proc/self/fd/*; do fd=${fd##*/}; if ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null; fi; done
        exec "$@"
        """

    var isRunning: Bool { holder.isRunning }

    /// Processes inside the sandbox other than its init: (pid as the test sees it, command line).
    func processes() -> [(pid: pid_t, command: String)] {
        guard let mine = Self.pidNamespace(of: initPID) else { return [] }
        return Self.allPIDs().compactMap { pid in
            guard pid != initPID, Self.pidNamespace(of: pid) == mine else { return nil }
            let raw = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
            let command = String(decoding: raw, as: UTF8.self).replacingOccurrences(of: "\0", with: " ")
            return (pid, command.trimmingCharacters(in: .whitespaces))
        }
    }

    /// Kill everything in the sandbox and wait until it is gone. SIGKILL to a PID namespace's
    /// init makes the kernel kill every process in it (nested container namespaces too); unshare
    /// then reaps the init and exits, and the private mounts go with the last process.
    func stop() {
        if holder.isRunning {
            kill(initPID, SIGKILL)
            holder.waitUntilExit()
        }
    }

    private static func allPIDs() -> [pid_t] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { pid_t($0) }
    }

    private static func pidNamespace(of pid: pid_t) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/pid")
    }

    /// Children of a process, from `/proc/*/stat` (this kernel has no `/proc/*/task/*/children`).
    private static func children(of parent: pid_t) -> [pid_t] {
        allPIDs().filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            // After "pid (comm)" come state and ppid; comm may itself hold spaces and parentheses.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == parent
        }
    }
}

/// A cgroup parent of podman's containers (and their conmon), unique per test, so `cleanup()` can
/// remove exactly the cgroups this test's podman made, in every mounted hierarchy (v1 or v2).
struct CgroupParent {
    let name: String

    /// Every mounted cgroup hierarchy, from the mount table.
    static var hierarchies: [String] {
        guard let table = KernelFile.text("/proc/self/mountinfo") else { return [] }
        return table.split(separator: "\n").compactMap { line in
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2, let type = halves[1].split(separator: " ").first,
                  type == "cgroup" || type == "cgroup2" else { return nil }
            let fields = halves[0].split(separator: " ")
            return fields.count > 4 ? String(fields[4]) : nil
        }
    }

    /// The directories that exist for this parent now.
    var directories: [String] {
        Self.hierarchies.map { $0 + "/" + name }.filter { FileManager.default.fileExists(atPath: $0) }
    }

    /// rmdir depth-first (cgroupfs directories cannot be removed with their files, only rmdir'd
    /// once empty of tasks). Retries briefly: killed tasks leave their cgroup a moment later.
    func remove() {
        for _ in 0..<50 {
            for top in directories { Self.rmdirTree(top) }
            if directories.isEmpty { return }
            usleep(100_000)
        }
    }

    private static func rmdirTree(_ path: String) {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        for entry in entries {
            var isDirectory: ObjCBool = false
            let child = path + "/" + entry
            if FileManager.default.fileExists(atPath: child, isDirectory: &isDirectory), isDirectory.boolValue {
                rmdirTree(child)
            }
        }
        rmdir(path)
    }
}
