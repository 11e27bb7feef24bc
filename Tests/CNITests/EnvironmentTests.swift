import CNI
import NetAddress
import Testing

@Suite("CNI environment")
struct EnvironmentTests {
    let add = ["CNI_COMMAND": "ADD", "CNI_CONTAINERID": "abc", "CNI_NETNS": "/run/netns/x", "CNI_IFNAME": "eth0", "CNI_PATH": "/opt/cni/bin:/usr/lib/cni"]

    func code(_ env: [String: String]) -> Int? {
        do {
            _ = try CNIEnvironment(env)
            return nil
        } catch {
            return error.code
        }
    }

    @Test("a complete ADD environment parses")
    func complete() throws {
        let env = try CNIEnvironment(add)
        #expect(env.command == .add)
        #expect(env.path == ["/opt/cni/bin", "/usr/lib/cni"])
        #expect(env.ifName == "eth0")
    }

    @Test("DEL does not need CNI_NETNS; ADD and CHECK do")
    func netnsOptionalOnDel() {
        var env = add
        env["CNI_NETNS"] = nil
        env["CNI_COMMAND"] = "DEL"
        #expect(code(env) == nil)
        env["CNI_COMMAND"] = "CHECK"
        #expect(code(env) == 4)
        env["CNI_COMMAND"] = "ADD"
        #expect(code(env) == 4)
    }

    @Test("VERSION, STATUS and GC need nothing else")
    func minimalCommands() {
        for command in ["VERSION", "STATUS", "GC"] {
            #expect(code(["CNI_COMMAND": command]) == nil)
        }
    }

    @Test("container ids", arguments: [("abc", true), ("a1_b.c-d", true), ("8daeb537cd9c", true), ("-a", false), (".a", false), ("a/b", false), ("a b", false), ("é", false)])
    func containerIDs(_ id: String, _ valid: Bool) {
        var env = add
        env["CNI_CONTAINERID"] = id
        #expect((code(env) == nil) == valid)
    }

    @Test("interface names", arguments: [("eth0", true), ("a", true), ("abcdefghijklmno", true), ("abcdefghijklmnop", false), (".", false), ("..", false), ("a/b", false), ("a:b", false), ("a\tb", false), ("ethé0", true)])
    func interfaceNames(_ name: String, _ valid: Bool) {
        var env = add
        env["CNI_IFNAME"] = name
        #expect((code(env) == nil) == valid)
    }

    @Test("interface names count bytes, not characters")
    func byteLength() {
        var env = add
        env["CNI_IFNAME"] = "éééééééé" // 8 characters, 16 bytes
        #expect(code(env) == 4)
    }

    @Test("CNI_ARGS as podman sends them")
    func podmanArgs() throws {
        let args = try CNIArgs(parsing: "IgnoreUnknown=1;K8S_POD_NAME=thirsty_chandrasekhar;MAC=02:00:00:00:09:77;IP=10.88.9.77")
        #expect(args.ignoreUnknown)
        #expect(args.ips == [IPAddress("10.88.9.77")!])
        #expect(args.mac == MACAddress("02:00:00:00:09:77"))
    }

    @Test("CNI_ARGS: several addresses, with prefixes, and IgnoreUnknown spellings")
    func argsVariants() throws {
        let args = try CNIArgs(parsing: "IgnoreUnknown=true;IP=10.0.0.5/24,fd00::5;Other=x;")
        #expect(args.ips.map(\.description) == ["10.0.0.5", "fd00::5"])
        #expect(throws: CNIError.self) { try CNIArgs(parsing: "IgnoreUnknown=maybe") }
        #expect(throws: CNIError.self) { try CNIArgs(parsing: "=x") }
    }
}
