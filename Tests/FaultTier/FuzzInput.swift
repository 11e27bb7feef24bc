import Foundation

/// One fuzzed invocation and what was done to it.
struct FuzzInput {
    var call: CNICall
    var tree: JSON?
    var mutations: [String]
    var allowed: AllowedPaths
}

/// Builds input number `index` from (seed, index) alone, so any failure can be replayed.
struct FuzzGenerator {
    let worker: Int
    let seed: UInt64
    let containers: [String]

    var network: String { "fz\(worker)" }
    var bridge: String { "fzbr\(worker)" }
    static let scratch = "/tmp/fz"

    func make(_ index: Int) -> FuzzInput {
        var random = SeededRandom(seed: seed ^ (UInt64(index) &* 0x2545_F491_4F6C_DD1D))
        let command = random.pick(["ADD", "ADD", "ADD", "ADD", "ADD", "ADD", "ADD", "DEL", "CHECK", "GC", "STATUS", "VERSION"])
        var tree = baseConfig(&random, command: command)
        var call = CNICall(command: command, containerID: "fz\(worker)-\(index)", netns: "/run/netns/" + random.pick(containers),
                           ifName: random.pick(["eth0", "eth0", "eth1", "net1"]), config: [])
        if random.chance(0.2) { call["CNI_ARGS"] = Array(random.pick(["IgnoreUnknown=1", "IgnoreUnknown=1;K8S_POD_NAME=p", "IP=10.\(100 + worker).3.7"]).utf8) }
        var mutations: [String] = []
        // A few inputs stay valid so the success path (ADD then DEL) is fuzzed around too.
        let count = random.chance(0.05) ? 0 : 1 + (random.chance(0.4) ? 1 : 0) + (random.chance(0.2) ? 1 : 0)
        var textual: (([UInt8]) -> [UInt8])?
        for _ in 0..<count {
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<14: mutations.append(dropKey(&tree, &random))
            case 14..<28: mutations.append(retype(&tree, &random))
            case 28..<36: mutations.append(hugeNumber(&tree, &random))
            case 36..<46: mutations.append(unicode(&tree, &random))
            case 46..<52: mutations.append(invalidUTF8(&tree, &random))
            case 52..<57: mutations.append(deepNesting(&tree, &random))
            case 57..<62:
                mutations.append(addKey(&tree, &random, keys: ["vlan", "vlanTrunk", "macspoofchk", "disableContainerInterface", "unknownKey", "ipam", "plugins",
                                                               "", "ü", "runtimeConfig", "cni.dev/valid-attachments"],
                                        values: Self.retypes + [.number("4095"), .number("4096"), .array([.object([("minID", .number("1")), ("maxID", .number("4094"))])])]))
            case 62..<72: mutations.append(pathValue(&tree, &random, fifo: index % 997 == 500))
            case 72..<92: mutations.append(mutateEnvironment(&call, &random, index: index))
            default:
                let (name, transform) = textMutation(&random)
                mutations.append(name)
                textual = transform
            }
        }
        var stdin = tree.bytes
        if let textual { stdin = textual(stdin) }
        if index % 5000 == 1234 {
            let (name, big) = tenMegabytes(tree, variant: index / 5000)
            mutations.append(name)
            stdin = big
        }
        call.stdin = stdin
        var allowed = allowedPaths(tree, call)
        if textual != nil {
            // Bytes changed after serialising may rename a key or a path: what the bytes now say is allowed too.
            let reparsed = (try? JSONSerialization.jsonObject(with: Data(stdin))).map(JSON.init(foundation:))
            let extra = allowedPaths(reparsed ?? .object([]), call)
            allowed.directories += extra.directories
            allowed.files += extra.files
        }
        return FuzzInput(call: call, tree: textual == nil ? tree : nil, mutations: mutations, allowed: allowed)
    }

    // MARK: the valid starting point

    private func baseConfig(_ random: inout SeededRandom, command: String) -> JSON {
        let version = random.pick(["1.1.0", "1.1.0", "1.0.0", "1.0.0", "0.4.0", "0.3.1", "0.3.0", "0.2.0"])
        var ranges: [JSON] = [.array([.object([("subnet", .string("10.\(100 + worker).0.0/16"))])])]
        if random.chance(0.3) { ranges.append(.array([.object([("subnet", .string("fd00:\(worker + 1)::/64"))])])) }
        var ipam: [(String, JSON)] = [("type", .string("host-local")), ("dataDir", .string(Self.scratch + "/data")),
                                      ("ranges", .array(ranges)), ("routes", .array([.object([("dst", .string("0.0.0.0/0"))])]))]
        if random.chance(0.2) { ipam.append(("resolvConf", .string(Self.scratch + "/other/resolv.conf"))) }
        var members: [(String, JSON)] = [("cniVersion", .string(version)), ("name", .string(network)), ("type", .string("pontoon")),
                                         ("bridge", .string(bridge)), ("isGateway", .bool(random.chance(0.8))),
                                         ("stateDir", .string(Self.scratch + "/state")), ("ipam", .object(ipam))]
        for (key, value) in [("isDefaultGateway", JSON.bool(random.chance(0.5))), ("ipMasq", .bool(false)), ("mtu", .number(random.pick(["1400", "1500", "9000"]))),
                             ("hairpinMode", .bool(random.chance(0.5))), ("promiscMode", .bool(random.chance(0.5))), ("forceAddress", .bool(false)),
                             ("enabledad", .bool(random.chance(0.5))), ("preserveDefaultVlan", .bool(true)), ("portIsolation", .bool(false)),
                             ("logFile", .string(Self.scratch + "/log/pontoon.log")), ("logLevel", .string("debug")),
                             ("dns", .object([("nameservers", .array([.string("10.0.0.53")])), ("search", .array([.string("example.test")]))])),
                             ("capabilities", .object([("ips", .bool(true)), ("mac", .bool(true))])),
                             ("runtimeConfig", .object([("mac", .string("02:42:ac:11:00:\(String(format: "%02x", worker + 2))"))])),
                             ("args", .object([("cni", .object([("ips", .array([.string("10.\(100 + worker).9.\(worker + 9)")]))]))]))]
            where random.chance(0.25) {
            members.append((key, value))
        }
        if command == "GC" {
            members.append(("cni.dev/valid-attachments", .array([.object([("containerID", .string("keep")), ("ifname", .string("eth0"))])])))
        }
        if command == "CHECK" || (command == "DEL" && random.chance(0.5)) {
            members.append(("prevResult", .object([
                ("cniVersion", .string(version)),
                ("interfaces", .array([.object([("name", .string(bridge))]), .object([("name", .string("veth1234abcd"))]),
                                        .object([("name", .string("eth0")), ("sandbox", .string("/run/netns/" + containers[0]))])])),
                ("ips", .array([.object([("address", .string("10.\(100 + worker).0.2/16")), ("interface", .number("2"))])])),
            ])))
        }
        return .object(members)
    }

    // MARK: mutations that know the CNI door's config and environment

    private func pathValue(_ tree: inout JSON, _ random: inout SeededRandom, fifo: Bool) -> String {
        let keys: [[String]] = [["stateDir"], ["logFile"], ["ipam", "dataDir"], ["ipam", "resolvConf"]]
        let key = random.pick(keys)
        var values = ["/tmp/fz/other/sub", "relative", "./rel/dir", "../up", "/tmp/fz/state/../../fz-escape", "", "/",
                      "/tmp/fz/other/plain-file", "/tmp/fz/other/plain-file/sub", "/dev/null", "/tmp/fz/other",
                      "/tmp/fz/other/" + String(repeating: "n", count: 300), "/tmp/fz/" + String(repeating: "d/", count: 2500),
                      "/tmp/fz/other/ünï", "/tmp/fz/other/with\u{0}nul", "/dev/zero", "/nonexistent/x", "/tmp/fz/other/resolv.conf"]
        if fifo { values = ["/tmp/fz/other/fifo"] }
        let value = random.pick(values)
        tree = setting(tree, key, .string(value))
        return "path \(key.joined(separator: "."))=\(value.debugDescription.prefix(60))"
    }

    private func setting(_ tree: JSON, _ key: [String], _ value: JSON) -> JSON {
        guard case .object(var members) = tree, let first = key.first else { return tree }
        if key.count == 1 {
            members.removeAll { $0.0 == first }
            members.append((first, value))
        } else if let index = members.lastIndex(where: { $0.0 == first }) {
            members[index].1 = setting(members[index].1, Array(key.dropFirst()), value)
        }
        return .object(members)
    }

    private func mutateEnvironment(_ call: inout CNICall, _ random: inout SeededRandom, index: Int) -> String {
        let long = { (count: Int) in Array(String(repeating: "a", count: count).utf8) }
        switch Int.random(in: 0..<9, using: &random) {
        case 0:
            let value: [UInt8] = random.pick(["", "-lead", ".", "..", "a/b", "a b", "a@b", "ü", "a\n"].map { Array($0.utf8) }
                                             + [long(234), long(300), long(4_090), long(5_000), [0x61, 0xff, 0x62]])
            call["CNI_CONTAINERID"] = value
            return "CNI_CONTAINERID=\(clip(String(decoding: value, as: UTF8.self), 40)) (\(value.count) bytes)"
        case 1:
            let value: [UInt8] = random.pick(["", "lo", "eth0", "abcdefghijklmno", "abcdefghijklmnop", ".", "..", "a/b", "a:b", "a b",
                                              "ü1", "üüüüüüü", bridge, "eth0\n", "eth%d"].map { Array($0.utf8) } + [[0x65, 0xff]])
            call["CNI_IFNAME"] = value
            return "CNI_IFNAME=\(String(decoding: value, as: UTF8.self).debugDescription)"
        case 2:
            var choices = ["", "/run/netns/missing", "/tmp/fz/other/plain-file", "/tmp/fz/other", "/dev/null", "relative/ns",
                           "/proc/self/ns/net", "/proc/1/ns/net", "/proc/self/ns/mnt", "/proc/self/ns/uts",
                           "/run/netns/../netns/" + containers[0], "/tmp/fz/" + String(repeating: "p", count: 5000)]
            if index % 997 == 3 { choices = ["/tmp/fz/other/fifo"] }
            let value = random.pick(choices)
            call["CNI_NETNS"] = Array(value.utf8)
            return "CNI_NETNS=\(value.debugDescription.prefix(60))"
        case 3:
            let value: [UInt8] = random.pick(["add", "ADD ", "", "NONSENSE", "del", "Version"].map { Array($0.utf8) } + [[0x41, 0xff]])
            call["CNI_COMMAND"] = value
            return "CNI_COMMAND=\(String(decoding: value, as: UTF8.self).debugDescription)"
        case 4:
            let value: [UInt8] = random.pick(["IP=10.100.0.300", "IP=garbage", "IgnoreUnknown=1;FOO=bar", "=", ";;;", "IP=10.100.0.5;MAC=zz",
                                              "MAC=02:00:00:00:00:01", "IP=::1", "K8S_POD_NAMESPACE=ü", "IP=10.\(100 + worker).0.1"].map { Array($0.utf8) }
                                             + [Array(("IgnoreUnknown=1;" + String(repeating: "K=V;", count: 2_500)).utf8), [0x49, 0x50, 0x3d, 0xff]])
            call["CNI_ARGS"] = value
            return "CNI_ARGS=\(clip(String(decoding: value, as: UTF8.self), 60))"
        case 5:
            let value = random.pick(["", "/nonexistent", "relative", "/usr/lib/cni:/tmp", ":::"])
            call["CNI_PATH"] = Array(value.utf8)
            return "CNI_PATH=\(value.debugDescription)"
        case 6:
            let key = random.pick(["CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"])
            call[key] = nil
            return "unset \(key)"
        case 7:
            let key = random.pick(["PONTOON_STATE_DIR", "PONTOON_LOG_FILE", "PONTOON_LOG_LEVEL"])
            let value = random.pick(["/tmp/fz/other/envdir", "relative", "../up", "", "/dev/null", "trace", "/tmp/fz/other/plain-file/x"])
            call[key] = Array(value.utf8)
            return "\(key)=\(value.debugDescription)"
        default:
            let key = random.pick(["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_ARGS"])
            call[key] = (call[key] ?? []) + random.pick([[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80]])
            return "invalid-utf8 env \(key)"
        }
    }

    // MARK: where the input may write

    private func allowedPaths(_ tree: JSON, _ call: CNICall) -> AllowedPaths {
        // Decoders differ on duplicate keys (first or last wins), so every duplicate's value is allowed;
        // an empty or missing value means the default.
        var allowed = AllowedPaths()
        let state = (tree.strings("stateDir") ?? []).filter { !$0.isEmpty }
        let envState = call["PONTOON_STATE_DIR"].map { String(decoding: $0, as: UTF8.self) }
        allowed.directories += state + [envState].compactMap { $0 }
        if state.isEmpty || tree.strings("stateDir")!.count < tree.count("stateDir") { allowed.directories.append("/run/pontoon") }
        let ipams = tree.members("ipam")
        let data = ipams.flatMap { $0.strings("dataDir") ?? [] }.filter { !$0.isEmpty }
        allowed.directories += data
        if data.isEmpty || ipams.contains(where: { ($0.strings("dataDir") ?? [""]).contains("") || $0.strings("dataDir")!.count < $0.count("dataDir") }) {
            allowed.directories.append("/var/lib/cni/networks")
        }
        allowed.files += (tree.strings("logFile") ?? []) + [call["PONTOON_LOG_FILE"].map { String(decoding: $0, as: UTF8.self) }].compactMap { $0 }
        // Only absolute paths name a place; a relative one resolves into the working directory, which is never allowed.
        allowed.directories = allowed.directories.filter { $0.hasPrefix("/") }
        allowed.files = allowed.files.filter { $0.hasPrefix("/") }
        return allowed
    }
}
