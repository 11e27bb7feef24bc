import NetavarkDoor
import Testing

@Suite("netavark command line")
struct CommandLineTests {
    @Test("podman's own argv parses: global options before the verb")
    func podmanArgv() throws {
        let line = try NetavarkCommandLine(parsing: ["--config", "/run/containers/networks", "--rootless=false",
                                                     "--aardvark-binary=/usr/lib/podman/aardvark-dns", "setup", "/run/netns/netns-1"])
        #expect(line.configDirectory == "/run/containers/networks")
        #expect(line.rootless == false)
        #expect(line.aardvarkBinary == "/usr/lib/podman/aardvark-dns")
        #expect(line.verb == .setup(netns: "/run/netns/netns-1"))
    }

    @Test("defaults, --file, teardown, update and version")
    func verbs() throws {
        let plain = try NetavarkCommandLine(parsing: ["teardown", "/proc/42/ns/net"])
        #expect(plain.configDirectory == NetavarkCommandLine.defaultConfigDirectory)
        #expect(plain.verb == .teardown(netns: "/proc/42/ns/net"))
        #expect(try NetavarkCommandLine(parsing: ["--file", "/tmp/o.json", "setup", "/x"]).inputFile == "/tmp/o.json")
        #expect(try NetavarkCommandLine(parsing: ["update", "net1", "--network-dns-servers", "8.8.8.8,1.1.1.1"]).verb
                == .update(network: "net1", dnsServers: ["8.8.8.8", "1.1.1.1"]))
        #expect(try NetavarkCommandLine(parsing: ["version"]).verb == .version)
    }

    @Test("bad command lines are refused with a reason", arguments: [
        ([], "no command given: expected setup, teardown, update or version"),
        (["setup"], "setup needs the container's network namespace path"),
        (["--config"], "--config needs a value"),
        (["--rootless", "maybe", "version"], "--rootless takes true or false, not \"maybe\""),
        (["--bogus", "setup", "/x"], "unknown option --bogus"),
        (["dance"], "unknown command \"dance\": expected setup, teardown, update or version"),
        (["setup", "/x", "extra"], "unexpected argument extra"),
        (["update", "n"], "update needs --network-dns-servers"),
    ])
    func refused(_ input: ([String], String)) {
        let error = #expect(throws: NetavarkCommandLine.UsageError.self) { try NetavarkCommandLine(parsing: input.0) }
        #expect(error?.description == input.1)
    }
}
