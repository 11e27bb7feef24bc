import Foundation
import Testing
import TestSupport

/// The command line a podman user types: podman's container flags with real traffic, `exec`
/// without `--`, `ps -a`/`-q`, templates in `--format`.
@Suite("pontoonctl command line: podman's flags and output", needsRoot, .serialized)
struct PontoonCtlCommandLineTests {
    @Test("run --ip --mac-address --network-alias: the kernel has them, inspect templates show them, the alias carries traffic")
    func containerFlags() throws {
        let ctl = try Ctl("ctlflags")
        defer { ctl.cleanup() }
        try ctl.ok(["network", "create", "front", "--internal", "--subnet", "10.89.40.0/24"])
        try ctl.ok(["network", "create", "back", "--internal", "--subnet", "10.89.41.0/24"])
        try ctl.ok(["run", "c", "--net", "front", "--ip", "10.89.40.50", "--mac-address", "92:d0:c6:0a:29:33",
                    "--network-alias", "store", "--network-alias", "shop"])
        try ctl.ok(["run", "d", "--network", "front,back"])

        // The kernel has what was asked for.
        let kernel = try ctl.kernelView("c")
        #expect(kernel.address == "10.89.40.50" && kernel.mac == "92:d0:c6:0a:29:33")

        // inspect's templates, as podman users write them.
        #expect(try ctl.ok(["inspect", "c", "--format", "{{.NetworkSettings.Networks.front.IPAddress}}"]).stdoutText == "10.89.40.50\n")
        let entry = try ctl.ok(["inspect", "c", "--format", #"{{index .NetworkSettings.Networks "front" | json}}"#]).stdoutText
        let object = try #require(try JSONSerialization.jsonObject(with: Data(entry.utf8)) as? [String: Any], "\(entry)")
        #expect(object["MacAddress"] as? String == "92:d0:c6:0a:29:33")
        #expect((object["Aliases"] as? [String]).map { $0.contains("store") && $0.contains("shop") } == true)
        #expect(try ctl.ok(["inspect", "c", "--format", #"{{.Name}}\t{{.State.Status}}"#]).stdoutText == "c\trunning\n")
        #expect(try ctl.ok(["inspect", "c", "--format", "{{.NetworkSettings.IPAddress}}"]).stdoutText == "\n", "not on the default network")
        let unsupported = try ctl.run(["inspect", "d", "--format", "{{len .NetworkSettings.Networks}}"])
        #expect(unsupported.status == 125 && unsupported.stderrText.contains("the function len is not supported"), "\(unsupported.stderrText)")

        // --network front,back gave d both; the alias resolves on front and carries traffic (exec without --).
        let dNetworks = try ctl.ok(["ps", "--format", "{{.Names}} {{.Networks}}"]).stdoutText
        #expect(dNetworks.contains("d front,back"), "\(dNetworks)")
        #expect(try ctl.resolve("d", "store", expecting: "10.89.40.50").contains("10.89.40.50"))
        #expect(try ctl.ok(["exec", "d", "ping", "-c", "2", "-i", "0.2", "-W", "2", "shop"]).status == 0)
        #expect(try ctl.ok(["exec", "d", "--", "ping", "-c", "1", "-W", "2", "10.89.40.50"]).status == 0)

        // podman's refusals, one line, exit 125, nothing made.
        for (arguments, message) in [(["run", "e", "--network", "front,back", "--ip", "10.89.40.51"], "--ip can only be set for a single network"),
                                     (["run", "e", "--network", "none", "--network-alias", "x"], "--network-alias can only be set when the network mode is bridge"),
                                     (["run", "e", "--network", "front", "--ip", "fd00::5"], "is not an IPv4 address")] {
            let refused = try ctl.run(arguments)
            #expect(refused.status == 125 && refused.stderrText.hasPrefix("Error: ") && refused.stderrText.contains(message),
                    "\(arguments): \(refused.status) \(refused.stderrText)")
            #expect(refused.stderrText.split(separator: "\n").count == 1, "\(refused.stderrText)")
        }
        #expect(try ctl.run(["inspect", "e"]).status != 0)

        // ps: running ones; -a all; -q IDs.
        try ctl.ok(["stop", "c"])
        let running = try #require(try ctl.ok(["ps", "--format", "json"]).json as? [[String: Any]])
        #expect(running.compactMap { ($0["Names"] as? [String])?.first } == ["d"])
        let all = try ctl.ok(["ps", "-a", "--format", "{{.Names}} {{.State}}"]).stdoutText
        #expect(all.contains("c exited") && all.contains("d running"), "\(all)")
        let ids = try ctl.ok(["ps", "-a", "-q"]).stdoutText.split(separator: "\n").map(String.init)
        let cID = try ctl.ok(["inspect", "c", "--format", "{{.Id}}"]).stdoutText.prefix(12)
        #expect(ids.count == 2 && ids.contains(String(cID)))
        try ctl.ok(["start", "c"])
        #expect(try ctl.kernelView("c").address == "10.89.40.50", "static address kept over stop/start")

        // network inspect and ls take json and templates.
        let file = try #require(try ctl.ok(["network", "inspect", "front", "--format", "json"]).json as? [String: Any])
        let bridge = try #require((file["network"] as? [String: Any])?["network_interface"] as? String)
        #expect(try ctl.ok(["network", "inspect", "front", "--format", "{{.NetworkInterface}} {{.backend.type}}"]).stdoutText == "\(bridge) netavark\n")
        #expect(try ctl.ok(["network", "inspect", "front", "--format", "{{.network_interface}}"]).stdoutText == bridge + "\n")
        let subnet = try ctl.ok(["network", "inspect", "front", "--format", #"{{index .Subnets 0 "subnet"}} {{json .Internal}}"#]).stdoutText
        #expect(subnet == "10.89.40.0/24 true\n")
        #expect(try ctl.ok(["network", "ls", "--format", "{{.Name}}"]).stdoutText.split(separator: "\n").sorted() == ["back", "front"])

        // events: podman's keys, a line each; templates read them.
        let events = try ctl.ok(["events", "--format", "{{.Type}} {{.Status}} {{.Name}}"]).stdoutText.split(separator: "\n")
        #expect(events.filter { $0.hasSuffix(" c") } == ["container create c", "container start c", "container stop c", "container start c"], "\(events)")
        let line = try #require(try ctl.ok(["events", "--format", "json"]).stdoutText.split(separator: "\n").first)
        let event = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(Set(event.keys) == ["Name", "Status", "Time", "Type"], "\(line)")

        try ctl.ok(["rm", "--force", "c", "d"])
        #expect(ctl.leftovers() == [])
    }
}

/// What the command line itself answers, before anything runs: no namespace, no root needed.
@Suite("pontoonctl command line: parser errors, help, version")
struct PontoonCtlParserTests {
    /// pontoonctl with its state and networks in a scratch directory (nothing there: no command gets as far as making anything).
    func ctl(_ arguments: [String]) throws -> RunResult {
        let scratch = try TemporaryDirectory("ctlparse")
        defer { scratch.remove() }
        return try TestRun.run(Binaries.directory + "/pontoonctl",
                               ["--state-dir", scratch.file("state"), "--config-dir", scratch.file("config"), "--netns-dir", scratch.file("netns")] + arguments,
                               environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"])
    }

    @Test("unknown flag, missing argument, bad value, unsupported template: one line on stderr, exit 125",
          arguments: [["--bogus", "ps"], ["run"], ["ps", "--bogus"], ["network", "create"], ["ps", "--format", "yaml"],
                      ["inspect", "x", "--format", "{{range .Networks}}{{end}}"], ["exec", "x"], ["nosuchcommand"], ["network", "create", "x", "--subnet"]])
    func parserErrors(arguments: [String]) throws {
        let result = try ctl(arguments)
        #expect(result.status == 125, "\(arguments): \(result.status) \(result.stderrText)")
        #expect(result.stderrText.hasPrefix("Error: ") && result.stderrText.split(separator: "\n").count == 1, "\(arguments): \(result.stderrText)")
        #expect(result.stdoutText.isEmpty)
    }

    @Test("exec: global options before the container's name are read as options; everything after it is the command")
    func execArguments() throws {
        for arguments in [["exec", "--aardvark-binary", "/nonexistent", "nm", "ls", "--state-dir", "x"], ["exec", "nm", "--", "ls"], ["exec", "nm", "ls", "-l"]] {
            let result = try ctl(arguments)
            #expect(result.status == 125 && result.stderrText == "Error: no container with name \"nm\" found: no such container\n", "\(arguments): \(result.stderrText)")
        }
    }

    @Test("--help prints help and exits 0; global options once, under the root; every option described; an example per command")
    func help() throws {
        let root = try ctl(["--help"])
        #expect(root.status == 0 && root.stdoutText.contains("--state-dir") && root.stdoutText.contains("Example:"))
        let commands = [["network", "create"], ["network", "ls"], ["network", "inspect"], ["network", "rm"], ["create"], ["run"], ["start"],
                        ["stop"], ["restart"], ["rm"], ["reload"], ["connect"], ["disconnect"], ["inspect"], ["stats"], ["ps"], ["exec"],
                        ["events"], ["pod", "create"], ["pod", "rm"], ["pod", "ls"], ["version"], ["network"], ["pod"]]
        for command in commands {
            let result = try ctl(command + ["--help"])
            let text = result.stdoutText
            #expect(result.status == 0, "\(command)")
            #expect(text.contains("Example:"), "\(command): no example")
            #expect(!text.contains("--state-dir"), "\(command): global options listed again")
            // An option or argument line with nothing after its name is one without help.
            // (A long name has its help on the next line, indented further.)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            let undescribed = lines.indices.filter { index in
                let line = lines[index], trimmed = line.drop { $0 == " " }
                guard line.hasPrefix("  "), !line.hasPrefix("    "), trimmed.hasPrefix("-") || trimmed.hasPrefix("<"), !trimmed.contains("  ") else { return false }
                let next = index + 1 < lines.count ? lines[index + 1] : ""
                let nextTrimmed = next.drop { $0 == " " }
                return !(next.hasPrefix("     ") && !nextTrimmed.hasPrefix("-") && !nextTrimmed.hasPrefix("<"))
            }.map { lines[$0] }
            #expect(undescribed.isEmpty, "\(command): \(undescribed)")
        }
        let version = try ctl(["--version"])
        #expect(version.status == 0 && version.stdoutText.hasPrefix("pontoonctl version "))
        let template = try ctl(["version", "--format", "{{.Client.APIVersion}}"])
        #expect(template.status == 0 && template.stdoutText == "4.3.1\n")
    }
}
