import Foundation
@testable import NetavarkDoor
import Pontoon
import Testing
import TestSupport

/// `--rootless=true`: the state under `--config` belongs to one network namespace (podman's rootless
/// netns), and a call from another one discards what the old one left (NamespaceEpoch).
@Suite("netavark door: rootless state follows the rootless network namespace")
struct RootlessEpochTests {
    /// A `--config` holding what a namespace that died without teardowns leaves: a record, a host-port
    /// claim, firewall membership, a lease, aardvark-dns entries with a pid file, and podman's own ipam.db.
    func staleConfig() throws -> TemporaryDirectory {
        let config = try TemporaryDirectory("pontoon-epoch")
        let files = [
            "pontoon/n1/c1@eth0.json", "pontoon/.hostports/ipv4-tcp-8080/any", "pontoon/.firewall/n1/member.c1@eth0.json",
            "pontoon/.firewall/n1/network.json", "pontoon-ipam/n1/10.89.0.2", "aardvark-dns/n1", "aardvark-dns/aardvark.pid", "ipam.db",
        ]
        for file in files {
            try FileManager.default.createDirectory(atPath: (config.file(file) as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            // A pid no process has: the stranded daemon is long gone.
            try (file.hasSuffix(".pid") ? "2147483646" : "x").write(toFile: config.file(file), atomically: true, encoding: .utf8)
        }
        return config
    }

    func left(_ config: TemporaryDirectory) -> [String] {
        let walker = FileManager.default.enumerator(atPath: config.path)
        var found: [String] = []
        while let entry = walker?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: config.file(entry), isDirectory: &isDirectory), !isDirectory.boolValue { found.append(entry) }
        }
        return found.sorted()
    }

    @Test("the first call stamps the namespace and keeps the state; the same namespace again changes nothing")
    func firstAndSame() throws {
        let config = try staleConfig()
        defer { config.remove() }
        let before = left(config)
        #expect(try NetavarkState.renewRootless(config.path, aardvarkBinary: "/nonexistent", identity: "cookie:7") == false)
        #expect(try String(contentsOfFile: config.file("pontoon-netns/netns"), encoding: .utf8) == "cookie:7")
        #expect(try NetavarkState.renewRootless(config.path, aardvarkBinary: "/nonexistent", identity: "cookie:7") == false)
        #expect(left(config) == (before + ["pontoon-netns/lock", "pontoon-netns/netns"]).sorted())
    }

    @Test("another namespace: records, claims, membership, leases and DNS entries of the old one go; podman's ipam.db stays")
    func replaced() throws {
        let config = try staleConfig()
        defer { config.remove() }
        try NetavarkState.renewRootless(config.path, aardvarkBinary: "/nonexistent", identity: "cookie:7")
        #expect(try NetavarkState.renewRootless(config.path, aardvarkBinary: "/nonexistent", identity: "cookie:8") == true)
        // The locks stay, as they always do.
        #expect(left(config) == ["ipam.db", "pontoon-dns/lock", "pontoon-netns/lock", "pontoon-netns/netns"])
        #expect(try String(contentsOfFile: config.file("pontoon-netns/netns"), encoding: .utf8) == "cookie:8")
    }

    @Test("this process's namespace has a cookie of the kernel's (never reused), stable across calls")
    func identity() throws {
        let identity = try NamespaceEpoch.currentIdentity()
        #expect(identity.hasPrefix("cookie:"), "\(identity)")
        #expect(try NamespaceEpoch.currentIdentity() == identity)
    }

    @Test("only --rootless=true stamps --config: root's state is never discarded", arguments: [true, false])
    func onlyRootless(rootless: Bool) throws {
        let config = try staleConfig()
        defer { config.remove() }
        let answer = NetavarkInvocation.answer(
            arguments: ["--config", config.path, "--rootless=\(rootless)", "update", "n1", "--network-dns-servers", "192.0.2.53"],
            environment: [:], readInput: { [] })
        #expect(answer.status == 0, "\(String(decoding: answer.output, as: UTF8.self))")
        let stamped = FileManager.default.fileExists(atPath: config.file("pontoon-netns/netns"))
        #expect(stamped == rootless)
    }
}
