import Foundation
import Testing
import TestSupport

/// Regression tests for defects found by adversarial use: each one failed before its fix.
@Suite("Reliability regressions", needsRoot)
struct ReliabilityTests {
    @Test("a container on two networks gets a usable default route through each (IPv4 and IPv6)", .privateHost("tworoutes"))
    func twoNetworksWithDefaultRoutes() throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        var a = networkConfig(host, subnets: ["10.99.0.0/24", "fd99:a::/64"], routes: ["0.0.0.0/0", "::/0"])
        a["name"] = "neta"
        var b = networkConfig(host, subnets: ["10.98.0.0/24", "fd99:b::/64"], routes: ["0.0.0.0/0", "::/0"])
        b["name"] = "netb"
        b["bridge"] = "pt1"
        _ = try host.attach(container, config: a)
        let second = try host.cni("ADD", container: container, ifName: "eth1", config: b)
        #expect(second.status == 0, "second network: \(second.stdoutText)")

        let v4 = try host.json(container, "ip -j -4 route show default")
        #expect(Set(v4.compactMap { $0["dev"] as? String }) == ["eth0", "eth1"], "\(v4)")
        // IPv6 merges both into one multipath default route, as the reference leaves it.
        let v6 = try host.exec(container, "ip -6 route show default").stdoutText
        #expect(v6.contains("eth0") && v6.contains("eth1"), "\(v6)")
        #expect(try host.pings(from: container, "10.99.0.1"))
        #expect(try host.pings(from: container, "10.98.0.1"))

        #expect(try host.cni("DEL", container: container, ifName: "eth1", config: b).status == 0)
        #expect(try host.cni("DEL", container: container, config: a).status == 0)
        #expect(try host.linkNames(container) == ["lo"])
        #expect(host.leases(network: "neta").isEmpty && host.leases(network: "netb").isEmpty)
    }

    @Test("an ADD whose result cannot be written fails and undoes everything, the bridge it made included", .privateHost("devfull"))
    func undeliverableResult() throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        let run = try host.shellADD(container, id: "full1", config: networkConfig(host), redirect: "> /dev/full; echo status=$?")
        #expect(run.stdoutText.contains("status=1"), "\(run.stdoutText)")
        #expect(run.stderr.isEmpty)
        #expect(try host.linkNames(host.name) == ["lo"], "veth and the bridge this ADD made are gone")
        #expect(try host.linkNames(container) == ["lo"])
        #expect(host.leases().isEmpty && host.records().isEmpty)
    }

    @Test("a record's temporary file left by a killed ADD is removed by DEL, and by GC for dead writers", .privateHost("tmprec"))
    func temporaryRecordLeftovers() throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        let config = networkConfig(host, version: "1.1.0")
        // A real kill -9 between writing the temporary record and renaming it (the third rename:
        // the firewall's member file and, for a network's first member, its network.json come first).
        let killed = try host.shellADD(container, id: "killed1", config: config,
                                       wrapper: "strace -f -o /dev/null -e trace=rename -e inject=rename:signal=KILL:when=3")
        #expect(killed.status != 0, "strace must be installed (scripts/setup): \(killed.stderrText)")
        #expect(host.records().contains { $0.hasPrefix("killed1@eth0.json.tmp.") }, "\(host.records())")
        let del = try host.cni("DEL", container: container, containerID: "killed1", config: config)
        #expect(del.status == 0, "\(del.stdoutText)")
        #expect(host.records().isEmpty, "\(host.records())")
        #expect(host.leases().isEmpty)
        #expect(try host.linkNames(container) == ["lo"])

        // GC: a temporary file of another attachment whose writer (a finished process) is dead.
        let dead = deadPID()
        try FileManager.default.createDirectory(atPath: host.stateDir + "/itnet", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: host.stateDir + "/itnet/other@eth0.json.tmp.\(dead)", contents: Data("{".utf8))
        var gc = config
        gc["cni.dev/valid-attachments"] = [[String: String]]()
        let collected = try host.cni("GC", container: nil, config: gc)
        #expect(collected.status == 0, "\(collected.stdoutText)")
        #expect(host.records().isEmpty, "\(host.records())")
    }

    @Test("temporaries of dead writers beside other members: each DEL still finds the others (first in, last out), the network's last DEL removes them all",
          .privateHost("tmpmany"))
    func temporariesBesideOtherMembers() throws {
        let host = try PrivateHost.scoped()
        let config = networkConfig(host, ["ipMasq": true])
        let containers = try (0..<3).map { try host.container("c\($0)") }
        for container in containers { _ = try host.attach(container, config: config) }
        // What ADDs killed between writing and renaming leave (their writers are dead).
        let dead = deadPID()
        let firewall = host.stateDir + "/.firewall/itnet"
        let leftovers = [firewall + "/member.gone@eth0.json.tmp.\(dead)", host.stateDir + "/itnet/gone@eth0.json.tmp.\(dead)"]
        for path in leftovers { FileManager.default.createFile(atPath: path, contents: Data("{".utf8)) }

        for (index, container) in containers.enumerated() {
            #expect(try host.cni("DEL", container: container, config: config).status == 0)
            let last = index == containers.count - 1
            // Until the last DEL another member is found and the membership stays; then it goes whole.
            let members = ((try? FileManager.default.contentsOfDirectory(atPath: firewall)) ?? []).filter { $0.hasPrefix("member.") && !$0.contains(".tmp.") }
            #expect(members.count == containers.count - 1 - index, "\(members)")
            #expect(host.records().filter { $0.hasSuffix(".json") }.count == containers.count - 1 - index)
            if last {
                #expect(!FileManager.default.fileExists(atPath: firewall), "the membership directory goes with the last member")
                #expect(leftovers.allSatisfy { !FileManager.default.fileExists(atPath: $0) }, "\(host.records())")
            }
        }
        #expect(host.leases().isEmpty)
    }

    @Test("container ids of any length CNI allows work end to end", arguments: [234, 5000, 120_000])
    func longContainerIDs(_ length: Int) throws {
        let host = try PrivateHost("longid")
        defer { host.cleanup() }
        let container = try host.container("c")
        let id = "a" + String(repeating: "0123456789abcdef", count: length / 16 + 1).prefix(length - 1)
        let config = networkConfig(host, version: "1.1.0")
        let add = try host.cni("ADD", container: container, containerID: id, config: config)
        #expect(add.status == 0, "\(add.stdoutText.prefix(400))")
        #expect(host.leases().count == 1 && host.records().count == 1)
        let check = try host.cni("CHECK", container: container, containerID: id, config: config.merging(["prevResult": add.json as Any]) { $1 })
        #expect(check.status == 0, "\(check.stdoutText.prefix(400))")
        let del = try host.cni("DEL", container: container, containerID: id, config: config)
        #expect(del.status == 0, "\(del.stdoutText.prefix(400))")
        #expect(host.leases().isEmpty && host.records().isEmpty)
        #expect(try host.linkNames(container) == ["lo"])
    }

    @Test("IPv6 works in a container whose namespace disables IPv6 by default", .privateHost("v6off"))
    func ipv6DisabledByDefault() throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        try host.exec(container, "sysctl -qw net.ipv6.conf.default.disable_ipv6=1")
        let config = networkConfig(host, subnets: ["10.99.0.0/24", "fd99::/64"], routes: ["0.0.0.0/0", "::/0"])
        let add = try host.cni("ADD", container: container, config: config)
        #expect(add.status == 0, "\(add.stdoutText)")
        #expect(try host.exec(container, "ping -6 -c 1 -W 2 fd99::1 >/dev/null 2>&1").status == 0)
        #expect(try host.exec(container, "sysctl -n net.ipv6.conf.default.disable_ipv6").stdoutText.hasPrefix("1"),
                "only the interface pontoon made changes")
    }

    @Test("a hung holder of the lease store lock makes ADD answer 11 naming the lock, leaving nothing", .privateHost("lock"))
    func lockTimeout() throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        let store = host.dataDir + "/itnet"
        try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: true)
        let holder = try TestRun.start("/usr/bin/flock", ["--no-fork", store + "/lock", "sleep", "60"])
        defer { holder.terminate(); _ = holder.finish() }
        // Wait until the holder has the lock.
        for _ in 0..<100 where try TestRun.run("/usr/bin/flock", ["-n", store + "/lock", "true"]).status == 0 {
            usleep(20_000)
        }
        let add = try host.cni("ADD", container: container, environment: ["PONTOON_LOCK_TIMEOUT": "0.3"], config: networkConfig(host))
        #expect(add.status == 1)
        #expect(add.errorCode == 11, "\(add.stdoutText)")
        #expect(add.errorMessage.contains(store + "/lock"), "\(add.errorMessage)")
        #expect(try host.linkNames(container) == ["lo"])
        #expect(host.leases().isEmpty && host.records().isEmpty)
    }

    @Test("a resolvConf that is a FIFO is refused (7) at once instead of hanging", .privateHost("fifo"))
    func fifoResolvConf() throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        let fifo = host.scratch.file("resolv.fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        var config = networkConfig(host)
        var ipam = config["ipam"] as! [String: Any]
        ipam["resolvConf"] = fifo
        config["ipam"] = ipam
        let add = try host.cni("ADD", container: container, config: config)
        #expect(add.errorCode == 7, "\(add.stdoutText)")
        #expect(add.errorMessage == "invalid resolvConf \"\(fifo)\": not a regular file")
        #expect(try host.linkNames(container) == ["lo"])
        #expect(host.leases().isEmpty && host.records().isEmpty)
    }

    @Test("DEL naming the bridge as interface in the host's own namespace deletes nothing; ADD there is refused (4)", .privateHost("hostns"))
    func hostNamespaceAsContainer() throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        let config = networkConfig(host)
        _ = try host.attach(container, config: config)
        let hostNetns = PrivateHost.path(host.name)
        let del = try host.cni("DEL", container: nil, containerID: "intruder", ifName: "pt0", netns: hostNetns, config: config)
        #expect(del.status == 0, "\(del.stdoutText)")
        #expect(try host.linkNames(host.name).contains("pt0"), "the bridge survives")
        #expect(try host.pings(from: container, "10.99.0.1"))

        let linksBefore = try host.linkNames(host.name)
        let add = try host.cni("ADD", container: nil, containerID: "intruder", ifName: "eth9", netns: hostNetns, config: config)
        #expect(add.errorCode == 4, "\(add.stdoutText)")
        #expect(add.errorMessage.contains("is the host's own"), "\(add.errorMessage)")
        #expect(try host.linkNames(host.name) == linksBefore)
        #expect(host.leases().count == 1)
    }

    @Test("failing the return from the container namespace answers JSON, exits 1 and leaves nothing", .privateHost("setns"))
    func namespaceReturnFails() throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        let config = networkConfig(host)
        // Every setns after the first (the way back) fails: retrying cannot help.
        let failing = try host.shellADD(container, id: "setns1", config: config, wrapper: "strace -f -o /dev/null -e trace=setns -e inject=setns:error=EIO:when=2+",
                                        redirect: "; echo status=$?")
        #expect(failing.stdoutText.contains("status=1"), "\(failing.stdoutText) \(failing.stderrText)")
        #expect(failing.stdoutText.contains("cannot return to network namespace"), "\(failing.stdoutText)")
        #expect(try host.linkNames(container) == ["lo"])
        #expect(host.leases().isEmpty && host.records().isEmpty)
        // Failing it once only is absorbed by the retry: the ADD succeeds.
        let once = try host.shellADD(container, id: "setns1", config: config, wrapper: "strace -f -o /dev/null -e trace=setns -e inject=setns:error=EIO:when=2",
                                     redirect: "; echo status=$?")
        #expect(once.stdoutText.contains("status=0"), "\(once.stdoutText)")
        #expect(host.leases().count == 1)
    }
}

extension PrivateHost {
    /// An ADD through a shell inside the private host, for what `cni` cannot express: a wrapper
    /// command (strace) and a redirection of the plugin's stdout.
    func shellADD(_ container: String, id: String, config: [String: Any], wrapper: String = "", redirect: String = "") throws -> RunResult {
        let stdin = scratch.file("add-\(id).json")
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: stdin))
        let env = "CNI_COMMAND=ADD CNI_CONTAINERID=\(id) CNI_NETNS=\(Self.path(container)) CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni"
        return try exec(name, "env \(env) \(wrapper) \(Binaries.pontoon) < \(stdin) \(redirect)")
    }
}

/// The pid of a process that has exited (and so is not running any more).
private func deadPID() -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/true")
    try? process.run()
    process.waitUntilExit()
    return process.processIdentifier
}

@Suite("Reliability regressions: the firewall", needsRoot)
struct FirewallReliabilityTests {
    @Test("an ADD killed after its host ports were mapped but before its record: DEL without prevResult removes them", .firewallLab("killfw"))
    func killedBeforeRecord() throws {
        let lab = try Lab.scoped()
        let host = lab.host
        let container = try host.container("c")
        let config = lab.config(mappings: [mapping(8080, 80)])
        // renames #1 and #2 publish the firewall member file and the network's network.json, #3 the
        // attachment record: kill at #3.
        let killed = try host.shellADD(container, id: "killed1", config: config,
                                       wrapper: "strace -f -o /dev/null -e trace=rename -e inject=rename:signal=KILL:when=3")
        #expect(killed.status != 0)
        #expect(try lab.ruleset().contains("8080"), "the mapping was made before the kill")
        let del = try host.cni("DEL", container: container, containerID: "killed1", config: config)
        #expect(del.status == 0, "\(del.stdoutText)")
        #expect(!(try lab.ruleset().contains("8080")), "the host port is free again")
        let again = try host.cni("ADD", container: container, containerID: "again1", config: config)
        #expect(again.status == 0, "the port can be mapped anew: \(again.stdoutText)")
    }
}
