import Foundation
import Testing
import TestSupport

/// A pontoon plugin entry for a conflist: the reference `bridge` keys plus pontoon's own
/// `stateDir`, with leases in the test's directory.
func pontoonPlugin(_ podman: PodmanHost, bridge: String, subnet: String, gateway: String,
                   _ extra: [String: Any] = [:]) -> [String: Any] {
    var plugin: [String: Any] = [
        "type": "pontoon", "bridge": bridge, "isGateway": true, "ipMasq": false, "hairpinMode": true,
        "capabilities": ["ips": true, "mac": true],
        "stateDir": podman.stateDir,
        "ipam": ["type": "host-local", "dataDir": podman.dataDir,
                 "ranges": [[["subnet": subnet, "gateway": gateway]]],
                 "routes": [["dst": "0.0.0.0/0"]]] as [String: Any],
    ]
    plugin.merge(extra) { _, new in new }
    return plugin
}

private func fileNames(_ directory: String) -> Set<String> {
    Set((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
}

extension PodmanHost {
    /// The outside world: a namespace wired to the private host (192.0.2.1 there, 192.0.2.2
    /// outside) with no route back to container subnets, so only masqueraded traffic is answered.
    /// The test deletes the host end (`up<token>`) before its leftover checks.
    func outsideWorld() throws -> String {
        let outside = try host.container("outside")
        try host.exec(host.name, """
            ip link add up\(token) type veth peer name eth0 netns \(outside) && \
            ip addr add 192.0.2.1/24 dev up\(token) && ip link set up\(token) up
            """)
        try host.exec(outside, "ip addr add 192.0.2.2/24 dev eth0 && ip link set eth0 up && ip link set lo up")
        return outside
    }

    /// Link names in the private host.
    func hostLinks() throws -> Set<String> {
        Set(try host.json(host.name, "ip -j link show").compactMap { $0["ifname"] as? String })
    }

    /// Ports enslaved to a bridge in the private host.
    func bridgePorts(_ bridge: String) throws -> [String] {
        try host.json(host.name, "ip -j link show master \(bridge)").compactMap { $0["ifname"] as? String }
    }

    /// Leases of a network in pontoon's host-local store (without the lock and round-robin files).
    func leases(_ network: String) -> Set<String> {
        withoutLeaseIndex(fileNames(dataDir + "/" + network).filter { $0 != "lock" && !$0.hasPrefix("last_reserved_ip.") })
    }

    func records(_ network: String) -> Set<String> { fileNames(stateDir + "/" + network) }

    /// Everything a removed container could have left behind, as readable lines (empty: nothing).
    func leftovers(network: String, bridge: String?) throws -> [String] {
        var left: [String] = []
        if !eventually(5, { processes().isEmpty }) { left += processes().map { "process: \($0)" } }
        left += try sandboxNetns().map { "netns in the sandbox: \($0)" }
        left += sandboxKeysOnRealHost().map { "netns on the real host: \($0)" }
        left += try cniCache().map { "libcni cache: \($0)" }
        left += leases(network).map { "lease: \($0)" }
        left += records(network).map { "pontoon record: \($0)" }
        if let bridge {
            left += try bridgePorts(bridge).map { "bridge port: \($0)" }
            left += try hostLinks().subtracting(["lo", bridge]).map { "host link: \($0)" }
        }
        left += cgroupDirectories.flatMap { directory in
            fileNames(directory).filter { $0.hasPrefix("libpod-") }.map { "cgroup: \(directory)/\($0)" }
        }
        return left
    }
}

extension PodmanHost: TestFixture {
    /// The podman sandbox `.podman(label, backend:)` made for the running test.
    static func scoped() throws -> PodmanHost { try FixtureScope.current(".podman") }
}

extension Trait where Self == FixtureScope {
    static func podman(_ label: String, backend: PodmanHost.Backend) -> Self { FixtureScope { try PodmanHost(label, backend: backend) } }
}

extension PodmanHost {
    /// The test page at `address` as seen from `namespace`. curl, not busybox wget: the static
    /// busybox's wget crashes on this distribution.
    func fetch(_ namespace: String, _ address: String) throws -> RunResult {
        try host.exec(namespace, "curl -s -m 3 http://\(address)/index.html")
    }

    func answers(_ namespace: String, _ address: String) throws -> Bool {
        try fetch(namespace, address).stdoutText.contains(PodmanHost.indexPage)
    }
}

/// podman's `web` (httpd, `-p 8080:80`) on a masquerading pontoon network of its own, `subnet`.0/24,
/// with the outside world wired to the private host.
struct MappedWeb {
    let podman: PodmanHost
    let network: String, bridge: String, subnet: String, outside: String
    let id: String, ip: String

    init(_ podman: PodmanHost, subnet: String) throws {
        self.podman = podman
        self.subnet = subnet
        network = "pnet\(podman.token)"
        bridge = "ptb\(podman.token)"
        outside = try podman.outsideWorld()
        try podman.addCNINetwork(network, plugin: pontoonPlugin(
            podman, bridge: bridge, subnet: "\(subnet).0/24", gateway: "\(subnet).1",
            ["ipMasq": true, "capabilities": ["portMappings": true, "ips": true, "mac": true]]))
        let run = try podman.run("web", network: network, options: ["-p", "8080:80"], command: ["httpd", "-f", "-p", "80", "-h", "/www"])
        try #require(run.status == 0, "podman run with ipMasq and -p 8080:80 on pontoon failed: \(run.stderrText)")
        id = run.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        ip = try #require(try podman.networkSettings("web", network: network)["IPAddress"] as? String)
    }

    /// `podman rm -f web`: the port stops answering, and nothing of the container or its network
    /// remains (links, leases, records, rules).
    func removeLeavesNothing() throws {
        let host = podman.host
        try podman.podmanOK(["rm", "--force", "--time", "0", "web"])
        #expect(try podman.fetch(outside, "192.0.2.1:8080").stdoutText.isEmpty, "the port no longer answers")
        // The outside link is the test's own, not a leftover.
        try host.exec(host.name, "ip link delete up\(podman.token)")
        let left = try podman.leftovers(network: network, bridge: bridge)
        #expect(left.isEmpty, "left after podman rm -f: \(left)")
        let ruleset = try host.exec(host.name, "nft list ruleset").stdoutText
        #expect(!ruleset.contains(ip) && !ruleset.contains(id) && !ruleset.contains("\(subnet)."),
                "no rule or element of the container or its network remains: \(ruleset)")
    }
}
