import Foundation
import Testing
import Netavark
@testable import PontoonCtl

@Suite("pontoonctl rootless environment")
struct RootlessEnvironmentTests {
    func user(_ environment: [String: String], uid: UInt32 = 1000) -> RootlessEnvironment {
        RootlessEnvironment(uid: uid, gid: uid, user: "alice", environment: environment, passwdHome: "/home/alice")
    }

    @Test("subordinate ranges: by name or uid, every matching line, malformed and empty ones skipped")
    func subordinateRanges() {
        let text = """
            # comment
            bob:100000:65536
            alice:165536:65536
            1000:300000:1000
            alice:400000:0
            alice:x:65536
            alice:4294967295:2
            alice:500000
            alicex:600000:10

            """
        #expect(SubordinateRange.parse(text, user: "alice", uid: 1000)
                == [SubordinateRange(start: 165_536, count: 65_536), SubordinateRange(start: 300_000, count: 1000)])
        #expect(SubordinateRange.parse(text, user: "", uid: 1000) == [SubordinateRange(start: 300_000, count: 1000)])
        #expect(SubordinateRange.parse(text, user: "carol", uid: 1001).isEmpty)
        #expect(SubordinateRange.parse("", user: "alice", uid: 1000).isEmpty)
    }

    @Test("defaults: state and namespaces in XDG_RUNTIME_DIR, networks in XDG_CONFIG_HOME, else ~/.config")
    func defaults() {
        let full = user(["XDG_RUNTIME_DIR": "/run/user/1000", "XDG_CONFIG_HOME": "/cfg", "HOME": "/h"])
        #expect(full.defaultStateDirectory == "/run/user/1000/pontoon")
        #expect(full.defaultNetnsDirectory == "/run/user/1000/netns")
        #expect(full.defaultConfigDirectory == "/cfg/pontoon/networks")
        #expect(user(["HOME": "/h"]).defaultConfigDirectory == "/h/.config/pontoon/networks")
        // Relative values are not XDG directories; the password database's home stands in for HOME.
        #expect(user(["XDG_CONFIG_HOME": "cfg", "HOME": "h"]).defaultConfigDirectory == "/home/alice/.config/pontoon/networks")
    }

    @Test("XDG_RUNTIME_DIR problems name the problem and the fix", arguments: [
        ("", nil, false, "XDG_RUNTIME_DIR is not set"),
        ("run/user/1000", nil, false, "XDG_RUNTIME_DIR \"run/user/1000\" is not an absolute path"),
        ("/run/user/1000", nil, false, "XDG_RUNTIME_DIR /run/user/1000 does not exist"),
        ("/run/user/1000", 1000, false, "XDG_RUNTIME_DIR /run/user/1000 is not a directory"),
        ("/run/user/0", 0, true, "XDG_RUNTIME_DIR /run/user/0 belongs to uid 0, not to you (uid 1000)"),
    ] as [(String, UInt32?, Bool, String)])
    func runtimeDirectoryProblems(path: String, owner: UInt32?, isDirectory: Bool, message: String) throws {
        let problem = try #require(RootlessEnvironment.runtimeDirectoryProblem(path, owner: owner, isDirectory: isDirectory, uid: 1000))
        #expect(problem.description.hasPrefix(message))
        #expect(problem.description.hasSuffix("set XDG_RUNTIME_DIR to a directory of yours with mode 0700, as logind makes /run/user/1000"))
        #expect(problem.exitStatus == 125)
        #expect(RootlessEnvironment.runtimeDirectoryProblem("/run/user/1000", owner: 1000, isDirectory: true, uid: 1000) == nil)
    }

    @Test("tun: openable is fine, a missing device asks for the module, a closed one for chmod 0666")
    func tun() {
        #expect(RootlessEnvironment.tunProblem("/dev/net/tun", openError: nil, uid: 1000) == nil)
        #expect(RootlessEnvironment.tunProblem("/dev/net/tun", openError: ENOENT, uid: 1000)?.description
                == "/dev/net/tun is missing, and slirp4netns needs it: as root, modprobe tun")
        #expect(RootlessEnvironment.tunProblem("/dev/net/tun", openError: EACCES, uid: 1000)?.description
                == "/dev/net/tun cannot be opened by uid 1000 (Permission denied), and slirp4netns needs it: as root, chmod 0666 /dev/net/tun (Debian's default)")
    }

    /// A host made of files: a runtime directory of ours, subordinate id files, a PATH of fake tools.
    struct FakeHost {
        let root: String
        var tools: String { root + "/bin" }
        var subuid: String { root + "/subuid" }
        var subgid: String { root + "/subgid" }

        init(tools: [String] = ["newuidmap", "newgidmap", "slirp4netns", "catatonit"], subuid: String = "alice:100000:65536\n",
             subgid: String = "alice:100000:65536\n") throws {
            root = FileManager.default.temporaryDirectory.path + "/pontoonctl-rootless-\(UInt32.random(in: 0...UInt32.max))"
            try FileManager.default.createDirectory(atPath: root + "/bin", withIntermediateDirectories: true)
            for tool in tools {
                _ = FileManager.default.createFile(atPath: root + "/bin/" + tool, contents: Data("#!/bin/sh\n".utf8),
                                               attributes: [.posixPermissions: 0o755])
            }
            try subuid.write(toFile: root + "/subuid", atomically: true, encoding: .utf8)
            try subgid.write(toFile: root + "/subgid", atomically: true, encoding: .utf8)
        }

        func preflight(tun: String = "/dev/null") throws(CtlError) -> RootlessHost {
            let me = RootlessEnvironment(uid: geteuid(), gid: getegid(), user: "alice", environment: ["XDG_RUNTIME_DIR": root, "PATH": tools])
            return try me.preflight(subuidFile: subuid, subgidFile: subgid, tunDevice: tun)
        }

        func remove() { try? FileManager.default.removeItem(atPath: root) }
    }

    @Test("preflight finds what a rootless container needs")
    func preflightPasses() throws {
        let host = try FakeHost()
        defer { host.remove() }
        let found = try host.preflight()
        #expect(found.runtimeDirectory == host.root)
        #expect(found.uidRanges == [SubordinateRange(start: 100_000, count: 65_536)])
        #expect(found.gidRanges == found.uidRanges)
        #expect(found.slirp4netns == host.tools + "/slirp4netns" && found.catatonit == host.tools + "/catatonit")
        #expect(found.newuidmap == host.tools + "/newuidmap" && found.newgidmap == host.tools + "/newgidmap")
    }

    @Test("preflight stops at the first missing piece", arguments: [
        ("subuid", "no subordinate uid range for user alice"),
        ("subgid", "no subordinate gid range for user alice"),
        ("newuidmap", "newuidmap is not in PATH"),
        ("newgidmap", "newgidmap is not in PATH"),
        ("tun", "is missing, and slirp4netns needs it"),
        ("slirp4netns", "slirp4netns is not in PATH"),
        ("catatonit", "catatonit is not in PATH"),
    ])
    func preflightFails(missing: String, message: String) throws {
        let host = try FakeHost(tools: ["newuidmap", "newgidmap", "slirp4netns", "catatonit"].filter { $0 != missing },
                                subuid: missing == "subuid" ? "bob:1:2\n" : "alice:100000:65536\n",
                                subgid: missing == "subgid" ? "" : "alice:100000:65536\n")
        defer { host.remove() }
        #expect { try host.preflight(tun: missing == "tun" ? host.root + "/no-tun" : "/dev/null") } throws: {
            ($0 as? CtlError)?.description.contains(message) == true && ($0 as? CtlError)?.exitStatus == 125
        }
    }
}

@Suite("pontoonctl rootless network namespace paths")
struct RootlessNetNSPathTests {
    func netns(_ state: String) -> RootlessNetNS {
        RootlessNetNS(host: RootlessHost(runtimeDirectory: "/run/user/1000", uidRanges: [], gidRanges: [], newuidmap: "", newgidmap: "",
                                         slirp4netns: "", catatonit: ""),
                      stateDirectory: state)
    }

    @Test("one namespace per state directory, under $XDG_RUNTIME_DIR/netns, named the same every time")
    func path() {
        let first = netns("/run/user/1000/pontoon").path
        #expect(first.hasPrefix("/run/user/1000/netns/rootless-netns-"))
        #expect(first == netns("/run/user/1000/pontoon").path)
        #expect(first != netns("/run/user/1000/other").path)
    }

    @Test("the plugins' resolv.conf: slirp's DNS first, then the host's lines but its loopback servers and a second 10.0.2.3")
    func resolvConf() {
        let host = """
            # made by hand
            search example.org
            nameserver 127.0.0.53
            nameserver 192.0.2.53
            nameserver\t10.0.2.3
            nameserver ::1
            nameserver 2001:db8::53
            options edns0
            """
        #expect(RootlessNetNS.resolvConf(host: host) == """
            nameserver 10.0.2.3
            # made by hand
            search example.org
            nameserver 192.0.2.53
            nameserver 2001:db8::53
            options edns0

            """)
        #expect(RootlessNetNS.resolvConf(host: "") == "nameserver 10.0.2.3\n")
    }

    @Test("slirp4netns forwards of the rootless netns: to the same port there, one per port of a range, on the host address or 0.0.0.0")
    func forwards() throws {
        let forwards = try SlirpForwards.forwards([
            PortMapping(containerPort: 80, hostPort: 8080, protocol: "tcp"),
            PortMapping(hostIP: "127.0.0.1", containerPort: 53, hostPort: 5353, range: 2, protocol: "udp"),
        ])
        #expect(forwards == [
            .init(proto: "tcp", host_addr: "0.0.0.0", host_port: 8080, guest_port: 8080),
            .init(proto: "udp", host_addr: "127.0.0.1", host_port: 5353, guest_port: 5353),
            .init(proto: "udp", host_addr: "127.0.0.1", host_port: 5354, guest_port: 5354),
        ])
        #expect(throws: CtlError.self) { try SlirpForwards.forwards([PortMapping(hostIP: "::1", containerPort: 80, hostPort: 80, protocol: "tcp")]) }
        #expect(throws: CtlError.self) { try SlirpForwards.forwards([PortMapping(containerPort: 80, hostPort: 80, protocol: "sctp")]) }
    }
}

@Suite("pontoonctl rootless teardown host")
struct RootlessTeardownHostTests {
    @Test("rm and exec need only XDG_RUNTIME_DIR: no tool, range or tun device is looked for")
    func onlyRuntimeDirectory() throws {
        let runtime = FileManager.default.temporaryDirectory.appendingPathComponent("rt-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: runtime, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: runtime) }
        let environment = RootlessEnvironment(uid: geteuid(), gid: getegid(), user: "nobody-here",
                                              environment: ["XDG_RUNTIME_DIR": runtime, "PATH": "/nonexistent"])
        let host = try environment.teardownHost()
        #expect(host.runtimeDirectory == runtime && host.slirp4netns.isEmpty && host.uidRanges.isEmpty)
        #expect(throws: CtlError.self) { try environment.preflight() }
        let unset = RootlessEnvironment(uid: geteuid(), gid: getegid(), user: "nobody-here", environment: [:])
        #expect(throws: CtlError.self) { try unset.teardownHost() }
    }
}
