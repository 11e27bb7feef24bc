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
        #expect(try NetavarkState.renewRootless(config.path, aardvarkBinary: "/nonexistent", identity: "cookie:7", create: true) == false)
        #expect(try String(contentsOfFile: config.file("pontoon-netns/netns"), encoding: .utf8) == "cookie:7")
        #expect(try NetavarkState.renewRootless(config.path, aardvarkBinary: "/nonexistent", identity: "cookie:7", create: true) == false)
        #expect(left(config) == (before + ["pontoon-netns/lock", "pontoon-netns/netns"]).sorted())
    }

    @Test("another namespace: records, claims, membership, leases and DNS entries of the old one go; podman's ipam.db stays")
    func replaced() throws {
        let config = try staleConfig()
        defer { config.remove() }
        try NetavarkState.renewRootless(config.path, aardvarkBinary: "/nonexistent", identity: "cookie:7", create: true)
        #expect(try NetavarkState.renewRootless(config.path, aardvarkBinary: "/nonexistent", identity: "cookie:8", create: false) == true)
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

    @Test("teardown and update never stamp a --config that has no stamp (setup does)")
    func noStampWithoutSetup() throws {
        let config = try staleConfig()
        defer { config.remove() }
        let before = left(config)
        #expect(try NetavarkState.renewRootless(config.path, aardvarkBinary: "/nonexistent", identity: "cookie:7", create: false) == false)
        #expect(left(config) == before)
        #expect(!FileManager.default.fileExists(atPath: config.file("pontoon-netns")))
    }

    /// `update` as podman sends it, through the whole door, on a `--config` stamped by another namespace.
    func update(_ config: TemporaryDirectory, rootless: Bool, network: String = "n1") -> PluginAnswer {
        NetavarkInvocation.answer(
            arguments: ["--config", config.path, "--rootless=\(rootless)", "update", network, "--network-dns-servers", "192.0.2.53"],
            environment: [:], readInput: { [] })
    }

    @Test("through the door: --rootless=true from another namespace discards; --rootless=false never does")
    func throughTheDoor() throws {
        for rootless in [true, false] {
            let config = try staleConfig()
            defer { config.remove() }
            try NetavarkState.renewRootless(config.path, aardvarkBinary: "/nonexistent", identity: "cookie:0", create: true)
            let before = left(config)
            let answer = update(config, rootless: rootless)
            #expect(answer.status == 0, "\(String(decoding: answer.output, as: UTF8.self))")
            let stamp = try String(contentsOfFile: config.file("pontoon-netns/netns"), encoding: .utf8)
            if rootless {
                #expect(stamp == (try NamespaceEpoch.currentIdentity()))
                #expect(!left(config).contains("pontoon/n1/c1@eth0.json"), "\(left(config))")
            } else {
                #expect(stamp == "cookie:0")
                #expect(left(config) == before)
            }
        }
    }

    @Test("a refused request changes nothing, even from another namespace")
    func refusedChangesNothing() throws {
        let config = try staleConfig()
        defer { config.remove() }
        try NetavarkState.renewRootless(config.path, aardvarkBinary: "/nonexistent", identity: "cookie:0", create: true)
        let before = left(config)
        let answer = update(config, rootless: true, network: "bad/name")
        #expect(answer.status == 1, "\(String(decoding: answer.output, as: UTF8.self))")
        #expect(left(config) == before)
        #expect(try String(contentsOfFile: config.file("pontoon-netns/netns"), encoding: .utf8) == "cookie:0")
    }
}

@Suite("netavark door: the rootless stamp goes with the last state")
struct RootlessEpochReleaseTests {
    @Test("release keeps the stamp while a record is left, and removes it once only locks remain")
    func release() throws {
        let config = try TemporaryDirectory("pontoon-epoch")
        defer { config.remove() }
        for file in ["pontoon/n1/c1@eth0.json", "pontoon/.bridges/n1/lock", "pontoon-ipam/n1/lock", "pontoon-ipam/n1/last_reserved_ip.0"] {
            try FileManager.default.createDirectory(atPath: (config.file(file) as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try "x".write(toFile: config.file(file), atomically: true, encoding: .utf8)
        }
        try NetavarkState.renewRootless(config.path, aardvarkBinary: "/nonexistent", identity: "cookie:7", create: true)
        try NetavarkState.releaseRootless(config.path)
        #expect(FileManager.default.fileExists(atPath: config.file("pontoon-netns/netns")), "a record is left: the stamp stays")
        try FileManager.default.removeItem(atPath: config.file("pontoon/n1/c1@eth0.json"))
        try NetavarkState.releaseRootless(config.path)
        #expect(!FileManager.default.fileExists(atPath: config.file("pontoon-netns/netns")), "only locks are left: the stamp goes")
        // Without a stamp, the next setup stamps again and discards nothing.
        #expect(try NetavarkState.renewRootless(config.path, aardvarkBinary: "/nonexistent", identity: "cookie:8", create: true) == false)
    }
}

extension RootlessEpochReleaseTests {
    @Test("a rootless setup the engine refuses (its namespace is gone) leaves no stamp, and no other file but locks")
    func failedSetup() throws {
        let config = try TemporaryDirectory("pontoon-epoch")
        defer { config.remove() }
        let data = try Data(contentsOf: URL(fileURLWithPath: Repository.testdata + "/podman/podman-netavark-setup.json"))
        let capture = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let stdin = Array(try JSONSerialization.data(withJSONObject: capture["stdin"]!))
        let answer = NetavarkInvocation.answer(
            arguments: ["--config", config.path, "--rootless=true", "setup", config.file("no-such-netns")],
            environment: [:], readInput: { stdin })
        #expect(answer.status == 1, "\(String(decoding: answer.output, as: UTF8.self))")
        let walker = FileManager.default.enumerator(atPath: config.path)
        var files: [String] = []
        while let entry = walker?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: config.file(entry), isDirectory: &isDirectory), !isDirectory.boolValue,
               !entry.hasSuffix("lock") { files.append(entry) }
        }
        #expect(files.isEmpty, "\(files)")
    }
}
