import CNI
import Foundation
import NetAddress
import Netavark
import Netlink

/// `network create|ls|inspect|rm`.
public struct NetworkOperations {
    public let store: Store

    public init(store: Store) { self.store = store }

    public struct CreateRequest {
        public var name: String
        public var subnets: [String] = []
        public var gateway: String?
        public var ipv6 = false
        public var `internal` = false
        public var disableDNS = false
        public var options: [String] = []
        public var backend: NetworkFile.Backend.Kind = .netavark
        /// netavark: the plugin (default pontoon); cni: the main plugin's type (default pontoon).
        public var plugin: String?
        /// The bridge's name (podman's `--interface-name`); nil: the first free pontoonN.
        public var interfaceName: String?
        /// The network's ID; nil: a random one. (The default network has podman's fixed ID.)
        public var id: String?
        /// bridge (default), macvlan or ipvlan (`NetworkOperations+Linked.swift`).
        public var driver = "bridge"

        public init(name: String) { self.name = name }
    }

    public static let knownOptions: Set<String> = ["mtu", "vlan", "isolate"]

    /// What is in use now: every network's subnets and every route of this namespace but the default ones.
    func usedSubnets() throws(CtlError) -> [IPNetwork] {
        var used = try store.networks().flatMap { ($0.network.subnets ?? []).compactMap { IPNetwork($0.subnet)?.masked } }
        do {
            let socket = try RouteSocket()
            for family in IPFamily.allCases {
                // Every table is dumped and filtered here: asking the kernel for the main table fails
                // (ENOENT) in a namespace that has no route yet.
                used += try socket.routes(family: family).filter { $0.table == RouteTable.main && $0.destination.prefixLength > 0 }
                    .map(\.destination)
            }
        } catch {
            throw CtlError(.failed, "cannot read this namespace's routes: \(error)")
        }
        return used
    }

    func usedBridgeNames() throws(CtlError) -> Set<String> {
        var used = Set(try store.networks().compactMap(\.network.networkInterface))
        do {
            used.formUnion(try RouteSocket().links().map(\.name))
        } catch {
            throw CtlError(.failed, "cannot read this namespace's links: \(error)")
        }
        return used
    }

    public func create(_ request: CreateRequest) throws(CtlError) -> NetworkFile {
        try Names.validate(request.name, what: "network")
        let lock = try store.lockStore()
        defer { lock.unlock() }
        if store.hasNetwork(named: request.name) {
            let id = (try? store.network(request.name).network.id).flatMap { $0 }.map { " (ID \($0.prefix(12)))" } ?? ""
            throw CtlError(.conflict, "network \(request.name) already exists\(id)")
        }
        if request.driver != "bridge" { return try createLinked(request) }

        var options: [String: String] = [:]
        for option in request.options {
            let parts = option.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, Self.knownOptions.contains(parts[0]) else {
                throw CtlError(.usage, "--opt \"\(option)\": expected mtu=N, vlan=N or isolate=true|false")
            }
            if parts[0] != "isolate" {
                guard let value = Int(parts[1]), value >= 0 else { throw CtlError(.usage, "--opt \(parts[0]) \"\(parts[1])\" is not a number") }
                if parts[0] == "vlan", value > 4094 { throw CtlError(.usage, "--opt vlan \(value) is above 4094") }
                if parts[0] == "mtu", value != 0, value < 68 { throw CtlError(.usage, "--opt mtu \(value) is below 68") }
            } else if !["true", "false", "strict"].contains(parts[1]) {
                throw CtlError(.usage, "--opt isolate \"\(parts[1])\": expected true, false or strict")
            }
            options[parts[0]] = parts[1]
        }
        // Through the connector a 1500 MTU costs 5-12x in throughput: rootless networks match slirp4netns' 65520.
        if store.paths.rootless != nil, options["mtu"] == nil { options["mtu"] = String(RootlessNetNS.mtu) }

        let used = try usedSubnets()
        var subnets: [IPNetwork] = []
        for text in request.subnets {
            guard let subnet = IPNetwork(text) else { throw CtlError(.usage, "--subnet \"\(text)\" is not a CIDR subnet") }
            guard subnet.isNetworkAddress else { throw CtlError(.usage, "--subnet \(text) has host bits set (did you mean \(subnet.masked)?)") }
            // The network in the way is named; then a route of this host; then another --subnet given.
            for other in try store.networks() {
                for given in other.network.subnets ?? [] where IPNetwork(given.subnet)?.masked.overlaps(subnet) == true {
                    throw CtlError(.conflict, "--subnet \(text) overlaps subnet \(given.subnet) of network \(other.network.name)")
                }
            }
            if let clash = (used + subnets).first(where: { $0.overlaps(subnet) }) {
                throw CtlError(.conflict, "--subnet \(text) overlaps \(clash), which a route of this host or another --subnet uses")
            }
            subnets.append(subnet)
        }
        if request.subnets.isEmpty {
            subnets.append(try SubnetPicker.freeIPv4(avoiding: used + subnets))
        }
        if request.ipv6, !subnets.contains(where: { $0.family == .v6 }) {
            subnets.append(try SubnetPicker.freeIPv6(avoiding: used + subnets))
        }
        var definitions: [Network.Subnet] = []
        for (index, subnet) in subnets.enumerated() {
            var gateway = SubnetPicker.firstHost(subnet)
            if index == 0, let text = request.gateway {
                guard let given = IPAddress(text), subnet.contains(given) else {
                    throw CtlError(.usage, "--gateway \(text) is not an address in \(subnet)")
                }
                gateway = given
            }
            guard let gateway else { throw CtlError(.usage, "subnet \(subnet) has no room for a gateway") }
            definitions.append(Network.Subnet(subnet: "\(subnet)", gateway: "\(gateway)"))
        }
        if request.gateway != nil, request.subnets.isEmpty {
            throw CtlError(.usage, "--gateway needs --subnet")
        }

        let usedBridges = try usedBridgeNames()
        if let name = request.interfaceName, usedBridges.contains(name) {
            throw CtlError(.conflict, "interface name \(name) is already used by a network or a link of this host")
        }
        let bridge = request.interfaceName ?? SubnetPicker.freeBridgeName(avoiding: usedBridges)
        let dnsEnabled = request.backend == .netavark && !request.disableDNS
        let network = Network(name: request.name, id: request.id ?? Names.randomHex(32), driver: "bridge", networkInterface: bridge,
                              subnets: definitions, ipv6Enabled: subnets.contains { $0.family == .v6 }, internal: request.internal,
                              dnsEnabled: dnsEnabled, options: options.isEmpty ? nil : options, ipamOptions: ["driver": "host-local"])
        var file = NetworkFile(network: network, backend: .init(type: request.backend, plugin: request.plugin))
        if request.backend == .cni {
            let conflist = request.name + ".conflist"
            file.backend = .init(type: .cni, conflist: conflist)
            try Store.makeDirectory(store.paths.configDirectory)
            try Store.write(conflistData(network, type: request.plugin ?? "pontoon"), to: store.paths.configDirectory + "/" + conflist)
        }
        try store.saveNetwork(file)
        return file
    }

    /// The conflist a `--backend cni` network gets: a bridge-like plugin with host-local IPAM (its
    /// leases under the state directory) and static addresses as capabilities. pontoon serves port
    /// mappings and its firewall itself; any other plugin (the reference `bridge`) is followed by
    /// podman's chain: `portmap` for the port mappings and `firewall` to let the traffic through.
    func conflistData(_ network: Network, type: String) -> Data {
        let isInternal = network.internal ?? false
        let routes: [JSONValue] = isInternal ? [] : (network.subnets ?? []).map { subnet in
            ["dst": .string(subnet.subnet.contains(":") ? "::/0" : "0.0.0.0/0")]
        }
        let ranges: [JSONValue] = (network.subnets ?? []).map { [["subnet": .string($0.subnet), "gateway": .string($0.gateway ?? "")]] }
        var plugin: [String: JSONValue] = [
            "type": .string(type), "bridge": .string(network.networkInterface ?? ""), "isGateway": true, "ipMasq": .bool(!isInternal),
            "hairpinMode": true,
            "capabilities": type == "pontoon" ? ["portMappings": true, "ips": true, "mac": true] : ["ips": true, "mac": true],
            "ipam": ["type": "host-local", "dataDir": .string(store.paths.stateDirectory + "/cni-ipam"), "ranges": .array(ranges),
                     "routes": .array(routes)],
        ]
        if type == "pontoon" { plugin["stateDir"] = .string(store.paths.stateDirectory + "/pontoon") }
        if let mtu = network.options?["mtu"].flatMap(Int.init), mtu > 0 { plugin["mtu"] = .int(mtu) }
        if let vlan = network.options?["vlan"].flatMap(Int.init), vlan > 0 { plugin["vlan"] = .int(vlan) }
        var plugins = [PluginConf(fields: plugin)]
        if type != "pontoon" {
            plugins.append(PluginConf(fields: ["type": "portmap", "capabilities": ["portMappings": true], "snat": true]))
            plugins.append(PluginConf(fields: ["type": "firewall"]))
        }
        return Store.encode(NetConfList(cniVersion: "1.0.0", name: network.name, plugins: plugins))
    }

    /// Refused while containers use it, unless `force`, which disconnects them first.
    public func remove(_ nameOrID: String, force: Bool, containers: ContainerOperations) throws(CtlError) -> [String] {
        let file = try store.network(nameOrID)
        let name = file.network.name
        let users = try store.containers().filter { $0.networks.contains { $0.network == name } }.map(\.name)
        if !users.isEmpty {
            guard force else {
                throw CtlError(.conflict, "network \(name) is used by container(s) \(users.joined(separator: ", ")); use --force to disconnect them")
            }
            for user in users { try containers.disconnect(user, network: name, force: true) }
        }
        let lock = try store.lockStore()
        defer { lock.unlock() }
        store.removeNetworkFile(name)
        if let conflist = file.backend.conflist, conflist == name + ".conflist" {
            try? FileManager.default.removeItem(atPath: store.paths.configDirectory + "/" + conflist)
        }
        try? FileManager.default.removeItem(atPath: store.paths.ipamDirectory + "/" + name)
        return users
    }
}
