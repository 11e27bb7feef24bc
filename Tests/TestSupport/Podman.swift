import Foundation

/// Real podman 4.3.1 (Debian) running containers inside a private host, as a user would run it —
/// but with every piece of its state private to the test:
///
/// - the private host's network namespace (`PrivateHost`), plus a private mount and PID namespace
///   (`PodmanSandbox`): container netns mounts, netavark's run directory, runc's state and
///   libcni's cache live on tmpfs mounts only the sandbox sees, and no daemonised process
///   (conmon, aardvark-dns) can outlive `cleanup()`;
/// - its own `--root`, `--runroot`, `tmp_dir`, `network_config_dir`, `containers.conf`
///   (`CONTAINERS_CONF`, so no system file is read) and storage.conf (vfs driver: no overlay mounts);
/// - runc, a busybox-static directory rootfs (`--rootfs`), the ulimits this machine needs;
/// - a unique cgroup parent, so the cgroups podman makes are found and removed exactly.
///
/// Backends: `.cni` (libcni, conflists written with `addCNINetwork`, plugins only from
/// `pluginDirectory`, where pontoon is linked), `.netavark(.pontoon)` (pontoon linked as `netavark`
/// in the first `helper_binaries_dir`) and `.netavark(.debian)` (Debian's netavark 1.4.0 and
/// aardvark-dns, for side-by-side comparisons).
///
/// Call `cleanup()` from a `defer`: it removes containers and networks through podman, kills
/// whatever is left in the sandbox, removes the cgroups and the private host with its files.
public final class PodmanHost: @unchecked Sendable {
    public enum Backend: Sendable, Equatable {
        case cni
        case netavark(NetavarkHelper)
    }

    public enum NetavarkHelper: Sendable, Equatable {
        /// pontoon, linked as `netavark` (netavark mode).
        case pontoon
        /// Debian's netavark and aardvark-dns from `/usr/lib/podman`.
        case debian
    }

    public static let podmanBinary = "/usr/bin/podman"
    public static let debianHelpers = "/usr/lib/podman"
    public static let busybox = "/bin/busybox"
    /// What `rootfs/www/index.html` holds: a web server in a container answers with it.
    public static let indexPage = "pontoon podman test page"

    /// Tools the harness needs; a missing one fails the test with this list (run scripts/setup).
    public static var missingTools: [String] {
        [podmanBinary, "/usr/bin/runc", "/usr/bin/conmon", busybox, PodmanSandbox.unshare, PodmanSandbox.nsenter,
         PodmanSandbox.catatonit, debianHelpers + "/netavark", debianHelpers + "/aardvark-dns"]
            .filter { !FileManager.default.isExecutableFile(atPath: $0) }
    }

    public let host: PrivateHost
    public let backend: Backend
    /// A short unique token for names this test gives (networks, bridges).
    public let token: String
    private let cgroups: CgroupParent
    private var sandbox: PodmanSandbox?
    private var sandboxKeys: Set<String> = []
    private let lock = NSLock()

    public var scratch: TemporaryDirectory { host.scratch }
    public var root: String { scratch.file("root") }
    public var runRoot: String { scratch.file("runroot") }
    public var networkConfigDir: String { scratch.file("networks") }
    /// CNI backend: the only directory libcni runs plugins from; `pontoon` is linked here.
    public var pluginDirectory: String { scratch.file("cni-plugins") }
    /// netavark backend: the first `helper_binaries_dir`; `netavark` links to pontoon here.
    public var helperDirectory: String { scratch.file("helpers") }
    public var rootfs: String { scratch.file("rootfs") }
    /// Where a conflist written by a test should keep pontoon's records and leases.
    public var stateDir: String { host.stateDir }
    public var dataDir: String { host.dataDir }
    private var configFile: String { scratch.file("containers.conf") }
    private var storageFile: String { scratch.file("storage.conf") }

    /// Set: podman reads its configuration as an installed system's, from this directory bound over
    /// `/etc/containers` in the sandbox (no `CONTAINERS_CONF`, no `helper_binaries_dir` of the test's:
    /// whatever `containers.conf.d` there says picks the helpers). The test's settings are written
    /// to its `containers.conf`, the host's other files copied beside them.
    public let systemContainers: String?

    public init(_ label: String, backend: Backend, systemContainers: String? = nil) throws {
        self.systemContainers = systemContainers
        let missing = Self.missingTools
        guard missing.isEmpty else { throw GoldenError("podman harness: missing \(missing.joined(separator: ", ")); run scripts/setup") }
        self.backend = backend
        token = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        cgroups = CgroupParent(name: "pontoon-test-\(token)")
        host = try PrivateHost(label)
        do {
            try writeFiles()
            sandbox = try PodmanSandbox(hostNamespace: host.name, scratch: scratch.path,
                                        binds: systemContainers.map { [($0, "/etc/containers")] } ?? [])
        } catch {
            cleanup()
            throw error
        }
    }

    private func writeFiles() throws {
        let files = FileManager.default
        for directory in [root, runRoot, networkConfigDir, pluginDirectory, helperDirectory, scratch.file("tmp"),
                          scratch.file("home"), stateDir, dataDir] {
            try files.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        try Self.writeRootfs(rootfs)
        try files.createSymbolicLink(atPath: pluginDirectory + "/pontoon", withDestinationPath: Binaries.pontoon)
        try files.createSymbolicLink(atPath: helperDirectory + "/netavark", withDestinationPath: Binaries.pontoon)

        let helpers: [String]
        let networkBackend: String
        switch backend {
        case .cni: (networkBackend, helpers) = ("cni", [Self.debianHelpers])
        case .netavark(.pontoon): (networkBackend, helpers) = ("netavark", [helperDirectory, Self.debianHelpers])
        case .netavark(.debian): (networkBackend, helpers) = ("netavark", [Self.debianHelpers])
        }
        // File locks under tmp_dir instead of the machine-wide /dev/shm/libpod_lock; no events log.
        let containersConf = """
            [containers]
            default_ulimits = ["nofile=1024:1024", "nproc=1000:1000"]

            [engine]
            runtime = "runc"
            cgroup_manager = "cgroupfs"
            events_logger = "none"
            lock_type = "file"
            tmp_dir = \(Self.toml(scratch.file("tmp")))
            \(systemContainers == nil ? "helper_binaries_dir = [\(helpers.map(Self.toml).joined(separator: ", "))]" : "")

            [network]
            network_backend = "\(networkBackend)"
            network_config_dir = \(Self.toml(networkConfigDir))
            cni_plugin_dirs = [\(Self.toml(pluginDirectory))]
            """
        if let systemContainers {
            let copied = try TestRun.run("/bin/cp", ["-rn", "/etc/containers/.", systemContainers + "/"])
            guard copied.status == 0 else { throw GoldenError("cannot copy /etc/containers: \(copied.stderrText)") }
        }
        try containersConf.write(toFile: systemContainers.map { $0 + "/containers.conf" } ?? configFile, atomically: true, encoding: .utf8)
        let storageConf = """
            [storage]
            driver = "vfs"
            graphroot = \(Self.toml(root))
            runroot = \(Self.toml(runRoot))
            """
        try storageConf.write(toFile: storageFile, atomically: true, encoding: .utf8)
    }

    static func toml(_ text: String) -> String { "\"\(text)\"" }

    // MARK: running podman

    /// Run `podman <arguments>` in the sandbox. `run`/`create` get this test's cgroup parent.
    /// A hung podman is killed after `timeout` seconds (inside the sandbox, so its pipes close).
    @discardableResult
    public func podman(_ arguments: [String], timeout: Int = 120) throws -> RunResult {
        guard let sandbox, sandbox.isRunning else { throw GoldenError("podman sandbox is not running") }
        var arguments = arguments
        if let verb = arguments.first, verb == "run" || verb == "create" {
            arguments.insert(contentsOf: ["--cgroup-parent", "/" + cgroups.name], at: 1)
        }
        let global = ["--root", root, "--runroot", runRoot, "--storage-driver", "vfs"]
        return try TestRun.run(sandbox.enter[0],
                               Array(sandbox.enter.dropFirst()) + ["/usr/bin/timeout", "-k", "5", String(timeout),
                                                                   Self.podmanBinary] + global + arguments,
                               environment: environment)
    }

    /// `podman <arguments>` that must succeed; otherwise throws with podman's own words.
    @discardableResult
    public func podmanOK(_ arguments: [String], timeout: Int = 120) throws -> RunResult {
        let result = try podman(arguments, timeout: timeout)
        guard result.status == 0 else {
            throw GoldenError("podman \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderrText)\(result.stdoutText)")
        }
        return result
    }

    /// `podman run -d` of the busybox rootfs (by default `sleep 3600`); returns podman's answer
    /// unchecked, so a test can show why a run was refused.
    @discardableResult
    public func run(_ name: String, network: String, options: [String] = [], command: [String] = ["sleep", "3600"]) throws -> RunResult {
        try podman(["run", "-d", "--name", name, "--network", network] + options + ["--rootfs", rootfs] + command)
    }

    /// `podman exec <container> sh -c <command>`.
    @discardableResult
    public func exec(_ container: String, _ command: String) throws -> RunResult {
        try podman(["exec", container, "/bin/sh", "-c", command])
    }

    /// `podman inspect` of one container; remembers its netns path (see `sandboxKeysOnRealHost`).
    public func inspect(_ container: String) throws -> [String: Any] {
        let result = try podmanOK(["inspect", "--type", "container", container])
        guard let list = result.json as? [[String: Any]], let first = list.first else {
            throw GoldenError("podman inspect \(container): \(result.stdoutText)")
        }
        if let key = (first["NetworkSettings"] as? [String: Any])?["SandboxKey"] as? String, !key.isEmpty {
            lock.withLock { _ = sandboxKeys.insert(key) }
        }
        return first
    }

    /// What `podman inspect` says about a container on one network (`IPAddress`, `MacAddress`, `Gateway`, …).
    public func networkSettings(_ container: String, network: String) throws -> [String: Any] {
        let settings = try inspect(container)["NetworkSettings"] as? [String: Any]
        return (settings?["Networks"] as? [String: Any])?[network] as? [String: Any] ?? [:]
    }

    /// Write `<networkConfigDir>/<name>.conflist` with `plugin` as its only plugin (CNI backend).
    public func addCNINetwork(_ name: String, plugin: [String: Any], cniVersion: String = "1.0.0") throws {
        let conflist: [String: Any] = ["cniVersion": cniVersion, "name": name, "plugins": [plugin]]
        let data = try JSONSerialization.data(withJSONObject: conflist, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try data.write(to: URL(fileURLWithPath: networkConfigDir + "/" + name + ".conflist"))
    }

    /// Run a shell command inside the sandbox (its mounts, PIDs and the private host's network).
    @discardableResult
    public func sandboxShell(_ command: String) throws -> RunResult {
        guard let sandbox, sandbox.isRunning else { throw GoldenError("podman sandbox is not running") }
        return try TestRun.run(sandbox.enter[0], Array(sandbox.enter.dropFirst()) + ["/bin/sh", "-c", command],
                               environment: environment)
    }

    private var environment: [String: String] {
        var environment = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": scratch.file("home"), "TMPDIR": scratch.file("tmp"),
                           "CONTAINERS_CONF": configFile, "CONTAINERS_STORAGE_CONF": storageFile]
        if systemContainers != nil { environment["CONTAINERS_CONF"] = nil }
        return environment
    }

    // MARK: what is left

    /// Processes running in the sandbox besides its init (conmon, aardvark-dns, containers, …).
    public func processes() -> [String] {
        sandbox?.processes().map { "\($0.pid) \($0.command)" } ?? []
    }

    /// Entries of the sandbox's `/run/netns` (podman's `netns-<uuid>` mounts).
    public func sandboxNetns() throws -> [String] {
        try sandboxShell("ls -1 /run/netns").stdoutText.split(separator: "\n").map(String.init)
    }

    /// libcni's cached results (`/var/lib/cni/results` in the sandbox), one per attachment.
    public func cniCache() throws -> [String] {
        try sandboxShell("ls -1 /var/lib/cni/results 2>/dev/null").stdoutText.split(separator: "\n").map(String.init)
    }

    /// Container netns paths seen in `inspect` that exist in the *real* host's mount table. Must
    /// stay empty: podman's netns mounts belong to the sandbox.
    public func sandboxKeysOnRealHost() -> [String] {
        lock.withLock { sandboxKeys }.filter { FileManager.default.fileExists(atPath: $0) }
    }

    /// The cgroup directories podman made for this test that exist now.
    public var cgroupDirectories: [String] { cgroups.directories }

    // MARK: cleanup

    /// Remove containers and networks through podman (so plugins see their DEL/teardown), then
    /// kill whatever is still running in the sandbox and wait for it, remove this test's cgroups,
    /// and delete the private host with every file. Safe to call twice and after a failed init.
    public func cleanup() {
        if let sandbox, sandbox.isRunning {
            _ = try? podman(["rm", "--all", "--force", "--time", "0"], timeout: 60)
            if case .netavark = backend, let names = try? podman(["network", "ls", "--format", "{{.Name}}"], timeout: 30) {
                for name in names.stdoutText.split(separator: "\n") where name != "podman" {
                    _ = try? podman(["network", "rm", "--force", String(name)], timeout: 30)
                }
            }
            sandbox.stop()
        }
        // Never expected (the mounts are private), but if one of ours surfaced on the real host,
        // remove exactly it: recorded by name, nothing else under /run/netns is touched.
        for key in sandboxKeysOnRealHost() where key.hasPrefix("/run/netns/netns-") {
            _ = try? TestRun.run("/usr/bin/umount", [key])
            try? FileManager.default.removeItem(atPath: key)
        }
        cgroups.remove()
        host.cleanup()
    }
}

/// Wait until `condition` holds (up to `seconds`): daemons such as conmon leave a moment after
/// the podman command that stopped them returned, and rules take effect a moment after a reload.
public func eventually(_ seconds: Double = 5, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    repeat {
        if try condition() { return true }
        usleep(50_000)
    } while Date() < deadline
    return try condition()
}
