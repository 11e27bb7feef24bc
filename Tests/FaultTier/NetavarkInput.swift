import Foundation

/// One fuzzed netavark invocation and what was done to it.
struct NetavarkFuzzInput {
    var call: NetavarkCall
    var mutations: [String]
    var allowed: AllowedPaths
    /// The capture it started from.
    var origin: String?
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
            case 80..<88:
                mutations.append(generic.addKey(&tree, &random, keys: ["container_hostname", "dns_servers", "unknown_key", "", "ü", "networks", "network_info", "port_mappings"],
                                                values: FuzzGenerator.retypes))
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
}
