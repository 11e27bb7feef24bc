import CNI
import NetAddress
import Pontoon

/// How a network gets its addresses.
public enum IPAMPlan: Sendable {
    /// No `ipam` section: a layer-2 only attachment.
    case none
    /// `host-local`, served in-process.
    case hostLocal(HostLocalConfig)
    /// Any other type: the plugin of that name is run from `CNI_PATH`.
    case delegated(type: String)
}

extension CNIRequest {
    public func ipamPlan() throws(CNIError) -> IPAMPlan {
        guard let ipam = config.ipam, let type = ipam.type, !type.isEmpty else {
            if let ips = try? requestedIPs(), !ips.isEmpty {
                throw CNIError(.invalidNetworkConfig, "static IPs \(ips.map(\.description).joined(separator: ", ")) were requested but the network has no ipam")
            }
            return .none
        }
        if config.disableContainerInterface == true {
            throw CNIError(.invalidNetworkConfig, "cannot use ipam when disableContainerInterface is set")
        }
        guard type == "host-local" else { return .delegated(type: try delegatedIPAMType(type)) }
        return .hostLocal(try hostLocalConfig(ipam))
    }

    /// A plugin run from `CNI_PATH` is named, never given as a path.
    func delegatedIPAMType(_ type: String) throws(CNIError) -> String {
        guard !type.contains("/"), type != ".", type != ".." else {
            throw CNIError(.invalidNetworkConfig, "invalid ipam.type \"\(type)\": a plugin name cannot contain a path")
        }
        return type
    }

    /// host-local's config: runtime `ipRanges` first, then the legacy single range, then `ranges`.
    private func hostLocalConfig(_ ipam: IPAMConf) throws(CNIError) -> HostLocalConfig {
        var sets: [[AddressRange]] = []
        for (i, set) in (config.runtimeConfig?.ipRanges ?? []).enumerated() {
            sets.append(try rangeSet(set, key: "runtimeConfig.ipRanges[\(i)]"))
        }
        if let subnet = ipam.subnet, !subnet.isEmpty {
            let legacy = RangeConf(subnet: subnet, rangeStart: ipam.rangeStart, rangeEnd: ipam.rangeEnd, gateway: ipam.gateway)
            sets.append([try addressRange(legacy, key: "ipam")])
        }
        for (i, set) in (ipam.ranges ?? []).enumerated() {
            sets.append(try rangeSet(set, key: "ipam.ranges[\(i)]"))
        }
        let routes = try (ipam.routes ?? []).enumerated().map { i, route throws(CNIError) in
            try route.model(key: "ipam.routes[\(i)]")
        }
        var config = HostLocalConfig(networkName: try networkName(), dataDir: ipam.dataDir.flatMap { $0.isEmpty ? nil : $0 },
                                     rangeSets: sets, routes: routes, resolvConf: ipam.resolvConf)
        config.lockTimeout = try lockTimeout()
        do {
            return try config.validated()
        } catch {
            throw CNIError(any: error)
        }
    }

    /// `PONTOON_LOCK_TIMEOUT` (seconds, e.g. `0.5`) overrides how long to wait for the lease store.
    func lockTimeout() throws(CNIError) -> Duration {
        guard let text = environment.variables["PONTOON_LOCK_TIMEOUT"], !text.isEmpty else { return Locks.defaultTimeout }
        guard let seconds = Double(text), seconds.isFinite, seconds >= 0, seconds <= 86400 else {
            throw CNIError(.invalidEnvironment, "invalid PONTOON_LOCK_TIMEOUT \"\(text)\": expected seconds between 0 and 86400")
        }
        return .milliseconds(Int64(seconds * 1000))
    }

    private func rangeSet(_ set: [RangeConf], key: String) throws(CNIError) -> [AddressRange] {
        try set.enumerated().map { j, range throws(CNIError) in try addressRange(range, key: "\(key)[\(j)]") }
    }

    private func addressRange(_ range: RangeConf, key: String) throws(CNIError) -> AddressRange {
        guard let text = range.subnet, !text.isEmpty else {
            throw CNIError(.invalidNetworkConfig, "\(key) has no subnet")
        }
        guard let subnet = IPNetwork(text) else {
            throw CNIError(.invalidNetworkConfig, "invalid subnet \"\(text)\" in \(key)", details: "expected a CIDR address such as 10.88.0.0/16")
        }
        func address(_ value: String?, _ name: String) throws(CNIError) -> IPAddress? {
            guard let value, !value.isEmpty else { return nil }
            guard let ip = IPAddress(value) else {
                throw CNIError(.invalidNetworkConfig, "invalid \(name) \"\(value)\" in \(key)", details: "expected an IP address")
            }
            return ip
        }
        return AddressRange(subnet: subnet, rangeStart: try address(range.rangeStart, "rangeStart"),
                            rangeEnd: try address(range.rangeEnd, "rangeEnd"), gateway: try address(range.gateway, "gateway"))
    }
}
