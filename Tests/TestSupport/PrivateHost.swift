import Foundation

/// A private "host" network namespace with container namespaces around it, for integration tests.
/// The plugin runs inside the private host (`ip netns exec`), exactly as a runtime runs it, so the
/// real host's links, routes and sysctls are never touched. `cleanup()` deletes every namespace
/// and file the test made; call it from a `defer`.
public final class PrivateHost: @unchecked Sendable {
    /// The host namespace's name (`/run/netns/<name>`).
    public let name: String
    public let scratch: TemporaryDirectory
    private let prefix: String
    private var namespaces: [String] = []
    /// Processes left in a namespace whose name a test deleted (they keep it alive, which some
    /// tests want): killed at cleanup, since their namespace can no longer be found by name.
    private var orphans: [(pid: Int32, netns: String)] = []
    private let lock = NSLock()

    public static var isRoot: Bool { getuid() == 0 }
    public static let ip = FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") ? "/usr/sbin/ip" : "/sbin/ip"

    public init(_ label: String) throws {
        prefix = "pt\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        name = "\(prefix)-\(label)-host"
        scratch = try TemporaryDirectory("pontoon-it")
        try add(name)
        // A fresh namespace has lo down; the host side of port mappings and probes need it.
        try exec(name, "ip link set lo up")
    }

    /// Where this test's leases and attachment records live.
    public var dataDir: String { scratch.file("leases") }
    public var stateDir: String { scratch.file("state") }

    /// A new container namespace; returns its name (its path is `/run/netns/<name>`).
    public func container(_ label: String) throws -> String {
        let container = "\(prefix)-\(label)"
        try add(container)
        return container
    }

    public static func path(_ namespace: String) -> String { "/run/netns/\(namespace)" }

    private func add(_ namespace: String) throws {
        let result = try TestRun.run(Self.ip, ["netns", "add", namespace])
        guard result.status == 0 else { throw GoldenError("ip netns add \(namespace): \(result.stderrText)") }
        lock.withLock { namespaces.append(namespace) }
    }

    /// Delete a namespace now (as a runtime does when a container dies).
    public func delete(_ namespace: String) throws {
        let inside = pids(namespace).compactMap { pid in Self.netnsLink(pid).map { (pid: pid, netns: $0) } }
        try TestRun.run(Self.ip, ["netns", "delete", namespace])
        lock.withLock { orphans += inside }
        lock.withLock { namespaces.removeAll { $0 == namespace } }
    }

    /// Run a shell command inside a namespace.
    @discardableResult
    public func exec(_ namespace: String, _ command: String) throws -> RunResult {
        try TestRun.run(Self.ip, ["netns", "exec", namespace, "/bin/sh", "-c", command],
                        environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"])
    }

    /// Run the plugin inside the private host with the CNI environment a runtime would set.
    @discardableResult
    /// `netns` overrides the container's namespace path; `environment` adds variables.
    public func cni(_ command: String, container: String?, containerID: String? = nil, ifName: String = "eth0",
                    args: String? = nil, netns: String? = nil, environment: [String: String] = [:],
                    config: [String: Any], binary: String = Binaries.pontoon) throws -> RunResult {
        var env = ["CNI_COMMAND": command, "CNI_PATH": "/usr/lib/cni", "CNI_IFNAME": ifName,
                   "CNI_CONTAINERID": containerID ?? container ?? "none"]
        env.merge(environment) { _, new in new }
        if let container { env["CNI_NETNS"] = Self.path(container) }
        if let netns { env["CNI_NETNS"] = netns }
        if let args { env["CNI_ARGS"] = args }
        let stdin = try JSONSerialization.data(withJSONObject: config, options: [.withoutEscapingSlashes])
        return try TestRun.run(Self.ip, ["netns", "exec", name, binary], environment: env, stdin: stdin)
    }

    /// Whether `ping` from one namespace reaches an address (one echo, one second).
    public func pings(from namespace: String, _ address: String) throws -> Bool {
        try exec(namespace, "ping -c 1 -W 2 \(address) >/dev/null 2>&1").status == 0
    }

    /// `ip -j …` parsed: iproute2's JSON output, read over netlink by iproute2 itself.
    public func json(_ namespace: String, _ command: String) throws -> [[String: Any]] {
        let result = try exec(namespace, command)
        return (try? JSONSerialization.jsonObject(with: result.stdout)) as? [[String: Any]] ?? []
    }

    public func cleanup() {
        // Only while the pid still lives in that namespace (a pid can be reused).
        for orphan in lock.withLock({ orphans }) where Self.netnsLink(orphan.pid) == orphan.netns { kill(orphan.pid, SIGKILL) }
        for namespace in lock.withLock({ namespaces }).reversed() {
            // Servers a test started inside (probes' listeners) would keep the namespace alive.
            pids(namespace).forEach { kill($0, SIGKILL) }
            _ = try? TestRun.run(Self.ip, ["netns", "delete", namespace])
        }
        lock.withLock { namespaces.removeAll(); orphans.removeAll() }
        scratch.remove()
    }

    private static func netnsLink(_ pid: Int32) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/net")
    }

    private func pids(_ namespace: String) -> [Int32] {
        ((try? TestRun.run(Self.ip, ["netns", "pids", namespace]))?.stdoutText ?? "")
            .split(separator: "\n").compactMap { Int32($0) }
    }
}

/// What the running kernel can do, probed once in a throwaway namespace.
public enum KernelFeatures {
    /// CONFIG_BRIDGE_VLAN_FILTERING: `vlan`/`vlanTrunk` need it (some cloud kernels leave it out).
    public static let bridgeVLANFiltering: Bool = {
        guard PrivateHost.isRoot, let probe = try? PrivateHost("vlanprobe") else { return false }
        defer { probe.cleanup() }
        return (try? probe.exec(probe.name, "ip link add probe0 type bridge vlan_filtering 1").status) == 0
    }()
}
