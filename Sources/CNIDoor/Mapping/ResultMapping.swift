import CNI
import NetAddress
import Pontoon

extension WireResult {
    /// Render an engine result in the layout of `version`.
    public init(_ result: AttachmentResult, version: CNIVersion) throws(CNIError) {
        self.init()
        let format = version.resultFormat
        cniVersion = version.description
        dns = DNSConf(result.dns)
        if format == .legacy {
            // 0.1.0/0.2.0 know one address per family and no interfaces; routes follow their family.
            func legacy(_ family: IPFamily) -> LegacyIP? {
                guard let ip = result.ips.first(where: { $0.address.family == family }) else { return nil }
                let routes = result.routes.filter { $0.family == family }.map { RouteConf($0, format: format) }
                return LegacyIP(ip: ip.address.description, gateway: ip.gateway?.description,
                                routes: routes.isEmpty ? nil : routes)
            }
            ip4 = legacy(.v4)
            ip6 = legacy(.v6)
            if ip4 == nil, ip6 == nil {
                throw CNIError(.incompatibleVersion,
                               "cannot express the result in cniVersion \(version): it has no IP address",
                               details: "versions before 0.3.0 cannot describe a layer-2 only attachment")
            }
            return
        }
        if !result.interfaces.isEmpty {
            interfaces = result.interfaces.map {
                Interface(name: $0.name, mac: $0.mac?.description, mtu: format == .v1_1 ? $0.mtu : nil, sandbox: $0.sandbox)
            }
        }
        if !result.ips.isEmpty {
            ips = result.ips.map {
                IPConfig(version: format == .versionedIPs ? $0.address.family.versionString : nil,
                         interface: $0.interface, address: $0.address.description, gateway: $0.gateway?.description)
            }
        }
        if !result.routes.isEmpty {
            routes = result.routes.map { RouteConf($0, format: format) }
        }
    }

    /// Read a result of any version (a `prevResult`, or a delegated IPAM plugin's answer).
    public func attachmentResult(what: String = "prevResult") throws(CNIError) -> AttachmentResult {
        func bad(_ key: String, _ value: String) -> CNIError {
            CNIError(.decodingFailure, "failed to decode \(what): \(key) \"\(value)\" is invalid")
        }
        var result = AttachmentResult()
        result.dns = try dns.map { dns throws(CNIError) in try dns.model(key: "\(what).dns") } ?? DNS()
        for (i, interface) in (interfaces ?? []).enumerated() {
            var mac: MACAddress?
            if let text = interface.mac, !text.isEmpty {
                guard let parsed = MACAddress(text) else { throw bad("interfaces[\(i)].mac", text) }
                mac = parsed
            }
            result.interfaces.append(.init(name: interface.name, mac: mac, mtu: interface.mtu, sandbox: interface.sandbox))
        }
        for (i, ip) in (ips ?? []).enumerated() {
            guard let address = IPNetwork(ip.address) else { throw bad("ips[\(i)].address", ip.address) }
            var gateway: IPAddress?
            if let text = ip.gateway, !text.isEmpty {
                guard let parsed = IPAddress(text) else { throw bad("ips[\(i)].gateway", text) }
                gateway = parsed
            }
            if let index = ip.interface, !(result.interfaces.indices.contains(index)) {
                throw CNIError(.decodingFailure, "failed to decode \(what): ips[\(i)].interface \(index) names no interface")
            }
            result.ips.append(.init(interface: ip.interface, address: address, gateway: gateway))
        }
        for (key, legacy) in [("ip4", ip4), ("ip6", ip6)] {
            guard let legacy else { continue }
            guard let address = IPNetwork(legacy.ip) else { throw bad("\(key).ip", legacy.ip) }
            let gateway = legacy.gateway.flatMap(IPAddress.init)
            result.ips.append(.init(interface: nil, address: address, gateway: gateway))
            result.routes += try (legacy.routes ?? []).enumerated().map { i, route throws(CNIError) in
                try route.model(key: "\(what).\(key).routes[\(i)]")
            }
        }
        result.routes += try (routes ?? []).enumerated().map { i, route throws(CNIError) in
            try route.model(key: "\(what).routes[\(i)]")
        }
        return result
    }
}

extension RouteConf {
    init(_ route: Route, format: ResultFormat) {
        self.init(dst: route.destination.description, gw: route.gateway?.description)
        if format == .v1_1 {
            mtu = route.mtu
            advmss = route.advmss
            priority = route.priority
            table = route.table
            scope = route.scope
        }
    }

    /// The engine's route; `key` names this route in error messages.
    func model(key: String) throws(CNIError) -> Route {
        guard let destination = IPNetwork(dst) else {
            throw CNIError(.invalidNetworkConfig, "\(key).dst \"\(dst)\" is not a CIDR address")
        }
        var gateway: IPAddress?
        if let gw, !gw.isEmpty {
            guard let parsed = IPAddress(gw) else {
                throw CNIError(.invalidNetworkConfig, "\(key).gw \"\(gw)\" is not an IP address")
            }
            guard parsed.family == destination.family else {
                throw CNIError(.invalidNetworkConfig, "\(key): gateway \(gw) and destination \(dst) are of different IP families")
            }
            gateway = parsed
        }
        // The kernel takes these as unsigned 32-bit numbers (scope: 8-bit).
        let limits: [(String, Int?, ClosedRange<Int>)] = [
            ("mtu", mtu, 0...Int(UInt32.max)), ("advmss", advmss, 0...Int(UInt32.max)),
            ("priority", priority, 0...Int(UInt32.max)), ("table", table, 0...Int(UInt32.max)), ("scope", scope, 0...255),
        ]
        for (name, value, range) in limits {
            if let value, !range.contains(value) {
                throw CNIError(.invalidNetworkConfig, "\(key).\(name) \(value) is out of range \(range.lowerBound)...\(range.upperBound)")
            }
        }
        return Route(destination: destination, gateway: gateway, mtu: mtu, advmss: advmss,
                     priority: priority, table: table, scope: scope)
    }
}

extension DNSConf {
    init(_ dns: DNS) {
        self.init(nameservers: dns.nameservers.isEmpty ? nil : dns.nameservers, domain: dns.domain,
                  search: dns.search.isEmpty ? nil : dns.search, options: dns.options.isEmpty ? nil : dns.options)
    }

    func model(key: String) throws(CNIError) -> DNS {
        for (i, server) in (nameservers ?? []).enumerated() where IPAddress(server) == nil {
            throw CNIError(.invalidNetworkConfig, "\(key).nameservers[\(i)] \"\(server)\" is not an IP address")
        }
        return DNS(nameservers: nameservers ?? [], domain: domain, search: search ?? [], options: options ?? [])
    }
}
