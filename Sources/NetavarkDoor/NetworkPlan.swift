import NetAddress
import Netavark
import Pontoon

/// One network of a `setup`/`teardown` request in the engine's terms: the bridge network, the
/// attachment, and where its addresses come from. Built for every network before anything is
/// made, so a bad second network fails the whole request with nothing changed.
struct NetworkPlan {
    let name: String
    let ifName: String
    let network: BridgeNetwork
    let attachment: Attachment
    let allocator: (any AddressAllocator)?
    /// `dns_enabled`: aardvark-dns answers for the network on its gateways.
    let dnsEnabled: Bool
    let aliases: [String]
    /// `network_dns_servers`: where aardvark-dns forwards the network's other queries.
    let networkDNSServers: [IPAddress]
    /// `dns_servers` of the request: the container's own upstream servers.
    let containerDNSServers: [IPAddress]

    /// What the engine is asked to attach or detach.
    var request: AttachmentRequest { AttachmentRequest(attachment, ipam: allocator) }

    /// Bridge options netavark 1.x understands; any other is refused, as netavark does.
    static let knownOptions: Set<String> = ["mtu", "vlan", "isolate", "metric", "no_default_route"]
    /// macvlan and ipvlan options netavark 1.4 understands (the parent is `network_interface`).
    static let linkedOptions: Set<String> = ["mode", "mtu"]

    /// `forSetup`: refuse what cannot be served yet; teardown only needs to find what was made.
    init(_ entry: NamedNetworkOptions, request: NetworkOptions, netns: String, leaseDirectory: String,
         firewall: FirewallKind, servesPorts: Bool, forSetup: Bool, dnsPort: UInt16 = 53) throws(PontoonError) {
        let name = entry.name
        self.name = name
        try Names.validateNetworkName(name)
        guard let definition = request.networkInfo[name] else {
            throw PontoonError(.invalidConfiguration, "network \(name) is not described in network_info")
        }
        let linkedDriver = LinkedNetwork.Driver(rawValue: definition.driver)
        guard definition.driver == "bridge" || linkedDriver != nil else {
            throw PontoonError(.unsupported, "network \(name): driver \"\(definition.driver)\" is not supported",
                               details: "pontoon serves bridge, macvlan and ipvlan networks")
        }
        ifName = entry.options.interfaceName
        try Names.validateInterfaceName(ifName, what: "interface_name of network \(name)", kind: .invalidRequest)

        let options = definition.options ?? [:]
        let known = linkedDriver == nil ? Self.knownOptions : Self.linkedOptions
        if let unknown = options.keys.sorted().first(where: { !known.contains($0) }) {
            throw PontoonError(.unsupported, "network \(name): unsupported \(definition.driver) network option \(unknown)")
        }
        let isInternal = definition.internal ?? false
        var network = BridgeNetwork(name: name)
        if let linkedDriver {
            // The parent is network_interface (podman moves `-o parent=` there); empty: the default route's device.
            if let parent = definition.networkInterface, !parent.isEmpty {
                try Names.validateInterfaceName(parent, what: "network_interface of network \(name)")
            }
            network.linked = try LinkedNetwork(driver: linkedDriver, mode: options["mode"], parent: definition.networkInterface,
                                               network: name, accepted: linkedDriver.netavarkModes)
            network.linked?.ipv6Autoconf = false
        } else {
            guard let bridge = definition.networkInterface, !bridge.isEmpty else {
                throw PontoonError(.invalidConfiguration, "network \(name) has no network_interface (the bridge's name)")
            }
            try Names.validateInterfaceName(bridge, what: "network_interface of network \(name)")
            network.bridgeName = bridge
            network.ipMasq = !isInternal
            network.hairpinMode = true
            network.bridgeGoesWithLastAttachment = true // as netavark does
        }
        if let text = options["mtu"], text != "0" {
            guard let mtu = Int(text) else { throw PontoonError(.invalidConfiguration, "network \(name): option mtu \"\(text)\" is not a number") }
            try NetworkLimits.validateMTU(mtu, key: "network \(name) option mtu")
            network.mtu = mtu
        }
        if let text = options["vlan"], text != "0" {
            guard let vlan = Int(text) else { throw PontoonError(.invalidConfiguration, "network \(name): option vlan \"\(text)\" is not a number") }
            try NetworkLimits.validateVLAN(vlan, key: "network \(name) option vlan")
            network.vlan = vlan
        }
        // netavark: "true" cuts the network off from other isolated networks, "strict" from every other one.
        switch options["isolate"] {
        case nil, "false": network.isolation = .off
        case "true": network.isolation = .isolated
        case "strict": network.isolation = .strict
        case let other? where forSetup:
            throw PontoonError(.invalidConfiguration, "network \(name): option isolate \"\(other)\" must be true, false or strict")
        default: network.isolation = .off
        }
        if forSetup && network.isolation != .off && firewall == .none {
            throw PontoonError(.unsupported, "network \(name): option isolate needs a firewall driver, but it is none")
        }
        let metric = try options["metric"].map { text throws(PontoonError) -> Int in
            guard let value = Int(text), value >= 0, value <= Int(UInt32.max) else {
                throw PontoonError(.invalidConfiguration, "network \(name): option metric \"\(text)\" is not a route metric (0-4294967295)")
            }
            return value
        }
        let noDefaultRoute = options["no_default_route"].map { $0 == "true" || $0 == "1" } ?? false

        let subnets = try Self.subnets(of: definition)
        let routes = try Self.routes(of: definition, subnets: subnets, defaultRoute: !isInternal && !noDefaultRoute, metric: metric)
        let ipamDriver = definition.ipamOptions?["driver"] ?? "host-local"
        let staticIPs = try (entry.options.staticIPs ?? []).map { text throws(PontoonError) -> IPAddress in
            guard let ip = IPAddress(text) else {
                throw PontoonError(.invalidConfiguration, "network \(name): static IP \"\(text)\" is not an IP address")
            }
            return ip
        }
        switch ipamDriver {
        case "none":
            guard staticIPs.isEmpty else {
                throw PontoonError(.invalidConfiguration, "network \(name) has ipam driver none but static IPs were given")
            }
            allocator = nil
        case "host-local":
            network.isGateway = subnets.contains { $0.gateway != nil }
            if staticIPs.isEmpty {
                var config = HostLocalConfig(networkName: name, dataDir: leaseDirectory,
                                             rangeSets: subnets.map { [AddressRange(subnet: $0.subnet, rangeStart: $0.start, rangeEnd: $0.end, gateway: $0.gateway)] },
                                             routes: routes)
                config = try Self.validated(config)
                allocator = HostLocalAllocator(config: config)
            } else {
                allocator = StaticAllocator(IPAMResult(addresses: try Self.assign(staticIPs, in: subnets, network: name), routes: routes))
            }
        default:
            throw PontoonError(.unsupported, "network \(name): ipam driver \"\(ipamDriver)\" is not supported",
                               details: "pontoon serves host-local and none")
        }
        // An internal network is not routed: no masquerade, no port mappings, so no firewall state.
        // Nor is a macvlan or ipvlan one (the parent's LAN), and aardvark-dns does not serve it (as netavark).
        let routed = !isInternal && linkedDriver == nil
        network.firewall = routed ? firewall : .none
        let mappings = !routed || !servesPorts ? [] : try Self.portMappings(request.portMappings ?? [])
        dnsEnabled = linkedDriver == nil && (definition.dnsEnabled ?? false)
        // aardvark-dns on another port: the firewall sends the gateways' port 53 there (a routed
        // network's; an internal one has no firewall, as with netavark 1.4).
        if dnsEnabled && dnsPort != 53 { network.dnsPort = dnsPort }
        self.network = network
        aliases = entry.options.aliases ?? []
        // Teardown never needs them, and must not fail on them.
        networkDNSServers = forSetup ? try Self.servers(definition.networkDNSServers, "network \(name) network_dns_servers") : []
        containerDNSServers = forSetup ? try Self.servers(request.dnsServers, "dns_servers") : []
        if dnsEnabled && forSetup {
            try AardvarkDNS.validate(network: name, names: [request.containerName].filter { !$0.isEmpty } + aliases)
        }
        let mac = try entry.options.staticMAC.flatMap { text throws(PontoonError) -> MACAddress? in
            if text.isEmpty { return nil }
            guard let mac = MACAddress(text) else {
                throw PontoonError(.invalidConfiguration, "network \(name): static_mac \"\(text)\" is not a MAC address")
            }
            return mac
        }
        attachment = Attachment(id: AttachmentID(containerID: request.containerID, ifName: ifName),
                                containerName: request.containerName, netnsPath: netns, network: network,
                                requestedIPs: staticIPs, requestedMAC: mac, portMappings: mappings)
    }

    /// podman's port mappings in engine terms: `host_ip` "" means every address, `range` is the
    /// count of consecutive ports, `protocol` may list several ("tcp,udp").
    static func portMappings(_ wire: [Netavark.PortMapping]) throws(PontoonError) -> [Pontoon.PortMapping] {
        var mappings: [Pontoon.PortMapping] = []
        for (i, entry) in wire.enumerated() {
            let key = "port_mappings[\(i)]"
            let count = entry.range ?? 1
            guard count >= 1, NetworkLimits.portRange(from: entry.hostPort, count: count),
                  NetworkLimits.portRange(from: entry.containerPort, count: count) else {
                throw PontoonError(.invalidConfiguration, "\(key): ports \(entry.hostPort)->\(entry.containerPort) (range \(count)) must lie within 1-65535")
            }
            var hostIP: IPAddress?
            if let text = entry.hostIP, !text.isEmpty {
                guard let ip = IPAddress(text) else {
                    throw PontoonError(.invalidConfiguration, "\(key): host_ip \"\(text)\" is not an IP address")
                }
                hostIP = ip
            }
            for name in entry.protocol.split(separator: ",") {
                guard let transport = Pontoon.PortMapping.TransportProtocol(rawValue: name.lowercased()) else {
                    throw PontoonError(.invalidConfiguration, "\(key): protocol \"\(name)\" is not tcp, udp or sctp")
                }
                mappings.append(Pontoon.PortMapping(hostIP: hostIP, hostPort: UInt16(entry.hostPort), containerPort: UInt16(entry.containerPort),
                                                    transport: transport, count: UInt16(count)))
            }
        }
        return mappings
    }

    /// The StatusBlock entry for what the engine made. A DNS network's containers ask its gateways
    /// (aardvark-dns answers there) and search `dns.podman`, as with netavark.
    func status(_ result: AttachmentResult) -> StatusBlock {
        let container = result.interfaces.firstIndex { $0.sandbox != nil }
        let mac = container.flatMap { result.interfaces[$0].mac }.map(String.init(describing:)) ?? ""
        let subnets = result.ips.filter { $0.interface == nil || $0.interface == container }.map {
            StatusBlock.NetAddress(ipnet: $0.address.description, gateway: $0.gateway?.description)
        }
        // Without DNS, the container's own servers (podman's --dns) are what it should ask, as with netavark.
        return StatusBlock(dnsSearchDomains: dnsEnabled ? ["dns.podman"] : [],
                           dnsServerIPs: dnsEnabled ? gateways(result).map(\.description) : containerDNSServers.map(\.description),
                           interfaces: [ifName: .init(macAddress: mac, subnets: subnets)])
    }

    /// The container's aardvark-dns entry on this network: its addresses, its name, its aliases.
    func dnsAddition(_ result: AttachmentResult) -> AardvarkDNS.Addition? {
        guard dnsEnabled else { return nil }
        var names: [String] = []
        for name in [attachment.containerName ?? ""] + aliases where !name.isEmpty && !names.contains(name) { names.append(name) }
        let entry = AardvarkDNS.Entry(containerID: attachment.id.containerID, addresses: result.ips.map(\.address.address),
                                      names: names, dnsServers: containerDNSServers)
        return AardvarkDNS.Addition(network: name, gateways: gateways(result), networkDNSServers: networkDNSServers, entry: entry)
    }

    private func gateways(_ result: AttachmentResult) -> [IPAddress] {
        var seen: [IPAddress] = []
        for gateway in result.ips.compactMap(\.gateway) where !seen.contains(gateway) { seen.append(gateway) }
        return seen
    }

    // MARK: Pieces

    /// DNS server lists: IP addresses only (aardvark-dns would drop the whole file for one bad token).
    static func servers(_ texts: [String]?, _ key: String) throws(PontoonError) -> [IPAddress] {
        try (texts ?? []).map { text throws(PontoonError) -> IPAddress in
            guard let ip = IPAddress(text) else {
                throw PontoonError(.invalidConfiguration, "\(key): \"\(text)\" is not an IP address")
            }
            return ip
        }
    }

    struct Subnet {
        var subnet: IPNetwork
        var gateway: IPAddress?
        var start: IPAddress?
        var end: IPAddress?
    }

    private static func subnets(of definition: Network) throws(PontoonError) -> [Subnet] {
        try (definition.subnets ?? []).enumerated().map { i, entry throws(PontoonError) -> Subnet in
            let key = "network \(definition.name) subnets[\(i)]"
            guard let subnet = IPNetwork(entry.subnet) else {
                throw PontoonError(.invalidConfiguration, "\(key): \"\(entry.subnet)\" is not a CIDR subnet")
            }
            func address(_ text: String?, _ field: String) throws(PontoonError) -> IPAddress? {
                guard let text, !text.isEmpty else { return nil }
                guard let ip = IPAddress(text), subnet.contains(ip) else {
                    throw PontoonError(.invalidConfiguration, "\(key): \(field) \"\(text)\" is not an address in \(subnet)")
                }
                return ip
            }
            return Subnet(subnet: subnet.masked, gateway: try address(entry.gateway, "gateway"),
                          start: try address(entry.leaseRange?.startIP, "lease_range.start_ip"),
                          end: try address(entry.leaseRange?.endIP, "lease_range.end_ip"))
        }
    }

    /// What netavark gives a container's default routes when the network sets no `metric`.
    static let defaultRouteMetric = 100

    /// A default route per family through that family's gateway (unless internal or
    /// `no_default_route`), with the network's `metric` or netavark's 100 (the kernel's own
    /// default would be 0 for IPv4 and 1024 for IPv6), then the network's own routes.
    private static func routes(of definition: Network, subnets: [Subnet], defaultRoute: Bool, metric: Int?) throws(PontoonError) -> [Route] {
        var routes: [Route] = []
        if defaultRoute {
            var seen = Set<IPFamily>()
            for subnet in subnets {
                guard let gateway = subnet.gateway, seen.insert(gateway.family).inserted else { continue }
                routes.append(Route(destination: .everything(gateway.family), gateway: gateway, priority: metric ?? defaultRouteMetric))
            }
        }
        for (i, route) in (definition.routes ?? []).enumerated() {
            guard let destination = IPNetwork(route.destination), let gateway = IPAddress(route.gateway),
                  destination.family == gateway.family else {
                throw PontoonError(.invalidConfiguration, "network \(definition.name) routes[\(i)]: \(route.destination) via \(route.gateway) is not a route")
            }
            routes.append(Route(destination: destination.masked, gateway: gateway, priority: route.metric ?? metric))
        }
        return routes
    }

    /// Each static IP with its subnet's prefix and gateway; one outside every subnet is refused.
    private static func assign(_ ips: [IPAddress], in subnets: [Subnet], network: String) throws(PontoonError) -> [AssignedAddress] {
        try ips.map { ip throws(PontoonError) -> AssignedAddress in
            guard let subnet = subnets.first(where: { $0.subnet.contains(ip) }) else {
                throw PontoonError(.addressUnavailable, "network \(network): static IP \(ip) is outside every subnet",
                                   details: "subnets: " + subnets.map { $0.subnet.description }.joined(separator: ", "))
            }
            return AssignedAddress(address: IPNetwork(address: ip, prefixLength: subnet.subnet.prefixLength)!, gateway: subnet.gateway)
        }
    }

    private static func validated(_ config: HostLocalConfig) throws(PontoonError) -> HostLocalConfig {
        do {
            return try config.validated()
        } catch let error as PontoonError {
            throw error
        } catch {
            throw PontoonError(.invalidConfiguration, "\(error)")
        }
    }
}
