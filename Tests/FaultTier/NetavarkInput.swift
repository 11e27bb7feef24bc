import Foundation

/// One fuzzed netavark invocation and what was done to it.
struct NetavarkFuzzInput {
    var call: NetavarkCall
    var mutations: [String]
    var allowed: AllowedPaths
    /// The capture it started from.
    var origin: String?
}

/// What podman really sent netavark (`testdata/podman/podman-netavark-*.json`): every setup and
/// teardown stdin of the captures, the starting points of the netavark fuzz.
enum NetavarkCaptures {
    /// Workers run from a copy of the driver in the sandbox, where the checkout may be hidden: the
    /// parent hands them the captures in this variable, one `<label>\t<stdin JSON>` per line.
    static let variable = "PONTOON_NETAVARK_CAPTURES"

    static func load() -> [(String, JSON)] {
        if let given = ProcessInfo.processInfo.environment[variable] {
            return given.split(separator: "\n").compactMap { line in
                let parts = line.split(separator: "\t", maxSplits: 1)
                guard parts.count == 2, let value = try? JSONSerialization.jsonObject(with: Data(parts[1].utf8)) else { return nil }
                return (String(parts[0]), JSON(capture: value))
            }
        }
        return read()
    }

    /// The captures as the variable carries them.
    static func encoded() -> String {
        read().map { "\($0.0)\t\(String(decoding: $0.1.bytes, as: UTF8.self))" }.joined(separator: "\n")
    }

    private static func read() -> [(String, JSON)] {
        guard let directory = locate() else { return [] }
        var found: [(String, JSON)] = []
        for file in ["podman-netavark-setup.json", "podman-netavark-teardown.json", "podman-netavark-multi-dns.json"] {
            guard let data = FileManager.default.contents(atPath: directory + "/" + file),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { continue }
            if let stdin = object["stdin"] { found.append((file, JSON(capture: stdin))) }
            for (step, value) in object.sorted(by: { $0.key < $1.key }) {
                if let stdin = (value as? [String: Any])?["stdin"] { found.append(("\(file) \(step)", JSON(capture: stdin))) }
            }
        }
        return found
    }

    /// `testdata/podman` of the repository the driver was built in (it lives in `.build/<config>/`).
    private static func locate() -> String? {
        if let given = ProcessInfo.processInfo.environment["PONTOON_TESTDATA"] { return given + "/podman" }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = (executable as NSString).deletingLastPathComponent
        while directory.count > 1 {
            let candidate = directory + "/testdata/podman"
            if FileManager.default.fileExists(atPath: candidate + "/podman-netavark-setup.json") { return candidate }
            directory = (directory as NSString).deletingLastPathComponent
        }
        return nil
    }
}

extension JSON {
    /// A capture's value as a tree; booleans stay booleans (JSONSerialization hands them out as NSNumber).
    init(capture value: Any) {
        switch value {
        case let text as String: self = .string(text)
        case let array as [Any]: self = .array(array.map(JSON.init(capture:)))
        case let object as [String: Any]: self = .object(object.sorted { $0.key < $1.key }.map { ($0.key, JSON(capture: $0.value)) })
        case let number as NSNumber:
            if String(cString: number.objCType) == "c" { self = .bool(number.boolValue) } else { self = .number(number.stringValue) }
        default: self = .null
        }
    }

    /// The tree with the member at a path of object keys changed (`nil` from `change` removes it;
    /// a missing member is added). Duplicated keys: the last one is changed.
    func updating(_ keys: [String], _ change: (JSON?) -> JSON?) -> JSON {
        guard let key = keys.first, case .object(var members) = self else { return self }
        let index = members.lastIndex { $0.0 == key }
        let current = index.map { members[$0].1 }
        let replacement = keys.count == 1 ? change(current) : (current ?? .object([])).updating(Array(keys.dropFirst()), change)
        switch (index, replacement) {
        case (let i?, let value?): members[i].1 = value
        case (let i?, nil): members.remove(at: i)
        case (nil, let value?): members.append((key, value))
        case (nil, nil): break
        }
        return .object(members)
    }

    func setting(_ keys: [String], _ value: JSON?) -> JSON { updating(keys) { _ in value } }

    var keys: [String] { if case .object(let members) = self { members.map(\.0) } else { [] } }
}

/// Builds netavark input number `index` from (seed, index) alone, so any failure can be replayed.
struct NetavarkFuzzGenerator {
    let worker: Int
    let seed: UInt64
    let containers: [String]
    let captures: [(String, JSON)]

    static let scratch = "/tmp/nv"
    static let configDirectory = "/tmp/nv/config"
    static let defaultConfigDirectory = "/run/containers/networks"
    static let aardvark = "/usr/lib/podman/aardvark-dns"
    /// The bridges the captures name: kept between inputs (a network's bridge outlives its containers).
    static let captureBridges = ["podman0", "podman1", "podman2", "podman3"]

    /// The CNI fuzz's generic mutations (drop, retype, huge numbers, unicode, bad UTF-8, nesting, bytes).
    private var generic: FuzzGenerator { FuzzGenerator(worker: worker, seed: seed, containers: containers) }

    func make(_ index: Int) -> NetavarkFuzzInput {
        var random = SeededRandom(seed: seed ^ (UInt64(index) &* 0xD6E8_FEB8_6659_FD93))
        let (origin, capture) = random.pick(captures)
        var mutations: [String] = []
        var tree = servable(capture, &random, &mutations)
        let verb = random.chance(0.85) ? "setup" : "teardown"
        let dns = tree.member("network_info")?.keys.contains { name in
            if case .bool(true)? = tree.member("network_info")?.member(name)?.member("dns_enabled") { true } else { false }
        } ?? false
        let aardvark: String? = !dns || random.chance(0.7) ? Self.aardvark
            : random.pick([nil, "/nonexistent/aardvark-dns", Self.scratch + "/other/plain-file", "/bin/false", "relative-aardvark"])
        if dns { mutations.append("aardvark \(aardvark ?? "(default)")") }
        var call = NetavarkCall(configDirectory: Self.configDirectory, aardvark: aardvark, verb: verb,
                                netns: "/run/netns/" + random.pick(containers), stdin: [])

        // A few inputs stay as podman would send them, so the success path is fuzzed around too.
        let count = random.chance(0.07) ? 0 : 1 + (random.chance(0.4) ? 1 : 0) + (random.chance(0.15) ? 1 : 0)
        var textual: (([UInt8]) -> [UInt8])?
        let generic = self.generic
        for _ in 0..<count {
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<9: mutations.append(generic.dropKey(&tree, &random))
            case 9..<18: mutations.append(generic.retype(&tree, &random))
            case 18..<23: mutations.append(generic.hugeNumber(&tree, &random))
            case 23..<30: mutations.append(generic.unicode(&tree, &random))
            case 30..<35: mutations.append(generic.invalidUTF8(&tree, &random))
            case 35..<39: mutations.append(generic.deepNesting(&tree, &random))
            case 39..<64: mutations.append(field(&tree, &random))
            case 64..<80: mutations.append(commandLine(&call, &random, index: index))
            case 80..<88: mutations.append(addKey(&tree, &random))
            default:
                let (name, transform) = generic.textMutation(&random)
                mutations.append(name)
                textual = transform
            }
        }
        var stdin = tree.bytes
        if let textual { stdin = textual(stdin) }
        if index % 5000 == 1234 {
            let (name, big) = generic.tenMegabytes(tree, variant: index / 5000)
            mutations.append(name)
            stdin = big
        }
        if random.chance(0.1) && !call.arguments.contains(where: { String(decoding: $0, as: UTF8.self).hasPrefix("--file") }) {
            // podman's other way of passing the options: --file, stdin left empty.
            call.arguments.insert(contentsOf: [Array("--file".utf8), Array(NetavarkCall.inputFilePath.utf8)], at: 0)
            call.inputFile = stdin
            stdin = []
            mutations.append("--file")
        }
        call.stdin = stdin
        return NetavarkFuzzInput(call: call, mutations: mutations, allowed: allowed(call), origin: origin)
    }

    // MARK: the valid starting point

    /// The capture as this release can serve it, most of the time: internal networks without port
    /// mappings (the firewall is not there yet), DNS on or off, podman's static IPs or pontoon's IPAM,
    /// networks as podman 4/5's map or podman 6's array.
    private func servable(_ capture: JSON, _ random: inout SeededRandom, _ mutations: inout [String]) -> JSON {
        var tree = capture
        let names = tree.member("network_info")?.keys ?? []
        let keepPorts = random.chance(0.05), keepExternal = random.chance(0.07)
        if !keepPorts { tree = tree.setting(["port_mappings"], random.chance(0.5) ? .array([]) : nil) } else { mutations.append("port mappings kept") }
        if keepExternal { mutations.append("internal as captured") }
        let dns = random.chance(0.35)
        let staticIPs = random.chance(0.6)
        for name in names {
            if !keepExternal { tree = tree.setting(["network_info", name, "internal"], .bool(true)) }
            tree = tree.setting(["network_info", name, "dns_enabled"], .bool(dns))
            if !staticIPs { tree = tree.setting(["networks", name, "static_ips"], nil) }
        }
        mutations.append("dns \(dns ? "on" : "off"), \(staticIPs ? "podman's static IPs" : "pontoon's IPAM")")
        if random.chance(0.3) {
            // podman 6: an ordered array of {"name": …, …}.
            let members: [(String, JSON)] = { if case .object(let m)? = tree.member("networks") { m } else { [] } }()
            tree = tree.setting(["networks"], .array(members.map { name, value in
                if case .object(let fields) = value { return .object([("name", .string(name))] + fields) }
                return value
            }))
            mutations.append("networks as an array")
        }
        return tree
    }

    // MARK: mutations that know netavark's fields

    private func networkNames(_ tree: JSON) -> [String] { tree.member("network_info")?.keys ?? [] }

    private func field(_ tree: inout JSON, _ random: inout SeededRandom) -> String {
        let names = networkNames(tree)
        guard let network = names.isEmpty ? nil : random.pick(names) else { return "field (no network)" }
        let info = ["network_info", network]
        let perNetwork = tree.member("networks").map { if case .array = $0 { false } else { true } } ?? true
        /// Sets a per-network option wherever the networks are (map or array).
        func setPerNetwork(_ key: String, _ value: JSON?) {
            if perNetwork {
                tree = tree.setting(["networks", network, key], value)
            } else if case .array(var items)? = tree.member("networks") {
                for i in items.indices where items[i].member("name").map({ if case .string(network) = $0 { true } else { false } }) ?? false {
                    items[i] = items[i].setting([key], value)
                }
                tree = tree.setting(["networks"], .array(items))
            }
        }
        let long = { (n: Int) in String(repeating: "a", count: n) }
        switch Int.random(in: 0..<17, using: &random) {
        case 0:
            let value = random.pick(["", "a", "-x", "../../etc", "a/b", "ü", "a b", "a\nb", ".", long(64), long(234), long(300), long(5_000)])
            tree = tree.setting(["container_id"], .string(value))
            return "container_id=\(clip(value, 40)) (\(value.utf8.count) bytes)"
        case 1:
            let value = random.pick(["", "ü-ctr", "a b", "x\ny", long(300), "../name", "name,with,commas", "-"])
            tree = tree.setting(["container_name"], .string(value))
            return "container_name=\(clip(value, 40))"
        case 2:
            let value = random.pick(["", "lo", "eth0", "eth1", "abcdefghijklmno", "abcdefghijklmnop", "a/b", "a b", "ü1", ".", "..",
                                     "eth%d", "podman0", "net:1", "all", "default"])
            setPerNetwork("interface_name", .string(value))
            return "networks.\(network).interface_name=\(value.debugDescription)"
        case 3:
            // A network renamed: in both places, in `networks` only, or in `network_info` only.
            let value = random.pick(["", "..", ".", "a/b", "aardvark.pid", "lock", "pontoon", "ü-net", long(300), "-x", "net work", "podman"])
            let how = Int.random(in: 0..<3, using: &random)
            if how != 1 { tree = tree.updating(["network_info"]) { renamed($0, network, value) }
                          tree = tree.setting(["network_info", value, "name"], .string(value)) }
            if how != 2 {
                if perNetwork { tree = tree.updating(["networks"]) { renamed($0, network, value) } } else { setPerNetwork("name", .string(value)) }
            }
            return "network \(network) renamed to \(value.debugDescription) (\(["everywhere", "in networks only", "in network_info only"][how]))"
        case 4:
            let value = random.pick(["", "lo", "eth0", "abcdefghijklmnop", "a b", "ü", "podman1", "nv/br", "dummy0"])
            tree = tree.setting(info + ["network_interface"], value.isEmpty && random.chance(0.5) ? nil : .string(value))
            return "network_interface=\(value.debugDescription)"
        case 5:
            let subnet = random.pick(["10.88.0.0/33", "10.88.0.0/0", "10.88.0.0/32", "10.88.0.0/31", "::/0", "fd00::/127", "garbage",
                                      "10.88.0.1/16", "127.0.0.0/8", "224.0.0.0/4", "0.0.0.0/8", "fd00:92::/64", "10.89.0.0/24", ""])
            let gateway: JSON? = random.pick([nil, .string("10.88.0.1"), .string("10.88.0.0"), .string("10.88.255.255"), .string("fd00::1"),
                                              .string("1.2.3.4"), .string(""), .string("garbage")])
            var entry: [(String, JSON)] = [("subnet", .string(subnet))]
            if let gateway { entry.append(("gateway", gateway)) }
            if random.chance(0.3) {
                entry.append(("lease_range", .object([("start_ip", .string(random.pick(["10.88.0.200", "10.88.0.5", "10.99.0.1", "x"]))),
                                                       ("end_ip", .string(random.pick(["10.88.0.100", "10.88.0.250", "fd00::9", ""])))])))
            }
            let subnets: JSON = random.chance(0.15) ? .array([]) : .array([.object(entry)] + (random.chance(0.3) ? [.object(entry)] : []))
            tree = tree.setting(info + ["subnets"], subnets)
            return "subnets of \(network)=\(String(decoding: subnets.bytes, as: UTF8.self))"
        case 6:
            let values = random.pick([[""], ["10.88.0.1"], ["10.88.0.0"], ["10.88.255.255"], ["192.0.2.7"], ["fd00:92::2"], ["10.91.0.2", "10.91.0.2"],
                                      ["::ffff:10.88.0.5"], ["10.88.0.13/16"], ["10.91.0.1"], ["10.92.0.3", "fd00:92::3"], ["garbage"],
                                      (0..<100).map { "10.88.1.\($0)" }])
            setPerNetwork("static_ips", .array(values.map(JSON.string)))
            return "static_ips=\(clip(values.joined(separator: ","), 60))"
        case 7:
            let value = random.pick(["", "ff:ff:ff:ff:ff:ff", "01:00:5e:00:00:01", "00:00:00:00:00:00", "zz:zz:zz:zz:zz:zz", "12:34:56:78:9a",
                                     "12:34:56:78:9a:bc:de", "12-34-56-78-9A-BC", "12:34:56:78:9A:BC", "36:39:84:6d:31:4e"])
            setPerNetwork("static_mac", .string(value))
            return "static_mac=\(value.debugDescription)"
        case 8:
            let (key, values) = random.pick([("mtu", ["0", "67", "68", "1280", "9000", "65536", "-1", "abc", "1e3", ""]),
                                             ("vlan", ["0", "1", "4094", "4095", "-1", "x"]),
                                             ("metric", ["0", "100", "-1", "4294967296", "x"]),
                                             ("no_default_route", ["true", "1", "false", "yes"]),
                                             ("isolate", ["true", "strict", "false", ""]),
                                             ("unknown_option", ["bar"]), ("com.docker.network.bridge.name", ["x"])])
            let value = random.pick(values)
            let asNumber = random.chance(0.1) && Int(value) != nil
            tree = tree.setting(info + ["options", key], asNumber ? .number(value) : .string(value))
            return "option \(key)=\(asNumber ? value : value.debugDescription)"
        case 9:
            let value = random.pick(["host-local", "none", "dhcp", "", "macvlan"])
            tree = tree.setting(info + ["ipam_options"], random.chance(0.2) ? nil : .object([("driver", .string(value))]))
            return "ipam driver \(value.debugDescription)"
        case 10:
            let value = random.pick(["macvlan", "ipvlan", "", "Bridge", "bridge ", "overlay"])
            tree = tree.setting(info + ["driver"], .string(value))
            return "driver \(value.debugDescription)"
        case 11:
            let key = random.pick(["internal", "ipv6_enabled", "dns_enabled"])
            let value = random.chance(0.5)
            tree = tree.setting(info + [key], .bool(value))
            return "\(key)=\(value)"
        case 12:
            let value = random.pick([[], [""], ["web", "web"], ["ü"], (0..<200).map { "alias\($0)" }, ["a b"], [long(300)], ["16cac4f6c575", "capc1"]])
            setPerNetwork("aliases", .array(value.map(JSON.string)))
            return "aliases=\(clip(value.joined(separator: ","), 60))"
        case 13:
            let route = random.pick([("0.0.0.0/0", "10.88.0.1"), ("192.0.2.0/24", "10.91.0.1"), ("x", "y"), ("fd00::/8", "10.88.0.1"), ("10.0.0.0/8", "10.92.0.1")])
            var object: [(String, JSON)] = [("destination", .string(route.0)), ("gateway", .string(route.1))]
            if random.chance(0.3) { object.append(("metric", .number(random.pick(["0", "100", "-1", "4294967296"])))) }
            tree = tree.setting(info + ["routes"], .array([.object(object)]))
            return "route \(route.0) via \(route.1)"
        case 14:
            let value = random.pick([["1.1.1.1"], ["garbage"], [], ["fd00::53", "10.0.0.53"]])
            tree = tree.setting(["dns_servers"], .array(value.map(JSON.string)))
            return "dns_servers=\(value)"
        case 15:
            // The same network twice: podman 6's array, or a duplicated key in the map.
            if case .array(let items)? = tree.member("networks"), let first = items.first {
                tree = tree.setting(["networks"], .array(items + [first]))
            } else if case .object(let members)? = tree.member("networks"), let first = members.first {
                tree = tree.setting(["networks"], .object(members + [first]))
            }
            return "network listed twice"
        default:
            let what = Int.random(in: 0..<4, using: &random)
            switch what {
            case 0: tree = tree.setting(["network_info", network], nil)
            case 1: tree = tree.setting(["networks"], random.chance(0.5) ? .object([]) : .array([]))
            case 2: tree = tree.setting(["network_info", "extra"], tree.member("network_info")?.member(network))
            default:
                tree = tree.setting(["port_mappings"], .array([.object([("host_ip", .string("")), ("container_port", .number("80")),
                                                                      ("host_port", .number("8080")), ("range", .number("1")),
                                                                      ("protocol", .string(random.pick(["tcp", "udp", "tcp,udp", "sctp", ""])))])]))
            }
            return ["network_info entry missing", "no networks", "an extra network_info entry", "a port mapping"][what]
        }
    }

    private func renamed(_ object: JSON?, _ from: String, _ to: String) -> JSON? {
        guard case .object(let members)? = object else { return object }
        return .object(members.map { $0.0 == from ? (to, $0.1) : $0 })
    }

    private func addKey(_ tree: inout JSON, _ random: inout SeededRandom) -> String {
        guard case .object(var members) = tree else { return "add (not an object)" }
        if random.chance(0.5), let existing = members.indices.randomElement(using: &random) {
            let value = random.pick(FuzzGenerator.retypes)
            members.append((members[existing].0, value))
            tree = .object(members)
            return "duplicate \(members[existing].0)=\(String(decoding: value.bytes, as: UTF8.self))"
        }
        let key = random.pick(["container_hostname", "dns_servers", "unknown_key", "", "ü", "networks", "network_info", "port_mappings"])
        let value = random.pick(FuzzGenerator.retypes)
        members.append((key, value))
        tree = .object(members)
        return "add \(key)=\(String(decoding: value.bytes, as: UTF8.self))"
    }

    // MARK: the command line

    private func commandLine(_ call: inout NetavarkCall, _ random: inout SeededRandom, index: Int) -> String {
        func setOption(_ name: String, _ value: [UInt8]?) {
            // Replace every spelling of the option (`--name v`, `--name=v`), then put the new one first.
            var kept: [[UInt8]] = [], i = 0
            let options = max(0, call.arguments.count - 2)
            while i < options {
                let argument = String(decoding: call.arguments[i], as: UTF8.self)
                if argument == name { i += 2; continue }
                if argument.hasPrefix(name + "=") { i += 1; continue }
                kept.append(call.arguments[i]); i += 1
            }
            call.arguments = (value.map { [Array(name.utf8), $0] } ?? []) + kept + call.arguments.suffix(2)
        }
        switch Int.random(in: 0..<9, using: &random) {
        case 0:
            var choices = ["", "/run/netns/missing", Self.scratch + "/other/plain-file", Self.scratch + "/other", "/dev/null", "relative/ns",
                           "/proc/self/ns/net", "/proc/1/ns/net", "/proc/self/ns/mnt", "/run/netns/../netns/" + containers[0],
                           Self.scratch + "/" + String(repeating: "p", count: 5000), "/run/netns/" + containers[1]]
            if index % 997 == 3 { choices = [Self.scratch + "/other/fifo"] }
            let value = random.pick(choices)
            call.arguments[call.arguments.count - 1] = Array(value.utf8)
            return "netns \(value.debugDescription.prefix(60))"
        case 1:
            let value = random.pick(["", "Setup", "setup ", "version", "update", "bogus", "-h"])
            call.arguments[call.arguments.count - 2] = Array(value.utf8)
            return "verb \(value.debugDescription)"
        case 2:
            let how = Int.random(in: 0..<4, using: &random)
            switch how {
            case 0: call.arguments.append(Array("extra".utf8))
            case 1: call.arguments.removeLast()
            case 2: call.arguments += ["--network-dns-servers", "1.1.1.1"].map { Array($0.utf8) }
            default: call.arguments.insert(Array(random.pick(["--bogus", "-x", "--config", "--rootless=maybe", "--rootless", "--"]).utf8), at: 0)
            }
            return ["an extra argument", "no netns", "update's option after the netns", "an odd option first"][how]
        case 3:
            let value: [UInt8]? = random.pick(["", "relative", "../up", "/", Self.scratch + "/other/plain-file", Self.scratch + "/other/plain-file/sub",
                                               "/dev/null", Self.scratch + "/" + String(repeating: "d/", count: 2500), Self.scratch + "/other/ünï",
                                               Self.configDirectory + "/../escape", Self.scratch + "/other/sub", "/tmp/nv/config/"].map { Array($0.utf8) }
                                              + [nil, [0x2f, 0x74, 0x6d, 0x70, 0x2f, 0xff]])
            setOption("--config", value)
            return "--config \(value.map { String(decoding: $0, as: UTF8.self).debugDescription.prefix(60) } ?? "(default)")"
        case 4:
            let value = random.pick(["true", "false", "maybe", "", "TRUE"])
            setOption("--rootless", Array(value.utf8))
            return "--rootless \(value.debugDescription)"
        case 5:
            let value = random.pick(["", "relative", "/nonexistent/aardvark", Self.scratch + "/other", Self.scratch + "/other/plain-file", "/bin/false", Self.aardvark])
            setOption("--aardvark-binary", Array(value.utf8))
            return "--aardvark-binary \(value.debugDescription)"
        case 6:
            let value = random.pick(["nftables", "iptables", "none", "bogus", ""])
            setOption("--firewall-driver", Array(value.utf8))
            return "--firewall-driver \(value.debugDescription)"
        case 7:
            var values = ["/nonexistent/options.json", Self.scratch + "/other", "/dev/zero", "/dev/null", "", "relative.json"]
            if index % 997 == 500 { values = [Self.scratch + "/other/fifo"] }
            let value = random.pick(values)
            setOption(random.chance(0.5) ? "--file" : "-f", Array(value.utf8))
            return "--file \(value.debugDescription)"
        default:
            setOption("--config", Array((Self.configDirectory + "-first").utf8))
            call.arguments.insert(contentsOf: ["--config", Self.configDirectory].map { Array($0.utf8) }, at: 2)
            return "--config given twice"
        }
    }

    // MARK: where the input may write

    /// The `--config` directories the command line names (every one, whichever wins), or netavark's default.
    private func allowed(_ call: NetavarkCall) -> AllowedPaths {
        var directories: [String] = [], i = 0, sawConfig = false
        while i < call.arguments.count {
            let argument = String(decoding: call.arguments[i], as: UTF8.self)
            if argument == "--config", i + 1 < call.arguments.count {
                directories.append(String(decoding: call.arguments[i + 1], as: UTF8.self)); sawConfig = true; i += 2; continue
            }
            if argument.hasPrefix("--config=") { directories.append(String(argument.dropFirst(9))); sawConfig = true }
            i += 1
        }
        if !sawConfig || directories.contains("") { directories.append(Self.defaultConfigDirectory) }
        return AllowedPaths(directories: directories.filter { $0.hasPrefix("/") })
    }
}
