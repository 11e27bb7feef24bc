import Foundation
import Testing
import TestSupport

extension Ctl {
    /// A TCP connection from inside `container` (through pontoonctl exec) to `address` (a name is
    /// resolved there); what the netprobe server answered, "" when nothing.
    func probe(from container: String, _ address: String, port: Int) throws -> String {
        let script = try host.probeScript()
        return try run(["exec", container, "--", "timeout", "-s", "KILL", "10", "python3", script, "tcp", address, String(port), "0"])
            .stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// `container:` chains and pods whose namespace's network comes from each of the four backends.
@Suite("pontoonctl container: chains and pods with four backends", needsRoot, .serialized)
struct PontoonCtlBackendModeTests {
    /// podman's ErrNetworkModeInvalid for connect, disconnect and reload of a container not in bridge mode.
    static func invalidMode(_ mode: String) -> String { "\"\(mode)\" is not supported: invalid network mode" }

    /// connect and disconnect fail with the error's status (125); reload, which carries on past a
    /// container it cannot reload to the next one it was given, ends with 1.
    static func refusedStatus(_ arguments: [String]) -> Int32 { arguments.first == "reload" ? 1 : 125 }

    @Test("container:c -> container:b -> a: one namespace; a peer reaches it and the outside reaches a server in c through a's published port; connect, disconnect and reload of a link refused with podman's message, reload --all reloads the owner; rm --force of a takes the chain",
          arguments: CtlBackend.allCases)
    func chain(backend: CtlBackend) throws {
        try backend.requireInstalled()
        let ctl = try Ctl("bkchain")
        defer { ctl.cleanup() }
        let outside = try CtlOutside(ctl)
        try ctl.ok(["network", "create", "one"] + backend.networkArguments)
        try ctl.ok(["run", "a", "--network", "one", "-p", "18085:80"])
        try ctl.ok(["run", "peer", "--network", "one"])
        try ctl.ok(["run", "b", "--network", "container:a"])
        try ctl.ok(["run", "c", "--network", "container:b"])
        #expect(try ctl.netns("c") == ctl.netns("a") && ctl.netns("b") == ctl.netns("a"))
        let a = try ctl.inspect("a")
        #expect(NSDictionary(dictionary: try ctl.inspect("c")) == NSDictionary(dictionary: a), "\(backend)")
        let ip = try #require(try ctl.networkEntry("a", "one")["IPAddress"] as? String)
        let seen = try ctl.ok(["exec", "c", "--", "ip", "-j", "addr", "show", "eth0"]).json as? [[String: Any]]
        #expect((seen?.first?["addr_info"] as? [[String: Any]] ?? []).contains { $0["local"] as? String == ip }, "\(backend)")

        // A server started in c is a's: the peer reaches it at a's address, the outside through a's port.
        try ctl.serve(in: "c", port: 80)
        #expect(try ctl.probe(from: "peer", ip, port: 80).hasPrefix("tcp4 "), "\(backend): peer -> c's server")
        let answer = try ctl.probeFromOutside(outside, port: 18085)
        #expect(answer.hasPrefix("tcp4 \(CtlOutside.outsideIP) "), "\(backend): the outside -> a's port answered \"\(answer)\"")

        for (arguments, mode) in [(["connect", "c", "one"], "container:b"), (["disconnect", "c", "one"], "container:b"),
                                  (["reload", "c"], "container:b"), (["connect", "b", "one"], "container:a"), (["reload", "b"], "container:a")] {
            let refused = try ctl.run(arguments)
            #expect(refused.status == Self.refusedStatus(arguments) && refused.stderrText.contains(Self.invalidMode(mode)),
                    "\(backend) \(arguments): \(refused.status) \(refused.stderrText)")
        }
        #expect(try ctl.inside("a", "ip -br link show eth1").status != 0, "\(backend): a refused connect made an interface")
        // reload --all passes the links over and reloads the owner: a flushed firewall comes back, the
        // server in c (still running in the namespace) answers through a's port again, at the same address.
        try ctl.host.exec(ctl.host.name, "nft flush ruleset")
        #expect(try ctl.probeFromOutside(outside, port: 18085) == "", "\(backend): the flush did not remove the mapping")
        try ctl.ok(["reload", "--all"])
        #expect(try ctl.networkEntry("c", "one")["IPAddress"] as? String == ip)
        let reloaded = try ctl.probeFromOutside(outside, port: 18085)
        #expect(reloaded.hasPrefix("tcp4 \(CtlOutside.outsideIP) "), "\(backend): after reload the port answered \"\(reloaded)\"")

        ctl.killInside(try ctl.netns("a"))
        let removed = try ctl.ok(["rm", "--force", "a"])
        #expect(removed.stderrText.contains("b") && removed.stderrText.contains("c"), "\(backend): \(removed.stderrText)")
        #expect(try ctl.run(["inspect", "b"]).status != 0 && ctl.run(["inspect", "c"]).status != 0)
        try ctl.ok(["rm", "--force", "peer"])
        #expect(ctl.leftovers() == ["veth uplink"], "\(backend)")
        let rules = try ctl.host.exec(ctl.host.name, "nft list ruleset").stdoutText
        #expect(!rules.contains("dport 18085"), "\(backend): the port's rules left:\n\(rules)")
    }

    @Test("a two-member pod: one namespace, a member's server reached at the pod's address and, where the backend serves names, by the pod's name; connect and reload of a member refused with podman's message",
          arguments: CtlBackend.allCases)
    func pod(backend: CtlBackend) throws {
        try backend.requireInstalled()
        let ctl = try Ctl("bkpod")
        defer { ctl.cleanup() }
        try ctl.ok(["network", "create", "one"] + backend.networkArguments)
        try ctl.ok(["network", "create", "two"] + backend.networkArguments)
        try ctl.ok(["pod", "create", "shop", "--network", "one"])
        try ctl.ok(["run", "m1", "--pod", "shop"])
        try ctl.ok(["run", "m2", "--pod", "shop"])
        try ctl.ok(["run", "client", "--network", "one"])
        let infra = try ctl.netns("shop-infra")
        #expect(try ctl.netns("m1") == infra && ctl.netns("m2") == infra, "\(backend)")
        let podIP = try #require(try ctl.networkEntry("m1", "one")["IPAddress"] as? String)

        // m2's server is the pod's: the client reaches it at the pod's address (and m1 at localhost).
        try ctl.serve(in: "m2", port: 80)
        #expect(try ctl.probe(from: "client", podIP, port: 80).hasPrefix("tcp4 "), "\(backend): client -> pod")
        #expect(try ctl.probe(from: "m1", "127.0.0.1", port: 80).hasPrefix("tcp4 127.0.0.1 "), "\(backend): m1 -> m2 over lo")
        if backend.servesDNS {
            let resolved = try ctl.resolve("client", "shop", expecting: podIP)
            #expect(resolved.contains(podIP), "\(backend): client resolving the pod's name: \(resolved)")
            #expect(try ctl.probe(from: "client", "shop", port: 80).hasPrefix("tcp4 "), "\(backend): client -> shop by name")
        }

        for arguments in [["connect", "m1", "two"], ["reload", "m1"], ["disconnect", "m2", "one"]] {
            let refused = try ctl.run(arguments)
            #expect(refused.status == Self.refusedStatus(arguments) && refused.stderrText.contains(Self.invalidMode("container:shop-infra")),
                    "\(backend) \(arguments): \(refused.status) \(refused.stderrText)")
        }
        #expect(try ctl.inside("m1", "ip -br link show eth1").status != 0, "\(backend): a refused connect made an interface")

        ctl.killInside(infra)
        try ctl.ok(["pod", "rm", "--force", "shop"])
        try ctl.ok(["rm", "--force", "client"])
        #expect(ctl.leftovers() == [], "\(backend)")
    }
}
