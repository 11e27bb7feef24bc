import CNI
import CNIDoor
import NetAddress
import Testing

@Suite("CNI environment")
struct EnvironmentTests {
    let add = ["CNI_COMMAND": "ADD", "CNI_CONTAINERID": "abc", "CNI_NETNS": "/run/netns/x", "CNI_IFNAME": "eth0", "CNI_PATH": "/opt/cni/bin:/usr/lib/cni"]

    func code(_ env: [String: String]) -> Int? {
        do {
            _ = try CNIEnvironment(validating: env)
            return nil
        } catch {
            return error.code
        }
    }

    @Test("a complete ADD environment parses")
    func complete() throws {
        let env = try CNIEnvironment(validating: add)
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

    @Test("interface names", arguments: [("eth0", true), ("a", true), ("abcdefghijklmno", true), ("abcdefghijklmnop", false), (".", false), ("..", false), ("a/b", false), ("a:b", false), ("a\tb", false), ("eth%d", false), ("ethé0", true)])
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

    @Test("CNI_ARGS as containerd sends them: IgnoreUnknown and the K8S keys in any order (go-cni walks a map); a 64-hex id")
    func containerdArgs() throws {
        let id = String(repeating: "0123456789abcdef", count: 4)
        let pairs = ["IgnoreUnknown=1", "K8S_POD_NAMESPACE=kube-system", "K8S_POD_NAME=coredns-5d78c9869d-x7k2p",
                     "K8S_POD_INFRA_CONTAINER_ID=\(id)", "K8S_POD_UID=6f0a8a5e-3c1b-4d5e-9f2a-1b2c3d4e5f60"]
        for rotation in 0..<pairs.count {
            for order in [Array(pairs[rotation...] + pairs[..<rotation]), Array((pairs[rotation...] + pairs[..<rotation]).reversed())] {
                var env = add
                env["CNI_CONTAINERID"] = id
                env["CNI_ARGS"] = order.joined(separator: ";")
                let parsed = try CNIEnvironment(validating: env)
                #expect(parsed.args.ignoreUnknown && parsed.args.ips.isEmpty && parsed.args.mac == nil, "\(order)")
                #expect(parsed.containerID == id)
            }
        }
    }

    @Test("DEL reads nothing from CNI_ARGS, so nothing in it fails a DEL; ADD still refuses the same")
    func delToleratesArgs() {
        for args in ["IP=10.0.0.999", "MAC=zz", "FOO=bar", "junk", "=x", "IgnoreUnknown=maybe"] {
            var env = add
            env["CNI_ARGS"] = args
            #expect(code(env) == 4, "ADD with \(args)")
            env["CNI_COMMAND"] = "DEL"
            #expect(code(env) == nil, "DEL with \(args)")
        }
    }
}
