import Foundation
import Testing
import TestSupport

/// Upstream DNS servers in netavark mode: `network_dns_servers`, the request's `dns_servers` and
/// `update <network> --network-dns-servers`, served by Debian's aardvark-dns 1.4 (which reads them
/// from its config: the first line's second column, a container line's fifth). Fake upstream
/// servers in the private host answer every name with an address of their own, so the answer
/// shows which server aardvark-dns asked.
@Suite("netavark mode: upstream DNS servers through aardvark-dns", needsRoot)
struct NetavarkDNSServersTests {
    /// `serve <address> <answer>`: answer every A query with `answer`; `ask <server> <name>`: print
    /// the first A record of the answer (or `none`).
    static let script = """
        import socket, struct, sys, signal
        if sys.argv[1] == "serve":
            import os
            os.closerange(3, 65536)
            signal.alarm(120)
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((sys.argv[2], 53))
            answer = socket.inet_aton(sys.argv[3])
            while True:
                query, peer = s.recvfrom(4096)
                end = 12
                while query[end] != 0:
                    end += query[end] + 1
                question = query[12:end + 5]
                header = query[:2] + struct.pack(">HHHHH", 0x8180, 1, 1, 0, 0)
                record = struct.pack(">HHHLH", 0xC00C, 1, 1, 5, 4) + answer
                s.sendto(header + question + record, peer)
        else:
            name = sys.argv[3]
            query = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
            query += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\\0" + struct.pack(">HH", 1, 1)
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(3)
            s.sendto(query, (sys.argv[2], 53))
            try:
                reply = s.recv(4096)
                count = struct.unpack(">H", reply[6:8])[0]
                print(socket.inet_ntoa(reply[-4:]) if count and (reply[3] & 15) == 0 else "none")
            except socket.timeout:
                print("none")
        """

    @Test("network_dns_servers at setup, update rewrites them live (SIGHUP), dns_servers per container; bad servers refused")
    func upstreamServers() throws {
        let host = try PrivateHost("nvdnsup")
        defer {
            // aardvark-dns runs in the private host: stop it with the namespace.
            host.cleanup()
        }
        let script = host.scratch.file("dnsprobe.py")
        try Self.script.write(toFile: script, atomically: true, encoding: .utf8)
        try host.exec(host.name, """
            ip link add ptup0 type veth peer name ptup1 && ip link set ptup0 up && ip link set ptup1 up && \
            ip addr add 192.0.2.53/24 dev ptup1 && ip addr add 192.0.2.54/24 dev ptup1 && ip addr add 192.0.2.55/24 dev ptup1
            """)
        for last in [53, 54, 55] {
            try host.exec(host.name, "python3 \(script) serve 192.0.2.\(last) 198.51.100.\(last) </dev/null >/dev/null 2>&1 &")
        }
        func ask(from namespace: String, _ name: String, expecting: String) throws -> String {
            var answer = ""
            for _ in 0..<30 {
                answer = try host.exec(namespace, "python3 \(script) ask 10.88.0.1 \(name)").stdoutText
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                if answer == expecting { break }
                usleep(100_000)
            }
            return answer
        }
        let config = host.scratch.file("netavark/aardvark-dns/podman")
        func header() -> String {
            ((try? String(contentsOfFile: config, encoding: .utf8)) ?? "").split(separator: "\n").first.map(String.init) ?? ""
        }

        var stdin = try NetavarkModeTests.capture("podman-netavark-setup.json", host: host, dns: true)
        var info = stdin["network_info"] as! [String: [String: Any]]
        info["podman"]!["network_dns_servers"] = ["192.0.2.53"]
        stdin["network_info"] = info
        let a = try host.container("a"), b = try host.container("b")
        let setup = try host.netavark(["setup", PrivateHost.path(a)], stdin)
        #expect(setup.status == 0, "\(setup.stdoutText)")
        #expect(header() == "10.88.0.1 192.0.2.53")
        #expect(try ask(from: a, "one.example.test", expecting: "198.51.100.53") == "198.51.100.53", "the network's server at setup")

        let update = try host.netavark(["update", "podman", "--network-dns-servers", "192.0.2.54"], [:])
        #expect(update.status == 0 && update.stdout.isEmpty, "\(update.stdoutText)")
        #expect(header() == "10.88.0.1 192.0.2.54")
        #expect(try ask(from: a, "two.example.test", expecting: "198.51.100.54") == "198.51.100.54", "the updated server, live")

        // A container's own servers (podman's --dns) come before the network's.
        var second = stdin
        second["container_id"] = String(repeating: "b", count: 64)
        second["container_name"] = "other"
        var networks = second["networks"] as! [String: [String: Any]]
        networks["podman"]!["static_ips"] = ["10.88.0.14"]
        second["networks"] = networks
        second["dns_servers"] = ["192.0.2.55"]
        #expect(try host.netavark(["setup", PrivateHost.path(b)], second).status == 0)
        let line = ((try? String(contentsOfFile: config, encoding: .utf8)) ?? "").split(separator: "\n").last.map(String.init) ?? ""
        #expect(line.hasSuffix(" 192.0.2.55"), "\(line)")
        #expect(try ask(from: b, "three.example.test", expecting: "198.51.100.55") == "198.51.100.55", "the container's own server")
        #expect(try ask(from: a, "four.example.test", expecting: "198.51.100.54") == "198.51.100.54")

        // Bad input changes nothing; a network without entries has nothing to update.
        let bad = try host.netavark(["update", "podman", "--network-dns-servers", "192.0.2.54,nonsense"], [:])
        #expect(bad.status == 1)
        #expect(((bad.json as? [String: Any])?["error"] as? String)?.contains("\"nonsense\" is not an IP address") == true, "\(bad.stdoutText)")
        #expect(header() == "10.88.0.1 192.0.2.54")
        let badName = try host.netavark(["update", "../podman", "--network-dns-servers", "192.0.2.54"], [:])
        #expect(badName.status == 1 && (badName.json as? [String: Any])?["error"] != nil, "\(badName.stdoutText)")
        let idle = try host.netavark(["update", "idle", "--network-dns-servers", "192.0.2.54"], [:])
        #expect(idle.status == 0, "\(idle.stdoutText)")
        #expect(!FileManager.default.fileExists(atPath: host.scratch.file("netavark/aardvark-dns/idle")))
        var badSetup = second
        badSetup["dns_servers"] = ["not-an-ip"]
        let refused = try host.netavark(["setup", PrivateHost.path(b)], badSetup)
        #expect(refused.status == 1 && refused.stdoutText.contains("dns_servers: \\\"not-an-ip\\\" is not an IP address"), "\(refused.stdoutText)")

        // No servers: back to aardvark-dns's default (resolv.conf's).
        #expect(try host.netavark(["update", "podman", "--network-dns-servers", ""], [:]).status == 0)
        #expect(header() == "10.88.0.1")

        #expect(try host.netavark(["teardown", PrivateHost.path(b)], second).status == 0)
        #expect(try host.netavark(["teardown", PrivateHost.path(a)], stdin).status == 0)
        #expect(!FileManager.default.fileExists(atPath: config))
    }

    @Test("without DNS on the network, the container's dns_servers are the StatusBlock's dns_server_ips (as netavark answers)", .privateHost("nvdnsoff"))
    func containerServersWithoutDNS() throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        var stdin = try NetavarkModeTests.capture("podman-netavark-setup.json", host: host, dns: false)
        stdin["dns_servers"] = ["192.0.2.53", "2001:db8::53"]
        let setup = try host.netavark(["setup", PrivateHost.path(container)], stdin)
        #expect(setup.status == 0, "\(setup.stdoutText)")
        let status = (setup.json as? [String: Any])?["podman"] as? [String: Any]
        #expect(status?["dns_server_ips"] as? [String] == ["192.0.2.53", "2001:db8::53"], "\(setup.stdoutText)")
        #expect(status?["dns_search_domains"] as? [String] == [])
        #expect(!FileManager.default.fileExists(atPath: host.scratch.file("netavark/aardvark-dns/podman")))
        #expect(try host.netavark(["teardown", PrivateHost.path(container)], stdin).status == 0)
    }
}
