import Foundation
import Testing
import TestSupport

// Real podman 4.3.1 run rootless by a throwaway user in a private host with an outside namespace
// behind it, its netavark backend served by pontoon (`helper_binaries_dir`) — and the same flow
// with Debian's netavark 1.4.0, whose outcome pontoon's must equal.
//
// What rootless podman 4.3 does around the helper, whichever it is: the bridge, the container
// veths and aardvark-dns live in its rootless network namespace behind slirp4netns; a published
// port is rootlessport, a proxy in the host namespace whose child connects to the container from
// inside the container's own namespace — so the server sees the container's own address as its
// peer, never the outside client (podman #5138). pontoonctl keeps the client's address; podman
// itself does not, with either helper, and these tests say so.

@Suite("podman 4.3.1 rootless, netavark backend on pontoon and on netavark 1.4.0", needsRoot, .serialized)
struct PodmanRootlessTests {
    static let subnet = "10.89.50"
    static let hostPort = 8090

    @Test("""
        rootless podman with pontoon as netavark: network create, run -p reachable from outside and from \
        127.0.0.1, names resolve between two containers through aardvark-dns in the rootless netns; \
        rm leaves nothing of the network, reset nothing of the user
        """)
    func pontoon() throws {
        let outcome = try RootlessPodmanFlow.run(.pontoon)
        #expect(outcome == RootlessPodmanFlow.expected, "\(outcome)")
    }

    @Test("the same flow with Debian's netavark 1.4.0 has the same outcome as with pontoon")
    func parity() throws {
        let netavark = try RootlessPodmanFlow.run(.debian)
        let pontoon = try RootlessPodmanFlow.run(.pontoon)
        #expect(pontoon.comparable == netavark.comparable, "pontoon: \(pontoon)\nnetavark 1.4.0: \(netavark)")
        // Where netavark 1.4.0 leaves it to chance (its bridge MAC), pontoon must answer.
        let chance = { (o: RootlessPodmanOutcome) in "MAC \(o.bridgeMACAfterRestart), names \(o.nameAfterRestart), \(o.nameAfterReload)" }
        #expect(chance(pontoon) == "MAC kept, names web, web", "pontoon: \(chance(pontoon)); netavark 1.4.0: \(chance(netavark))")
    }

    /// The rootless netns dies without a teardown for anyone (every process of the user killed: pause
    /// process, slirp4netns, conmon, the containers), and `podman system migrate` resets podman, as
    /// its error message asks. A new container then publishes the same port and names resolve, with
    /// either helper. pontoon used to refuse the port ("already mapped to another container"): its
    /// state under `--config` outlived the namespace it described. netavark 1.4.0 keeps the dead
    /// container's DNS entry: aardvark-dns still answers for it, and keeps running (with the rootless
    /// netns) after the last container is removed; pontoon forgets it.
    @Test("the rootless netns killed without teardowns, then system migrate and rm: the same port and names work again",
          arguments: [PodmanHost.NetavarkHelper.pontoon, .debian])
    func namespaceKilled(helper: PodmanHost.NetavarkHelper) throws {
        let session = try RootlessSession()
        defer { session.finish() }
        let podman = try RootlessPodman(user: session.user, hostNamespace: session.host.name, helper: helper)
        defer { podman.cleanup() }
        let outside = try session.wireOutside()
        let network = "rk\(session.user.uid)", port = Self.hostPort
        try podman.podmanOK(["network", "create", "--subnet", "\(Self.subnet).0/24", network])
        let page = "curl -s -m 3 http://198.51.100.1:\(port)\(PodmanHost.peerPath)"
        func answers() -> String? { PodmanHost.peer(in: (try? session.host.exec(outside, page))?.stdoutText ?? "") }
        let first = try podman.run("a", network: network, options: ["-p", "\(port):80"], command: ["httpd", "-f", "-p", "80", "-h", "/www"])
        try #require(first.status == 0, "podman run a: \(first.stderrText)")
        let old = try #require(try podman.networkSettings("a", network: network)["IPAddress"] as? String)
        #expect(eventually(10) { answers() != nil }, "the port answers before the kill")

        try TestRun.run("/usr/bin/pkill", ["-KILL", "-U", String(session.user.uid)])
        #expect(eventually(10) { podman.processes().isEmpty }, "\(podman.processes())")
        // Reaped too, as by an init that reaps at once: netavark 1.4.0 would take a zombie aardvark-dns for a live one.
        #expect(eventually(10) { session.user.reaped() }, "the killed processes reaped")
        // Its own words after such a kill: "try resetting the pause process with podman system migrate".
        try podman.podman(["system", "migrate"])
        try podman.podmanOK(["rm", "--force", "--time", "0", "a"])

        let again = try podman.run("a2", network: network, options: ["-p", "\(port):80"], command: ["httpd", "-f", "-p", "80", "-h", "/www"])
        try #require(again.status == 0, "podman run -p \(port):80 after the kill (\(helper)): \(again.stderrText)")
        let b = try podman.run("b", network: network)
        try #require(b.status == 0, "podman run b: \(b.stderrText)")
        let a2 = try #require(try podman.networkSettings("a2", network: network)["IPAddress"] as? String)
        #expect(eventually(10) { answers() == a2 }, "the port answers again, rootlessport's peer being the container itself: \(answers() ?? "nothing")")
        let lookup = RootlessPodmanFlow.lookup(try podman.exec("b", "nslookup a2").stdoutText)
        #expect(lookup == a2, "a2 by name: \(lookup ?? "no answer")")
        let stale = RootlessPodmanFlow.lookup(try podman.exec("b", "nslookup a").stdoutText)
        if helper == .pontoon {
            #expect(stale == nil, "the dead container's name is forgotten: \(stale ?? "")")
        } else {
            #expect(stale == old, "netavark 1.4.0 still answers for the dead container (\(old)): \(stale ?? "no answer")")
        }

        try podman.podmanOK(["rm", "--force", "--time", "0", "a2", "b"])
        if helper == .pontoon {
            #expect(eventually(10) { podman.processesButPause().isEmpty }, "\(podman.processesButPause())")
        } else {
            // The dead container's entry keeps netavark 1.4.0's aardvark-dns (and so the rootless netns) alive.
            let left = eventually(10) { podman.processesButPause().count <= 1 } ? podman.processesButPause() : []
            #expect(left.count == 1 && left[0].hasPrefix("/usr/lib/podman/aardvark-dns "), "\(podman.processesButPause())")
        }
        // netavark 1.4.0 keeps the dead container's aardvark-dns entry (and the daemon, above).
        let state = podman.helperState()
        let expected = helper == .pontoon ? [] : ["aardvark-dns/aardvark.pid", "aardvark-dns/\(network)"]
        #expect(state == expected, "state left under --config (\(helper)): \(state)")
    }
}

/// What one run of the flow showed, with addresses named by whose they are, so two runs compare.
struct RootlessPodmanOutcome: Equatable, CustomStringConvertible {
    var web = "", cli = "", gateway = ""
    /// Whom the server in `web` saw for a request from the outside namespace to the published port.
    var peerFromOutside = ""
    /// … for a request to `127.0.0.1:PORT` in the private host.
    var peerFromLoopback = ""
    /// Whom `web` saw for `cli`'s request to `http://web/` (by name, over the bridge).
    var peerByName = ""
    /// What `nslookup web` in `cli` and `nslookup cli` in `web` answered.
    var cliResolvesWeb = "", webResolvesCli = ""
    /// The nameservers and search domains in `cli`'s resolv.conf, named.
    var resolvConf = ""
    /// What the outside's server saw for a connection from `web` (through slirp4netns).
    var outbound = ""
    /// After `podman restart web`, then after `podman network reload web` (teardown and setup
    /// again, rootless): whom the published port hands over, and what `web` resolves to in `cli`
    /// within 10 s.
    var afterRestart = "", nameAfterRestart = "", afterReload = "", nameAfterReload = ""
    /// Whether the bridge kept its MAC address through the restart. netavark 1.4.0 does not pin it:
    /// the kernel gives a bridge the lowest MAC of its ports, so a re-created veth may change it,
    /// and `cli`'s neighbour entry for the gateway then points nowhere until it expires — no DNS
    /// (nor anything through the gateway) for 11–42 s, measured here. pontoon pins the bridge's MAC
    /// once the first port joins. These three are compared apart (`comparable`), and required of pontoon.
    var bridgeMACAfterRestart = ""

    /// Everything but what netavark 1.4.0's unpinned bridge MAC makes a matter of chance.
    var comparable: RootlessPodmanOutcome {
        var copy = self
        copy.nameAfterRestart = ""
        copy.nameAfterReload = ""
        copy.bridgeMACAfterRestart = ""
        return copy
    }

    /// Links and nftables rules in the private host while the containers ran (the network lives in
    /// the rootless netns, never in the host's).
    var hostLinks = "", hostRules = ""
    /// After `podman rm -f` of both: whether the port still answers, the user's processes but the
    /// pause process, the files in the user's netns directory.
    var portAfterRemoval = "", processesAfterRemoval = "", netnsAfterRemoval = ""
    /// After `podman system reset`: the user's processes.
    var processesAfterReset = ""

    var description: String {
        Mirror(reflecting: self).children.map { "\($0.label ?? "?")=\($0.value)" }.joined(separator: "; ")
    }
}

enum RootlessPodmanFlow {
    static let subnet = PodmanRootlessTests.subnet, hostPort = PodmanRootlessTests.hostPort

    /// What podman 4.3.1 rootless shows with netavark 1.4.0 on this machine (measured here); pontoon's
    /// must be the same.
    static let expected = RootlessPodmanOutcome(
        web: "\(subnet).2", cli: "\(subnet).3", gateway: "\(subnet).1",
        peerFromOutside: "web", peerFromLoopback: "web", peerByName: "cli",
        cliResolvesWeb: "web", webResolvesCli: "cli", resolvConf: "search dns.podman; nameserver gateway",
        outbound: "tcp4 198.51.100.1", afterRestart: "port: web", nameAfterRestart: "web", afterReload: "port: web", nameAfterReload: "web", bridgeMACAfterRestart: "kept", hostLinks: "lo uplink", hostRules: "",
        portAfterRemoval: "closed", processesAfterRemoval: "", netnsAfterRemoval: "", processesAfterReset: "")

    /// The flow with a fresh user and private host; everything removed after, also on failure.
    static func run(_ helper: PodmanHost.NetavarkHelper, sourceLocation: SourceLocation = #_sourceLocation) throws -> RootlessPodmanOutcome {
        let session = try RootlessSession()
        defer { session.finish(sourceLocation: sourceLocation) }
        let podman = try RootlessPodman(user: session.user, hostNamespace: session.host.name, helper: helper)
        defer {
            podman.cleanup()
            #expect(!FileManager.default.fileExists(atPath: podman.shmLock), "podman's lock in /dev/shm", sourceLocation: sourceLocation)
        }
        return try flow(podman, session, sourceLocation: sourceLocation)
    }

    private static func flow(_ podman: RootlessPodman, _ session: RootlessSession,
                             sourceLocation: SourceLocation) throws -> RootlessPodmanOutcome {
        let host = session.host
        let outside = try session.wireOutside()
        let network = "rl\(session.user.uid)"
        try podman.podmanOK(["network", "create", "--subnet", "\(subnet).0/24", network])
        let web = try podman.run("web", network: network, options: ["-p", "\(hostPort):80"], command: ["httpd", "-f", "-p", "80", "-h", "/www"])
        try #require(web.status == 0, "podman run -p \(hostPort):80 (\(podman.helper)): \(web.stderrText)", sourceLocation: sourceLocation)
        let cli = try podman.run("cli", network: network)
        try #require(cli.status == 0, "podman run cli (\(podman.helper)): \(cli.stderrText)", sourceLocation: sourceLocation)

        let webSettings = try podman.networkSettings("web", network: network), cliSettings = try podman.networkSettings("cli", network: network)
        let webIP = webSettings["IPAddress"] as? String ?? "?", cliIP = cliSettings["IPAddress"] as? String ?? "?"
        let gateway = webSettings["Gateway"] as? String ?? "?"
        var outcome = RootlessPodmanOutcome(web: webIP, cli: cliIP, gateway: gateway)
        /// An address named by whose it is.
        func whose(_ address: String?) -> String {
            guard let address else { return "no answer" }
            let names = [webIP: "web", cliIP: "cli", gateway: "gateway", "198.51.100.2": "outside client", "127.0.0.1": "loopback"]
            return names[address] ?? address
        }

        // Who served it: pontoon leaves its attachment records under --config; netavark 1.4.0 has none.
        let records = RootlessPodman.files(under: podman.pontoonState).filter { $0.hasPrefix(network + "/") }
        #expect(records.count == (podman.helper == .pontoon ? 2 : 0), "pontoon records (\(podman.helper)): \(records)",
                sourceLocation: sourceLocation)

        let page = "http://198.51.100.1:\(hostPort)\(PodmanHost.peerPath)"
        var fromOutside = ""
        _ = eventually(10) {
            fromOutside = (try? host.exec(outside, "curl -s -m 3 \(page)"))?.stdoutText ?? ""
            return PodmanHost.peer(in: fromOutside) != nil
        }
        outcome.peerFromOutside = whose(PodmanHost.peer(in: fromOutside))
        let loopback = try host.exec(host.name, "curl -s -m 3 http://127.0.0.1:\(hostPort)\(PodmanHost.peerPath)").stdoutText
        outcome.peerFromLoopback = whose(PodmanHost.peer(in: loopback))
        let byName = try podman.exec("cli", "timeout 5 wget -q -O - http://web\(PodmanHost.peerPath)")
        outcome.peerByName = whose(PodmanHost.peer(in: byName.stdoutText))

        outcome.cliResolvesWeb = whose(lookup(try podman.exec("cli", "nslookup web").stdoutText))
        outcome.webResolvesCli = whose(lookup(try podman.exec("web", "nslookup cli").stdoutText))
        let resolv = try podman.exec("cli", "cat /etc/resolv.conf").stdoutText.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count >= 2, fields[0] == "nameserver" || fields[0] == "search" else { return nil }
            // Only the network's own server: the host's own (slirp's) may follow it.
            return fields[0] == "search" ? line.trimmingCharacters(in: .whitespaces)
                : (whose(fields[1]) == "gateway" ? "nameserver gateway" : nil)
        }
        outcome.resolvConf = resolv.joined(separator: "; ")
        let out = try podman.exec("web", "timeout 5 nc 198.51.100.2 8080 </dev/null").stdoutText
        outcome.outbound = out.split(separator: " ").prefix(2).joined(separator: " ")

        /// The published port and the name, again (each waited for: httpd starts a moment after
        /// podman returns). podman may give `web` a new address: named "web" all the same.
        func again() throws -> (port: String, name: String) {
            let now = try podman.networkSettings("web", network: network)["IPAddress"] as? String
            func named(_ address: String?) -> String { address != nil && address == now ? "web" : whose(address) }
            var answer: String?, resolved: String?
            _ = eventually(10) {
                answer = PodmanHost.peer(in: (try? host.exec(outside, "curl -s -m 3 \(page)"))?.stdoutText ?? "")
                return answer != nil
            }
            _ = eventually(10) {
                resolved = lookup((try? podman.exec("cli", "nslookup web"))?.stdoutText ?? "")
                return resolved != nil
            }
            return ("port: \(named(answer))", named(resolved))
        }
        let bridge = try #require((try podman.podmanOK(["network", "inspect", network]).json as? [[String: Any]])?.first?["network_interface"] as? String)
        /// The bridge's MAC, read inside the rootless netns (netlink: its /sys is the host's).
        func bridgeMAC() throws -> String {
            try podman.podman(["unshare", "--rootless-netns", "ip", "-br", "link", "show", bridge]).stdoutText
                .split(separator: " ", omittingEmptySubsequences: true).dropFirst(2).first.map(String.init) ?? "?"
        }
        let macBefore = try bridgeMAC()
        try podman.podmanOK(["restart", "--time", "0", "web"])
        (outcome.afterRestart, outcome.nameAfterRestart) = try again()
        let macAfter = try bridgeMAC()
        outcome.bridgeMACAfterRestart = macBefore == "?" ? "unreadable" : macAfter == macBefore ? "kept" : "changed"
        try podman.podmanOK(["network", "reload", "web"])
        (outcome.afterReload, outcome.nameAfterReload) = try again()

        outcome.hostLinks = try host.json(host.name, "ip -j link show").compactMap { $0["ifname"] as? String }.sorted().joined(separator: " ")
        outcome.hostRules = try host.exec(host.name, "nft list ruleset").stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)

        try podman.podmanOK(["rm", "--force", "--time", "0", "web", "cli"])
        let after = try host.exec(outside, "curl -s -m 3 \(page)")
        outcome.portAfterRemoval = after.stdoutText.isEmpty && after.status != 0 ? "closed" : "answers: \(after.stdoutText)"
        _ = eventually(10) { podman.processesButPause().isEmpty }
        outcome.processesAfterRemoval = podman.processesButPause().joined(separator: "; ")
        let netns = session.user.runtimeDirectory + "/netns"
        _ = eventually(5) { ((try? FileManager.default.contentsOfDirectory(atPath: netns)) ?? []).isEmpty }
        outcome.netnsAfterRemoval = ((try? FileManager.default.contentsOfDirectory(atPath: netns)) ?? []).sorted().joined(separator: " ")
        let state = podman.helperState()
        #expect(state.isEmpty, "state left under --config after rm (\(podman.helper)): \(state)", sourceLocation: sourceLocation)

        try podman.podmanOK(["network", "rm", network])
        try podman.podmanOK(["system", "reset", "--force"])
        _ = eventually(10) { podman.processes().isEmpty }
        outcome.processesAfterReset = podman.processes().joined(separator: "; ")
        return outcome
    }

    /// The address busybox nslookup gives for the name (the first `Address:` after `Name:`).
    static func lookup(_ answer: String) -> String? {
        let lines = answer.split(separator: "\n")
        guard let name = lines.firstIndex(where: { $0.hasPrefix("Name:") }) else { return nil }
        return lines[name...].first { $0.hasPrefix("Address:") }
            .map { $0.dropFirst("Address:".count).trimmingCharacters(in: .whitespaces) }
    }
}
