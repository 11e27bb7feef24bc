import Foundation
import Testing
import TestSupport

/// The Kubernetes path: containerd's own CNI library (go-cni, through the small client in
/// Tests/gocni) drives pontoon exactly as containerd's CRI plugin does, inside a private host.
@Suite("containerd's go-cni", needsRoot)
struct GoCNITests {
    @Test("two pods: Setup with K8S labels, DNS and an empty port list, traffic, Check, Remove, Remove again, Remove once the netns is gone; nothing left")
    func podLifecycle() throws {
        let pods = try PodHost("gocni")
        defer { pods.cleanup() }
        let a = try pods.pod("a"), b = try pods.pod("b")

        let ipA = try pods.setup(a), ipB = try pods.setup(b)
        #expect(ipA != ipB)
        for (pod, ip) in [(a, ipA), (b, ipB)] {
            // The address go-cni read from the result's eth0 entry is the one on the pod's eth0.
            let onLink = try pods.host.json(pod.namespace, "ip -j -4 addr show dev eth0")
                .flatMap { ($0["addr_info"] as? [[String: Any]]) ?? [] }.compactMap { $0["local"] as? String }
            #expect(onLink == [ip], "\(pod.namespace): eth0 has \(onLink), go-cni reported \(ip)")
            // go-cni's loopback network brought lo up, next to pontoon's eth0.
            #expect(try pods.host.pings(from: pod.namespace, "127.0.0.1"))
        }
        #expect(try pods.host.pings(from: a.namespace, ipB))
        #expect(try pods.host.pings(from: b.namespace, ipA))
        #expect(try pods.host.pings(from: a.namespace, PodHost.gateway))
        #expect(try pods.host.pings(from: pods.host.name, ipA), "the host reaches the pod through the bridge")

        try pods.expectSuccess(pods.client("check", a))
        #expect(pods.cachedResults().count == 4, "libcni caches loopback and pod network for each pod: \(pods.cachedResults())")

        // Pod a: what kubelet does on a normal stop.
        try pods.expectSuccess(pods.client("remove", a))
        try pods.expectSuccess(pods.client("remove", a))
        try pods.host.delete(a.namespace)
        try pods.expectSuccess(pods.client("remove", a, netns: ""))
        // Pod b: its namespace is gone before the first Remove (containerd then sends an empty path).
        try pods.host.delete(b.namespace)
        try pods.expectSuccess(pods.client("remove", b, netns: ""))

        try pods.expectNothingLeft(bridgeMade: true)
    }

    /// containerd's port mappings (go-cni's HostPort, ContainerPort, Protocol, HostIP) through
    /// pontoon's firewall: each answers from the host (127.0.0.1, and the bound host IP), and the
    /// Remove leaves no firewall entry of the pod or its network.
    @Test("port mappings from go-cni (HostPort, ContainerPort, Protocol, HostIP): each answers; Remove leaves no firewall entry")
    func portMappings() throws {
        let pods = try PodHost("gocniports")
        defer { pods.cleanup() }
        let pod = try pods.pod("p")
        let ports = ["18080:80/tcp", "18053:53/udp", "18443:443/tcp@\(PodHost.gateway)"]

        let setup = try pods.client("setup", pod, ports: ports)
        try pods.expectSuccess(setup)
        for port in [80, 53, 443] { try pods.host.serve(in: pod.namespace, port: port) }
        #expect(try pods.host.probe(from: pods.host.name, "tcp", "127.0.0.1", 18080).hasPrefix("tcp4 "))
        #expect(try pods.host.probe(from: pods.host.name, "udp", "127.0.0.1", 18053).hasPrefix("udp4 "))
        #expect(try pods.host.probe(from: pods.host.name, "tcp", PodHost.gateway, 18443).hasPrefix("tcp4 "))
        #expect(try pods.host.probe(from: pods.host.name, "tcp", "127.0.0.1", 18443) == "", "bound to the gateway address only")
        let rules = try pods.host.exec(pods.host.name, "nft list ruleset").stdoutText
        #expect(rules.contains("\(PodHost.gateway) . tcp . 18443 comment \"\(pod.sandboxID)/eth0\""), "\(rules)")

        try pods.expectSuccess(pods.client("remove", pod, ports: ports))
        try pods.expectNothingLeft(bridgeMade: true)
        let after = try pods.host.exec(pods.host.name, "nft list ruleset").stdoutText
        #expect(!after.contains(pod.sandboxID) && !after.contains(PodHost.network) && !after.contains("10.98.0."), "\(after)")
    }
}

/// A private host with a conf dir, a plugin dir and a libcni cache for the go-cni client, and pods
/// (namespace + 64-hex sandbox id, as containerd makes them).
struct PodHost {
    static let subnet = "10.98.0.0/24"
    static let gateway = "10.98.0.1"
    static let bridge = "k8s0"
    static let network = "k8snet"

    struct Pod {
        var namespace: String
        var sandboxID: String
        var name: String
    }

    let host: PrivateHost
    let client: String
    var confDir: String { host.scratch.file("net.d") }
    var binDir: String { host.scratch.file("bin") }
    var cacheDir: String { host.scratch.file("cni-cache") }

    init(_ label: String) throws {
        client = try GoCNIClient.path()
        host = try PrivateHost(label)
        do {
            try write()
        } catch {
            host.cleanup()
            throw error
        }
    }

    /// The pod network is the conf dir's first config; pontoon is found in the plugin dir, the
    /// reference loopback in /usr/lib/cni.
    private func write() throws {
        let files = FileManager.default
        for directory in [confDir, binDir, cacheDir] { try files.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        try files.createSymbolicLink(atPath: binDir + "/pontoon", withDestinationPath: Binaries.pontoon)
        let conflist: [String: Any] = [
            "cniVersion": "1.0.0", "name": Self.network,
            "plugins": [[
                "type": "pontoon", "bridge": Self.bridge, "isGateway": true, "ipMasq": false, "hairpinMode": true,
                "capabilities": ["portMappings": true, "dns": true, "ips": true],
                "stateDir": host.stateDir,
                "ipam": ["type": "host-local", "dataDir": host.dataDir, "ranges": [[["subnet": Self.subnet]]],
                         "routes": [["dst": "0.0.0.0/0"]]] as [String: Any],
            ] as [String: Any]],
        ]
        let data = try JSONSerialization.data(withJSONObject: conflist, options: [.withoutEscapingSlashes])
        try data.write(to: URL(fileURLWithPath: confDir + "/10-\(Self.network).conflist"))
    }

    func pod(_ label: String) throws -> Pod {
        let namespace = try host.container(label)
        let sandboxID = (0..<4).map { _ in String(format: "%016llx", UInt64.random(in: 0...UInt64.max)) }.joined()
        return Pod(namespace: namespace, sandboxID: sandboxID, name: "pod-\(label)")
    }

    /// One CRI step through go-cni, run inside the private host as containerd runs inside the host.
    func client(_ step: String, _ pod: Pod, netns: String? = nil, ports: [String] = []) throws -> RunResult {
        var arguments = [
            "netns", "exec", host.name, client,
            "-confdir", confDir, "-bindirs", binDir + ":" + Binaries.referenceDirectory, "-cachedir", cacheDir,
            "-pod-namespace", "k8s-test", "-pod-name", pod.name, "-pod-uid", UUID().uuidString.lowercased(),
            "-dns-server", "10.96.0.10", "-dns-search", "k8s-test.svc.cluster.local", "-dns-option", "ndots:5",
        ]
        for port in ports { arguments += ["-port", port] }
        arguments += [step, pod.sandboxID, netns ?? PrivateHost.path(pod.namespace)]
        return try TestRun.run(PrivateHost.ip, arguments, environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"])
    }

    /// Setup must succeed; returns the pod IP go-cni read from the result's eth0.
    func setup(_ pod: Pod) throws -> String {
        let result = try client("setup", pod)
        try expectSuccess(result)
        let ip = try #require(result.document["ip"] as? String, "no pod IP in \(result.stdoutText)")
        #expect(ip.hasPrefix("10.98.0."), "pod IP \(ip) outside \(Self.subnet)")
        return ip
    }

    func expectSuccess(_ result: RunResult, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try #require(result.status == 0, "go-cni failed: \(result.stdoutText) \(result.stderrText)", sourceLocation: sourceLocation)
        #expect(result.stderr.isEmpty, "plugins must stay silent on stderr: \(result.stderrText)", sourceLocation: sourceLocation)
    }

    /// libcni's cached results (`<cache>/results/<network>-<id>-<ifname>`).
    func cachedResults() -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: cacheDir + "/results")) ?? []
    }

    /// No veth, lease, record or cached result survives; only the bridge stays, as with the reference.
    func expectNothingLeft(bridgeMade: Bool, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let links = try host.linkNames(host.name)
        #expect(links == (bridgeMade ? ["lo", Self.bridge] : ["lo"]), "host links left: \(links)", sourceLocation: sourceLocation)
        #expect(host.leases(network: Self.network).isEmpty, "leases left: \(host.leases(network: Self.network))", sourceLocation: sourceLocation)
        #expect(host.records(network: Self.network).isEmpty, "records left: \(host.records(network: Self.network))", sourceLocation: sourceLocation)
        #expect(cachedResults().isEmpty, "libcni cache entries left: \(cachedResults())", sourceLocation: sourceLocation)
    }

    func cleanup() { host.cleanup() }
}

extension RunResult {
    /// The client's one JSON object.
    var document: [String: Any] { json as? [String: Any] ?? [:] }
}

/// The go-cni client (Tests/gocni), built once per test run, offline, in GOPATH mode against
/// Debian's golang-github-containerd-go-cni-dev. A missing toolchain or library is a failure
/// naming what to install, never a skip.
enum GoCNIClient {
    static let goPath = "/usr/share/gocode"
    private static let built: Result<String, GoldenError> = build()

    static func path() throws -> String { try built.get() }

    private static func build() -> Result<String, GoldenError> {
        guard let go = ["/usr/bin/go", "/usr/lib/go/bin/go"].first(where: FileManager.default.isExecutableFile) else {
            return .failure(GoldenError("the go-cni test needs Go: install golang-go (scripts/setup does)"))
        }
        guard FileManager.default.fileExists(atPath: goPath + "/src/github.com/containerd/go-cni/cni.go") else {
            return .failure(GoldenError("the go-cni test needs go-cni: install golang-github-containerd-go-cni-dev (scripts/setup does)"))
        }
        do {
            let scratch = try TemporaryDirectory("pontoon-gocni")
            buildDirectory = scratch.path
            atexit { GoCNIClient.removeBuild() }
            let output = scratch.file("gocni-client")
            let result = try TestRun.run(go, ["build", "-o", output, Repository.root + "/Tests/gocni/main.go"], environment: [
                "PATH": "/usr/bin:/bin", "HOME": scratch.path, "GO111MODULE": "off", "CGO_ENABLED": "0",
                "GOPATH": goPath + ":" + scratch.file("gopath"), "GOCACHE": scratch.file("gocache"),
            ])
            guard result.status == 0 else {
                return .failure(GoldenError("building Tests/gocni failed: \(result.stderrText)\(result.stdoutText)"))
            }
            return .success(output)
        } catch {
            return .failure(GoldenError("building Tests/gocni failed: \(error)"))
        }
    }

    nonisolated(unsafe) private static var buildDirectory: String?

    private static func removeBuild() {
        if let buildDirectory { try? FileManager.default.removeItem(atPath: buildDirectory) }
    }
}
