import Foundation

/// Real podman 4.3.1 run rootless by a throwaway user (`RootlessUser`), inside a private host's
/// network namespace, with the netavark backend served by pontoon (installed as `netavark` in the
/// first `helper_binaries_dir`) or by Debian's netavark 1.4.0 — the same podman, the same files,
/// only the helper differs, so the two can be compared.
///
/// Everything podman keeps is the user's, as a rootless podman keeps it: storage under
/// `~/.local/share/containers` (vfs: no overlay mounts), run state, the rootless network namespace,
/// the pause process and netavark's `--config` under `XDG_RUNTIME_DIR`; `containers.conf` and
/// `storage.conf` in `~/.config/containers`, named by `CONTAINERS_CONF`/`CONTAINERS_STORAGE_CONF`
/// so no system file is read; file locks (`lock_type = "file"`) under `XDG_RUNTIME_DIR` instead of
/// `/dev/shm/libpod_rootless_lock_UID`. The image is the busybox rootfs of `PodmanHost`, imported
/// offline into the user's storage as `image`.
///
/// `cleanup()` removes containers and networks through podman (so the helper sees its teardowns),
/// then `podman system reset` (storage, and the pause process); the user's `remove()` kills what is
/// left and deletes the home and runtime directory.
public final class RootlessPodman: @unchecked Sendable {
    public let user: RootlessUser
    public let helper: PodmanHost.NetavarkHelper
    /// The private host whose network namespace podman, rootlessport and slirp4netns live in.
    public let hostNamespace: String
    public static let image = "localhost/pontoon-test:busybox"

    private var configDirectory: String { user.home + "/.config/containers" }
    /// Where pontoon is installed as `netavark` (the user's own copy: a checkout may not be readable).
    public var helperDirectory: String { user.home + "/.local/libexec/pontoon-test" }
    /// netavark's `--config` as rootless podman 4.3 passes it.
    public var networkRunDirectory: String { user.runtimeDirectory + "/containers/networks" }
    /// pontoon's own state under `--config` (attachment records, host-port claims, firewall membership).
    public var pontoonState: String { networkRunDirectory + "/pontoon" }
    /// The lock file podman would leave in `/dev/shm` with its default `lock_type`.
    public var shmLock: String { "/dev/shm/libpod_rootless_lock_\(user.uid)" }

    public init(user: RootlessUser, hostNamespace: String, helper: PodmanHost.NetavarkHelper) throws {
        let missing = PodmanHost.missingTools
        guard missing.isEmpty else { throw GoldenError("podman harness: missing \(missing.joined(separator: ", ")); run scripts/setup") }
        self.user = user
        self.hostNamespace = hostNamespace
        self.helper = helper
        try writeFiles()
        try importImage()
    }

    private func writeFiles() throws {
        let files = FileManager.default
        try files.createDirectory(atPath: configDirectory, withIntermediateDirectories: true)
        try files.createDirectory(atPath: helperDirectory, withIntermediateDirectories: true)
        let helpers: [String]
        switch helper {
        case .pontoon:
            try files.copyItem(atPath: Binaries.pontoon, toPath: helperDirectory + "/netavark")
            chmod(helperDirectory + "/netavark", 0o755)
            helpers = [helperDirectory, PodmanHost.debianHelpers]
        case .debian:
            helpers = [PodmanHost.debianHelpers]
        }
        // No cgroup settings: rootless podman on cgroup v1 makes none (it says so and goes on).
        let containersConf = """
            [containers]
            default_ulimits = ["nofile=1024:1024", "nproc=1000:1000"]

            [engine]
            runtime = "runc"
            cgroup_manager = "cgroupfs"
            events_logger = "none"
            lock_type = "file"
            helper_binaries_dir = [\(helpers.map(PodmanHost.toml).joined(separator: ", "))]

            [network]
            network_backend = "netavark"
            """
        try containersConf.write(toFile: configDirectory + "/containers.conf", atomically: true, encoding: .utf8)
        try "[storage]\ndriver = \"vfs\"\n".write(toFile: configDirectory + "/storage.conf", atomically: true, encoding: .utf8)
        // Everything under the home is the user's, as if the user had written it.
        let owned = try TestRun.run("/bin/chown", ["-R", "\(user.uid):\(user.gid)", user.home + "/.config", user.home + "/.local"])
        guard owned.status == 0 else { throw GoldenError("chown of \(user.home): \(owned.stderrText)") }
    }

    /// The rootfs as a tarball (files owned by root, which the user's namespace maps to the user),
    /// imported by the user; the tarball goes once imported.
    private func importImage() throws {
        let scratch = try TemporaryDirectory("pontoon-rootless-image")
        defer { scratch.remove() }
        try PodmanHost.writeRootfs(scratch.file("rootfs"))
        let tarball = user.home + "/rootfs.tar"
        let packed = try TestRun.run("/bin/tar", ["-C", scratch.file("rootfs"), "-cf", tarball, "."])
        guard packed.status == 0 else { throw GoldenError("tar of the rootfs: \(packed.stderrText)") }
        chown(tarball, user.uid, user.gid)
        defer { try? FileManager.default.removeItem(atPath: tarball) }
        try podmanOK(["import", tarball, Self.image])
    }

    private var environment: [String: String?] {
        ["CONTAINERS_CONF": configDirectory + "/containers.conf", "CONTAINERS_STORAGE_CONF": configDirectory + "/storage.conf"]
    }

    // MARK: running podman

    /// `podman <arguments>` as the user in the private host, killed after `timeout` seconds. It starts
    /// with only stdin, stdout and stderr open (see `PodmanSandbox.enter`: conmon would otherwise
    /// hold the test's pipe open).
    @discardableResult
    public func podman(_ arguments: [String], timeout: Int = 120, environment extra: [String: String?] = [:]) throws -> RunResult {
        try user.run("/bin/bash", ["-c", PodmanSandbox.closeInheritedDescriptors, "podman",
                                   "/usr/bin/timeout", "-k", "5", String(timeout), PodmanHost.podmanBinary] + arguments,
                     environment: environment.merging(extra) { _, new in new }, netns: PrivateHost.path(hostNamespace))
    }

    /// `podman <arguments>` that must succeed; otherwise throws with podman's own words.
    @discardableResult
    public func podmanOK(_ arguments: [String], timeout: Int = 120) throws -> RunResult {
        let result = try podman(arguments, timeout: timeout)
        guard result.status == 0 else {
            throw GoldenError("rootless podman \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderrText)\(result.stdoutText)")
        }
        return result
    }

    /// `podman run -d` of the image on `network`; podman's answer unchecked.
    @discardableResult
    public func run(_ name: String, network: String, options: [String] = [], command: [String] = ["sleep", "3600"]) throws -> RunResult {
        try podman(["run", "-d", "--name", name, "--network", network] + options + [Self.image] + command)
    }

    /// `podman exec <container> sh -c <command>`.
    @discardableResult
    public func exec(_ container: String, _ command: String) throws -> RunResult {
        try podman(["exec", container, "/bin/sh", "-c", command])
    }

    /// What `podman inspect` says about a container on one network (`IPAddress`, `Gateway`, …).
    public func networkSettings(_ container: String, network: String) throws -> [String: Any] {
        let result = try podmanOK(["inspect", "--type", "container", container])
        let settings = ((result.json as? [[String: Any]])?.first?["NetworkSettings"]) as? [String: Any]
        return (settings?["Networks"] as? [String: Any])?[network] as? [String: Any] ?? [:]
    }

    // MARK: what runs

    /// The user's live processes (`ps` command lines; zombies waiting for a reaper are not counted).
    public func processes() -> [String] { user.liveProcesses() }

    /// Live processes but the pause process (`catatonit -P`), which podman keeps until `system migrate`/`reset`.
    public func processesButPause() -> [String] { processes().filter { $0 != "catatonit -P" } }

    /// Files (not directories) below `directory`, as paths relative to it.
    public static func files(under directory: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
        var found: [String] = []
        while let entry = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: directory + "/" + entry, isDirectory: &isDirectory), !isDirectory.boolValue {
                found.append(entry)
            }
        }
        return found.sorted()
    }

    /// Files under netavark's `--config` but podman's own IPAM database and lock files: what the
    /// helper keeps (pontoon's records, claims, leases and namespace stamp; aardvark-dns entries).
    public func helperState() -> [String] {
        Self.files(under: networkRunDirectory).filter { $0 != "ipam.db" && !$0.hasSuffix("lock") }
    }

    // MARK: cleanup

    /// Containers and networks through podman, then `podman system reset` (storage and the pause
    /// process). Safe to call twice; the user's `remove()` kills whatever is still running after it.
    public func cleanup() {
        _ = try? podman(["rm", "--all", "--force", "--time", "0"], timeout: 60)
        if let names = try? podman(["network", "ls", "--format", "{{.Name}}"], timeout: 30) {
            for name in names.stdoutText.split(separator: "\n") where name != "podman" {
                _ = try? podman(["network", "rm", "--force", String(name)], timeout: 30)
            }
        }
        _ = try? podman(["system", "reset", "--force"], timeout: 60)
    }
}
