import Foundation
import Testing
import TestSupport

/// The user, pontoonctl copied where it can run it, and a private host for its netlink look-ups.
final class RootlessSession: @unchecked Sendable {
    let user: RootlessUser
    let host: PrivateHost
    let pontoonctl: String

    init(subordinateIDs: Bool = true) throws {
        host = try PrivateHost("rootless")
        do {
            user = try RootlessUser(subordinateIDs: subordinateIDs)
            pontoonctl = try user.install(Binaries.directory + "/pontoonctl")
        } catch {
            host.cleanup()
            throw error
        }
    }

    @discardableResult
    func run(_ arguments: [String], environment: [String: String?] = [:],
             binds: [(source: String, target: String)] = []) throws -> RunResult {
        try user.run(pontoonctl, arguments, environment: environment, netns: PrivateHost.path(host.name), binds: binds)
    }

    /// An outside namespace behind the private host (the host 198.51.100.1, the outside .2) serving
    /// TCP on 8080; returns its name.
    func wireOutside() throws -> String {
        let outside = try host.container("out")
        let wired = try host.exec(host.name, """
            ip link add uplink type veth peer name world netns \(outside) && ip addr add 198.51.100.1/24 dev uplink && \
            ip link set uplink up && ip netns exec \(outside) sh -c 'ip link set lo up && ip link set world up && \
            ip addr add 198.51.100.2/24 dev world'
            """)
        guard wired.status == 0 else { throw GoldenError("outside: \(wired.stderrText)") }
        try host.serve(in: outside, port: 8080)
        return outside
    }

    /// What the user's pontoonctl may have made in the places it writes to.
    func made() -> [String] {
        let fm = FileManager.default
        let runtime = ((try? fm.contentsOfDirectory(atPath: user.runtimeDirectory)) ?? []).map { user.runtimeDirectory + "/" + $0 }
        return runtime + [user.home + "/.config/pontoon"].filter { fm.fileExists(atPath: $0) }
    }

    /// Removes the user and the host, and checks the user left nothing behind.
    func finish(sourceLocation: SourceLocation = #_sourceLocation) {
        user.remove()
        host.cleanup()
        #expect(user.traces().isEmpty, "left by \(user.name): \(user.traces())", sourceLocation: sourceLocation)
    }
}

/// pontoonctl run by an unprivileged user (made by the test, removed after it) inside a private host:
/// its rootless defaults and the checks that stop a rootless `create` before anything is made.
@Suite("pontoonctl rootless", needsRoot, .serialized)
struct RootlessTests {
    /// A preflight failure: one line naming the problem, exit 125, nothing made.
    func expectRefused(_ session: RootlessSession, _ message: String, environment: [String: String?] = [:],
                       binds: [(source: String, target: String)] = [], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try session.run(["run", "web"], environment: environment, binds: binds)
        #expect(result.status == 125, "exit \(result.status): \(result.stderrText)", sourceLocation: sourceLocation)
        let lines = result.stderrText.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("Error: ") && lines[0].contains(message),
                "stderr: \(result.stderrText)", sourceLocation: sourceLocation)
        #expect(session.made().isEmpty, "made: \(session.made())", sourceLocation: sourceLocation)
    }

    @Test("a user without XDG_RUNTIME_DIR is told to set it")
    func runtimeDirectoryMissing() throws {
        let session = try RootlessSession()
        defer { session.finish() }
        try expectRefused(session, "XDG_RUNTIME_DIR is not set", environment: ["XDG_RUNTIME_DIR": nil])
    }

    @Test("an XDG_RUNTIME_DIR of another user's is refused, and nothing is written there")
    func runtimeDirectoryForeign() throws {
        let session = try RootlessSession()
        defer { session.finish() }
        let foreign = session.host.scratch.path
        let before = try FileManager.default.contentsOfDirectory(atPath: foreign)
        try expectRefused(session, "XDG_RUNTIME_DIR \(foreign) belongs to uid 0, not to you (uid \(session.user.uid))",
                          environment: ["XDG_RUNTIME_DIR": foreign])
        #expect(try FileManager.default.contentsOfDirectory(atPath: foreign) == before)
    }

    @Test("a user without a subordinate uid range is told how to add one")
    func noSubordinateRange() throws {
        let session = try RootlessSession(subordinateIDs: false)
        defer { session.finish() }
        try expectRefused(session, "no subordinate uid range for user \(session.user.name) (uid \(session.user.uid)) in /etc/subuid: "
                          + "as root, usermod --add-subuids")
    }

    @Test("a /dev/net/tun users cannot open is named with the chmod that fixes it")
    func tunClosed() throws {
        let session = try RootlessSession()
        defer { session.finish() }
        // A root-only file over the device in the command's own mount namespace: the host's device is never changed.
        let closed = session.host.scratch.file("tun")
        #expect(FileManager.default.createFile(atPath: closed, contents: nil, attributes: [.posixPermissions: 0o600]))
        try expectRefused(session, "/dev/net/tun cannot be opened by uid \(session.user.uid) (Permission denied), and slirp4netns "
                          + "needs it: as root, chmod 0666 /dev/net/tun", binds: [(closed, "/dev/net/tun")])
    }

    @Test("missing slirp4netns, newuidmap, newgidmap or catatonit names the package", arguments: [
        ("slirp4netns", "install Debian's slirp4netns package"),
        ("catatonit", "install Debian's catatonit package"),
        ("newuidmap", "install Debian's uidmap package"),
        ("newgidmap", "install Debian's uidmap package"),
    ])
    func toolMissing(tool: String, fix: String) throws {
        let session = try RootlessSession()
        defer { session.finish() }
        // A PATH holding every tool but the one hidden.
        let bin = session.host.scratch.file("bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        chmod(session.host.scratch.path, 0o755)
        for other in ["slirp4netns", "newuidmap", "newgidmap", "catatonit"] where other != tool {
            try FileManager.default.createSymbolicLink(atPath: bin + "/" + other, withDestinationPath: "/usr/bin/" + other)
        }
        try expectRefused(session, "\(tool) is not in PATH (\(bin)): \(fix)", environment: ["PATH": bin])
    }

    @Test("rootless create refuses sctp ports as not supported, and makes nothing")
    func notSupportedYet() throws {
        let session = try RootlessSession()
        defer { session.finish() }
        // No --network: slirp4netns, podman's rootless default, with its default port handler (rootlesskit's proxy).
        let result = try session.run(["run", "web", "-p", "8080:80/sctp"])
        #expect(result.status == 125 && result.stderrText.contains("port mapping 8080/sctp: port_handler=rootlesskit proxies only tcp and udp"),
                "exit \(result.status): \(result.stderrText)")
        let bridge = try session.run(["run", "web", "--network", "front", "-p", "8080:80/sctp"])   // the transparent proxy
        #expect(bridge.status == 125 && bridge.stderrText.contains("port mapping 8080/sctp: port_handler=transparent proxies only tcp and udp"),
                "exit \(bridge.status): \(bridge.stderrText)")
        #expect(session.made().isEmpty, "made: \(session.made())")
    }

    @Test("network create, ls and rm work rootless, in ~/.config/pontoon/networks with state under $XDG_RUNTIME_DIR/pontoon")
    func networks() throws {
        let session = try RootlessSession()
        defer { session.finish() }
        let create = try session.run(["network", "create", "front"])
        #expect(create.status == 0, "\(create.stderrText)")
        let file = session.user.home + "/.config/pontoon/networks/front.json"
        let attributes = try FileManager.default.attributesOfItem(atPath: file)
        #expect((attributes[.ownerAccountID] as? NSNumber)?.uint32Value == session.user.uid)
        #expect(FileManager.default.fileExists(atPath: session.user.runtimeDirectory + "/pontoon/locks"))
        let list = try session.run(["network", "ls"])
        #expect(list.status == 0 && list.stdoutText.contains("front"), "\(list.stdoutText) \(list.stderrText)")
        let remove = try session.run(["network", "rm", "front"])
        #expect(remove.status == 0, "\(remove.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: file))
        // The global options still override the rootless defaults.
        let elsewhere = session.user.home + "/elsewhere"
        #expect(try session.run(["--config-dir", elsewhere, "network", "create", "back"]).status == 0)
        #expect(FileManager.default.fileExists(atPath: elsewhere + "/back.json"))
    }

    @Test("teardown kills the user's processes, unmounts its runtime directory and leaves no trace")
    func teardownLeavesNothing() throws {
        let session = try RootlessSession()
        defer { session.finish() }
        _ = try session.user.start("/bin/sleep", ["600"])
        let mount = session.user.runtimeDirectory + "/held"
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        #expect(try TestRun.run("/usr/bin/mount", ["-t", "tmpfs", "none", mount]).status == 0)
        #expect(eventually { session.user.traces().contains { $0.hasPrefix("processes ") } })
        #expect(session.user.traces().contains("mount " + mount))
    }
}
