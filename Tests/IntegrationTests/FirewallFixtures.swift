import Foundation
import Testing
import TestSupport

typealias Lab = FirewallLab

/// A private host with an "outside" namespace wired to it (`up0` on the host, `eth0` outside) that
/// has no route to the container subnets: only masqueraded traffic can be answered. The host has
/// two addresses per family on that link, to tell mappings bound to one host IP apart.
struct FirewallLab: TestFixture {
    let host: PrivateHost
    let outside: String

    static let hostV4 = "192.0.2.1", otherHostV4 = "192.0.2.3", outsideV4 = "192.0.2.2"
    static let hostV6 = "2001:db8:2::1", otherHostV6 = "2001:db8:2::3", outsideV6 = "2001:db8:2::2"

    init(_ label: String) throws {
        host = try PrivateHost(label)
        outside = try host.container("outside")
        try check(host.exec(host.name, """
            ip link add up0 type veth peer name eth0 netns \(outside) && ip link set up0 up && \
            ip addr add \(Self.hostV4)/24 dev up0 && ip addr add \(Self.otherHostV4)/24 dev up0 && \
            ip -6 addr add \(Self.hostV6)/64 dev up0 nodad && ip -6 addr add \(Self.otherHostV6)/64 dev up0 nodad preferred_lft 0
            """))
        try check(host.exec(outside, """
            ip link set lo up && ip link set eth0 up && ip addr add \(Self.outsideV4)/24 dev eth0 && \
            ip -6 addr add \(Self.outsideV6)/64 dev eth0 nodad
            """))
    }

    private func check(_ result: RunResult) throws {
        guard result.status == 0 else { throw GoldenError("lab setup: \(result.stderrText)") }
    }

    /// Dual-stack, masquerading, hairpin (podman's bridge settings), with `mappings` for the ADD.
    func config(mappings: [[String: Any]] = [], subnets: [String] = ["10.99.0.0/24", "fd99::/64"],
                _ extra: [String: Any] = [:]) -> [String: Any] {
        var settings: [String: Any] = ["ipMasq": true, "hairpinMode": true, "capabilities": ["portMappings": true]]
        if !mappings.isEmpty { settings["runtimeConfig"] = ["portMappings": mappings] }
        settings.merge(extra) { _, new in new }
        return networkConfig(host, subnets: subnets, routes: ["0.0.0.0/0", "::/0"], settings)
    }

    func serve(in namespace: String, port: Int) throws { try host.serve(in: namespace, port: port) }

    func probe(from namespace: String, _ transport: String, _ address: String, _ port: Int, sourcePort: Int? = nil) throws -> String {
        try host.probe(from: namespace, transport, address, port, sourcePort: sourcePort)
    }

    /// `nft list ruleset` in the private host.
    func ruleset() throws -> String { try host.exec(host.name, "nft list ruleset").stdoutText }

    /// Run `pontoon firewall-reload` in the private host.
    func reload() throws -> RunResult {
        try TestRun.run(PrivateHost.ip, ["netns", "exec", host.name, Binaries.pontoon, "firewall-reload", "--state-dir", host.stateDir],
                        environment: [:])
    }

    func cleanup() { host.cleanup() }
}

extension FirewallLab {
    /// The lab `.firewallLab(label)` made for the running test case.
    static func scoped() throws -> FirewallLab { try FixtureScope.current(".firewallLab") }
}

extension Trait where Self == FixtureScope {
    static func firewallLab(_ label: String) -> Self { FixtureScope { try FirewallLab(label) } }
}

/// The firewall drivers that write rules, for tests written once and run over each. Where the
/// drivers' rules differ in text, the case knows how each one reads.
enum FirewallDriverCase: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case nftables, iptables

    var testDescription: String { rawValue }

    /// The lab's network config on this driver. nftables is the default, so it is not named: the
    /// nftables cases send the config a user who never chose a driver sends.
    func config(_ lab: FirewallLab, mappings: [[String: Any]] = [], _ extra: [String: Any] = [:]) -> [String: Any] {
        let choice: [String: Any] = self == .nftables ? [:] : ["firewall": rawValue]
        return lab.config(mappings: mappings, choice.merging(extra) { _, new in new })
    }

    /// Every rule the driver wrote, as text (iptables' without the save tool's timestamp comments).
    func rules(_ lab: FirewallLab) throws -> String {
        switch self {
        case .nftables:
            return try lab.ruleset()
        case .iptables:
            let text = try lab.host.exec(lab.host.name, "iptables-save && ip6tables-save").stdoutText
            return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.joined(separator: "\n")
        }
    }

    /// How the rules mark the port mappings of `container`'s eth0.
    func mappingMark(_ container: String) -> String {
        self == .nftables ? "comment \"\(container)/eth0\"" : "--comment \"\(container)/eth0\" -j DNAT"
    }

    /// Whether `rules` hold nothing of the test network, as after its last DEL.
    func nothingOfNetwork(_ rules: String) -> Bool {
        switch self {
        case .nftables: return !rules.contains("itnet") && !rules.contains("elements")
        case .iptables: return !rules.contains("PONTOON") && !rules.contains("pontoon")
        }
    }
}

/// The host-port claim files of both drivers, as `<family>-<protocol>-<address>-<port>`; an
/// empty port directory would be a leak, so it shows as `<directory>-empty`.
func hostPortClaims(_ lab: FirewallLab) -> [String] {
    let root = "\(lab.host.stateDir)/.hostports"
    var names: [String] = []
    for port in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
        let parts = port.split(separator: "-")
        let addresses = (try? FileManager.default.contentsOfDirectory(atPath: "\(root)/\(port)")) ?? []
        if addresses.isEmpty { names.append("\(port)-empty") }
        for address in addresses where parts.count == 3 { names.append("\(parts[0])-\(parts[1])-\(address)-\(parts[2])") }
    }
    return names.sorted()
}

/// A port mapping as a runtime sends it.
func mapping(_ hostPort: Int, _ containerPort: Int, _ transport: String = "tcp", hostIP: String? = nil) -> [String: Any] {
    var entry: [String: Any] = ["hostPort": hostPort, "containerPort": containerPort, "protocol": transport]
    if let hostIP { entry["hostIP"] = hostIP }
    return entry
}


/// Probes for firewall tests in any private host: a TCP/UDP server that tells whom it saw, and a
/// client that prints what it got back.
extension PrivateHost {
    /// TCP and UDP servers in `namespace` on `port`, both families, answering every connection or
    /// datagram with what they saw (`tcp4 10.99.0.1 port 41234`), so a probe shows the source
    /// address the container saw.
    func serve(in namespace: String, port: Int) throws {
        // The server outlives this call: it must hold no descriptor inherited from the test process
        // (a pipe of another test's child would never see EOF), so it closes them first. Its
        // lifetime is bounded, and cleanup kills it anyway.
        let started = try exec(namespace, "python3 \(try probeScript()) serve \(port) </dev/null >/dev/null 2>&1 &")
        guard started.status == 0 else { throw GoldenError("starting servers in \(namespace): \(started.stderrText)") }
        for _ in 0..<100 {
            let listening = try exec(namespace, "ss -Hlntu | grep -c ':\(port) '").stdoutText
            if Int(listening.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 >= 4 { return }
            usleep(20_000)
        }
        throw GoldenError("servers on port \(port) in \(namespace) did not start")
    }

    /// What a TCP or UDP probe from `namespace` to `address:port` got back ("" when nothing).
    func probe(from namespace: String, _ transport: String, _ address: String, _ port: Int, sourcePort: Int? = nil) throws -> String {
        let result = try exec(namespace, "timeout -s KILL 10 python3 \(try probeScript()) \(transport) \(address) \(port) \(sourcePort ?? 0)")
        return result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A small TCP/UDP server and client (Python's standard library), written once per lab.
    func probeScript() throws -> String {
        let path = scratch.file("netprobe.py")
        if FileManager.default.fileExists(atPath: path) { return path }
        let text = """
            import os, selectors, signal, socket, sys
            mode = sys.argv[1]
            if mode == "serve":
                os.closerange(3, 65536)
                signal.alarm(180)
                port = int(sys.argv[2])
                selector = selectors.DefaultSelector()
                for family, tag, anywhere in ((socket.AF_INET, "4", "0.0.0.0"), (socket.AF_INET6, "6", "::")):
                    for kind, proto in ((socket.SOCK_STREAM, "tcp"), (socket.SOCK_DGRAM, "udp")):
                        s = socket.socket(family, kind)
                        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                        if family == socket.AF_INET6:
                            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                        s.bind((anywhere, port))
                        if kind == socket.SOCK_STREAM:
                            s.listen(64)
                        selector.register(s, selectors.EVENT_READ, proto + tag)
                while True:
                    for key, _ in selector.select():
                        s, name = key.fileobj, key.data
                        if name.startswith("tcp"):
                            conn, peer = s.accept()
                            conn.sendall(f"{name} {peer[0]} port {peer[1]}\\n".encode())
                            conn.close()
                        else:
                            data, peer = s.recvfrom(2048)
                            s.sendto(f"{name} {peer[0]} port {peer[1]}\\n".encode(), peer)
            else:
                address, port, source = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
                family = socket.AF_INET6 if ":" in address else socket.AF_INET
                s = socket.socket(family, socket.SOCK_STREAM if mode == "tcp" else socket.SOCK_DGRAM)
                if source:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    s.bind(("0.0.0.0" if family == socket.AF_INET else "::", source))
                # A first packet can be lost while neighbours are resolved: TCP retransmits its SYN
                # within the timeout, UDP asks up to three times, as a real client would.
                try:
                    if mode == "tcp":
                        s.settimeout(5)
                        s.connect((address, port))
                        print(s.recv(2048).decode().strip())
                    else:
                        s.settimeout(1.5)
                        for attempt in range(3):
                            s.sendto(b"probe", (address, port))
                            try:
                                print(s.recvfrom(2048)[0].decode().strip())
                                break
                            except socket.timeout:
                                pass
                except OSError:
                    pass

            """
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

}
