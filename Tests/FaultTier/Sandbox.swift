import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The world one worker lives in. The driver re-executes itself under
/// `unshare --net --mount --pid --fork --mount-proc`, so the worker's own network namespace is the
/// private "host" the plugin works in, and its own mount namespace gets fresh tmpfs over /run,
/// /var/lib and /tmp plus a sysfs of the private host. Everything the plugin could write with a
/// default or mutated path (`/run/pontoon`, `/var/lib/cni/networks`, scratch directories) lands in
/// those tmpfs mounts and vanishes with the worker; container namespaces live in the private /run,
/// so they die with it too. Nothing here can reach the real host's links, routes or files.
enum Sandbox {
    static let marker = "PONTOON_FAULTS_SANDBOX"
    static var inside: Bool { ProcessInfo.processInfo.environment[marker] == "1" }

    /// Where the driver and the plugin are copied inside the sandbox: the tmpfs over /tmp, /run and
    /// /var/lib would hide them when the checkout itself lives there (CI may clone under /tmp).
    static let binaries = "/mnt"

    /// The command line that runs `arguments` of the driver at `driver` inside a fresh sandbox,
    /// testing the plugin at `plugin`; both run from copies in `binaries`.
    static func wrap(driver: String, plugin: String, _ arguments: [String]) -> [String] {
        let setup = [
            "set -e",
            "mount -t tmpfs -o mode=755 tmpfs \(binaries)",
            "cp \"$1\" \(binaries)/pontoon-faults",
            "cp \"$2\" \(binaries)/pontoon",
            "shift 2",
            "mount -t sysfs sysfs /sys",
            "mount -t tmpfs -o mode=755 tmpfs /run",
            "mount -t tmpfs -o mode=755 tmpfs /var/lib",
            "mount -t tmpfs -o mode=1777 tmpfs /tmp",
            "mkdir -p /run/netns",
            "ip link set lo up",
            // Not exec: the shell stays PID 1 of the sandbox and reaps whatever a killed child orphans.
            "\(binaries)/pontoon-faults \"$@\" --plugin \(binaries)/pontoon",
        ].joined(separator: "\n")
        return ["/usr/bin/unshare", "--net", "--mount", "--pid", "--fork", "--mount-proc", "--propagation", "private",
                "/bin/sh", "-c", setup, "sandbox", driver, plugin] + arguments
    }
}

/// A worker's private host: its links, its container namespaces, its scratch files.
final class PrivateWorld {
    let spawner: Spawner
    /// Files the plugin may write live under these; everything else in them is a finding.
    static let watchedRoots = ["/tmp", "/run", "/var/lib"]
    /// The driver's own files, never the plugin's.
    static let driverPaths = ["/tmp/io", "/run/netns"]
    let scratch = "/tmp/fz"

    private(set) var baseLinks: Set<[UInt8]> = []
    /// The worker's own namespace, to come back to after looking into a container.
    private let hostNamespace = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)
    private(set) var baseFiles: Set<String> = []

    init() {
        spawner = Spawner(ioDirectory: "/tmp/io")
        for directory in ["state", "data", "log", "cwd", "other"] {
            try? FileManager.default.createDirectory(atPath: scratch + "/" + directory, withIntermediateDirectories: true)
        }
        // Relative paths in a config resolve here; nothing may ever appear in it.
        chdir(scratch + "/cwd")
        writeFile(scratch + "/other/resolv.conf", Array("nameserver 10.0.0.53\nsearch example.test\n".utf8))
        writeFile(scratch + "/other/plain-file", Array("x".utf8))
        mkfifo(scratch + "/other/fifo", 0o600)
        snapshotBase()
    }

    /// What the world looks like between operations; leftovers are measured against it.
    func snapshotBase() {
        baseLinks = Set(hostLinks())
        baseFiles = Set(files().keys)
    }

    // MARK: links

    /// Link names of the private host, read from its own sysfs (mounted inside the sandbox).
    func hostLinks() -> [[UInt8]] {
        rawDirectory("/sys/class/net")
    }

    func isBridge(_ name: [UInt8]) -> Bool {
        access("/sys/class/net/" + String(decoding: name, as: UTF8.self) + "/bridge", F_OK) == 0
            && !name.contains(0x2f)
    }

    /// Link names inside a container namespace. The driver (never a test process) enters the
    /// namespace for one `if_nameindex()` and returns at once; it is single-threaded while doing so.
    func containerLinks(_ namespace: String) -> [String] {
        let target = open("/run/netns/" + namespace, O_RDONLY | O_CLOEXEC)
        guard target >= 0 else { return ["<no namespace \(namespace)>"] }
        defer { close(target) }
        guard enterNamespace(target, networkNamespaceFlag) == 0 else { return ["<cannot enter \(namespace)>"] }
        var names: [String] = []
        if let list = if_nameindex() {
            var cursor = list
            while cursor.pointee.if_index != 0 {
                names.append(String(cString: cursor.pointee.if_name))
                cursor += 1
            }
            if_freenameindex(list)
        }
        precondition(enterNamespace(hostNamespace, networkNamespaceFlag) == 0, "cannot return to the private host namespace")
        return names
    }

    func addNamespace(_ name: String) {
        let made = spawner.command(["/usr/sbin/ip", "netns", "add", name])
        precondition(made.exitedZero, "ip netns add \(name): \(made.stderrText)")
    }

    func deleteNamespace(_ name: String) {
        spawner.command(["/usr/sbin/ip", "netns", "delete", name])
    }

    /// Removes a host link by its raw name (names from fuzzed input may not be UTF-8).
    func deleteLink(_ name: [UInt8]) {
        var invocation = Invocation(["/usr/sbin/ip", "link", "delete", "dev"], environment: [Array("PATH=/usr/sbin:/usr/bin".utf8)])
        invocation.arguments.append(name)
        spawner.run(invocation)
    }

    // MARK: files

    /// Every path under the watched roots (minus the driver's own), with whether it is a directory.
    func files() -> [String: Bool] {
        var found: [String: Bool] = [:]
        for root in Self.watchedRoots { walk(root, into: &found) }
        return found
    }

    private func walk(_ directory: String, into found: inout [String: Bool]) {
        for name in rawDirectory(directory) {
            let path = directory + "/" + String(decoding: name, as: UTF8.self)
            if Self.driverPaths.contains(path) { continue }
            var info = stat()
            let isDirectory = lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
            found[path] = isDirectory
            if isDirectory { walk(path, into: &found) }
        }
    }

    /// Everything made since the base snapshot, directories included.
    func newFiles() -> [String: Bool] {
        files().filter { !baseFiles.contains($0.key) }
    }

    /// Deletes everything made since the base snapshot (deepest first).
    func removeNewFiles() {
        for path in newFiles().keys.sorted(by: { $0.count > $1.count }) {
            if unlink(path) != 0 { rmdir(path) }
        }
        // Names that were not UTF-8 could not be addressed by the lossy paths above: remove by raw name.
        for root in Self.watchedRoots { removeRaw(root) }
    }

    private func removeRaw(_ directory: String) {
        for name in rawDirectory(directory) {
            let path = directory + "/" + String(decoding: name, as: UTF8.self)
            if Self.driverPaths.contains(path) { continue }
            if baseFiles.contains(path) {
                var info = stat()
                if lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR { removeRaw(path) }
                continue
            }
            let raw = Array(directory.utf8) + [0x2f] + name
            spawner.run(Invocation(["/bin/rm", "-rf"], environment: []).appending(raw))
        }
    }

    /// Raw entry names of a directory (no `.`/`..`).
    func rawDirectory(_ path: String) -> [[UInt8]] {
        guard let handle = opendir(path) else { return [] }
        defer { closedir(handle) }
        var names: [[UInt8]] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { buffer in
                Array(buffer.prefix { $0 != 0 })
            }
            if name == [0x2e] || name == [0x2e, 0x2e] { continue }
            names.append(name)
        }
        return names
    }
}

extension Invocation {
    func appending(_ argument: [UInt8]) -> Invocation {
        var copy = self
        copy.arguments.append(argument)
        return copy
    }
}

/// glibc's setns(2); Swift's Glibc module leaves it out (it needs _GNU_SOURCE).
@_silgen_name("setns") private func enterNamespace(_ fd: Int32, _ type: Int32) -> Int32
private let networkNamespaceFlag: Int32 = 0x4000_0000 // CLONE_NEWNET
